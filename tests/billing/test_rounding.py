from decimal import Decimal

import pytest

from billing.engine import Meter
from tests.conftest import flat_card, leg, quote_of


@pytest.mark.parametrize(
    ("duration", "increment", "minimum", "billed"),
    [
        (Decimal(0), 60, 0, 0),
        (Decimal(1), 60, 0, 60),
        (Decimal(60), 60, 0, 60),
        (Decimal("60.001"), 60, 0, 120),
        (Decimal(61), 6, 0, 66),
        (Decimal(7), 1, 0, 7),
        (Decimal("7.2"), 1, 0, 8),
        (Decimal(5), 6, 30, 30),
        (Decimal(45), 6, 30, 48),
        (Decimal(0), 6, 30, 0),
    ],
)
def test_an_interval_bills_max_of_minimum_and_whole_increments(
    duration, increment, minimum, billed
):
    card = flat_card(increment_seconds=increment, minimum_seconds=minimum)
    assert card.billed_seconds(duration) == billed


def test_each_leg_is_rounded_on_its_own_not_their_sum():
    quote = quote_of({"model": "sip_mediaserver", "participants": [leg(0, 30), leg(0, 30)]})
    assert quote.per_session.line(Meter.VOICE_CALL).quantity == "2"


def test_one_second_increments_give_six_decimals_and_money_from_exact_seconds():
    card = flat_card(increment_seconds=1)
    quote = quote_of(
        {"model": "sip_mediaserver", "sessions_per_month": 3, "participants": [leg(0, 7)]}, card
    )
    line = quote.per_session.line(Meter.VOICE_CALL)
    assert line.quantity == "0.116667"
    # 7 s x 0.0040 / 60 = 0.000466666...; per month 21 s = 0.35 min x 0.0040 = 0.0014 -> 0.00.
    assert line.amount == Decimal("0.000467")
    assert quote.monthly.line(Meter.VOICE_CALL).quantity == "0.35"
    assert quote.monthly.line(Meter.VOICE_CALL).amount == Decimal("0.00")


def test_half_minute_increments_show_exact_decimal_minutes():
    card = flat_card(increment_seconds=30)
    quote = quote_of({"model": "sip_mediaserver", "participants": [leg(0, 330)]}, card)
    assert quote.per_session.line(Meter.VOICE_CALL).quantity == "5.5"


def test_decimal_times_are_exact():
    card = flat_card(increment_seconds=1)
    quote = quote_of(
        {"model": "sip_mediaserver", "participants": [leg(Decimal("0.5"), Decimal("60.5"))]}, card
    )
    assert quote.per_session.line(Meter.VOICE_CALL).quantity == "1"


def test_a_zero_length_leg_bills_nothing_even_with_a_minimum():
    card = flat_card(minimum_seconds=60)
    quote = quote_of({"model": "sip_mediaserver", "participants": [leg(10, 10)]}, card)
    assert quote.per_session.lines == ()
    assert quote.per_session.total == 0
