"""The JSON API's OpenAPI 3.0 document, served at /api/openapi.json.

The request schemas give the shape; rules across fields (leave not before join, tiers in
order, limits) are the engine's, and their violations are answered 400 with every problem.
"""

from __future__ import annotations

from typing import Any

from billing.engine import Meter, Model
from billing.engine.estimate import MAX_MONTHS, MAX_SCENARIOS
from billing.engine.ratecard import (
    FEE_PERIODS,
    MAX_ADDONS,
    MAX_FEES,
    MAX_INCREMENT_SECONDS,
    ROUNDINGS,
    TIER_MODES,
)
from billing.engine.reader import MAX_NAME_LENGTH
from billing.engine.scenario import (
    MAX_FEE_COUNT,
    MAX_GROUPS,
    MAX_INTERVALS,
    MAX_MEMBERS,
    MAX_PARTICIPANTS,
    MAX_SESSION_SECONDS,
    MAX_SESSIONS_PER_MONTH,
    MEDIA,
)
from billing.engine.usagefile import COLUMNS as USAGE_COLUMNS
from calculator.editor.columns import PARTICIPANT_COLUMNS

DECIMAL = {"type": "string", "pattern": r"^\s*[0-9]+(\.[0-9]+)?\s*$", "example": "0.0040"}
SECONDS = {"type": "number", "minimum": 0, "maximum": MAX_SESSION_SECONDS}
METERS = [str(meter) for meter in Meter]
PROBLEMS = {
    "type": "object",
    "required": ["error", "problems"],
    "properties": {
        "error": {"type": "string"},
        "problems": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
TIERS = {
    "type": "array",
    "items": {
        "type": "object",
        "required": ["rate"],
        "properties": {"up_to": {**DECIMAL, "nullable": True}, "rate": DECIMAL},
    },
}
TIER_MODE = {"type": "string", "enum": list(TIER_MODES)}
RATE_CARD_OBJECT = {
    "type": "object",
    "properties": {
        "base": {"type": "string"},
        "name": {"type": "string"},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "increment_seconds": {"type": "integer", "minimum": 1, "maximum": MAX_INCREMENT_SECONDS},
        "minimum_seconds": {"type": "integer", "minimum": 0, "maximum": MAX_INCREMENT_SECONDS},
        "rates": {
            "type": "object",
            "properties": {m: DECIMAL for m in METERS},
            "additionalProperties": False,
        },
        "tiers": {
            "type": "object",
            "description": "By meter: a built-in one, or one of the card's own add-ons.",
            "properties": {m: TIERS for m in METERS},
            "additionalProperties": TIERS,
        },
        "tier_modes": {
            "type": "object",
            "description": "By meter: a built-in one, or one of the card's own add-ons.",
            "properties": {m: TIER_MODE for m in METERS},
            "additionalProperties": TIER_MODE,
        },
        "monthly_minimum": DECIMAL,
        "rounding": {
            "type": "string",
            "enum": list(ROUNDINGS),
            "description": "What is rounded to the increment and minimum: each interval, a "
            "meter's total in a session, or in the month.",
        },
        "addons": {
            "type": "object",
            "description": "Per-minute meters the deal adds, by key (never a built-in meter).",
            "maxProperties": MAX_ADDONS,
            "additionalProperties": {
                "type": "object",
                "properties": {"label": {"type": "string"}, "rate": DECIMAL},
            },
        },
        "fees": {
            "type": "object",
            "maxProperties": MAX_FEES,
            "additionalProperties": {
                "type": "object",
                "required": ["per", "price"],
                "properties": {
                    "label": {"type": "string"},
                    "per": {"type": "string", "enum": list(FEE_PERIODS)},
                    "price": DECIMAL,
                },
            },
        },
    },
    "additionalProperties": False,
}
INTERVAL = {
    "type": "object",
    "required": ["start", "end"],
    "properties": {
        "start": SECONDS,
        "end": SECONDS,
        "media": {"type": "string", "enum": list(MEDIA)},
    },
}
RANGE = {"type": "array", "minItems": 2, "maxItems": 2, "items": SECONDS}
GROUP = {
    "type": "object",
    "required": ["count", "join", "leave"],
    "properties": {
        "name": {"type": "string", "maxLength": MAX_NAME_LENGTH},
        "count": {"type": "integer", "minimum": 1, "maximum": MAX_MEMBERS},
        "join": RANGE,
        "leave": RANGE,
        "publish": {"type": "string", "enum": ["join"], "nullable": True},
        **{
            c.name: c.schema()
            for c in PARTICIPANT_COLUMNS
            if c.name in ("media", "endpoint", "direction", "streams", "subscribes")
        },
    },
}
SCENARIO = {
    "type": "object",
    "required": ["model"],
    "properties": {
        "name": {"type": "string", "maxLength": MAX_NAME_LENGTH},
        "model": {"type": "string", "enum": [str(m) for m in Model]},
        "sessions_per_month": {"type": "integer", "minimum": 0, "maximum": MAX_SESSIONS_PER_MONTH},
        "participants": {
            "type": "array",
            "maxItems": MAX_PARTICIPANTS,
            "items": {
                "type": "object",
                "required": ["join", "leave"],
                # The editor's columns are the participant's attributes (editor/columns.py).
                "properties": {c.name: c.schema() for c in PARTICIPANT_COLUMNS},
            },
        },
        "groups": {
            "type": "array",
            "maxItems": MAX_GROUPS,
            "description": (
                f"Participants alike but for their times, one item a group: `count` members "
                f"joining spread evenly over `join` [from, to] and leaving likewise over "
                f"`leave`, to whole seconds. Participants and all groups' members together "
                f"at most {MAX_MEMBERS:,}."
            ),
            "items": GROUP,
        },
        "conferences": {"type": "array", "maxItems": MAX_INTERVALS, "items": INTERVAL},
        "recordings": {"type": "array", "maxItems": MAX_INTERVALS, "items": INTERVAL},
        "monitoring": {"type": "array", "maxItems": MAX_INTERVALS, "items": INTERVAL},
        "addons": {
            "type": "array",
            "maxItems": MAX_INTERVALS,
            "description": "Intervals billed on the rate card's add-on meters.",
            "items": {
                "type": "object",
                "required": ["meter", "start", "end"],
                "properties": {"meter": {"type": "string"}, "start": SECONDS, "end": SECONDS},
            },
        },
        "rate_card": {"oneOf": [{"type": "string"}, RATE_CARD_OBJECT]},
        "fees": {
            "type": "object",
            "description": "How many of each of the card's fees, by the fee's key.",
            "additionalProperties": {"type": "integer", "minimum": 0, "maximum": MAX_FEE_COUNT},
        },
    },
}
ESTIMATE = {
    "type": "object",
    "required": ["scenarios"],
    "properties": {
        "name": {"type": "string"},
        "scenarios": {
            "type": "array",
            "minItems": 1,
            "maxItems": MAX_SCENARIOS,
            "items": {
                "type": "object",
                "required": ["scenario"],
                "properties": {
                    "scenario": {"$ref": "#/components/schemas/Scenario"},
                    "sessions_per_month": {
                        "type": "integer",
                        "minimum": 0,
                        "maximum": MAX_SESSIONS_PER_MONTH,
                    },
                },
            },
        },
        "rate_card": {"oneOf": [{"type": "string"}, RATE_CARD_OBJECT]},
        "discount": {
            "type": "object",
            "properties": {"percent": DECIMAL, "meters": {"type": "object"}},
        },
        "growth": {
            "type": "object",
            "properties": {
                "monthly_percent": {"type": "string"},
                "months": {"type": "integer", "minimum": 1, "maximum": MAX_MONTHS},
            },
        },
        "fees": {
            "type": "object",
            "description": "The estimate's own count of its card's monthly fees, added once.",
            "additionalProperties": {"type": "integer", "minimum": 0, "maximum": MAX_FEE_COUNT},
        },
    },
}
LINE = {
    "type": "object",
    "required": ["meter", "quantity", "rate", "amount", "explanation"],
    "properties": {
        "meter": {
            "type": "string",
            "description": f"One of {', '.join(METERS)}, or one of the card's add-ons' keys.",
        },
        "quantity": DECIMAL,
        "rate": DECIMAL,
        "amount": DECIMAL,
        "explanation": {"type": "string"},
    },
}
RESULT = {
    "type": "object",
    "required": ["currency", "monthly", "notes"],
    "properties": {
        "model": {"type": "string"},
        "kind": {"type": "string"},
        "currency": {"type": "string"},
        "per_session": {
            "type": "object",
            "required": ["lines", "total"],
            "properties": {"lines": {"type": "array", "items": LINE}, "total": DECIMAL},
        },
        "monthly": {
            "type": "object",
            "required": ["lines", "total"],
            "properties": {"lines": {"type": "array", "items": LINE}, "total": DECIMAL},
        },
        "notes": {"type": "array", "items": {"type": "string"}},
        "warnings": {
            "type": "array",
            "description": "Values priced as given but unlikely (a call of over a day, a "
            "billion sessions a month), each by its path.",
            "items": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}


USAGE_RESULT: dict[str, Any] = {
    "type": "object",
    "required": ["model", "currency", "sessions", "records", "monthly", "models", "rejected"],
    "properties": {
        "model": {"type": "string"},
        "currency": {"type": "string"},
        "rate_card": {"type": "object"},
        "sessions": {"type": "integer"},
        "records": {"type": "integer"},
        "monthly": {
            "type": "object",
            "required": ["lines", "total"],
            "properties": {"lines": {"type": "array"}, "total": {"type": "string"}},
        },
        "models": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["model", "total"],
                "properties": {
                    "model": {"type": "string"},
                    "total": {"type": "string", "nullable": True},
                    "problem": {"type": "string"},
                    "note": {"type": "string"},
                },
            },
        },
        "rejected": {
            "type": "object",
            "required": ["count", "sessions", "problems", "first"],
            "properties": {
                "count": {"type": "integer"},
                "sessions": {"type": "integer"},
                "problems": {"type": "integer"},
                "first": {"type": "array", "items": {"type": "object"}},
            },
        },
    },
}


def error(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Problems"}}},
    }


def document() -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Communications cost calculator API",
            "version": "1",
            "description": "Price a scenario or an estimate of several scenarios. JSON on every status; no cookie or CSRF token.",
        },
        "paths": {
            "/api/estimate": {
                "post": {
                    "summary": "Price a scenario or an estimate",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "oneOf": [
                                        {"$ref": "#/components/schemas/Scenario"},
                                        {"$ref": "#/components/schemas/Estimate"},
                                    ]
                                }
                            }
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The result",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Result"}
                                }
                            },
                        },
                        "400": error("Every problem of the document, by path"),
                        "408": error("The body took more than 60 seconds to arrive"),
                        "413": error("The body is over 2 MB (refused before it is read)"),
                        "429": error(
                            "Too many requests, or too much computing time, from one address; "
                            "see Retry-After"
                        ),
                        "503": error(
                            "The database is unavailable, or the server is busy with large "
                            "scenarios; see Retry-After"
                        ),
                    },
                }
            },
            "/api/usage": {
                "post": {
                    "summary": "Price a usage file (call records, CSV or gzipped CSV)",
                    "description": (
                        "The month of a file of call records: each session priced as its own "
                        "scenario document would be, summed, then tiers, tier modes, month "
                        "rounding and the minimum; the same month under every model, cheapest "
                        "first. Records refused by line number (up to 100), or with "
                        "skip_bad=true their sessions left out and listed. The body may be up "
                        "to USAGE_MAX_BYTES (200 MB by default), apart from the 2 MB of a "
                        "document."
                    ),
                    "parameters": [
                        {
                            "name": "model",
                            "in": "query",
                            "required": False,
                            "description": "The model of the bill (default: the cheapest)",
                            "schema": {"type": "string", "enum": [str(m) for m in Model]},
                        },
                        {
                            "name": "rate_card",
                            "in": "query",
                            "required": False,
                            "description": "A stored card's slug (default: the default card)",
                            "schema": {"type": "string"},
                        },
                        {
                            "name": "skip_bad",
                            "in": "query",
                            "required": False,
                            "schema": {"type": "string", "enum": ["true", "false"]},
                        },
                        *(
                            {
                                "name": f"column_{column}",
                                "in": "query",
                                "required": False,
                                "description": f"The file's own name for the {column} column",
                                "schema": {"type": "string"},
                            }
                            for column in USAGE_COLUMNS
                        ),
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "text/csv": {"schema": {"type": "string"}},
                            "application/gzip": {"schema": {"type": "string", "format": "binary"}},
                        },
                    },
                    "responses": {
                        "200": {
                            "description": "The month's bill and every model's total",
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/UsageResult"}
                                }
                            },
                        },
                        "400": error("What is wrong with the file (by line) or an option"),
                        "408": error("The body took too long to arrive"),
                        "413": error("The file is over the usage upload limit"),
                        "429": error("Too many requests from one address; see Retry-After"),
                        "503": error("The database is unavailable, or the server is busy"),
                    },
                }
            },
            "/api/rate-cards": {
                "get": {
                    "summary": "The stored rate cards in effect",
                    "responses": {
                        "200": {
                            "description": "The cards",
                            "content": {
                                "application/json": {
                                    "schema": {
                                        "type": "object",
                                        "required": ["rate_cards"],
                                        "properties": {
                                            "rate_cards": {
                                                "type": "array",
                                                "items": {
                                                    "type": "object",
                                                    "required": [
                                                        "slug",
                                                        "name",
                                                        "version",
                                                        "effective_date",
                                                        "currency",
                                                        "rates",
                                                    ],
                                                    "properties": {
                                                        "slug": {"type": "string"},
                                                        "name": {"type": "string"},
                                                        "version": {"type": "integer"},
                                                        "effective_date": {
                                                            "type": "string",
                                                            "format": "date",
                                                        },
                                                        "default": {"type": "boolean"},
                                                        "currency": {"type": "string"},
                                                        "increment_seconds": {"type": "integer"},
                                                        "minimum_seconds": {"type": "integer"},
                                                        "rates": {"type": "object"},
                                                        "tiers": {"type": "object"},
                                                    },
                                                },
                                            }
                                        },
                                    }
                                }
                            },
                        },
                        "429": error("Too much computing time from one address; see Retry-After"),
                        "503": error("The database is unavailable"),
                    },
                }
            },
        },
        "components": {
            "schemas": {
                "Scenario": SCENARIO,
                "Estimate": ESTIMATE,
                "Result": RESULT,
                "Problems": PROBLEMS,
                "UsageResult": USAGE_RESULT,
            }
        },
    }
