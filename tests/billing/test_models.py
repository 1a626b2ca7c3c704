import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.sites import AdminSite
from django.test import Client

from billing.admin import RateCardVersionAdmin
from billing.engine import Meter
from billing.models import RateCardVersion

pytestmark = pytest.mark.django_db


def test_the_default_card_is_installed_with_every_meter_and_labelled_as_sample():
    card = RateCardVersion.objects.current("default")
    assert card is not None
    engine = card.to_engine()
    assert set(engine.prices) == set(Meter)
    assert "not real prices" in card.name
    assert engine.price_of(Meter.VOICE_CALL).rate == Decimal("0.0040")
    assert [t.up_to for t in engine.price_of(Meter.VOICE_CALL).tiers] == [Decimal(100000), None]


def test_current_picks_the_latest_effective_version_not_in_the_future():
    make = RateCardVersion.objects.create
    make(slug="x", name="old", version=1, effective_date=datetime.date(2020, 1, 1))
    make(slug="x", name="new", version=2, effective_date=datetime.date(2021, 1, 1))
    make(slug="x", name="future", version=3, effective_date=datetime.date(2999, 1, 1))
    assert RateCardVersion.objects.current("x").name == "new"
    assert RateCardVersion.objects.current("x", on=datetime.date(2020, 6, 1)).name == "old"


def test_stored_rates_come_back_without_column_padding():
    card = RateCardVersion.objects.create(slug="y", name="y")
    card.rates.create(meter="voice_call_minutes", rate=Decimal("0.00395"))
    card.rates.create(meter="video_call_minutes", rate=Decimal("0.01"))
    prices = card.to_engine().prices
    assert str(prices[Meter.VOICE_CALL].rate) == "0.00395"
    assert str(prices[Meter.VIDEO_CALL].rate) == "0.0100"


def admin_post(client, data):
    base = {
        "slug": "z",
        "name": "Z",
        "version": "1",
        "effective_date": "2026-01-01",
        "currency": "USD",
        "increment_seconds": "60",
        "minimum_seconds": "0",
        "description": "",
        "rates-TOTAL_FORMS": "1",
        "rates-INITIAL_FORMS": "0",
        "rates-0-meter": "voice_call_minutes",
        "rates-0-rate": "0.004",
        "tiers-TOTAL_FORMS": "0",
        "tiers-INITIAL_FORMS": "0",
    }
    base.update(data)
    return client.post("/admin/billing/ratecardversion/add/", base)


@pytest.fixture
def admin_client_logged_in(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def test_admin_saves_a_valid_card(admin_client_logged_in):
    response = admin_post(admin_client_logged_in, {})
    assert response.status_code == 302
    assert RateCardVersion.objects.current("z").to_engine().price_of(
        Meter.VOICE_CALL
    ).rate == Decimal("0.0040")


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"rates-0-rate": "-1"}, "greater than or equal to 0"),
        ({"currency": "US1"}, "three-letter"),
        (
            {
                "tiers-TOTAL_FORMS": "2",
                "tiers-0-meter": "voice_call_minutes",
                "tiers-0-up_to": "100",
                "tiers-0-rate": "1",
                "tiers-1-meter": "voice_call_minutes",
                "tiers-1-up_to": "100",
                "tiers-1-rate": "1",
            },
            "exactly one tier must be open",
        ),
    ],
)
def test_admin_refuses_bad_cards(admin_client_logged_in, data, message):
    response = admin_post(admin_client_logged_in, data)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not RateCardVersion.objects.filter(slug="z").exists()


def test_admin_offers_save_as_new_version():
    assert RateCardVersionAdmin(RateCardVersion, AdminSite()).save_as is True


@pytest.mark.parametrize(
    ("tiers", "message"),
    [
        ([("100", "1"), ("100", "1"), ("", "1")], "tiers must not overlap"),
        ([("0", "1"), ("", "1")], "greater than zero"),
        ([("100", "1"), ("200", "1")], "exactly one tier must be open"),
        ([("100", "-1"), ("", "1")], "greater than or equal to 0"),
    ],
)
def test_admin_refuses_overlapping_or_unbounded_tiers(admin_client_logged_in, tiers, message):
    data = {"tiers-TOTAL_FORMS": str(len(tiers))}
    for n, (up_to, rate) in enumerate(tiers):
        data.update(
            {
                f"tiers-{n}-meter": "voice_call_minutes",
                f"tiers-{n}-up_to": up_to,
                f"tiers-{n}-rate": rate,
            }
        )
    response = admin_post(admin_client_logged_in, data)
    assert message in response.content.decode()
    assert not RateCardVersion.objects.filter(slug="z").exists()
