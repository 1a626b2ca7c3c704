from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django import forms
from django.contrib import admin

from billing.models import MeterRate, RateCardVersion, TierRate


class MeterRateFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        seen: set[str] = set()
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            meter = form.cleaned_data["meter"]
            if meter in seen:
                raise forms.ValidationError(f"{meter} has more than one rate.")
            seen.add(meter)


class TierFormSet(forms.BaseInlineFormSet):
    """Tiers of each meter must rise strictly and end with one open tier."""

    def clean(self) -> None:
        super().clean()
        bounds: dict[str, list[Decimal | None]] = defaultdict(list)
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            bounds[form.cleaned_data["meter"]].append(form.cleaned_data.get("up_to"))
        problems = []
        for meter, ups in bounds.items():
            open_tiers = [u for u in ups if u is None]
            if len(open_tiers) != 1:
                problems.append(f"{meter}: exactly one tier must be open (no 'up to').")
            finite = [u for u in ups if u is not None]
            if len(set(finite)) != len(finite):
                problems.append(
                    f"{meter}: two tiers have the same 'up to'; tiers must not overlap."
                )
            if any(u <= 0 for u in finite):
                problems.append(f"{meter}: 'up to' must be greater than zero.")
        if problems:
            raise forms.ValidationError(problems)


class MeterRateInline(admin.TabularInline):
    model = MeterRate
    formset = MeterRateFormSet
    extra = 0


class TierInline(admin.TabularInline):
    model = TierRate
    formset = TierFormSet
    extra = 0


@admin.register(RateCardVersion)
class RateCardVersionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "version", "effective_date", "currency", "increment_seconds"]
    list_filter = ["slug", "currency"]
    search_fields = ["name", "slug"]
    inlines = [MeterRateInline, TierInline]
    # "Save as new" copies a version with its rates and tiers: how a price change is entered.
    save_as = True
    save_on_top = True
