"""Invariants of the engine over random scenarios (hypothesis)."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.engine import Meter, MeterPrice, Tier, metering, parse_scenario, price
from billing.engine.rating import price_slices
from tests.conftest import FLAT_RATES, flat_card

times = st.one_of(
    st.integers(min_value=0, max_value=7200),
    st.decimals(min_value=0, max_value=7200, places=3, allow_nan=False, allow_infinity=False),
)


@st.composite
def participants(draw):
    a, b = sorted((draw(times), draw(times)))
    publish = draw(
        st.one_of(st.none(), st.sampled_from([a, b]), times.filter(lambda t: a <= t <= b))
    )
    return {
        "join": a,
        "leave": b,
        "publish": publish,
        "media": draw(st.sampled_from(["voice", "video"])),
        "endpoint": draw(st.sampled_from(["sip", "webrtc", "pstn", "alexa", "client"])),
        "streams": draw(st.integers(min_value=1, max_value=3)),
        "subscribes": draw(st.booleans()),
    }


@st.composite
def intervals(draw):
    a, b = sorted((draw(times), draw(times)))
    return {"start": a, "end": b}


@st.composite
def scenarios(draw):
    return {
        "model": draw(st.sampled_from(["sip_mediaserver", "video_ppm", "video_ssm"])),
        "sessions_per_month": draw(st.integers(min_value=0, max_value=100_000)),
        "participants": draw(st.lists(participants(), max_size=12)),
        "conferences": draw(st.lists(intervals(), max_size=2)),
        "recordings": draw(st.lists(intervals(), max_size=2)),
        "monitoring": draw(st.lists(intervals(), max_size=2)),
    }


cards = st.builds(
    lambda increment, minimum: flat_card(increment_seconds=increment, minimum_seconds=minimum),
    st.sampled_from([1, 6, 30, 60]),
    st.sampled_from([0, 0, 30, 60]),
)


def summary(quote):
    def lines(period):
        return [(line.meter, line.seconds, line.amount) for line in period.lines]

    return (
        lines(quote.per_session),
        quote.per_session.total,
        lines(quote.monthly),
        quote.monthly.total,
    )


@settings(max_examples=200, deadline=None)
@given(scenarios(), cards, st.randoms(use_true_random=False))
def test_the_order_of_participants_does_not_change_the_result(document, card, random):
    shuffled = {
        **document,
        "participants": random.sample(document["participants"], len(document["participants"])),
    }
    assert summary(price(parse_scenario(document), card)) == summary(
        price(parse_scenario(shuffled), card)
    )


@settings(max_examples=100, deadline=None)
@given(scenarios(), cards)
def test_leaving_out_the_explanations_changes_no_amount(document, card):
    scenario = parse_scenario(document)
    explained, bare = price(scenario, card), price(scenario, card, explain=False)
    assert summary(bare) == summary(explained)
    assert all(line.explanation for line in explained.per_session.lines + explained.monthly.lines)
    assert not any(line.explanation for line in bare.per_session.lines + bare.monthly.lines)


@settings(max_examples=200, deadline=None)
@given(scenarios(), cards, st.integers(min_value=1, max_value=5))
def test_reading_the_participants_in_blocks_changes_nothing(document, card, block):
    """Big sessions are read a block of participants at a time (metering.BLOCK); blocks of a
    few participants, some times whole and some not, must price as one block does."""
    scenario = parse_scenario(document)
    at_once = price(scenario, card)
    with patch.object(metering, "BLOCK", block):
        in_blocks = price(scenario, card)
    assert summary(in_blocks) == summary(at_once)
    assert [
        (b.meter, b.positions.tolist(), b.seconds.tolist()) for b in in_blocks.usage.charges
    ] == [(b.meter, b.positions.tolist(), b.seconds.tolist()) for b in at_once.usage.charges]


@settings(max_examples=200, deadline=None)
@given(scenarios(), cards)
def test_lines_sum_to_the_total(document, card):
    quote = price(parse_scenario(document), card)
    for period in (quote.per_session, quote.monthly):
        assert sum(line.amount for line in period.lines) == period.total
    for line in quote.monthly.lines:
        assert sum(s.amount for s in line.slices) == line.amount


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.dictionaries(st.sampled_from(list(FLAT_RATES)), st.decimals(0, 1, places=4)))
def test_without_tiers_the_month_is_the_session_times_the_sessions(document, rates):
    card = flat_card(rates={**FLAT_RATES, **{k: str(v) for k, v in rates.items()}})
    quote = price(parse_scenario(document), card)
    sessions = document["sessions_per_month"]
    per_session = {line.meter: line.amount for line in quote.per_session.lines}
    for line in quote.monthly.lines:
        expected = (per_session[line.meter] * sessions).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert line.amount == expected
    assert set(per_session) >= {line.meter for line in quote.monthly.lines}


tier_prices = st.lists(
    st.tuples(st.integers(1, 10**7), st.decimals(0, 1, places=5)),
    min_size=1,
    max_size=5,
    unique_by=lambda t: t[0],
).map(
    lambda raw: MeterPrice(
        Decimal(0),
        (*(Tier(Decimal(b), r) for b, r in sorted(raw)), Tier(None, Decimal("0.001"))),
    )
)


def exact_cost(meter_price, minutes):
    return sum(
        (s.minutes * Fraction(s.rate) for s in price_slices(meter_price, minutes, 2)), Fraction(0)
    )


@given(tier_prices, st.data())
def test_graduated_tiers_are_continuous_at_their_boundaries(meter_price, data):
    bound = Fraction(data.draw(st.sampled_from([t.up_to for t in meter_price.tiers if t.up_to])))
    epsilon = Fraction(1, 10**6)
    top_rate = max(Fraction(t.rate) for t in meter_price.tiers)
    at = exact_cost(meter_price, bound)
    assert (
        exact_cost(meter_price, bound - epsilon) <= at <= exact_cost(meter_price, bound + epsilon)
    )
    assert (
        exact_cost(meter_price, bound + epsilon) - exact_cost(meter_price, bound - epsilon)
        <= 2 * epsilon * top_rate
    )


@given(
    st.decimals(min_value=0, max_value=604_800, places=6, allow_nan=False, allow_infinity=False),
    st.integers(1, 3600),
    st.integers(0, 3600),
)
def test_a_rounded_interval_is_never_shorter_than_the_real_one(duration, increment, minimum):
    card = flat_card(increment_seconds=increment, minimum_seconds=minimum)
    billed = card.billed_seconds(duration)
    if duration == 0:
        assert billed == 0
    else:
        assert billed >= duration
        assert billed >= minimum
        assert billed % increment == 0 or billed == minimum
        assert billed < max(duration + increment, minimum + 1)


@settings(max_examples=100, deadline=None)
@given(scenarios(), cards)
def test_subscribed_minutes_match_a_pairwise_count(document, card):
    document = {**document, "model": "video_ssm"}
    quote = price(parse_scenario(document), card)
    expected = 0
    for i, s in enumerate(document["participants"]):
        if not s["subscribes"]:
            continue
        for j, p in enumerate(document["participants"]):
            if i == j or p["publish"] is None:
                continue
            overlap = min(s["leave"], p["leave"]) - max(s["join"], p["publish"])
            expected += p["streams"] * card.billed_seconds(Decimal(overlap))
    assert quote.usage.seconds.get(Meter.SUBSCRIBED, 0) == expected
