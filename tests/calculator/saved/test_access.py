"""Who may see and change a saved item (calculator/saved/access.py), called directly: the
checks `shared`, `owned` and `can_edit`, what a browser remembers of its own, and
SavedItemMiddleware turning the checks' exceptions into the 404, 410 and 403 pages."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from billing.engine import ScenarioError, card_snapshot
from billing.service import default_card
from calculator.editor.presets import BY_SLUG
from calculator.models import DeletedShare, SavedScenario, hash_token
from calculator.saved.access import (
    BROWSER_KEY,
    SESSION_KEY,
    NotOwner,
    SavedItemMiddleware,
    ShareMissing,
    browser_hash,
    can_edit,
    mine_for,
    my_scenarios,
    opens_when_unpriceable,
    owned,
    owned_ids,
    remember,
    shared,
)

pytestmark = pytest.mark.django_db
FACTORY = RequestFactory()


def browser(user: Any = None, **session: Any) -> HttpRequest:
    """A request from a browser whose session holds `session`, signed in as `user` if given."""
    request = FACTORY.get("/s/key/edit/")
    request.session = SessionStore()
    request.session.update(session)
    request.user = user or AnonymousUser()
    return request


def saved_item(
    owner: User | None = None, browser_token: str = "", kind: str = SavedScenario.SCENARIO
) -> SavedScenario:
    item = SavedScenario(
        kind=kind,
        owner=owner,
        card=card_snapshot(default_card()),
        browser_key_hash=hash_token(browser_token) if browser_token else "",
    )
    item.document = BY_SLUG["ivr-only"].document
    item.save()
    return item


@pytest.fixture
def alice() -> User:
    return User.objects.create(username="alice")


@pytest.fixture
def bob() -> User:
    return User.objects.create(username="bob")


# -- shared: anyone with the link ------------------------------------------------------------


def test_shared_finds_the_item_its_link_names():
    item = saved_item()
    saved_item()
    assert shared(item.share_key) == item


def test_a_link_never_made_is_missing_not_gone():
    with pytest.raises(ShareMissing) as caught:
        shared("N0tAShareKeyAnyoneMade1")
    assert caught.value.gone is False
    assert str(caught.value) == "not found"


def test_a_link_whose_item_was_deleted_is_gone():
    item = saved_item()
    key = item.share_key
    item.delete()
    DeletedShare.remember(key)
    with pytest.raises(ShareMissing) as caught:
        shared(key)
    assert caught.value.gone is True
    assert str(caught.value) == "deleted"


def test_share_keys_are_matched_exactly():
    item = saved_item()
    for near in (item.share_key.upper(), item.share_key[:-1], f" {item.share_key}", ""):
        if near == item.share_key:
            continue
        with pytest.raises(ShareMissing):
            shared(near)


# -- can_edit and owned: only the owner ------------------------------------------------------


def test_an_accounts_item_is_its_accounts_alone(alice, bob):
    item = saved_item(owner=alice)
    assert can_edit(browser(alice), item)
    assert not can_edit(browser(bob), item)
    assert not can_edit(browser(), item)


def test_an_accounts_item_is_not_given_away_by_a_browsers_session(bob, alice):
    """A session that remembers the item's id, or holds a browser secret that matches, does
    not make someone else its owner once an account owns it."""
    item = saved_item(owner=alice, browser_token="secret")
    assert not can_edit(browser(**{SESSION_KEY: [item.pk]}), item)
    assert not can_edit(browser(**{BROWSER_KEY: "secret"}), item)
    assert not can_edit(browser(bob, **{SESSION_KEY: [item.pk], BROWSER_KEY: "secret"}), item)


def test_an_item_saved_without_an_account_is_the_saving_browsers():
    item = saved_item(browser_token="this-browser")
    assert can_edit(browser(**{BROWSER_KEY: "this-browser"}), item)
    assert not can_edit(browser(**{BROWSER_KEY: "another-browser"}), item)
    assert not can_edit(browser(), item)


def test_a_browser_given_the_private_edit_link_may_edit():
    item = saved_item(browser_token="the-saver")
    given = browser(**{SESSION_KEY: [item.pk]})
    assert can_edit(given, item)
    # Ids are read as numbers, as a session serialised them.
    assert can_edit(browser(**{SESSION_KEY: [str(item.pk)]}), item)
    assert not can_edit(browser(**{SESSION_KEY: [item.pk + 1]}), item)


def test_an_item_with_no_browser_secret_is_not_matched_by_a_browser_without_one():
    """Two empty hashes are not a match: an item saved by no browser is nobody's by default."""
    item = saved_item()
    assert item.browser_key_hash == ""
    assert browser_hash(browser()) == ""
    assert not can_edit(browser(), item)


def test_owned_returns_the_item_to_its_owner(alice):
    item = saved_item(owner=alice)
    assert owned(browser(alice), item.share_key) == item


def test_owned_refuses_anyone_else_naming_the_item(bob, alice):
    item = saved_item(owner=alice)
    with pytest.raises(NotOwner) as caught:
        owned(browser(bob), item.share_key)
    assert caught.value.item == item
    assert str(caught.value) == f"not the owner of {item.share_key}"


