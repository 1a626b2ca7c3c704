"""The estimate editor, a kind of Workspace: saved scenarios and templates combined, each with its own volume,
priced together with negotiated discounts and a growth projection."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest

from billing.cards import CardDirectory
from billing.engine import EstimateQuote, Meter, ScenarioError
from billing.engine.estimate import MAX_MONTHS, MAX_SCENARIOS
from billing.engine.jsonio import dumps
from billing.engine.money import money_text
from billing.engine.ratecard import MAX_FEES, PER_MONTH, Fee
from billing.engine.reader import MAX_NAME_LENGTH
from billing.engine.scenario import MAX_FEE_COUNT, MAX_SESSIONS_PER_MONTH, RateCardRef
from billing.forms import PlainIntegerField, TextField
from billing.service import load_json, price_estimate_document
from calculator import charts
from calculator.editor.fastpath import SharedFields
from calculator.editor.fields import BoundedDecimalField, DocumentField, WholeNumberField, offer
from calculator.editor.presets import BY_SLUG, PRESETS
from calculator.editor.scenario import RowForm
from calculator.editor.workspace import Workspace
from calculator.models import SavedScenario

ESTIMATE_ACTION = re.compile(
    r"^(add-template|add-saved|add-link|save|save-copy|restore)$|^remove:([0-9]+)$"
)
SHARE_KEY = re.compile(r"(?:/s/)?([A-Za-z0-9_-]{20,32})/?")
# The estimate's own count of one of its card's monthly fees: "fee_<key>" (ASCII only).
FEE_PREFIX = "fee_"
FEE_FIELD = re.compile(r"^fee_([a-z][a-z0-9_]{0,39})$")


def fee_counts_of(data: Mapping[str, Any]) -> dict[str, str]:
    """The fee counts typed, by their fields' names (at most the card's limit of fees)."""
    return {
        key: str(data.get(key, ""))
        for key in list(data)[: 10 * MAX_FEES + 500]
        if isinstance(key, str) and FEE_FIELD.match(key)
    }


class EstimateForm(forms.Form):
    name = TextField(max_length=MAX_NAME_LENGTH, required=False, label="Estimate name")
    rate_card = forms.ChoiceField(label="Rate card")
    discount_percent = BoundedDecimalField(
        min_value=Decimal(0),
        max_value=Decimal(100),
        decimal_places=4,
        required=False,
        label="Discount on everything, %",
    )
    growth_percent = BoundedDecimalField(
        min_value=Decimal(-99),
        max_value=Decimal(1000),
        decimal_places=4,
        required=False,
        label="Growth per month, %",
    )
    months = WholeNumberField(min_value=1, max_value=MAX_MONTHS, label="Projection, months")
    revision = PlainIntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    new_template = forms.ChoiceField(required=False, label="A template")
    new_saved = forms.ChoiceField(required=False, label="One of your saved scenarios")
    new_link = TextField(required=False, max_length=300, label="A share link")

    def __init__(
        self,
        *args: Any,
        cards: Iterable[tuple[str, str]] = (),
        saved: Iterable[tuple[str, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        offer(self.fields["rate_card"], cards)
        offer(self.fields["new_template"], [(p.slug, p.title) for p in PRESETS])
        offer(self.fields["new_saved"], [("", "—"), *saved])
        for meter in Meter:
            self.fields[f"discount_{meter}"] = BoundedDecimalField(
                min_value=Decimal(0),
                max_value=Decimal(100),
                decimal_places=4,
                required=False,
                label=f"{meter.label}, %",
            )

    def discount_fields(self) -> list[forms.BoundField]:
        return [self[f"discount_{meter}"] for meter in Meter]

    def add_fee_fields(
        self, fees: Mapping[str, Fee], counted: Iterable[str], currency: str = "USD"
    ) -> None:
        """A count for each of the card's monthly fees, and for any fee the estimate counts
        that the card does not have (kept, so the refusal names it)."""
        monthly = [key for key, fee in fees.items() if fee.per == PER_MONTH]
        for key in dict.fromkeys([*monthly, *counted]):
            fee = fees.get(key) if key in monthly else None
            self.fields[f"{FEE_PREFIX}{key}"] = WholeNumberField(
                min_value=0,
                max_value=MAX_FEE_COUNT,
                required=False,
                label=f"{fee.label}: {money_text(fee.price, currency)} a month" if fee else key,
            )

    def fee_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if name.startswith(FEE_PREFIX)]

    def fees_counted(self) -> bool:
        return any(field.value() not in (None, "", "0") for field in self.fee_fields())


class ItemForm(RowForm):
    document = DocumentField(widget=forms.HiddenInput)
    sessions_per_month = WholeNumberField(min_value=0, max_value=MAX_SESSIONS_PER_MONTH)

    def title(self) -> str:
        document = self["document"].value()
        try:
            value = load_json(document) if isinstance(document, str) else document
            return str(value.get("name") or "Untitled scenario")
        except (ScenarioError, AttributeError):
            return "A scenario"


ItemForm.base_fields = SharedFields(ItemForm.base_fields)
ItemFormSet = forms.formset_factory(
    ItemForm, extra=0, max_num=MAX_SCENARIOS, absolute_max=MAX_SCENARIOS, validate_max=True
)
ESTIMATE_FIELDS = [
    "name",
    "rate_card",
    "discount_percent",
    "growth_percent",
    "months",
    "revision",
    *[f"discount_{meter}" for meter in Meter],
]


def estimate_data(
    document: Mapping[str, Any], default_card: str, revision: int | None = None
) -> dict[str, str]:
    discount = document.get("discount") or {}
    growth = document.get("growth") or {}
    card = document.get("rate_card")
    data = {
        "name": str(document.get("name") or ""),
        "rate_card": card if isinstance(card, str) else default_card,
        "discount_percent": str(discount.get("percent") or ""),
        "growth_percent": str(growth.get("monthly_percent") or ""),
        "months": str(growth.get("months") or 12),
        "revision": "" if revision is None else str(revision),
    }
    for meter, percent in (discount.get("meters") or {}).items():
        data[f"discount_{meter}"] = str(percent)
    fees = document.get("fees")
    for key, count in fees.items() if isinstance(fees, Mapping) else ():
        if FEE_FIELD.match(f"{FEE_PREFIX}{key}"):
            data[f"{FEE_PREFIX}{key}"] = str(count)
    items = [
        {
            "document": dumps(item["scenario"]),
            "sessions_per_month": str(
                item.get("sessions_per_month", item["scenario"].get("sessions_per_month", 1))
            ),
        }
        for item in document.get("scenarios") or []
    ]
    return _with_items(data, items)


def _with_items(data: dict[str, str], items: list[dict[str, str]]) -> dict[str, str]:
    data["i-TOTAL_FORMS"] = data["i-INITIAL_FORMS"] = str(len(items))
    for n, item in enumerate(items):
        data[f"i-{n}-document"] = item["document"]
        data[f"i-{n}-sessions_per_month"] = item["sessions_per_month"]
    return data


def _items_of(data: Mapping[str, Any]) -> list[dict[str, str]]:
    present = {int(m.group(1)) for key in data if (m := re.match(r"^i-([0-9]+)-document$", key))}
    count = min(MAX_SCENARIOS + 1, max(present, default=-1) + 1)
    return [
        {
            "document": str(data.get(f"i-{n}-document", "")),
            "sessions_per_month": str(data.get(f"i-{n}-sessions_per_month", "")),
        }
        for n in range(count)
        if n in present
    ]


def apply_estimate_action(request: HttpRequest, action: str) -> tuple[dict[str, str], str | None]:
    """Form data after an add or remove, and a message if the addition failed."""
    post = request.POST
    data = {key: str(post.get(key, "")) for key in ESTIMATE_FIELDS}
    data.update(fee_counts_of(post))
    items = _items_of(post)
    problem = None
    match = ESTIMATE_ACTION.match(action)
    added: dict[str, Any] | None = None
    if match and match.group(2) is not None:
        index = int(match.group(2))
        if 0 <= index < len(items):
            del items[index]
    elif action == "add-template":
        preset = BY_SLUG.get(str(post.get("new_template", "")))
        added = preset.document if preset else None
        problem = None if preset else "Choose a template to add."
    elif action in ("add-saved", "add-link"):
        text = str(post.get("new_saved" if action == "add-saved" else "new_link", "")).strip()
        found = SHARE_KEY.search(text)
        saved = SavedScenario.objects.filter(share_key=found.group(1) if found else "").first()
        if saved is None:
            problem = "No saved scenario has that link (mistyped, or deleted)."
        elif saved.is_estimate:
            problem = (
                "That link is an estimate's: an estimate adds scenarios, not other estimates. "
                "Add the scenarios it holds from their own links, or compare the two estimates "
                "side by side (Compare saved)."
            )
        else:
            try:
                added = saved.document
            except (
                ScenarioError
            ) as error:  # saved before a rule it breaks (calculator/saved/access.py: `unpriceable`)
                problem = f"That saved scenario can no longer be read: {error}"
    if added is not None:
        if len(items) >= MAX_SCENARIOS:
            problem = f"An estimate holds at most {MAX_SCENARIOS} scenarios."
        else:
            items.append(
                {
                    "document": dumps(added),
                    "sessions_per_month": str(added.get("sessions_per_month", 1)),
                }
            )
    if problem is not None:
        # What was typed or chosen to add stays, to correct.
        for key in ("new_template", "new_saved", "new_link"):
            data[key] = str(post.get(key, ""))
    return _with_items(data, items), problem


@dataclass
class EstimateWorkspace(Workspace):
    form: EstimateForm
    items: forms.BaseFormSet  # type: ignore[type-arg]
    quote: EstimateQuote | None
    action: str
    cards: CardDirectory
    saved: SavedScenario | None = None
    document: dict[str, Any] | None = None
    problem: str | None = None
    errors: list[str] | None = None
    # The fields came from a post, not from what is stored: unsaved work (see Workspace).
    posted: bool = False

    kind = SavedScenario.ESTIMATE
    template = "estimate.html"
    whole = "estimate"
    results = "estimate-results"

    @classmethod
    def from_request(
        cls,
        request: HttpRequest,
        saved: SavedScenario | None = None,
        mine: Iterable[SavedScenario] = (),
    ) -> EstimateWorkspace:
        """`mine`: the saved scenarios the user may add (their own)."""
        default = settings.DEFAULT_RATE_CARD
        action, problem = "", None
        if request.method == "POST":
            requested = str(request.POST.get("action", ""))
            action = requested if ESTIMATE_ACTION.match(requested) else ""
            data, problem = apply_estimate_action(request, action)
        elif saved is not None:
            data = estimate_data(saved.document, default, saved.revision)
        else:
            slugs = [s for s in request.GET.get("templates", "").split(",") if s in BY_SLUG]
            document = {"scenarios": [{"scenario": BY_SLUG[s].document} for s in slugs]}
            data = estimate_data(document, default)
        cards = CardDirectory()
        form = EstimateForm(
            data, cards=cards.choices(), saved=[(s.share_key, s.title) for s in mine]
        )
        try:
            card = cards.card(str(data.get("rate_card") or default))
            card_fees, currency = card.fees, card.currency
        except ScenarioError:
            card_fees, currency = {}, "USD"
        counted = [name.removeprefix(FEE_PREFIX) for name in fee_counts_of(data)]
        form.add_fee_fields(card_fees, counted, currency)
        items = ItemFormSet(data, prefix="i")
        workspace = cls(
            form,
            items,
            None,
            action,
            cards,
            saved,
            problem=problem,
            errors=[],
            posted=request.method == "POST",
        )
        if form.is_valid() and items.is_valid() and workspace._document() is not None:
            try:
                workspace.quote = price_estimate_document(
                    workspace.document, cards, workspace.pinned
                )
            except ScenarioError as error:
                workspace.errors = [str(p) for p in error.problems]
        return workspace

    def revision(self) -> int | None:
        revision: int | None = self.form.cleaned_data.get("revision")
        return revision

    def rate_card_ref(self) -> RateCardRef:
        assert self.quote is not None
        return self.quote.estimate.rate_card

    def _document(self) -> dict[str, Any] | None:
        data = self.form.cleaned_data
        if not self.items.forms:
            self.errors = [
                "Add at least one scenario: from the templates, your saved scenarios or a share link."
            ]
            return None
        self.document = {
            "name": data["name"],
            "rate_card": data["rate_card"],
            "scenarios": [
                {
                    "scenario": f.cleaned_data["document"],
                    "sessions_per_month": f.cleaned_data["sessions_per_month"],
                }
                for f in self.items.forms
            ],
            "discount": {
                "percent": f"{data.get('discount_percent') or 0}",
                "meters": {
                    str(meter): f"{data[f'discount_{meter}']}"
                    for meter in Meter
                    if data.get(f"discount_{meter}") is not None
                },
            },
            "growth": {
                "monthly_percent": f"{data.get('growth_percent') or 0}",
                "months": data["months"],
            },
        }
        fees = {
            name.removeprefix(FEE_PREFIX): data[name]
            for name in self.form.fields
            if name.startswith(FEE_PREFIX) and data.get(name)
        }
        if fees:
            self.document["fees"] = fees
        return self.document

    def _field_errors(self) -> Iterator[tuple[forms.Form, int, str, list[str]]]:
        """(form, its scenario number or 0 for the estimate's own, field name, messages)."""
        for number, form in enumerate((self.form, *self.items.forms)):
            for name, messages in form.errors.items():
                yield form, number, name, [str(message) for message in messages]

    def field_errors(self) -> dict[str, list[str]]:
        """Every field's errors by its HTML name: a live update swaps only the results, and
        the page's script puts these beside their fields."""
        return {
            form.add_prefix(name): messages
            for form, _, name, messages in self._field_errors()
            if name != NON_FIELD_ERRORS
        }

    def error_summary(self) -> list[tuple[str, str]]:
        """(where, message) of every field error, for the list above the results."""
        summary = []
        for form, number, name, messages in self._field_errors():
            where = "" if name == NON_FIELD_ERRORS else str(form[name].label)
            if number:
                where = f"Scenario {number}" + (f", {where.lower()}" if where else "")
            summary += [(where, message) for message in messages]
        return summary

    def problems(self) -> list[tuple[str, str]]:
        """One list, one count: the estimate's own problems, then each field's."""
        return [("", e) for e in self.errors or []] + self.error_summary()

    def context(self, results_only: bool = False) -> dict[str, Any]:
        context: dict[str, Any] = {
            "form": self.form,
            "items": self.items,
            "quote": self.quote,
            "saved": self.saved,
            "unsaved": self.action != "" or self.posted,
            "problem": self.problem,
            "field_errors": self.field_errors(),
            "error_summary": self.problems(),
            # Nothing added yet, and nothing else wrong: a first step to say, not a problem
            # (unless it stopped a save).
            "empty": not self.items.forms
            and len(self.problems()) == 1
            and self.action not in ("save", "save-copy"),
        }
        if self.quote is not None:
            context.update(estimate_context(self.quote))
        return context


def estimate_context(quote: EstimateQuote) -> dict[str, Any]:
    return {
        "quote": quote,
        "projection_figure": charts.projection(quote),
        "projection_rows": list(zip(quote.projection, quote.cumulative(), strict=True)),
    }
