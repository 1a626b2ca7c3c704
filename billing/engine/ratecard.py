"""Rate cards: what each meter costs, how intervals are rounded, and graduated tiers."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import ScenarioError
from .inputs import MAX_WHOLE_DIGITS
from .meters import AddOn, AnyMeter, Meter
from .reader import Reader, join_path, type_name

MAX_RATE = Decimal(1_000_000)
MAX_TIER_BOUND = Decimal(10) ** 15
MAX_TIERS = 50
MAX_INCREMENT_SECONDS = 86_400
RATE_PLACES = 12
# How a meter's tiers price a month: each slice at its tier's rate, or the whole quantity at
# the rate of the tier it reaches.
GRADUATED, VOLUME = "graduated", "volume"
TIER_MODES = (GRADUATED, VOLUME)
# What is rounded to the increment and minimum: each interval, a meter's total in a session,
# or a meter's total in the month.
INTERVAL, SESSION, MONTH = "interval", "session", "month"
ROUNDINGS = (INTERVAL, SESSION, MONTH)
# Fixed charges: a price per month, or per session.
PER_MONTH, PER_SESSION = "month", "session"
FEE_PERIODS = (PER_MONTH, PER_SESSION)
MAX_FEES = 50
MAX_FEE_KEY = 40
MAX_ADDONS = 20
MAX_MONEY = Decimal(10) ** 12
KEY = re.compile(r"^[a-z][a-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Fee:
    """A fixed charge of a deal: `price` a month or a session, times how many the scenario
    (or estimate) says it has."""

    label: str
    per: str
    price: Decimal


# No limit but what any number may be (inputs.number_problem): a stored card, read as stored.
ANY_WHOLE = 10**MAX_WHOLE_DIGITS - 1


@dataclass(frozen=True, slots=True)
class Tier:
    """A slice of the monthly quantity, in minutes, up to `up_to` (None: no upper bound)."""

    up_to: Decimal | None
    rate: Decimal


@dataclass(frozen=True, slots=True)
class MeterPrice:
    """A flat rate per minute, or graduated tiers; per-session amounts use the first tier's rate."""

    rate: Decimal
    tiers: tuple[Tier, ...] = ()


@dataclass(frozen=True, slots=True)
class RateCard:
    currency: str
    increment_seconds: int
    minimum_seconds: int
    prices: Mapping[AnyMeter, MeterPrice]
    name: str = ""
    slug: str = ""
    version: int | None = None
    effective_date: date | None = None
    overridden: bool = False
    # Meters whose tiers price the whole month at the tier reached (the rest: graduated).
    tier_modes: Mapping[str, str] = field(default_factory=dict)
    # A spend commitment: a month's total below it is made up to it.
    monthly_minimum: Decimal | None = None
    fees: Mapping[str, Fee] = field(default_factory=dict)
    rounding: str = INTERVAL
    # The deal's add-on meters by key (their prices are in `prices`, by the same meter).
    addons: Mapping[str, AddOn] = field(default_factory=dict)

    def tier_mode(self, meter: str) -> str:
        return self.tier_modes.get(meter, GRADUATED)

    def price_of(self, meter: AnyMeter) -> MeterPrice:
        try:
            return self.prices[meter]
        except KeyError:
            card = f"rate card {self.slug!r}" if self.slug else "the rate card"
            raise ScenarioError.single(
                "rate_card",
                f"{card} has no rate for {meter}, which this scenario bills: give the rate "
                f"under Deal terms (or rate_card.rates.{meter} in a document), add it to the "
                "card, or choose another card",
            ) from None

    def billed_seconds(self, duration: Decimal | Fraction | int) -> int:
        """Round one quantity of seconds (an interval, or a total rounded once):
        max(minimum, ceil(d / increment) * increment); nothing for d <= 0."""
        if duration <= 0:
            return 0
        step = self.increment_seconds
        whole, part = divmod(duration, step)
        billed = (int(whole) + (1 if part else 0)) * step
        return billed if billed >= self.minimum_seconds else self.minimum_seconds

    def billed_ticks(self, durations: npt.NDArray[Any], scale: int) -> npt.NDArray[Any]:
        """`billed_seconds` of many durations at once, the durations given as exact integers
        in 1/scale seconds, the result in whole seconds."""
        step = self.increment_seconds
        billed = (durations + step * scale - 1) // (step * scale) * step
        if self.minimum_seconds:
            billed = np.maximum(billed, self.minimum_seconds)
        return np.where(durations > 0, billed, 0)

    def round_in_place(self, durations: npt.NDArray[np.float64], scale: int) -> None:
        """`billed_ticks` of many durations, in place, in float64: the durations are whole
        ticks (1/scale s), the result whole seconds.

        Exact, and several times quicker than integer division: every value is a whole number
        below 2**53, and for d below 4.5e15 the quotient d / step is either a whole number (got
        exactly) or at least 1/step away from one (more than its rounding error), so its
        ceiling is the true one."""
        step = self.increment_seconds
        np.divide(durations, step * scale, out=durations)
        np.ceil(durations, out=durations)
        np.maximum(durations, 0, out=durations)
        np.multiply(durations, step, out=durations)
        if self.minimum_seconds:
            np.maximum(durations, self.minimum_seconds, out=durations, where=durations > 0)


