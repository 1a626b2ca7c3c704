"""A second version of the default card: the same sample rates and tiers, with clearly
labelled sample add-ons and fees, so that a new user sees deal terms working. Installed only
while the default card is still the sample card as 0002 installed it (a card someone changed
is theirs: left alone). A new version, not a change to version 1: quotes pinned to version 1
keep their card."""

import datetime

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from billing.migrations import _samples

SAMPLE_TERMS = {
    "addons": {
        "composed_archive_minutes": {
            "label": "Composed archive (sample add-on)",
            "rate": "0.0100",
        },
        "audio_connector_minutes": {
            "label": "Audio connector (sample add-on)",
            "rate": "0.0040",
        },
    },
    "fees": {
        "alexa_device": {
            "label": "Provisioned Alexa device, Device Service (sample fee)",
            "per": "month",
            "price": "2.00",
        },
        "sip_core": {
            "label": "SIP Core trunk (sample fee)",
            "per": "month",
            "price": "25.00",
        },
    },
}


def install(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Card = apps.get_model("billing", "RateCardVersion")
    versions = list(Card.objects.filter(slug="default").order_by("-version"))
    if len(versions) != 1 or versions[0].version != 1:
        return
    first = versions[0]
    rates = {r.meter: f"{r.rate.normalize():f}" for r in first.rates.all()}
    tiers = {
        (t.meter, None if t.up_to is None else f"{t.up_to.normalize():f}", f"{t.rate.normalize():f}")
        for t in first.tiers.all()
    }
    if not _samples.is_sample(first, rates, tiers):
        return
    card = Card.objects.create(
        slug="default",
        name="Sample list prices with sample deal terms (illustrative, not real prices)",
        version=2,
        effective_date=datetime.date(2026, 11, 1),
        currency=first.currency,
        increment_seconds=first.increment_seconds,
        minimum_seconds=first.minimum_seconds,
        description=(
            "The sample rates of version 1, with sample add-ons (composed archiving, an audio "
            "connector) and sample fees (a provisioned Alexa device, a SIP Core trunk), so that "
            "the app shows deal terms working. Not anyone's real prices: change them in the "
            "admin, or add your own card."
        ),
        terms=SAMPLE_TERMS,
    )
    for rate in first.rates.all():
        card.rates.create(meter=rate.meter, rate=rate.rate)
    for tier in first.tiers.all():
        card.tiers.create(meter=tier.meter, up_to=tier.up_to, rate=tier.rate)


def remove(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("billing", "RateCardVersion").objects.filter(slug="default", version=2).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0004_card_terms")]
    operations = [migrations.RunPython(install, remove)]
