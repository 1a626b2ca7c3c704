"""Rating: billed seconds per meter become money lines, per session and per month."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from .errors import ScenarioError
from .metering import Charge, Charges, Usage
from .meters import AnyMeter, ChargeKind, meter_order
from .money import format_quantity, minor_units, money_text, round_half_up, session_amount
from .ratecard import MONTH, PER_SESSION, VOLUME, MeterPrice, RateCard, Tier
from .timefmt import clock, minutes_text

ITEMS_LISTED = 4

# A card's rates and tier bounds as fractions, converted once each (equal decimals are equal
# fractions): every quote multiplies by them.
as_fraction: Callable[[Decimal], Fraction] = lru_cache(maxsize=1024)(Fraction)


@dataclass(frozen=True, slots=True)
class Slice:
    """The part of a monthly quantity that fell in one tier."""

    tier: int
    floor: Decimal
    up_to: Decimal | None
    minutes: Fraction
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Line:
    meter: AnyMeter
    # Whole seconds; a session's exact seconds (maybe a Fraction) when the card rounds the
    # month's total once.
    seconds: int | Fraction
    rate: Decimal
    amount: Decimal
    explanation: str
    slices: tuple[Slice, ...] = ()

    @property
    def minutes(self) -> Fraction:
        return Fraction(self.seconds, 60)

    @property
    def quantity(self) -> str:
        return format_quantity(self.minutes)


@dataclass(frozen=True, slots=True)
class Extra:
    """A line of a period that is no meter's: a fee (`count` x `price`), or what a monthly
    minimum adds to reach it."""

    kind: str  # "fee" or "minimum"
    key: str
    label: str
    amount: Decimal
    explanation: str
    count: int | None = None
    price: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Period:
    lines: tuple[Line, ...]
    total: Decimal
    extras: tuple[Extra, ...] = ()

    def line(self, meter: AnyMeter) -> Line | None:
        return next((line for line in self.lines if line.meter == meter), None)


def with_fees(
    period: Period,
    card: RateCard,
    counts: Iterable[tuple[str, int]],
    sessions: int | None,
    path: str = "fees",
) -> Period:
    """A period with the card's fees the scenario counts (`fee_extras`)."""
    extras = fee_extras(card, counts, sessions, path)
    total = period.total + sum((e.amount for e in extras), Decimal(0))
    return replace(period, extras=period.extras + extras, total=total)


def fee_extras(
    card: RateCard,
    counts: Iterable[tuple[str, int]],
    sessions: int | None,
    path: str = "fees",
    *,
    whose: str = "",
    month_only: bool = False,
) -> tuple[Extra, ...]:
    """The lines of the card's fees counted: a session's (`sessions` None) per-session fees,
    exact; a month's per-session fees times the sessions and its monthly fees, each rounded
    half up to the minor unit. A count of a fee the card does not have is refused, by its
    path; so is a per-session fee where only monthly ones may be (`month_only`: an
    estimate's own fees). `whose` names the scenario the fees are counted for, in an
    estimate."""
    extras = []
    currency = card.currency
    for key, count in counts:
        fee = card.fees.get(key)
        if fee is None:
            have = ", ".join(sorted(card.fees)) or "none"
            raise ScenarioError.single(
                f"{path}.{key}", f"the rate card has no fee {key!r} (its fees: {have})"
            )
        if month_only and fee.per == PER_SESSION:
            raise ScenarioError.single(
                f"{path}.{key}",
                f"{key!r} is a fee per session: count it on the scenarios that have those "
                "sessions (an estimate's own fees are monthly)",
            )
        if not count:
            continue
        price = money_text(fee.price, currency)
        if sessions is None:
            if fee.per != PER_SESSION:
                continue
            amount = session_amount(count * as_fraction(fee.price))
            how = f"{count:,} × {price} a session"
        elif fee.per == PER_SESSION:
            amount = round_half_up(count * as_fraction(fee.price) * sessions, minor_units(currency))
            how = f"{count:,} × {price} a session × {sessions:,} sessions"
        else:
            amount = round_half_up(count * as_fraction(fee.price), minor_units(currency))
            how = f"{count:,} × {price} a month"
        label = f"{fee.label} ({whose})" if whose else fee.label
        explanation = f"{label}: {how} = {money_text(amount, currency)}"
        extras.append(Extra("fee", key, label, amount, explanation, count, fee.price))
    return tuple(extras)


