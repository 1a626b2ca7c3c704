"""What a saved item prices to, whatever its kind: its totals, its card, the template and
context of its priced body, its CSV rows and its summary by meter. The pages of a saved item
read this interface and never ask which kind it is; `priced` is the one place that does."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from billing.cards import CardDirectory
from billing.engine import Estimate, EstimateQuote, Meter, Quote, RateCard
from billing.engine.meters import AddOn, AnyMeter
from billing.engine.rating import Extra
from billing.service import price_parsed_estimate, price_scenario
from calculator.editor.estimate import estimate_context
from calculator.editor.workspace import quote_context
from calculator.models import SavedScenario

Row = list[Any]


class Priced(ABC):
    """A priced saved item (or a workspace's quote about to be saved)."""

    quote: Quote | EstimateQuote
    # The template that draws the priced body of its share and print pages.
    body_template: str

    @property
    def card(self) -> RateCard:
        return self.quote.card

    @property
    @abstractmethod
    def month_total(self) -> Decimal:
        """A month's total (net of an estimate's discounts)."""

    @property
    @abstractmethod
    def session_total(self) -> Decimal | None:
        """A session's total; None for what has no single session (an estimate)."""

    @property
    @abstractmethod
    def what(self) -> str:
        """What it is, in a list of saved items: a scenario's pricing model, or "Estimate"."""

    @property
    @abstractmethod
    def description(self) -> str:
        """What the print page says under the title."""

    @abstractmethod
    def context(self) -> dict[str, Any]:
        """What `body_template` draws."""

    @abstractmethod
    def monthly(self) -> dict[AnyMeter, tuple[str, Decimal]]:
        """Each meter's minutes and (net) cost a month; then each fee's count and cost, and
        a minimum commitment's top-up, as rows of their own (`extra_rows`)."""

    @abstractmethod
    def csv_rows(self) -> list[Row]:
        """Its cost lines, a row each, headings first."""

    def summary(self, revision: int) -> dict[str, Any]:
        """What it prices to a month, by meter, stored with the revision it belongs to: the
        comparison of saved items reads it instead of pricing each one again (six of the
        heaviest scenarios the rules allow would take seconds)."""
        return {
            "revision": revision,
            "what": self.what,
            "currency": self.card.currency,
            "monthly": {
                str(meter): [quantity, str(amount)]
                for meter, (quantity, amount) in self.monthly().items()
            },
            # What the rows that are no built-in meter are called (add-ons, fees, a minimum).
            "labels": {
                str(meter): meter.label for meter in self.monthly() if not isinstance(meter, Meter)
            },
        }


@dataclass(frozen=True)
class PricedScenario(Priced):
    quote: Quote
    body_template = "_share_body.html"

    @property
    def month_total(self) -> Decimal:
        return self.quote.monthly.total

    @property
    def session_total(self) -> Decimal | None:
        return self.quote.per_session.total

    @property
    def what(self) -> str:
        return self.quote.scenario.model.label

    @property
    def description(self) -> str:
        return f"Cost estimate · {self.quote.scenario.model.label}"

    def context(self) -> dict[str, Any]:
        return quote_context(self.quote)

    def monthly(self) -> dict[AnyMeter, tuple[str, Decimal]]:
        rows = {line.meter: (line.quantity, line.amount) for line in self.quote.monthly.lines}
        return {**rows, **extra_rows(self.quote.monthly.extras)}

    def csv_rows(self) -> list[Row]:
        quote, currency = self.quote, self.card.currency
        rows: list[Row] = [
            ["period", "meter", "quantity_minutes", "rate", "amount", "currency", "explanation"]
        ]
        for period, label in ((quote.per_session, "per session"), (quote.monthly, "per month")):
            rows += [
                [
                    label,
                    line.meter,
                    line.quantity,
                    line.rate,
                    line.amount,
                    currency,
                    line.explanation,
                ]
                for line in period.lines
            ]
            # Fees and a monthly minimum, by their key, in the meter's column.
            rows += [
                [label, e.key, e.count or "", e.price or "", e.amount, currency, e.explanation]
                for e in period.extras
            ]
            rows.append([label, "total", "", "", period.total, currency, ""])
        return rows


@dataclass(frozen=True)
class PricedEstimate(Priced):
    quote: EstimateQuote
    body_template = "_estimate_body.html"

    @property
    def month_total(self) -> Decimal:
        return self.quote.month.net_total

    @property
    def session_total(self) -> Decimal | None:
        return None

    @property
    def what(self) -> str:
        count = len(self.quote.estimate.items)
        return f"Estimate of {count} scenario{'' if count == 1 else 's'}"

    @property
    def description(self) -> str:
        return "Cost estimate"

    def context(self) -> dict[str, Any]:
        return estimate_context(self.quote)

    def monthly(self) -> dict[AnyMeter, tuple[str, Decimal]]:
        rows = {d.line.meter: (d.line.quantity, d.net) for d in self.quote.month.lines}
        return {**rows, **extra_rows(self.quote.month.extras)}

    def csv_rows(self) -> list[Row]:
        quote, currency = self.quote, self.card.currency
        rows: list[Row] = [
            [
                "section",
                "meter",
                "quantity_minutes",
                "tiers",
                "list_amount",
                "discount_percent",
                "discount",
                "net_amount",
                "currency",
            ]
        ]
        for d in quote.month.lines:
            tiers = "; ".join(
                f"tier {s.tier}: {s.minutes} min x {s.rate} = {s.amount}" for s in d.line.slices
            )
            rows.append(
                [
                    "month",
                    d.line.meter,
                    d.line.quantity,
                    tiers,
                    d.line.amount,
                    d.percent,
                    d.discount,
                    d.net,
                    currency,
                ]
            )
        month = quote.month
        # Fees and a minimum commitment's top-up, by their key, in the meter's column.
        rows += [
            ["month", e.key, e.count or "", e.explanation, e.amount, "", "", e.amount, currency]
            for e in month.extras
        ]
        rows.append(
            [
                "month",
                "total",
                "",
                "",
                month.list_total,
                "",
                month.discount_total,
                month.net_total,
                currency,
            ]
        )
        rows.append([])
        rows.append(
            ["projection_month", "sessions", "list_total", "discount", "net_total", "cumulative"]
        )
        for m, running in zip(quote.projection, quote.cumulative(), strict=True):
            rows.append(
                [m.number, m.sessions, m.list_total, m.discount_total, m.net_total, running]
            )
        return rows


def of_quote(quote: Quote | EstimateQuote) -> Priced:
    """The interface over a quote of either kind."""
    if isinstance(quote, EstimateQuote):
        return PricedEstimate(quote)
    return PricedScenario(quote)


def priced(saved: SavedScenario, card: RateCard | None = None) -> Priced:
    """The saved item priced with the card it was saved with (or `card`, to compare)."""
    pinned = card or saved.pinned_card
    parsed = saved.parsed
    if isinstance(parsed, Estimate):
        return PricedEstimate(price_parsed_estimate(parsed, CardDirectory(), pinned))
    return PricedScenario(price_scenario(parsed, CardDirectory(), pinned))


def extra_rows(extras: Iterable[Extra]) -> dict[AnyMeter, tuple[str, Decimal]]:
    """A month's fees and minimum top-up as summary rows, keyed apart from any meter
    (`fee:<key>`, `minimum`): their count (none for the minimum) and amount."""
    return {
        AddOn(f"fee:{e.key}" if e.kind == "fee" else e.kind, e.label): (
            "" if e.count is None else f"{e.count:,}",
            e.amount,
        )
        for e in extras
    }


def carried_summary(saved: SavedScenario, revision: int) -> dict[str, Any] | None:
    """The saved item's summary, if it is its current revision's, for `revision` of the same
    prices (a rename's, a copy's); None if there is none to carry (or it was stored before
    summaries named their add-ons, fees and minimum: `labels`)."""
    summary = saved.summary
    if (
        not isinstance(summary, dict)
        or summary.get("revision") != saved.revision
        or "labels" not in summary
    ):
        return None
    return {**summary, "revision": revision}
