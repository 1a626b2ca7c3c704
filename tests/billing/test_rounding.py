from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


@settings(max_examples=300, deadline=None)
@given(
    ticks=st.lists(st.integers(min_value=-(10**12), max_value=604_800 * 10**6), max_size=50),
    scale=st.sampled_from([1, 10, 1000, 10**6]),
    increment=st.integers(min_value=1, max_value=86_400),
    minimum=st.integers(min_value=0, max_value=86_400),
)
def test_rounding_many_intervals_in_floats_is_exactly_rounding_each(
    ticks, scale, increment, minimum
):
    # video_ssm rounds its 10^8 subscriptions this way: it must agree with the rule exactly.
    card = flat_card(increment_seconds=increment, minimum_seconds=minimum)
    durations = np.array(ticks, dtype=np.float64)
    card.round_in_place(durations, scale)
    expected = [card.billed_seconds(Decimal(t) / scale) for t in ticks]
    assert durations.tolist() == expected


@pytest.mark.parametrize("scale", [1, 10**6])
@pytest.mark.parametrize("increment", [1, 6, 60, 86_400])
def test_rounding_in_floats_is_exact_at_whole_increments_and_either_side(scale, increment):
    card = flat_card(increment_seconds=increment)
    step = increment * scale
    top = 604_800 * scale // step * step  # the largest whole increment in 7 days
    ticks = [t + d for t in (step, 7 * step, top) for d in (-1, 0, 1)]
    durations = np.array(ticks, dtype=np.float64)
    card.round_in_place(durations, scale)
    assert durations.tolist() == [card.billed_seconds(Decimal(t) / scale) for t in ticks]
