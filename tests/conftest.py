from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from billing.engine import Meter, Quote, RateCard, parse_scenario, price, read_rate_card

FLAT_RATES = {
    "voice_call_minutes": "0.0040",
    "video_call_minutes": "0.0100",
    "recording_minutes": "0.0025",
    "monitoring_minutes": "0.0020",
    "participant_minutes": "0.0041",
    "subscribed_minutes": "0.0015",
    "sip_interconnect_minutes": "0.0035",
}


def flat_card(**changes: Any) -> RateCard:
    document: dict[str, Any] = {"currency": "USD", "rates": dict(FLAT_RATES)}
    document.update(changes)
    return read_rate_card(document)


@pytest.fixture
def card() -> RateCard:
    return flat_card()


def quote_of(document: dict[str, Any], card: RateCard | None = None) -> Quote:
    return price(parse_scenario(document), card or flat_card())


def minutes(quote: Quote, meter: Meter) -> Decimal:
    """Per-session minutes of one meter (0 when the meter has no line)."""
    line = quote.per_session.line(meter)
    return Decimal(line.quantity) if line else Decimal(0)


def leg(join: int, leave: int, **fields: Any) -> dict[str, Any]:
    return {"join": join, "leave": leave, **fields}


@pytest.fixture(autouse=True)
def _fresh_rate_limits(settings, tmp_path_factory):
    """Rate limits count in a SQLite file shared by a machine's workers (or the cache): every
    test starts with a file of its own, none used."""
    from django.core.cache import cache

    cache.clear()
    settings.RATE_LIMIT_DB = tmp_path_factory.mktemp("counters") / "ratelimits.sqlite3"


@pytest.fixture
def default_card_installed(transactional_db):
    """Tests with real transactions flush the database between tests, taking the default
    card the migrations installed with it (both versions); put it back."""
    import importlib

    from django.apps import apps

    for migration in ("0002_default_rate_card", "0005_default_card_samples"):
        importlib.import_module(f"billing.migrations.{migration}").install(apps, None)
