"""JSON text with exact decimals: Decimal values are written as JSON numbers, digit for digit.

The standard encoder can only write a Decimal as a string or through a float; scenario
documents keep times and rates as numbers, so they are written here.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal


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
