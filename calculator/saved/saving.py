"""Saving an editor's priced document: as a new saved item (with its private edit link, shown
once) or over the one it was opened from, never over a change made meanwhile."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from billing.engine import RateCard, card_snapshot
from billing.service import base_card
from calculator.editor.workspace import Workspace
from calculator.models import SavedScenario
from calculator.saved.access import browser_hash
from calculator.saved.priced import of_quote
from calculator.server.middleware import from_htmx
from calculator.server.ratelimit import describe, retry_after

# The tag of the message carrying a new item's private edit link to the next page.
EDIT_LINK = "edit-link"
# The tag of a message saying a save succeeded: the page's script then drops the draft it
# kept of the unsaved work (static/js/app.js).
SAVED = "saved"
SAVE_ACTIONS = ("save", "save-copy")


def too_many_form_saves(request: HttpRequest) -> HttpResponse | None:
    """`too_many_saves`, for a form post whose action saves (an editor's Save buttons)."""
    return too_many_saves(request) if request.POST.get("action") in SAVE_ACTIONS else None


def too_many_saves(request: HttpRequest) -> HttpResponse | None:
    """A 429 page when this address saves faster than the limit allows, else None."""
    wait = retry_after(request, "save")
    if wait is None:
        return None
    response = TemplateResponse(
        request, "429.html", {"limit": describe("save"), "wait": wait}, status=429
    )
    response["Retry-After"] = str(wait)
    return response


def redirect_to_editor(request: HttpRequest, saved: SavedScenario) -> HttpResponse:
    url = reverse("saved-edit", args=[saved.share_key])
    if from_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def new_item(
    request: HttpRequest,
    document: dict[str, Any],
    card: RateCard,
    kind: str,
    summary: dict[str, Any] | None,
) -> SavedScenario:
    """A new saved item, owned by the account signed in, or else by this browser, whose
    private edit link is carried to the next page as a message."""
    saved = SavedScenario(
        name=str(document.get("name") or ""), card=card_snapshot(card), kind=kind, summary=summary
    )
    saved.document = document
    token = None
    if request.user.is_authenticated:
        saved.owner = request.user
    else:
        token = saved.issue_edit_token()
        saved.browser_key_hash = browser_hash(request, create=True)
    saved.save()
    if token is not None:
        # Shown once (only the token's hash is stored), carried to the next page as a
        # message in a signed cookie: saving does not write the session.
        link = request.build_absolute_uri(reverse("saved-claim", args=[saved.share_key, token]))
        messages.add_message(
            request, messages.INFO, f"{saved.share_key} {link}", extra_tags=EDIT_LINK
        )
    return saved


def pop_edit_link(request: HttpRequest, saved: SavedScenario) -> str | None:
    """The private edit link of `saved`, if this is the page after it was made."""
    for message in messages.get_messages(request):
        if EDIT_LINK in message.tags:
            key, link = message.message.split(" ", 1)
            if key == saved.share_key:
                return link
    return None


def stored_card(workspace: Workspace) -> RateCard:
    """The stored card a priced workspace's document names, to pin on save (inline overrides
    stay in the document)."""
    assert workspace.quote is not None
    return base_card(workspace.rate_card_ref(), workspace.cards, workspace.pinned)


def not_saved(request: HttpRequest, problems: int) -> None:
    """Say that a Save with problems stored nothing (the problems are listed on the page)."""
    what = "the problem" if problems == 1 else f"the {problems} problems"
    messages.error(request, f"Not saved: fix {what} shown below, then save again.")


def save_new(request: HttpRequest, workspace: Workspace) -> SavedScenario | None:
    """Save the workspace's document as a new saved item; None (and a message) when it has
    problems."""
    if workspace.quote is None or workspace.document is None:
        not_saved(request, len(workspace.problems()))
        return None
    saved = new_item(
        request,
        workspace.document,
        stored_card(workspace),
        workspace.kind,
        of_quote(workspace.quote).summary(1),
    )
    messages.success(
        request,
        f"Saved. The share link shows the {workspace.kind} read-only to anyone who has it.",
        extra_tags=SAVED,
    )
    return saved


def save_over(
    request: HttpRequest, saved: SavedScenario, workspace: Workspace, revision: int | None
) -> bool:
    """Save a priced workspace over its saved item, unless that changed since the form was
    opened (`revision`); else a message saying so, the work still in the form."""
    document, quote = workspace.document, workspace.quote
    if document is None or quote is None:
        not_saved(request, len(workspace.problems()))
        return False
    summary = of_quote(quote).summary((revision or 0) + 1)
    if not saved.save_over(revision, document, card_snapshot(stored_card(workspace)), summary):
        current = SavedScenario.objects.get(pk=saved.pk)
        messages.error(
            request,
            f"Not saved: this {saved.kind} was changed elsewhere (another tab or person) at "
            f"{timezone.localtime(current.updated_at):%H:%M:%S on %d %b %Y} since you opened it. "
            "The saved version is unchanged. Your changes are still in the form: use "
            "“Save as new” to keep them, or reload to see the saved version.",
        )
        return False
    messages.success(request, "Saved.", extra_tags=SAVED)
    return True
