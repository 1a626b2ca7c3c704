"""Signing in is throttled per account name and per address, on the site and in the admin."""

import pytest
from django.contrib.auth.models import User
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    """A hundred checks of a real password hash take a minute; these tests count attempts."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def account():
    return User.objects.create_user("sam", password="right-password-1", is_staff=True)


def sign_in(client, password, username="sam", url="/accounts/login/"):
    return client.post(url, {"username": username, "password": password})


def test_a_hundred_wrong_passwords_are_not_all_answered(account):
    client = Client()
    statuses = [sign_in(client, f"guess-{n}").status_code for n in range(100)]
    assert statuses[:10] == [200] * 10  # the form again: wrong password
    assert set(statuses[10:]) == {429}


def test_a_paused_account_is_refused_even_with_the_right_password_and_says_why(account):
    client = Client()
    for n in range(10):
        sign_in(client, f"guess-{n}")
    response = sign_in(client, "right-password-1")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    page = response.content.decode()
    assert "Too many wrong passwords for this account" in page
    assert "Try again in" in page
    assert "_auth_user_id" not in client.session


def test_the_pause_holds_from_every_address_and_for_any_case_of_the_name(account, settings):
    settings.TRUST_X_FORWARDED_FOR = True
    for n in range(10):
        sign_in(Client(HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"), f"guess-{n}")
    elsewhere = Client(HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert sign_in(elsewhere, "right-password-1", username="SAM").status_code == 429


def test_a_right_password_ends_a_streak(account):
    client = Client()
    for n in range(9):
        sign_in(client, f"guess-{n}")
    assert sign_in(client, "right-password-1").status_code == 302
    other = Client()
    statuses = [sign_in(other, f"again-{n}").status_code for n in range(10)]
    assert statuses == [200] * 10  # a new streak of ten


def test_an_address_trying_many_names_is_refused(settings):
    client = Client()
    statuses = [sign_in(client, "pw", username=f"user{n}").status_code for n in range(31)]
    assert statuses[:30] == [200] * 30
    response = sign_in(client, "pw", username="someone-else")
    assert response.status_code == 429
    assert "Too many sign-in attempts from your network" in response.content.decode()
    # Another address may still sign in.
    settings.TRUST_X_FORWARDED_FOR = True
    assert sign_in(Client(HTTP_X_FORWARDED_FOR="203.0.113.1"), "pw").status_code == 200


def test_the_admin_sign_in_is_throttled_too(account):
    client = Client()
    statuses = [
        sign_in(client, f"guess-{n}", url="/admin/login/?next=/admin/").status_code
        for n in range(11)
    ]
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    assert (
        "Too many wrong passwords for this account"
        in sign_in(client, "right-password-1", url="/admin/login/").content.decode()
    )


def test_signing_in_still_works(account):
    client = Client()
    response = sign_in(client, "right-password-1")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(account.pk)