@dataclass(frozen=True, slots=True)
class RateCardOverride:
    """An inline rate card: whatever it leaves out comes from the default card."""

    currency: str | None = None
    increment_seconds: int | None = None
    minimum_seconds: int | None = None
    prices: Mapping[AnyMeter, MeterPrice] = field(default_factory=dict)
    name: str | None = None
    # The stored card these overrides apply to; None: the default card.
    base: str | None = None
    tier_modes: Mapping[str, str] = field(default_factory=dict)
    monthly_minimum: Decimal | None = None
    fees: Mapping[str, Fee] = field(default_factory=dict)
    rounding: str | None = None
    addons: Mapping[str, AddOn] = field(default_factory=dict)

    def apply_to(self, base: RateCard) -> RateCard:
        return replace(
            base,
            name=self.name if self.name is not None else f"{base.name}, with the deal's own terms",
            overridden=True,
            currency=self.currency or base.currency,
            increment_seconds=self.increment_seconds or base.increment_seconds,
            minimum_seconds=(
                self.minimum_seconds if self.minimum_seconds is not None else base.minimum_seconds
            ),
            prices={**base.prices, **self.prices},
            tier_modes={**base.tier_modes, **self.tier_modes},
            monthly_minimum=(
                self.monthly_minimum if self.monthly_minimum is not None else base.monthly_minimum
            ),
            fees={**base.fees, **_named_as(self.fees, base.fees)},
            rounding=self.rounding or base.rounding,
            addons={**base.addons, **_named_as(self.addons, base.addons)},
        )


def _named_as(changed: Mapping[str, Any], base: Mapping[str, Any]) -> dict[str, Any]:
    """A deal's fees or add-ons over the base card's: one given no label of its own (its key
    stands for one) keeps the base card's name for the same key."""
    named = {}
    for key, item in changed.items():
        if item.label == key and key in base:
            item = (
                replace(item, label=base[key].label)
                if isinstance(item, Fee)
                else AddOn(key, base[key].label)
            )
        named[key] = item
    return named


CARD_FIELDS = (
    "base",
    "name",
    "currency",
    "increment_seconds",
    "minimum_seconds",
    "rates",
    "tiers",
    "tier_modes",
    "monthly_minimum",
    "fees",
    "rounding",
    "addons",
)


