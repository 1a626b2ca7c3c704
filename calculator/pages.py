"""The pages that are no saved item's: the start page, the editors of a new scenario and a new
estimate, the models compared, the rules, health, and the answer to a page whose security
token went stale. (A saved item's pages are calculator/saved/views.py's.)"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import REASON_BAD_ORIGIN, get_token
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import Resolver404, resolve
from django.views.decorators.http import require_http_methods, require_safe

from billing.engine import Meter, Model, ScenarioError
from billing.engine.meters import meter_order
from billing.engine.pricing import headcounts, model_curves
from billing.engine.scenario import ENDPOINT_LABELS
from calculator import charts
from calculator.editor.estimate import EstimateWorkspace
from calculator.editor.jsonform import accepts_json_form, read_json_form
from calculator.editor.presets import PRESETS
from calculator.editor.workspace import ScenarioWorkspace, Workspace
from calculator.rules import group_example, rounding_example, worked_examples
from calculator.saved.access import mine_for, my_scenarios
from calculator.saved.saving import (
    SAVE_ACTIONS,
    redirect_to_editor,
    save_new,
    too_many_form_saves,
)


@require_safe
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and for `make bench`'s minimal view: no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask of pages that name no icon (the admin's): the app's
    icon, where its own pages link it."""
    return redirect(static("favicon.svg"), permanent=True)


@require_safe
def start(request: HttpRequest) -> HttpResponse:
    saved = mine_for(request)[:12]
    return TemplateResponse(request, "start.html", {"presets": PRESETS, "saved": saved})


def answer(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    """A new item's editor answered: saved (and on to its own editor) or the page again."""
    if workspace.action in SAVE_ACTIONS:
        saved = save_new(request, workspace)
        if saved is not None:
            return redirect_to_editor(request, saved)
    return workspace.render(request)


@require_http_methods(["GET", "POST"])
@accepts_json_form
def editor(request: HttpRequest) -> HttpResponse:
    if limited := too_many_form_saves(request):
        return limited
    return answer(request, ScenarioWorkspace.from_request(request))


@require_http_methods(["GET", "POST"])
@accepts_json_form
def new_estimate(request: HttpRequest) -> HttpResponse:
    if limited := too_many_form_saves(request):
        return limited
    return answer(request, EstimateWorkspace.from_request(request, mine=my_scenarios(request)))


@require_http_methods(["GET", "POST"])
def compare(request: HttpRequest) -> HttpResponse:
    workspace = ScenarioWorkspace.from_request(request)
    context: dict[str, Any] = workspace.context()
    if workspace.quote is not None:
        quote = workspace.quote
        counts = headcounts(quote.scenario)
        curves, crossovers = model_curves(quote.scenario, quote.card, counts)
        context["curves_figure"] = charts.model_curves(
            counts, curves, crossovers, quote.card.currency
        )
        context["crossovers"] = crossovers
        # A model that bills nothing only because nobody publishes is not cheaper: its zero
        # comes from missing input.
        priced = [
            q
            for _, q in context["models"]
            if not isinstance(q, ScenarioError) and not q.usage.wants_publishers
        ]
        if priced:
            context["cheapest"] = min(priced, key=lambda q: q.monthly.total).scenario.model
        context["wanting"] = [
            model
            for model, q in context["models"]
            if not isinstance(q, ScenarioError) and q.usage.wants_publishers
        ]
        quotes = [q for _, q in context["models"]]
        context["meters"] = meter_order(
            line.meter
            for q in quotes
            if not isinstance(q, ScenarioError)
            for line in q.per_session.lines
        )
        # Fees (a session's) and what a month adds beyond its meters (monthly fees, the
        # minimum): each model's column adds up to its totals.
        labels = {
            e.key: e.label
            for q in quotes
            if not isinstance(q, ScenarioError)
            for e in q.per_session.extras
        }
        context["session_extras"] = [
            (
                label,
                [
                    None
                    if isinstance(q, ScenarioError)
                    else next((e.amount for e in q.per_session.extras if e.key == key), None)
                    for q in quotes
                ],
            )
            for key, label in labels.items()
        ]
        month_extras = [
            None
            if isinstance(q, ScenarioError)
            else sum((e.amount for e in q.monthly.extras if e.kind == "fee"), Decimal(0))
            for q in quotes
        ]
        minimums = [
            None
            if isinstance(q, ScenarioError)
            else sum((e.amount for e in q.monthly.extras if e.kind == "minimum"), Decimal(0))
            for q in quotes
        ]
        context["month_fees"] = month_extras if any(month_extras) else None
        context["month_minimums"] = minimums if any(minimums) else None
    return TemplateResponse(request, "compare.html", context)


@require_safe
def rules(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request,
        "rules.html",
        {
            "examples": worked_examples(),
            "group": group_example(),
            "rounding_cases": rounding_example(),
            "meters": list(Meter),
            "models": list(Model),
            "endpoints": ENDPOINT_LABELS,
        },
    )


@require_safe
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
        if read_json_form(request) is not None:
            return TemplateResponse(request, "csrf_failure.html", status=403)
        posted = request.POST.copy()
        posted.pop("action", None)
        request.POST = posted  # type: ignore[assignment]
        messages.warning(
            request,
            "Not saved yet: you signed in or out in another tab, which changed this page's "
            "security token. Everything you typed is below; save again to keep it.",
        )
        editor: HttpResponse = match.func(request, *match.args, **match.kwargs)
        editor.status_code = 403
        return editor
    return TemplateResponse(request, "csrf_failure.html", status=403)


def _same_origin(request: HttpRequest) -> bool:
    """The request says it comes from a page of this site (browsers send Origin with a
    form's POST)."""
    origin = request.headers.get("Origin", "")
    return bool(origin) and origin == f"{request.scheme}://{request.get_host()}"
