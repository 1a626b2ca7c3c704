"""What one stranger can make the server do: a saved item is priced once per revision however
often its pages are asked for, exporting its document prices nothing, and a comparison sets a
bounded number side by side."""

import pytest
from django.core.cache import cache
from django.db.models import F
from django.test import Client

from billing.engine.jsonio import dumps
from calculator.models import SavedScenario
from calculator.saved import priced as priced_module
from calculator.saved.forms import RenameForm
from tests.calculator.saved.test_views import editor_data, save

pytestmark = pytest.mark.django_db


@pytest.fixture
def pricings(monkeypatch):
    """Every pricing of a saved scenario, by its name."""
    calls = []
    real = priced_module.price_scenario

    def counted(scenario, cards=None, pinned=None):
        calls.append(scenario.name)
        return real(scenario, cards, pinned)

    monkeypatch.setattr(priced_module, "price_scenario", counted)
    return calls


@pytest.mark.parametrize("page", ["", "print/", "export.csv"])
def test_a_saved_items_page_is_priced_once_per_revision(page, pricings):
    saved = save(Client())
    cache.clear()
    stranger = Client()
    first = stranger.get(f"/s/{saved.share_key}/{page}")
    for _ in range(5):
        again = stranger.get(f"/s/{saved.share_key}/{page}")
        if page:  # (the share page's form carries a token of its own each time)
            assert again.content == first.content
    assert pricings == [saved.name]
    # A change makes a new revision, priced afresh.
    owner = Client()
    saved = save(owner)
    Client().get(f"/s/{saved.share_key}/{page}")
    assert len(pricings) == 2


def test_exporting_a_document_prices_nothing(pricings):
    saved = save(Client())
    document = Client().get(f"/s/{saved.share_key}/export.json").json()
    assert document["rate_card"]["rates"]["voice_call_minutes"]
    assert pricings == []


def test_a_comparison_sets_at_most_six_side_by_side(pricings):
    owner = Client()
    keys = [save(owner, name=f"Quote {n}").share_key for n in range(8)]
    # As rows saved before summaries were stored: each must be priced.
    SavedScenario.objects.update(summary=None)
    query = "&".join(f"k={key}" for key in keys * 20)
    html = Client().get(f"/compare/saved/?{query}").content.decode()
    assert len(set(pricings)) == 6
    assert "the first 6 chosen are shown, 2 left out" in html
    # ...once: their summaries are stored with their revisions.
    cache.clear()
    Client().get(f"/compare/saved/?{query}")
    assert len(pricings) == 6


def compared_totals(keys):
    response = Client().get("/compare/saved/?" + "&".join(f"k={key}" for key in keys))
    return [amount for amount, _ in response.context["totals"]]


def month_total(saved):
    saved = SavedScenario.objects.get(pk=saved.pk)
    return saved.summary, priced_module.priced(saved).month_total


def test_a_comparison_reads_what_each_revision_was_saved_at_without_pricing_it(pricings):
    owner = Client()
    first = save(owner, sessions_per_month="100")
    second = save(owner, "contact-centre", sessions_per_month="40")
    assert compared_totals([first.share_key, second.share_key]) == [
        month_total(first)[1],
        month_total(second)[1],
    ]
    before = month_total(first)[1]
    del pricings[:]
    # Saved over with other volumes: the new revision's figures, still without pricing.
    data = {**editor_data(owner, first), "sessions_per_month": "250", "action": "save"}
    assert owner.post(f"/s/{first.share_key}/edit/", data).status_code == 302
    # Renamed and copied: the same prices, carried to the new revision and the copy.
    owner.post(f"/s/{second.share_key}/rename/", {"name": "Renamed"})
    copy_key = owner.post(f"/s/{second.share_key}/copy/")["Location"].split("/")[2]
    keys = [first.share_key, second.share_key, copy_key]
    shown = compared_totals(keys)
    assert pricings == []
    expected = [month_total(SavedScenario.objects.get(share_key=key))[1] for key in keys]
    assert shown == expected
    assert shown[0] != before
    assert SavedScenario.objects.get(share_key=second.share_key).name == "Renamed"


def test_a_rename_never_undoes_a_save_made_while_its_page_was_open(client, monkeypatch):
    owner = client
    saved = save(owner, sessions_per_month="100")
    real = RenameForm.is_valid

    def saved_meanwhile(form):
        """Another tab saves the scenario with other volumes as the rename is sent."""
        document = {**saved.document, "sessions_per_month": 77}
        SavedScenario.objects.filter(pk=saved.pk).update(
            document_json=dumps(document), revision=F("revision") + 1
        )
        return real(form)

    monkeypatch.setattr(RenameForm, "is_valid", saved_meanwhile)
    response = owner.post(f"/s/{saved.share_key}/rename/", {"name": "Renamed"}, follow=True)
    assert "Not renamed: this scenario was changed elsewhere" in response.content.decode()
    after = SavedScenario.objects.get(pk=saved.pk)
    assert after.document["sessions_per_month"] == 77
    assert after.name != "Renamed"
