"""Hostile rate cards in the admin: any field of a version and its rates and tiers. The admin
answers its form with the messages; every card it stores passes the engine's check; the
default card is untouched."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from hypothesis import given, settings

from billing.models import RateCardVersion
from tests.billing.test_admin import ADD, VOICE, card_data
from tests.hostile.conftest import (
    EXAMPLES,
    HostileClient,
    answered,
    assert_nothing_stored_wrong,
    hostile,
)
from tests.hostile.strategies import spoiled_form

pytestmark = pytest.mark.django_db

TIERED_CARD = card_data(
    rates=((VOICE, "0.004"), ("recording_minutes", "0.0025")),
    tiers=((VOICE, "100000", "0.004"), (VOICE, "", "0.0032")),
)
CARD_EXTRA = ["tiers-2-meter", "tiers-2-up_to", "tiers-2-rate", "rates-2-meter", "_saveasnew"]


def superuser_client():
    user, _ = User.objects.get_or_create(
        username="admin", defaults={"is_staff": True, "is_superuser": True}
    )
    client = HostileClient()
    client.force_login(user)
    return client


def default_card():
    version = RateCardVersion.objects.current("default")
    return version.card_document(), version.updated_at


@settings(hostile, max_examples=max(10, EXAMPLES // 3))  # the admin's page is slow to draw
@given(spoiled_form(TIERED_CARD, CARD_EXTRA))
def test_the_admin_stores_only_cards_the_engine_takes(data):
    before = default_card()
    response = answered("admin rate card", superuser_client().post_form(ADD, data))
    assert response.status_code in (200, 302)
    assert_nothing_stored_wrong()
    assert default_card() == before
