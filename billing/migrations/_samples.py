"""Whether the default card is still the sample card 0002 installed (its rates and tiers)."""

from decimal import Decimal
from importlib import import_module
from typing import Any

_FIRST = import_module("billing.migrations.0002_default_rate_card")


def _plain(text: str) -> str:
    return f"{Decimal(text).normalize():f}"


def is_sample(card: Any, rates: dict[str, str], tiers: set[tuple[str, str | None, str]]) -> bool:
    sample_rates = {meter: _plain(rate) for meter, rate in _FIRST.SAMPLE_RATES.items()}
    sample_tiers = {
        (meter, None if up_to is None else _plain(up_to), _plain(rate))
        for meter, meter_tiers in _FIRST.SAMPLE_TIERS.items()
        for up_to, rate in meter_tiers
    }
    return (
        rates == sample_rates
        and tiers == sample_tiers
        and card.currency == "USD"
        and card.increment_seconds == 60
        and card.minimum_seconds == 0
    )
