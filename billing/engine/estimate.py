"""Estimates: a customer's month as a mix of scenarios, priced together, with negotiated
discounts and a projection of growth.

Graduated tiers apply to each meter's total over all the estimate's scenarios. Discounts are
a percentage off the list price, overall or per meter (a meter's own percentage replaces the
overall one). Month n of a projection runs each scenario base x (1 + g)^(n - 1) sessions,
rounded half up to whole sessions.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any

from .errors import Problem, ScenarioError
from .inputs import shown
from .metering import MAX_SUBSCRIPTIONS, Usage, meter_usage, subscriptions
from .meters import AnyMeter, Meter, Model
from .money import minor_units, money_text, round_half_up, to_decimal
from .pricing import card_summary, extras_document, line_document
from .ratecard import RateCard
from .rating import (
    Extra,
    Line,
    Period,
    fee_extras,
    minimum_extra,
    month_seconds,
    rate_month,
    rate_session,
    with_fees,
)
from .reader import Reader, join_path
from .scenario import (
    MAX_MEMBERS,
    MAX_SESSIONS_PER_MONTH,
    RateCardRef,
    Scenario,
    read_card_ref,
    read_fee_counts,
    read_scenario,
)

MAX_SCENARIOS = 50
MAX_MONTHS = 36
MAX_PERCENT_PLACES = 6
ESTIMATE_FIELDS = ("name", "scenarios", "rate_card", "discount", "growth", "fees")
HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class Item:
    scenario: Scenario
    sessions_per_month: int


@dataclass(frozen=True, slots=True)
class Discount:
    percent: Decimal = Decimal(0)
    meters: Mapping[AnyMeter, Decimal] = field(default_factory=dict)

    def of(self, meter: AnyMeter) -> Decimal:
        return self.meters.get(meter, self.percent)

    def __bool__(self) -> bool:
        return bool(self.percent) or any(self.meters.values())


@dataclass(frozen=True, slots=True)
class Growth:
    monthly_percent: Decimal = Decimal(0)
    months: int = 12


@dataclass(frozen=True, slots=True)
class Estimate:
    items: tuple[Item, ...]
    name: str = ""
    rate_card: RateCardRef = None
    discount: Discount = field(default_factory=Discount)
    growth: Growth = field(default_factory=Growth)
    # The estimate's own monthly fees, counted once (each scenario's count as it would alone).
    fees: tuple[tuple[str, int], ...] = ()


def is_estimate(document: object) -> bool:
    return isinstance(document, Mapping) and "scenarios" in document


def parse_estimate(document: object) -> Estimate:
    """Validate an estimate document; ScenarioError names every problem by its path."""
    reader = Reader()
    data = reader.mapping(document, "", ESTIMATE_FIELDS)
    if data is None:
        reader.raise_if_any()
        raise AssertionError
    items = []
    raw = data.get("scenarios")
    entries = reader.items(raw, "scenarios", MAX_SCENARIOS, "scenarios")
    if raw is None or raw == []:
        reader.problem("scenarios", "an estimate needs at least one scenario")
    for index, entry in enumerate(entries):
        path = join_path("scenarios", index)
        item = reader.mapping(entry, path, ("scenario", "sessions_per_month"))
        if item is None:
            continue
        scenario = read_scenario(reader, item.get("scenario"), join_path(path, "scenario"))
        if scenario is None:
            continue
        sessions = scenario.sessions_per_month
        if item.get("sessions_per_month") is not None:
            sessions = reader.whole(
                item["sessions_per_month"],
                join_path(path, "sessions_per_month"),
                0,
                MAX_SESSIONS_PER_MONTH,
                None,
            )
        items.append(Item(replace(scenario, sessions_per_month=sessions), sessions))
    estimate = Estimate(
        items=tuple(items),
        name=reader.text(data.get("name"), "name"),
        rate_card=read_card_ref(reader, data.get("rate_card"), "rate_card"),
        discount=_read_discount(reader, data.get("discount")),
        growth=_read_growth(reader, data.get("growth")),
        fees=read_fee_counts(reader, data.get("fees"), "fees"),
    )
    reader.raise_if_any()
    return estimate


def _percent(reader: Reader, value: object, path: str, low: Decimal, high: Decimal) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
        reader.problem(path, 'must be a percentage such as "10" or "-2.5"')
        return Decimal(0)
    try:
        number = to_decimal(value)
    except ValueError as error:
        got = f" (got {shown(value)!r})" if isinstance(value, str) else ""
        reader.problem(path, f"a percentage {error}{got}")
        return Decimal(0)
    if not low <= number <= high:
        reader.problem(path, f"must be from {low} to {high} percent (got {number})")
        return Decimal(0)
    exponent = number.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_PERCENT_PLACES:
        # A projection raises (1 + g) to the 35th power exactly: its digits grow with these.
        reader.problem(path, f"must have at most {MAX_PERCENT_PLACES} decimal places")
        return Decimal(0)
    return number


def _read_discount(reader: Reader, value: object) -> Discount:
    if value is None:
        return Discount()
    data = reader.mapping(value, "discount", ("percent", "meters"))
    if data is None:
        return Discount()
    percent = Decimal(0)
    if data.get("percent") is not None:
        percent = _percent(reader, data["percent"], "discount.percent", Decimal(0), HUNDRED)
    meters: dict[AnyMeter, Decimal] = {}
    given = reader.mapping(data.get("meters") or {}, "discount.meters", list(Meter)) or {}
    for name, rate in given.items():
        if name in list(Meter):
            meters[Meter(name)] = _percent(
                reader, rate, join_path("discount.meters", name), Decimal(0), HUNDRED
            )
    return Discount(percent, meters)


def _read_growth(reader: Reader, value: object) -> Growth:
    if value is None:
        return Growth()
    data = reader.mapping(value, "growth", ("monthly_percent", "months"))
    if data is None:
        return Growth()
    percent = Decimal(0)
    if data.get("monthly_percent") is not None:
        percent = _percent(
            reader, data["monthly_percent"], "growth.monthly_percent", Decimal(-99), Decimal(1000)
        )
    months = reader.whole(data.get("months"), "growth.months", 1, MAX_MONTHS, 12)
    return Growth(percent, months)


# -- Pricing ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PricedItem:
    item: Item
    usage: Usage
    per_session: Period


@dataclass(frozen=True, slots=True)
class DiscountedLine:
    line: Line  # at list price, tier slices included
    percent: Decimal
    discount: Decimal

    @property
    def net(self) -> Decimal:
        return self.line.amount - self.discount


@dataclass(frozen=True, slots=True)
class Month:
    """A month of the estimate: its meters' lines (list price, discount), then its fees and
    what a minimum commitment adds (`extras`, never discounted)."""

    number: int
    sessions: int
    lines: tuple[DiscountedLine, ...]
    places: int = 2  # the currency's minor units: a month of no lines still totals 0.00
    extras: tuple[Extra, ...] = ()

    @property
    def zero(self) -> Decimal:
        return Decimal(0).scaleb(-self.places)

    @property
    def fees(self) -> tuple[Extra, ...]:
        return tuple(e for e in self.extras if e.kind == "fee")

    @property
    def minimum(self) -> Extra | None:
        return next((e for e in self.extras if e.kind == "minimum"), None)

    @property
    def list_total(self) -> Decimal:
        """The meters at list price and the fees."""
        meters = sum((d.line.amount for d in self.lines), self.zero)
        return meters + sum((e.amount for e in self.fees), self.zero)

    @property
    def discount_total(self) -> Decimal:
        return sum((d.discount for d in self.lines), self.zero)

    @property
    def net_total(self) -> Decimal:
        """List less discounts, made up to the minimum commitment if below it."""
        top_up = self.minimum.amount if self.minimum is not None else self.zero
        return self.list_total - self.discount_total + top_up

    def net_of(self, meter: AnyMeter) -> Decimal:
        return next((d.net for d in self.lines if d.line.meter == meter), self.zero)


@dataclass(frozen=True, slots=True)
class EstimateQuote:
    estimate: Estimate
    card: RateCard
    items: tuple[PricedItem, ...]
    month: Month
    projection: tuple[Month, ...]
    notes: tuple[str, ...]

    def cumulative(self) -> list[Decimal]:
        running, totals = Decimal(0), []
        for month in self.projection:
            running += month.net_total
            totals.append(running)
        return totals


def growth_factor(growth: Growth, number: int) -> Fraction:
    """(1 + g)^(n - 1), exactly."""
    return (1 + Fraction(growth.monthly_percent) / 100) ** (number - 1)


def sessions_in_month(base: int, growth: Growth, number: int) -> int:
    """A scenario's sessions in month n of the projection, rounded half up to whole sessions."""
    return int(round_half_up(base * growth_factor(growth, number), 0))


