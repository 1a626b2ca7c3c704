"""The hostile-input suite: every attempt is counted, by entry point, with every answer that was
a server error (5xx) or showed a traceback; the counts are printed at the end of the run (and
written as JSON to $HOSTILE_REPORT if set), for notes and reviews.

HOSTILE_SURVEY=1 records server errors without failing on them, to measure a version of the
app (say, before a fix) over the same inputs: `HOSTILE_SURVEY=1 pytest tests/hostile`.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
import traceback
import urllib.parse
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.http import HttpResponse
from django.test import Client
from hypothesis import HealthCheck, currently_in_test_context, reject, settings

SURVEY = os.environ.get("HOSTILE_SURVEY") == "1"
# Examples per hypothesis test: HOSTILE_EXAMPLES=1000 for a long hunt.
EXAMPLES = int(os.environ.get("HOSTILE_EXAMPLES", "100"))
hostile = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,  # surveying an old version rejects what answered 500
    ],
)


class Tally:
    def __init__(self) -> None:
        self.attempts: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self.first: dict[str, str] = {}

    def record(self, entry: str, error: str | None) -> None:
        self.attempts[entry] += 1
        if error is not None:
            self.errors[entry] += 1
            self.first.setdefault(entry, error)
            if not SURVEY:
                raise AssertionError(f"{entry}: {error}")
            # Surveying: counted, and the other checks of this example are skipped (the
            # tests of classes check nothing else when surveying, and go on).
            if currently_in_test_context():
                reject()

    def report(self) -> dict[str, Any]:
        return {
            "attempts": sum(self.attempts.values()),
            "server_errors": sum(self.errors.values()),
            "by_entry_point": {
                entry: {"attempts": self.attempts[entry], "server_errors": self.errors[entry]}
                for entry in sorted(self.attempts)
            },
            "first_error": self.first,
        }


TALLY = Tally()


def answered(entry: str, response: HttpResponse) -> HttpResponse:
    """Count one request; a server error or a traceback in the page is a failure."""
    body = b"" if response.streaming else response.content
    error = None
    if response.status_code >= 500:
        error = f"answered {response.status_code}: {body[:300]!r}"
    elif b"Traceback (most recent call last)" in body:
        error = f"showed a traceback ({response.status_code})"
    TALLY.record(entry, error)
    return response


def ran(entry: str, command: Callable[[], Any], expected: tuple[type[BaseException], ...]) -> None:
    """Count one run of a command; an exception it should not raise is a failure."""
    try:
        command()
    except expected:
        pass
    except Exception as error:  # what a person would see as a traceback
        TALLY.record(entry, "".join(traceback.format_exception_only(error)).strip()[:300])
        return
    TALLY.record(entry, None)


def command_answered(entry: str, command: str, suffix: str, body: bytes, text: bool) -> None:
    """A management command run on `body` as a file: a result or its problems (CommandError),
    never a traceback; its output written as a terminal's (UTF-8, strict: a lone surrogate
    cannot be printed), with or without --text."""
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as file:
        file.write(body)
    try:
        out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
        options = {"text": True} if text else {}
        ran(
            entry,
            lambda: call_command(command, file.name, stdout=out, stderr=err, **options),
            (CommandError,),
        )
        out.flush()
        err.flush()
    finally:
        os.unlink(file.name)


class HostileClient(Client):
    """A test client that answers a view's exception as the server would (a 500 page) rather
    than raising it, starts every request with no rate limit used, and can send form fields
    holding lone surrogates, as raw bytes in the body (Django decodes them as U+FFFD)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(raise_request_exception=False, **kwargs)

    def request(self, **request: Any) -> Any:
        cache.clear()  # what is cached of earlier answers
        return super().request(**request)

    def post_form(self, path: str, data: dict[str, str], **extra: Any) -> Any:
        body = urllib.parse.urlencode(data, errors="surrogatepass")
        return self.post(path, body, content_type="application/x-www-form-urlencoded", **extra)

    def post_json_form(self, path: str, data: dict[str, str], **extra: Any) -> Any:
        return self.post(
            path,
            json.dumps(data),
            content_type="application/json",
            HTTP_HX_REQUEST="true",
            HTTP_X_FORM_ENCODING="json",
            **extra,
        )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY.attempts:
        return
    report = TALLY.report()
    write = terminalreporter.write_line
    terminalreporter.section("hostile inputs")
    for entry, counts in report["by_entry_point"].items():
        write(f"{entry:<32} {counts['attempts']:>6} attempts {counts['server_errors']:>6} 5xx")
    write(
        f"{'all entry points':<32} {report['attempts']:>6} attempts {report['server_errors']:>6} 5xx"
    )
    for entry, error in report["first_error"].items():
        write(f"  first at {entry}: {error}")
    if path := os.environ.get("HOSTILE_REPORT"):
        with open(path, "w", encoding="utf-8") as out:
            json.dump(report, out, indent=2)


@pytest.fixture(autouse=True)
def _no_rate_limits(settings: Any) -> None:
    """Hundreds of requests from one address in a test: the limits (tested on their own)
    would answer 429 before the input is even read."""
    settings.RATE_LIMITS = {
        scope: (10**12, window) for scope, (_, window) in settings.RATE_LIMITS.items()
    }


@pytest.fixture
def client() -> HostileClient:
    return HostileClient()


def assert_nothing_stored_wrong() -> None:
    """Every saved item reads and prices as the engine reads it, its name is text, and every
    stored rate card passes the engine's check: nothing was stored with an error in it."""
    if SURVEY:
        return
    from billing.engine import parse_estimate, parse_scenario
    from billing.engine.inputs import text_problem
    from billing.models import RateCardVersion
    from calculator.models import SavedScenario

    for saved in SavedScenario.objects.all():
        document = saved.document
        (parse_estimate if saved.is_estimate else parse_scenario)(document)
        saved.pinned_card  # noqa: B018 - reading it is the check
        assert text_problem(saved.name) is None, saved.name
    for version in RateCardVersion.objects.all():
        version.validate_card()
