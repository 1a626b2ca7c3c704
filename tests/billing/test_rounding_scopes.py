"""What is rounded (issue 15): each interval, a meter's total in a session, or the month's."""

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.engine import Meter, ScenarioError, parse_scenario, price
from billing.engine.estimate import parse_estimate, price_estimate
from billing.engine.ratecard import card_document
from tests.billing.test_naive_reference import interval, participant
from tests.conftest import flat_card, leg

MODELS = ["sip_mediaserver", "video_ppm", "video_ppm_per_minute", "video_ssm"]


def quote(document, rounding, increment=60, minimum=0):
    card = flat_card(increment_seconds=increment, minimum_seconds=minimum, rounding=rounding)
    return price(parse_scenario(document), card)


def three_legs(sessions=1):
    # 1:30 + 1:30 + 1:40: 4 min 40 s together.
    return {
        "model": "sip_mediaserver",
        "sessions_per_month": sessions,
        "participants": [leg(0, 90), leg(0, 90), leg(10, 110)],
    }


def test_a_session_rounds_each_meters_total_once():
    by_interval = quote(three_legs(), "interval").per_session.line(Meter.VOICE_CALL)
    by_session = quote(three_legs(), "session").per_session.line(Meter.VOICE_CALL)
    assert by_interval.seconds == 3 * 120
    assert by_session.seconds == 300  # 280 s, rounded once up to 5 min
    assert "4.666667 min together, rounded once to 5 min (rounded per session)" in (
        by_session.explanation
    )


def test_a_month_rounds_the_months_exact_total_once():
    month = quote(three_legs(sessions=2), "month")
    session = month.per_session.line(Meter.VOICE_CALL)
    assert session.seconds == 280  # exact in a session
    assert session.amount == Decimal("0.018667")  # 280/60 min x $0.004, as a session rounds
    assert "exactly (the month's total is rounded once)" in session.explanation
    line = month.monthly.line(Meter.VOICE_CALL)
    assert line.seconds == 600  # 560 s in the month, rounded once up to 10 min
    assert "= 9.333333 min, rounded once to 10 min (rounded per month)" in line.explanation


def test_times_with_fractions_are_summed_exactly_before_rounding_once():
    document = {
        "model": "sip_mediaserver",
        "sessions_per_month": 3,
        "participants": [leg(0, Decimal("10.5")), leg(0, Decimal("10.5"))],
    }
    assert quote(document, "interval").usage.seconds[Meter.VOICE_CALL] == 120
    assert quote(document, "session").usage.seconds[Meter.VOICE_CALL] == 60
    month = quote(document, "month")
    assert month.usage.seconds[Meter.VOICE_CALL] == 21
    assert month.monthly.line(Meter.VOICE_CALL).seconds == 120  # 63 s in the month
    half = quote({**document, "participants": [leg(0, Decimal("10.25"))]}, "month")
    assert half.per_session.line(Meter.VOICE_CALL).seconds == Fraction(41, 4)
    assert half.per_session.line(Meter.VOICE_CALL).quantity == "0.170833"


def test_the_minimum_applies_to_the_total_rounded_once():
    # Two 10 s legs: interval rounding bills 2 x 60 s (minimum 60 s, increment 6 s); the
    # session's 20 s are rounded once, to the minimum.
    document = {"model": "sip_mediaserver", "participants": [leg(0, 10), leg(0, 10)]}
    assert quote(document, "interval", 6, 60).usage.seconds[Meter.VOICE_CALL] == 120
    assert quote(document, "session", 6, 60).usage.seconds[Meter.VOICE_CALL] == 60


def test_subscriptions_are_summed_exactly_under_session_rounding():
    document = {
        "model": "video_ssm",
        "participants": [
            leg(0, 70, publish=0, streams=2),
            leg(0, 70, publish=0),
            leg(0, 70),
        ],
    }
    # Six subscriptions of 70 s (per stream: 1 by the first, 2 by the second, 3 by the third).
    assert quote(document, "interval").usage.seconds[Meter.SUBSCRIBED] == 6 * 120
    assert quote(document, "session").usage.seconds[Meter.SUBSCRIBED] == 6 * 70


