"""Fees and a monthly minimum (issue 15): fixed charges a deal has, and a spend commitment."""

from decimal import Decimal

import pytest

from billing.engine import ScenarioError, parse_scenario, price, quote_document, read_rate_card
from billing.engine.ratecard import card_document, read_snapshot
from tests.conftest import FLAT_RATES, leg

TERMS = {
    "rates": dict(FLAT_RATES),
    "monthly_minimum": "500",
    "fees": {
        "alexa_device": {"label": "Alexa device (Device Service)", "per": "month", "price": "2.00"},
        "setup": {"label": "Call set-up", "per": "session", "price": "0.0010"},
    },
}


def quote(fees, sessions=5000, minutes=1, terms=TERMS):
    scenario = parse_scenario(
        {
            "model": "sip_mediaserver",
            "sessions_per_month": sessions,
            "participants": [leg(0, 60 * minutes)],
            "fees": fees,
        }
    )
    return price(scenario, read_rate_card(terms))


def test_fees_bill_a_session_and_a_month_and_the_minimum_makes_up_the_rest():
    q = quote({"alexa_device": 25, "setup": 1})
    # A session: 1 voice minute at 0.004 and one set-up fee.
    assert q.per_session.total == Decimal("0.0050")
    (setup,) = q.per_session.extras
    assert setup.explanation == "Call set-up: 1 × $0.0010 a session = $0.0010"
    # A month: 5,000 minutes (20.00), set-up 5.00, 25 devices 50.00 = 75.00; minimum 500.
    explained = [e.explanation for e in q.monthly.extras]
    assert "Alexa device (Device Service): 25 × $2.00 a month = $50.00" in explained
    assert "Call set-up: 1 × $0.0010 a session × 5,000 sessions = $5.00" in explained
    assert explained[-1] == "Minimum commitment: $500.00 − $75.00 used = $425.00"
    assert q.monthly.total == Decimal("500.00")
    document = quote_document(q)
    assert document["monthly"]["minimum"]["amount"] == "425.00"
    assert [f["fee"] for f in document["monthly"]["fees"]] == ["alexa_device", "setup"]
    assert document["monthly"]["total"] == "500.00"


def test_above_the_minimum_no_line_is_added():
    q = quote({}, sessions=200_000)  # 200,000 minutes: 800.00
    assert q.monthly.total == Decimal("800.00")
    assert q.monthly.extras == ()


def test_a_fee_the_card_does_not_have_is_named_by_its_path():
    with pytest.raises(ScenarioError) as refused:
        quote({"sip_core": 1})
    (problem,) = refused.value.problems
    assert problem.path == "fees.sip_core"
    assert "alexa_device, setup" in problem.message


@pytest.mark.parametrize(
    ("terms", "path"),
    [
        ({"monthly_minimum": "-1"}, "rate_card.monthly_minimum"),
        ({"monthly_minimum": "lots"}, "rate_card.monthly_minimum"),
        ({"fees": {"Bad Key": {"per": "month", "price": "1"}}}, "rate_card.fees.Bad Key"),
        ({"fees": {"x": {"per": "year", "price": "1"}}}, "rate_card.fees.x.per"),
        ({"fees": {"x": {"per": "month", "price": "-1"}}}, "rate_card.fees.x.price"),
        ({"fees": {"x": {"per": "month"}}}, "rate_card.fees.x.price"),
        ({"fees": []}, "rate_card.fees"),
    ],
)
def test_bad_terms_are_named_by_their_path(terms, path):
    with pytest.raises(ScenarioError) as refused:
        read_rate_card({"rates": dict(FLAT_RATES), **terms})
    assert path in [p.path for p in refused.value.problems]


def test_bad_fee_counts_are_named_by_their_path():
    with pytest.raises(ScenarioError) as refused:
        parse_scenario({"model": "sip_mediaserver", "fees": {"setup": -1, "x": 1.5}})
    assert {p.path for p in refused.value.problems} == {"fees.setup", "fees.x"}


def test_terms_go_round_a_card_and_an_old_snapshot_prices_as_before():
    card = read_rate_card(TERMS)
    again = read_rate_card(card_document(card))
    assert (again.monthly_minimum, again.fees) == (card.monthly_minimum, card.fees)
    old = read_snapshot({"currency": "USD", "rates": dict(FLAT_RATES)})
    assert old.monthly_minimum is None
    assert old.fees == {}


def estimate_of(document, terms=TERMS):
    from billing.engine import parse_estimate, price_estimate

    return price_estimate(parse_estimate(document), read_rate_card(terms))