def with_minimum(period: Period, card: RateCard, what: str = "used") -> Period:
    """A month made up to the card's monthly minimum, if it falls short (`minimum_extra`)."""
    extra = minimum_extra(period.total, card, what)
    if extra is None:
        return period
    return replace(period, extras=(*period.extras, extra), total=period.total + extra.amount)


def minimum_extra(total: Decimal, card: RateCard, what: str = "used") -> Extra | None:
    """What makes a month's total up to the card's monthly minimum, if it falls short: a
    line that says by how much (`Minimum commitment: $500.00 - $412.37 used = $87.63`)."""
    if card.monthly_minimum is None:
        return None
    currency = card.currency
    # To the minor unit, as every monthly amount.
    minimum = round_half_up(as_fraction(card.monthly_minimum), minor_units(currency))
    if total >= minimum:
        return None
    short = minimum - total
    explanation = (
        f"Minimum commitment: {money_text(minimum, currency)} − "
        f"{money_text(total, currency)} {what} = {money_text(short, currency)}"
    )
    return Extra("minimum", "monthly_minimum", "Minimum commitment", short, explanation)


def describe_charges(charges: Sequence[Charges]) -> str:
    """What makes up a meter's minutes, in words and numbers, the way the seeds put it:
    `3 call legs × 10 min + 1 conference connection × 10 min`."""
    return " + ".join(_describe_kind(batch) for batch in charges)


def _describe_kind(items: Charges) -> str:
    one, many = items.kind.nouns
    count = len(items)
    noun = one if count == 1 else many
    if items.group is not None:
        return _describe_group(items, noun)
    if items.kind is ChargeKind.MINUTE:
        return _describe_minutes(items)
    if items.kind is ChargeKind.SUBSCRIBER:
        subscriptions = count if items.intervals is None else int(items.intervals.sum())
        head = f"{subscriptions:,} subscription{'s' if subscriptions != 1 else ''}"
        if count <= ITEMS_LISTED:
            listed = ", ".join(f"{c.label} {minutes_text(c.seconds)}" for c in items)
            return f"{head} ({listed})"
        return f"{head} by {count:,} {noun}, {minutes_text(items.total)} in all"
    if items.uniform:
        return f"{count:,} {noun} × {minutes_text(items.second(0))}"
    if count <= ITEMS_LISTED:
        listed = " + ".join(_item_text(c) for c in items)
        return f"{count} {noun} ({listed})"
    return f"{count:,} {noun}, {minutes_text(items.total)} in all"


def _describe_minutes(items: Charges) -> str:
    """Billable minutes of video_ppm_per_minute, each the most connected at one moment of
    it: `minute 10:00–11:00: 3 connected at most`, or in all for many minutes."""
    most = items.intervals if items.intervals is not None else items.seconds // 60
    if len(items) <= ITEMS_LISTED:
        return " + ".join(
            f"minute {clock(c.start)}–{clock(c.end)}: {int(most[k]):,} connected at most"
            for k, c in enumerate(items)
        )
    low, high = int(most.min()), int(most.max())
    each = f"{low:,}" if low == high else f"{low:,} to {high:,}"
    return (
        f"{len(items):,} billable minutes, {each} connected at most in each, "
        f"{minutes_text(items.total)} in all"
    )


def _describe_group(items: Charges, noun: str) -> str:
    """A group's members' charges, said of the group (never member by member): `Attendees:
    5,000 participants, 45 min to 60 min each, 262,500 min in all`."""
    group = items.group
    assert group is not None
    count = len(items)
    who = f"{count:,}" if count == group.count else f"{count:,} of {group.count:,}"
    if items.kind is ChargeKind.SUBSCRIBER:
        subscriptions = count if items.intervals is None else int(items.intervals.sum())
        return (
            f"{group.name}: {subscriptions:,} subscription{'s' if subscriptions != 1 else ''} "
            f"by {who} {noun}, {minutes_text(items.total)} in all"
        )
    if items.uniform:
        return f"{group.name}: {who} {noun} × {minutes_text(items.second(0))}"
    low, high = items.span()
    each = (
        f"{minutes_text(low)} each"
        if low == high
        else f"{minutes_text(low)} to {minutes_text(high)} each"
    )
    return f"{group.name}: {who} {noun}, {each}, {minutes_text(items.total)} in all"


