"""Rate cards: what each meter costs, how intervals are rounded, and graduated tiers."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import ScenarioError
from .meters import Meter
from .reader import Reader, join_path

MAX_RATE = Decimal(1_000_000)
MAX_TIER_BOUND = Decimal(10) ** 15
MAX_TIERS = 50
MAX_INCREMENT_SECONDS = 86_400


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
    prices: Mapping[Meter, MeterPrice]
    name: str = ""
    slug: str = ""
    version: int | None = None
    effective_date: date | None = None
    overridden: bool = False

    def price_of(self, meter: Meter) -> MeterPrice:
        try:
            return self.prices[meter]
        except KeyError:
            card = f"rate card {self.slug!r}" if self.slug else "the rate card"
            raise ScenarioError.single("rate_card", f"{card} has no rate for {meter}") from None

    def billed_seconds(self, duration: Decimal) -> int:
        """Round one interval: max(minimum, ceil(d / increment) * increment); nothing for d <= 0."""
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
    prices: Mapping[Meter, MeterPrice] = field(default_factory=dict)
    name: str | None = None
    # The stored card these overrides apply to; None: the default card.
    base: str | None = None

    def apply_to(self, base: RateCard) -> RateCard:
        return replace(
            base,
            name=self.name if self.name is not None else f"{base.name}, with inline rates",
            overridden=True,
            currency=self.currency or base.currency,
            increment_seconds=self.increment_seconds or base.increment_seconds,
            minimum_seconds=(
                self.minimum_seconds if self.minimum_seconds is not None else base.minimum_seconds
            ),
            prices={**base.prices, **self.prices},
        )


CARD_FIELDS = (
    "base",
    "name",
    "currency",
    "increment_seconds",
    "minimum_seconds",
    "rates",
    "tiers",
)


def read_override(reader: Reader, value: object, path: str) -> RateCardOverride | None:
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
            MAX_INCREMENT_SECONDS,
            None,
        )
    if data.get("minimum_seconds") is not None:
        minimum = reader.whole(
            data["minimum_seconds"],
            join_path(path, "minimum_seconds"),
            0,
            MAX_INCREMENT_SECONDS,
            None,
        )
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
        prices=read_prices(reader, data, path),
        name=name,
    )


def read_prices(reader: Reader, data: Mapping[str, Any], path: str) -> dict[Meter, MeterPrice]:
    """Rates and tiers per meter. A meter given tiers but no rate takes its first tier's rate."""
    rates_path, tiers_path = join_path(path, "rates"), join_path(path, "tiers")
    rates = reader.mapping(data.get("rates") or {}, rates_path, list(Meter)) or {}
    tiers = reader.mapping(data.get("tiers") or {}, tiers_path, list(Meter)) or {}
    prices: dict[Meter, MeterPrice] = {}
    for meter in Meter:
        if meter not in rates and meter not in tiers:
            continue
        rate = None
        if meter in rates:
            rate = reader.decimal(
                rates[meter], join_path(rates_path, meter), what="a rate", maximum=MAX_RATE
            )
        graduated: tuple[Tier, ...] = ()
        if meter in tiers:
            graduated = read_tiers(reader, tiers[meter], join_path(tiers_path, meter))
        if graduated:
            if rate is not None and rate != graduated[0].rate:
                reader.problem(
                    join_path(rates_path, meter),
                    f"must equal the first tier's rate ({graduated[0].rate}), "
                    "which prices a single session",
                )
            prices[meter] = MeterPrice(graduated[0].rate, graduated)
        elif rate is not None:
            prices[meter] = MeterPrice(rate)
    return prices


def read_tiers(reader: Reader, value: object, path: str) -> tuple[Tier, ...]:
    items = reader.items(value, path, MAX_TIERS, "tiers")
    if value is not None and not items and isinstance(value, list):
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
            data.get("rate"), join_path(item_path, "rate"), what="a rate", maximum=MAX_RATE
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
                maximum=MAX_TIER_BOUND,
            )
            if up_to is not None and up_to <= previous:
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


def read_rate_card(value: object, path: str = "rate_card") -> RateCard:
    """A complete rate card from a document, for cards stored or loaded outside Django."""
    reader = Reader()
    override = read_override(reader, value, path)
    reader.raise_if_any()
    assert override is not None
    return RateCard(
        currency=override.currency or "USD",
        increment_seconds=override.increment_seconds or 60,
        minimum_seconds=override.minimum_seconds or 0,
        prices=dict(override.prices),
        name=override.name or "",
    )


def card_document(card: RateCard) -> dict[str, Any]:
    """The rate card as the `rate_card` object of a scenario document."""
    rates = {str(meter): str(price.rate) for meter, price in sorted(card.prices.items())}
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
    return document


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


def read_snapshot(snapshot: Mapping[str, Any]) -> RateCard:
    document = {key: snapshot[key] for key in CARD_FIELDS if key in snapshot and key != "base"}
    card = read_rate_card(document)
    effective = snapshot.get("effective_date")
    return replace(
        card,
        slug=str(snapshot.get("slug") or ""),
        name=str(snapshot.get("name") or ""),
        version=snapshot.get("version"),
        effective_date=date.fromisoformat(effective) if effective else None,
    )


def same_prices(a: RateCard, b: RateCard) -> bool:
    """Whether two cards price every scenario alike (names and versions aside)."""
    return card_document(a) == card_document(b)
