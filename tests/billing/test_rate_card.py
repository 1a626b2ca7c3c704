from decimal import Decimal

import pytest

from billing.engine import (
    Meter,
    ScenarioError,
    card_snapshot,
    parse_scenario,
    price,
    read_rate_card,
    read_snapshot,
    resolve_card,
)
from tests.conftest import flat_card, leg

TIERED = [{"up_to": "100000", "rate": "0.0040"}, {"up_to": None, "rate": "0.0032"}]


def conference(sessions: int, rate_card=None):
    document = {
        "model": "sip_mediaserver",
        "sessions_per_month": sessions,
        "participants": [leg(0, 600), leg(0, 600), leg(0, 600)],
        "conferences": [{"start": 0, "end": 600}],
    }
    if rate_card is not None:
        document["rate_card"] = rate_card
    return parse_scenario(document)


def test_tiers_price_each_slice_of_the_monthly_quantity_at_its_rate():
    card = flat_card(tiers={"voice_call_minutes": TIERED})
    quote = price(conference(5000), card)  # 40 min x 5,000 = 200,000 min
    line = quote.monthly.line(Meter.VOICE_CALL)
    assert [s.amount for s in line.slices] == [Decimal("400.00"), Decimal("320.00")]
    assert line.amount == Decimal("720.00")
    assert "tier 2" in line.explanation


def test_per_session_amounts_use_the_first_tiers_rate():
    card = flat_card(tiers={"voice_call_minutes": TIERED})
    quote = price(conference(5000), card)
    assert quote.per_session.line(Meter.VOICE_CALL).amount == Decimal("0.1600")


def test_quantity_exactly_at_a_tier_bound_stays_in_the_lower_tier():
    card = flat_card(tiers={"voice_call_minutes": TIERED})
    quote = price(conference(2500), card)  # exactly 100,000 min
    line = quote.monthly.line(Meter.VOICE_CALL)
    assert len(line.slices) == 1
    assert line.amount == Decimal("400.00")


def test_inline_card_overrides_only_what_it_gives():
    default = flat_card(tiers={"voice_call_minutes": TIERED})
    override = {"rates": {"recording_minutes": "0.0010"}, "increment_seconds": 30}
    scenario = conference(5000, override)
    card = resolve_card(scenario, default)
    assert card.currency == "USD"
    assert card.increment_seconds == 30
    assert card.price_of(Meter.RECORDING).rate == Decimal("0.0010")
    # A meter the override leaves out keeps the default's tiers.
    assert card.price_of(Meter.VOICE_CALL).tiers == default.price_of(Meter.VOICE_CALL).tiers


def test_inline_rate_for_a_meter_replaces_the_defaults_tiers_with_a_flat_rate():
    default = flat_card(tiers={"voice_call_minutes": TIERED})
    scenario = conference(5000, {"rates": {"voice_call_minutes": "0.0030"}})
    quote = price(scenario, resolve_card(scenario, default))
    assert quote.monthly.line(Meter.VOICE_CALL).amount == Decimal("600.00")


def test_a_rate_that_disagrees_with_its_first_tier_is_refused():
    with pytest.raises(ScenarioError) as error:
        conference(
            1, {"rates": {"voice_call_minutes": "0.005"}, "tiers": {"voice_call_minutes": TIERED}}
        )
    assert error.value.problems[0].path == "rate_card.rates.voice_call_minutes"


@pytest.mark.parametrize(
    ("tiers", "path", "words"),
    [
        (
            [
                {"up_to": "200", "rate": "1"},
                {"up_to": "100", "rate": "1"},
                {"up_to": None, "rate": "1"},
            ],
            "rate_card.tiers.voice_call_minutes[1].up_to",
            "increasing order",
        ),
        ([{"up_to": "200", "rate": "1"}], "rate_card.tiers.voice_call_minutes[0].up_to", "open"),
        (
            [{"up_to": None, "rate": "1"}, {"up_to": None, "rate": "1"}],
            "rate_card.tiers.voice_call_minutes[0].up_to",
            "only the last",
        ),
        ([{"up_to": None, "rate": "-1"}], "rate_card.tiers.voice_call_minutes[0].rate", "negative"),
    ],
)
def test_bad_tiers_are_named_by_path(tiers, path, words):
    with pytest.raises(ScenarioError) as error:
        conference(1, {"tiers": {"voice_call_minutes": tiers}})
    assert any(p.path == path and words in p.message for p in error.value.problems)


def test_a_card_without_a_rate_for_a_used_meter_says_so():
    card = flat_card()
    bare = type(card)(card.currency, 60, 0, {}, slug="sip-only")
    with pytest.raises(ScenarioError, match="has no rate for voice_call_minutes"):
        price(conference(1), bare)


# -- A card as stored: read without today's limits (issue 12, B2) -----------------------------


def beyond_limits_snapshot():
    """A snapshot of a card the admin took before it asked the engine: every limit exceeded."""
    tiers = [{"up_to": str(1000 * (n + 1)), "rate": "2000000"} for n in range(50)]
    tiers += [{"up_to": "5000000000000000", "rate": "1"}, {"up_to": None, "rate": "0.5"}]
    return {
        "slug": "big",
        "name": "Big deal",
        "version": 3,
        "effective_date": "2026-01-01",
        "currency": "USD",
        "increment_seconds": 100_000,
        "minimum_seconds": 0,
        "rates": {"voice_call_minutes": "2000000"},
        "tiers": {"voice_call_minutes": tiers},
    }


def test_a_snapshot_is_read_as_it_was_stored_whatever_the_limits_are_now():
    snapshot = beyond_limits_snapshot()
    with pytest.raises(ScenarioError):
        read_rate_card({k: v for k, v in snapshot.items() if k in ("rates", "tiers")})
    card = read_snapshot(snapshot)
    assert (card.slug, card.version, card.effective_date.isoformat()) == ("big", 3, "2026-01-01")
    assert len(card.price_of(Meter.VOICE_CALL).tiers) == 52
    assert card.increment_seconds == 100_000
    assert card_snapshot(card) == snapshot  # and taken again, it is the same


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"rates": {"voice_call_minutes": "cheap"}}, "rate_card.rates.voice_call_minutes"),
        ({"increment_seconds": 0}, "rate_card.increment_seconds"),
        ({"effective_date": "someday"}, "rate_card.effective_date"),
        (
            {"tiers": {"voice_call_minutes": [{"up_to": "5", "rate": "1"}]}},
            "rate_card.tiers.voice_call_minutes[0].up_to",
        ),
    ],
)
def test_a_snapshot_that_cannot_price_says_what_is_wrong(change, path):
    with pytest.raises(ScenarioError) as refusal:
        read_snapshot({**beyond_limits_snapshot(), **change})
    assert path in [problem.path for problem in refusal.value.problems]


def test_a_snapshot_that_is_not_an_object_is_a_scenario_error():
    with pytest.raises(ScenarioError, match="must be an object"):
        read_snapshot(["not", "a", "card"])
