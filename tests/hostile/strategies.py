"""What an attacker types and sends: text no database can store, numbers no Decimal can hold,
nesting deeper than any document, as hypothesis strategies. Known classes of trouble are
listed by name (they are also tested one by one in test_classes.py); the strategies mix them
with whatever hypothesis makes up."""

from __future__ import annotations

import copy
import json
import secrets
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from tests.hostile.conftest import SURVEY

# Surveying a version from before the engine bounded numbers, a discount of 1e-999999999 %
# hangs it (a Fraction of 10**999999999): exponents then stop at 99,999, which it survives,
# and that hang is reported on its own.
EXPONENT = 99_999 if SURVEY else 999_999_999

# -- Text ---------------------------------------------------------------------------------

TEXT_CLASSES = {
    "lone surrogate": "Caller \ud800",
    "low surrogate first": "\udc00\ud800",
    "NUL": "a\x00b",
    "only NUL": "\x00",
    "right-to-left override": "\u202eexe.txt",
    "combining marks": "e" + "\u0301" * 500,
    "byte order mark": "\ufeffname",
    "noncharacter": "\uffff\U0010ffff",
    "emoji and joiners": "👩\u200d👩\u200d👧" * 20,
    "control characters": "\x01\x07\x1b[31m\x7f",
    "line separators": "a\u2028b\u2029c\r\n",
    "huge": "x" * 300_000,
    "long word of marks": "\u0300" * 5_000,
    "HTML": "<script>alert(1)</script>\"'&",
    "empty": "",
}

any_character = st.characters(codec=None, categories=None)  # surrogates included
hostile_text = st.one_of(
    st.sampled_from(list(TEXT_CLASSES.values())),
    st.text(any_character, max_size=30),
    st.text(st.characters(categories=["Cs", "Cc", "Mn", "Cf", "Co"]), min_size=1, max_size=10),
    st.builds(lambda a, b: f"{a}\x00{b}", st.text(max_size=5), st.text(max_size=5)),
    st.integers(201, 50_000).map(lambda n: "é" * n),
)

# -- Numbers ------------------------------------------------------------------------------

NUMBER_CLASSES = {
    "absurd exponent": "1e999999999",
    "absurd negative exponent": f"1e-{EXPONENT}",
    "exponent": "1E+400",
    "underscores": "1_0",
    "grouped underscores": "1_000_000",
    "Arabic-Indic digits": "١٠",
    "Devanagari digits": "१०",
    "fullwidth digits": "１０",
    "superscript": "²",
    "NaN": "NaN",
    "signalling NaN": "sNaN",
    "Infinity": "Infinity",
    "minus infinity": "-inf",
    "hexadecimal": "0x10",
    "comma decimal": "1,5",
    "two points": "1.2.3",
    "huge integer": "9" * 5_000,
    "many places": "0." + "0" * 100 + "1",
    "negative zero": "-0",
    "plus sign": "+1",
    "spaces inside": "1 0",
    "time with exponent": "1e999999999:00",
    "time in Arabic-Indic digits": "٣:٠٠",
    "time with underscores": "1_0:0_0",
    "negative time": "-5:00",
    "too many colons": "1:2:3:4",
}

digits_of_any_script = st.text(st.characters(categories=["Nd"]), min_size=1, max_size=8)
hostile_number_text = st.one_of(
    st.sampled_from(list(NUMBER_CLASSES.values())),
    st.from_regex(r"\A-?[0-9]{1,30}(\.[0-9]{0,30})?\Z"),
    st.integers().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
    digits_of_any_script,
    st.builds(lambda a, b: f"{a}e{b}", st.integers(-10, 10), st.integers(-EXPONENT, EXPONENT)),
    st.builds(lambda a, b: f"{a}:{b}", digits_of_any_script, st.from_regex(r"\A[0-9]{1,3}\Z")),
)

# -- JSON ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raw:
    """A JSON token written as it is: numbers json.dumps cannot write (1e999999999,
    a 5,000-digit integer, NaN), or nesting too deep to build as Python lists."""

    text: str


JSON_CLASSES = {
    "absurd exponent": Raw("1e999999999"),
    "absurd negative exponent": Raw(f"1e-{EXPONENT}"),
    "large exponent": Raw("-1E+400"),
    "huge integer": Raw("9" * 5_000),
    "many places": Raw("0." + "0" * 100 + "1"),
    "NaN": Raw("NaN"),
    "Infinity": Raw("-Infinity"),
    "nested 100,000 deep": Raw("[" * 100_000 + "]" * 100_000),
    "nested 11 deep": Raw('{"a":' * 11 + "1" + "}" * 11),
    "nested 900 deep": Raw("[" * 900 + "]" * 900),
    "surrogate escape": "\ud800",
    "NUL escape": "\x00",
}

json_numbers = st.one_of(
    st.integers(),
    st.integers(min_value=10**18, max_value=10**40),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.builds(lambda a, b: Raw(f"{a}e{b}"), st.integers(-9, 9), st.integers(-EXPONENT, EXPONENT)),
    st.integers(30, 6_000).map(lambda n: Raw("7" * n)),
)
nested = st.integers(1, 60).map(lambda n: Raw("[" * n + "0" + "]" * n))
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    hostile_text,
    hostile_number_text,
    json_numbers,
    nested,
    st.sampled_from(list(JSON_CLASSES.values())),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=3),
        st.dictionaries(hostile_text, children, max_size=3),
    ),
    max_leaves=6,
)


def dumps(value: Any) -> str:
    """JSON text with Raw tokens written as they are (and lone surrogates as \\ud800
    escapes, as json.dumps writes them)."""
    raws: dict[str, str] = {}
    marker = secrets.token_hex(8)

    def swap(item: Any) -> Any:
        if isinstance(item, Raw):
            key = f"{marker}{len(raws)}"
            raws[key] = item.text
            return key
        if isinstance(item, dict):
            return {str(swap(k)) if isinstance(k, Raw) else k: swap(v) for k, v in item.items()}
        if isinstance(item, list):
            return [swap(v) for v in item]
        return item

    text = json.dumps(swap(value), default=str)
    for key, raw in raws.items():
        text = text.replace(f'"{key}"', raw)
    return text


def locations(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a document a value sits, the document itself included."""
    found = [path]
    if isinstance(value, dict):
        for key, item in value.items():
            found += locations(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += locations(item, (*path, index))
    return found


def put(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return document


@st.composite
def spoiled(draw: st.DrawFn, documents: list[dict[str, Any]]) -> str:
    """A good document with one to three of its values (or new fields) made hostile, as the
    JSON text an attacker sends."""
    document = copy.deepcopy(draw(st.sampled_from(documents)))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(locations(document)))
        if draw(st.booleans()) or not path:
            document = put(document, path, draw(json_values))
        else:  # a new field beside it, hostile in name and value
            parent = document
            for key in path[:-1]:
                parent = parent[key]
            if isinstance(parent, dict):
                parent[draw(hostile_text)] = draw(json_values)
            else:
                document = put(document, path, draw(json_values))
    return dumps(document)


@st.composite
def spoiled_form(draw: st.DrawFn, data: dict[str, str], extra: list[str]) -> dict[str, str]:
    """A form's good data with one to three fields (or made-up ones) given hostile text."""
    data = dict(data)
    names = [*data, *extra]
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.one_of(st.sampled_from(names), hostile_text.filter(bool)))
        data[name] = draw(st.one_of(hostile_text, hostile_number_text))
    return data
