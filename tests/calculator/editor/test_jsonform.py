"""The JSON form reader (calculator/editor/jsonform.py), called directly: a form sent as one
JSON object becomes the view's POST exactly as the same fields sent URL-encoded would, and
what cannot be read so is refused with a 400 naming why, before the view runs."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest
from django.http import HttpRequest, HttpResponse, QueryDict
from django.test import RequestFactory

from calculator.editor.jsonform import JsonFields, accepts_json_form, form_fields
from calculator.editor.presets import BY_SLUG
from calculator.editor.scenario import document_data

FACTORY = RequestFactory()
JSON_FORM = {"HTTP_X_FORM_ENCODING": "json"}

# Fields as the editor's page sends them (a template's form, an action), with what a URL
# encoding must escape, text beyond ASCII, an empty value, a repeated field (sent as a list)
# and a field with no values at all.
FIELDS: dict[str, Any] = {
    **document_data(BY_SLUG["conference"].document, "default"),
    "action": "add:p",
    "name": "Zoë & Co = 1+1; 名前 / ?%",
    "currency": "",
    "repeated": ["first", "", "last"],
    "none-sent": [],
}


class Recorder:
    """A view that keeps the request it was given."""

    def __init__(self) -> None:
        self.requests: list[HttpRequest] = []

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.requests.append(request)
        return HttpResponse("the view ran")

    @property
    def post(self) -> Any:
        (request,) = self.requests
        return request.POST


def send(body: bytes | str, content_type: str = "application/json", **headers: Any):
    """(the wrapped view's response, the view) for a POST of `body`."""
    view = Recorder()
    # (CONTENT_TYPE given also when the body is empty, which the factory would leave out.)
    request = FACTORY.generic(
        "POST", "/editor/", body, content_type=content_type, CONTENT_TYPE=content_type, **headers
    )
    return accepts_json_form(view)(request), view


def as_urlencoded(fields: dict[str, Any]) -> QueryDict:
    """The POST Django reads from the same fields sent as a browser sends a form."""
    body = urlencode(fields, doseq=True)
    return FACTORY.post("/editor/", body, content_type="application/x-www-form-urlencoded").POST


def refusal(body: bytes | str) -> str:
    """The message of a body's refusal, checked to be a plain-text 400 the view never saw."""
    response, view = send(body, **JSON_FORM)
    assert response.status_code == 400
    assert response["Content-Type"] == "text/plain"
    assert view.requests == []
    text = response.content.decode()
    prefix = "The form could not be read: "
    assert text.startswith(prefix)
    return text.removeprefix(prefix)


# -- Read as a form --------------------------------------------------------------------------


def assert_reads_alike(post: Any, form: QueryDict) -> None:
    assert set(post) == set(form)
    assert len(post) == len(form)
    assert dict(post.items()) == dict(form.items())
    for key in [*form, "never-sent"]:
        assert post.get(key) == form.get(key), key
        assert post.getlist(key) == form.getlist(key), key
        assert (key in post) == (key in form), key
    assert post.get("never-sent", "fallback") == form.get("never-sent", "fallback")
    assert post.getlist("never-sent", ["fallback"]) == form.getlist("never-sent", ["fallback"])


@pytest.mark.parametrize("ensure_ascii", [True, False], ids=["escaped", "raw-utf8"])
def test_a_json_body_becomes_the_post_that_the_same_fields_urlencoded_would(ensure_ascii):
    response, view = send(json.dumps(FIELDS, ensure_ascii=ensure_ascii), **JSON_FORM)
    assert response.status_code == 200
    assert response.content == b"the view ran"
    post = view.post
    assert isinstance(post, JsonFields)
    assert_reads_alike(post, as_urlencoded(FIELDS))
    # The parts spelled out, in case both sides were wrong alike.
    assert post["name"] == "Zoë & Co = 1+1; 名前 / ?%"
    assert post.get("repeated") == "last"
    assert post.getlist("repeated") == ["first", "", "last"]
    assert "none-sent" not in post
    assert post.getlist("none-sent") == []
    assert post.get("p-0-name") == FIELDS["p-0-name"]


def test_getlist_gives_a_copy_as_a_query_dict_does():
    fields = form_fields(b'{"a": ["x", "y"], "b": "z"}')
    assert isinstance(fields, JsonFields)
    fields.getlist("a").append("changed")
    fields.getlist("b").append("changed")
    assert fields.getlist("a") == ["x", "y"]
    assert fields.getlist("b") == ["z"]


def test_an_empty_object_is_a_form_with_no_fields():
    response, view = send("{}", **JSON_FORM)
    assert response.status_code == 200
    assert dict(view.post) == {}
    assert view.post.get("action", "") == ""
    assert view.post.getlist("action") == []
    assert_reads_alike(view.post, as_urlencoded({}))


def test_a_repeated_name_keeps_its_last_value_as_a_forms_get_does():
    """JSON's own reading of duplicate names: the last wins. `get` then reads as the form
    `a=1&a=2` does; the earlier values are gone (the page sends a repeated field as a list,
    never as duplicate names)."""
    fields = form_fields(b'{"a": "1", "b": "x", "a": "2"}')
    assert isinstance(fields, JsonFields)
    assert fields.get("a") == as_urlencoded({"a": ["1", "2"]}).get("a") == "2"
    assert fields.getlist("a") == ["2"]
    assert fields.get("b") == "x"


def test_a_charset_on_the_content_type_is_still_json():
    response, view = send(
        json.dumps({"a": "1"}), content_type="application/json; charset=utf-8", **JSON_FORM
    )
    assert response.status_code == 200
    assert view.post.get("a") == "1"


def test_the_wrapper_keeps_the_views_name_and_passes_its_arguments():
    seen: list[tuple[Any, ...]] = []

    def saved_edit(request: HttpRequest, share_key: str, *, token: str = "") -> HttpResponse:
        seen.append((request.POST.get("a"), share_key, token))
        return HttpResponse()

    wrapped = accepts_json_form(saved_edit)
    assert wrapped.__name__ == "saved_edit"
    request = FACTORY.post("/s/k/edit/", '{"a": "1"}', content_type="application/json", **JSON_FORM)
    wrapped(request, "k", token="t")
    assert seen == [("1", "k", "t")]


# -- Left alone ------------------------------------------------------------------------------


def test_a_urlencoded_form_is_left_to_django_even_with_the_header():
    body = urlencode({"a": "1", "b": ["x", "y"]}, doseq=True)
    response, view = send(body, content_type="application/x-www-form-urlencoded", **JSON_FORM)
    assert response.status_code == 200
    assert isinstance(view.post, QueryDict)
    assert view.post.getlist("b") == ["x", "y"]


def test_a_json_body_without_the_header_is_not_read_as_a_form():
    """The API's bodies are documents, not forms: only a request that says so is read."""
    response, view = send(json.dumps({"a": "1"}))
    assert response.status_code == 200
    assert isinstance(view.post, QueryDict)
    assert "a" not in view.post


@pytest.mark.parametrize("value", ["", "JSON", "urlencoded", "json "])
def test_only_the_header_value_json_asks_for_it(value):
    response, view = send(json.dumps({"a": "1"}), HTTP_X_FORM_ENCODING=value)
    assert response.status_code == 200
    assert "a" not in view.post


def test_a_body_that_could_not_be_read_is_left_alone_without_the_header():
    """Nothing is refused that was not asked to be read: the view gets the request."""
    response, view = send(b"{not json")
    assert response.status_code == 200
    assert view.requests


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete"])
def test_other_methods_are_left_alone(method):
    view = Recorder()
    request = FACTORY.generic(
        method.upper(), "/editor/", '{"a": "1"}', content_type="application/json", **JSON_FORM
    )
    assert accepts_json_form(view)(request).status_code == 200
    assert "a" not in view.post


# -- Refused, with the reason ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # Not text: an invalid UTF-8 byte, and a surrogate written as UTF-8 bytes (CESU-8).
        (b'{"a": "\xff"}', "the document is not UTF-8 text."),
        (b'{"a": "\xed\xa0\x80"}', "the document is not UTF-8 text."),
        # Lone surrogates and NUL escaped in JSON, in a value, a list and a name.
        (
            b'{"a": "\\ud800"}',
            "a: is not valid text: it contains a lone surrogate (U+D800).",
        ),
        (
            b'{"a": ["ok", "\\udfff"]}',
            "a[1]: is not valid text: it contains a lone surrogate (U+DFFF).",
        ),
        (
            b'{"\\udc00": "x"}',
            "\\udc00: the name is not valid text: it contains a lone surrogate (U+DC00).",
        ),
        (b'{"a": "x\\u0000"}', "a: must not contain NUL characters (U+0000)."),
        # Not JSON, or not an object.
        (b"", "the document is empty; expected a JSON document."),
        (b"  \n", "the document is empty; expected a JSON document."),
        (b"{not json", "not valid JSON: Expecting property name enclosed in double quotes"),
        (b'{"a": NaN}', "not valid JSON: NaN is not a number JSON allows."),
        (b'["a", "b"]', "the body must be a JSON object of field names and values."),
        (b'"a=1"', "the body must be a JSON object of field names and values."),
        (b"null", "the body must be a JSON object of field names and values."),
        # Nested deeper than a form's fields can be: an object (0) of lists (1) of texts.
        (b'{"a": [["x"]]}', "a[0]: is nested too deeply: at most 2 levels of objects and lists."),
        (b'{"a": {"b": {}}}', "a.b: is nested too deeply: at most 2 levels of objects and lists."),
        (
            b"[" * 100_000 + b"]" * 100_000,
            "the document is nested too deeply: at most 2 levels of objects and lists.",
        ),
        # Values that are not text nor a list of texts.
        (b'{"a": 5}', "the value of 'a' must be text or a list of texts."),
        (b'{"a": 2.5}', "the value of 'a' must be text or a list of texts."),
        (b'{"a": true}', "the value of 'a' must be text or a list of texts."),
        (b'{"a": false}', "the value of 'a' must be text or a list of texts."),
        (b'{"a": null}', "the value of 'a' must be text or a list of texts."),
        (b'{"a": {}}', "the value of 'a' must be text or a list of texts."),
        (b'{"a": {"b": "c"}}', "the value of 'a' must be text or a list of texts."),
        (b'{"ok": "1", "a": ["x", 1]}', "the value of 'a' must be text or a list of texts."),
        (b'{"a": [null]}', "the value of 'a' must be text or a list of texts."),
        (b'{"a": [true]}', "the value of 'a' must be text or a list of texts."),
        # A number out of every field's bounds is named as such first.
        (b'{"a": 1e999}', "a: is too large: at most 20 digits before the decimal point."),
    ],
)
def test_a_body_that_cannot_be_read_is_refused_naming_why(body, message):
    assert refusal(body).startswith(message)
    assert form_fields(body) == refusal(body)


