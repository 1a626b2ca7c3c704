"""A saved item's exports: its document as JSON (with the full card it is priced with), its
cost lines as CSV, a page to print; each made once per revision."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.text import slugify
from django.views.decorators.http import require_safe

from billing.cards import CardDirectory
from billing.engine import ScenarioError, card_document
from billing.engine.jsonio import dumps
from billing.engine.report import spreadsheet_safe
from billing.service import card_for
from calculator.models import SavedScenario
from calculator.saved.access import opens_when_unpriceable, shared
from calculator.saved.priced import priced

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


def export_document(saved: SavedScenario) -> dict[str, Any]:
    """The document with the full rate card it is priced with written inline, so that
    importing it anywhere, later, gives the same prices. (The card, not the price: nothing is
    priced.)"""
    document = saved.document
    card = card_for(saved.parsed.rate_card, CardDirectory(), saved.pinned_card)
    document["rate_card"] = {"name": card.name, **card_document(card)}
    return document


@require_safe
def export_json(request: HttpRequest, share_key: str) -> HttpResponse:
    saved = shared(share_key)
    try:
        text = dumps(export_document(saved), indent=2)
    except ScenarioError:
        # It can no longer be priced (`unpriceable`): the document exactly as it was saved,
        # to correct and import again.
        text = saved.document_json
    response = HttpResponse(text, content_type="application/json")
    response["Content-Disposition"] = f'attachment; filename="{filename(saved)}.json"'
    return response


@opens_when_unpriceable
@require_safe
def export_csv(request: HttpRequest, share_key: str) -> HttpResponse:
    saved = shared(share_key)
    response = HttpResponse(
        per_revision(saved, "csv", lambda: csv_text(saved)), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename(saved)}.csv"'
    return response


def csv_text(saved: SavedScenario) -> str:
    """The saved item's cost lines as CSV. Its text comes partly from whoever wrote the
    scenario (an explanation starts with a group's name): a cell a spreadsheet would run as a
    formula is written after an apostrophe, as the usage report's CSV writes its keys."""
    out = io.StringIO()
    csv.writer(out).writerows(
        [spreadsheet_safe(cell) if isinstance(cell, str) else cell for cell in row]
        for row in priced(saved).csv_rows()
    )
    return out.getvalue()


def filename(saved: SavedScenario) -> str:
    return slugify(saved.title) or "scenario"


@opens_when_unpriceable
@require_safe
def print_view(request: HttpRequest, share_key: str) -> HttpResponse:
    saved = shared(share_key)

    def render() -> str:
        quote = priced(saved)
        # The print page is the same for everyone (no form, no account): kept whole.
        return render_to_string("print.html", {"saved": saved, "priced": quote, **quote.context()})

    return HttpResponse(per_revision(saved, "print", render))
