"""Price a scenario: meter it under its model, rate one session, then the month."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from . import plausibility
from .batch import UsageBill
from .errors import ScenarioError
from .metering import Usage, meter_usage
from .meters import Model
from .money import format_quantity
from .ratecard import RateCard, RateCardOverride
from .rating import (
    Extra,
    Line,
    Period,
    month_seconds,
    rate_month,
    rate_session,
    with_fees,
    with_minimum,
)
from .scenario import MAX_MEMBERS, Scenario
from .timefmt import clock
from .usagefile import UsageRecords


@dataclass(frozen=True, slots=True)
class Quote:
    scenario: Scenario
    card: RateCard
    usage: Usage
    per_session: Period
    monthly: Period
    # What the quote leaves out that the deal may have (related service charges).
    terms_notes: tuple[str, ...] = ()

    @property
    def notes(self) -> tuple[str, ...]:
        return self.usage.notes + self.terms_notes

    @property
    def tiered(self) -> bool:
        """Whether a meter the month bills has tiers: a session is priced at each meter's
        first tier's rate, the month by the tiers its total minutes reach."""
        return any(
            len(self.card.price_of(line.meter).tiers) > 1
            for line in self.monthly.lines
            if line.meter in self.card.prices
        )


def resolve_card(scenario: Scenario, default: RateCard, stored: RateCard | None = None) -> RateCard:
    """The card that prices a scenario: the stored card it names, or the default, with any
    inline overrides applied. `stored` is the card named by slug or by the overrides' `base`."""
    base = stored if stored is not None else default
    if isinstance(scenario.rate_card, RateCardOverride):
        return scenario.rate_card.apply_to(base)
    return base


def price(scenario: Scenario, card: RateCard, *, explain: bool = True) -> Quote:
    """A scenario's quote; `explain=False` leaves its lines' explanations empty, for
    comparisons that show only the amounts."""
    usage = meter_usage(scenario, card)
    per_session = rate_session(usage, card, explain=explain)
    sessions = scenario.sessions_per_month
    monthly_seconds, how = month_seconds([(None, usage, sessions)], card, explain=explain)
    monthly = rate_month(monthly_seconds, card, how)
    if scenario.fees:
        per_session = with_fees(per_session, card, scenario.fees, None)
        monthly = with_fees(monthly, card, scenario.fees, sessions)
    monthly = with_minimum(monthly, card)
    return Quote(scenario, card, usage, per_session, monthly, related_charges(scenario, card))


# The first pricing document: "Related service charges may apply depending on your use case,
# such as SIP Core Service for interconnecting with external systems or Device Service."
RELATED_SERVICES = {
    "sip": "SIP Core Service, for the SIP endpoints",
    "alexa": "Device Service, for the Alexa devices",
}


def related_charges(scenario: Scenario, card: RateCard) -> tuple[str, ...]:
    """A note when the scenario has SIP endpoints or Alexa devices and counts no fee: the
    related service charges the pricing document names are not in the quote unless counted."""
    if any(count for _, count in scenario.fees):
        return ()
    endpoints = {p.endpoint for p in scenario.participants} | {
        g.endpoint for g in scenario.groups if g.count
    }
    services = [said for endpoint, said in RELATED_SERVICES.items() if endpoint in endpoints]
    if not services:
        return ()
    offered = ", ".join(sorted(card.fees))
    how = (
        f"count them under Fees (this card's fees: {offered})"
        if offered
        else "give the deal's fees (Deal terms) and count them under Fees"
    )
    return (
        f"Related service charges may apply and are not in this quote: {'; '.join(services)}. "
        f"If the deal has them, {how}.",
    )


def compare_models(
    scenario: Scenario, card: RateCard, known: Quote | None = None
) -> list[tuple[Model, Quote | ScenarioError]]:
    """The same scenario priced under every model, for a side-by-side comparison of amounts
    (so without explanations); `known` is the scenario's own quote, if already priced."""
    results: list[tuple[Model, Quote | ScenarioError]] = []
    for model in Model:
        if known is not None and known.scenario.model is model:
            results.append((model, known))
            continue
        try:
            results.append((model, price(replace(scenario, model=model), card, explain=False)))
        except ScenarioError as error:
            results.append((model, error))
    return results


