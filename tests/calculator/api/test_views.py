"""POST /api/estimate and GET /api/rate-cards, as a program uses them: no cookies, no CSRF."""

import json
from decimal import Decimal

import pytest
from django.test import Client

from billing.models import RateCardVersion
from tests.conftest import leg

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return Client(enforce_csrf_checks=True)


def post(api, body, content_type="application/json"):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    return api.post("/api/estimate", data=data, content_type=content_type)


CONFERENCE = {
    "name": "3-way",
    "model": "sip_mediaserver",
    "sessions_per_month": 5000,
    "participants": [leg(0, 600), leg(0, 600), leg(0, 600)],
    "conferences": [{"start": 0, "end": 600, "media": "voice"}],
}


def test_estimate_prices_a_scenario_with_the_default_card(api):
    response = post(api, CONFERENCE)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    result = response.json()
    line = result["per_session"]["lines"][0]
    assert line == {
        **line,
        "meter": "voice_call_minutes",
        "quantity": "40",
        "rate": "0.0040",
        "amount": "0.1600",
    }
    assert result["per_session"]["total"] == "0.1600"
    # The default card's voice tiers: 100,000 min at 0.0040, the other 100,000 at 0.0032.
    assert result["monthly"] == {**result["monthly"], "sessions": 5000, "total": "720.00"}
    assert result["rate_card"]["slug"] == "default"
    assert result["notes"] == []


def test_estimate_with_an_inline_card_overrides_the_default(api):
    body = {**CONFERENCE, "rate_card": {"rates": {"voice_call_minutes": "0.0040"}}}
    result = post(api, body).json()
    assert result["monthly"]["total"] == "800.00"
    assert result["rate_card"]["overridden"] is True


def test_estimate_with_a_stored_cards_slug(api):
    card = RateCardVersion.objects.create(slug="partner", name="Partner", currency="EUR")
    card.rates.create(meter="voice_call_minutes", rate=Decimal("0.002"))
    result = post(api, {**CONFERENCE, "rate_card": "partner"}).json()
    assert result["currency"] == "EUR"
    assert result["per_session"]["total"] == "0.0800"
    assert result["monthly"]["total"] == "400.00"


def test_an_unknown_card_slug_is_a_400_naming_the_known_cards(api):
    response = post(api, {**CONFERENCE, "rate_card": "nope"})
    assert response.status_code == 400
    assert response.json()["problems"] == [
        {"path": "rate_card", "message": "no stored rate card 'nope' (known: default)"}
    ]


def test_a_stored_card_missing_a_meter_the_scenario_uses_is_a_400(api):
    RateCardVersion.objects.create(slug="video-only", name="Video only")
    response = post(api, {**CONFERENCE, "rate_card": "video-only"})
    assert response.status_code == 400
    assert "has no rate for voice_call_minutes" in response.json()["problems"][0]["message"]


def test_the_newest_version_in_effect_prices_and_future_versions_wait(api):
    import datetime

    later = RateCardVersion.objects.create(
        slug="default", name="Next year", version=3, effective_date=datetime.date(2999, 1, 1)
    )
    later.rates.create(meter="voice_call_minutes", rate=Decimal("1"))
    assert post(api, CONFERENCE).json()["rate_card"]["version"] == 2


@pytest.mark.parametrize(
    ("body", "path", "words"),
    [
        (b"{not json", "", "not valid JSON"),
        (b"", "", "empty"),
        (b"\xff\xfe", "", "not UTF-8"),
        (
            b'{"model": "sip_mediaserver", "participants": [{"join": NaN, "leave": 1}]}',
            "",
            "not valid JSON",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "", "nested too deeply"),
        (json.dumps([1]).encode(), "", "must be an object"),
        (json.dumps({**CONFERENCE, "model": "zoom"}).encode(), "model", "must be one of"),
        (
            json.dumps(
                {**CONFERENCE, "participants": [leg(0, 600), leg(0, 600), leg(700, 600)]}
            ).encode(),
            "participants[2].leave",
            "must not be before join",
        ),
        (
            json.dumps({**CONFERENCE, "sessions_per_month": 10**10}).encode(),
            "sessions_per_month",
            "from 0",
        ),
        (
            json.dumps({**CONFERENCE, "participants": [leg(0, 60)] * 10_001}).encode(),
            "participants",
            "at most 10,000",
        ),
    ],
)
def test_bad_input_is_a_400_listing_problems_by_path(api, body, path, words):
    response = post(api, body)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    problems = response.json()["problems"]
    assert any(p["path"] == path and words in p["message"] for p in problems), problems