# The work of an estimate's subscribed-minutes scenarios together: twice that of the
# heaviest single scenario (about a second on a 2-core machine; `make bench`).
MAX_ESTIMATE_SUBSCRIPTIONS = 2 * MAX_SUBSCRIPTIONS
# People connected in an estimate's scenarios together (each may hold a million in groups):
# twice the largest scenario, as for subscriptions.
MAX_ESTIMATE_MEMBERS = 2 * MAX_MEMBERS


def price_estimate(estimate: Estimate, card: RateCard) -> EstimateQuote:
    work = sum(
        subscriptions(item.scenario)
        for item in estimate.items
        if item.scenario.model is Model.VIDEO_SSM
    )
    people = sum(item.scenario.headcount for item in estimate.items)
    if people > MAX_ESTIMATE_MEMBERS:
        raise ScenarioError.single(
            "scenarios",
            f"its scenarios have {people:,} participants together (groups' members included), "
            f"more than one estimate prices (at most {MAX_ESTIMATE_MEMBERS:,}); price the "
            "largest on their own",
        )
    if work > MAX_ESTIMATE_SUBSCRIPTIONS:
        raise ScenarioError.single(
            "scenarios",
            f"its subscribed-minutes scenarios have {work:,} subscriptions (subscribers × "
            f"publishers) together, more than one estimate prices (at most "
            f"{MAX_ESTIMATE_SUBSCRIPTIONS:,}); price the largest on their own",
        )
    priced: list[PricedItem] = []
    notes: list[str] = []
    for index, item in enumerate(estimate.items):
        try:
            usage = meter_usage(item.scenario, card)
        except ScenarioError as error:
            # Named by the scenario it is in: the estimate's card prices every scenario, so
            # an add-on only the scenario's own card has is not there.
            who = item.scenario.name or f"Scenario {index + 1}"
            raise ScenarioError(
                Problem(
                    join_path(f"scenarios[{index}].scenario", p.path),
                    f"{who}: {p.message}"
                    + (
                        " (the estimate's rate card prices all its scenarios)"
                        if p.path.startswith("addons")
                        else ""
                    ),
                )
                for p in error.problems
            ) from None
        per_session = rate_session(usage, card)
        if item.scenario.fees:
            path = f"scenarios[{len(priced)}].scenario.fees"
            per_session = with_fees(per_session, card, item.scenario.fees, None, path)
        priced.append(PricedItem(item, usage, per_session))
        notes.extend(f"{item.scenario.name or 'A scenario'}: {note}" for note in usage.notes)
        if item.scenario.rate_card is not None and item.scenario.rate_card != estimate.rate_card:
            notes.append(
                f"{item.scenario.name or 'A scenario'}: its own rate card is not used; the "
                "estimate's rate card prices all its scenarios."
            )
    sessions = [p.item.sessions_per_month for p in priced]
    month = _month(1, priced, sessions, estimate, card)
    projection = tuple(
        _month(
            n,
            priced,
            [sessions_in_month(s, estimate.growth, n) for s in sessions],
            estimate,
            card,
            explain=n == 1,
        )
        for n in range(1, estimate.growth.months + 1)
    )
    return EstimateQuote(estimate, card, tuple(priced), month, projection, tuple(notes))


