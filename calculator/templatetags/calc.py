"""Filters that show the engine's exact numbers the way people read them."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from django import template

from billing.engine import Model
from billing.engine.money import format_quantity, money_text
from billing.engine.timefmt import clock as clock_text
from billing.engine.timefmt import minutes_text

register = template.Library()


@register.filter
def money(amount: Decimal | str, currency: str) -> str:
    return money_text(Decimal(amount), currency)


@register.filter
def quantity(value: str) -> str:
    """'200000' -> '200,000'; keeps every decimal the engine gave."""
    return f"{Decimal(value):,f}"


@register.filter
def clock(seconds: Decimal | int | None) -> str:
    return "" if seconds is None else clock_text(seconds)


@register.filter
def minutes(seconds: int) -> str:
    return minutes_text(seconds)


@register.filter
def model_label(value: str) -> str:
    return Model(value).label


@register.filter
def exact_minutes(value: Fraction) -> str:
    """A tier slice's minutes: exact where the decimal ends, else to 6 places."""
    return quantity(format_quantity(value))
