"""What one stranger can make the server do: a saved item is priced once per revision however
often its pages are asked for, exporting its document prices nothing, and a comparison sets a
bounded number side by side."""

import pytest
from django.core.cache import cache
from django.test import Client

from calculator import sharing
from tests.calculator.test_sharing import save

pytestmark = pytest.mark.django_db


@pytest.fixture
def pricings(monkeypatch):
    """Every pricing of a saved item, counted."""
    calls = []
    real = sharing.priced

    def counted(saved, card=None):
        calls.append(saved.share_key)
        return real(saved, card)

    monkeypatch.setattr(sharing, "priced", counted)
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
    assert pricings == [saved.share_key]
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
    query = "&".join(f"k={key}" for key in keys * 20)
    html = Client().get(f"/compare/saved/?{query}").content.decode()
    assert len(set(pricings)) == 6
    assert "the first 6 chosen are shown, 2 left out" in html