def _month(
    number: int,
    priced: list[PricedItem],
    sessions: list[int],
    estimate: Estimate,
    card: RateCard,
    explain: bool = True,
) -> Month:
    """Month `number`: the meters over all scenarios, tiered and discounted; each scenario's
    fees as it would have them alone; the estimate's own monthly fees; then the minimum
    commitment, on the total after discounts."""
    discount = estimate.discount
    parts = [
        (p.item.scenario.name or "scenario", p.usage, count)
        for p, count in zip(priced, sessions, strict=True)
    ]
    totals, how = month_seconds(parts, card, explain=explain)
    period = rate_month(totals, card, how)
    places = minor_units(card.currency)
    lines = []
    for line in period.lines:
        percent = discount.of(line.meter)
        off = round_half_up(Fraction(line.amount) * Fraction(percent) / 100, places)
        lines.append(DiscountedLine(line, percent, off))
    extras: list[Extra] = []
    for index, (p, count) in enumerate(zip(priced, sessions, strict=True)):
        if p.item.scenario.fees:
            extras += fee_extras(
                card,
                p.item.scenario.fees,
                count,
                f"scenarios[{index}].scenario.fees",
                whose=p.item.scenario.name or f"scenario {index + 1}",
            )
    extras += fee_extras(card, estimate.fees, 1, "fees", month_only=True)
    month = Month(number, sum(sessions), tuple(lines), places, tuple(extras))
    top_up = minimum_extra(month.net_total, card, "after discounts")
    if top_up is not None:
        month = replace(month, extras=(*month.extras, top_up))
    return month


