"""Rate cards as stored and edited in the admin; `to_engine` is the one place they become engine types."""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from billing.engine import Meter, RateCard, ScenarioError, read_rate_card, read_snapshot

METER_CHOICES = [(meter.value, meter.label) for meter in Meter]
NON_NEGATIVE = [MinValueValidator(Decimal(0))]


def tidy(value: Decimal) -> Decimal:
    """A stored rate without the column's trailing zeros, but at least 4 decimal places."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    if isinstance(exponent, int) and exponent > -4:
        return value.quantize(Decimal("0.0001"))
    return normal


def tidy_bound(value: Decimal) -> Decimal:
    """A tier bound as typed: 100000, not 100000.000000."""
    normal = value.normalize()
    return normal.quantize(Decimal(1)) if normal == normal.to_integral_value() else normal


class RateCardQuerySet(models.QuerySet["RateCardVersion"]):
    def in_effect(self, on: datetime.date | None = None) -> RateCardQuerySet:
        """Versions whose effective date has come, newest first."""
        day = on or timezone.localdate()
        return self.filter(effective_date__lte=day).order_by("-effective_date", "-version")

    def current(self, slug: str, on: datetime.date | None = None) -> RateCardVersion | None:
        return self.filter(slug=slug).in_effect(on).first()


class RateCardVersion(models.Model):
    """One version of a rate card. A price change is a new version with a later effective date,
    so a quote pinned to a version never changes under a customer's feet."""

    slug = models.SlugField(help_text="How scenarios and the API name this card.")
    name = models.CharField(max_length=200)
    version = models.PositiveIntegerField(default=1)
    effective_date = models.DateField(
        default=datetime.date.today,
        help_text="The version in effect is the one with the latest effective date not in the future.",
    )
    currency = models.CharField(max_length=3, default="USD", help_text="ISO 4217 code, e.g. USD.")
    increment_seconds = models.PositiveIntegerField(
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(86_400)],
        help_text="Each billed interval is rounded up to a multiple of this.",
    )
    minimum_seconds = models.PositiveIntegerField(
        default=0,
        validators=[MaxValueValidator(86_400)],
        help_text="Each billed interval bills at least this much.",
    )
    description = models.TextField(blank=True)
    # A deal's terms beyond rates and tiers, as a card document gives them (TERM_FIELDS):
    # what is rounded, tier modes, a monthly minimum, add-on meters, fees.
    terms = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            'Deal terms as JSON, as a rate card document gives them: "rounding" (interval, '
            'session or month), "tier_modes", "monthly_minimum", "addons" and "fees". '
            "See docs/documents.md, Rate cards."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Touched whenever the version or one of its rates or tiers changes: the key of the
    # in-process cache of engine cards (billing/cards.py).
    updated_at = models.DateTimeField(auto_now=True)

    objects = RateCardQuerySet.as_manager()

    class Meta:
        ordering = ["slug", "-effective_date", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["slug", "version"], name="unique_card_version")
        ]
        verbose_name = "rate card version"

    def __str__(self) -> str:
        return f"{self.name} ({self.slug} v{self.version}, from {self.effective_date})"

    def clean(self) -> None:
        code = self.currency or ""
        if not (len(code) == 3 and code.isascii() and code.isalpha()):
            raise ValidationError({"currency": "Enter a three-letter code such as USD."})
        self.currency = code.upper()

    def card_document(self, *, orphan_tiers: bool = True) -> dict[str, Any]:
        """This version's rates and tiers, as stored, as the engine reads a card. Without
        `orphan_tiers`, the tiers of a meter with no rate are left out, as pricing always
        left them out (the admin no longer stores them: `validate_card`)."""
        rates = {rate.meter: rate.rate for rate in self.rates.all()}
        tiers: dict[str, list[tuple[Decimal | None, Decimal]]] = {}
        for tier in self.tiers.all():
            if orphan_tiers or tier.meter in rates:
                tiers.setdefault(tier.meter, []).append((tier.up_to, tier.rate))
        document = stored_card_document(
            self.currency, self.increment_seconds, self.minimum_seconds, rates, tiers
        )
        return {**document, **card_terms(self.terms)}

    def validate_card(self) -> None:
        """Ask the engine about this version as stored (its rates and tiers in the database)
        with every rule and limit of a card entering now; ValidationError with the engine's
        messages. The admin asks the same of its forms before anything is stored."""
        try:
            read_rate_card(self.card_document(), path="", tiers_need_rates=True)
        except ScenarioError as error:
            raise ValidationError([str(problem) for problem in error.problems]) from None

    def to_engine(self) -> RateCard:
        """The engine's card, read as it was stored (`read_snapshot`): rules that change later
        do not stop a card that was accepted from pricing."""
        return read_snapshot(
            {
                "slug": self.slug,
                "name": self.name,
                "version": self.version,
                "effective_date": self.effective_date.isoformat(),
                **self.card_document(orphan_tiers=False),
            }
        )


