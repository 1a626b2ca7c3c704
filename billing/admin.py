"""Rate cards in the admin. A version and its rates and tiers are one card, and the engine is
the one judge of a card (`read_rate_card`, as for a card in a document): the forms are read
into the card's document and the engine's messages put beside the rates and tiers they name,
before anything is stored. A card the engine would refuse is never stored, so no quote priced
with it can fail to open later."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.http import HttpRequest

from billing.engine import Meter, ScenarioError, read_rate_card
from billing.forms import PlainDecimalField, PlainIntegerField
from billing.models import (
    TERM_FIELDS,
    MeterRate,
    RateCardVersion,
    TierRate,
    card_terms,
    stored_card_document,
    tier_order,
)

# Numbers typed in the admin are read as every other number people type (billing/forms.py).
PLAIN_NUMBERS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.DecimalField: {"form_class": PlainDecimalField},
    models.PositiveIntegerField: {"form_class": PlainIntegerField},
}

TIER_PATH = re.compile(r"^tiers\.(\w+)\[(\d+)\]\.(up_to|rate)$")


class CardInlines:
    """The inline formsets of one request's card, so that the last to be cleaned can read the
    whole card from all of them."""

    def __init__(self) -> None:
        self.formsets: list[CardFormSet] = []


class CardFormSet(forms.BaseInlineFormSet[Any, RateCardVersion, Any]):
    card_inlines: CardInlines  # set on each request's formset class by the admin

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.card_inlines.formsets.append(self)

    def live_forms(self) -> Iterator[forms.ModelForm[Any]]:
        """The forms that will be stored: filled in and not marked for deletion."""
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if data and data.get("meter") and not data.get("DELETE"):
                yield form

    def clean(self) -> None:
        super().clean()
        if self is self.card_inlines.formsets[-1]:
            check_card(self.instance, self.card_inlines.formsets, self)


def _deleted(form: forms.Form) -> bool:
    """Marked for deletion in its formset (as the formset's own _should_delete_form reads it)."""
    return bool(getattr(form, "cleaned_data", {}).get("DELETE"))


def check_card(
    version: RateCardVersion,
    formsets: list[CardFormSet],
    last: CardFormSet,
) -> None:
    """Read the submitted card as the engine reads a card and put each problem beside the
    field it names; raises ValidationError (on `last`) if there is any, so nothing is saved.
    A card whose forms have errors of their own is left to them."""
    for formset in formsets:
        if formset is not last and formset.non_form_errors():
            return
        if any(form.errors for form in formset.forms if not _deleted(form)):
            return
    rate_forms: dict[str, forms.ModelForm[Any]] = {}
    tier_forms: dict[str, list[forms.ModelForm[Any]]] = defaultdict(list)
    for formset in formsets:
        for form in formset.live_forms():
            meter = form.cleaned_data["meter"]
            if formset.model is MeterRate:
                rate_forms[meter] = form
            else:
                tier_forms[meter].append(form)
    for meter_forms in tier_forms.values():
        meter_forms.sort(key=lambda form: tier_order(form.cleaned_data.get("up_to")))
    document = stored_card_document(
        version.currency,
        version.increment_seconds,
        version.minimum_seconds,
        {meter: form.cleaned_data["rate"] for meter, form in rate_forms.items()},
        {
            meter: [(f.cleaned_data.get("up_to"), f.cleaned_data["rate"]) for f in meter_forms]
            for meter, meter_forms in tier_forms.items()
        },
    )
    document.update(card_terms(version.terms))
    try:
        read_rate_card(document, path="", tiers_need_rates=True)
    except ScenarioError as error:
        general = []
        for problem in error.problems:
            path, message = problem.path, problem.message
            parts = path.split(".")
            if (match := TIER_PATH.match(path)) and int(match[2]) < len(tier_forms[match[1]]):
                tier_forms[match[1]][int(match[2])].add_error(match[3], message)
            elif parts[0] == "rates" and len(parts) == 2 and parts[1] in rate_forms:
                rate_forms[parts[1]].add_error("rate", message)
            elif parts[0] in ("rates", "tiers") and len(parts) == 2 and parts[1] in set(Meter):
                general.append(f"{Meter(parts[1]).label}: {message}")
            elif parts[0] in TERM_FIELDS:
                general.append(f"Terms: {problem}")
            elif path in ("currency", "increment_seconds", "minimum_seconds"):
                model_field = RateCardVersion._meta.get_field(path)
                assert isinstance(model_field, models.Field)
                label = model_field.verbose_name
                general.append(f"{str(label).capitalize()}: {message}")
            else:
                general.append(str(problem))
        raise forms.ValidationError(
            general or ["This card cannot be saved: see the messages beside its rates and tiers."]
        ) from None


class MeterRateFormSet(CardFormSet):
    def clean(self) -> None:
        seen: set[str] = set()
        for form in self.live_forms():
            meter = form.cleaned_data["meter"]
            if meter in seen:
                raise forms.ValidationError(f"{Meter(meter).label} has more than one rate.")
            seen.add(meter)
        super().clean()


class MeterRateInline(admin.TabularInline[MeterRate, RateCardVersion]):
    model = MeterRate
    formset = MeterRateFormSet
    formfield_overrides = PLAIN_NUMBERS
    extra = 0


class TierInline(admin.TabularInline[TierRate, RateCardVersion]):
    model = TierRate
    formset = CardFormSet
    formfield_overrides = PLAIN_NUMBERS
    extra = 0


class RateCardVersionForm(forms.ModelForm[RateCardVersion]):
    class Meta:
        model = RateCardVersion
        fields = [
            "slug",
            "name",
            "version",
            "effective_date",
            "currency",
            "increment_seconds",
            "minimum_seconds",
            "terms",
            "description",
        ]
        widgets = {"terms": forms.Textarea(attrs={"rows": 8, "cols": 80})}

    def clean_terms(self) -> dict[str, Any]:
        """The terms as the engine reads a card's: only the term fields, each judged by the
        engine, its messages by their paths."""
        terms = self.cleaned_data.get("terms")
        if terms in (None, ""):
            return {}
        if not isinstance(terms, dict):
            raise forms.ValidationError(
                'Give the terms as a JSON object, such as {"rounding": "session"}.'
            )
        unknown = sorted(key for key in terms if key not in TERM_FIELDS)
        if unknown:
            raise forms.ValidationError(
                f"Not a term: {', '.join(map(str, unknown))}. Terms are "
                f"{', '.join(TERM_FIELDS)}; rates, tiers, currency and rounding increments "
                "have their own fields."
            )
        try:
            read_rate_card(terms, path="")
        except ScenarioError as error:
            raise forms.ValidationError([str(problem) for problem in error.problems]) from None
        return terms


@admin.register(RateCardVersion)
class RateCardVersionAdmin(admin.ModelAdmin[RateCardVersion]):
    form = RateCardVersionForm
    list_display = ["name", "slug", "version", "effective_date", "currency", "increment_seconds"]
    list_filter = ["slug", "currency"]
    search_fields = ["name", "slug"]
    inlines = [MeterRateInline, TierInline]
    formfield_overrides = PLAIN_NUMBERS
    # "Save as new" copies a version with its rates and tiers: how a price change is entered.
    save_as = True
    save_on_top = True

    def get_formsets_with_inlines(
        self, request: HttpRequest, obj: RateCardVersion | None = None
    ) -> Iterator[tuple[type[forms.BaseInlineFormSet], admin.options.InlineModelAdmin]]:  # type: ignore[type-arg]
        """Each request's inline formsets share one CardInlines: their classes are made anew
        for every request (InlineModelAdmin.get_formset), so the attribute is this request's."""
        together = CardInlines()
        for formset, inline in super().get_formsets_with_inlines(request, obj):
            formset.card_inlines = together
            yield formset, inline
