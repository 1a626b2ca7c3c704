"""Saved scenarios: save, share read-only, edit as owner, copy, rename, delete, reprice,
export and import. Every permission check is made here, in the view, whatever the request."""

from __future__ import annotations

import csv
import hmac
import io
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import wraps
from typing import Any, TypeVar

from django.conf import settings
from django.contrib import messages
from django.core.cache import cache
from django.db import transaction
from django.db.models import F
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from billing.cards import CardDirectory
from billing.engine import (
    Estimate,
    EstimateQuote,
    Meter,
    Quote,
    RateCard,
    ScenarioError,
    card_document,
    card_snapshot,
    same_prices,
)
from billing.engine.jsonio import dumps
from billing.engine.meters import METER_ORDER
from billing.service import base_card, card_for, price_parsed_estimate, price_scenario
from calculator import charts
from calculator.estimates import SHARE_KEY, EstimateWorkspace, estimate_context, render_estimate
from calculator.forms import ImportForm, RenameForm
from calculator.jsonform import accepts_json_form
from calculator.models import DeletedShare, SavedScenario, SavedScenarioQuerySet, hash_token
from calculator.ratelimit import describe, retry_after
from calculator.workspace import Workspace, quote_context, render_workspace

SESSION_KEY = "owned_scenarios"


# -- Who may change what ----------------------------------------------------------------------


BROWSER_KEY = "browser_owner"
EDIT_LINK = "edit-link"


def owned_ids(request: HttpRequest) -> list[int]:
    """Scenarios this browser was given by a private edit link."""
    return [int(i) for i in request.session.get(SESSION_KEY, [])]


def browser_hash(request: HttpRequest, create: bool = False) -> str:
    """The hash of this browser's owner secret; with `create`, made on first use."""
    token = request.session.get(BROWSER_KEY)
    if token is None and create:
        token = request.session[BROWSER_KEY] = secrets.token_urlsafe(32)
    return hash_token(token) if token else ""


def remember(request: HttpRequest, scenario: SavedScenario) -> None:
    ids = owned_ids(request)
    if scenario.pk not in ids:
        request.session[SESSION_KEY] = [*ids, scenario.pk][-200:]


def can_edit(request: HttpRequest, scenario: SavedScenario) -> bool:
    if scenario.owner_id is not None:
        return bool(request.user.is_authenticated and request.user.pk == scenario.owner_id)
    mine = browser_hash(request)
    if mine and scenario.browser_key_hash and hmac.compare_digest(mine, scenario.browser_key_hash):
        return True
    return scenario.pk in owned_ids(request)


def mine_for(request: HttpRequest) -> SavedScenarioQuerySet:
    """What this user, or this browser, may change."""
    user_id = request.user.pk if request.user.is_authenticated else None
    return SavedScenario.objects.owned_by(user_id, owned_ids(request), browser_hash(request))


class ShareMissing(Exception):
    """A share link that leads nowhere: mistyped or never made (404), or deleted by its owner
    (410). The page that says so, with a way back, is MissingShareMiddleware's."""

    def __init__(self, gone: bool) -> None:
        super().__init__("deleted" if gone else "not found")
        self.gone = gone


def scenario_or_404(share_key: str) -> SavedScenario:
    saved = SavedScenario.objects.filter(share_key=share_key).first()
    if saved is None:
        raise ShareMissing(gone=DeletedShare.was_deleted(share_key))
    return saved


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
            return unpriceable(request, scenario_or_404(share_key), error)

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


def checked_document(saved: SavedScenario) -> dict[str, Any]:
    """The saved document, after the engine has read it whole (ScenarioError if it can no
    longer), for pages that fill forms from it field by field."""
    saved.parsed  # noqa: B018  (read whole, or ScenarioError)
    return saved.document


def forbidden(request: HttpRequest, scenario: SavedScenario) -> HttpResponse:
    return TemplateResponse(request, "forbidden.html", {"scenario": scenario}, status=403)


