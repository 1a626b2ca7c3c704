import datetime
from decimal import Decimal

import pytest

from billing.engine import Meter
from billing.models import RateCardVersion

pytestmark = pytest.mark.django_db


def test_the_default_card_is_installed_with_every_meter_and_labelled_as_sample():
    card = RateCardVersion.objects.current("default")
    assert card is not None
    engine = card.to_engine()
    assert set(engine.prices) >= set(Meter)
    assert "not real prices" in card.name
    assert engine.price_of(Meter.VOICE_CALL).rate == Decimal("0.0040")
    assert [t.up_to for t in engine.price_of(Meter.VOICE_CALL).tiers] == [Decimal(100000), None]


def test_the_default_card_has_clearly_labelled_sample_add_ons_and_fees():
    card = RateCardVersion.objects.current("default")
    engine = card.to_engine()
    assert card.version == 2
    assert sorted(engine.addons) == ["audio_connector_minutes", "composed_archive_minutes"]
    assert all("(sample add-on)" in meter.label for meter in engine.addons.values())
    assert sorted(engine.fees) == ["alexa_device", "sip_core"]
    assert all("(sample fee)" in fee.label for fee in engine.fees.values())
    # Version 1, which quotes saved before were pinned to, keeps its prices.
    first = RateCardVersion.objects.get(slug="default", version=1).to_engine()
    assert first.prices == {m: p for m, p in engine.prices.items() if m in set(Meter)}
    assert not first.addons
    assert not first.fees


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