# -- The result document ---------------------------------------------------------------------


def estimate_summary(month: Month, currency: str) -> str:
    """`1,200 sessions a month: list $412.37 − discount $20.62 = $391.75`, with what a
    minimum commitment added when it did."""
    top_up = ""
    if month.minimum is not None:
        top_up = f" + minimum commitment {money_text(month.minimum.amount, currency)}"
    return (
        f"{month.sessions:,} sessions a month: list {money_text(month.list_total, currency)}"
        f" − discount {money_text(month.discount_total, currency)}{top_up}"
        f" = {money_text(month.net_total, currency)}"
    )


def estimate_document(quote: EstimateQuote) -> dict[str, Any]:
    currency = quote.card.currency
    month = quote.month
    cumulative = quote.cumulative()
    return {
        "kind": "estimate",
        "name": quote.estimate.name,
        "currency": currency,
        "scenarios": [
            {
                "name": p.item.scenario.name,
                "model": str(p.item.scenario.model),
                "sessions_per_month": p.item.sessions_per_month,
                "per_session": {
                    "lines": [line_document(line, monthly=False) for line in p.per_session.lines],
                    "total": f"{p.per_session.total:f}",
                    **extras_document(p.per_session.extras),
                },
            }
            for p in quote.items
        ],
        "monthly": {
            "sessions": month.sessions,
            "lines": [
                {
                    **line_document(d.line, monthly=True, all_tiers=True),
                    "list_amount": f"{d.line.amount:f}",
                    "discount_percent": f"{d.percent:f}",
                    "discount": f"{d.discount:f}",
                    "net_amount": f"{d.net:f}",
                }
                for d in month.lines
            ],
            **extras_document(month.extras),
            "list_total": f"{month.list_total:f}",
            "discount_total": f"{month.discount_total:f}",
            "total": f"{month.net_total:f}",
        },
        "projection": {
            "monthly_percent": f"{quote.estimate.growth.monthly_percent:f}",
            "rounding": "each scenario's sessions are rounded half up to whole sessions each month",
            "months": [
                {
                    "month": m.number,
                    "sessions": m.sessions,
                    "list_total": f"{m.list_total:f}",
                    "total": f"{m.net_total:f}",
                    "cumulative": f"{running:f}",
                    "by_meter": {str(d.line.meter): f"{d.net:f}" for d in m.lines},
                }
                for m, running in zip(quote.projection, cumulative, strict=True)
            ],
        },
        "rate_card": card_summary(quote.card),
        "notes": list(quote.notes),
        "summary": estimate_summary(month, currency),
    }
