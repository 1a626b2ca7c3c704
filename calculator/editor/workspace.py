"""An editor's state for one request: the fields as typed, cleaned, the priced quote when they
are valid, and what to render. `Workspace` is what every kind of editor is (scenarios here,
estimates in estimate.py): saving, the live update and the pages read only it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.http import HttpRequest
from django.template.response import TemplateResponse

from billing.cards import CardDirectory
from billing.engine import (
    EstimateQuote,
    Meter,
    Model,
    Quote,
    RateCard,
    Scenario,
    ScenarioError,
    compare_models,
    parse_scenario,
    plausibility,
)
from billing.engine.money import grouped, minor_units, money_text
from billing.engine.scenario import RateCardRef
from billing.service import price_document, price_scenario
from calculator import charts
from calculator.editor.presets import BLANK, BY_SLUG
from calculator.editor.scenario import (
    ACTION,
    EDITOR_ROWS,
    BulkAddForm,
    Editor,
    act,
    document_state,
    row_count,
    scenario_of,
    sections_of,
    typed_headcount,
)
from calculator.models import SavedScenario
from calculator.server.middleware import from_htmx


class Workspace(ABC):
    """One kind of editor's state for one request.

    A page is `template`; a live update re-renders its `results` partial, an action (adding,
    removing) its `whole` partial (both named as in the template, and the ids of the elements
    they draw)."""

    kind: ClassVar[str]  # as SavedScenario.kind
    template: ClassVar[str]
    whole: ClassVar[str]
    results: ClassVar[str]

    # Set by each kind (dataclass fields there).
    quote: Quote | EstimateQuote | None
    document: dict[str, Any] | None
    action: str
    cards: CardDirectory
    saved: SavedScenario | None

    @property
    def pinned(self) -> RateCard | None:
        """The card a saved item was saved with: it prices while the form names its card."""
        return self.saved.pinned_card if self.saved is not None else None

    @abstractmethod
    def problems(self) -> list[tuple[str, str]]:
        """(where, message) of everything that stops it being priced, in one list."""

    @abstractmethod
    def revision(self) -> int | None:
        """The saved revision the form was opened from (None for a new one)."""

    @abstractmethod
    def context(self, results_only: bool = False) -> dict[str, Any]:
        """What the page shows; `results_only`: what its results partial needs."""

    @abstractmethod
    def rate_card_ref(self) -> RateCardRef:
        """The rate card the priced document names (call when priced)."""

    def render(self, request: HttpRequest) -> TemplateResponse:
        """The page; to a live update its results; to an action the whole editor, telling
        htmx to put it there (the form's own target is its results)."""
        if not from_htmx(request) or self.action in ("save", "save-copy"):
            return TemplateResponse(request, self.template, self.context())
        if not self.action:
            return TemplateResponse(
                request, f"{self.template}#{self.results}", self.context(results_only=True)
            )
        response = TemplateResponse(request, f"{self.template}#{self.whole}", self.context())
        response["HX-Retarget"] = f"#{self.whole}"
        response["HX-Reswap"] = "outerHTML"
        return response


@dataclass
class ScenarioWorkspace(Workspace):
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
    # The id of the field to focus after adding or removing rows (see `act`).
    focus: str | None = None
    # The fields came from a post or an import, not from what is stored or a template: the
    # page holds unsaved work, which its script keeps as a draft and warns before leaving.
    unsaved: bool = False
    # More rows than the editor shows as inputs (EDITOR_ROWS): priced and shown read-only.
    too_large: bool = False
    # What an action could not do, and why (a group too large to write out as rows).
    notices: list[str] = field(default_factory=list)

    kind = SavedScenario.SCENARIO
    template = "editor.html"
    whole = "editor"
    results = "results"

    @classmethod
    def from_request(
        cls,
        request: HttpRequest,
        saved: SavedScenario | None = None,
        initial: dict[str, Any] | None = None,
        parsed: Scenario | None = None,
    ) -> ScenarioWorkspace:
        default = settings.DEFAULT_RATE_CARD
        action = ""
        bulk = None  # the empty form is made only for a page that draws it
        if request.method == "POST" and initial is None:
            requested = request.POST.get("action", "")
            action = requested if ACTION.match(requested) else ""
            if action == "bulk":
                bulk = BulkAddForm(request.POST, prefix="bulk")
            scenario, rows = scenario_of(request.POST), sections_of(request.POST)
        elif saved is not None:
            scenario, rows = document_state(saved.document, default, revision=saved.revision)
        else:
            preset = BY_SLUG.get(request.GET.get("template", ""))
            document = initial or (preset.document if preset else BLANK)
            scenario, rows = document_state(document, default)
        unsaved = request.method == "POST" or initial is not None
        cards = CardDirectory()
        if row_count(rows) > EDITOR_ROWS:
            return cls.read_only(scenario, rows, cards, saved, initial, unsaved, parsed)
        notices: list[str] = []
        focus = act(rows, action, bulk, notices)
        editor = Editor.bind(scenario, rows, cards.choices())
        editor.check_keyed_rows()
        workspace = cls(editor, bulk, None, action, cards, saved, focus=focus, unsaved=unsaved)
        workspace.notices = notices
        if editor.is_valid():
            workspace.document = editor.document(default)
            try:
                workspace.quote = price_document(workspace.document, cards, workspace.pinned)
            except ScenarioError as error:
                editor.add_problems(error.problems)
            else:
                quote = workspace.quote
                editor.add_warnings(plausibility.warnings(quote.scenario, quote.card))
        return workspace

    @classmethod
    def read_only(
        cls,
        scenario: dict[str, str],
        rows: dict[str, list[dict[str, str]]],
        cards: CardDirectory,
        saved: SavedScenario | None,
        document: dict[str, Any] | None,
        unsaved: bool,
        parsed: Scenario | None = None,
    ) -> ScenarioWorkspace:
        """A scenario with more rows than the editor shows as inputs: the stored or imported
        document priced as it is, nothing to type into (a post of that many rows is refused
        with a message instead). `parsed` is the document already read, if it was."""
        editor = Editor(scenario, rows, cards.choices())
        workspace = cls(editor, None, None, "", cards, saved, unsaved=unsaved, too_large=True)
        if saved is not None and not unsaved and isinstance(saved.parsed, Scenario):
            document, parsed = saved.document, saved.parsed
        if document is None:
            editor.general_errors.append(
                f"This scenario has {row_count(rows):,} rows; the editor shows at most "
                f"{EDITOR_ROWS:,}. Nothing was changed or saved: import its JSON to see it "
                "priced, or split it."
            )
            return workspace
        try:
            if parsed is None:
                parsed = parse_scenario(document)
            workspace.quote = price_scenario(parsed, cards, workspace.pinned)
        except ScenarioError as error:
            editor.general_errors.extend(str(problem) for problem in error.problems)
        return workspace

    def problems(self) -> list[tuple[str, str]]:
        return self.editor.all_errors()

    def base_card(self) -> RateCard | None:
        slug = self.editor.scenario.get("rate_card") or settings.DEFAULT_RATE_CARD
        pinned = self.pinned
        if pinned is not None and pinned.slug == slug:
            return pinned
        try:
            return self.cards.card(slug)
        except ScenarioError:
            return None

    def revision(self) -> int | None:
        revision: int | None = self.editor.cleaned.get("revision")
        return revision

    def rate_card_ref(self) -> RateCardRef:
        assert self.quote is not None
        return self.quote.scenario.rate_card

    def context(self, results_only: bool = False) -> dict[str, Any]:
        """What the editor page shows; `results_only` leaves out the inputs' forms, which only
        the whole page and its editor part draw."""
        context: dict[str, Any] = {
            "editor": self.editor,
            "quote": self.quote,
            "errors": self.editor.all_errors(),
            "field_errors": self.editor.field_errors(),
            "field_warnings": self.editor.warnings,
            "warnings": self.editor.warning_summary(),
            "saved": self.saved,
            "unsaved": self.unsaved,
            "too_large": self.too_large,
            "row_count": row_count(self.editor.rows),
            "headcount": typed_headcount(self.editor.rows),
            "editor_rows": EDITOR_ROWS,
            # The chosen card as stored (before the deal's own terms): its add-ons and fees
            # are offered and named, whether or not the scenario prices as typed.
            "base_card": self.base_card(),
            # A live update replaces the results alone: what else it changes comes with them
            # (htmx's out-of-band swap).
            "live": results_only,
        }
        if not results_only:
            context.update(
                notices=self.notices,
                focus=self.focus,
                form=self.editor.form,
                bulk=self.bulk or BulkAddForm(prefix="bulk"),
            )
        if self.quote is not None:
            context.update(quote_context(self.quote))
        return context


def quote_context(quote: Quote) -> dict[str, Any]:
    """What the results show of a quote: lines, figures, their tables, the other models."""
    rows = charts.timeline_rows(quote)
    steps = charts.connected_steps(quote)
    end = charts.session_end(quote)
    models = compare_models(quote.scenario, quote.card, quote)
    return {
        "quote": quote,
        "lines": line_rows(quote),
        "figures": {
            "timeline": charts.timeline(rows, end),
            "concurrency": charts.concurrency(quote, steps, end),
            "costs": charts.costs(quote),
        },
        "timeline_table": charts.timeline_table(rows),
        "steps_table": charts.steps_table(steps),
        "models": models,
        "model_rows": model_rows(quote, models),
        "card_defaults": card_defaults(quote.card),
    }


def card_defaults(card: RateCard) -> dict[str, str]:
    """What each override field of the editor falls back to when left blank, by field name:
    the page shows them in the empty fields (placeholders), so that a user sees the card's
    rate before overriding it. A tiered meter's is its first tier's rate (a session's price;
    the month's follows the tiers, as the breakdown explains)."""
    defaults = {
        "increment_seconds": str(card.increment_seconds),
        "minimum_seconds": str(card.minimum_seconds),
        "currency": card.currency,
    }
    for meter, price in card.prices.items():
        defaults[f"rate_{meter}"] = f"{price.rate:f}"
    return defaults


# The results tables are redrawn on every keystroke: their rows come formatted, as plain
# dicts, which the template reads many times quicker than it digs through the quote.


def line_rows(quote: Quote) -> list[dict[str, str]]:
    """The breakdown's rows: each meter's line for a session beside its line for the month
    (a month of no sessions has none)."""
    currency = quote.card.currency
    monthly = {line.meter: line for line in quote.monthly.lines}
    nothing = money_text(Decimal(0).scaleb(-minor_units(currency)), currency)
    rows = []
    for line in quote.per_session.lines:
        month = monthly.get(line.meter)
        rows.append(
            {
                "meter": str(line.meter),
                "label": line.meter.label,
                # An add-on has no colour class of its own, nor a section of the rules.
                "color": "" if isinstance(line.meter, Meter) else charts.meter_color(line.meter),
                "anchor": str(line.meter) if isinstance(line.meter, Meter) else "terms",
                "minutes": grouped(line.quantity),
                "rate": money_text(line.rate, currency),
                "amount": money_text(line.amount, currency),
                "month_minutes": grouped(month.quantity) if month else "0",
                "month_amount": money_text(month.amount, currency) if month else nothing,
                "explanation": line.explanation,
                "month_explanation": month.explanation if month else "no sessions in the month",
            }
        )
    return rows + extra_rows(quote)


def extra_rows(quote: Quote) -> list[dict[str, str]]:
    """The breakdown's rows of fees and a monthly minimum: a fee's session amount beside its
    month's (a monthly fee has none for a session)."""
    currency = quote.card.currency
    per_session = {e.key: e for e in quote.per_session.extras}
    rows = []
    for extra in quote.monthly.extras:
        session = per_session.get(extra.key)
        rows.append(
            {
                "extra": extra.kind,
                "label": extra.label,
                "amount": money_text(session.amount, currency) if session else "",
                "month_amount": money_text(extra.amount, currency),
                "explanation": session.explanation if session else "",
                "month_explanation": extra.explanation,
            }
        )
    return rows


def model_rows(
    quote: Quote, models: list[tuple[Model, Quote | ScenarioError]]
) -> list[dict[str, Any]]:
    """The other models' totals, or why the scenario cannot be priced under one."""
    currency = quote.card.currency
    rows: list[dict[str, Any]] = []
    for model, other in models:
        row: dict[str, Any] = {"label": model.label, "current": model is quote.scenario.model}
        if isinstance(other, ScenarioError):
            row["problem"] = str(other)
        else:
            row["session"] = money_text(other.per_session.total, currency)
            row["month"] = money_text(other.monthly.total, currency)
            row["wants_publishers"] = other.usage.wants_publishers
        rows.append(row)
    return rows
