"""Money's rounding: exact fractions to decimal places, halves away from zero."""

from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from billing.engine.money import round_half_up


@given(
    # (Up to 28 digits in all, the precision of Decimal's context: far past any amount.)
    st.integers(min_value=-(10**19), max_value=10**19),
    st.integers(min_value=1, max_value=10**12),
    st.integers(min_value=0, max_value=8),
)
def test_round_half_up_is_decimal_s_half_up_of_the_exact_value(n, d, places):
    with localcontext() as context:
        context.prec = 120  # enough for every digit of n / d to the places kept, and more
        expected = (Decimal(n) / Decimal(d)).quantize(
            Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP
        )
    got = round_half_up(Fraction(n, d), places)
    assert got == expected
    assert got.as_tuple().exponent == -places


def test_halves_go_away_from_zero():
    assert round_half_up(Fraction(5, 1000), 2) == Decimal("0.01")
    assert round_half_up(Fraction(-5, 1000), 2) == Decimal("-0.01")
    assert round_half_up(Fraction(49999, 10**7), 2) == Decimal("0.00")
