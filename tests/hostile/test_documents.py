"""Hostile JSON documents at every door that takes one: the JSON API, import (file and paste)
and the `price` command. Each answers with what is wrong (a 400, the form's message, exit 1),
never a 500 or a traceback."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from calculator.editor.presets import BY_SLUG
from tests.hostile.conftest import (
    HostileClient,
    answered,
    assert_nothing_stored_wrong,
    command_answered,
    hostile,
)
from tests.hostile.strategies import spoiled

pytestmark = pytest.mark.django_db

TIERED = {
    **BY_SLUG["ivr-agent"].document,
    "groups": [
        {
            "name": "Dial-ins",
            "count": 3,
            "join": [0, 60],
            "leave": [300, 420],
            "publish": "join",
            "endpoint": "sip",
            "media": "voice",
            "direction": "terminating",
            "streams": 1,
            "subscribes": False,
        }
    ],
    "addons": [{"meter": "archive", "start": 0, "end": 90}],
    "rate_card": {
        "base": "default",
        "rounding": "month",
        "addons": {"archive": {"label": "Archive", "rate": "0.01"}},
        "currency": "EUR",
        "increment_seconds": 1,
        "minimum_seconds": 30,
        "rates": {"recording_minutes": "0.0025"},
        "tiers": {
            "voice_call_minutes": [
                {"up_to": "1000", "rate": "0.004"},
                {"up_to": None, "rate": "0.003"},
            ]
        },
    },
}
ESTIMATE = {
    "name": "Acme",
    "scenarios": [
        {"scenario": BY_SLUG["ivr-only"].document, "sessions_per_month": 20_000},
        {"scenario": TIERED, "sessions_per_month": 5_000},
    ],
    "rate_card": "default",
    "discount": {"percent": "10", "meters": {"recording_minutes": "25"}},
    "growth": {"monthly_percent": "5", "months": 12},
}
SCENARIOS = [
    BY_SLUG[slug].document
    for slug in ("ivr-only", "ivr-agent", "contact-centre", "conference", "video-meeting")
] + [BY_SLUG["town-hall"].document]
DOCUMENTS = [*SCENARIOS, TIERED, ESTIMATE]

# Hostile documents as JSON text, as bytes (UTF-8 where it can be, lone surrogates written
# as the invalid bytes they would be), and as any bytes at all.
bodies = st.one_of(
    spoiled(DOCUMENTS).map(str.encode),
    spoiled(DOCUMENTS).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
)


@hostile
@given(bodies)
def test_the_api_answers_any_document_with_a_result_or_its_problems(body):
    client = HostileClient()
    response = answered("API", client.post("/api/estimate", body, content_type="application/json"))
    assert response.status_code in (200, 400)
    answer = response.json()
    if response.status_code == 400:
        assert answer["problems"]
        assert all(isinstance(p["path"], str) and p["message"] for p in answer["problems"])


@hostile
@given(bodies, st.booleans())
def test_import_answers_any_file_or_paste_with_the_editor_or_its_problems(body, as_file):
    client = HostileClient()
    if as_file:
        data = {"file": SimpleUploadedFile("scenario.json", body, "application/json")}
        response = answered("import (file)", client.post("/import/", data))
    else:
        text = body.decode("utf-8", "replace")  # a textarea sends text, never bad bytes
        response = answered("import (paste)", client.post("/import/", {"text": text}))
    assert response.status_code == 200
    assert_nothing_stored_wrong()


@hostile
@given(bodies, st.booleans())
def test_the_price_command_answers_any_file_with_a_result_or_its_problems(body, text):
    command_answered("price command", "price", ".json", body, text)
