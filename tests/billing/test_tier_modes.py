"""Tier modes (issue 15): graduated slices, or the whole month at the tier it reaches."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.engine import Meter, ScenarioError, parse_scenario, price, read_rate_card
from billing.engine.ratecard import card_document
from tests.conftest import FLAT_RATES, leg

TIERS = [
    {"up_to": "1000000", "rate": "0.0040"},
    {"up_to": "2000000", "rate": "0.0030"},
    {"up_to": None, "rate": "0.0020"},
]


def card(mode):
    return read_rate_card(
        {
            "rates": dict(FLAT_RATES),
            "tiers": {"voice_call_minutes": TIERS},
            "tier_modes": {"voice_call_minutes": mode},
        }
    )


def month(card, minutes_a_session, sessions):
    scenario = parse_scenario(
        {
            "model": "sip_mediaserver",
            "sessions_per_month": sessions,
            "participants": [leg(0, 60 * minutes_a_session)],
        }
    )
    return price(scenario, card).monthly.line(Meter.VOICE_CALL)


def test_volume_prices_the_whole_month_at_the_tier_it_reaches():
    line = month(card("volume"), 12, 100_000)  # 1,200,000 minutes: the second tier
    assert line.amount == Decimal("3600.00")  # 1,200,000 x 0.0030
    assert "1,200,000 min, all at the second tier's $0.0030 (volume) = $3,600.00" in (
        line.explanation
    )
    graduated = month(card("graduated"), 12, 100_000)
    assert graduated.amount == Decimal("4600.00")  # 1,000,000 x 0.004 + 200,000 x 0.003


def test_a_quantity_on_a_bound_stays_in_that_tier():
    line = month(card("volume"), 10, 100_000)  # exactly 1,000,000
    assert line.amount == Decimal("4000.00")


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=200_000))
def test_volume_never_costs_more_than_graduated_on_falling_rates(minutes, sessions):
    volume = month(card("volume"), minutes, sessions)
    graduated = month(card("graduated"), minutes, sessions)
    if sessions == 0:
        assert volume is graduated is None
        return
    assert volume.amount <= graduated.amount


def test_modes_go_round_a_card_and_override_a_base():
    volume = card("volume")
    assert card_document(volume)["tier_modes"] == {"voice_call_minutes": "volume"}
    assert "tier_modes" not in card_document(card("graduated"))


@pytest.mark.parametrize(
    ("modes", "path"),
    [
        ({"voice_call_minutes": "stepped"}, "rate_card.tier_modes.voice_call_minutes"),
        ({"fax_minutes": "volume"}, "rate_card.tier_modes.fax_minutes"),
        ("volume", "rate_card.tier_modes"),
    ],
)
def test_a_bad_tier_mode_is_named_by_its_path(modes, path):
    with pytest.raises(ScenarioError) as refused:
        read_rate_card({"rates": dict(FLAT_RATES), "tier_modes": modes})
    assert path in [p.path for p in refused.value.problems]
