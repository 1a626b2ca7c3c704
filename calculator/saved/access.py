"""Who may see and change a saved item. Anyone with its share link sees it; its owner changes
it: the account that saved it, or without an account the browser that saved it or one given
its private edit link. The checks raise, and SavedItemMiddleware answers with the page."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, overload

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from billing.engine import ScenarioError
from calculator.models import (
    DeletedShare,
    SavedScenario,
    SavedScenarioQuerySet,
    UsageReport,
    hash_token,
)
from calculator.server.middleware import missing_page

SESSION_KEY = "owned_scenarios"
BROWSER_KEY = "browser_owner"


def owned_ids(request: HttpRequest) -> list[int]:
    """Saved items this browser was given by a private edit link."""
    return [int(i) for i in request.session.get(SESSION_KEY, [])]


def browser_hash(request: HttpRequest, create: bool = False) -> str:
    """The hash of this browser's owner secret; with `create`, made on first use."""
    token = request.session.get(BROWSER_KEY)
    if token is None and create:
        token = request.session[BROWSER_KEY] = secrets.token_urlsafe(32)
    return hash_token(token) if token else ""


def remember(request: HttpRequest, saved: SavedScenario) -> None:
    """This browser was given `saved`'s private edit link."""
    ids = owned_ids(request)
    if saved.pk not in ids:
        request.session[SESSION_KEY] = [*ids, saved.pk][-200:]


def can_edit(request: HttpRequest, item: SavedScenario | UsageReport) -> bool:
    """Whether the request is the item's owner's: the account that made it, or without an
    account the browser that made it (or, for a scenario or estimate, one given its private
    edit link)."""
    if item.owner_id is not None:
        return bool(request.user.is_authenticated and request.user.pk == item.owner_id)
    mine = browser_hash(request)
    if mine and item.browser_key_hash and hmac.compare_digest(mine, item.browser_key_hash):
        return True
    return isinstance(item, SavedScenario) and item.pk in owned_ids(request)


def mine_for(request: HttpRequest) -> SavedScenarioQuerySet:
    """What this user, or this browser, may change."""
    user_id = request.user.pk if request.user.is_authenticated else None
    return SavedScenario.objects.owned_by(user_id, owned_ids(request), browser_hash(request))


def my_scenarios(request: HttpRequest) -> list[SavedScenario]:
    """The saved scenarios an estimate's editor offers to add: the user's own, newest first."""
    return list(mine_for(request).filter(kind=SavedScenario.SCENARIO)[:100])


class ShareMissing(Exception):
    """A share link that leads nowhere: mistyped or never made (404), or deleted by its owner
    (410)."""

    def __init__(self, gone: bool) -> None:
        super().__init__("deleted" if gone else "not found")
        self.gone = gone


class NotOwner(Exception):
    """A change asked of a saved item or usage report by someone who may only see it (403)."""

    def __init__(self, item: SavedScenario | UsageReport) -> None:
        super().__init__(f"not the owner of {item.share_key}")
        self.item = item


Item = TypeVar("Item", SavedScenario, UsageReport)


@overload
def shared(share_key: str) -> SavedScenario: ...
@overload
def shared(share_key: str, kind: type[Item]) -> Item: ...
def shared(share_key: str, kind: type[Any] = SavedScenario) -> Any:
    """The saved item (or, with `kind`, the usage report) a share link names: anyone with the
    link may see it. ShareMissing if there is none."""
    item = kind.objects.filter(share_key=share_key).first()
    if item is None:
        raise ShareMissing(gone=DeletedShare.was_deleted(share_key))
    return item


@overload
def owned(request: HttpRequest, share_key: str) -> SavedScenario: ...
@overload
def owned(request: HttpRequest, share_key: str, kind: type[Item]) -> Item: ...
def owned(request: HttpRequest, share_key: str, kind: type[Any] = SavedScenario) -> Any:
    """The item a share link names, for a change its owner asks: ShareMissing if there is
    none, NotOwner if the request is not its owner's."""
    item = shared(share_key, kind)
    if not can_edit(request, item):
        raise NotOwner(item)
    return item


def delete_shared(item: SavedScenario | UsageReport) -> None:
    """The item deleted and its link remembered as deleted (it then answers 410, not 404),
    both or neither."""
    with transaction.atomic():
        DeletedShare.remember(item.share_key)
        item.delete()


def forbidden(
    request: HttpRequest, item: SavedScenario | UsageReport, bad_token: bool = False
) -> HttpResponse:
    if isinstance(item, UsageReport):
        response = TemplateResponse(request, "usage_forbidden.html", {"report": item}, status=403)
    else:
        context = {"scenario": item, "bad_token": bad_token}
        response = TemplateResponse(request, "forbidden.html", context, status=403)
    return response.render()


class SavedItemMiddleware:
    """The pages of a missing share link (404, or 410 if deleted, with a way back: also while
    DEBUG is on, when Django would show its technical page) and of a change by someone not the
    owner (403, offering the read-only view and a copy)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, ShareMissing):
            return missing_page(request, gone=exception.gone, share=True)
        if isinstance(exception, NotOwner):
            return forbidden(request, exception.item)
        return None


def opens_when_unpriceable(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A page of one saved item that, when the item can no longer be read or priced, says so
    (`unpriceable`) instead of failing. A saved document is read by today's rules: one saved
    before a rule it breaks, or damaged in the database, is refused by the engine with a
    ScenarioError naming what is wrong. (Its card is read as stored: read_snapshot.)"""

    @wraps(view)
    def wrapper(request: HttpRequest, share_key: str, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, share_key, *args, **kwargs)
        except ScenarioError as error:
            return unpriceable(request, shared(share_key), error)

    return wrapper


def unpriceable(request: HttpRequest, saved: SavedScenario, error: ScenarioError) -> HttpResponse:
    """What is wrong with a saved item that cannot be priced, and its JSON to download: it is
    still there, unchanged."""
    context = {
        "saved": saved,
        "owner": can_edit(request, saved),
        "problems": [str(problem) for problem in error.problems],
    }
    return TemplateResponse(request, "unpriceable.html", context)
