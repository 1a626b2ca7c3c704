"""Hostile form fields at every form: the editor (a form post, and the JSON form body its live
updates send), the estimate editor and its scenarios' documents, a saved scenario's or
estimate's edit and save, and rename. Each answers a page with the message, or a 400 for a
body that cannot be read; nothing is stored with an error in it; a save that is refused
leaves the saved item as it was."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from hypothesis import given
from hypothesis import strategies as st

from billing.engine.jsonio import dumps
from calculator.editor.estimate import estimate_data
from calculator.editor.presets import BY_SLUG
from calculator.editor.scenario import document_data
from calculator.models import SavedScenario
from tests.hostile.conftest import (
    HostileClient,
    answered,
    assert_nothing_stored_wrong,
    hostile,
)
from tests.hostile.strategies import hostile_text, spoiled, spoiled_form
from tests.hostile.test_documents import ESTIMATE, SCENARIOS

pytestmark = pytest.mark.django_db

EDITOR_FORMS = [
    document_data(BY_SLUG[slug].document, "default")
    for slug in ("contact-centre", "conference", "video-meeting", "town-hall")
]
EDITOR_ACTIONS = [
    "",
    "save",
    "save-copy",
    "add:p",
    "remove:p:0",
    "duplicate:p:1",
    "bulk",
    "add:g",
    "duplicate:g:0",
    "remove:g:1",
    "write-out:g:0",
    "write-out:g:7",
    "add:a",
    "remove:a:0",
    "add:f",
    "remove:f:0",
    "add:x",
    "remove:y:0",
]
EDITOR_EXTRA = [
    "action",
    "p-TOTAL_FORMS",
    "p-7-name",
    "g-TOTAL_FORMS",
    "g-0-count",
    "g-0-join_to",
    "g-5-leave_from",
    "a-TOTAL_FORMS",
    "a-3-meter",
    "f-TOTAL_FORMS",
    "f-2-count",
    "x-TOTAL_FORMS",
    "x-1-rate",
    "y-TOTAL_FORMS",
    "y-3-per",
    "card_addons",
    "rounding",
    "revision",
    "tiers",
    *[f"bulk-{name}" for name in ("count", "name", "join_from", "join_to", "leave_from")],
    *[f"bulk-{name}" for name in ("leave_to", "endpoint", "media", "publish")],
]
ESTIMATE_FORM = estimate_data(ESTIMATE, "default")
ESTIMATE_ACTIONS = ["", "save", "save-copy", "add-template", "add-link", "remove:0"]
ESTIMATE_EXTRA = [
    *("action", "new_template", "new_saved", "new_link", "i-2-document"),
    *("fee_sip_core", "fee_alexa_device", "fee_not_on_the_card"),
]
ANSWERS = (200, 204, 302, 400)


@st.composite
def editor_post(draw: st.DrawFn, forms: list[dict[str, str]], actions, extra):
    data = draw(spoiled_form(draw(st.sampled_from(forms)), extra))
    data.setdefault("action", draw(st.sampled_from(actions)))
    if "bulk" in data.get("action", ""):
        data |= {"bulk-count": "3", "bulk-name": "A", "bulk-join_from": "0:00"}
        data |= {"bulk-join_to": "1:00", "bulk-leave_from": "5:00", "bulk-leave_to": "6:00"}
        data |= {"bulk-endpoint": "client", "bulk-media": "video"}
    return data


def send(client, entry, path, data, how):
    if how == "json form":
        response = client.post_json_form(path, data)
    else:
        extra = {"HTTP_HX_REQUEST": "true"} if how == "htmx form" else {}
        response = client.post_form(path, data, **extra)
    return answered(f"{entry} ({how})", response)


HOW = st.sampled_from(["form", "htmx form", "json form"])


@hostile
@given(editor_post(EDITOR_FORMS, EDITOR_ACTIONS, EDITOR_EXTRA), HOW)
def test_the_editor_answers_any_field_with_the_page_and_its_message(data, how):
    response = send(HostileClient(), "editor", "/editor/", data, how)
    assert response.status_code in ANSWERS
    assert_nothing_stored_wrong()


@st.composite
def estimate_post(draw: st.DrawFn):
    data = draw(editor_post([ESTIMATE_FORM], ESTIMATE_ACTIONS, ESTIMATE_EXTRA))
    if draw(st.booleans()):  # a scenario's document spoiled, as the form carries it
        data[f"i-{draw(st.integers(0, 1))}-document"] = draw(spoiled(SCENARIOS))
    return data


@hostile
@given(estimate_post(), HOW)
def test_the_estimate_editor_answers_any_field_or_document_with_its_message(data, how):
    response = send(HostileClient(), "estimate editor", "/estimates/new/", data, how)
    assert response.status_code in ANSWERS
    assert_nothing_stored_wrong()


# -- Saved items: their edit, save and rename --------------------------------------------


def owner_client():
    user, _ = User.objects.get_or_create(username="owner")
    client = HostileClient()
    client.force_login(user)
    return client, user


def stored(user, document, kind=SavedScenario.SCENARIO):
    from billing.cards import CardDirectory
    from billing.engine import card_snapshot

    card = card_snapshot(CardDirectory().default())
    return SavedScenario.objects.create(
        owner=user,
        name=document.get("name", ""),
        document_json=dumps(document),
        card=card,
        kind=kind,
    )


def as_stored(saved):
    row = SavedScenario.objects.get(pk=saved.pk)
    return (row.document_json, row.card, row.revision, row.name)


def saved_or_unchanged(saved, before, response):
    """A save that went through stored a good document; any other left the item as it was."""
    if response.status_code in (204, 302) and as_stored(saved)[2] == before[2] + 1:
        assert_nothing_stored_wrong()
    else:
        assert as_stored(saved) == before


@hostile
@given(st.data(), HOW, st.booleans())
def test_saving_over_a_saved_item_stores_good_data_or_leaves_it_as_it_was(data, how, estimate):
    client, user = owner_client()
    if estimate:
        saved = stored(user, ESTIMATE, SavedScenario.ESTIMATE)
        form = estimate_data(ESTIMATE, "default", revision=saved.revision)
        post = data.draw(editor_post([form], ["save"], ESTIMATE_EXTRA))
    else:
        document = BY_SLUG["contact-centre"].document
        saved = stored(user, document)
        form = document_data(document, "default", revision=saved.revision)
        post = data.draw(editor_post([form], ["save"], EDITOR_EXTRA))
    before = as_stored(saved)
    response = send(client, "saved edit and save", f"/s/{saved.share_key}/edit/", post, how)
    assert response.status_code in ANSWERS
    saved_or_unchanged(saved, before, response)


@hostile
@given(hostile_text)
def test_renaming_stores_a_name_that_is_text_or_says_why_not(name):
    client, user = owner_client()
    saved = stored(user, BY_SLUG["ivr-only"].document)
    before = as_stored(saved)
    response = answered("rename", client.post_form(f"/s/{saved.share_key}/rename/", {"name": name}))
    assert response.status_code in (200, 302)
    if response.status_code == 302:
        # A form post's bytes that are not UTF-8 are read as U+FFFD, as a browser's are.
        assert (
            as_stored(saved)[3]
            == name.encode("utf-8", "surrogatepass").decode("utf-8", "replace").strip()
        )
        assert_nothing_stored_wrong()
    else:
        assert as_stored(saved) == before
