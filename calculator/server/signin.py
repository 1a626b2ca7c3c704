"""Signing in, throttled per account name and per address, on both sign-in pages (the site's
and the admin's).

- An account name that gets `signin-account` wrong passwords in a sliding window is paused,
  from every address, until the count slides under the limit: a guesser gets a handful of
  tries a quarter of an hour, never a hundred in a row. A right password ends the streak.
- An address may make `signin-address` attempts in the window, whatever the names it tries.

A paused sign-in is refused before the password is looked at (so a refusal says nothing about
the password), with the reason and the wait, as a 429 with `Retry-After`. Names are paused
whether or not an account has them, so a refusal does not tell which names exist either.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase

from calculator.server.ratelimit import Sliding, client_address


def account_limit(username: str) -> Sliding:
    # Names are compared as Django's form normalises them, and without case: "Admin" and
    # "admin" share one streak. Hashed, so the counters hold no names.
    name = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    limit, window = settings.RATE_LIMITS["signin-account"]
    return Sliding("signin-account", name, limit, window)


def address_limit(request: HttpRequest) -> Sliding:
    limit, window = settings.RATE_LIMITS["signin-address"]
    return Sliding("signin-address", client_address(request), limit, window)


def in_minutes(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


class ThrottledSignIn(AuthenticationForm):
    """The sign-in form, refusing before the password is checked when the account name or
    the address has had too many tries; `retry_after` then says how long to wait."""

    retry_after: int | None = None

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        assert self.request is not None  # the sign-in views always pass it
        account, address = account_limit(username), address_limit(self.request)
        if wait := account.wait():
            self.retry_after = wait
            raise ValidationError(
                "Too many wrong passwords for this account: signing in to it is paused "
                f"for safety. Try again in {in_minutes(wait)}.",
                code="throttled",
            )
        if wait := address.wait():
            self.retry_after = wait
            raise ValidationError(
                f"Too many sign-in attempts from your network. Try again in {in_minutes(wait)}.",
                code="throttled",
            )
        address.add()
        try:
            cleaned = super().clean()
        except ValidationError as error:
            if error.code == "invalid_login":
                account.add()
            raise
        if self.user_cache is not None:
            account.reset()
        return cleaned


class ThrottledAdminSignIn(ThrottledSignIn, AdminAuthenticationForm):
    """The admin's sign-in form (staff only), throttled the same way."""


View = Callable[..., HttpResponseBase]


def answers_429_when_throttled(view: View) -> View:
    """The sign-in page, with status 429 and `Retry-After` when its form was refused for too
    many tries (the page is the same, its message says why)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        context = getattr(response, "context_data", None) or {}
        wait = getattr(context.get("form"), "retry_after", None)
        if wait:
            response.status_code = 429
            response["Retry-After"] = str(wait)
        return response

    return wrapper
