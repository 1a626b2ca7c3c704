"""A stored quote always opens (issue 12, B2 and B3): rows stored directly — with a card beyond
today's limits, or a document that can no longer be priced — and every page of them opened.
A card beyond the limits still prices as it was saved; a document that cannot be priced says
what is wrong and stays downloadable as it was saved; nothing is changed."""

import json

import pytest
from django.contrib.auth.models import User
from django.test import Client

from billing.engine import jsonio
from calculator.editor.presets import BY_SLUG
from calculator.models import SavedScenario

pytestmark = pytest.mark.django_db

CALL = {
    "name": "Support call",
    "model": "sip_mediaserver",
    "sessions_per_month": 1000,
    "participants": [{"join": 0, "leave": 600}, {"join": 60, "leave": 600}],
}


def beyond_limits_card():
    """What the admin stored before it asked the engine: 51 tiers, a rate of 2,000,000 and a
    tier bound of 5e15, snapshotted by a quote saved with it."""
    tiers = [{"up_to": str(1000 * (n + 1)), "rate": "2000000"} for n in range(49)]
    tiers += [{"up_to": "5000000000000000", "rate": "1"}, {"up_to": None, "rate": "0.5"}]
    return {
        "slug": "default",
        "name": "Big deal",
        "version": 7,
        "effective_date": "2026-01-01",
        "currency": "USD",
        "increment_seconds": 60,
        "minimum_seconds": 0,
        "rates": {"voice_call_minutes": "2000000", "video_call_minutes": "0.01"},
        "tiers": {"voice_call_minutes": tiers},
    }


def sample_card():
    return {**beyond_limits_card(), "rates": {"voice_call_minutes": "0.0040"}, "tiers": {}}


def estimate_of(scenario):
    return {"name": "Acme", "scenarios": [{"scenario": scenario, "sessions_per_month": 10}]}


@pytest.fixture
def owner():
    user = User.objects.create_user("owner", password="x")
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def store(owner, document_json, card, kind=SavedScenario.SCENARIO):
    return SavedScenario.objects.create(
        owner=owner.user, name="Stored", document_json=document_json, card=card, kind=kind
    )


def as_stored(saved):
    row = SavedScenario.objects.get(pk=saved.pk)
    return (row.document_json, row.card, row.revision, row.name)


def pages(client, saved, good):
    """Every page of a saved item, GET and POST, with what each answered."""
    key = saved.share_key
    answers = {
        "share": client.get(f"/s/{key}/"),
        "print": client.get(f"/s/{key}/print/"),
        "json": client.get(f"/s/{key}/export.json"),
        "csv": client.get(f"/s/{key}/export.csv"),
        "edit": client.get(f"/s/{key}/edit/"),
        "reprice": client.get(f"/s/{key}/reprice/"),
        "rename": client.get(f"/s/{key}/rename/"),
        "delete": client.get(f"/s/{key}/delete/"),
        "compare": client.get("/compare/saved/", {"k": [key, good.share_key]}),
        "add to an estimate": client.post(
            "/estimates/new/", {"action": "add-link", "new_link": key, "months": "12"}
        ),
    }
    answers["copy"] = client.post(f"/s/{key}/copy/")
    return answers


@pytest.mark.parametrize("kind", [SavedScenario.SCENARIO, SavedScenario.ESTIMATE])
def test_a_quote_saved_with_a_card_beyond_todays_limits_opens_on_every_page(owner, kind):
    # Every one of these answered 500, for good, before (read_snapshot applied the limits).
    document = CALL if kind == SavedScenario.SCENARIO else estimate_of(CALL)
    saved = store(owner, jsonio.dumps(document), beyond_limits_card(), kind)
    good = store(owner, jsonio.dumps(CALL), sample_card())
    before = as_stored(saved)
    for page, response in pages(owner, saved, good).items():
        assert response.status_code in (200, 302), (page, response.status_code)
        assert b"can no longer be priced" not in response.content, page
    share = owner.get(f"/s/{saved.share_key}/").content.decode()
    assert "Big deal" in share
    exported = json.loads(owner.get(f"/s/{saved.share_key}/export.json").content)
    assert len(exported["rate_card"]["tiers"]["voice_call_minutes"]) == 51
    assert as_stored(saved) == before


