"""The engine wired to stored rate cards: what the API, the `price` command and the web app share."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings

from billing.engine import (
    Quote,
    RateCard,
    RateCardOverride,
    Scenario,
    ScenarioError,
    parse_scenario,
    price,
)
from billing.engine.pricing import resolve_card
from billing.models import RateCardVersion


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")


def load_json(raw: bytes | str) -> Any:
    """Parse a JSON body exactly (decimals, never floats); ScenarioError on anything malformed."""
    limit = settings.MAX_DOCUMENT_BYTES
    size = len(raw.encode() if isinstance(raw, str) else raw)
    if size > limit:
        raise ScenarioError.single(
            "", f"the document is {size:,} bytes; at most {limit:,} bytes (2 MB) are accepted"
        )
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise ScenarioError.single("", "the document is not UTF-8 text") from None
    if not text.strip():
        raise ScenarioError.single("", "the document is empty; expected a JSON scenario")
    try:
        return json.loads(text, parse_float=Decimal, parse_constant=_no_constants)
    except json.JSONDecodeError as error:
        raise ScenarioError.single(
            "", f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except RecursionError:
        raise ScenarioError.single("", "not valid JSON: nested too deeply") from None
    except ValueError as error:
        raise ScenarioError.single("", f"not valid JSON: {error}") from None


def default_card() -> RateCard:
    version = RateCardVersion.objects.current(settings.DEFAULT_RATE_CARD)
    if version is None:
        raise ScenarioError.single(
            "rate_card",
            f"the default rate card {settings.DEFAULT_RATE_CARD!r} is not installed; "
            "run `python manage.py migrate`",
        )
    return version.to_engine()


def stored_card(slug: str) -> RateCard:
    version = RateCardVersion.objects.current(slug)
    if version is None:
        known = sorted(set(RateCardVersion.objects.in_effect().values_list("slug", flat=True)))
        raise ScenarioError.single(
            "rate_card", f"no stored rate card {slug!r} (known: {', '.join(known) or 'none'})"
        )
    return version.to_engine()


def card_for(scenario: Scenario) -> RateCard:
    ref = scenario.rate_card
    if isinstance(ref, str):
        return stored_card(ref)
    if isinstance(ref, RateCardOverride) and ref.base is not None:
        return resolve_card(scenario, default_card(), stored_card(ref.base))
    return resolve_card(scenario, default_card())


def price_document(document: Any) -> Quote:
    """Validate a scenario document, find its rate card, price it. Raises ScenarioError."""
    scenario = parse_scenario(document)
    return price(scenario, card_for(scenario))