def line_document(line: Line, *, monthly: bool, all_tiers: bool = False) -> dict[str, Any]:
    """A line of a result; a monthly line lists its tier slices when it has several (or
    always, with `all_tiers`: an estimate shows which tier every slice fell in)."""
    document: dict[str, Any] = {
        "meter": str(line.meter),
        "quantity": format_quantity(line.minutes),
        "rate": str(line.rate),
        "amount": f"{line.amount:f}",
        "explanation": line.explanation,
    }
    if monthly and (all_tiers or len(line.slices) > 1):
        document["tiers"] = [
            {
                "tier": s.tier,
                "from": str(s.floor),
                "up_to": None if s.up_to is None else str(s.up_to),
                "quantity": format_quantity(s.minutes),
                "rate": str(s.rate),
                "amount": str(s.amount),
            }
            for s in line.slices
        ]
    return document


def _period_document(period: Period, *, monthly: bool) -> dict[str, Any]:
    return {
        "lines": [line_document(line, monthly=monthly) for line in period.lines],
        "total": f"{period.total:f}",
        **extras_document(period.extras),
    }


def extras_document(extras: Iterable[Extra]) -> dict[str, Any]:
    """A period's fees (`fees`, when it has some) and what a minimum commitment added
    (`minimum`, when it did), as a result document gives them."""
    document: dict[str, Any] = {}
    fees = [e for e in extras if e.kind == "fee"]
    if fees:
        document["fees"] = [
            {
                "fee": e.key,
                "label": e.label,
                "count": e.count,
                "price": str(e.price),
                "amount": f"{e.amount:f}",
                "explanation": e.explanation,
            }
            for e in fees
        ]
    for e in extras:
        if e.kind == "minimum":
            document["minimum"] = {"amount": f"{e.amount:f}", "explanation": e.explanation}
    return document


def card_summary(card: RateCard) -> dict[str, Any]:
    effective: date | None = card.effective_date
    return {
        "slug": card.slug or None,
        "name": card.name,
        "version": card.version,
        "effective_date": effective.isoformat() if effective else None,
        "overridden": card.overridden,
        "increment_seconds": card.increment_seconds,
        "minimum_seconds": card.minimum_seconds,
        "rounding": card.rounding,
    }


def quote_document(quote: Quote) -> dict[str, Any]:
    """The result document (docs/documents.md): decimal strings throughout."""
    monthly = _period_document(quote.monthly, monthly=True)
    start = quote.usage.billing_start
    return {
        "name": quote.scenario.name,
        "model": str(quote.scenario.model),
        "currency": quote.card.currency,
        "per_session": _period_document(quote.per_session, monthly=False),
        "monthly": {"sessions": quote.scenario.sessions_per_month, **monthly},
        "billing_start": None if start is None else str(start),
        "billing_start_clock": None if start is None else clock(start),
        "rate_card": card_summary(quote.card),
        "notes": list(quote.notes),
        "warnings": [
            {"path": w.path, "message": w.message}
            for w in plausibility.warnings(quote.scenario, quote.card)
        ],
    }


def with_participants(scenario: Scenario, count: int) -> Scenario:
    """The scenario with `count` participants, its own cycled: the same mix, more people."""
    people = scenario.participants
    if not people:
        return scenario
    grown = tuple(
        replace(
            people[i % len(people)], name=f"{people[i % len(people)].name} #{i // len(people) + 1}"
        )
        if i >= len(people)
        else people[i]
        for i in range(count)
    )
    return replace(scenario, participants=grown)


