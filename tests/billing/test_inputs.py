"""What enters the engine (billing/engine/inputs.py): text that is text, numbers typed as plain
decimals, JSON documents of bounded numbers and nesting; each refusal names its path."""

import json
import re
import time
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.engine import ScenarioError, parse_estimate, parse_scenario
from billing.engine.inputs import (
    DIRECTION_CONTROLS,
    MAX_DEPTH,
    MAX_NUMBER_TEXT,
    document_problems,
    number_problem,
    plain_decimal,
    plain_whole,
    text_problem,
)
from billing.engine.jsonio import loads
from billing.engine.timefmt import parse_clock

LIMIT = 2_000_000


def problems(raw):
    with pytest.raises(ScenarioError) as refusal:
        loads(raw, max_bytes=LIMIT)
    return {p.path: p.message for p in refusal.value.problems}


# -- Text ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Caller",
        "Zoë",
        "שלום",
        "أحمد 2",
        "a\u200fb\u200e",  # right-to-left and left-to-right marks: they turn nothing around
        "e\u0301" * 50,
        "😀",
        "\ufeff",
        "\U0010ffff",
    ],
)
def test_text_in_any_script_with_marks_and_emoji_is_text(text):
    assert text_problem(text) is None


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("a\x00b", "NUL"),
        ("\ud800", "lone surrogate (U+D800)"),
        ("ok \udfff", "lone surrogate (U+DFFF)"),
        ("\udbff\ud800", "lone surrogate (U+DBFF)"),  # the wrong order is no pair
    ],
)
def test_nul_and_lone_surrogates_are_not_text(text, words):
    assert words in text_problem(text)


@pytest.mark.parametrize("control", list(DIRECTION_CONTROLS))
def test_direction_controls_are_refused_they_would_turn_a_quotes_figures_around(control):
    problem = text_problem(f"Zoë {control} 1$")
    assert f"text-direction controls (U+{ord(control):04X})" in problem


# -- Numbers typed as text ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("0.0040", Decimal("0.0040")), (" 12.5 ", Decimal("12.5")), (".5", Decimal("0.5"))],
)
def test_plain_decimals_are_read_exactly(text, value):
    assert plain_decimal(text) == value
    assert str(plain_decimal("0.0040")) == "0.0040"


@pytest.mark.parametrize(
    "text",
    [
        "1_0",  # Python's Decimal and int take underscores
        "١٠",  # Arabic-Indic digits, which Decimal reads as 10
        "１０",  # fullwidth digits
        "²",
        "1e3",
        "1E-999999999",
        "NaN",
        "Infinity",
        "-inf",
        "",
        "1.2.3",
        "0x10",
        "1,000",
        "1" * 21,  # more whole digits than any number may have
        "0." + "1" * 21,  # more places than any number may have
        "9" * 100_000,
    ],
)
def test_anything_but_digits_and_a_point_is_not_a_typed_number(text):
    with pytest.raises(ValueError, match=r"decimal number|too long|too large|decimal places"):
        plain_decimal(text)


def test_whole_numbers_are_digits_with_at_most_a_zero_fraction():
    assert plain_whole("42") == 42
    assert plain_whole("5.0") == 5
    for text in ["1_0", "٤٢", "4e1", "4.5", "", "1" * 21]:
        with pytest.raises(ValueError, match=r"whole number|too large"):
            plain_whole(text)


@pytest.mark.parametrize("text", ["1e999999999", "٣:٠٠", "1_0:00", "1:0_0", "+5:00", "NaN"])
def test_a_time_is_plain_digits_and_an_absurd_exponent_is_refused_not_overflowed(text):
    # '1e999999999' raised decimal.Overflow (a 500 in the editor) before.
    with pytest.raises(ValueError, match="is not a time"):
        parse_clock(text)


# -- JSON documents ----------------------------------------------------------------------


def test_lone_surrogates_and_nul_in_strings_and_names_are_refused_by_path():
    raw = (
        '{"name": "\\ud800", "participants": [{"name": "a\\u0000b", "join": 0, "leave": 1}],'
        ' "x\\udc00": 1}'
    )
    found = problems(raw)
    assert found["name"] == "is not valid text: it contains a lone surrogate (U+D800)"
    assert found["participants[0].name"] == "must not contain NUL characters (U+0000)"
    assert found["x\\udc00"].startswith("the name is not valid text")