def read_override(
    reader: Reader,
    value: object,
    path: str,
    *,
    limits: bool = True,
    tiers_need_rates: bool = False,
) -> RateCardOverride | None:
    """An inline rate card. With `limits` off, a card is read as it was stored: every rule
    pricing relies on still holds (decimal rates, tiers rising to an open last one, an
    increment of at least a second), but not the product's limits (MAX_RATE, MAX_TIERS...),
    which may have changed since; and a rate that differs from its first tier's gives way to
    it, as stored versions always priced."""
    data = reader.mapping(value, path, CARD_FIELDS)
    if data is None:
        return None
    currency = None
    if data.get("currency") is not None:
        currency = reader.text(data["currency"], join_path(path, "currency"))
        if not (len(currency) == 3 and currency.isascii() and currency.isupper()):
            reader.problem(join_path(path, "currency"), "must be a three-letter code such as USD")
    increment = minimum = None
    if data.get("increment_seconds") is not None:
        increment = reader.whole(
            data["increment_seconds"],
            join_path(path, "increment_seconds"),
            1,
            MAX_INCREMENT_SECONDS if limits else ANY_WHOLE,
            None,
        )
    if data.get("minimum_seconds") is not None:
        minimum = reader.whole(
            data["minimum_seconds"],
            join_path(path, "minimum_seconds"),
            0,
            MAX_INCREMENT_SECONDS if limits else ANY_WHOLE,
            None,
        )
    addons = read_addons(reader, data.get("addons"), join_path(path, "addons"), limits)
    name = base = None
    if data.get("name") is not None:
        name = reader.text(data["name"], join_path(path, "name"))
    if data.get("base") is not None:
        base = reader.text(data["base"], join_path(path, "base")).strip() or None
    return RateCardOverride(
        base=base,
        currency=currency,
        increment_seconds=increment,
        minimum_seconds=minimum,
        prices=read_prices(
            reader, data, path, limits=limits, tiers_need_rates=tiers_need_rates, addons=addons
        ),
        name=name,
        tier_modes=read_tier_modes(
            reader, data.get("tier_modes"), join_path(path, "tier_modes"), addons
        ),
        monthly_minimum=(
            None
            if data.get("monthly_minimum") is None
            else reader.decimal(
                data["monthly_minimum"],
                join_path(path, "monthly_minimum"),
                what="a monthly minimum",
                maximum=MAX_MONEY if limits else None,
                places=RATE_PLACES if limits else None,
            )
        ),
        fees=read_fees(reader, data.get("fees"), join_path(path, "fees"), limits),
        rounding=(
            None
            if data.get("rounding") is None
            else reader.choice(data["rounding"], join_path(path, "rounding"), ROUNDINGS, None)
        ),
        addons={key: meter for key, (meter, _) in addons.items()},
    )


def _keyed_items(
    reader: Reader,
    value: object,
    path: str,
    limit: int | None,
    plural: str,
    one: str,
    fields: tuple[str, ...],
) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """The items of an object of fees or add-ons by key: (key, its path, its fields), for each
    item whose key is well formed; every problem reported by its path."""
    if value is None:
        return
    if not isinstance(value, Mapping):
        reader.problem(path, f"must be an object of {plural} by key, not {type_name(value)}")
        return
    if limit is not None and len(value) > limit:
        reader.problem(path, f"at most {limit} {plural} are allowed (got {len(value):,})")
        return
    # By key: the order a card lists them in is the same whichever database kept it
    # (PostgreSQL's jsonb does not keep an object's order).
    for key, item in sorted(value.items(), key=lambda pair: str(pair[0])):
        item_path = join_path(path, key)
        if not isinstance(key, str) or not KEY.match(key) or len(key) > MAX_FEE_KEY:
            reader.problem(
                item_path,
                f"{one} key is lower-case letters, digits and _, starting with a letter, "
                f"at most {MAX_FEE_KEY} characters",
            )
            continue
        data = reader.mapping(item, item_path, fields)
        if data is not None:
            yield key, item_path, data