def _item_text(charge: Charge) -> str:
    actual = charge.end - charge.start
    billed = minutes_text(charge.seconds)
    if actual != charge.seconds:
        billed = f"{clock(actual)} rounded to {billed}"
    return f"{charge.label} {billed}"


def rate_session(usage: Usage, card: RateCard, *, explain: bool = True) -> Period:
    """One session's lines: each meter's minutes at its (first tier's) rate; `explain=False`
    leaves their explanations empty."""
    seconds = usage.seconds
    by_meter: dict[AnyMeter, list[Charges]] = {}
    for batch in usage.charges:
        by_meter.setdefault(batch.meter, []).append(batch)
    lines = []
    for meter in meter_order(seconds):
        billed = seconds.get(meter, 0)
        if not billed:
            continue
        price = card.price_of(meter)
        amount = session_amount(Fraction(billed, 60) * as_fraction(price.rate))
        explanation = ""
        if explain:
            rate_note = " (first tier's rate)" if price.tiers else ""
            quantity = format_minutes(billed)
            if meter in usage.exact and usage.exact[meter] != billed:
                quantity = (
                    f"{format_minutes(usage.exact[meter])} together, rounded once to "
                    f"{quantity} (rounded per session)"
                )
            elif card.rounding == MONTH and meter not in usage.unrounded:
                quantity += " exactly (the month's total is rounded once)"
            explanation = (
                f"{describe_charges(by_meter.get(meter, []))} "
                f"= {quantity} × {money_text(price.rate, card.currency)}{rate_note} "
                f"= {money_text(amount, card.currency)}"
            )
        lines.append(Line(meter, billed, price.rate, amount, explanation))
    return Period(tuple(lines), sum((line.amount for line in lines), Decimal("0.0000")))


def month_seconds(
    parts: Sequence[tuple[str | None, Usage, int]], card: RateCard, *, explain: bool = True
) -> tuple[dict[AnyMeter, int], dict[AnyMeter, str] | None]:
    """A month's billed seconds per meter from its sessions: each (label, a session's usage,
    how many sessions) adds its seconds times its sessions; when the card rounds the month's
    total (`rounding` month), that exact sum is rounded once (never the whole minutes of
    video_ppm_per_minute). With `explain`, how each meter's quantity came about: `10 min × 4
    sessions = 40 min`, or by scenario, labelled (`Daily stand-up 10 min × 20 + ...`)."""
    rounded: dict[AnyMeter, int | Fraction] = {}
    whole: dict[AnyMeter, int | Fraction] = {}
    texts: dict[AnyMeter, list[str]] = {}
    for label, usage, count in parts:
        for meter, seconds in usage.seconds.items():
            into = whole if meter in usage.unrounded else rounded
            into[meter] = into.get(meter, 0) + seconds * count
            if explain:
                noun = "" if label is not None else " session" if count == 1 else " sessions"
                head = "" if label is None else f"{label} "
                texts.setdefault(meter, []).append(
                    f"{head}{minutes_text(seconds)} × {count:,}{noun}"
                )
    totals: dict[AnyMeter, int] = {}
    how: dict[AnyMeter, str] | None = {} if explain else None
    for meter in meter_order([*rounded, *whole]):
        exact = rounded.get(meter, 0) + whole.get(meter, 0)
        once = card.rounding == MONTH and meter in rounded
        total = card.billed_seconds(rounded[meter]) if once else rounded.get(meter, 0)
        total += whole.get(meter, 0)
        assert isinstance(total, int) or total.denominator == 1
        totals[meter] = int(total)
        if how is not None:
            text = f"{' + '.join(texts[meter])} = {minutes_text(exact)}"
            if once and total != exact:
                text += f", rounded once to {minutes_text(int(total))} (rounded per month)"
            how[meter] = text
    return totals, how


