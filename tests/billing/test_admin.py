"""Rate cards in the admin: one validation of a card, the engine's, through the add and change
views as a superuser uses them; each problem beside the field it names; nothing stored."""

from decimal import Decimal

import pytest
from django.contrib.admin.sites import AdminSite
from django.core.exceptions import ValidationError
from django.test import Client

from billing.admin import RateCardVersionAdmin
from billing.engine import Meter
from billing.models import RateCardVersion

pytestmark = pytest.mark.django_db
ADD = "/admin/billing/ratecardversion/add/"
VOICE = "voice_call_minutes"


def card_data(rates=((VOICE, "0.004"),), tiers=(), **fields):
    """The add form's POST: the version's fields, then its rates and tiers inlines."""
    data = {
        "slug": "z",
        "name": "Z",
        "version": "1",
        "effective_date": "2026-01-01",
        "currency": "USD",
        "increment_seconds": "60",
        "minimum_seconds": "0",
        "description": "",
        "rates-TOTAL_FORMS": str(len(rates)),
        "rates-INITIAL_FORMS": "0",
        "tiers-TOTAL_FORMS": str(len(tiers)),
        "tiers-INITIAL_FORMS": "0",
    }
    for n, (meter, rate) in enumerate(rates):
        data |= {f"rates-{n}-meter": meter, f"rates-{n}-rate": rate}
    for n, (meter, up_to, rate) in enumerate(tiers):
        data |= {f"tiers-{n}-meter": meter, f"tiers-{n}-up_to": up_to, f"tiers-{n}-rate": rate}
    data.update(fields)
    return data


@pytest.fixture
def admin(admin_user):
    client = Client()
    client.force_login(admin_user)
    return client


def inline_errors(response, prefix):
    """(form index, field, message) of one inline's forms, and its formset's own messages."""
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        if formset.prefix == prefix:
            fields = [
                (n, name, message)
                for n, form in enumerate(formset.forms)
                for name, messages in form.errors.items()
                for message in messages
            ]
            return fields, list(formset.non_form_errors())
    raise AssertionError(prefix)


def refused(response):
    assert response.status_code == 200, response.status_code
    assert not RateCardVersion.objects.filter(slug="z").exists()
    return response


def test_admin_saves_a_valid_card(admin):
    response = admin.post(ADD, card_data())
    assert response.status_code == 302
    card = RateCardVersion.objects.current("z").to_engine()
    assert card.price_of(Meter.VOICE_CALL).rate == Decimal("0.0040")


def test_admin_saves_a_tiered_card_whatever_the_order_of_its_rows(admin):
    tiers = ((VOICE, "", "0.003"), (VOICE, "1000", "0.004"))
    response = admin.post(ADD, card_data(tiers=tiers))
    assert response.status_code == 302
    price = RateCardVersion.objects.current("z").to_engine().price_of(Meter.VOICE_CALL)
    assert [t.up_to for t in price.tiers] == [Decimal(1000), None]


def test_admin_offers_save_as_new_version():
    assert RateCardVersionAdmin(RateCardVersion, AdminSite()).save_as is True


# -- Cards the engine refuses, refused where they are stored (issue 12, B2) -------------------


def test_a_rate_over_the_engines_maximum_is_refused_beside_the_rate(admin):
    response = refused(admin.post(ADD, card_data(rates=((VOICE, "2000000"),))))
    fields, _ = inline_errors(response, "rates")
    assert fields == [(0, "rate", "a rate must be at most 1,000,000 (got 2000000.0000)")]


def test_a_tier_bound_over_the_engines_maximum_is_refused_beside_the_bound(admin):
    tiers = ((VOICE, "5000000000000000", "0.004"), (VOICE, "", "0.003"))
    response = refused(admin.post(ADD, card_data(tiers=tiers)))
    fields, _ = inline_errors(response, "tiers")
    assert fields == [
        (0, "up_to", "a tier bound must be at most 1,000,000,000,000,000 (got 5000000000000000)")
    ]


def test_more_tiers_than_the_engine_takes_are_refused_naming_the_meter(admin):
    tiers = [(VOICE, str(1000 * (n + 1)), "0.004") for n in range(50)] + [(VOICE, "", "0.003")]
    response = refused(admin.post(ADD, card_data(tiers=tiers)))
    _, general = inline_errors(response, "tiers")
    assert general == ["Voice call minutes: at most 50 tiers are allowed (got 51)"]


@pytest.mark.parametrize(
    ("tiers", "where", "message"),
    [
        (
            [("100", "0.004"), ("100", "0.003"), ("", "0.002")],
            (1, "up_to"),
            "tiers must be in increasing order: 100 does not exceed 100",
        ),
        ([("0", "0.004"), ("", "0.003")], (0, "up_to"), "a tier bound must be more than 0"),
        (
            [("100", "0.004"), ("200", "0.003")],
            (1, "up_to"),
            'the last tier must be open ("up_to": null) so every quantity has a rate',
        ),
        (
            [("", "0.004"), ("", "0.003")],
            (0, "up_to"),
            "only the last tier may be open (null)",
        ),
        (
            [("100", "0.005"), ("", "0.003")],
            None,
            "must equal the first tier's rate (0.0050), which prices a single session",
        ),
    ],
)
def test_tiers_the_engine_refuses_are_refused_beside_the_tier(admin, tiers, where, message):
    rows = [(VOICE, up_to, rate) for up_to, rate in tiers]
    response = refused(admin.post(ADD, card_data(tiers=rows)))
    tier_fields, general = inline_errors(response, "tiers")
    rate_fields, _ = inline_errors(response, "rates")
    if where is None:  # the meter's own rate is at fault
        assert rate_fields == [(0, "rate", message)]
    else:
        assert (*where, message) in tier_fields
    assert general  # the admin says the card was not saved


