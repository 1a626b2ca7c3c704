"""Add-on meters (issue 15): per-minute services a deal adds, billed through add-on intervals."""

from decimal import Decimal

import pytest

from billing.engine import ScenarioError, parse_scenario, price, scenario_document
from billing.engine.ratecard import card_document, read_snapshot
from tests.conftest import FLAT_RATES, flat_card, leg

ADDONS = {
    "composed_archive_minutes": {"label": "Composed archive", "rate": "0.0100"},
    "audio_connector_minutes": {"label": "Audio connector", "rate": "0.0060"},
}


def card(**changes):
    return flat_card(addons=ADDONS, **changes)


def document(model="video_ppm", **changes):
    return {
        "model": model,
        "sessions_per_month": 10,
        "participants": [leg(0, 600, publish=0), leg(0, 600)],
        "addons": [
            {"meter": "composed_archive_minutes", "start": 0, "end": 590},
            {"meter": "composed_archive_minutes", "start": 600, "end": 630},
            {"meter": "audio_connector_minutes", "start": 0, "end": 120},
        ],
        **changes,
    }


@pytest.mark.parametrize(
    "model", ["sip_mediaserver", "video_ppm", "video_ppm_per_minute", "video_ssm"]
)
def test_add_on_intervals_bill_on_their_meters_under_every_model(model):
    quote = price(parse_scenario(document(model)), card())
    archive = quote.per_session.line("composed_archive_minutes")
    # 590 s and 30 s, each rounded up to the minute: 10 + 1 minutes.
    assert archive.seconds == 11 * 60
    assert archive.amount == Decimal("0.1100")
    assert archive.explanation == (
        "2 intervals (Composed archive 1 9:50 rounded to 10 min + Composed archive 2 0:30 "
        "rounded to 1 min) = 11 min × $0.0100 = $0.1100"
    )
    connector = quote.per_session.line("audio_connector_minutes")
    assert connector.seconds == 120
    assert connector.explanation == "1 interval × 2 min = 2 min × $0.0060 = $0.0120"
    # After the built-in meters, by key; the month bills them like any meter.
    assert [str(line.meter) for line in quote.per_session.lines][-2:] == [
        "audio_connector_minutes",
        "composed_archive_minutes",
    ]
    assert quote.monthly.line("composed_archive_minutes").amount == Decimal("1.10")
    assert archive.meter.label == "Composed archive"


def test_add_ons_are_rounded_once_under_session_rounding():
    quote = price(parse_scenario(document()), card(rounding="session"))
    assert quote.per_session.line("composed_archive_minutes").seconds == 11 * 60  # 620 s


def test_tiers_and_tier_modes_may_name_add_ons():
    tiers = [{"up_to": "100", "rate": "0.0100"}, {"up_to": None, "rate": "0.0050"}]
    priced = card(
        tiers={"composed_archive_minutes": tiers},
        tier_modes={"composed_archive_minutes": "volume"},
    )
    quote = price(parse_scenario(document(sessions_per_month=20)), priced)
    line = quote.monthly.line("composed_archive_minutes")
    assert line.seconds == 220 * 60  # over 100 min: all at the second tier's rate (volume)
    assert line.amount == Decimal("1.10")
    assert "all at the second tier's $0.0050 (volume)" in line.explanation


def test_an_interval_of_an_add_on_the_card_does_not_have_is_refused_by_its_path():
    bad = document(addons=[{"meter": "sip_trunk_minutes", "start": 0, "end": 60}])
    with pytest.raises(ScenarioError) as error:
        price(parse_scenario(bad), card())
    assert [p.path for p in error.value.problems] == ["addons[0].meter"]
    assert "no add-on 'sip_trunk_minutes'" in str(error.value)
    assert "audio_connector_minutes, composed_archive_minutes" in str(error.value)


