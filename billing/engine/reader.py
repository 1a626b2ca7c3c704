"""Reading untrusted JSON-like values into domain types while collecting every problem."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from .errors import Problem, ScenarioError, join_path
from .inputs import MAX_PROBLEMS, shown, text_problem
from .money import to_decimal

__all__ = ["MAX_PROBLEMS", "Reader", "join_path", "type_name"]

# The longest name (of a scenario, an estimate, a participant) a document may hold.
MAX_NAME_LENGTH = 200


def type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, float):
        return "a float (inexact: give a Decimal, an int or JSON text)"
    if isinstance(value, int | Decimal):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "an object"
    return type(value).__name__


class Reader:
    """Collects problems as a document is read, so one answer can name all of them."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, path: str, message: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(path, message))

    def raise_if_any(self) -> None:
        if self.problems:
            raise ScenarioError(self.problems)

    def mapping(self, value: object, path: str, allowed: Iterable[str]) -> Mapping[str, Any] | None:
        if not isinstance(value, Mapping):
            self.problem(path, f"must be an object, not {type_name(value)}")
            return None
        known = set(allowed)
        for key in value:
            if key not in known:
                expected = ", ".join(sorted(known))
                self.problem(
                    join_path(path, shown(str(key))),
                    f"unknown field (expected one of {expected})",
                )
        return value

    def items(self, value: object, path: str, limit: int | None, what: str) -> list[Any]:
        """A list of at most `limit` items (None: as many as there are)."""
        if value is None:
            return []
        if not isinstance(value, list | tuple):
            self.problem(path, f"must be a list, not {type_name(value)}")
            return []
        if limit is not None and len(value) > limit:
            self.problem(path, f"at most {limit:,} {what} are allowed (got {len(value):,})")
            return []
        return list(value)

    def text(
        self, value: object, path: str, default: str = "", max_length: int = MAX_NAME_LENGTH
    ) -> str:
        if value is None:
            return default
        if not isinstance(value, str):
            self.problem(path, f"must be a string, not {type_name(value)}")
            return default
        if (problem := text_problem(value)) is not None:
            self.problem(path, problem)
            return default
        if len(value) > max_length:
            self.problem(path, f"must be at most {max_length} characters")
            return value[:max_length]
        return value

    def choice(self, value: object, path: str, choices: Iterable[str], default: str | None) -> str:
        options = list(choices)
        if value is None and default is not None:
            return default
        if not isinstance(value, str) or value not in options:
            if value is None:
                self.problem(path, f"is missing: give one of {', '.join(options)}")
                return default or options[0]
            got = repr(shown(value)) if isinstance(value, str) else type_name(value)
            self.problem(path, f"must be one of {', '.join(options)} (got {got})")
            return default or options[0]
        return value

    def whole(self, value: object, path: str, low: int, high: int, default: int | None) -> int:
        if value is None and default is not None:
            return default
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.problem(path, f"must be a whole number, not {type_name(value)}")
            return default or low
        if isinstance(value, Decimal) and not value.is_finite():
            self.problem(path, "must be a finite number")
            return default or low
        if not low <= value <= high:
            # Compared before any int() so that 1e999999 costs nothing to refuse.
            self.problem(path, f"must be from {low:,} to {high:,} (got {value})")
            return default or low
        if isinstance(value, Decimal) and value != value.to_integral_value():
            self.problem(path, f"must be a whole number (got {value})")
            return default or low
        return int(value)

    def boolean(self, value: object, path: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.problem(path, f"must be true or false, not {type_name(value)}")
            return default
        return value

    def seconds(self, value: object, path: str, maximum: int, *, required: bool) -> Decimal | None:
        """A time in seconds: a JSON number, never negative, at most microsecond precision."""
        if value is None:
            if required:
                self.problem(path, "is required (seconds from the start of the session)")
            return None
        if isinstance(value, bool) or not isinstance(value, int | Decimal):
            self.problem(path, f"must be a number of seconds, not {type_name(value)}")
            return None
        number = Decimal(value)
        if not number.is_finite():
            self.problem(path, "must be a finite number of seconds")
            return None
        if number < 0:
            self.problem(path, f"must not be negative (got {number})")
            return None
        if number > maximum:
            self.problem(path, f"must be at most {maximum:,} seconds (7 days; got {number})")
            return None
        exponent = number.as_tuple().exponent
        if isinstance(exponent, int) and exponent < -6:
            self.problem(path, "must have at most 6 decimal places (microseconds)")
            return None
        return number

    def decimal(
        self,
        value: object,
        path: str,
        *,
        what: str,
        maximum: Decimal | None,
        places: int | None = 12,
    ) -> Decimal | None:
        """A non-negative decimal given as a string (or a JSON number read exactly), at most
        `maximum` with at most `places` decimal places (None: as large or as long as any
        number may be, inputs.number_problem)."""
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            self.problem(path, f'must be a decimal string such as "0.0040", not {type_name(value)}')
            return None
        try:
            number = to_decimal(value)
        except (TypeError, ValueError) as error:
            got = f" (got {shown(value)!r})" if isinstance(value, str) else ""
            self.problem(path, f"{what} {error}{got}")
            return None
        if number < 0:
            self.problem(path, f"{what} must not be negative (got {number})")
            return None
        if maximum is not None and number > maximum:
            self.problem(path, f"{what} must be at most {maximum:,} (got {number})")
            return None
        exponent = number.as_tuple().exponent
        if places is not None and isinstance(exponent, int) and exponent < -places:
            self.problem(path, f"{what} must have at most {places} decimal places")
            return None
        return number
