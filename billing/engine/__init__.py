"""The pricing engine: plain Python, no Django. Scenario in, exact Decimal quote out."""

from . import plausibility
from .errors import Problem, ScenarioError
from .estimate import (
    Estimate,
    EstimateQuote,
    estimate_document,
    is_estimate,
    parse_estimate,
    price_estimate,
)
from .metering import Charge, Usage, billing_start, meter_usage
from .meters import ChargeKind, Meter, Model
from .pricing import Quote, compare_models, price, quote_document, resolve_card
from .ratecard import (
    MeterPrice,
    RateCard,
    RateCardOverride,
    Tier,
    card_document,
    card_snapshot,
    read_rate_card,
    read_snapshot,
    same_prices,
)
from .rating import Line, Period, Slice
from .scenario import Interval, Participant, Scenario, parse_scenario, scenario_document

__all__ = [
    "Charge",
    "ChargeKind",
    "Estimate",
    "EstimateQuote",
    "Interval",
    "Line",
    "Meter",
    "MeterPrice",
    "Model",
    "Participant",
    "Period",
    "Problem",
    "Quote",
    "RateCard",
    "RateCardOverride",
    "Scenario",
    "ScenarioError",
    "Slice",
    "Tier",
    "Usage",
    "billing_start",
    "card_document",
    "card_snapshot",
    "compare_models",
    "estimate_document",
    "is_estimate",
    "meter_usage",
    "parse_estimate",
    "parse_scenario",
    "plausibility",
    "price",
    "price_estimate",
    "quote_document",
    "read_rate_card",
    "read_snapshot",
    "resolve_card",
    "same_prices",
    "scenario_document",
]
