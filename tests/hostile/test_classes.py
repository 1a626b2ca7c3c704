"""The known classes of hostile input (strategies.py: TEXT_CLASSES, NUMBER_CLASSES, JSON_CLASSES),
each thrown at every field of every entry point, not only at the examples the issue gave:
each is refused with a message naming the field or path, never a 500."""

from __future__ import annotations

import html
import io
import json
import os
import re
import tempfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError

from calculator.editor.presets import BY_SLUG
from calculator.editor.scenario import document_data
from tests.billing.test_admin import ADD
from tests.hostile.conftest import (
    SURVEY,
    HostileClient,
    answered,
    assert_nothing_stored_wrong,
    ran,
)
from tests.hostile.strategies import (
    JSON_CLASSES,
    NUMBER_CLASSES,
    TEXT_CLASSES,
    dumps,
    locations,
    put,
)
from tests.hostile.test_admin import TIERED_CARD, superuser_client
from tests.hostile.test_documents import ESTIMATE, TIERED
from tests.hostile.test_forms import ESTIMATE_FORM

pytestmark = pytest.mark.django_db


def path_text(path):
    text = ""
    for key in path:
        text += f"[{key}]" if isinstance(key, int) else (f".{key}" if text else key)
    return text


def refused_by_path(response, path):
    """A 400 naming the path given, or a path inside it, or the document ("")."""
    assert response.status_code == 400, (path, response.status_code)
    paths = [problem["path"] for problem in response.json()["problems"]]
    inside = (f"{path}.", f"{path}[") if path else ("",)
    assert any(p in ("", path) or p.startswith(inside) for p in paths), (
        path,
        paths,
    )


# -- JSON documents: every class at every place in a scenario and an estimate ---------------

PLACES = [
    (name, path)
    for name, document in (("scenario", TIERED), ("estimate", ESTIMATE))
    for path in locations(document)
]


@pytest.mark.parametrize("kind", list(JSON_CLASSES))
def test_every_place_in_a_document_refuses_each_class_by_its_path(kind):
    client = HostileClient()
    value = JSON_CLASSES[kind]
    for name, path in PLACES:
        document = put(_copy(TIERED if name == "scenario" else ESTIMATE), path, value)
        response = answered(
            "API", client.post("/api/estimate", dumps(document), content_type="application/json")
        )
        if not SURVEY:
            refused_by_path(response, path_text(path))


def _copy(document):
    import copy

    return copy.deepcopy(document)


SOME_PLACES = [
    (),
    ("name",),
    ("participants", 0, "join"),
    ("rate_card", "tiers", "voice_call_minutes", 0, "up_to"),
]


@pytest.mark.parametrize("kind", list(JSON_CLASSES))
def test_import_and_the_price_command_refuse_each_class_naming_its_path(kind):
    client = HostileClient()
    for path in SOME_PLACES:
        text = dumps(put(_copy(TIERED), path, JSON_CLASSES[kind]))
        upload = SimpleUploadedFile("s.json", text.encode(), "application/json")
        for entry, response in (
            ("import (file)", client.post("/import/", {"file": upload})),
            ("import (paste)", client.post("/import/", {"text": text})),
        ):
            answered(entry, response)
            if not SURVEY:
                assert response.status_code == 200
                assert response.context["form"].errors, (entry, path)
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
            file.write(text)
        try:
            err = price_command(file.name)
        finally:
            os.unlink(file.name)
        if not SURVEY:
            assert f"{file.name}: " in err


def price_command(name):
    """What `price` wrote on standard error, run as a terminal runs it (strict UTF-8)."""
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")

    def run():
        call_command("price", name, stdout=io.TextIOWrapper(io.BytesIO()), stderr=err)

    ran("price command", run, (CommandError,))
    err.flush()
    return err.buffer.getvalue().decode()


# -- Form fields: every class in every field of the editor, estimates and admin -------------

EDITOR = document_data(
    {
        **BY_SLUG["contact-centre"].document,
        "groups": BY_SLUG["town-hall"].document["groups"][:1],
        "addons": [{"meter": "archive", "start": 0, "end": 60}],
        "fees": {"alexa_device": 2},
        "rate_card": {
            "rounding": "session",
            "addons": {"archive": {"rate": "0.01"}},
            "fees": {"device": {"label": "Device", "per": "month", "price": "2"}},
        },
    },
    "default",
)
# What a form post can carry of each text class: lone surrogates arrive as U+FFFD (Django
# decodes a form's bytes so); the JSON form body carries them as they are.
FORM_TEXT = [
    "lone surrogate",
    "low surrogate first",
    "NUL",
    "huge",
    "combining marks",
    "right-to-left override",
]
FREE_TEXT = {
    *("name", "p-0-name", "p-1-name", "g-0-name", "a-0-meter", "f-0-fee"),
    *("x-0-key", "x-0-label", "y-0-key", "y-0-label"),
    *("new_link", "description"),
}
# Signs are a number's own: "+1" and "-0" are 1 and 0 where a sign may go.
SIGNED = {"negative zero", "plus sign"}


def number_fields(data, free=FREE_TEXT):
    return [
        name
        for name in data
        if name not in free and not name.endswith(("TOTAL_FORMS", "INITIAL_FORMS", *CHECKBOXES))
    ]


