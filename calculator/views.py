"""Pages. Views translate HTTP; the engine prices; forms turn strings into values."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods

from billing.engine import Meter, Model, ScenarioError
from billing.engine.pricing import model_curves
from billing.engine.scenario import ENDPOINT_LABELS
from calculator import charts, sharing
from calculator.jsonform import accepts_json_form
from calculator.presets import PRESETS
from calculator.workspace import Workspace, render_workspace


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and for `make bench`'s minimal view: no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    saved = sharing.mine_for(request)[:12]
    return TemplateResponse(request, "start.html", {"presets": PRESETS, "saved": saved})


@require_http_methods(["GET", "POST"])
@accepts_json_form
def editor(request: HttpRequest) -> HttpResponse:
    if limited := sharing.too_many_form_saves(request):
        return limited
    workspace = Workspace.from_request(request)
    if workspace.action in ("save", "save-copy"):
        saved = sharing.save_new(request, workspace)
        if saved is not None:
            return sharing.redirect_to_editor(request, saved)
    return render_workspace(request, workspace)


@require_http_methods(["GET", "POST"])
def compare(request: HttpRequest) -> HttpResponse:
    workspace = Workspace.from_request(request)
    context = workspace.context()
    if workspace.quote is not None:
        quote = workspace.quote
        people = len(quote.scenario.participants)
        counts = list(range(1, min(60, max(12, 3 * people)) + 1))
        curves, crossovers = model_curves(quote.scenario, quote.card, counts)
        context["curves_figure"] = charts.model_curves(
            counts, curves, crossovers, quote.card.currency
        )
        context["crossovers"] = crossovers
        priced = [q for _, q in context["models"] if not isinstance(q, ScenarioError)]
        context["cheapest"] = min(priced, key=lambda q: q.monthly.total).scenario.model
        context["meters"] = [
            meter
            for meter in Meter
            if any(
                not isinstance(q, ScenarioError) and q.per_session.line(meter)
                for _, q in context["models"]
            )
        ]
    return TemplateResponse(request, "compare.html", context)


@require_GET
def rules(request: HttpRequest) -> HttpResponse:
    from calculator.rules import worked_examples

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
