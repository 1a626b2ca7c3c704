"""Form fields that read what people type by the engine's rules (billing/engine/inputs.py),
for the admin's rate cards and the calculator's forms alike: text is text, a number is digits
and at most one point. Django's own fields take `1_0`, `١٠` and `1e3` (Decimal and int do)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from billing.engine.inputs import NUMBER_RULE, plain_decimal, plain_whole, text_problem


def validate_text(value: str) -> None:
    """Text every database and page can hold: no lone surrogates, no NUL."""
    problem = text_problem(value)
    if problem is not None:
        raise ValidationError(f"This {problem}.", code="invalid_text")


def _typed(value: Any) -> str:
    """A field's value as typed; text that is not text cannot be a number either."""
    text = str(value)
    if text_problem(text) is not None:
        raise ValueError(text)
    return text


class TextField(forms.CharField):
    default_validators = [validate_text]


class PlainDecimalField(forms.DecimalField):
    """A decimal typed as digits and at most one point (inputs.plain_decimal)."""

    default_error_messages = {"invalid": f"Enter a number: {NUMBER_RULE}."}

    # (The stubs give DecimalField the to_python of IntegerField, its base class in Django.)
    def to_python(self, value: Any) -> Decimal | None:  # type: ignore[override]
        if value in self.empty_values:
            return None
        if isinstance(value, Decimal):  # a stored value, shown as initial data
            return value
        try:
            return plain_decimal(_typed(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class PlainIntegerField(forms.IntegerField):
    """A whole number typed as digits (inputs.plain_whole)."""

    default_error_messages = {"invalid": "Enter a whole number: write digits 0-9 only."}

    def to_python(self, value: Any) -> int | None:
        if value in self.empty_values:
            return None
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        try:
            return plain_whole(_typed(value))
        except ValueError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None
