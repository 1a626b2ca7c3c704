"""Estimates: tiers over all scenarios, discounts, growth."""

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.engine import Meter, ScenarioError, estimate_document, parse_estimate, price_estimate
from billing.engine.estimate import Growth, sessions_in_month
from tests.conftest import flat_card, leg

TIERS = {
    "voice_call_minutes": [{"up_to": "100000", "rate": "0.0040"}, {"up_to": None, "rate": "0.0032"}]
}


def call(minutes: int, name: str) -> dict:
    return {"name": name, "model": "sip_mediaserver", "participants": [leg(0, minutes * 60)]}


def estimate(*items, **fields):
    return {
        "name": "Acme",
        "scenarios": [{"scenario": s, "sessions_per_month": n} for s, n in items],
        **fields,
    }


def test_two_scenarios_each_in_the_first_tier_together_cross_into_the_second():
    card = flat_card(tiers=TIERS)
    # 60,000 + 60,000 minutes: each alone under 100,000, together 120,000.
    quote = price_estimate(
        parse_estimate(estimate((call(10, "IVR"), 6000), (call(20, "Agent"), 3000))), card
    )
    line = quote.month.lines[0].line
    assert line.meter == Meter.VOICE_CALL
    assert line.quantity == "120000"
    assert [(s.tier, s.minutes, s.amount) for s in line.slices] == [
        (1, 100000, Decimal("400.00")),
        (2, 20000, Decimal("64.00")),
    ]
    assert line.amount == Decimal("464.00")  # not 2 x 240.00 = 480.00 priced apart
    document = estimate_document(quote)
    assert document["monthly"]["lines"][0]["tiers"][1]["tier"] == 2
    assert "IVR 10 min × 6,000 + Agent 20 min × 3,000 = 120,000 min" in line.explanation


def test_list_minus_discount_is_net_on_every_line_and_in_total():
    card = flat_card()
    document = estimate(
        (dict(call(7, "Support"), recordings=[{"start": 0, "end": 420}]), 3333),
        discount={"percent": "12.5", "meters": {"recording_minutes": "40"}},
    )
    month = price_estimate(parse_estimate(document), card).month
    for d in month.lines:
        assert d.line.amount - d.discount == d.net
        expected = (d.line.amount * d.percent / 100).quantize(Decimal("0.01"), ROUND_HALF_UP)
        assert d.discount == expected
    assert {d.line.meter: d.percent for d in month.lines} == {
        Meter.VOICE_CALL: Decimal("12.5"),
        Meter.RECORDING: Decimal("40"),
    }
    assert month.list_total - month.discount_total == month.net_total
    result = estimate_document(price_estimate(parse_estimate(document), card))["monthly"]
    assert Decimal(result["list_total"]) - Decimal(result["discount_total"]) == Decimal(
        result["total"]
    )


@pytest.mark.parametrize(
    ("percent", "month", "base", "expected"),
    [
        ("10", 1, 1000, 1000),
        ("10", 2, 1000, 1100),
        ("10", 3, 1000, 1210),
        ("10", 13, 1000, 3138),
        ("-5", 2, 1000, 950),
        ("0", 36, 7, 7),
        ("3", 2, 50, 52),  # 51.5 rounds half up
    ],
)
def test_sessions_in_month_n_are_base_times_growth_to_the_n_minus_one(
    percent, month, base, expected
):
    assert sessions_in_month(base, Growth(Decimal(percent), 36), month) == expected


