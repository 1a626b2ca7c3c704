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


# Unicode's explicit direction controls (embeddings, overrides, isolates): one in a name
# turns the text after it around, so that an explanation beside the name, "$0.0650", could
# read "0560.0$" on a shared quote. A name written right to left needs none of them.
DIRECTION_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_DIRECTION_CONTROL = re.compile(f"[{DIRECTION_CONTROLS}]")


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
    if found := _DIRECTION_CONTROL.search(value):
        return (
            f"must not contain text-direction controls (U+{ord(found.group()):04X}): they "
            "make the text after them read backwards"
        )
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
    return number if number else abs(number)  # -0 is 0, as people mean it


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


def document_problems(
    document: object,
    max_depth: int = MAX_DEPTH,
    *,
    strings: bool = True,
    numbers: bool = True,
) -> list[Problem]:
    """Every string that is not text (names of fields included), number out of bounds and
    object or list nested too deeply in a JSON-like document, by its path. Without `strings`
    or `numbers`, those are known to be fine (JsonReader knows as it parses) and only the
    nesting is walked: a 10,000-participant document in a few milliseconds, not 150."""
    problems: list[Problem] = []
    if not isinstance(document, Mapping | list | tuple):
        _check_scalar(document, (), strings, numbers, problems)
        return problems
    if not (strings or numbers) and not _deeper_than(document, max_depth):
        return problems
    stack: list[tuple[Any, tuple[Any, ...], int]] = [(document, (), 0)]
    while stack and len(problems) < MAX_PROBLEMS:
        container, path, depth = stack.pop()
        if depth >= max_depth:
            problems.append(Problem(_path_text(path), nesting_message(max_depth)))
            continue
        is_mapping = type(container) is dict or isinstance(container, Mapping)
        pairs = container.items() if is_mapping else enumerate(container)
        deeper = []
        for key, item in pairs:
            if strings and type(key) is str and (message := text_problem(key)) is not None:
                name = _path_text((*path, shown(key)))
                problems.append(Problem(name, f"the name {message}"))
            elif _is_container(item):
                deeper.append((item, (*path, key), depth + 1))
            elif strings or numbers:
                _check_scalar(item, (*path, key), strings, numbers, problems)
        stack.extend(reversed(deeper))
    return problems[:MAX_PROBLEMS]


_SCALARS = frozenset({str, int, bool, type(None), Decimal, float})


def _deeper_than(document: object, max_depth: int) -> bool:
    """Whether any object or list is nested `max_depth` deep, found quickly: no paths are
    made, only the containers visited (a 10,000-participant document in 10 ms; the walk that
    names paths took 60)."""
    stack: list[tuple[Any, int]] = [(document, 0)]
    while stack:
        container, depth = stack.pop()
        if depth >= max_depth:
            return True
        # isinstance of an abstract class such as Mapping costs a microsecond: dicts first.
        is_mapping = type(container) is dict or isinstance(container, Mapping)
        values = container.values() if is_mapping else container
        for value in values:
            kind = type(value)
            if (
                kind is dict
                or kind is list
                or (kind not in _SCALARS and isinstance(value, Mapping | list | tuple))
            ):
                stack.append((value, depth + 1))
    return False


def _is_container(value: object) -> bool:
    """isinstance of Mapping costs a microsecond; most values are of a scalar type."""
    kind = type(value)
    return (
        kind is dict
        or kind is list
        or (kind not in _SCALARS and isinstance(value, Mapping | list | tuple))
    )


def _check_scalar(
    value: object, path: tuple[Any, ...], strings: bool, numbers: bool, problems: list[Problem]
) -> None:
    message = None
    if type(value) is str:
        message = text_problem(value) if strings else None
    elif numbers and isinstance(value, int | Decimal) and not isinstance(value, bool):
        message = number_problem(value)
    if message is not None:
        problems.append(Problem(_path_text(path), message))


def _path_text(path: tuple[Any, ...]) -> str:
    text = ""
    for key in path:
        text = join_path(text, key if isinstance(key, int) else str(key))
    return text


def nesting_message(max_depth: int) -> str:
    return f"is nested too deeply: at most {max_depth} levels of objects and lists"


class JsonReader:
    """`json.loads` arguments that read numbers exactly, and what reading found out about a
    document's numbers: whether any may be out of bounds, for `document_problems` to find and
    name by its path. (Most documents have none, and are then not walked number by number.)

    Integers are left to json's own code: read by a Python hook they cost as much again as
    all the rest of the parse. A run of more digits than any number may have is looked for
    in the text instead. Only where Python refuses an integer of over 4,300 digits (with an
    error that names no path) is the text read again with `exact_integers`, which keeps such
    a number a Decimal."""

    def __init__(self, raw: bytes) -> None:
        self.numbers_out_of_bounds = b"0" * (MAX_WHOLE_DIGITS + 1) in raw.translate(_DIGITS)

    def arguments(self, *, exact_integers: bool = False) -> dict[str, Any]:
        arguments: dict[str, Any] = {"parse_float": self._decimal, "parse_constant": _no_constant}
        if exact_integers:
            arguments["parse_int"] = self._integer
        return arguments

    def _decimal(self, text: str) -> Decimal:
        number = Decimal(text)
        if number_problem(number) is not None:
            self.numbers_out_of_bounds = True
        return number

    def _integer(self, text: str) -> int | Decimal:
        if len(text.lstrip("-")) > MAX_WHOLE_DIGITS:
            self.numbers_out_of_bounds = True
            return Decimal(text)
        return int(text)


# Every digit as 0, so that a run of them is found by a plain search (bytes.translate and
# `in` run in C: 2 ms for 2 MB, where a regular expression took 35).
_DIGITS = bytes.maketrans(b"123456789", b"000000000")


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a number JSON allows")