def test_a_whole_surrogate_pair_is_text():
    response, view = send(b'{"a": "\\ud83d\\ude00"}', **JSON_FORM)
    assert response.status_code == 200
    assert view.post["a"] == "\U0001f600"


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = json.dumps({"name": "x" * 2_000})
    assert refusal(body) == "it is over 0.001 MB."


def test_a_body_at_the_size_limit_is_read(settings):
    body = json.dumps({"name": "x" * 990})
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = len(body)
    response, view = send(body, **JSON_FORM)
    assert response.status_code == 200
    assert len(view.post["name"]) == 990


def test_a_body_over_the_limit_with_no_length_declared_is_refused_when_read(settings):
    """Django refuses a body by its Content-Length, and one that declares none (chunked) by
    what it holds."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    view = Recorder()
    body = json.dumps({"name": "x" * 2_000})
    request = FACTORY.post("/editor/", body, content_type="application/json", **JSON_FORM)
    del request.META["CONTENT_LENGTH"]  # the stream still holds the whole body
    response = accepts_json_form(view)(request)
    assert response.status_code == 400
    assert view.requests == []
    assert response.content.decode() == "The form could not be read: it is over 0.001 MB."


def test_the_reader_counts_the_bytes_itself(settings):
    """form_fields is given bytes already read; it refuses too many of them on its own."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    assert form_fields(json.dumps({"name": "x" * 2_000}).encode()) == (
        "the document is 2,012 bytes; at most 1,000 bytes (0.001 MB) are accepted."
    )
    assert isinstance(form_fields(json.dumps({"name": "x" * 988}).encode()), JsonFields)


