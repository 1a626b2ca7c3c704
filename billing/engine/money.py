"""Exact decimal arithmetic: parse without floats, round only where a person sees a number."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from functools import lru_cache

from .inputs import number_problem, plain_decimal

CURRENCY_MINOR_UNITS: dict[str, int] = {"JPY": 0, "KRW": 0, "ISK": 0, "CLP": 0, "VND": 0}


def minor_units(currency: str) -> int:
    """Decimal places of the currency's smallest unit (cents for most)."""
    return CURRENCY_MINOR_UNITS.get(currency, 2)


def to_decimal(value: object) -> Decimal:
    """A Decimal from a string, int or Decimal; refuses floats, which cannot hold money exactly.
    A string must be a plain decimal (inputs.plain_decimal); any number one that arithmetic
    can take (inputs.number_problem). ValueError says what is wrong."""
    if isinstance(value, bool | float):
        raise TypeError("floats and booleans are not exact decimals")
    if isinstance(value, str):
        return plain_decimal(value)
    if not isinstance(value, int | Decimal):
        raise TypeError(f"{type(value).__name__} is not a decimal number")
    problem = number_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return Decimal(value)


def round_half_up(value: Fraction, places: int) -> Decimal:
    """Round an exact fraction to `places` decimal places, halves away from zero.
    In integers (Fraction arithmetic costs a gcd an operation): |value| x 10**places + 1/2,
    floored, is (2 |n| 10**places + d) // 2d for value = n / d."""
    n, d = value.numerator, value.denominator
    units = (2 * abs(n) * 10**places + d) // (2 * d)
    return Decimal(-units if n < 0 else units).scaleb(-places)


def exact_decimal(value: Fraction) -> Decimal | None:
    """The fraction as a Decimal if its decimal expansion ends, else None."""
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return None
    places = max(twos, fives)
    return Decimal(value.numerator * 10**places // value.denominator).scaleb(-places)


@lru_cache(maxsize=4096)
def grouped(text: str) -> str:
    """A decimal's text with its thousands grouped, every decimal kept: '200000' -> '200,000'."""
    return f"{Decimal(text):,f}"


def format_quantity(value: Fraction, places: int = 6) -> str:
    """A quantity exactly when its expansion ends, else rounded to `places` decimals. (A
    fraction has one form, so equal quantities read the same: worked out once per value.)"""
    exact = exact_decimal(value)
    if exact is not None and _places(exact) <= places:
        return _plain(exact)
    return _plain(round_half_up(value, places))


def session_amount(value: Fraction, min_places: int = 4, max_places: int = 6) -> Decimal:
    exact = exact_decimal(value)
    if exact is None or _places(exact) > max_places:
        exact = round_half_up(value, max_places)
    if _places(exact) < min_places:
        exact = exact.quantize(Decimal(1).scaleb(-min_places))
    return exact


def _places(value: Decimal) -> int:
    exponent = value.normalize().as_tuple().exponent
    assert isinstance(exponent, int)
    return max(0, -exponent)


def _plain(value: Decimal) -> str:
    """Fixed-point text, never scientific notation."""
    return f"{value:f}"


def currency_symbol(currency: str) -> str | None:
    """The sign written before an amount ('$'), or None where the code is written after."""
    return {"USD": "$", "EUR": "€", "GBP": "£"}.get(currency)


def money_text(amount: Decimal, currency: str) -> str:
    """Money as a person reads it: `$1,234.56`, `€0.0040`, `1,000 JPY`."""
    symbol = currency_symbol(currency)
    sign = "-" if amount < 0 else ""
    body = f"{abs(amount):,f}"
    return f"{sign}{symbol}{body}" if symbol else f"{sign}{body} {currency}"
