"""The engine wired to stored rate cards: what the API, the `price` command and the web app share."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings

from billing.cards import CardDirectory
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
    return CardDirectory().default()


def stored_card(slug: str) -> RateCard:
    return CardDirectory().card(slug)


def card_for(scenario: Scenario, cards: CardDirectory | None = None) -> RateCard:
    """The card a scenario names (a slug, inline overrides and their base) resolved."""
    cards = cards or CardDirectory()
    ref = scenario.rate_card
    if isinstance(ref, str):
        return cards.card(ref)
    if isinstance(ref, RateCardOverride) and ref.base is not None:
        return resolve_card(scenario, cards.default(), cards.card(ref.base))
    return resolve_card(scenario, cards.default())


def price_document(document: Any, cards: CardDirectory | None = None) -> Quote:
    """Validate a scenario document, find its rate card, price it. Raises ScenarioError."""
    scenario = parse_scenario(document)
    return price(scenario, card_for(scenario, cards))
