"""The editor's state for one request: bound forms, the priced quote, what to render."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from billing.cards import CardDirectory
from billing.engine import Quote, RateCard, ScenarioError, compare_models
from billing.service import price_document
from calculator import charts
from calculator.forms import ACTION, BulkAddForm, Editor, apply_action, document_data
from calculator.models import SavedScenario
from calculator.presets import BLANK, BY_SLUG


@dataclass
class Workspace:
    """What the editor and compare pages show: the bound forms and, when valid, the quote.

    `saved` is the saved scenario being edited, if any: its document fills the form on GET and
    its pinned rate card prices it while the form still names that card.
    """

    editor: Editor
    bulk: BulkAddForm
    quote: Quote | None
    action: str
    cards: CardDirectory
    saved: SavedScenario | None = None
    document: dict[str, Any] | None = None

    @classmethod
    def from_request(
        cls,
        request: HttpRequest,
        saved: SavedScenario | None = None,
        initial: dict[str, Any] | None = None,
    ) -> Workspace:
        default = settings.DEFAULT_RATE_CARD
        action = ""
        bulk = BulkAddForm(prefix="bulk")
        if request.method == "POST" and initial is None:
            requested = request.POST.get("action", "")
            action = requested if ACTION.match(requested) else ""
            if action == "bulk":
                bulk = BulkAddForm(request.POST, prefix="bulk")
            data: dict[str, str] = apply_action(request.POST, action, bulk)
        elif saved is not None:
            data = document_data(saved.document, default, revision=saved.revision)
        else:
            preset = BY_SLUG.get(request.GET.get("template", ""))
            document = initial or (preset.document if preset else BLANK)
            data = document_data(document, default)
        cards = CardDirectory()
        editor = Editor.bind(data, cards.choices())
        workspace = cls(editor, bulk, None, action, cards, saved)
        if editor.is_valid():
            workspace.document = editor.document(default)
            try:
                workspace.quote = price_document(workspace.document, cards, workspace.pinned)
            except ScenarioError as error:
                editor.add_problems(error.problems)
        return workspace

    @property
    def pinned(self) -> RateCard | None:
        return self.saved.pinned_card if self.saved is not None else None

    def context(self) -> dict[str, Any]:
        context: dict[str, Any] = {
            "editor": self.editor,
            "form": self.editor.form,
            "sections": self.editor.sections,
            "bulk": self.bulk,
            "quote": self.quote,
            "errors": self.editor.all_errors(),
            "field_errors": self.editor.field_errors(),
            "saved": self.saved,
        }
        if self.quote is not None:
            context.update(quote_context(self.quote))
        return context


def quote_context(quote: Quote) -> dict[str, Any]:
    """What the results show of a quote: lines, figures, their tables, the other models."""
    monthly = {line.meter: line for line in quote.monthly.lines}
    rows = charts.group_rows(charts.timeline_rows(quote))
    steps = charts.connected_steps(quote)
    return {
        "quote": quote,
        "lines": [(line, monthly.get(line.meter)) for line in quote.per_session.lines],
        "figures": {
            "timeline": charts.timeline(rows),
            "concurrency": charts.concurrency(quote, steps),
            "costs": charts.costs(quote),
        },
        "timeline_table": charts.timeline_table(rows),
        "steps_table": charts.steps_table(steps),
        "models": compare_models(quote.scenario, quote.card, quote),
    }


def render_workspace(request: HttpRequest, workspace: Workspace) -> HttpResponse:
    template = "editor.html"
    if request.htmx and workspace.action not in ("save", "save-copy"):
        # Typing re-renders the results; adding or removing rows re-renders the editor.
        template += "#editor" if workspace.action else "#results"
    return TemplateResponse(request, template, workspace.context())