def test_a_body_over_2_mb_is_refused(api):
    padding = " " * 2_000_001
    response = post(api, json.dumps(CONFERENCE) + padding)
    assert response.status_code == 400
    assert "2 MB" in response.json()["problems"][0]["message"]


def test_a_large_scenario_under_2_mb_is_priced(api):
    body = {**CONFERENCE, "participants": [leg(0, 600)] * 10_000}
    response = post(api, body)
    assert response.status_code == 200
    assert response.json()["per_session"]["lines"][0]["quantity"] == "100010"


def test_wrong_method_is_a_json_405(api):
    response = api.get("/api/estimate")
    assert response.status_code == 405
    assert response["Allow"] == "POST"
    assert response.json()["problems"][0]["message"] == "use POST"


def test_unknown_api_path_is_a_json_404(api):
    response = api.get("/api/nothing-here")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"


def test_rate_cards_lists_the_cards_in_effect_with_rates_and_tiers(api):
    response = api.get("/api/rate-cards")
    assert response.status_code == 200
    cards = response.json()["rate_cards"]
    default = next(c for c in cards if c["slug"] == "default")
    assert default["default"] is True
    assert default["version"] == 2
    assert default["rates"]["voice_call_minutes"] == "0.0040"
    assert default["tiers"]["voice_call_minutes"] == [
        {"up_to": "100000", "rate": "0.0040"},
        {"up_to": None, "rate": "0.0032"},
    ]
    assert "not real prices" in default["name"]
    # Its sample deal terms, as a card document gives them.
    assert default["addons"]["composed_archive_minutes"]["rate"] == "0.0100"
    assert default["fees"]["alexa_device"]["per"] == "month"


def test_rate_cards_refuses_post(api):
    assert api.post("/api/rate-cards").status_code == 405


def test_inline_overrides_can_name_the_stored_card_they_apply_to(api):
    card = RateCardVersion.objects.create(slug="partner", name="Partner", currency="EUR")
    card.rates.create(meter="voice_call_minutes", rate=Decimal("0.002"))
    card.rates.create(meter="recording_minutes", rate=Decimal("0.001"))
    body = {
        **CONFERENCE,
        "recordings": [{"start": 0, "end": 600}],
        "rate_card": {"base": "partner", "rates": {"recording_minutes": "0.0005"}},
    }
    result = post(api, body).json()
    assert result["currency"] == "EUR"
    amounts = {line["meter"]: line["amount"] for line in result["per_session"]["lines"]}
    assert amounts == {"voice_call_minutes": "0.0800", "recording_minutes": "0.0050"}
    assert post(api, {**body, "rate_card": {"base": "nope"}}).status_code == 400


def test_a_changed_rate_is_priced_on_the_next_request(api):
    card = RateCardVersion.objects.create(slug="partner", name="Partner")
    rate = card.rates.create(meter="voice_call_minutes", rate=Decimal("0.002"))
    body = {**CONFERENCE, "rate_card": "partner"}
    assert post(api, body).json()["per_session"]["total"] == "0.0800"
    rate.rate = Decimal("0.003")
    rate.save()
    assert post(api, body).json()["per_session"]["total"] == "0.1200"
    card.tiers.create(meter="voice_call_minutes", up_to=None, rate=Decimal("0.001"))
    assert post(api, body).json()["per_session"]["total"] == "0.0400"
    rate.delete()
    assert post(api, body).status_code == 400


ESTIMATE = {
    "name": "Acme",
    "scenarios": [
        {
            "scenario": {"name": "IVR", "model": "sip_mediaserver", "participants": [leg(0, 600)]},
            "sessions_per_month": 6000,
        },
        {
            "scenario": {
                "name": "Agent",
                "model": "sip_mediaserver",
                "participants": [leg(0, 1200)],
            },
            "sessions_per_month": 3000,
        },
    ],
    "discount": {"percent": "10"},
    "growth": {"monthly_percent": "5", "months": 3},
}


