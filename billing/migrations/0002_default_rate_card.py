"""Install the default rate card, with plainly labelled sample rates, so the app shows numbers at once."""

import datetime
from decimal import Decimal

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SAMPLE_RATES = {
    "voice_call_minutes": "0.0040",
    "video_call_minutes": "0.0100",
    "recording_minutes": "0.0025",
    "monitoring_minutes": "0.0020",
    "participant_minutes": "0.0040",
    "subscribed_minutes": "0.0015",
    "sip_interconnect_minutes": "0.0035",
}
SAMPLE_TIERS = {
    "voice_call_minutes": [("100000", "0.0040"), (None, "0.0032")],
    "participant_minutes": [("1000000", "0.0040"), (None, "0.0034")],
}


def install(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Card = apps.get_model("billing", "RateCardVersion")
    if Card.objects.filter(slug="default").exists():
        return
    card = Card.objects.create(
        slug="default",
        name="Sample list prices (illustrative, not real prices)",
        version=1,
        effective_date=datetime.date(2026, 1, 1),
        currency="USD",
        increment_seconds=60,
        minimum_seconds=0,
        description=(
            "Sample rates installed with the app so that it shows numbers straight away. "
            "They are not anyone's real prices: change them in the admin, or add your own card."
        ),
    )
    for meter, rate in SAMPLE_RATES.items():
        card.rates.create(meter=meter, rate=Decimal(rate))
    for meter, tiers in SAMPLE_TIERS.items():
        for up_to, rate in tiers:
            card.tiers.create(
                meter=meter, up_to=None if up_to is None else Decimal(up_to), rate=Decimal(rate)
            )


def remove(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    apps.get_model("billing", "RateCardVersion").objects.filter(slug="default", version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("billing", "0001_initial")]
    operations = [migrations.RunPython(install, remove)]
