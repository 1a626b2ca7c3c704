"""The editor's state for one request: bound forms, the priced quote, what to render."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from billing.cards import CardDirectory
from billing.engine import Quote, RateCard, ScenarioError, compare_models
from billing.service import price_document
from calculator import charts
from calculator.forms import (
    ACTION,
    BulkAddForm,
    Editor,
    act,
    document_data,
    scenario_of,
    sections_of,
)
from calculator.models import SavedScenario
from calculator.presets import BLANK, BY_SLUG


@dataclass
class Workspace:
    """What the editor and compare pages show: the bound forms and, when valid, the quote.

    `saved` is the saved scenario being edited, if any: its document fills the form on GET and
    its pinned rate card prices it while the form still names that card.
    """

    editor: Editor
    bulk: BulkAddForm | None
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
        bulk = None  # the empty form is made only for a page that draws it
        if request.method == "POST" and initial is None:
            requested = request.POST.get("action", "")
            action = requested if ACTION.match(requested) else ""
            if action == "bulk":
                bulk = BulkAddForm(request.POST, prefix="bulk")
            data: Mapping[str, Any] = request.POST
        elif saved is not None:
            data = document_data(saved.document, default, revision=saved.revision)
        else:
            preset = BY_SLUG.get(request.GET.get("template", ""))
            data = document_data(initial or (preset.document if preset else BLANK), default)
        rows = sections_of(data)
        act(rows, action, bulk)
        cards = CardDirectory()
        editor = Editor.bind(scenario_of(data), rows, cards.choices())
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

    def context(self, results_only: bool = False) -> dict[str, Any]:
        """What the editor page shows; `results_only` leaves out the inputs' forms, which only
        the whole page and its editor part draw."""
        context: dict[str, Any] = {
            "editor": self.editor,
            "quote": self.quote,
            "errors": self.editor.all_errors(),
            "field_errors": self.editor.field_errors(),
            "saved": self.saved,
        }
        if not results_only:
            context.update(
                form=self.editor.form,
                sections=self.editor.sections,
                bulk=self.bulk or BulkAddForm(prefix="bulk"),
            )
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
    results_only = False
    if request.htmx and workspace.action not in ("save", "save-copy"):
        # Typing re-renders the results; adding or removing rows re-renders the editor.
        results_only = not workspace.action
        template += "#results" if results_only else "#editor"
    return TemplateResponse(request, template, workspace.context(results_only))
