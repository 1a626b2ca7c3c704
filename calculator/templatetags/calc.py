"""Filters that show the engine's exact numbers the way people read them."""

from __future__ import annotations

import json
from decimal import Decimal
from fractions import Fraction

from django import template
from django.forms import BoundField
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from billing.engine import Model
from billing.engine.money import format_quantity, money_text
from billing.engine.timefmt import clock as clock_text
from billing.engine.timefmt import minutes_text

register = template.Library()


# What Django's json_script escapes, so that the JSON cannot close its script element.
JSON_ESCAPES = (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"))


@register.filter
def json_data(value: object, element_id: str) -> SafeString:
    """Django's json_script for plain data (figures, field errors), at the speed of the C
    encoder: these are redrawn as the user types."""
    text = json.dumps(value, separators=(",", ":"))
    for char, escaped in JSON_ESCAPES:
        text = text.replace(char, escaped)
    return format_html(
        '<script id="{}" type="application/json">{}</script>', element_id, mark_safe(text)
    )


@register.filter
def error_attrs(field: BoundField) -> SafeString:
    """An input's attributes saying it is in error and where the message is (err-<name>)."""
    if not field.errors:
        return mark_safe("")
    return format_html(' aria-invalid="true" aria-describedby="err-{}"', field.html_name)


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
