"""The editor cleans its inputs field by field without building forms; the forms it builds for
a page must say exactly the same. Random typing, the two compared."""

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.engine import Meter
from calculator.editor.presets import BY_SLUG
from calculator.editor.scenario import (
    SECTIONS,
    Editor,
    data_from,
    document_data,
    scenario_of,
    sections_of,
)

CARDS = [("default", "Sample (v1)"), ("other", "Other (v2)")]

# What people type, and what a forged request might send.
TEXT = st.one_of(
    st.sampled_from(
        ["", " ", "0", "1", "-1", "5:00", "1:02:05", "90.5", "7:60", "abc", "1e3", "100", "101"]
    ),
    st.sampled_from(["video", "voice", "sip", "pstn", "client", "originating", "x", "on"]),
    st.text(max_size=8),
)
ROW_FIELDS = {prefix: fields for prefix, (_, _, fields) in SECTIONS.items()}
SCENARIO_TEXT = ["name", "model", "sessions_per_month", "rate_card", "currency"]
SCENARIO_TEXT += ["increment_seconds", "minimum_seconds", *[f"rate_{m}" for m in Meter]]


@st.composite
def typed(draw):
    data = document_data(BY_SLUG["conference"].document, "default")
    scenario, rows = scenario_of(data), sections_of(data)
    for name in draw(st.lists(st.sampled_from(SCENARIO_TEXT), max_size=4)):
        scenario[name] = draw(TEXT)
    for prefix in draw(st.lists(st.sampled_from(list(ROW_FIELDS)), max_size=3)):
        row = {name: draw(TEXT) for name in ROW_FIELDS[prefix]}
        rows[prefix].append(row)
    return scenario, rows


def formsets(editor):
    """The rows as Django's bound formsets would read them."""
    data = data_from(editor.scenario, editor.rows)
    built = {prefix: formset(data, prefix=prefix) for prefix, (_, formset, _) in SECTIONS.items()}
    for formset in built.values():
        formset.full_clean()
    return built


def form_errors(editor):
    """The bound forms' own messages, by the inputs' HTML names."""
    errors = {}
    for form in [editor.form, *(f for fs in formsets(editor).values() for f in fs.forms)]:
        for name, messages in form.errors.items():
            errors[form.add_prefix(name)] = list(messages)
    return errors


@pytest.mark.django_db
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(typed())
def test_cleaning_without_forms_agrees_with_the_forms(state):
    scenario, rows = state
    editor = Editor.bind(scenario, rows, CARDS)
    assert editor.field_errors() == form_errors(editor)
    if editor.is_valid():
        form = editor.form
        assert {name: form.cleaned_data[name] for name in editor.cleaned} == editor.cleaned
        for prefix, formset in formsets(editor).items():
            assert [f.cleaned_data for f in formset.forms] == editor.cleaned_rows[prefix]


# -- Fields read what people type by the engine's rules (issue 12, B3) -------------------------

CONTACT_CENTRE = document_data(BY_SLUG["contact-centre"].document, "default")
TIMES = ["p-0-join", "p-1-leave", "p-1-publish", "r-0-start", "m-0-end"]


def editor_post(client, **changes):
    response = client.post("/editor/", {**CONTACT_CENTRE, **changes})
    assert response.status_code == 200
    return response.context["editor"].field_errors()


@pytest.mark.django_db
@pytest.mark.parametrize("field", TIMES)
@pytest.mark.parametrize("text", ["1e999999999", "٣:٠٠", "1_0:00", "NaN", "+5:00", "1:0x"])
def test_a_time_that_is_not_plain_digits_is_refused_beside_its_field(client, field, text):
    # '1e999999999' overflowed in the sum of the clock's parts: a 500 before.
    assert editor_post(client, **{field: text}) == {
        field: ["Enter a time as m:ss or h:mm:ss, e.g. 7:30"]
    }


@pytest.mark.django_db
@pytest.mark.parametrize("text", ["1_0", "١٠", "１０", "1e1", "0x10", "Infinity"])
@pytest.mark.parametrize(
    ("field", "message"),
    [
        (
            "rate_voice_call_minutes",
            "Enter a price a minute of 0 or more, with at most 12 decimal places.",
        ),
        ("sessions_per_month", "Enter a whole number from 0 to 1,000,000,000."),
        ("p-0-streams", "Enter a whole number from 1 to 100."),
        ("increment_seconds", "Enter a whole number from 1 to 86,400."),
    ],
)
def test_numbers_are_digits_and_a_point_not_what_python_also_reads(client, text, field, message):
    # Django's fields read '1_0' and Arabic-Indic digits as 10, as Decimal and int do.
    assert editor_post(client, **{field: text}) == {field: [message]}


@pytest.mark.django_db
def test_a_name_with_a_nul_character_is_refused_beside_it(client):
    errors = editor_post(client, **{"name": "a\x00b", "p-0-name": "c\x00"})
    assert set(errors) == {"name", "p-0-name"}


@pytest.fixture
def client():
    return Client()