def test_estimate_documents_are_priced_too(api):
    response = post(api, ESTIMATE)
    assert response.status_code == 200
    result = response.json()
    assert result["kind"] == "estimate"
    voice = result["monthly"]["lines"][0]
    # 120,000 min over the default card's voice tiers: 400.00 + 64.00, less 10%.
    assert (voice["list_amount"], voice["discount"], voice["net_amount"]) == (
        "464.00",
        "46.40",
        "417.60",
    )
    assert [m["sessions"] for m in result["projection"]["months"]] == [9000, 9450, 9923]
    assert result["projection"]["months"][2]["cumulative"] == str(
        sum(Decimal(m["total"]) for m in result["projection"]["months"])
    )


def test_bad_estimate_documents_are_a_400_with_paths(api):
    response = post(api, {**ESTIMATE, "growth": {"months": 99}})
    assert response.status_code == 400
    assert response.json()["problems"][0]["path"] == "growth.months"


# -- Numbers and text as they enter (issue 12, B3) --------------------------------------------


@pytest.mark.parametrize("rate", ["1_0", "١٠", "１０", "1e1", " NaN "])
def test_a_price_is_plain_digits_not_what_python_also_reads(api, rate):
    # "1_0" and Arabic-Indic digits were taken as 10 before.
    body = {**CONFERENCE, "rate_card": {"rates": {"voice_call_minutes": rate}}}
    response = post(api, body)
    assert response.status_code == 400
    (problem,) = response.json()["problems"]
    assert problem["path"] == "rate_card.rates.voice_call_minutes"
    assert "is not a decimal number" in problem["message"]


def test_a_percentage_of_endless_places_is_refused_at_once_not_computed(api):
    # Before, a Fraction of 10**999999999 was worked out: the worker hung for good.
    body = json.dumps({"scenarios": [{"scenario": CONFERENCE}], "discount": {"percent": 0}})
    body = body.replace('"percent": 0', '"percent": 1e-999999999')
    response = post(api, body)
    assert response.status_code == 400
    assert response.json()["problems"] == [
        {"path": "discount.percent", "message": "has too many decimal places: at most 20"}
    ]


def test_names_that_are_not_text_are_refused_by_path(api):
    body = json.dumps({**CONFERENCE, "name": "\ud800", "participants": [leg(0, 1, name="a\x00")]})
    problems = post(api, body).json()["problems"]
    assert [p["path"] for p in problems] == ["name", "participants[0].name"]


@pytest.mark.parametrize("escaped", [True, False])
def test_a_name_that_would_turn_the_quotes_figures_around_is_refused(api, escaped):
    document = {**CONFERENCE, "participants": [leg(0, 60, name="Zoë \u202e 1$")]}
    body = json.dumps(document, ensure_ascii=escaped)  # as \u202e, or the character itself
    answer = post(api, body)
    assert answer.status_code == 400
    (problem,) = answer.json()["problems"]
    assert problem["path"] == "participants[0].name"
    assert "text-direction controls (U+202E)" in problem["message"]


MILLION = {
    "name": "Webinar of a million",
    "model": "video_ssm",
    "participants": [{"name": "Presenter", "join": 0, "leave": 3600, "publish": 0}],
    "groups": [{"name": "Audience", "count": 999_999, "join": [0, 600], "leave": [2700, 3600]}],
}


@pytest.mark.parametrize("model", ["sip_mediaserver", "video_ppm", "video_ssm"])
def test_a_webinar_of_a_million_is_priced_from_a_small_document(api, model):
    response = post(api, {**MILLION, "model": model})
    assert response.status_code == 200, response.content[:500]
    result = response.json()
    assert Decimal(result["per_session"]["total"]) > 0
    explanations = " ".join(line["explanation"] for line in result["per_session"]["lines"])
    assert "Audience: 999,999 " in explanations


def test_groups_beyond_a_million_and_bad_ranges_are_named_by_path(api):
    body = {
        **MILLION,
        "groups": [
            MILLION["groups"][0],
            {"name": "More", "count": 2, "join": [60, 0], "leave": [90, 90]},
        ],
    }
    response = post(api, body)
    assert response.status_code == 400
    problems = {p["path"]: p["message"] for p in response.json()["problems"]}
    assert problems["groups[1].join"].startswith("must run forwards")
    assert "at most 1,000,000 participants in all" in problems["groups"]