def read_fees(reader: Reader, value: object, path: str, limits: bool) -> dict[str, Fee]:
    """`{"<key>": {"label": ..., "per": "month" | "session", "price": "2.00"}}`."""
    fees = {}
    limit = MAX_FEES if limits else None
    fields = ("label", "per", "price")
    for key, item_path, data in _keyed_items(reader, value, path, limit, "fees", "a fee's", fields):
        price = reader.decimal(
            data.get("price"),
            join_path(item_path, "price"),
            what="a fee's price",
            maximum=MAX_MONEY if limits else None,
            places=RATE_PLACES if limits else None,
        )
        per = reader.choice(data.get("per"), join_path(item_path, "per"), FEE_PERIODS, None)
        label = reader.text(data.get("label"), join_path(item_path, "label"), key)
        if price is not None:
            fees[key] = Fee(label or key, per, price)
    return fees


# An add-on as a card gives it: the meter, and its rate (None when only its tiers give one).
AddOnPrice = tuple[AddOn, Decimal | None]


def read_addons(reader: Reader, value: object, path: str, limits: bool) -> dict[str, AddOnPrice]:
    """`{"<key>": {"label": ..., "rate": "0.0100"}}`: per-minute meters a deal adds; a key
    is never one of the built-in meters."""
    addons: dict[str, AddOnPrice] = {}
    limit = MAX_ADDONS if limits else None
    items = _keyed_items(
        reader, value, path, limit, "add-on meters", "an add-on's", ("label", "rate")
    )
    for key, item_path, data in items:
        if key in set(Meter):
            reader.problem(
                item_path, f"{key} is a built-in meter: give it a rate in rates, not as an add-on"
            )
            continue
        rate = None
        if data.get("rate") is not None or "rate" in data:
            rate = reader.decimal(
                data.get("rate"),
                join_path(item_path, "rate"),
                what="a rate",
                maximum=MAX_RATE if limits else None,
                places=RATE_PLACES if limits else None,
            )
        label = reader.text(data.get("label"), join_path(item_path, "label"), key)
        addons[key] = (AddOn(key, label or key), rate)
    return addons


def read_tier_modes(
    reader: Reader, value: object, path: str, addons: Mapping[str, AddOnPrice] | None = None
) -> dict[str, str]:
    """`{"<meter>": "graduated" | "volume"}`: a built-in meter or one of the card's add-ons."""
    if value is None:
        return {}
    data = reader.mapping(value, path, [*Meter, *(addons or {})])
    if data is None:
        return {}
    modes = {}
    for meter, mode in data.items():
        modes[str(meter)] = reader.choice(mode, join_path(path, meter), TIER_MODES, None)
    return modes


def read_prices(
    reader: Reader,
    data: Mapping[str, Any],
    path: str,
    *,
    limits: bool = True,
    tiers_need_rates: bool = False,
    addons: Mapping[str, AddOnPrice] | None = None,
) -> dict[AnyMeter, MeterPrice]:
    """Rates and tiers per meter (the card's add-ons' rates are theirs). A meter given tiers
    but no rate takes its first tier's rate, unless `tiers_need_rates` (a stored card gives
    every meter it prices a rate)."""
    addons = addons or {}
    rates_path, tiers_path = join_path(path, "rates"), join_path(path, "tiers")
    rates = dict(reader.mapping(data.get("rates") or {}, rates_path, list(Meter)) or {})
    tiers = reader.mapping(data.get("tiers") or {}, tiers_path, [*Meter, *addons]) or {}
    meters: list[AnyMeter] = list(Meter)
    for addon, rate_given in addons.values():
        meters.append(addon)
        if rate_given is not None:
            rates[addon] = rate_given
    prices: dict[AnyMeter, MeterPrice] = {}
    for meter in meters:
        if meter not in rates and meter not in tiers:
            if isinstance(meter, AddOn):
                reader.problem(
                    join_path(join_path(path, "addons"), meter),
                    "needs a rate (or tiers in tiers, which give it their first one)",
                )
            continue
        rate = None
        if isinstance(meter, AddOn) and meter in rates:
            rate = rates[meter]
        elif meter in rates:
            rate = reader.decimal(
                rates[meter],
                join_path(rates_path, meter),
                what="a rate",
                maximum=MAX_RATE if limits else None,
                places=RATE_PLACES if limits else None,
            )
        elif tiers_need_rates:
            reader.problem(
                join_path(tiers_path, meter),
                "has tiers but no rate: give the meter its rate (the first tier's rate), "
                "or remove its tiers",
            )
        graduated: tuple[Tier, ...] = ()
        if meter in tiers:
            graduated = read_tiers(reader, tiers[meter], join_path(tiers_path, meter), limits)
        if graduated:
            if limits and rate is not None and rate != graduated[0].rate:
                where = join_path(path, "addons") if isinstance(meter, AddOn) else rates_path
                reader.problem(
                    join_path(where, meter) + (".rate" if isinstance(meter, AddOn) else ""),
                    f"must equal the first tier's rate ({graduated[0].rate}), "
                    "which prices a single session",
                )
            prices[meter] = MeterPrice(graduated[0].rate, graduated)
        elif rate is not None:
            prices[meter] = MeterPrice(rate)
    return prices