def test_a_saved_quote_keeps_opening_when_a_limit_is_lowered(owner, monkeypatch):
    saved = store(owner, jsonio.dumps(CALL), sample_card())
    monkeypatch.setattr("billing.engine.ratecard.MAX_RATE", 0)
    monkeypatch.setattr("billing.engine.ratecard.MAX_TIERS", 0)
    response = owner.get(f"/s/{saved.share_key}/")
    assert response.status_code == 200
    assert "$0.0760" in response.content.decode()  # 10 + 9 minutes at 0.0040


def surrogate_name(document):
    """What the estimates' item documents stored before: a lone surrogate, written as JSON's
    \\ud800 escape, so the row saved; every page showing the name then failed to encode."""
    return jsonio.dumps(document).replace('"Support call"', '"Support \\ud800 call"')


UNPRICEABLE = {
    "a lone surrogate in a name": (
        surrogate_name(CALL),
        sample_card(),
        "name: is not valid text: it contains a lone surrogate (U+D800)",
    ),
    "a lone surrogate in an estimate's scenario": (
        surrogate_name(estimate_of(CALL)),
        sample_card(),
        "scenarios[0].scenario.name: is not valid text",
    ),
    "more participants than today's limit": (
        jsonio.dumps({**CALL, "participants": [{"join": 0, "leave": 1}] * 10_001}),
        sample_card(),
        "participants: at most 10,000 participants are allowed (got 10,001)",
    ),
    "a field the engine does not know": (
        jsonio.dumps({**CALL, "colour": "red"}),
        sample_card(),
        "colour: unknown field",
    ),
    "participants that are not objects": (
        jsonio.dumps({**CALL, "participants": [5, "x"]}),
        sample_card(),
        "participants[0]: must be an object, not a number",
    ),
    "a document that is not JSON": ("{broken", sample_card(), "not valid JSON"),
    "a document that is a list": ("[1, 2]", sample_card(), "must be an object, not a list"),
    "a card with a rate that is not a number": (
        jsonio.dumps(CALL),
        {**sample_card(), "rates": {"voice_call_minutes": "cheap"}},
        "rate_card.rates.voice_call_minutes: a rate is not a decimal number",
    ),
    "a card that is not an object": (jsonio.dumps(CALL), "default", "must be an object"),
}


@pytest.mark.parametrize("case", list(UNPRICEABLE))
def test_a_saved_item_that_cannot_be_priced_says_so_on_every_page(owner, case):
    document_json, card, problem = UNPRICEABLE[case]
    kind = SavedScenario.ESTIMATE if "estimate" in case else SavedScenario.SCENARIO
    saved = store(owner, document_json, card, kind)
    good = store(owner, jsonio.dumps(CALL), sample_card())
    before = as_stored(saved)
    answers = pages(owner, saved, good)
    for page, response in answers.items():
        assert response.status_code < 500, (page, response.status_code)
    for page in ("share", "print", "csv", "edit", "reprice", "copy"):
        html = answers[page].content.decode()
        assert "can no longer be priced" in html, page
        assert problem in html, page
        assert f"/s/{saved.share_key}/export.json" in html, page
    assert problem in answers["compare"].content.decode()
    # The document as it was saved, to correct and import again.
    assert answers["json"].content.decode() == document_json
    assert answers["json"]["Content-Type"] == "application/json"
    assert as_stored(saved) == before
    assert SavedScenario.objects.count() == 2  # no copy was made of it


def test_a_stranger_sees_what_is_wrong_but_not_the_owners_buttons(owner):
    document_json, card, problem = UNPRICEABLE["a lone surrogate in a name"]
    saved = store(owner, document_json, card)
    html = Client().get(f"/s/{saved.share_key}/").content.decode()
    assert problem in html
    assert f"/s/{saved.share_key}/delete/" not in html
    assert owner.get(f"/s/{saved.share_key}/delete/").status_code == 200


def test_reprice_with_current_rates_that_cannot_price_it_keeps_the_saved_rates(owner):
    video = {**CALL, "participants": [{"join": 0, "leave": 60, "media": "video"}]}
    card = {**sample_card(), "version": 0, "rates": {"video_call_minutes": "0.01"}}
    saved = store(owner, jsonio.dumps(video), card)
    before = as_stored(saved)
    # The current default card prices video; make it a card that does not.
    from billing.models import RateCardVersion

    RateCardVersion.objects.current("default").rates.filter(meter="video_call_minutes").delete()
    response = owner.get(f"/s/{saved.share_key}/reprice/", follow=True)
    assert response.status_code == 200
    assert "cannot price this scenario" in response.content.decode()
    assert as_stored(saved) == before


def test_the_templates_open_as_ever():
    assert all(preset.document for preset in BY_SLUG.values())