def test_whole_minutes_of_the_per_minute_model_are_never_rounded():
    document = {
        "model": "video_ppm_per_minute",
        "sessions_per_month": 3,
        "participants": [leg(0, 60, publish=0), leg(0, 60)],
    }
    for rounding in ("interval", "session", "month"):
        priced = quote(document, rounding, increment=90)
        assert priced.usage.seconds[Meter.PARTICIPANT] == 120
        assert priced.monthly.line(Meter.PARTICIPANT).seconds == 360


def test_an_estimate_rounds_the_months_total_over_its_scenarios_once():
    scenario = {"model": "sip_mediaserver", "participants": [leg(0, 70)]}
    estimate = parse_estimate(
        {
            "scenarios": [
                {"scenario": scenario, "sessions_per_month": 2},
                {"scenario": {**scenario, "participants": [leg(0, 50)]}, "sessions_per_month": 1},
            ],
        }
    )
    month = price_estimate(estimate, flat_card(rounding="month")).month
    (line,) = month.lines
    assert line.line.seconds == 240  # 140 s + 50 s = 190 s, rounded once up to 4 min
    assert "rounded once to 4 min (rounded per month)" in line.line.explanation


def test_rounding_is_read_written_and_refused_by_its_path():
    card = flat_card(rounding="session")
    assert card_document(card)["rounding"] == "session"
    assert "rounding" not in card_document(flat_card())
    with pytest.raises(ScenarioError) as error:
        flat_card(rounding="daily")
    assert [p.path for p in error.value.problems] == ["rate_card.rounding"]
    assert "must be one of interval, session, month" in str(error.value)


def amounts(period):
    return [(line.meter, line.seconds, line.amount) for line in period.lines]


def one_interval_per_meter(document):
    """No meter bills more than one interval (a leg, a subscription, a recording)."""
    card = flat_card(increment_seconds=60)
    priced = price(parse_scenario(document), card)
    counts: dict[Meter, int] = {}
    for batch in priced.usage.charges:
        many = len(batch) if batch.intervals is None else int(batch.intervals.sum())
        counts[batch.meter] = counts.get(batch.meter, 0) + many
    return all(n <= 1 for n in counts.values())


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(MODELS),
    st.lists(participant(), max_size=3),
    st.lists(interval(), max_size=1),
    st.sampled_from([1, 6, 60]),
    st.sampled_from([0, 60]),
)
def test_with_one_interval_per_meter_session_rounding_is_interval_rounding(
    model, people, recordings, increment, minimum
):
    document = {"model": model, "participants": people, "recordings": recordings}
    if not one_interval_per_meter(document):
        return
    by_session = quote(document, "session", increment, minimum).per_session
    by_interval = quote(document, "interval", increment, minimum).per_session
    assert amounts(by_session) == amounts(by_interval)
    assert by_session.total == by_interval.total


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(MODELS),
    st.lists(participant(), max_size=4),
    st.lists(interval(), max_size=2),
    st.sampled_from([1, 6, 60]),
    st.sampled_from([0, 60]),
)
def test_with_one_session_a_month_month_rounding_is_session_rounding(
    model, people, recordings, increment, minimum
):
    document = {
        "model": model,
        "sessions_per_month": 1,
        "participants": people,
        "recordings": recordings,
    }
    by_month = quote(document, "month", increment, minimum).monthly
    by_session = quote(document, "session", increment, minimum).monthly
    assert amounts(by_month) == amounts(by_session)
    assert by_month.total == by_session.total


def test_an_inline_rounding_survives_the_documents_round_trip():
    from billing.engine import scenario_document

    document = {**three_legs(), "rate_card": {"rounding": "month"}}
    again = parse_scenario(scenario_document(parse_scenario(document)))
    assert again.rate_card.rounding == "month"