def read_tiers(reader: Reader, value: object, path: str, limits: bool) -> tuple[Tier, ...]:
    items = reader.items(value, path, MAX_TIERS if limits else None, "tiers")
    if isinstance(value, list | tuple) and not value:
        reader.problem(path, "must have at least one tier")
    tiers: list[Tier] = []
    previous = Decimal(0)
    ok = True
    for index, item in enumerate(items):
        item_path = join_path(path, index)
        data = reader.mapping(item, item_path, ("up_to", "rate"))
        if data is None:
            ok = False
            continue
        rate = reader.decimal(
            data.get("rate"),
            join_path(item_path, "rate"),
            what="a rate",
            maximum=MAX_RATE if limits else None,
            places=RATE_PLACES if limits else None,
        )
        up_to = None
        last = index == len(items) - 1
        if data.get("up_to") is None:
            if not last:
                reader.problem(
                    join_path(item_path, "up_to"), "only the last tier may be open (null)"
                )
                ok = False
        else:
            up_to = reader.decimal(
                data["up_to"],
                join_path(item_path, "up_to"),
                what="a tier bound",
                maximum=MAX_TIER_BOUND if limits else None,
                places=RATE_PLACES if limits else None,
            )
            if up_to is not None and up_to <= 0:
                reader.problem(join_path(item_path, "up_to"), "a tier bound must be more than 0")
                ok = False
            elif up_to is not None and up_to <= previous:
                reader.problem(
                    join_path(item_path, "up_to"),
                    f"tiers must be in increasing order: {up_to} does not exceed {previous}",
                )
                ok = False
            elif up_to is not None:
                previous = up_to
            if last:
                reader.problem(
                    join_path(item_path, "up_to"),
                    'the last tier must be open ("up_to": null) so every quantity has a rate',
                )
                ok = False
        if rate is None:
            ok = False
            continue
        tiers.append(Tier(up_to, rate))
    return tuple(tiers) if ok else ()


def read_rate_card(
    value: object, path: str = "rate_card", *, tiers_need_rates: bool = False
) -> RateCard:
    """A complete rate card from a document, for cards stored or loaded outside Django: every
    rule and limit applied, as to a card entering now. `tiers_need_rates`: a stored card's
    meters with tiers must have their own rate too (see read_prices)."""
    reader = Reader()
    override = read_override(reader, value, path, tiers_need_rates=tiers_need_rates)
    reader.raise_if_any()
    assert override is not None
    return _complete(override)


def _complete(override: RateCardOverride) -> RateCard:
    return RateCard(
        currency=override.currency or "USD",
        increment_seconds=override.increment_seconds or 60,
        minimum_seconds=override.minimum_seconds or 0,
        prices=dict(override.prices),
        name=override.name or "",
        tier_modes=dict(override.tier_modes),
        monthly_minimum=override.monthly_minimum,
        fees=dict(override.fees),
        rounding=override.rounding or INTERVAL,
        addons=dict(override.addons),
    )


