"""Rate cards as stored and edited in the admin; `to_engine` is the one place they become engine types."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from billing.engine import Meter, MeterPrice, RateCard, Tier

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

    def to_engine(self) -> RateCard:
        tiers: dict[str, list[Tier]] = {}
        for tier in self.tiers.all():
            tiers.setdefault(tier.meter, []).append(
                Tier(None if tier.up_to is None else tidy_bound(tier.up_to), tidy(tier.rate))
            )
        prices: dict[Meter, MeterPrice] = {}
        for rate in self.rates.all():
            graduated = tuple(sorted(tiers.get(rate.meter, []), key=_tier_order))
            first = graduated[0].rate if graduated else tidy(rate.rate)
            prices[Meter(rate.meter)] = MeterPrice(first, graduated)
        return RateCard(
            currency=self.currency,
            increment_seconds=self.increment_seconds,
            minimum_seconds=self.minimum_seconds,
            prices=prices,
            name=self.name,
            slug=self.slug,
            version=self.version,
            effective_date=self.effective_date,
        )


def _tier_order(tier: Tier) -> tuple[bool, Decimal]:
    return (tier.up_to is None, tier.up_to or Decimal(0))


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
