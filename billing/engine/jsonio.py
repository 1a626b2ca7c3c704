"""JSON text with exact decimals: Decimal values are written as JSON numbers, digit for digit,
and read back as Decimals, never through a float.

The standard encoder can only write a Decimal as a string or through a float; scenario
documents keep times and rates as numbers, so they are written here. Reading is where a
document enters: `loads` applies the rules of `inputs` to all of it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import ScenarioError
from .inputs import MAX_DEPTH, JsonReader, document_problems, nesting_message, text_problem


def loads(raw: bytes | str, *, max_bytes: int, max_depth: int = MAX_DEPTH) -> Any:
    """A JSON document read exactly (decimals, never floats), its every string, number and
    level of nesting checked (billing/engine/inputs.py). ScenarioError names what is wrong.

    What the text shows spares most of the walk: strings can hold a lone surrogate or NUL
    only through a \\u escape of one, or in a str that already holds one (bytes are decoded
    strictly as UTF-8, which refuses surrogates; JSON refuses raw control characters in
    strings)."""
    data = raw if isinstance(raw, bytes) else raw.encode("utf-8", "surrogatepass")
    if len(data) > max_bytes:
        raise ScenarioError.single(
            "",
            f"the document is {len(data):,} bytes; at most {max_bytes:,} bytes "
            f"({max_bytes / 1_000_000:g} MB) are accepted",
        )
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError:
        raise ScenarioError.single("", "the document is not UTF-8 text") from None
    if not text.strip():
        raise ScenarioError.single("", "the document is empty; expected a JSON document")
    reader = JsonReader(data)
    try:
        try:
            document = json.loads(text, **reader.arguments())
        except ValueError as error:
            if "integer string conversion" not in str(error):
                raise
            document = json.loads(text, **reader.arguments(exact_integers=True))
    except json.JSONDecodeError as error:
        raise ScenarioError.single(
            "", f"not valid JSON: {error.msg} at line {error.lineno}, column {error.colno}"
        ) from None
    except RecursionError:
        raise ScenarioError.single("", f"the document {nesting_message(max_depth)}") from None
    except ValueError as error:
        raise ScenarioError.single("", f"not valid JSON: {error}") from None
    problems = document_problems(
        document,
        max_depth,
        strings=_BAD_ESCAPE.search(data) is not None
        or (isinstance(raw, str) and text_problem(raw) is not None),
        numbers=reader.numbers_out_of_bounds,
    )
    if problems:
        raise ScenarioError(problems)
    return document


# A \\u escape of NUL or of half a surrogate pair (a whole pair is fine, but is found too).
_BAD_ESCAPE = re.compile(rb"\\u(?:[dD][89a-fA-F]|0000|202[a-eA-E]|206[6-9])")


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
