"""Browser tests: Playwright driving Debian's Chromium against a live server.

Install the browser with `apt-get install chromium` (`.ci/run` does). Without it these tests
skip, except under CI=true, where a missing browser is a failure.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

# Playwright's sync API keeps an event loop running in the test thread, which Django's ORM
# takes for an async context; the database work here is plain synchronous test set-up.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    path = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if path:
        return path
    message = f"Chromium not found at {CHROMIUM}: install it with `apt-get install chromium`"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    path = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture
def default_card(default_card_installed: None) -> None:
    """Live-server tests flush the database between tests; the default card is put back."""


@pytest.fixture
def console_errors() -> list[str]:
    return []


def _page(browser, console_errors, live_server, **options):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, **options)
    page = context.new_page()
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console_errors.append(str(e)))
    page.set_default_timeout(10_000)
    page.base_url = live_server.url
    return context, page


@pytest.fixture
def page(browser, console_errors, live_server, default_card):  # type: ignore[no-untyped-def]
    # The tests read the page's state with evaluated expressions, which the site's Content
    # Security Policy forbids; test_security.py drives the pages with the policy enforced.
    context, page = _page(browser, console_errors, live_server, bypass_csp=True)
    yield page
    context.close()


@pytest.fixture
def page_without_js(browser, live_server, default_card):  # type: ignore[no-untyped-def]
    context, page = _page(browser, [], live_server, java_script_enabled=False)
    yield page
    context.close()


@pytest.fixture
def strict_page(browser, console_errors, live_server, default_card):  # type: ignore[no-untyped-def]
    """A page with the Content Security Policy enforced; a violation is a console error."""
    context, page = _page(browser, console_errors, live_server)
    yield page
    context.close()
