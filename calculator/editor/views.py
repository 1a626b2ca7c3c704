"""The editors' pages: a new scenario, the models compared for it, a new estimate. (A saved
item's editor is calculator/saved/views.py's.)"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods

from billing.engine import Meter, ScenarioError
from billing.engine.pricing import model_curves
from calculator import charts
from calculator.editor.estimate import EstimateWorkspace
from calculator.editor.jsonform import accepts_json_form
from calculator.editor.workspace import ScenarioWorkspace, Workspace
from calculator.saved.access import my_scenarios
from calculator.saved.saving import (
    SAVE_ACTIONS,
    redirect_to_editor,
    save_new,
    too_many_form_saves,
)


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
        people = len(quote.scenario.participants)
        counts = list(range(1, min(60, max(12, 3 * people)) + 1))
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
        context["meters"] = [
            meter
            for meter in Meter
            if any(
                not isinstance(q, ScenarioError) and q.per_session.line(meter)
                for _, q in context["models"]
            )
        ]
    return TemplateResponse(request, "compare.html", context)