def owned_scenario(request: HttpRequest, share_key: str) -> SavedScenario | HttpResponse:
    scenario = scenario_or_404(share_key)
    return scenario if can_edit(request, scenario) else forbidden(request, scenario)


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


def redirect_to_editor(request: HttpRequest, scenario: SavedScenario) -> HttpResponse:
    url = reverse("saved-edit", args=[scenario.share_key])
    if request.htmx:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# -- Saving -------------------------------------------------------------------------------


def _new_saved(
    request: HttpRequest,
    document: dict[str, Any],
    card: RateCard,
    kind: str = SavedScenario.SCENARIO,
    summary: dict[str, Any] | None = None,
) -> SavedScenario:
    scenario = SavedScenario(
        name=str(document.get("name") or ""),
        card=card_snapshot(card),
        kind=kind,
        summary=summary,
    )
    scenario.document = document
    token = None
    if request.user.is_authenticated:
        scenario.owner = request.user  # type: ignore[assignment]
    else:
        token = scenario.issue_edit_token()
        scenario.browser_key_hash = browser_hash(request, create=True)
    scenario.save()
    if token is not None:
        # Shown once (only the token's hash is stored), carried to the next page as a
        # message in a signed cookie: saving does not write the session.
        link = request.build_absolute_uri(reverse("saved-claim", args=[scenario.share_key, token]))
        messages.add_message(
            request, messages.INFO, f"{scenario.share_key} {link}", extra_tags=EDIT_LINK
        )
    return scenario


def stored_card(workspace: Workspace | EstimateWorkspace) -> RateCard:
    """The stored card a priced workspace's document names, to pin on save (inline overrides
    stay in the document). The quote holds the document as parsed."""
    quote = workspace.quote
    assert quote is not None
    ref = quote.estimate.rate_card if isinstance(quote, EstimateQuote) else quote.scenario.rate_card
    return base_card(ref, workspace.cards, workspace.pinned)


# The tag of a message saying a save succeeded: the page's script then drops the draft it
# kept of the unsaved work (static/js/app.js).
SAVED = "saved"


def not_saved(request: HttpRequest, problems: int) -> None:
    """Say that a Save with problems stored nothing (the problems are listed on the page)."""
    what = "the problem" if problems == 1 else f"the {problems} problems"
    messages.error(request, f"Not saved: fix {what} shown below, then save again.")


def save_new(request: HttpRequest, workspace: Workspace) -> SavedScenario | None:
    """Save the editor's scenario as a new saved scenario; None (and a message) when it has
    problems."""
    if workspace.quote is None or workspace.document is None:
        not_saved(request, len(workspace.editor.all_errors()))
        return None
    saved = _new_saved(
        request, workspace.document, stored_card(workspace), summary=summary_of(workspace.quote, 1)
    )
    messages.success(
        request,
        "Saved. The share link shows it read-only to anyone who has it.",
        extra_tags=SAVED,
    )
    return saved


def save_new_estimate(request: HttpRequest, workspace: EstimateWorkspace) -> SavedScenario:
    assert workspace.document is not None
    assert workspace.quote is not None
    saved = _new_saved(
        request,
        workspace.document,
        stored_card(workspace),
        kind=SavedScenario.ESTIMATE,
        summary=summary_of(workspace.quote, 1),
    )
    messages.success(
        request,
        "Saved. The share link shows the estimate read-only to anyone who has it.",
        extra_tags=SAVED,
    )
    return saved


def save_existing(
    request: HttpRequest,
    saved: SavedScenario,
    workspace: Workspace | EstimateWorkspace,
    revision: int | None,
) -> bool:
    """Save a priced workspace over its saved scenario or estimate, unless that changed since
    the form was opened (`revision`)."""
    document, quote = workspace.document, workspace.quote
    assert document is not None
    assert quote is not None
    updated = SavedScenario.objects.filter(pk=saved.pk, revision=revision).update(
        name=str(document.get("name") or ""),
        document_json=dumps(document),
        card=card_snapshot(stored_card(workspace)),
        summary=summary_of(quote, (revision or 0) + 1),
        revision=F("revision") + 1,
        updated_at=timezone.now(),
    )
    if not updated:
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


