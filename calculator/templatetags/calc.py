"""Filters that show the engine's exact numbers the way people read them, and tags that write
the editor's row inputs."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal
from fractions import Fraction
from html import escape  # the standard library's: Django's is lazy-aware, and slower

from django import template
from django.forms import BoundField
from django.template import Context
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

from billing.engine import Meter, Model, Scenario
from billing.engine.estimate import MAX_MONTHS, MAX_SCENARIOS
from billing.engine.money import format_quantity, grouped, money_text
from billing.engine.scenario import ENDPOINT_LABELS, MAX_INTERVALS, MAX_PARTICIPANTS
from billing.engine.timefmt import clock as clock_text
from billing.engine.timefmt import minutes_text
from calculator.editor import rows
from calculator.editor.columns import GROUP_COLUMNS, PARTICIPANT_COLUMNS, Column

register = template.Library()


# What Django's json_script escapes, so that the JSON cannot close its script element.
JSON_ESCAPES = (("&", "\\u0026"), ("<", "\\u003C"), (">", "\\u003E"))


@register.simple_tag
def limits() -> dict[str, int]:
    """The documents' limits, as the engine has them, for the pages that state them."""
    return {
        "participants": MAX_PARTICIPANTS,
        "intervals": MAX_INTERVALS,
        "months": MAX_MONTHS,
        "scenarios": MAX_SCENARIOS,
    }


@register.simple_tag
def participant_columns() -> tuple[Column, ...]:
    """The participants' columns (editor/columns.py), for the tables' headings."""
    return PARTICIPANT_COLUMNS


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


# A row's inputs, written in Python rather than included templates: a scenario of a thousand
# participants has nine thousand of them, and an include costs a hundred times more.


def _row_field_names(field: BoundField) -> str:
    return f'name="{escape(field.html_name)}" id="{escape(field.id_for_label)}"'


def _row_field_labels(field: BoundField, col: str) -> str:
    """A row's input is labelled by its column's heading and its row's."""
    return f' aria-labelledby="{escape(col)} {escape(field.form.prefix or "")}-head"'


def _row_field_errors(field: BoundField) -> tuple[str, str]:
    """The attributes marking a field in error, and its message beside it."""
    if not field.errors:
        return "", ""
    name = escape(field.html_name)
    attributes = f' aria-invalid="true" aria-describedby="err-{name}"'
    message = f'<span class="field-error" id="err-{name}">{escape(" ".join(map(str, field.errors)))}</span>'
    return attributes, message


@register.simple_tag(takes_context=True)
def row_input(
    context: Context, field: BoundField, col: str, size: int = 0, kind: str = "text"
) -> SafeString:
    """A row's text input (`kind` "time": m:ss; "number": within the field's bounds)."""
    value = field.value()
    parts = [
        f'<input type="{"number" if kind == "number" else "text"}" ',
        _row_field_names(field),
        f' value="{"" if value is None else escape(str(value))}"',
    ]
    if size:
        parts.append(f' size="{int(size)}"')
    if kind == "time":
        parts.append(' placeholder="m:ss" autocomplete="off" class="time"')
    elif kind == "number":
        low, high = getattr(field.field, "min_value", None), getattr(field.field, "max_value", None)
        parts.append(f' min="{low}"' if low is not None else "")
        parts.append(f' max="{high}"' if high is not None else "")
    parts.append(_row_field_labels(field, col))
    if context.get("focus") == field.id_for_label:
        parts.append(" autofocus")
    invalid, message = _row_field_errors(field)
    parts += [invalid, ">", message]
    return mark_safe("".join(parts))


@register.simple_tag
def row_select(field: BoundField, col: str) -> SafeString:
    """A row's drop-down of its field's choices."""
    chosen = field.value()
    options = "".join(
        f'<option value="{escape(str(value))}"{" selected" if value == chosen else ""}>'
        f"{escape(str(label))}</option>"
        for value, label in field.field.choices  # type: ignore[attr-defined]
    )
    invalid, message = _row_field_errors(field)
    start = f"<select {_row_field_names(field)}{_row_field_labels(field, col)}{invalid}>"
    return mark_safe(f"{start}{options}</select>{message}")