def test_tiers_for_a_meter_with_no_rate_are_refused(admin):
    tiers = (("video_call_minutes", "100", "0.01"), ("video_call_minutes", "", "0.009"))
    response = refused(admin.post(ADD, card_data(tiers=tiers)))
    _, general = inline_errors(response, "tiers")
    assert general == [
        "Video call minutes: has tiers but no rate: give the meter its rate (the first "
        "tier's rate), or remove its tiers"
    ]


def test_two_rates_for_one_meter_are_refused(admin):
    response = refused(admin.post(ADD, card_data(rates=((VOICE, "0.004"), (VOICE, "0.005")))))
    _, general = inline_errors(response, "rates")
    assert general == ["Voice call minutes has more than one rate."]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("rates-0-rate", "1_0"),
        ("rates-0-rate", "١٠"),
        ("rates-0-rate", "1e-3"),
        ("rates-0-rate", "NaN"),
        ("rates-0-rate", "0.0000000000001"),
        ("rates-0-rate", "-1"),
        ("increment_seconds", "6_0"),
        ("increment_seconds", "٦٠"),
        ("version", "1e3"),
    ],
)
def test_numbers_are_typed_as_digits_and_a_point(admin, field, value):
    response = refused(admin.post(ADD, card_data(**{field: value})))
    assert "errornote" in response.content.decode()


def test_the_change_view_refuses_what_the_engine_refuses_and_keeps_the_stored_card(admin):
    admin.post(ADD, card_data())
    version = RateCardVersion.objects.get(slug="z")
    rate = version.rates.get()
    data = card_data(rates=((VOICE, "2000000"),))
    data |= {
        "rates-INITIAL_FORMS": "1",
        "rates-0-id": str(rate.pk),
        "rates-0-card": str(version.pk),
    }
    response = admin.post(f"/admin/billing/ratecardversion/{version.pk}/change/", data)
    assert response.status_code == 200
    fields, _ = inline_errors(response, "rates")
    assert fields == [(0, "rate", "a rate must be at most 1,000,000 (got 2000000.0000)")]
    assert version.rates.get().rate == Decimal("0.004")


def test_a_stored_card_can_be_checked_outside_the_admin():
    version = RateCardVersion.objects.create(slug="shell", name="Made in a shell")
    version.rates.create(meter=VOICE, rate=Decimal(2_000_000))
    for n in range(51):
        version.tiers.create(meter="video_call_minutes", up_to=Decimal(n + 1), rate=Decimal(1))
    with pytest.raises(ValidationError) as refusal:
        version.validate_card()
    assert refusal.value.messages == [
        "rates.voice_call_minutes: a rate must be at most 1,000,000 (got 2000000.0000)",
        "tiers.video_call_minutes: has tiers but no rate: give the meter its rate (the first "
        "tier's rate), or remove its tiers",
        "tiers.video_call_minutes: at most 50 tiers are allowed (got 51)",
    ]
    RateCardVersion.objects.current("default").validate_card()  # the sample card is fine


def test_deleting_a_tier_is_judged_with_the_tiers_that_stay(admin):
    tiers = ((VOICE, "1000", "0.004"), (VOICE, "", "0.003"))
    assert admin.post(ADD, card_data(tiers=tiers)).status_code == 302
    version = RateCardVersion.objects.get(slug="z")
    rate, (bounded, open_tier) = version.rates.get(), version.tiers.all()
    data = card_data(tiers=tiers)
    data |= {"rates-INITIAL_FORMS": "1", "rates-0-id": str(rate.pk)}
    data |= {
        "tiers-INITIAL_FORMS": "2",
        "tiers-0-id": str(bounded.pk),
        "tiers-1-id": str(open_tier.pk),
    }
    data["tiers-1-DELETE"] = "on"  # the open tier: the one left would end the card
    response = admin.post(f"/admin/billing/ratecardversion/{version.pk}/change/", data)
    assert response.status_code == 200
    fields, _ = inline_errors(response, "tiers")
    assert fields == [
        (0, "up_to", 'the last tier must be open ("up_to": null) so every quantity has a rate')
    ]
    assert version.tiers.count() == 2


def test_admin_saves_a_cards_deal_terms_and_the_engine_prices_with_them(admin):
    terms = (
        '{"rounding": "session", "monthly_minimum": "50",'
        ' "addons": {"archive": {"label": "Archive", "rate": "0.01"}},'
        ' "fees": {"device": {"label": "Device", "per": "month", "price": "2"}}}'
    )
    response = admin.post(ADD, card_data(terms=terms))
    assert response.status_code == 302
    card = RateCardVersion.objects.current("z").to_engine()
    assert card.rounding == "session"
    assert card.monthly_minimum == Decimal("50")
    assert card.addons["archive"].label == "Archive"
    assert card.fees["device"].price == Decimal("2")


@pytest.mark.parametrize(
    ("terms", "words"),
    [
        ('{"rounding": "daily"}', "rounding: must be one of interval, session, month"),
        ('{"monthly_minimum": "-5"}', "monthly_minimum"),
        ('{"fees": {"device": {"per": "year", "price": "2"}}}', "fees.device.per"),
        ('{"addons": {"voice_call_minutes": {"rate": "1"}}}', "is a built-in meter"),
        ('{"rates": {"voice_call_minutes": "1"}}', "Not a term: rates"),
        ('["rounding"]', "Give the terms as a JSON object"),
        ("{not json", "Enter a valid JSON"),
    ],
)
def test_admin_refuses_bad_terms_beside_the_field(admin, terms, words):
    response = refused(admin.post(ADD, card_data(terms=terms)))
    errors = " ".join(str(e) for e in response.context["adminform"].form.errors.get("terms", []))
    assert words in errors, errors
