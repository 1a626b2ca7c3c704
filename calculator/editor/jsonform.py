"""Forms sent as JSON: the page's script sends the live forms' fields as one JSON object
rather than URL-encoded pairs (static/js/app.js, extension `json-form`). The editor sends some
200 fields on every keystroke, and reading them into a QueryDict was a tenth of a live
update's time; a dict of the decoded object costs next to nothing."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

from billing.engine import ScenarioError
from billing.engine.jsonio import loads

View = Callable[..., HttpResponse]


def accepts_json_form(view: View) -> View:
    """A view whose form may come as JSON: its POST is then that object, read as any form is.
    Only a request that says so (`X-Form-Encoding: json`) is read this way. CSRF is checked
    before the view, against the token the page sends in its X-CSRFToken header."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = read_json_form(request)
        return refused if refused is not None else view(request, *args, **kwargs)

    return wrapper


# Set in request.META once the JSON body is request.POST: what a caller changes in it then
# (the CSRF failure view drops the action) is not read over again.
READ = "calculator.json_form_read"


def read_json_form(request: HttpRequest) -> HttpResponse | None:
    """A JSON form's fields made request.POST, once; a 400 answer if they cannot be read."""
    if (
        request.method != "POST"
        or request.content_type != "application/json"
        or request.headers.get("X-Form-Encoding") != "json"
        or request.META.get(READ)
    ):
        return None
    try:
        body = request.body
    except RequestDataTooBig:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        fields: JsonFields | str = f"it is over {limit / 1_000_000:g} MB."
    else:
        fields = form_fields(body)
    if isinstance(fields, str):
        return HttpResponseBadRequest(
            f"The form could not be read: {fields}", content_type="text/plain"
        )
    request.POST = fields  # type: ignore[assignment]
    request.META[READ] = True
    return None


class JsonFields(dict[str, str]):
    """A form's fields sent as JSON, read as a form's POST is: `get` gives a field's (last)
    text, `getlist` all of them. A plain dict underneath, so reading is at dict speed."""

    def __init__(self, texts: dict[str, str], lists: dict[str, list[str]]) -> None:
        super().__init__(texts)
        self.lists = lists

    def copy(self) -> JsonFields:
        return JsonFields(dict(self), {key: list(texts) for key, texts in self.lists.items()})

    def pop(self, key: str, *default: Any) -> Any:
        self.lists.pop(key, None)
        return super().pop(key, *default)

    def getlist(self, key: str, default: list[str] | None = None) -> list[str]:
        if key in self.lists:
            return list(self.lists[key])
        if key in self:
            return [self[key]]
        return [] if default is None else default


def form_fields(body: bytes) -> JsonFields | str:
    """A JSON object of field names to a text or a list of texts, or what is wrong with it.
    The body is read as every JSON document is (billing.engine.jsonio.loads): a field whose
    text is not text (a lone surrogate, which no page can show again, or NUL) is refused
    here, naming the field, before any form sees it."""
    try:
        data = loads(body, max_bytes=settings.DATA_UPLOAD_MAX_MEMORY_SIZE, max_depth=2)
    except ScenarioError as error:
        return "; ".join(str(problem) for problem in error.problems) + "."
    if not isinstance(data, dict):
        return "the body must be a JSON object of field names and values."
    # Every value counts, as in a URL-encoded form: a list as many as it holds.
    count = sum(len(v) if type(v) is list else 1 for v in data.values())
    if count > settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:
        return f"more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS:,} fields."
    lists: dict[str, list[str]] = {}
    for name, value in data.items():
        if type(value) is not str:
            if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                return f"the value of {name!r} must be text or a list of texts."
            lists[name] = value
    for name, values in lists.items():  # a list reads as its last text, as in a form's POST
        if values:
            data[name] = values[-1]
        else:
            del data[name]
    return JsonFields(data, lists)