@pytest.mark.parametrize(
    ("addons", "path"),
    [
        ({"voice_call_minutes": {"rate": "0.01"}}, "rate_card.addons.voice_call_minutes"),
        ({"Bad Key": {"rate": "0.01"}}, "rate_card.addons.Bad Key"),
        ({"archive": {"label": "Archive"}}, "rate_card.addons.archive"),
        ({"archive": {"rate": "-1"}}, "rate_card.addons.archive.rate"),
        ({"archive": {"rate": "0.01", "colour": "red"}}, "rate_card.addons.archive.colour"),
        ({f"a{n}": {"rate": "0.01"} for n in range(21)}, "rate_card.addons"),
        ("archive", "rate_card.addons"),
    ],
)
def test_bad_add_ons_are_refused_by_their_paths(addons, path):
    with pytest.raises(ScenarioError) as error:
        flat_card(addons=addons)
    assert path in [p.path for p in error.value.problems]


def test_a_tier_naming_an_unknown_meter_is_refused():
    with pytest.raises(ScenarioError) as error:
        flat_card(tiers={"archive": [{"up_to": None, "rate": "0.01"}]})
    assert "rate_card.tiers.archive" in [p.path for p in error.value.problems]


def test_a_bad_add_on_interval_is_refused_by_its_path():
    for interval, path in (
        ({"start": 0, "end": 60}, "addons[0].meter"),
        ({"meter": 5, "start": 0, "end": 60}, "addons[0].meter"),
        ({"meter": "archive", "start": 60, "end": 0}, "addons[0].end"),
        ({"meter": "archive", "start": 0, "end": 60, "media": "video"}, "addons[0].media"),
    ):
        with pytest.raises(ScenarioError) as error:
            parse_scenario(document(addons=[interval]))
        assert [p.path for p in error.value.problems] == [path]


def test_add_ons_survive_documents_and_snapshots():
    inline = document(rate_card={"rates": dict(FLAT_RATES), "addons": ADDONS})
    again = scenario_document(parse_scenario(inline))
    assert again["addons"] == [
        {"meter": a["meter"], "start": a["start"], "end": a["end"]} for a in inline["addons"]
    ]
    assert again["rate_card"]["addons"] == dict(sorted(ADDONS.items()))
    written = card_document(card())
    assert written["addons"] == dict(sorted(ADDONS.items()))
    reread = read_snapshot({**written, "slug": "deal"})
    assert price(parse_scenario(document()), reread).monthly.total == (
        price(parse_scenario(document()), card()).monthly.total
    )
    # An inline card adds its add-ons to its base card's.
    base = card()
    extra = parse_scenario(
        document(rate_card={"addons": {"sip_trunk_minutes": {"label": "SIP trunk", "rate": "1"}}})
    )
    merged = extra.rate_card.apply_to(base)
    assert sorted(merged.addons) == [
        "audio_connector_minutes",
        "composed_archive_minutes",
        "sip_trunk_minutes",
    ]


def test_an_estimate_names_the_scenario_whose_add_on_its_card_lacks():
    from billing.engine import parse_estimate, price_estimate

    estimate = parse_estimate(
        {"scenarios": [{"scenario": {**document(), "name": "Archived line"}}]}
    )
    with pytest.raises(ScenarioError) as error:
        price_estimate(estimate, flat_card())
    (problem,) = error.value.problems
    assert problem.path == "scenarios[0].scenario.addons[0].meter"
    assert problem.message.startswith("Archived line: the rate card has no add-on")
    assert "the estimate's rate card prices all its scenarios" in problem.message


def test_a_deals_fee_or_add_on_without_a_name_keeps_the_cards_name():
    base = card(fees={"device": {"label": "Device Service", "per": "month", "price": "2"}})
    deal = parse_scenario(
        document(
            rate_card={
                "addons": {"composed_archive_minutes": {"rate": "0.0050"}},
                "fees": {"device": {"per": "month", "price": "1.50"}},
            }
        )
    ).rate_card.apply_to(base)
    assert deal.addons["composed_archive_minutes"].label == "Composed archive"
    assert deal.price_of(deal.addons["composed_archive_minutes"]).rate == Decimal("0.0050")
    assert (deal.fees["device"].label, deal.fees["device"].price) == (
        "Device Service",
        Decimal("1.50"),
    )