# -- Pages of a saved scenario ------------------------------------------------------------


def priced(saved: SavedScenario, card: RateCard | None = None) -> Quote | EstimateQuote:
    """The saved quote, priced with the card it was saved with (or `card`, to compare)."""
    pinned = card or saved.pinned_card
    parsed = saved.parsed
    if isinstance(parsed, Estimate):
        return price_parsed_estimate(parsed, CardDirectory(), pinned)
    return price_scenario(parsed, CardDirectory(), pinned)


def monthly_total(quote: Quote | EstimateQuote) -> Decimal:
    return quote.month.net_total if isinstance(quote, EstimateQuote) else quote.monthly.total


def newer_card(saved: SavedScenario) -> RateCard | None:
    """The current version of the saved quote's card, if its prices differ from the pinned."""
    pinned = saved.pinned_card
    try:
        current = CardDirectory().card(pinned.slug)
    except ScenarioError:
        return None
    if same_prices(current, pinned) and current.version == pinned.version:
        return None
    return current


@opens_when_unpriceable
@require_GET
def share(request: HttpRequest, share_key: str) -> HttpResponse:
    saved = scenario_or_404(share_key)
    owner = can_edit(request, saved)
    context = {
        "saved": saved,
        "owner": owner,
        "newer": newer_card(saved) if owner else None,
        "edit_link": _pop_edit_link(request, saved) if owner else None,
        "body": shared_body(saved),
    }
    return TemplateResponse(request, "share.html", context)


T = TypeVar("T")


def per_revision(saved: SavedScenario, what: str, make: Callable[[], T]) -> T:
    """What a saved row fully determines (its pinned card included), made once per revision
    and kept in the cache: a share, print or export of the heaviest scenario the rules allow
    costs about a second to price, and anyone with its link may ask for it again and again."""
    key = f"{what}:{saved.pk}:{saved.revision}:{saved.updated_at.timestamp()}"
    made: T | None = cache.get(key)
    if made is None:
        made = make()
        cache.set(key, made, timeout=3600)
    return made


def shared_body(saved: SavedScenario) -> str:
    """The priced body of a share page."""

    def render() -> str:
        quote = priced(saved)
        if isinstance(quote, EstimateQuote):
            return render_to_string(
                "_estimate_body.html", {"saved": saved, **estimate_context(quote)}
            )
        return render_to_string("_share_body.html", {"saved": saved, **quote_context(quote)})

    return mark_safe(per_revision(saved, "shared-body", render))


def _pop_edit_link(request: HttpRequest, saved: SavedScenario) -> str | None:
    for message in messages.get_messages(request):
        if EDIT_LINK in message.tags:
            key, link = message.message.split(" ", 1)
            if key == saved.share_key:
                return link
    return None


@opens_when_unpriceable
@require_http_methods(["GET", "POST"])
@accepts_json_form
def edit(request: HttpRequest, share_key: str) -> HttpResponse:
    saved = owned_scenario(request, share_key)
    if isinstance(saved, HttpResponse):
        return saved
    if limited := too_many_form_saves(request):
        return limited
    if request.method == "GET":
        checked_document(saved)  # what no longer reads opens as `unpriceable`
    if saved.is_estimate:
        return _edit_estimate(request, saved)
    workspace = Workspace.from_request(request, saved=saved)
    if workspace.action == "save" and workspace.document is None:
        not_saved(request, len(workspace.editor.all_errors()))
    if (
        workspace.action == "save"
        and workspace.quote is not None
        and workspace.document is not None
    ):
        revision = workspace.editor.cleaned.get("revision")
        if save_existing(request, saved, workspace, revision):
            return redirect_to_editor(request, saved)
    if workspace.action == "save-copy":
        copy = save_new(request, workspace)
        if copy is not None:
            return redirect_to_editor(request, copy)
    response = render_workspace(request, workspace)
    response.context_data["edit_link"] = _pop_edit_link(request, saved)  # type: ignore[attr-defined]
    response.context_data["newer"] = newer_card(saved)  # type: ignore[attr-defined]
    return response