def with_headcount(scenario: Scenario, count: int) -> Scenario:
    """The scenario with `count` people connected in all: without groups, its participants
    cycled (`with_participants`); with groups, its participants as they are and the groups'
    members scaled to make up the rest, each group keeping its share (largest remainders;
    at least one member each). `count` is at least the participants and one per group."""
    if not scenario.groups:
        return with_participants(scenario, count)
    members = count - len(scenario.participants)
    weights = [g.count for g in scenario.groups]
    whole = sum(weights)
    shares = [max(1, members * w // whole) for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(members * weights[i] % whole), i))
    for i in remainders[: max(0, members - sum(shares))]:
        shares[i] += 1
    groups = tuple(replace(g, count=n) for g, n in zip(scenario.groups, shares, strict=True))
    return replace(scenario, groups=groups)


def headcounts(scenario: Scenario) -> list[int]:
    """The headcounts a cost-as-participants-grow chart prices: 1 to about three times a
    small session's people, or for a session with groups, twenty steps to twice its size
    (its own among them; fewer past 100,000 people, each step being a whole pricing)."""
    people = scenario.headcount
    if not scenario.groups:
        return list(range(1, min(60, max(12, 3 * people)) + 1))
    smallest = len(scenario.participants) + len(scenario.groups)
    # Each step prices the session under every model: fewer steps for larger sessions (a
    # million people is some 0.1 s a model), and never past the most a scenario may hold.
    steps = 20 if people <= 100_000 else 4
    counts = {
        min(MAX_MEMBERS, max(smallest, people * k // (steps // 2))) for k in range(1, steps + 1)
    }
    return sorted(counts | {people})


@dataclass(frozen=True, slots=True)
class Crossover:
    participants: int
    cheaper: Model
    than: Model


def model_curves(
    scenario: Scenario, card: RateCard, counts: list[int]
) -> tuple[dict[Model, list[Decimal | None]], list[Crossover]]:
    """Monthly cost under each model as the participants grow, and where the cheapest changes
    (a model billing nothing only because nobody publishes is never the cheapest; at a tie the
    cheapest so far stays the cheapest)."""
    curves: dict[Model, list[Decimal | None]] = {model: [] for model in Model}
    wanting: dict[Model, list[bool]] = {model: [] for model in Model}
    for count in counts:
        grown = with_headcount(scenario, count)
        for model, quote in compare_models(grown, card):
            if isinstance(quote, ScenarioError):
                curves[model].append(None)
                wanting[model].append(False)
            else:
                curves[model].append(quote.monthly.total)
                wanting[model].append(quote.usage.wants_publishers)
    crossovers = []
    previous: Model | None = None
    for index, count in enumerate(counts):
        priced = [
            (value, model)
            for model, values in curves.items()
            if (value := values[index]) is not None and not wanting[model][index]
        ]
        if not priced:
            continue
        # A tie is no crossover: the cheapest so far stays the cheapest until another model
        # costs strictly less.
        low = min(value for value, _ in priced)
        tied = [model for value, model in priced if value == low]
        cheapest = previous if previous in tied else tied[0]
        if previous is not None and cheapest is not previous:
            crossovers.append(Crossover(count, cheapest, previous))
        previous = cheapest
    return curves, crossovers


def usage_document(bill: UsageBill, records: UsageRecords) -> dict[str, Any]:
    """The result of pricing a usage file (docs/documents.md, "Usage records"): the month
    under the chosen model, line by line; its total under every model, cheapest first; what
    was left out."""
    return {
        "model": str(bill.model),
        "currency": bill.card.currency,
        "rate_card": card_summary(bill.card),
        "sessions": bill.sessions,
        "records": bill.records,
        "monthly": _period_document(bill.period, monthly=True),
        "models": [
            {
                "model": str(model),
                "total": f"{period.total:f}",
                **({"note": bill.notes[model]} if model in bill.notes else {}),
            }
            for model, period in bill.models
        ]
        + [{"model": str(model), "total": None, "problem": why} for model, why in bill.refused],
        "rejected": {
            "count": records.rejected_records,
            "sessions": records.rejected_sessions,
            "problems": records.problem_count,
            "first": [{"path": p.path, "message": p.message} for p in records.problems],
        },
    }