# The card document's fields a version keeps in `terms` (the rest are columns and rows).
TERM_FIELDS = ("rounding", "tier_modes", "monthly_minimum", "addons", "fees")


def card_terms(terms: object) -> dict[str, Any]:
    """A version's stored terms, those fields only (the admin stores nothing else)."""
    if not isinstance(terms, dict):
        return {}
    return {key: value for key, value in terms.items() if key in TERM_FIELDS}


def tier_order(up_to: Decimal | None) -> tuple[bool, Decimal]:
    """Tiers by their bounds, the open one last: the order the engine reads them in."""
    return (up_to is None, up_to or Decimal(0))


def stored_card_document(
    currency: str,
    increment_seconds: int,
    minimum_seconds: int,
    rates: Mapping[str, Decimal],
    tiers: Mapping[str, Iterable[tuple[Decimal | None, Decimal]]],
) -> dict[str, Any]:
    """A card's fields as stored in the database (or as typed in the admin's forms) as the
    engine's card document (ratecard.read_rate_card): each meter's tiers in order."""
    document: dict[str, Any] = {
        "currency": currency,
        "increment_seconds": increment_seconds,
        "minimum_seconds": minimum_seconds,
        "rates": {meter: f"{tidy(rate):f}" for meter, rate in rates.items()},
    }
    graduated = {
        meter: [
            {
                "up_to": None if up_to is None else f"{tidy_bound(up_to):f}",
                "rate": f"{tidy(rate):f}",
            }
            for up_to, rate in sorted(meter_tiers, key=lambda tier: tier_order(tier[0]))
        ]
        for meter, meter_tiers in tiers.items()
    }
    if graduated:
        document["tiers"] = graduated
    return document


class MeterRate(models.Model):
    card = models.ForeignKey(RateCardVersion, on_delete=models.CASCADE, related_name="rates")
    meter = models.CharField(max_length=40, choices=METER_CHOICES)
    rate = models.DecimalField(
        max_digits=22,
        decimal_places=12,
        validators=NON_NEGATIVE,
        help_text="Per minute. With tiers, a single session is priced at the first tier's rate.",
    )

    class Meta:
        ordering = ["meter"]
        constraints = [models.UniqueConstraint(fields=["card", "meter"], name="unique_meter_rate")]

    def __str__(self) -> str:
        return f"{self.meter}: {tidy(self.rate)}"


class TierRate(models.Model):
    """A graduated tier of a meter's monthly minutes; the last tier of a meter is open (no bound)."""

    card = models.ForeignKey(RateCardVersion, on_delete=models.CASCADE, related_name="tiers")
    meter = models.CharField(max_length=40, choices=METER_CHOICES)
    up_to = models.DecimalField(
        max_digits=22,
        decimal_places=6,
        null=True,
        blank=True,
        validators=NON_NEGATIVE,
        help_text="Monthly minutes this tier reaches; leave empty for the last, open tier.",
    )
    rate = models.DecimalField(max_digits=22, decimal_places=12, validators=NON_NEGATIVE)

    class Meta:
        ordering = ["meter", models.F("up_to").asc(nulls_last=True)]
        verbose_name = "tier"

    def __str__(self) -> str:
        bound = "and above" if self.up_to is None else f"up to {self.up_to}"
        return f"{self.meter} {bound}: {tidy(self.rate)}"


def touch_card(
    sender: type[models.Model], instance: MeterRate | TierRate, **kwargs: object
) -> None:
    RateCardVersion.objects.filter(pk=instance.card_id).update(updated_at=timezone.now())


for _model in (MeterRate, TierRate):
    models.signals.post_save.connect(touch_card, sender=_model)
    models.signals.post_delete.connect(touch_card, sender=_model)
