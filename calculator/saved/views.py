"""The pages of one saved item (share, edit, the private edit link, copy, rename, delete,
reprice), import and the list of one's own. Access is checked by access.shared/owned, which
raise; what a saved item prices to is read through priced.Priced, whatever its kind."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from billing.cards import CardDirectory
from billing.engine import RateCard, ScenarioError, card_snapshot, same_prices
from calculator.editor.estimate import EstimateWorkspace
from calculator.editor.jsonform import accepts_json_form
from calculator.editor.workspace import ScenarioWorkspace, Workspace
from calculator.models import SavedScenario
from calculator.saved.access import (
    ShareMissing,
    can_edit,
    delete_shared,
    forbidden,
    mine_for,
    my_scenarios,
    opens_when_unpriceable,
    owned,
    remember,
    shared,
)
from calculator.saved.exports import per_revision
from calculator.saved.forms import ImportForm, RenameForm
from calculator.saved.priced import carried_summary, priced
from calculator.saved.saving import (
    new_item,
    pop_edit_link,
    redirect_to_editor,
    save_new,
    save_over,
    too_many_form_saves,
    too_many_saves,
)
from calculator.saved.usage import mine as my_reports


def newer_card(saved: SavedScenario) -> RateCard | None:
    """The current version of the saved item's card, if its prices differ from the pinned."""
    pinned = saved.pinned_card
    try:
        current = CardDirectory().card(pinned.slug)
    except ScenarioError:
        return None
    if same_prices(current, pinned) and current.version == pinned.version:
        return None
    return current


@opens_when_unpriceable
@require_safe
def share(request: HttpRequest, share_key: str) -> HttpResponse:
    saved = shared(share_key)
    owner = can_edit(request, saved)
    context = {
        "saved": saved,
        "owner": owner,
        "newer": newer_card(saved) if owner else None,
        "edit_link": pop_edit_link(request, saved) if owner else None,
        "body": shared_body(saved),
    }
    return TemplateResponse(request, "share.html", context)


def shared_body(saved: SavedScenario) -> SafeString:
    """The priced body of a share page."""

    def render() -> str:
        quote = priced(saved)
        return render_to_string(quote.body_template, {"saved": saved, **quote.context()})

    return mark_safe(per_revision(saved, "shared-body", render))


def workspace_for(request: HttpRequest, saved: SavedScenario) -> Workspace:
    """The editor of a saved item's kind, opened on it."""
    if saved.is_estimate:
        return EstimateWorkspace.from_request(request, saved=saved, mine=my_scenarios(request))
    return ScenarioWorkspace.from_request(request, saved=saved)


@opens_when_unpriceable
@require_http_methods(["GET", "POST"])
@accepts_json_form
def edit(request: HttpRequest, share_key: str) -> HttpResponse:
    try:
        saved = owned(request, share_key)
    except ShareMissing as missing:
        if missing.gone and request.method == "POST":
            return orphaned(request)
        raise
    if limited := too_many_form_saves(request):
        return limited
    if request.method == "GET":
        saved.parsed  # noqa: B018  (what no longer reads opens as `unpriceable`)
    workspace = workspace_for(request, saved)
    if workspace.action == "save":
        if save_over(request, saved, workspace, workspace.revision()):
            return redirect_to_editor(request, saved)
    elif workspace.action == "save-copy":
        copy = save_new(request, workspace)
        if copy is not None:
            return redirect_to_editor(request, copy)
    response = workspace.render(request)
    assert response.context_data is not None
    response.context_data["edit_link"] = pop_edit_link(request, saved)
    response.context_data["newer"] = newer_card(saved)
    return response


def orphaned(request: HttpRequest) -> HttpResponse:
    """The editor of an item deleted while it was open (in another tab, or by its owner):
    what was typed is never lost. It is priced as a new item, saying what happened; either
    Save keeps it as a new item with a link of its own."""
    if limited := too_many_form_saves(request):
        return limited
    workspace: Workspace
    if "i-TOTAL_FORMS" in request.POST:
        workspace = EstimateWorkspace.from_request(request, mine=my_scenarios(request))
    else:
        workspace = ScenarioWorkspace.from_request(request)
    if workspace.action in ("save", "save-copy"):
        new = save_new(request, workspace)
        if new is not None:
            messages.info(
                request,
                f"The {workspace.kind} you were editing was deleted meanwhile: what you typed "
                f"is saved as a new {workspace.kind}, with a link of its own.",
            )
            return redirect_to_editor(request, new)
    response = workspace.render(request)
    assert response.context_data is not None
    response.context_data["orphaned"] = workspace.kind
    return response


