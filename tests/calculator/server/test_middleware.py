"""The middleware and error handlers of calculator/server/middleware.py, called directly with a
RequestFactory request and a fake downstream, and the order settings.MIDDLEWARE puts them in.

Tests not marked django_db prove by passing that they never touch the database (pytest-django
refuses any query): the pages of a database that is down, of a missing page and of a client
out of CPU budget must not need it."""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import DatabaseError, OperationalError
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.test import RequestFactory
from django.urls import path, set_urlconf
from django.utils.module_loading import import_string
from django_htmx.middleware import HtmxDetails

from calculator.server import middleware
from calculator.server.middleware import (
    CpuBudgetMiddleware,
    DatabaseUnavailableMiddleware,
    SecurityHeadersMiddleware,
    ServerTimingMiddleware,
    from_htmx,
    missing_page,
    not_found,
    server_error,
)
from calculator.server.ratelimit import Sliding, heavy_marks

FACTORY = RequestFactory()
ADDRESS = "198.51.100.23"  # the factory's requests come from 127.0.0.1; this is another


class Downstream:
    """A fake get_response: records the requests it is given, returns `response` (a fresh
    200 by default) or raises `error`."""

    def __init__(self, response: HttpResponse | None = None, error: Exception | None = None):
        self.response = response
        self.error = error
        self.requests: list[HttpRequest] = []

    def __call__(self, request: HttpRequest) -> HttpResponse:
        self.requests.append(request)
        if self.error is not None:
            raise self.error
        return self.response if self.response is not None else HttpResponse("downstream")


def get(url: str = "/editor/", **extra: Any) -> HttpRequest:
    return FACTORY.get(url, **extra)


def clock(monkeypatch, **readings: list[float]) -> None:
    """The middleware's `time` module replaced: each named function gives its readings in
    turn (perf_counter, thread_time)."""
    import time

    functions: dict[str, Any] = {"perf_counter": time.perf_counter, "thread_time": time.thread_time}
    for name, values in readings.items():
        functions[name] = iter(values).__next__
    monkeypatch.setattr(middleware, "time", SimpleNamespace(**functions))


# -- ServerTimingMiddleware ------------------------------------------------------------------


def test_server_timing_reports_the_time_downstream_took(monkeypatch):
    clock(monkeypatch, perf_counter=[100.0, 100.0123456])
    response = HttpResponse("page")
    downstream = Downstream(response)
    request = get()
    answered = ServerTimingMiddleware(downstream)(request)
    assert answered is response
    assert downstream.requests == [request]
    assert answered["Server-Timing"] == "app;dur=12.346"


def test_server_timing_is_milliseconds_to_three_places_on_any_response():
    for response in (
        HttpResponse(status=404),
        HttpResponse(status=500),
        StreamingHttpResponse(iter([b"a", b"b"])),
    ):
        answered = ServerTimingMiddleware(Downstream(response))(get())
        assert re.fullmatch(r"app;dur=[0-9]+\.[0-9]{3}", answered["Server-Timing"])


# -- CpuBudgetMiddleware ---------------------------------------------------------------------


