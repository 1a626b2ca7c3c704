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


def test_an_estimate_refuses_terms_it_does_not_apply_yet_instead_of_leaving_them_out():
    from billing.engine import parse_estimate, price_estimate

    scenario = {"model": "sip_mediaserver", "participants": [leg(0, 60)], "fees": {"setup": 1}}
    estimate = parse_estimate({"scenarios": [{"scenario": scenario}]})
    with pytest.raises(ScenarioError) as refused:
        price_estimate(estimate, read_rate_card(TERMS))
    assert refused.value.problems[0].path == "rate_card.monthly_minimum"
    no_minimum = {key: value for key, value in TERMS.items() if key != "monthly_minimum"}
    with pytest.raises(ScenarioError) as refused:
        price_estimate(estimate, read_rate_card({**no_minimum, "fees": {}}))
    assert refused.value.problems[0].path == "scenarios[0].scenario.fees"