def _edit_estimate(request: HttpRequest, saved: SavedScenario) -> HttpResponse:
    workspace = EstimateWorkspace.from_request(request, saved=saved)
    if workspace.action in SAVE_ACTIONS and workspace.quote is None:
        not_saved(request, len(workspace.problems()))
    if workspace.quote is not None and workspace.document is not None:
        if workspace.action == "save":
            revision = workspace.form.cleaned_data.get("revision")
            if save_existing(request, saved, workspace, revision):
                return redirect_to_editor(request, saved)
        elif workspace.action == "save-copy":
            return redirect_to_editor(request, save_new_estimate(request, workspace))
    response = render_estimate(request, workspace)
    response.context_data["edit_link"] = _pop_edit_link(request, saved)  # type: ignore[attr-defined]
    response.context_data["newer"] = newer_card(saved)  # type: ignore[attr-defined]
    return response


@require_GET
@never_cache
def claim(request: HttpRequest, share_key: str, token: str) -> HttpResponse:
    """The private edit link: a right token makes this browser an owner of the scenario.
    The link is a secret: no answer to it lets a browser send it on as a Referer (the 403
    page loads styles and scripts, and has links), and the logs redact it
    (calculator/logredact.py)."""
    saved = scenario_or_404(share_key)
    response: HttpResponse
    if saved.owner_id is not None or not saved.edit_token_matches(token):
        response = TemplateResponse(
            request, "forbidden.html", {"scenario": saved, "bad_token": True}, status=403
        )
    else:
        remember(request, saved)
        response = redirect("saved-edit", share_key)
    response["Referrer-Policy"] = "no-referrer"
    return response


@opens_when_unpriceable
@require_POST
def copy(request: HttpRequest, share_key: str) -> HttpResponse:
    """Anyone who can see a scenario may copy it; the copy is theirs, the original untouched."""
    original = scenario_or_404(share_key)
    if limited := too_many_saves(request):
        return limited
    document = checked_document(original)
    document["name"] = f"{original.title} (copy)"
    saved = _new_saved(
        request,
        document,
        original.pinned_card,
        kind=original.kind,
        summary=carried_summary(original, 1),
    )
    messages.success(
        request, "This is your copy: change it as you like; the original is unchanged."
    )
    return redirect_to_editor(request, saved)


@opens_when_unpriceable
@require_http_methods(["GET", "POST"])
def rename(request: HttpRequest, share_key: str) -> HttpResponse:
    saved = owned_scenario(request, share_key)
    if isinstance(saved, HttpResponse):
        return saved
    form = RenameForm(request.POST or None, initial={"name": saved.name})
    if request.method == "POST" and form.is_valid():
        document = saved.document
        document["name"] = form.cleaned_data["name"]
        # Only over the revision read: a save made meanwhile is never undone by a rename.
        renamed = SavedScenario.objects.filter(pk=saved.pk, revision=saved.revision).update(
            name=form.cleaned_data["name"],
            document_json=dumps(document),
            summary=carried_summary(saved, saved.revision + 1),
            revision=F("revision") + 1,
            updated_at=timezone.now(),
        )
        if renamed:
            messages.success(request, "Renamed.")
            return redirect("saved-share", share_key)
        messages.error(
            request,
            f"Not renamed: this {saved.kind} was changed elsewhere (another tab or person) "
            "while this page was open. Rename it again.",
        )
        return redirect("saved-rename", share_key)
    return TemplateResponse(request, "rename.html", {"saved": saved, "form": form})