def test_an_estimate_counts_each_scenarios_fees_as_alone_its_own_once_and_the_minimum_last():
    support = {
        "name": "Support",
        "model": "sip_mediaserver",
        "participants": [leg(0, 60)],
        "fees": {"setup": 1, "alexa_device": 10},
    }
    sales = {**support, "name": "Sales", "fees": {"setup": 2}}
    document = {
        "scenarios": [
            {"scenario": support, "sessions_per_month": 1000},
            {"scenario": sales, "sessions_per_month": 500},
        ],
        "fees": {"alexa_device": 5},
        "discount": {"percent": "10"},
        "growth": {"monthly_percent": "100", "months": 2},
    }
    quote = estimate_of(document)
    month = quote.month
    # 1,500 voice minutes: 6.00 less 10% = 5.40. Fees: support's set-up 1,000 x 0.001 = 1.00
    # and 10 devices 20.00; sales' set-up 2 x 0.001 x 500 = 1.00; the estimate's 5 devices
    # 10.00. 5.40 + 32.00 = 37.40, under the 500 minimum: 462.60 more.
    assert [e.explanation for e in month.fees] == [
        "Alexa device (Device Service) (Support): 10 × $2.00 a month = $20.00",
        "Call set-up (Support): 1 × $0.0010 a session × 1,000 sessions = $1.00",
        "Call set-up (Sales): 2 × $0.0010 a session × 500 sessions = $1.00",
        "Alexa device (Device Service): 5 × $2.00 a month = $10.00",
    ]
    assert month.list_total == Decimal("38.00")
    assert month.discount_total == Decimal("0.60")
    assert month.minimum.explanation == (
        "Minimum commitment: $500.00 − $37.40 after discounts = $462.60"
    )
    assert month.net_total == Decimal("500.00")
    # Each scenario's session carries its own per-session fees, as alone.
    assert quote.items[1].per_session.total == Decimal("0.0060")  # 0.004 + 2 x 0.001
    # Month 2 of the projection doubles the sessions: the per-session fees follow them.
    second = quote.projection[1]
    assert second.sessions == 3000
    assert [e.amount for e in second.fees] == [
        Decimal("20.00"),
        Decimal("2.00"),
        Decimal("2.00"),
        Decimal("10.00"),
    ]
    from billing.engine.estimate import estimate_document

    written = estimate_document(quote)
    assert written["monthly"]["total"] == "500.00"
    assert written["monthly"]["minimum"]["amount"] == "462.60"
    assert len(written["monthly"]["fees"]) == 4
    assert written["summary"] == (
        "1,500 sessions a month: list $38.00 − discount $0.60 + minimum commitment $462.60 "
        "= $500.00"
    )


def test_an_estimates_own_fees_are_monthly_and_the_cards():
    scenario = {"model": "sip_mediaserver", "participants": [leg(0, 60)]}
    for fees, path in (({"setup": 1}, "fees.setup"), ({"sip_core": 1}, "fees.sip_core")):
        with pytest.raises(ScenarioError) as refused:
            estimate_of({"scenarios": [{"scenario": scenario}], "fees": fees})
        assert [p.path for p in refused.value.problems] == [path]
    with pytest.raises(ScenarioError) as refused:
        estimate_of({"scenarios": [{"scenario": {**scenario, "fees": {"nope": 1}}}]})
    assert [p.path for p in refused.value.problems] == ["scenarios[0].scenario.fees.nope"]


def test_related_service_charges_are_noted_until_a_fee_is_counted():
    sip = {
        "model": "video_ppm",
        "participants": [leg(0, 60, publish=0), leg(0, 60, endpoint="sip")],
    }
    card = read_rate_card(TERMS)
    (note,) = price(parse_scenario(sip), card).notes
    assert note == (
        "Related service charges may apply and are not in this quote: SIP Core Service, for "
        "the SIP endpoints. If the deal has them, count them under Fees (this card's fees: "
        "alexa_device, setup)."
    )
    alexa = {
        **sip,
        "groups": [{"count": 5, "join": [0, 10], "leave": [50, 60], "endpoint": "alexa"}],
    }
    assert "Device Service, for the Alexa devices" in price(parse_scenario(alexa), card).notes[0]
    counted = {**sip, "fees": {"alexa_device": 1}}
    assert price(parse_scenario(counted), card).notes == ()
    plain = {**sip, "participants": [leg(0, 60, publish=0)]}
    assert price(parse_scenario(plain), card).notes == ()
    bare = read_rate_card({"rates": dict(FLAT_RATES)})
    assert "give the deal's fees (Deal terms)" in price(parse_scenario(sip), bare).notes[0]


def test_a_cards_fees_and_add_ons_are_listed_by_key_whatever_order_they_were_given_in():
    # PostgreSQL's jsonb gives an object's keys back shortest first: the card reads the same
    # whichever database kept it.
    fees = dict(reversed(TERMS["fees"].items()))
    addons = {
        "zz_archive": {"label": "Archive", "rate": "0.01"},
        "audio_connector": {"label": "Connector", "rate": "0.004"},
    }
    card = read_rate_card({**TERMS, "fees": fees, "addons": addons})
    assert list(card.fees) == ["alexa_device", "setup"]
    assert list(card.addons) == ["audio_connector", "zz_archive"]
