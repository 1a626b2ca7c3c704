"""What comes in from outside — text, numbers typed as text, JSON documents — checked once,
where it enters, by the same rules at every door: the JSON API, import, the `price` command,
the editor's fields and its JSON form body, estimates and the admin.

- Text is Unicode scalar values without NUL. A lone surrogate (half of a UTF-16 pair, which
  JSON's `\\ud800` escape can name) cannot be written as UTF-8, so no page, file or database
  can hold it; PostgreSQL refuses NUL in text.
- A number typed as text is a plain ASCII decimal: digits 0-9, at most one point, an optional
  sign. Python's Decimal and int also take `1_0`, other scripts' digits (`١٠`), exponents
  (`1e999999999`, whose first sum overflows) and `NaN`; people type none of them.
- A number, typed or in a JSON document whatever its notation, has at most MAX_WHOLE_DIGITS
  digits before the point and MAX_PLACES after it. These bounds are far beyond any field's
  own (which give their own messages); they are what keeps arithmetic finite: a Fraction of
  Decimal('1e-999999999'), eleven characters, has a billion digits.
- Objects and lists are nested at most MAX_DEPTH deep (an estimate needs 8).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from .errors import Problem, join_path

MAX_DEPTH = 10
MAX_WHOLE_DIGITS = 20
MAX_PLACES = 20
# A typed number longer than this is refused before it is parsed at all.
MAX_NUMBER_TEXT = 1 + MAX_WHOLE_DIGITS + 1 + MAX_PLACES
MAX_PROBLEMS = 100

_PLAIN_DECIMAL = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)")
# A zero fraction is still a whole number (5.0), as Django's own field reads it.
_PLAIN_WHOLE = re.compile(r"([+-]?[0-9]+)(?:\.0*)?")
NUMBER_RULE = "write digits 0-9 and at most one decimal point, such as 12.5"


def text_problem(value: str) -> str | None:
    """What makes a string not text to keep, or None."""
    if "\x00" in value:
        return "must not contain NUL characters (U+0000)"
    if value.isascii():
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as error:
        code = ord(value[error.start])
        return f"is not valid text: it contains a lone surrogate (U+{code:04X})"
    return None


def shown(value: str, limit: int = 40) -> str:
    """A string as a message may quote it: escaped where it is not text, and shortened."""
    if text_problem(value) is not None:
        value = value.encode("unicode_escape").decode("ascii")
    return value if len(value) <= limit else f"{value[: limit - 1]}…"


def plain_decimal(text: str, *, signed: bool = True) -> Decimal:
    """A decimal typed as text (with a leading + or - if `signed`). Raises ValueError saying
    what is wrong."""
    cleaned = text.strip()
    if len(cleaned) > MAX_NUMBER_TEXT:
        raise ValueError(f"is too long for a number (at most {MAX_NUMBER_TEXT} characters)")
    if not _PLAIN_DECIMAL.fullmatch(cleaned) or (not signed and cleaned[0] in "+-"):
        raise ValueError(f"is not a decimal number: {NUMBER_RULE}")
    number = Decimal(cleaned)
    problem = number_problem(number)
    if problem is not None:
        raise ValueError(problem)
    return number


def plain_whole(text: str) -> int:
    """A whole number typed as text. Raises ValueError saying what is wrong."""
    cleaned = text.strip()
    match = _PLAIN_WHOLE.fullmatch(cleaned) if len(cleaned) <= MAX_NUMBER_TEXT else None
    if match is None:
        raise ValueError("is not a whole number: write digits 0-9 only")
    whole = match.group(1)
    if len(whole.lstrip("+-")) > MAX_WHOLE_DIGITS:
        raise ValueError(f"is too large: at most {MAX_WHOLE_DIGITS} digits")
    return int(whole)


def number_problem(value: int | Decimal) -> str | None:
    """What makes a number too large, too long or not finite for any field, or None."""
    if isinstance(value, int):
        if abs(value) >= 10**MAX_WHOLE_DIGITS:
            return f"is too large: at most {MAX_WHOLE_DIGITS} digits before the decimal point"
        return None
    if not value.is_finite():
        return "must be a finite number"
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    if exponent < -MAX_PLACES:
        return f"has too many decimal places: at most {MAX_PLACES}"
    if exponent > MAX_WHOLE_DIGITS or (value and value.adjusted() >= MAX_WHOLE_DIGITS):
        return f"is too large: at most {MAX_WHOLE_DIGITS} digits before the decimal point"
    return None


def document_problems(document: object, max_depth: int = MAX_DEPTH) -> list[Problem]:
    """Every string that is not text, number out of bounds and container nested too deeply
    in a JSON-like document, by its path. Walks without recursion."""
    problems: list[Problem] = []
    stack: list[tuple[object, str, int]] = [(document, "", 0)]
    while stack and len(problems) < MAX_PROBLEMS:
        value, path, depth = stack.pop()
        if isinstance(value, str):
            if (message := text_problem(value)) is not None:
                problems.append(Problem(path, message))
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, int | Decimal):
            if (message := number_problem(value)) is not None:
                problems.append(Problem(path, message))
        elif isinstance(value, Mapping | list | tuple):
            if depth >= max_depth:
                problems.append(Problem(path, nesting_message(max_depth)))
                continue
            if isinstance(value, Mapping):
                children: list[tuple[object, str, int]] = []
                for key, item in value.items():
                    name = str(key)
                    if (message := text_problem(name)) is not None:
                        problems.append(
                            Problem(join_path(path, shown(name)), f"the name {message}")
                        )
                        continue
                    children.append((item, join_path(path, name), depth + 1))
            else:
                children = [(item, join_path(path, i), depth + 1) for i, item in enumerate(value)]
            stack.extend(reversed(children))  # so problems come in document order
    return problems


def nesting_message(max_depth: int) -> str:
    return f"is nested too deeply: at most {max_depth} levels of objects and lists"


def parse_hooks() -> dict[str, Any]:
    """`json.loads` arguments that read numbers exactly and never convert a long integer
    (Python refuses over 4,300 digits with an error that names no path): too long, it stays
    a Decimal for `document_problems` to refuse by its path."""
    return {
        "parse_float": Decimal,
        "parse_int": _json_int,
        "parse_constant": _no_constant,
    }


def _json_int(text: str) -> int | Decimal:
    return int(text) if len(text) <= MAX_WHOLE_DIGITS + 1 else Decimal(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")