def field_errors(response):
    """The messages by field that a live update's page places beside the fields."""
    found = FIELD_ERRORS.search(response.content.decode())
    return json.loads(html.unescape(found.group(1))) if found else {}


def shows_problems(response):
    return response.status_code == 200 and "to see the" in response.content.decode()


FIELD_ERRORS = re.compile(r'id="field-errors"[^>]*>(.*?)</script>', re.S)
CHECKBOXES = ("subscribes", "g-0-publish")  # any text ticks a checkbox


@pytest.mark.parametrize(
    "field", [name for name in EDITOR if not name.endswith(("_FORMS", *CHECKBOXES))]
)
def test_every_editor_field_refuses_each_class_beside_it(field):
    client = HostileClient()
    for kind in FORM_TEXT:
        data = {**EDITOR, field: TEXT_CLASSES[kind]}
        json_form = answered("editor (json form)", client.post_json_form("/editor/", data))
        form = answered(
            "editor (htmx form)", client.post_form("/editor/", data, HTTP_HX_REQUEST="true")
        )
        if SURVEY:
            continue
        if kind in ("lone surrogate", "low surrogate first", "NUL"):
            # The JSON form's body is refused, naming the field; a form post's NUL beside it.
            assert json_form.status_code == 400
            assert f"{field}: " in json_form.content.decode()
        if kind == "NUL" or (kind == "huge" and field in FREE_TEXT):
            assert field in field_errors(form), (field, kind)
    if field in number_fields(EDITOR):
        for kind, text in NUMBER_CLASSES.items():
            data = {**EDITOR, field: text}
            response = answered(
                "editor (htmx form)", client.post_form("/editor/", data, HTTP_HX_REQUEST="true")
            )
            if SURVEY or kind in SIGNED:
                continue
            assert field in field_errors(response) or shows_problems(response), (field, kind)


ESTIMATE_FIELDS = [name for name in ESTIMATE_FORM if not name.endswith("_FORMS")]


@pytest.mark.parametrize("field", [*ESTIMATE_FIELDS, "new_link"])
def test_every_estimate_field_refuses_each_class_with_a_message(field):
    client = HostileClient()
    action = "add-link" if field == "new_link" else ""
    for kind in FORM_TEXT:
        data = {**ESTIMATE_FORM, "action": action, field: TEXT_CLASSES[kind]}
        answered("estimate editor (json form)", client.post_json_form("/estimates/new/", data))
        answered(
            "estimate editor (htmx form)",
            client.post_form("/estimates/new/", data, HTTP_HX_REQUEST="true"),
        )
    for text in NUMBER_CLASSES.values():
        data = {**ESTIMATE_FORM, "action": action, field: text}
        answered(
            "estimate editor (htmx form)",
            client.post_form("/estimates/new/", data, HTTP_HX_REQUEST="true"),
        )
    if field.endswith("-document"):  # the scenario's document: every class of JSON
        for value in JSON_CLASSES.values():
            for path in SOME_PLACES[:3]:
                text = dumps(put(_copy(BY_SLUG["ivr-agent"].document), path, value))
                data = {**ESTIMATE_FORM, field: text}
                response = answered(
                    "estimate editor (json form)", client.post_json_form("/estimates/new/", data)
                )
                if not SURVEY:
                    assert field in field_errors(response), (field, path)
    assert_nothing_stored_wrong()


ADMIN_FIELDS = [name for name in TIERED_CARD if not name.endswith("_FORMS")]
ADMIN_NUMBERS = [
    name
    for name in ADMIN_FIELDS
    if name.endswith(("rate", "up_to", "seconds")) or name == "version"
]
TIME_CLASSES = {kind for kind in NUMBER_CLASSES if kind.startswith("time") or "time" in kind}


def admin_errors(response):
    """Every field with a message on the admin's page, by its name in the form data."""
    errors = {name for name in response.context["adminform"].form.errors}
    for inline in response.context["inline_admin_formsets"]:
        for form in inline.formset.forms:
            errors |= {form.add_prefix(name) for name in form.errors}
    return errors


@pytest.mark.parametrize("kind", [*FORM_TEXT, *NUMBER_CLASSES])
def test_every_admin_field_refuses_each_class_and_stores_nothing_wrong(kind):
    """The admin's page is slow to draw: each class goes into every field it fits at once."""
    if kind in FORM_TEXT:
        text, fields = TEXT_CLASSES[kind], ADMIN_FIELDS
    else:
        text, fields = NUMBER_CLASSES[kind], ADMIN_NUMBERS
    data = {**TIERED_CARD, **dict.fromkeys(fields, text)}
    response = answered("admin rate card", superuser_client().post_form(ADD, data))
    if SURVEY or kind in SIGNED or kind in TIME_CLASSES - {"time with exponent"}:
        return
    assert response.status_code in (200, 302, 400)  # 400: a body over 2 MB
    assert_nothing_stored_wrong()
    if kind == "NUL" or kind in NUMBER_CLASSES:
        assert response.status_code == 200
        assert set(fields) - {"description"} <= admin_errors(response), kind