@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, share_key: str) -> HttpResponse:
    saved = owned_scenario(request, share_key)
    if isinstance(saved, HttpResponse):
        return saved
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        with transaction.atomic():
            DeletedShare.remember(saved.share_key)
            saved.delete()
        messages.success(request, f"Deleted “{saved.title}”. Its share link no longer works.")
        return redirect("mine")
    return TemplateResponse(request, "delete.html", {"saved": saved})


@opens_when_unpriceable
@require_http_methods(["GET", "POST"])
def reprice(request: HttpRequest, share_key: str) -> HttpResponse:
    """Show the quote at its pinned rates and at current ones; change only when confirmed."""
    saved = owned_scenario(request, share_key)
    if isinstance(saved, HttpResponse):
        return saved
    current = newer_card(saved)
    if current is None:
        messages.info(request, "The quote already uses the current rates.")
        return redirect("saved-share", share_key)
    old = priced(saved)
    try:
        new = priced(saved, current)
    except ScenarioError as error:
        messages.error(
            request,
            f"The current rates ({current.name} v{current.version}) cannot price this "
            f"{saved.kind}: {error}. It keeps the rates it was saved with.",
        )
        return redirect("saved-share", share_key)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        repriced = SavedScenario.objects.filter(pk=saved.pk, revision=saved.revision).update(
            card=card_snapshot(current),
            summary=summary_of(new, saved.revision + 1),
            revision=F("revision") + 1,
            updated_at=timezone.now(),
        )
        if not repriced:
            messages.error(
                request,
                f"Not repriced: this {saved.kind} was changed elsewhere (another tab or "
                "person) while this page was open. Look at the new prices again.",
            )
            return redirect("saved-reprice", share_key)
        messages.success(request, f"Repriced with {current.name} v{current.version}.")
        return redirect("saved-share", share_key)
    context = {
        "saved": saved,
        "old": old,
        "new": new,
        "old_month": monthly_total(old),
        "new_month": monthly_total(new),
        "old_session": None if isinstance(old, EstimateQuote) else old.per_session.total,
        "new_session": None if isinstance(new, EstimateQuote) else new.per_session.total,
    }
    return TemplateResponse(request, "reprice.html", context)


# -- Export, print, import ------------------------------------------------------------------


def export_document(saved: SavedScenario) -> dict[str, Any]:
    """The document with the full rate card it is priced with written inline, so that
    importing it anywhere, later, gives the same prices. (The card, not the price: nothing is
    priced.)"""
    document = saved.document
    card = card_for(saved.parsed.rate_card, CardDirectory(), saved.pinned_card)
    document["rate_card"] = {"name": card.name, **card_document(card)}
    return document