@pytest.fixture
def budget(settings) -> tuple[int, int]:
    """A CPU budget of 10 ms a minute."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "cpu": (10, 60)}
    return settings.RATE_LIMITS["cpu"]


def spent(address: str, budget: tuple[int, int]) -> bool:
    """Whether anything was charged to the address."""
    return Sliding("cpu", address, *budget).counted_lately()


def overspend(address: str, budget: tuple[int, int]) -> None:
    Sliding("cpu", address, *budget).add(10 * budget[0])


def test_a_request_under_budget_goes_on_and_its_cpu_time_is_charged(monkeypatch, budget):
    clock(monkeypatch, thread_time=[5.0, 5.0041])  # 4.1 ms: charged as 5, whole ms up
    downstream = Downstream()
    request = get(REMOTE_ADDR=ADDRESS)
    response = CpuBudgetMiddleware(downstream)(request)
    assert response.status_code == 200
    assert downstream.requests == [request]
    assert spent(ADDRESS, budget)
    assert Sliding("cpu", ADDRESS, *budget).wait() is None  # 5 of 10 ms
    clock(monkeypatch, thread_time=[7.0, 7.005])  # 5 ms more: the budget is used
    CpuBudgetMiddleware(downstream)(get(REMOTE_ADDR=ADDRESS))
    assert Sliding("cpu", ADDRESS, *budget).wait() is not None
    assert not spent("127.0.0.1", budget)


def test_an_address_over_budget_gets_a_429_page_and_nothing_runs(budget):
    overspend(ADDRESS, budget)
    downstream = Downstream()
    response = CpuBudgetMiddleware(downstream)(get(REMOTE_ADDR=ADDRESS))
    assert response.status_code == 429
    assert downstream.requests == []
    wait = int(response["Retry-After"])
    assert 1 <= wait <= 2 * budget[1]
    html = response.content.decode()
    assert "<h1>Too many requests just now</h1>" in html
    assert "used its share of the calculator&#x27;s computing time" in html
    assert "(0.01 seconds a minute)" in html
    assert f"Try again in {wait} seconds." in html
    # Anyone else goes on.
    assert CpuBudgetMiddleware(downstream)(get()).status_code == 200
    assert len(downstream.requests) == 1


def test_an_api_client_over_budget_gets_json(budget):
    overspend(ADDRESS, budget)
    response = CpuBudgetMiddleware(Downstream())(
        FACTORY.post("/api/estimate", "{}", content_type="application/json", REMOTE_ADDR=ADDRESS)
    )
    assert response.status_code == 429
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["error"].endswith(f"Try again in {response['Retry-After']} seconds.")
    assert body["problems"] == [{"path": "", "message": body["error"]}]


def test_the_health_check_is_never_refused_nor_charged(monkeypatch, budget):
    overspend(ADDRESS, budget)
    clock(monkeypatch, thread_time=[])  # reading the CPU clock would fail
    downstream = Downstream()
    response = CpuBudgetMiddleware(downstream)(get("/healthz", REMOTE_ADDR=ADDRESS))
    assert response.status_code == 200
    assert len(downstream.requests) == 1


def test_no_budget_counts_nothing(monkeypatch, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "cpu": (0, 60)}
    clock(monkeypatch, thread_time=[])
    downstream = Downstream()
    assert CpuBudgetMiddleware(downstream)(get(REMOTE_ADDR=ADDRESS)).status_code == 200
    assert len(downstream.requests) == 1
    assert not spent(ADDRESS, (0, 60))


def test_a_request_that_fails_is_charged_all_the_same(monkeypatch, budget):
    clock(monkeypatch, thread_time=[1.0, 1.003])
    downstream = Downstream(error=RuntimeError("the view failed"))
    with pytest.raises(RuntimeError, match="the view failed"):
        CpuBudgetMiddleware(downstream)(get(REMOTE_ADDR=ADDRESS))
    assert spent(ADDRESS, budget)


def test_a_request_of_heavy_cpu_marks_its_address_heavy(monkeypatch, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "cpu": (10_000, 60)}
    settings.HEAVY_REQUEST = (250, 60)
    clock(monkeypatch, thread_time=[0.0, 0.2489])  # 249 ms: not heavy
    CpuBudgetMiddleware(Downstream())(get(REMOTE_ADDR=ADDRESS))
    assert not heavy_marks(ADDRESS).counted_lately()
    clock(monkeypatch, thread_time=[0.0, 0.2491])  # 250 ms (rounded up): heavy
    CpuBudgetMiddleware(Downstream())(get(REMOTE_ADDR=ADDRESS))
    assert heavy_marks(ADDRESS).counted_lately()
    assert not heavy_marks("127.0.0.1").counted_lately()


@pytest.mark.parametrize(
    ("hops", "forwarded", "not_charged"),
    [
        # Two proxies: the outer one saw the client, the inner one the outer proxy.
        (2, f"{ADDRESS}, 10.0.0.2", "10.0.0.2"),
        # One proxy, which adds the address it was reached from after the client's own
        # header: what the client wrote itself is never charged.
        (1, f"203.0.113.250, {ADDRESS}", "203.0.113.250"),
    ],
)
def test_behind_proxies_the_forwarded_address_is_charged(
    monkeypatch, budget, settings, hops, forwarded, not_charged
):
    settings.TRUST_X_FORWARDED_FOR, settings.PROXY_HOPS = True, hops
    clock(monkeypatch, thread_time=[0.0, 0.002])
    CpuBudgetMiddleware(Downstream())(get(REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded))
    assert spent(ADDRESS, budget)
    assert not spent(not_charged, budget)
    assert not spent("10.0.0.1", budget)


# -- SecurityHeadersMiddleware ---------------------------------------------------------------


def test_every_response_gets_the_content_security_policy_and_permissions_policy(settings):
    settings.CONTENT_SECURITY_POLICY = "default-src 'none'"
    downstream = Downstream()
    response = SecurityHeadersMiddleware(downstream)(get())
    assert len(downstream.requests) == 1
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Permissions-Policy"] == "camera=(), microphone=(), geolocation=()"


def test_a_policy_a_view_set_itself_is_kept():
    own = HttpResponse()
    own["Content-Security-Policy"] = "sandbox"
    own["Permissions-Policy"] = "camera=(self)"
    response = SecurityHeadersMiddleware(Downstream(own))(get())
    assert response["Content-Security-Policy"] == "sandbox"
    assert response["Permissions-Policy"] == "camera=(self)"


def test_the_policy_allows_no_inline_script_nor_framing():
    policy = django_settings.CONTENT_SECURITY_POLICY
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"


# -- DatabaseUnavailableMiddleware -----------------------------------------------------------


def test_the_database_middleware_passes_requests_through():
    response = HttpResponse()
    downstream = Downstream(response)
    assert DatabaseUnavailableMiddleware(downstream)(get()) is response
    assert len(downstream.requests) == 1


@pytest.mark.parametrize(
    "error", [OperationalError("database is locked"), DatabaseError("could not connect")]
)
def test_a_database_error_gets_a_503_page_saying_to_retry(error, caplog):
    handler = DatabaseUnavailableMiddleware(Downstream())
    with caplog.at_level(logging.ERROR, logger="calculator.server.middleware"):
        response = handler.process_exception(get(), error)
    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = response.content.decode()
    assert "<h1>Temporarily unavailable</h1>" in html
    assert "database is unavailable just now. Nothing was changed" in html
    assert str(error) not in html  # what went wrong stays in the log
    assert f"database unavailable: {error}" in caplog.text


def test_a_database_error_under_the_api_is_answered_in_json():
    response = DatabaseUnavailableMiddleware(Downstream()).process_exception(
        get("/api/rate-cards"), OperationalError("down")
    )
    assert response is not None
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    body = json.loads(response.content)
    assert body["error"].startswith("The calculator's database is unavailable just now.")
    assert body["problems"] == [{"path": "", "message": body["error"]}]


@pytest.mark.parametrize("error", [ValueError("x"), KeyError("x"), RuntimeError("x")])
def test_other_errors_are_left_to_django(error, caplog):
    assert DatabaseUnavailableMiddleware(Downstream()).process_exception(get(), error) is None
    assert caplog.text == ""


# -- from_htmx -------------------------------------------------------------------------------


def test_from_htmx_reads_django_htmx_details():
    plain = get()
    assert from_htmx(plain) is False  # no HtmxMiddleware ran: not htmx's
    plain.htmx = HtmxDetails(plain)  # type: ignore[attr-defined]
    assert from_htmx(plain) is False
    live = get(HTTP_HX_REQUEST="true")
    live.htmx = HtmxDetails(live)  # type: ignore[attr-defined]
    assert from_htmx(live) is True
    # The header alone, without the middleware's details, is not read.
    assert from_htmx(get(HTTP_HX_REQUEST="true")) is False


# -- missing_page and the handlers -----------------------------------------------------------


def heading(response: HttpResponse) -> str:
    return re.search(r"<h1>(.*?)</h1>", response.content.decode()).group(1)


@pytest.mark.parametrize(
    ("kwargs", "status", "title"),
    [
        ({}, 404, "There is no page here"),
        ({"share": True}, 404, "No saved scenario has this link"),
        ({"gone": True, "share": True}, 410, "This scenario was deleted"),
        ({"gone": True}, 410, "This scenario was deleted"),
    ],
)
def test_the_missing_page(kwargs, status, title):
    response = missing_page(get("/s/abc/"), **kwargs)
    assert isinstance(response, TemplateResponse)
    assert response.is_rendered
    assert response.status_code == status
    assert heading(response) == title
    assert 'href="/"' in response.content.decode()  # a way back


def test_a_missing_api_endpoint_is_json():
    response = missing_page(get("/api/nothing/here"))
    assert response.status_code == 404
    body = json.loads(response.content)
    assert body == {
        "error": "no API endpoint at /api/nothing/here",
        "problems": [{"path": "", "message": "no API endpoint at /api/nothing/here"}],
    }


@pytest.mark.parametrize(
    ("url", "title"),
    [
        ("/s/mistyped/", "No saved scenario has this link"),
        ("/s/", "No saved scenario has this link"),
        ("/u/mistyped/", "No usage report has this link"),
        ("/nowhere", "There is no page here"),
        ("/sx/abc/", "There is no page here"),
    ],
)
def test_not_found_says_whether_a_share_link_led_nowhere(url, title):
    response = not_found(get(url), Exception("Resolver404"))
    assert response.status_code == 404
    assert heading(response) == title


def test_not_found_under_the_api_is_json():
    response = not_found(get("/api/v2/estimate"))
    assert response.status_code == 404
    assert json.loads(response.content)["error"] == "no API endpoint at /api/v2/estimate"


def raised(error: Exception, url: str) -> HttpResponse:
    """server_error as Django calls it: while handling `error`."""
    try:
        raise error
    except Exception:
        return server_error(get(url))


def test_server_error_is_a_plain_500_page_without_the_error():
    response = raised(ValueError("secret detail"), "/editor/")
    assert response.status_code == 500
    html = response.content.decode()
    assert "<h1>Something went wrong</h1>" in html
    assert "secret detail" not in html
    assert "Traceback" not in html


def test_server_error_under_the_api_is_json():
    response = raised(ValueError("secret detail"), "/api/estimate")
    assert response.status_code == 500
    assert json.loads(response.content) == {
        "error": "internal error",
        "problems": [{"path": "", "message": "internal error"}],
    }


@pytest.mark.parametrize("url", ["/", "/api/estimate"])
def test_server_error_from_the_database_is_still_a_503(url):
    """A session that cannot be saved fails outside any view: handler500 sees it."""
    response = raised(OperationalError("disk I/O error"), url)
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "database is unavailable" in response.content.decode()


def test_server_error_with_no_error_at_hand_is_a_500():
    assert sys.exc_info() == (None, None, None)
    assert server_error(get("/")).status_code == 500


def test_the_handlers_are_these():
    import calculator.urls

    assert import_string(calculator.urls.handler404) is not_found
    assert import_string(calculator.urls.handler500) is server_error


# -- The order of settings.MIDDLEWARE --------------------------------------------------------

MIDDLEWARE = django_settings.MIDDLEWARE


def position(name: str) -> int:
    return MIDDLEWARE.index(name)


def stack(names: list[str], view: Downstream) -> Any:
    """The middleware named, outermost first, around a fake view (each __call__ only: the
    process_view and process_exception hooks are Django's handler's to call)."""
    handler: Any = view
    for name in reversed(names):
        handler = import_string(name)(handler)
    return handler


def test_server_timing_is_outermost_so_it_times_everything():
    assert MIDDLEWARE[0] == "calculator.server.middleware.ServerTimingMiddleware"


def test_a_refusal_for_cpu_still_says_how_long_the_server_took(budget):
    overspend("127.0.0.1", budget)
    outer = MIDDLEWARE[: position("calculator.server.middleware.CpuBudgetMiddleware") + 1]
    downstream = Downstream()
    response = stack(outer, downstream)(get())
    assert response.status_code == 429
    assert downstream.requests == []
    assert response["Server-Timing"].startswith("app;dur=")


def test_static_files_are_served_before_the_cpu_budget_is_counted(budget):
    """WhiteNoise answers from outside the CPU budget: a page's scripts and styles are
    neither refused to an address over budget nor charged to it."""
    assert position("whitenoise.middleware.WhiteNoiseMiddleware") < position(
        "calculator.server.middleware.CpuBudgetMiddleware"
    )
    overspend("127.0.0.1", budget)
    outer = MIDDLEWARE[: position("calculator.server.middleware.CpuBudgetMiddleware") + 1]
    downstream = Downstream()
    response = stack(outer, downstream)(get("/static/css/app.css"))
    assert response.status_code == 200
    assert downstream.requests == []
    assert "Retry-After" not in response


def test_htmx_details_are_set_before_the_apps_middleware_and_views_read_them():
    assert position("django_htmx.middleware.HtmxMiddleware") < min(
        position("calculator.server.middleware.DatabaseUnavailableMiddleware"),
        position("calculator.saved.access.SavedItemMiddleware"),
    )
    downstream = Downstream()
    stack(MIDDLEWARE, downstream)(get(HTTP_HX_REQUEST="true"))
    (request,) = downstream.requests
    assert from_htmx(request)


@pytest.mark.django_db
def test_a_page_through_every_middleware_carries_the_security_headers():
    response = stack(MIDDLEWARE, Downstream())(get())
    assert response.status_code == 200
    assert response["Content-Security-Policy"] == django_settings.CONTENT_SECURITY_POLICY
    assert response["X-Frame-Options"] == "DENY"
    assert response["Permissions-Policy"]
    assert response["Server-Timing"]


def test_the_cpu_budgets_429_page_carries_the_security_headers_too(budget):
    """An HTML page like any other (base.html), but CpuBudgetMiddleware answers from outside
    SecurityHeadersMiddleware and XFrameOptionsMiddleware: it went out with neither the
    Content Security Policy nor X-Frame-Options, which every page is to carry."""
    overspend("127.0.0.1", budget)
    downstream = Downstream()
    response = stack(MIDDLEWARE, downstream)(get())
    assert response.status_code == 429
    assert downstream.requests == []
    assert response["Content-Security-Policy"] == django_settings.CONTENT_SECURITY_POLICY
    assert response["X-Frame-Options"] == "DENY"


# Errors raised by views go through Django's own handler (process_exception, then every
# middleware's __call__ on the way out): a URL conf of views that raise, around the real one
# so that the pages' {% url %} tags resolve.


def _share_missing(request: HttpRequest) -> HttpResponse:
    from calculator.saved.access import ShareMissing

    raise ShareMissing(gone=True)


def _database_down(request: HttpRequest) -> HttpResponse:
    raise OperationalError("database is locked")


def _urlpatterns() -> list[Any]:
    import calculator.urls

    return [
        path("raise/share-missing/", _share_missing),
        path("raise/database-down/", _database_down),
        *calculator.urls.urlpatterns,
    ]


urlpatterns = _urlpatterns()


@pytest.fixture
def handler() -> Iterator[Any]:
    from django.core.handlers.base import BaseHandler

    base = BaseHandler()
    base.load_middleware()

    def respond(url: str) -> HttpResponse:
        request = get(url)
        request.urlconf = __name__  # type: ignore[attr-defined]
        return base.get_response(request)

    yield respond
    set_urlconf(None)  # get_response leaves the request's URL conf in place for the thread


@pytest.mark.django_db
def test_the_pages_of_errors_a_view_raised_pass_out_through_every_middleware(handler):
    gone = handler("/raise/share-missing/")
    assert gone.status_code == 410
    assert heading(gone) == "This scenario was deleted"
    down = handler("/raise/database-down/")
    assert down.status_code == 503
    for response in (gone, down):
        assert response["Content-Security-Policy"] == django_settings.CONTENT_SECURITY_POLICY
        assert response["X-Frame-Options"] == "DENY"
        assert response["Server-Timing"].startswith("app;dur=")


def test_a_lost_database_connection_is_a_503_too():
    """InterfaceError (a connection closed under the app) is no DatabaseError in Django's
    hierarchy: it gets the same clear 503, not a 500."""
    from django.db import InterfaceError
    from django.test import RequestFactory

    from calculator.server.middleware import DatabaseUnavailableMiddleware

    middleware = DatabaseUnavailableMiddleware(lambda request: None)  # type: ignore[arg-type,return-value]
    response = middleware.process_exception(RequestFactory().get("/"), InterfaceError("closed"))
    assert response is not None
    assert response.status_code == 503


# -- GZipMiddleware: Django's, at level 4 for whole responses ------------------------------


def _gzipped(body: bytes, accept: str = "gzip, br", **headers: str) -> HttpResponse:
    request = RequestFactory().get("/", HTTP_ACCEPT_ENCODING=accept)
    response = HttpResponse(body, **headers)
    return middleware.GZipMiddleware(lambda r: response)(request)


def test_a_whole_response_is_gzipped_at_level_4_with_a_random_name():
    import gzip

    body = b"".join(b"<tr><td>%d</td><td>attendee</td></tr>" % n for n in range(2000))
    responses = [_gzipped(body) for _ in range(20)]
    for response in responses:
        assert response["Content-Encoding"] == "gzip"
        assert response["Vary"] == "Accept-Encoding"
        assert int(response["Content-Length"]) == len(response.content)
        assert gzip.decompress(response.content) == body
        # The FNAME flag, as Django sets it: a name of random length blunts BREACH.
        assert response.content[3] == gzip.FNAME
    assert len({len(r.content) for r in responses}) > 1
    level_4 = gzip.compress(body, compresslevel=4, mtime=0)
    name = responses[0].content[10 : responses[0].content.index(b"\x00", 10) + 1]
    assert (
        responses[0].content
        == level_4[:3] + bytes([gzip.FNAME]) + level_4[4:10] + name + level_4[10:]
    )


def test_what_gzip_cannot_help_is_sent_as_it_is():
    import os

    noise = os.urandom(5000)
    assert _gzipped(noise).content == noise
    assert _gzipped(noise)["Vary"] == "Accept-Encoding"
    text = b"plain text " * 100
    assert _gzipped(text, accept="identity").content == text
    assert not _gzipped(text, accept="identity").has_header("Content-Encoding")
    assert _gzipped(b"short").content == b"short"
    already = _gzipped(text, headers={"Content-Encoding": "br"})
    assert already.content == text


def test_a_strong_etag_becomes_weak_when_gzipped():
    response = _gzipped(b"x" * 1000, headers={"ETag": '"abc"'})
    assert response["ETag"] == 'W/"abc"'
