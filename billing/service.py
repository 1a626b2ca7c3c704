"""The engine wired to stored rate cards: what the API, the `price` command and the web app share."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.conf import settings

from billing.cards import CardDirectory
from billing.engine import (
    EstimateQuote,
    Quote,
    RateCard,
    RateCardOverride,
    ScenarioError,
    estimate_document,
    is_estimate,
    parse_estimate,
    parse_scenario,
    price,
    price_estimate,
    quote_document,
)
from billing.engine.scenario import RateCardRef


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


def base_card(
    ref: RateCardRef, cards: CardDirectory | None = None, pinned: RateCard | None = None
) -> RateCard:
    """The stored card a rate card reference names, before inline overrides: by slug, as the
    base of overrides, or the default. `pinned` is a saved quote's copy of a stored card; it
    stands in for that card's current version, so the quote keeps its prices."""
    cards = cards or CardDirectory()
    if isinstance(ref, str):
        slug = ref
    elif isinstance(ref, RateCardOverride) and ref.base:
        slug = ref.base
    else:
        slug = cards.default_slug
    return pinned if pinned is not None and pinned.slug == slug else cards.card(slug)


def card_for(
    ref: RateCardRef, cards: CardDirectory | None = None, pinned: RateCard | None = None
) -> RateCard:
    """The card a reference prices with: its base card with any inline overrides applied."""
    base = base_card(ref, cards, pinned)
    return ref.apply_to(base) if isinstance(ref, RateCardOverride) else base


def price_document(
    document: Any, cards: CardDirectory | None = None, pinned: RateCard | None = None
) -> Quote:
    """Validate a scenario document, find its rate card, price it. Raises ScenarioError."""
    scenario = parse_scenario(document)
    return price(scenario, card_for(scenario.rate_card, cards, pinned))


def price_estimate_document(
    document: Any, cards: CardDirectory | None = None, pinned: RateCard | None = None
) -> EstimateQuote:
    estimate = parse_estimate(document)
    return price_estimate(estimate, card_for(estimate.rate_card, cards, pinned))


def price_any(document: Any) -> dict[str, Any]:
    """A scenario or an estimate document priced, as its result document."""
    if is_estimate(document):
        return estimate_document(price_estimate_document(document))
    return quote_document(price_document(document))