@require_GET
def export_json(request: HttpRequest, share_key: str) -> HttpResponse:
    saved = scenario_or_404(share_key)
    try:
        text = dumps(export_document(saved), indent=2)
    except ScenarioError:
        # It can no longer be priced (`unpriceable`): the document exactly as it was saved,
        # to correct and import again.
        text = saved.document_json
    response = HttpResponse(text, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{_filename(saved)}.json"'
    return response


@opens_when_unpriceable
@require_GET
def export_csv(request: HttpRequest, share_key: str) -> HttpResponse:
    saved = scenario_or_404(share_key)
    response = HttpResponse(
        per_revision(saved, "csv", lambda: _csv_text(saved)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(saved)}.csv"'
    return response


def _csv_text(saved: SavedScenario) -> str:
    """The saved quote's cost lines as CSV."""
    quote = priced(saved)
    out = io.StringIO()
    writer = csv.writer(out)
    currency = quote.card.currency
    if isinstance(quote, EstimateQuote):
        writer.writerow(
            [
                "section",
                "meter",
                "quantity_minutes",
                "tiers",
                "list_amount",
                "discount_percent",
                "discount",
                "net_amount",
                "currency",
            ]
        )
        for d in quote.month.lines:
            tiers = "; ".join(
                f"tier {s.tier}: {s.minutes} min x {s.rate} = {s.amount}" for s in d.line.slices
            )
            writer.writerow(
                [
                    "month",
                    d.line.meter,
                    d.line.quantity,
                    tiers,
                    d.line.amount,
                    d.percent,
                    d.discount,
                    d.net,
                    currency,
                ]
            )
        month = quote.month
        writer.writerow(
            [
                "month",
                "total",
                "",
                "",
                month.list_total,
                "",
                month.discount_total,
                month.net_total,
                currency,
            ]
        )
        writer.writerow([])
        writer.writerow(
            ["projection_month", "sessions", "list_total", "discount", "net_total", "cumulative"]
        )
        for m, running in zip(quote.projection, quote.cumulative(), strict=True):
            writer.writerow(
                [m.number, m.sessions, m.list_total, m.discount_total, m.net_total, running]
            )
    else:
        writer.writerow(
            ["period", "meter", "quantity_minutes", "rate", "amount", "currency", "explanation"]
        )
        for period, label in ((quote.per_session, "per session"), (quote.monthly, "per month")):
            for line in period.lines:
                writer.writerow(
                    [
                        label,
                        line.meter,
                        line.quantity,
                        line.rate,
                        line.amount,
                        currency,
                        line.explanation,
                    ]
                )
            writer.writerow([label, "total", "", "", period.total, currency, ""])
    return out.getvalue()


def _filename(saved: SavedScenario) -> str:
    from django.utils.text import slugify

    return slugify(saved.title) or "scenario"


@opens_when_unpriceable
@require_GET
def print_view(request: HttpRequest, share_key: str) -> HttpResponse:
    saved = scenario_or_404(share_key)

    def render() -> str:
        quote = priced(saved)
        context = (
            estimate_context(quote) if isinstance(quote, EstimateQuote) else quote_context(quote)
        )
        # The print page is the same for everyone (no form, no account): kept whole.
        return render_to_string("print.html", {"saved": saved, **context})

    return HttpResponse(per_revision(saved, "print", render))


@require_http_methods(["GET", "POST"])
def import_view(request: HttpRequest) -> HttpResponse:
    """A scenario document, uploaded or pasted, opens in the editor (not yet saved)."""
    if int(request.META.get("CONTENT_LENGTH") or 0) > settings.MAX_DOCUMENT_BYTES + 64_000:
        # Refused before Django reads the upload at all.
        return TemplateResponse(
            request, "import.html", {"form": ImportForm(), "too_big": True}, status=413
        )
    form = ImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        workspace = Workspace.from_request(
            request, initial=data["document"], parsed=data["scenario"]
        )
        messages.info(request, "Imported. Nothing is saved until you save it.")
        return TemplateResponse(request, "editor.html", workspace.context())
    return TemplateResponse(request, "import.html", {"form": form})


@require_GET
def mine(request: HttpRequest) -> HttpResponse:
    scenarios = mine_for(request)
    return TemplateResponse(request, "mine.html", {"scenarios": scenarios})


# -- Several saved scenarios and estimates side by side ------------------------------------


# At most so many side by side: each is priced (once per revision, then kept).
MAX_COMPARED = 6


@dataclass(frozen=True)
class Compared:
    """A saved item as the comparison shows it: its currency and each meter's monthly
    minutes and (net) cost."""

    saved: SavedScenario
    currency: str
    monthly: dict[Meter, tuple[str, Decimal]]

    @classmethod
    def of(cls, saved: SavedScenario) -> Compared:
        """From the summary stored with its revision; a row saved before there were summaries
        is priced once and its summary stored."""
        summary = carried_summary(saved, saved.revision)
        if summary is None:
            summary = summary_of(priced(saved), saved.revision)
            SavedScenario.objects.filter(pk=saved.pk, revision=saved.revision).update(
                summary=summary
            )
        monthly = {
            Meter(meter): (quantity, Decimal(amount))
            for meter, (quantity, amount) in summary["monthly"].items()
        }
        return cls(saved, summary["currency"], monthly)


def summary_of(quote: Quote | EstimateQuote, revision: int) -> dict[str, Any]:
    """What a saved item prices to a month, by meter (minutes, net cost), stored with the
    revision it belongs to: the comparison of saved items reads it instead of pricing each one
    again (six of the heaviest scenarios the rules allow would take seconds)."""
    if isinstance(quote, EstimateQuote):
        lines = {d.line.meter: (d.line.quantity, d.net) for d in quote.month.lines}
    else:
        lines = {line.meter: (line.quantity, line.amount) for line in quote.monthly.lines}
    return {
        "revision": revision,
        "currency": quote.card.currency,
        "monthly": {str(meter): [str(q), str(amount)] for meter, (q, amount) in lines.items()},
    }


def carried_summary(saved: SavedScenario, revision: int) -> dict[str, Any] | None:
    """The saved item's summary, if it is its current revision's, for `revision` of the same
    prices (a rename's, a copy's); None if there is none to carry."""
    summary = saved.summary
    if not isinstance(summary, dict) or summary.get("revision") != saved.revision:
        return None
    return {**summary, "revision": revision}


@require_GET
def compare_saved(request: HttpRequest) -> HttpResponse:
    """Two or more saved scenarios or estimates, by their share links: per-meter minutes and
    cost a month, and each one's difference from the first."""
    asked = [
        match.group(1)
        for text in request.GET.getlist("k")[:100]
        if (match := SHARE_KEY.search(text))
    ]
    wanted = list(dict.fromkeys(asked))[:MAX_COMPARED]
    found = {s.share_key: s for s in SavedScenario.objects.filter(share_key__in=wanted)}
    items, unpriced = [], []
    for key in dict.fromkeys(wanted):
        if key in found:
            try:
                items.append(Compared.of(found[key]))
            except ScenarioError as error:  # see `unpriceable`
                unpriced.append((found[key], [str(problem) for problem in error.problems]))
    missing = [key for key in wanted if key not in found]
    context: dict[str, Any] = {
        "items": items,
        "unpriceable": unpriced,
        "missing": missing,
        "mine": mine_for(request)[:50],
        "chosen": set(wanted),
        "left_out": len(dict.fromkeys(asked)) - len(wanted),
        "max_compared": MAX_COMPARED,
    }
    currencies = {item.currency for item in items}
    if len(items) >= 2 and len(currencies) == 1:
        monthly = [item.monthly for item in items]
        meters = [meter for meter in METER_ORDER if any(meter in m for m in monthly)]
        zero = ("0", Decimal(0))
        first = [m.get(meter, zero)[1] for meter in meters for m in monthly[:1]]
        context["currency"] = currency = currencies.pop()
        context["rows"] = [
            (
                meter,
                [
                    (m.get(meter, zero)[0], m.get(meter, zero)[1], m.get(meter, zero)[1] - base)
                    for m in monthly
                ],
            )
            for meter, base in zip(meters, first, strict=True)
        ]
        totals = [sum((v for _, v in m.values()), Decimal(0)) for m in monthly]
        context["totals"] = [(t, t - totals[0]) for t in totals]
        context["figure"] = charts.side_by_side(
            [item.saved.title for item in items],
            meters,
            [[m.get(meter, zero)[1] for meter in meters] for m in monthly],
            currency,
        )
    elif len(currencies) > 1:
        context["problem"] = (
            "These are priced in different currencies, so they cannot be set side by side."
        )
    return TemplateResponse(request, "compare_saved.html", context)
