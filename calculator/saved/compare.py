"""Saved scenarios and estimates side by side, by their share links: each meter's minutes
and cost a month, and each one's difference from the first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_safe

from billing.engine import Meter, ScenarioError
from billing.engine.meters import AddOn, AnyMeter, meter_order
from calculator import charts
from calculator.editor.estimate import SHARE_KEY
from calculator.models import SavedScenario
from calculator.saved.access import mine_for
from calculator.saved.priced import carried_summary, priced

# A private edit link, as typed or pasted: /s/<key>/edit/<token>/ (the key kept).
EDIT_LINK = re.compile(r"(/s/[A-Za-z0-9_-]+/)edit/[^/?#\s]*/?")

BUILT_IN = {str(meter) for meter in Meter}

# At most so many side by side: each is priced (once per revision, then kept).
MAX_COMPARED = 6


@dataclass(frozen=True)
class Compared:
    """A saved item as the comparison shows it: its currency and each meter's monthly
    minutes and (net) cost."""

    saved: SavedScenario
    currency: str
    monthly: dict[AnyMeter, tuple[str, Decimal]]

    @classmethod
    def of(cls, saved: SavedScenario) -> Compared:
        """From the summary stored with its revision; a row saved before there were summaries
        is priced once and its summary stored."""
        summary = carried_summary(saved, saved.revision)
        if summary is None:
            summary = priced(saved).summary(saved.revision)
            SavedScenario.objects.filter(pk=saved.pk, revision=saved.revision).update(
                summary=summary
            )
        labels = summary.get("labels", {})
        monthly = {
            (Meter(meter) if meter in BUILT_IN else AddOn(meter, labels.get(meter, meter))): (
                quantity,
                Decimal(amount),
            )
            for meter, (quantity, amount) in summary["monthly"].items()
        }
        return cls(saved, summary["currency"], monthly)


@require_safe
def compare_saved(request: HttpRequest) -> HttpResponse:
    """Two or more saved scenarios or estimates, by their share links: per-meter minutes and
    cost a month, and each one's difference from the first."""
    texts = [text.strip()[:300] for text in request.GET.getlist("k")[:100] if text.strip()]
    if any(EDIT_LINK.search(text) for text in texts):
        # A private edit link pasted as a link to compare: its share link does as well, and
        # the token must not stay in an address that is shared, bookmarked or logged.
        query = request.GET.copy()
        query.setlist("k", [EDIT_LINK.sub(r"\1", text) for text in texts])
        messages.warning(
            request,
            "One of the links was a private edit link: its share link is used instead, and "
            "the edit link was taken out of this page's address. Keep edit links private.",
        )
        return redirect(f"{reverse('compare-saved')}?{query.urlencode()}")
    asked = [match.group(1) for text in texts if (match := SHARE_KEY.search(text))]
    wanted = list(dict.fromkeys(asked))[:MAX_COMPARED]
    mine = mine_for(request)[:50]
    own = {s.share_key for s in mine}
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
        "unreadable": [text for text in texts if not SHARE_KEY.search(text)],
        # The links typed (not one's own, which are ticked): shown again, to correct or add to.
        "links": [text for text in texts if text not in own][:MAX_COMPARED],
        "mine": mine,
        "chosen": set(wanted),
        "left_out": len(dict.fromkeys(asked)) - len(wanted),
        "max_compared": MAX_COMPARED,
    }
    currencies = {item.currency for item in items}
    if len(items) >= 2 and len(currencies) == 1:
        monthly = [item.monthly for item in items]
        meters = meter_order(meter for m in monthly for meter in m)
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