def test_owned_says_missing_before_asking_who_owns_it():
    with pytest.raises(ShareMissing):
        owned(browser(), "N0tAShareKeyAnyoneMade1")


# -- What a browser remembers ----------------------------------------------------------------


def test_browser_hash_is_made_once_and_only_when_asked():
    request = browser()
    assert browser_hash(request) == ""
    assert BROWSER_KEY not in request.session
    made = browser_hash(request, create=True)
    token = request.session[BROWSER_KEY]
    assert made == hash_token(token)
    assert len(token) >= 40  # 32 random bytes, URL-safe
    assert browser_hash(request, create=True) == made
    assert browser_hash(request) == made


def test_remember_keeps_each_item_once_and_the_last_200():
    request = browser()
    items = [saved_item() for _ in range(2)]
    remember(request, items[0])
    remember(request, items[0])
    remember(request, items[1])
    assert owned_ids(request) == [items[0].pk, items[1].pk]
    request.session[SESSION_KEY] = list(range(100_000, 100_200))
    remember(request, items[0])
    assert len(owned_ids(request)) == 200
    assert owned_ids(request)[-1] == items[0].pk
    assert 100_000 not in owned_ids(request)


def test_mine_for_lists_what_this_user_or_browser_may_change(alice, bob):
    by_alice = saved_item(owner=alice)
    by_this_browser = saved_item(browser_token="mine")
    given = saved_item(browser_token="someone-else")
    saved_item(owner=bob)
    saved_item(browser_token="stranger")
    request = browser(alice, **{BROWSER_KEY: "mine", SESSION_KEY: [given.pk]})
    assert set(mine_for(request)) == {by_alice, by_this_browser, given}
    assert set(mine_for(browser())) == set()


def test_my_scenarios_offers_scenarios_not_estimates(alice):
    scenario = saved_item(owner=alice)
    saved_item(owner=alice, kind=SavedScenario.ESTIMATE)
    assert my_scenarios(browser(alice)) == [scenario]


# -- SavedItemMiddleware ---------------------------------------------------------------------


def never_called(request: HttpRequest) -> HttpResponse:
    raise AssertionError("the middleware's hooks do not call the view")


def heading(response: HttpResponse) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.content.decode()).group(1)


def test_the_middleware_passes_requests_through():
    seen = []
    answer = HttpResponse("the view's")

    def view(request: HttpRequest) -> HttpResponse:
        seen.append(request)
        return answer

    request = browser()
    assert SavedItemMiddleware(view)(request) is answer
    assert seen == [request]


@pytest.mark.parametrize(
    ("gone", "status", "title"),
    [(False, 404, "No saved scenario has this link"), (True, 410, "This scenario was deleted")],
)
def test_a_missing_share_link_gets_its_page(gone, status, title):
    response = SavedItemMiddleware(never_called).process_exception(
        browser(), ShareMissing(gone=gone)
    )
    assert response is not None
    assert response.status_code == status
    assert heading(response) == title
    assert 'href="/"' in response.content.decode()


def test_a_change_by_someone_not_the_owner_gets_the_403_page(alice):
    item = saved_item(owner=alice)
    response = SavedItemMiddleware(never_called).process_exception(browser(), NotOwner(item))
    assert response is not None
    assert response.status_code == 403
    html = response.content.decode()
    assert heading(response) == "Only the owner can change this scenario"
    assert f'href="/s/{item.share_key}/"' in html  # the read-only view
    assert f'action="/s/{item.share_key}/copy/"' in html  # and a copy of one's own
    assert 'name="csrfmiddlewaretoken"' in html


@pytest.mark.parametrize(
    "error",
    [
        ValueError("x"),
        KeyError("x"),
        ScenarioError.single("", "not a scenario"),
        SavedScenario.DoesNotExist(),
        PermissionError("x"),
    ],
)
def test_other_exceptions_are_left_to_the_next_handler(error):
    assert SavedItemMiddleware(never_called).process_exception(browser(), error) is None


# -- A page of an item that can no longer be priced ------------------------------------------


def test_a_page_whose_item_cannot_be_priced_says_why_instead_of_failing():
    item = saved_item(browser_token="the-saver")

    @opens_when_unpriceable
    def page(request: HttpRequest, share_key: str) -> HttpResponse:
        raise ScenarioError.single("participants[0].join", "must be a number")

    response = page(browser(**{BROWSER_KEY: "the-saver"}), item.share_key)
    assert response.status_code == 200
    assert response.template_name == "unpriceable.html"
    assert response.context_data["saved"] == item
    assert response.context_data["owner"] is True
    assert response.context_data["problems"] == ["participants[0].join: must be a number"]
    assert page.__name__ == "page"


def test_a_page_of_an_unpriceable_link_that_does_not_exist_is_still_missing():
    @opens_when_unpriceable
    def page(request: HttpRequest, share_key: str) -> HttpResponse:
        raise ScenarioError.single("", "broken")

    with pytest.raises(ShareMissing):
        page(browser(), "N0tAShareKeyAnyoneMade1")