def card_document(card: RateCard) -> dict[str, Any]:
    """The rate card as the `rate_card` object of a scenario document."""
    rates = {
        str(meter): str(price.rate)
        for meter, price in sorted(card.prices.items())
        if isinstance(meter, Meter)
    }
    tiers = {
        str(meter): [
            {"up_to": None if t.up_to is None else str(t.up_to), "rate": str(t.rate)}
            for t in price.tiers
        ]
        for meter, price in sorted(card.prices.items())
        if price.tiers
    }
    document: dict[str, Any] = {
        "currency": card.currency,
        "increment_seconds": card.increment_seconds,
        "minimum_seconds": card.minimum_seconds,
        "rates": rates,
    }
    if tiers:
        document["tiers"] = tiers
    modes = {meter: mode for meter, mode in sorted(card.tier_modes.items()) if mode != GRADUATED}
    if modes:
        document["tier_modes"] = modes
    if card.monthly_minimum is not None:
        document["monthly_minimum"] = str(card.monthly_minimum)
    if card.fees:
        document["fees"] = fees_document(card.fees)
    if card.rounding != INTERVAL:
        document["rounding"] = card.rounding
    if card.addons:
        document["addons"] = addons_document(card.addons, card.prices)
    return document


def addons_document(
    addons: Mapping[str, AddOn], prices: Mapping[AnyMeter, MeterPrice]
) -> dict[str, Any]:
    return {
        key: {"label": meter.label, "rate": str(prices[meter].rate)}
        for key, meter in sorted(addons.items())
        if meter in prices
    }


def fees_document(fees: Mapping[str, Fee]) -> dict[str, Any]:
    return {
        key: {"label": fee.label, "per": fee.per, "price": str(fee.price)}
        for key, fee in sorted(fees.items())
    }


def card_snapshot(card: RateCard) -> dict[str, Any]:
    """A card with what identifies it (slug, name, version, effective date): what a saved
    quote keeps so that later price changes never change it."""
    return {
        "slug": card.slug,
        "name": card.name,
        "version": card.version,
        "effective_date": card.effective_date.isoformat() if card.effective_date else None,
        **card_document(card),
    }


def read_snapshot(snapshot: object) -> RateCard:
    """A card as a saved quote keeps it (card_snapshot), or as a version is stored, read as it
    was stored: without today's limits (read_override with `limits` off), so that a quote saved
    before a limit changed still opens with the prices it was given. ScenarioError only when
    the card could not price anything at all."""
    reader = Reader()
    path = "rate_card"
    if not isinstance(snapshot, Mapping):
        raise ScenarioError.single(path, f"must be an object, not {type_name(snapshot)}")
    data = snapshot
    # What else a snapshot holds is left alone, as the card's own fields were stored.
    document = {key: data[key] for key in CARD_FIELDS if key in data and key != "base"}
    override = read_override(reader, document, path, limits=False)
    slug = reader.text(data.get("slug"), join_path(path, "slug"))
    name = reader.text(data.get("name"), join_path(path, "name"), max_length=1000)
    version = None
    if data.get("version") is not None:
        version = reader.whole(data["version"], join_path(path, "version"), 0, ANY_WHOLE, None)
    effective = None
    if data.get("effective_date") is not None:
        text = reader.text(data["effective_date"], join_path(path, "effective_date"))
        try:
            effective = date.fromisoformat(text)
        except ValueError:
            reader.problem(join_path(path, "effective_date"), "must be a date such as 2026-01-01")
    reader.raise_if_any()
    assert override is not None
    return replace(
        _complete(override), slug=slug, name=name, version=version, effective_date=effective
    )


def same_prices(a: RateCard, b: RateCard) -> bool:
    """Whether two cards price every scenario alike (names and versions aside)."""
    return card_document(a) == card_document(b)