def test_more_fields_than_allowed_are_refused(settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    assert refusal(json.dumps({"a": "", "b": "", "c": "", "d": ""})) == "more than 3 fields."
    response, view = send(json.dumps({"a": "", "b": "", "c": ""}), **JSON_FORM)
    assert response.status_code == 200
    assert len(view.post) == 3


def test_the_default_limit_on_fields_is_named_with_its_thousands(settings):
    limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    body = json.dumps({str(n): "" for n in range(limit + 1)})
    assert refusal(body) == f"more than {limit:,} fields."


def test_the_values_of_a_list_count_as_fields_as_a_urlencoded_form_counts_them(settings):
    """A urlencoded form of four values of one field is over a limit of three (Django's
    TooManyFieldsSent, a 400); the same four values as a JSON list must be too."""
    from django.core.exceptions import TooManyFieldsSent

    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 3
    with pytest.raises(TooManyFieldsSent):
        as_urlencoded({"a": ["1", "2", "3", "4"]})
    assert refusal(json.dumps({"a": ["1", "2", "3", "4"]})) == "more than 3 fields."
    assert refusal(json.dumps({"a": ["1", "2"], "b": "", "c": ""})) == "more than 3 fields."
    # An empty list sends nothing, as in a form.
    response, view = send(json.dumps({"a": ["1", "2"], "b": "", "c": []}), **JSON_FORM)
    assert response.status_code == 200
    assert view.post.getlist("a") == ["1", "2"]


# -- After a refused CSRF token --------------------------------------------------------------


@pytest.mark.django_db
def test_a_json_form_refused_for_its_csrf_token_is_not_acted_on():
    """CSRF_FAILURE_VIEW (calculator.pages.csrf_failure) answers an editor's own form, posted
    from this site with a stale token, with the editor "with everything typed and nothing
    done": it drops the form's `action` from request.POST before running the editor. A form
    sent as JSON (without htmx's header, which gets a plain 403 instead) has no POST for it
    to drop the action from: the editor's accepts_json_form reads the body again, action
    and all, and the save the CSRF check refused is made."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.cookie import CookieStorage
    from django.contrib.sessions.backends.db import SessionStore
    from django.middleware.csrf import REASON_CSRF_TOKEN_MISSING

    from calculator.models import SavedScenario
    from calculator.pages import csrf_failure

    fields = {**document_data(BY_SLUG["ivr-only"].document, "default"), "action": "save"}
    request = FACTORY.post(
        "/editor/",
        json.dumps(fields),
        content_type="application/json",
        HTTP_ORIGIN="http://testserver",
        **JSON_FORM,
    )
    request.session = SessionStore()
    request.user = AnonymousUser()
    request._messages = CookieStorage(request)  # as MessageMiddleware sets it
    response = csrf_failure(request, REASON_CSRF_TOKEN_MISSING)
    assert response.status_code == 403
    assert not SavedScenario.objects.exists()
    assert "Location" not in response
