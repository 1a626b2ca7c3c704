"""The engine wired to stored rate cards: what the API, the `price` command and the web app share."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings

from billing.cards import CardDirectory
from billing.engine import (
    Estimate,
    EstimateQuote,
    Quote,
    RateCard,
    RateCardOverride,
    Scenario,
    ScenarioError,
    estimate_document,
    is_estimate,
    parse_estimate,
    parse_scenario,
    price,
    price_estimate,
    quote_document,
)
from billing.engine.batch import bill_usage
from billing.engine.inputs import shown
from billing.engine.jsonio import loads
from billing.engine.meters import Model
from billing.engine.pricing import usage_document
from billing.engine.scenario import RateCardRef
from billing.engine.usagefile import read_usage


def load_json(raw: bytes | str) -> Any:
    """Parse a JSON body exactly (decimals, never floats), every string, number and level of
    nesting checked (billing/engine/inputs.py); ScenarioError on anything malformed."""
    return loads(raw, max_bytes=settings.MAX_DOCUMENT_BYTES)


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
    return price_scenario(parse_scenario(document), cards, pinned)


def price_scenario(
    scenario: Scenario, cards: CardDirectory | None = None, pinned: RateCard | None = None
) -> Quote:
    """A scenario already read (parse_scenario) priced with its rate card: a page that has
    read a document once need not read it again."""
    return price(scenario, card_for(scenario.rate_card, cards, pinned))


def price_estimate_document(
    document: Any, cards: CardDirectory | None = None, pinned: RateCard | None = None
) -> EstimateQuote:
    return price_parsed_estimate(parse_estimate(document), cards, pinned)


def price_parsed_estimate(
    estimate: Estimate, cards: CardDirectory | None = None, pinned: RateCard | None = None
) -> EstimateQuote:
    return price_estimate(estimate, card_for(estimate.rate_card, cards, pinned))


def price_any(document: Any) -> dict[str, Any]:
    """A scenario or an estimate document priced, as its result document."""
    if is_estimate(document):
        return estimate_document(price_estimate_document(document))
    return quote_document(price_document(document))


def usage_terms(
    model: str | None, rate_card: str | None, cards: CardDirectory | None = None
) -> tuple[RateCard, Model | None]:
    """The card (a stored card's slug; none: the default) and the model (none: the cheapest)
    a usage file is priced with, as the API, the page and the command name them; raises
    ScenarioError naming what is wrong."""
    cards = cards or CardDirectory()
    card = cards.card(rate_card) if rate_card else cards.default()
    if not model:
        return card, None
    if model not in list(Model):
        raise ScenarioError.single(
            "model", f"{shown(model)!r} is not a pricing model (one of {', '.join(Model)})"
        )
    return card, Model(model)


def price_usage(
    source: str | Path | bytes,
    *,
    model: str | None = None,
    rate_card: str | None = None,
    skip_bad: bool = False,
    columns: Mapping[str, str] | None = None,
    cards: CardDirectory | None = None,
) -> dict[str, Any]:
    """A usage file (a path, or its bytes; CSV or gzipped CSV) priced with a stored card (its
    slug; None: the default) under `model` (None: the cheapest), as the API answers it
    (billing.engine.pricing.usage_document). Raises ScenarioError naming what is wrong."""
    card, chosen = usage_terms(model, rate_card, cards)
    records = read_usage(source, addons=card.addons, columns=columns, skip_bad=skip_bad)
    return usage_document(bill_usage(records.sessions, records.records, card, chosen), records)