@settings(max_examples=50, deadline=None)
@given(
    st.integers(1, 50_000),
    st.integers(1, 50_000),
    st.decimals(-50, 50, places=1),
    st.integers(1, 36),
)
def test_projected_quantities_follow_the_growth_formula(base_a, base_b, percent, months):
    document = estimate(
        (call(3, "A"), base_a),
        (call(5, "B"), base_b),
        growth={"monthly_percent": str(percent), "months": months},
    )
    quote = price_estimate(parse_estimate(document), flat_card())
    assert len(quote.projection) == months
    running = Decimal(0)
    for m, cumulative in zip(quote.projection, quote.cumulative(), strict=True):
        factor = (1 + Fraction(percent) / 100) ** (m.number - 1)
        a = int((base_a * factor + Fraction(1, 2)) // 1)
        b = int((base_b * factor + Fraction(1, 2)) // 1)
        assert m.sessions == a + b
        line = next((d.line for d in m.lines if d.line.meter == Meter.VOICE_CALL), None)
        assert (line.seconds if line else 0) == (3 * a + 5 * b) * 60
        running += m.net_total
        assert cumulative == running
    assert quote.projection[0].net_total == quote.month.net_total


def test_unit_cost_falls_as_volume_crosses_tiers():
    quote = price_estimate(
        parse_estimate(
            estimate((call(10, "Calls"), 5000), growth={"monthly_percent": "20", "months": 12})
        ),
        flat_card(tiers=TIERS),
    )
    per_session = [m.net_total / m.sessions for m in quote.projection]
    assert per_session[-1] < per_session[0]


def test_estimate_uses_its_own_card_and_says_so_when_a_scenario_names_another():
    scenario = {**call(10, "Own card"), "rate_card": {"rates": {"voice_call_minutes": "9"}}}
    quote = price_estimate(parse_estimate(estimate((scenario, 10))), flat_card())
    assert quote.month.lines[0].line.amount == Decimal("0.40")
    assert any("its own rate card is not used" in note for note in quote.notes)


def test_sessions_default_to_the_scenarios_own():
    document = {"scenarios": [{"scenario": {**call(10, "A"), "sessions_per_month": 30}}]}
    assert parse_estimate(document).items[0].sessions_per_month == 30


@pytest.mark.parametrize(
    ("document", "path"),
    [
        ({"scenarios": []}, "scenarios"),
        ({"name": "x"}, "scenarios"),
        ({"scenarios": [{"scenario": {"model": "zoom"}}]}, "scenarios[0].scenario.model"),
        (
            {"scenarios": [{"scenario": call(1, "a"), "sessions_per_month": -1}]},
            "scenarios[0].sessions_per_month",
        ),
        (
            {"scenarios": [{"scenario": call(1, "a")}], "discount": {"percent": "120"}},
            "discount.percent",
        ),
        (
            {"scenarios": [{"scenario": call(1, "a")}], "discount": {"meters": {"fax": "1"}}},
            "discount.meters.fax",
        ),
        ({"scenarios": [{"scenario": call(1, "a")}], "growth": {"months": 37}}, "growth.months"),
        (
            {"scenarios": [{"scenario": call(1, "a")}], "growth": {"monthly_percent": "x"}},
            "growth.monthly_percent",
        ),
        ({"scenarios": [{"scenario": call(1, "a")}], "grwoth": {}}, "grwoth"),
    ],
)
def test_bad_estimates_name_their_problems(document, path):
    with pytest.raises(ScenarioError) as error:
        parse_estimate(document)
    assert path in {p.path for p in error.value.problems}


def test_model_curves_find_where_subscribed_minutes_overtake_participant_minutes():
    from billing.engine import Model, parse_scenario
    from billing.engine.pricing import model_curves, with_participants

    meeting = parse_scenario(
        {"model": "video_ppm", "participants": [leg(0, 600, publish=0, media="video")]}
    )
    assert len(with_participants(meeting, 5).participants) == 5
    card = flat_card()  # participant minutes 0.0041, subscribed minutes 0.0015
    curves, crossovers = model_curves(meeting, card, list(range(1, 8)))
    # n people all publishing: PPM 10n min x 0.0041; SSM 10n(n-1) min x 0.0015.
    assert curves[Model.VIDEO_PPM][3] == Decimal("0.16")
    assert curves[Model.VIDEO_SSM][3] == Decimal("0.18")
    ssm_to_ppm = [
        c for c in crossovers if c.cheaper is Model.VIDEO_PPM and c.than is Model.VIDEO_SSM
    ]
    assert [c.participants for c in ssm_to_ppm] == [4]


@pytest.mark.parametrize(("currency", "zero"), [("USD", "0.00"), ("JPY", "0")])
def test_a_month_of_no_sessions_totals_zero_in_the_currencys_minor_units(currency, zero):
    card = flat_card(currency=currency)
    quote = price_estimate(parse_estimate(estimate((call(10, "IVR"), 0))), card)
    assert quote.month.lines == ()
    for total in (quote.month.list_total, quote.month.discount_total, quote.month.net_total):
        assert str(total) == zero


def test_an_estimate_prices_at_most_twice_the_heaviest_scenarios_subscriptions(monkeypatch):
    from billing.engine import estimate as module

    monkeypatch.setattr(module, "MAX_ESTIMATE_SUBSCRIPTIONS", 20)
    webinar = {
        "name": "Panel",
        "model": "video_ssm",
        # 3 subscribers x 3 publishers = 9 subscriptions (who publishes for no time is none)
        "participants": [leg(0, 60, publish=0)] * 3 + [leg(0, 60, publish=60, subscribes=False)],
    }
    two = estimate((webinar, 1), (webinar, 1))
    assert price_estimate(parse_estimate(two), flat_card()).month.net_total > 0  # 18
    three = estimate((webinar, 1), (webinar, 1), (webinar, 1))
    with pytest.raises(ScenarioError) as refused:
        price_estimate(parse_estimate(three), flat_card())
    assert refused.value.problems[0].path == "scenarios"
    assert "27 subscriptions" in refused.value.problems[0].message