def rate_month(
    monthly_seconds: Mapping[AnyMeter, int], card: RateCard, how: Mapping[AnyMeter, str] | None
) -> Period:
    """Monthly lines: tiers cut the month's whole quantity; each slice rounds to the minor unit.

    `how` says for each meter how its monthly quantity came about (sessions x minutes); None
    leaves the lines' explanations empty.
    """
    lines = []
    places = minor_units(card.currency)
    for meter in meter_order(monthly_seconds):
        billed = monthly_seconds.get(meter, 0)
        if not billed:
            continue
        price = card.price_of(meter)
        volume = card.tier_mode(meter) == VOLUME and bool(price.tiers)
        if volume:
            slices = [volume_slice(price, Fraction(billed, 60), places)]
        else:
            slices = price_slices(price, Fraction(billed, 60), places)
        amount = sum((s.amount for s in slices), Decimal(0))
        if len(slices) == 1:
            rate = slices[0].rate
        else:
            rate = round_half_up(Fraction(amount) / Fraction(billed, 60), 6)
        explanation = ""
        if how is not None:
            head = how.get(meter, format_minutes(billed))
            if volume:
                reached = slices[0]
                math = (
                    f"all at the {ordinal(reached.tier)} tier's {money_text(rate, card.currency)} "
                    f"(volume) = {money_text(amount, card.currency)}"
                )
                head += ","
            elif len(slices) == 1:
                math = f"× {money_text(rate, card.currency)} = {money_text(amount, card.currency)}"
            else:
                math = (
                    "in tiers: "
                    + " + ".join(_slice_text(s, card.currency) for s in slices)
                    + f" = {money_text(amount, card.currency)}"
                )
            explanation = f"{head} {math}"
        lines.append(Line(meter, billed, rate, amount, explanation, tuple(slices)))
    return Period(tuple(lines), sum((line.amount for line in lines), Decimal(0).scaleb(-places)))


def price_slices(price: MeterPrice, minutes: Fraction, places: int) -> list[Slice]:
    """A monthly quantity cut into its tiers' slices (one flat slice without tiers)."""
    slices = []
    floor = Decimal(0)
    for number, tier in enumerate(price.tiers or (Tier(None, price.rate),), start=1):
        top = minutes if tier.up_to is None else min(minutes, as_fraction(tier.up_to))
        if top > floor:
            part = top - as_fraction(floor)
            amount = round_half_up(part * as_fraction(tier.rate), places)
            slices.append(Slice(number, floor, tier.up_to, part, tier.rate, amount))
        if tier.up_to is None or minutes <= tier.up_to:
            break
        floor = tier.up_to
    return slices


ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth")


def ordinal(number: int) -> str:
    return ORDINALS[number - 1] if number <= len(ORDINALS) else f"{number}th"


def volume_slice(price: MeterPrice, minutes: Fraction, places: int) -> Slice:
    """A monthly quantity priced whole at the rate of the tier it reaches: the first tier
    whose bound is open or at least the quantity; rounded half up to the minor unit."""
    floor = Decimal(0)
    for number, tier in enumerate(price.tiers, start=1):
        if tier.up_to is None or minutes <= as_fraction(tier.up_to):
            amount = round_half_up(minutes * as_fraction(tier.rate), places)
            return Slice(number, floor, tier.up_to, minutes, tier.rate, amount)
        floor = tier.up_to
    raise AssertionError("a card's last tier is always open")  # read_tiers makes it so


def _slice_text(s: Slice, currency: str) -> str:
    if s.up_to is None:
        where = f"tier {s.tier}, above {s.floor:,f}"
    else:
        where = f"tier {s.tier}, up to {s.up_to:,f}"
    return (
        f"{Decimal(format_quantity(s.minutes)):,f} min × {money_text(s.rate, currency)} "
        f"= {money_text(s.amount, currency)} ({where})"
    )


def format_minutes(seconds: int | Fraction) -> str:
    return minutes_text(seconds)
