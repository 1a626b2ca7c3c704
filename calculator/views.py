"""Pages. Views translate HTTP; the engine prices; forms turn strings into values."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.http import require_GET, require_http_methods

from billing.cards import CardDirectory
from billing.engine import Meter, Model, Quote, ScenarioError, compare_models
from billing.engine.scenario import ENDPOINT_LABELS
from billing.service import price_document
from calculator import charts
from calculator.forms import ACTION, BulkAddForm, Editor, apply_action, document_data
from calculator.presets import BLANK, BY_SLUG, PRESETS


@dataclass
class Workspace:
    """What the editor and compare pages show: the bound forms and, when valid, the quote."""

    editor: Editor
    bulk: BulkAddForm
    quote: Quote | None
    action: str

    @classmethod
    def from_request(cls, request: HttpRequest) -> Workspace:
        default = settings.DEFAULT_RATE_CARD
        action = ""
        bulk = BulkAddForm(prefix="bulk")
        if request.method == "POST":
            requested = request.POST.get("action", "")
            action = requested if ACTION.match(requested) else ""
            if action == "bulk":
                bulk = BulkAddForm(request.POST, prefix="bulk")
            data: dict[str, str] = apply_action(request.POST, action, bulk)
        else:
            preset = BY_SLUG.get(request.GET.get("template", ""))
            data = document_data(preset.document if preset else BLANK, default)
        cards = CardDirectory()
        editor = Editor.bind(data, cards.choices())
        quote = None
        if editor.is_valid():
            try:
                quote = price_document(editor.document(default), cards)
            except ScenarioError as error:
                editor.add_problems(error.problems)
        return cls(editor, bulk, quote, action)

    def context(self) -> dict[str, Any]:
        quote = self.quote
        context: dict[str, Any] = {
            "editor": self.editor,
            "form": self.editor.form,
            "sections": self.editor.sections,
            "bulk": self.bulk,
            "quote": quote,
            "errors": self.editor.all_errors(),
            "field_errors": self.editor.field_errors(),
        }
        if quote is not None:
            monthly = {line.meter: line for line in quote.monthly.lines}
            context.update(
                lines=[(line, monthly.get(line.meter)) for line in quote.per_session.lines],
                figures={
                    "timeline": charts.timeline(quote),
                    "concurrency": charts.concurrency(quote),
                    "costs": charts.costs(quote),
                },
                timeline_table=charts.timeline_table(
                    charts.group_rows(charts.timeline_rows(quote))
                ),
                steps_table=charts.steps_table(quote),
                models=compare_models(quote.scenario, quote.card, quote),
            )
        return context


@require_GET
def health(request: HttpRequest) -> HttpResponse:
    """For load balancers and for `make bench`'s minimal view: no database, no template."""
    return HttpResponse("ok", content_type="text/plain")


@require_GET
def start(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(request, "start.html", {"presets": PRESETS})


@require_http_methods(["GET", "POST"])
def editor(request: HttpRequest) -> HttpResponse:
    workspace = Workspace.from_request(request)
    template = "editor.html"
    if request.htmx:
        # Typing re-renders the results; adding or removing rows re-renders the editor.
        template += "#editor" if workspace.action else "#results"
    return TemplateResponse(request, template, workspace.context())


@require_http_methods(["GET", "POST"])
def compare(request: HttpRequest) -> HttpResponse:
    workspace = Workspace.from_request(request)
    context = workspace.context()
    if workspace.quote is not None:
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