@require_safe
@never_cache
def claim(request: HttpRequest, share_key: str, token: str) -> HttpResponse:
    """The private edit link: a right token makes this browser an owner of the item. The
    link is a secret: no answer to it lets a browser send it on as a Referer (the 403 page
    loads styles and scripts, and has links), and the logs redact it
    (calculator/server/logredact.py)."""
    saved = shared(share_key)
    response: HttpResponse
    if saved.owner_id is not None or not saved.edit_token_matches(token):
        response = forbidden(request, saved, bad_token=True)
    else:
        remember(request, saved)
        response = redirect("saved-edit", share_key)
    response["Referrer-Policy"] = "no-referrer"
    return response


@opens_when_unpriceable
@require_POST
def copy(request: HttpRequest, share_key: str) -> HttpResponse:
    """Anyone who can see an item may copy it; the copy is theirs, the original untouched."""
    original = shared(share_key)
    if limited := too_many_saves(request):
        return limited
    original.parsed  # noqa: B018  (read whole, or `unpriceable`)
    document = original.document
    document["name"] = f"{original.title} (copy)"
    saved = new_item(
        request, document, original.pinned_card, original.kind, carried_summary(original, 1)
    )
    messages.success(
        request, "This is your copy: change it as you like; the original is unchanged."
    )
    return redirect_to_editor(request, saved)


@opens_when_unpriceable
@require_http_methods(["GET", "POST"])
def rename(request: HttpRequest, share_key: str) -> HttpResponse:
    saved = owned(request, share_key)
    form = RenameForm(request.POST or None, initial={"name": saved.name})
    if request.method == "POST" and form.is_valid():
        name = form.cleaned_data["name"]
        if saved.rename(name, carried_summary(saved, saved.revision + 1)):
            messages.success(request, "Renamed.")
            return redirect("saved-share", share_key)
        messages.error(
            request,
            f"Not renamed: this {saved.kind} was changed elsewhere (another tab or person) "
            "while this page was open. Rename it again.",
        )
        return redirect("saved-rename", share_key)
    context = {"title": saved.title, "form": form, "back": reverse("saved-share", args=[share_key])}
    return TemplateResponse(request, "rename.html", context)


@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, share_key: str) -> HttpResponse:
    saved = owned(request, share_key)
    if request.method == "POST" and request.POST.get("confirm") == "yes":
        delete_shared(saved)
        messages.success(request, f"Deleted “{saved.title}”. Its share link no longer works.")
        return redirect("mine")
    return TemplateResponse(request, "delete.html", {"saved": saved})


@opens_when_unpriceable
@require_http_methods(["GET", "POST"])
def reprice(request: HttpRequest, share_key: str) -> HttpResponse:
    """Show the item at its pinned rates and at current ones; change only when confirmed."""
    saved = owned(request, share_key)
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
        if not saved.repin(card_snapshot(current), new.summary(saved.revision + 1)):
            messages.error(
                request,
                f"Not repriced: this {saved.kind} was changed elsewhere (another tab or "
                "person) while this page was open. Look at the new prices again.",
            )
            return redirect("saved-reprice", share_key)
        messages.success(request, f"Repriced with {current.name} v{current.version}.")
        return redirect("saved-share", share_key)
    return TemplateResponse(request, "reprice.html", {"saved": saved, "old": old, "new": new})


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
        workspace = ScenarioWorkspace.from_request(
            request, initial=data["document"], parsed=data["scenario"]
        )
        messages.info(request, "Imported. Nothing is saved until you save it.")
        return TemplateResponse(request, "editor.html", workspace.context())
    return TemplateResponse(request, "import.html", {"form": form})


@require_safe
def mine(request: HttpRequest) -> HttpResponse:
    return TemplateResponse(
        request,
        "mine.html",
        {"scenarios": mine_for(request), "reports": list(my_reports(request)[:100])},
    )