@register.simple_tag(takes_context=True)
def participant_rows(context: Context, url: str) -> SafeString:
    """The participants' rows of the editor in context (calculator/rows.py)."""
    editor = context["editor"]
    return rows.participant_rows(
        editor.rows["p"], editor.errors, context.get("focus"), url, editor.warnings
    )


@register.simple_tag(takes_context=True)
def group_rows(context: Context, url: str) -> SafeString:
    """The groups' rows of the editor in context (calculator/rows.py)."""
    editor = context["editor"]
    return rows.group_rows(
        editor.rows["g"], editor.errors, context.get("focus"), url, editor.warnings
    )


@register.simple_tag
def group_columns() -> tuple[Column, ...]:
    return GROUP_COLUMNS


@register.simple_tag
def summary_groups(scenario: Scenario) -> SafeString:
    return rows.summary_groups(scenario)


@register.simple_tag(takes_context=True)
def interval_rows(context: Context, prefix: str, url: str, noun: str, media: bool) -> SafeString:
    """A section of intervals of the editor in context: its counts and rows."""
    editor = context["editor"]
    return rows.interval_rows(
        prefix,
        editor.rows[prefix],
        editor.errors,
        context.get("focus"),
        url,
        noun,
        media,
        editor.warnings,
    )


@register.simple_tag
def summary_rows(scenario: Scenario) -> SafeString:
    return rows.summary_rows(scenario)


@register.simple_tag
def summary_intervals(scenario: Scenario) -> SafeString:
    return rows.summary_intervals(scenario)


@register.simple_tag
def summary_terms(scenario: Scenario) -> SafeString:
    return rows.summary_terms(scenario)


@register.simple_tag(takes_context=True)
def deal_rows(context: Context, prefix: str, url: str) -> SafeString:
    """The deal's own add-ons (`x`) or fees (`y`) of the editor in context."""
    editor = context["editor"]
    return rows.deal_rows(prefix, editor.rows[prefix], editor.errors, context.get("focus"), url)


@register.simple_tag(takes_context=True)
def fee_rows(context: Context, url: str) -> SafeString:
    """The editor's fee counts in context."""
    editor = context["editor"]
    return rows.fee_rows(
        editor.rows["f"], editor.errors, context.get("focus"), url, editor.warnings
    )


@register.simple_tag
def management(prefix: str, count: int) -> SafeString:
    return rows.management(prefix, count)


@register.simple_tag(takes_context=True)
def hidden_fields(context: Context) -> SafeString:
    editor = context["editor"]
    return rows.hidden_fields(editor.scenario, editor.rows)


@register.filter
def error_attrs(field: BoundField) -> SafeString:
    """An input's attributes saying it is in error and where the message is (err-<name>)."""
    return mark_safe(_row_field_errors(field)[0])


@register.filter
def money(amount: Decimal | str, currency: str) -> str:
    return money_text(Decimal(amount), currency)


@register.filter
def quantity(value: str) -> str:
    """'200000' -> '200,000'; keeps every decimal the engine gave."""
    return grouped(value)


@register.filter
def clock(seconds: Decimal | int | None) -> str:
    return "" if seconds is None else clock_text(seconds)


@register.filter
def minutes(seconds: int) -> str:
    return minutes_text(seconds)


@register.filter
def day(value: datetime.date | str | None) -> str:
    """A rate card's date as every page writes it, '1 Jan 2026', whether a date or, as saved
    quotes keep their card, ISO text."""
    if not value:
        return ""
    when = value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)
    return f"{when.day} {when:%b %Y}"


@register.filter
def endpoint_label(value: str) -> str:
    """'webrtc' -> 'WebRTC browser', as the editor's drop-down names it."""
    return ENDPOINT_LABELS.get(value, value)


@register.filter
def model_label(value: str) -> str:
    return Model(value).label


@register.filter
def exact_minutes(value: Fraction) -> str:
    """A tier slice's minutes: exact where the decimal ends, else to 6 places."""
    return quantity(format_quantity(value))


@register.filter
def count(value: int) -> str:
    """12345 -> '12,345'."""
    return f"{int(value):,}"


@register.filter
def meter_label(value: str) -> str:
    """A meter's name as the breakdown writes it; an add-on's key as it is."""
    return Meter(value).label if value in Meter._value2member_map_ else value
