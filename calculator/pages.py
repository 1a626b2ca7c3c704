"""The pages that are no editor and no saved item's: the start page, the rules, health, and
what a page whose security token went stale is answered."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import REASON_BAD_ORIGIN, get_token
from django.template.response import TemplateResponse
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_GET

from billing.engine import Meter, Model
from billing.engine.scenario import ENDPOINT_LABELS
from calculator.editor.presets import PRESETS
from calculator.rules import worked_examples
from calculator.saved.access import mine_for


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and for `make bench`'s minimal view: no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    saved = mine_for(request)[:12]
    return TemplateResponse(request, "start.html", {"presets": PRESETS, "saved": saved})


@require_GET
def rules(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request,
        "rules.html",
        {
            "examples": worked_examples(),
            "meters": list(Meter),
            "models": list(Model),
            "endpoints": ENDPOINT_LABELS,
        },
    )


@require_GET
def csrf_token(request: HttpRequest) -> HttpResponse:
    """A fresh CSRF token, for a page whose token went stale because its user signed in or
    out in another tab (which rotates it): the page's script asks once, then retries."""
    response = JsonResponse({"token": get_token(request)})
    response["Cache-Control"] = "no-store"
    return response


# The editors: a form of theirs refused only for a stale token comes back with what was typed.
EDITORS = ("editor", "saved-edit", "estimate-new")


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW. A live update (htmx) is told so in a header, and the page's script
    gets a fresh token and retries. An editor's own form posted from this site with a stale
    token (a Save, or any post without JavaScript) comes back as the editor with everything
    typed and nothing done, saying what happened; anything else gets a page saying what to
    do. A post from another site never gets the editor: it could be a forged one."""
    if request.headers.get("HX-Request"):
        response = HttpResponse(
            "The page's security token expired (signed in or out in another tab?).",
            status=403,
            content_type="text/plain",
        )
        response["X-CSRF-Failure"] = "1"
        return response
    try:
        match = resolve(request.path_info)
    except Resolver404:
        match = None
    if (
        match is not None
        and match.url_name in EDITORS
        and not reason.startswith(REASON_BAD_ORIGIN.split("%")[0])
        and _same_origin(request)
    ):
        posted = request.POST.copy()
        posted.pop("action", None)
        request.POST = posted  # type: ignore[assignment]
        messages.warning(
            request,
            "Not saved yet: you signed in or out in another tab, which changed this page's "
            "security token. Everything you typed is below; save again to keep it.",
        )
        response = match.func(request, *match.args, **match.kwargs)
        response.status_code = 403
        return response
    return TemplateResponse(request, "csrf_failure.html", status=403)


def _same_origin(request: HttpRequest) -> bool:
    """The request says it comes from a page of this site (browsers send Origin with a
    form's POST)."""
    origin = request.headers.get("Origin", "")
    return bool(origin) and origin == f"{request.scheme}://{request.get_host()}"