def test_a_surrogate_pair_is_one_character_and_fine():
    assert loads('{"name": "\\ud83d\\ude00"}', max_bytes=LIMIT) == {"name": "😀"}


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("1e999999999", "too large"),
        ("-1E+400", "too large"),
        ("1e-999999999", "too many decimal places"),
        ("0e-400", "too many decimal places"),
        ("0.000000000000000000001", "too many decimal places"),
        ("1" * 21, "too large"),
        ("9" * 5000, "too large"),  # Python's int() refuses over 4,300 digits, naming no path
    ],
)
def test_numbers_no_arithmetic_should_meet_are_refused_by_path(number, words):
    found = problems(f'{{"participants": [{{"join": {number}}}]}}')
    assert words in found["participants[0].join"]


def test_json_constants_that_are_not_numbers_are_refused():
    assert "NaN is not a number JSON allows" in problems('{"join": NaN}')[""]


def test_nesting_is_bounded_and_named_where_it_goes_too_deep():
    fine = '{"a": ' * (MAX_DEPTH - 1) + "1" + "}" * (MAX_DEPTH - 1)
    assert loads(fine, max_bytes=LIMIT)
    deep = '{"a": ' * (MAX_DEPTH + 1) + "1" + "}" * (MAX_DEPTH + 1)
    path = ".".join(["a"] * MAX_DEPTH)
    assert problems(deep) == {
        path: f"is nested too deeply: at most {MAX_DEPTH} levels of objects and lists"
    }
    assert "nested too deeply" in problems("[" * 100_000 + "]" * 100_000)[""]


def test_an_estimate_is_well_within_the_nesting_bound():
    tiers = {"voice_call_minutes": [{"up_to": "10", "rate": "1"}, {"up_to": None, "rate": "1"}]}
    scenario = {"model": "sip_mediaserver", "rate_card": {"tiers": tiers}}
    document = {"scenarios": [{"scenario": scenario}]}
    assert document_problems(document) == []


def test_numbers_in_documents_made_in_python_are_checked_as_they_are_read():
    document = {
        "model": "sip_mediaserver",
        "participants": [{"join": 0, "leave": 60}],
        "rate_card": {"rates": {"voice_call_minutes": Decimal("1E-999999999")}},
    }
    with pytest.raises(ScenarioError, match="decimal places"):
        parse_scenario(document)


@pytest.mark.parametrize("rate", ["1_0", "١٠", "1e1", "１０"])
def test_rates_given_as_text_are_plain_decimals(rate):
    # The API took "1_0" and Arabic-Indic digits as 10 before.
    document = {"model": "sip_mediaserver", "rate_card": {"rates": {"voice_call_minutes": rate}}}
    with pytest.raises(ScenarioError) as refusal:
        parse_scenario(document)
    (problem,) = refusal.value.problems
    assert problem.path == "rate_card.rates.voice_call_minutes"
    assert "is not a decimal number" in problem.message


def test_a_percentage_with_endless_places_is_refused_before_any_arithmetic():
    call = {"model": "sip_mediaserver", "participants": [{"join": 0, "leave": 60}]}
    started = time.perf_counter()
    with pytest.raises(ScenarioError) as refusal:
        loads(
            json.dumps({"scenarios": [{"scenario": call}]})[:-1]
            + ', "discount": {"percent": 1e-99999999}}',
            max_bytes=LIMIT,
        )
    assert refusal.value.problems[0].path == "discount.percent"
    with pytest.raises(ScenarioError, match="at most 6 decimal places"):
        parse_estimate(
            {"scenarios": [{"scenario": call}], "growth": {"monthly_percent": "1." + "1" * 19}}
        )
    assert time.perf_counter() - started < 1


# -- Anything at all ---------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.binary()))
def test_any_text_is_a_document_or_a_scenario_error_naming_what_is_wrong(raw):
    problems = []
    try:
        loads(raw, max_bytes=LIMIT)
    except ScenarioError as error:
        problems = list(error.problems)
        assert problems


TYPED = re.compile(r"\s*[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)\s*", re.ASCII)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=12), st.from_regex(TYPED, fullmatch=True)))
def test_a_typed_number_is_read_only_when_it_is_plain_digits(text):
    try:
        value = plain_decimal(text)
    except ValueError:
        if TYPED.fullmatch(text):  # plain, but beyond what any number may be
            cleaned = text.strip()
            assert len(cleaned) > MAX_NUMBER_TEXT or number_problem(Decimal(cleaned))
    else:
        assert TYPED.fullmatch(text)
        assert value == Decimal(text.strip())
