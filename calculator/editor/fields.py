"""The editors' fields: text as people type it, cleaned to domain values, every message
naming the bounds and places allowed."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from billing.engine import ScenarioError
from billing.engine.jsonio import dumps
from billing.engine.timefmt import parse_clock
from billing.forms import PlainDecimalField, PlainIntegerField
from billing.service import load_json


def offer(form_field: forms.Field, choices: Iterable[tuple[str, str]]) -> None:
    """Set the choices of a choice field made before they were known (a request's cards)."""
    assert isinstance(form_field, forms.ChoiceField)
    form_field.choices = list(choices)


class ClockField(forms.Field):
    """A time typed as m:ss, h:mm:ss or plain seconds, cleaned to Decimal seconds. Each part
    is plain digits (parse_clock), so 1e999999999 or ٣:٠٠ is not a time."""

    widget = forms.TextInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault(
            "widget",
            forms.TextInput(attrs={"placeholder": "m:ss", "size": 7}),
        )
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> Decimal | None:
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        if len(text) > 20:
            raise ValidationError("Enter a time as m:ss or h:mm:ss, e.g. 7:30", code="invalid")
        try:
            return parse_clock(text)
        except ValueError:
            raise ValidationError(
                "Enter a time as m:ss or h:mm:ss, e.g. 7:30", code="invalid"
            ) from None


class DocumentField(forms.CharField):
    """JSON text read exactly (decimals stay decimals)."""

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if not text:
            return None
        try:
            return load_json(text)
        except ScenarioError as error:
            raise ValidationError(str(error), code="invalid") from None

    def prepare_value(self, value: Any) -> Any:
        return value if isinstance(value, str) or value is None else dumps(value)


class WholeNumberField(PlainIntegerField):
    """A whole number typed as digits, within bounds, its bounds written as people read them."""

    def __init__(self, *, min_value: int, max_value: int, **kwargs: Any) -> None:
        message = f"Enter a whole number from {min_value:,} to {max_value:,}."
        messages = {"invalid": message, "min_value": message, "max_value": message}
        super().__init__(
            min_value=min_value, max_value=max_value, error_messages=messages, **kwargs
        )


class BoundedDecimalField(PlainDecimalField):
    """A decimal typed as digits and a point, within bounds (no upper one if `max_value` is
    None), its bounds and places written as people read them, whatever is wrong with the text."""

    def __init__(
        self,
        *,
        min_value: Decimal,
        max_value: Decimal | None = None,
        decimal_places: int,
        what: str = "a number",
        **kwargs: Any,
    ) -> None:
        bounds = (
            f"of {min_value:,} or more"
            if max_value is None
            else f"from {min_value:,} to {max_value:,}"
        )
        message = f"Enter {what} {bounds}, with at most {decimal_places} decimal places."
        codes = (
            "invalid",
            "min_value",
            "max_value",
            "max_digits",
            "max_decimal_places",
            "max_whole_digits",
        )
        super().__init__(
            min_value=min_value,
            max_value=max_value,
            decimal_places=decimal_places,
            error_messages=dict.fromkeys(codes, message),
            **kwargs,
        )
