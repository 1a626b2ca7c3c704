"""JSON text with exact decimals: Decimal values are written as JSON numbers, digit for digit,
and read back as Decimals, never through a float.

The standard encoder can only write a Decimal as a string or through a float; scenario
documents keep times and rates as numbers, so they are written here. Reading is where a
document enters: `loads` applies the rules of `inputs` to all of it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import ScenarioError
from .inputs import MAX_DEPTH, document_problems, nesting_message, parse_hooks


def loads(raw: bytes | str, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """A JSON document read exactly (decimals, never floats), its every string, number and
    level of nesting checked (billing/engine/inputs.py). ScenarioError names what is wrong."""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise ScenarioError.single(
            "",
            f"the document is {size:,} bytes; at most {max_bytes:,} bytes "
            f"({max_bytes / 1_000_000:g} MB) are accepted",
        )
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise ScenarioError.single("", "the document is not UTF-8 text") from None
    if not text.strip():
        raise ScenarioError.single("", "the document is empty; expected a JSON document")
    try:
        document = json.loads(text, **parse_hooks())
    except json.JSONDecodeError as error:
        raise ScenarioError.single(
            "", f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except RecursionError:
        raise ScenarioError.single("", f"the document {nesting_message(max_depth)}") from None
    except ValueError as error:
        raise ScenarioError.single("", f"not valid JSON: {error}") from None
    problems = document_problems(document, max_depth)
    if problems:
        raise ScenarioError(problems)
    return document


def dumps(value: object, indent: int | None = None) -> str:
    return "".join(_encode(value, indent, 0))


def _encode(value: object, indent: int | None, level: int) -> list[str]:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value} is not a JSON number")
        return [f"{value:f}"]
    if value is None or isinstance(value, bool | int | float | str):
        return [json.dumps(value)]
    newline = "" if indent is None else "\n" + " " * (indent * (level + 1))
    closing = "" if indent is None else "\n" + " " * (indent * level)
    separator = ", " if indent is None else ","
    if isinstance(value, Mapping):
        if not value:
            return ["{}"]
        parts = [
            f"{newline}{json.dumps(str(key))}: " + "".join(_encode(item, indent, level + 1))
            for key, item in value.items()
        ]
        return ["{", separator.join(parts), closing, "}"]
    if isinstance(value, list | tuple):
        if not value:
            return ["[]"]
        parts = [newline + "".join(_encode(item, indent, level + 1)) for item in value]
        return ["[", separator.join(parts), closing, "]"]
    raise TypeError(f"{type(value).__name__} is not JSON")
