"""Server timing, security headers and failures of the database, for every response."""

from __future__ import annotations

import gzip
import logging
import math
import re
import secrets
import sys
import time
from collections.abc import Callable

from django.conf import settings
from django.db import DatabaseError, InterfaceError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.middleware import gzip as django_gzip
from django.shortcuts import render
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.cache import patch_vary_headers

from calculator.server.ratelimit import Sliding, client_address, heavy_marks

log = logging.getLogger(__name__)


class ServerTimingMiddleware:
    """How long the app took over each response, in a `Server-Timing` header: browsers show it
    beside the request, and `make bench` reads the server's own time from it, apart from the
    network's and the client's."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        start = time.perf_counter()
        response = self.get_response(request)
        response["Server-Timing"] = f"app;dur={(time.perf_counter() - start) * 1000:.3f}"
        return response


class GZipMiddleware(django_gzip.GZipMiddleware):
    """Django's, compressing a whole response at level 4 instead of its 6: these pages come
    out as small (the 10,000-attendee webinar's live update 10.5 KB at 4, 10.6 KB at 6; the
    20-person one 4.1 KB, 4.0 KB) in half the time (0.40 ms against 0.84 ms), and every live
    update pays it. Streamed responses, and the rest of what Django does (Vary, weak ETags,
    the random bytes that blunt BREACH), are Django's."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if response.get("Content-Type", "").startswith("application/x-ndjson"):
            return response  # progress as it goes (calculator/saved/usage.py): never held back
        if not isinstance(response, HttpResponse) or (
            response.streaming
            or len(response.content) < 200
            or response.has_header("Content-Encoding")
            or not django_gzip.re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
        ):
            return super().process_response(request, response)
        # As django.utils.text.compress_string: a random file name of up to 100 bytes.
        compressed = bytearray(gzip.compress(response.content, compresslevel=4, mtime=0))
        compressed[3] = gzip.FNAME
        name = b"a" * secrets.randbelow(self.max_random_bytes) + b"\x00"
        compressed[10:10] = name
        patch_vary_headers(response, ("Accept-Encoding",))
        if len(compressed) >= len(response.content):
            return response
        response.content = bytes(compressed)
        response.headers["Content-Length"] = str(len(response.content))
        etag = response.get("ETag")
        if etag and etag.startswith('"'):
            response.headers["ETag"] = "W/" + etag
        response.headers["Content-Encoding"] = "gzip"
        return response


class CpuBudgetMiddleware:
    """A fair share of the machine for each address: the CPU time each request took (its
    thread's, which under ASGI is the request's alone) is charged to its address, and an
    address that has used its budget in the last minute (`RATE_LIMITS["cpu"]`, counted by
    all workers together) gets a 429 with `Retry-After` until its use slides back under it.
    Checked before a request, charged after it: one request is never cut off halfway. People
    at work on a page use a small part of it; a client looping on the heaviest page spends it
    in seconds and then waits, and everybody else keeps the machine."""

    EXEMPT = ("/healthz",)

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        limit, window = settings.RATE_LIMITS["cpu"]
        if limit <= 0 or request.path in self.EXEMPT:
            return self.get_response(request)
        address = client_address(request)
        budget = Sliding("cpu", address, limit, window)
        if wait := budget.wait():
            return out_of_budget(request, wait)
        start = time.thread_time()
        try:
            return self.get_response(request)
        finally:
            charge_cpu(address, math.ceil((time.thread_time() - start) * 1000), budget)


def charge_cpu(address: str, milliseconds: int, budget: Sliding | None = None) -> None:
    """Charge an address's CPU budget with work done for it (a request's thread, or a thread
    of its own), and mark the address heavy when the work was (its next requests take the
    heavy lane: calculator/server/serving.py)."""
    limit, window = settings.RATE_LIMITS["cpu"]
    if limit <= 0:
        return
    (budget or Sliding("cpu", address, limit, window)).add(milliseconds)
    if milliseconds >= settings.HEAVY_REQUEST[0]:
        heavy_marks(address).add()


def out_of_budget(request: HttpRequest, wait: int) -> HttpResponse:
    limit, _ = settings.RATE_LIMITS["cpu"]
    message = (
        "This address has used its share of the calculator's computing time "
        f"({limit / 1000:g} seconds a minute), so that others can use it too. "
        f"Try again in {wait} seconds."
    )
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"error": message, "problems": [{"path": "", "message": message}]}, status=429
        )
    else:
        context = {"title": "Too many requests just now", "message": message}
        response = render(request, "429.html", context, status=429)
    response["Retry-After"] = str(wait)
    return response


class SecurityHeadersMiddleware:
    """A Content Security Policy with no inline script: htmx, Plotly and our own script are
    files of this site; JSON data blocks are not executed. Plotly sets inline styles."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class DatabaseUnavailableMiddleware:
    """A database that is down or locked gets a clear 503 and a retry hint, not a traceback.
    The page is rendered without touching the database."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, (DatabaseError, InterfaceError)):
            return None
        log.error("database unavailable: %s", exception)
        return unavailable(request)


def from_htmx(request: HttpRequest) -> bool:
    """The request is htmx's (django-htmx's middleware sets `request.htmx`, which the type
    stubs of HttpRequest do not know)."""
    return bool(getattr(request, "htmx", False))


def missing_page(request: HttpRequest, *, gone: bool = False, share: bool = False) -> HttpResponse:
    if request.path.startswith("/api/"):
        message = f"no API endpoint at {request.path}"
        return JsonResponse(
            {"error": message, "problems": [{"path": "", "message": message}]}, status=404
        )
    context = {"gone": gone, "share": share, "report": request.path.startswith("/u/")}
    response = TemplateResponse(request, "missing.html", context, status=410 if gone else 404)
    return response.render()


# A share link itself (a scenario's, an estimate's or a usage report's), maybe mistyped:
# a longer address under one leads to no page of it, whether or not the link is good.
SHARE_LINK = re.compile(r"^/[su]/[^/]*/?$")


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: any address that leads nowhere (DEBUG off)."""
    return missing_page(request, share=bool(SHARE_LINK.match(request.path)))


def unavailable(request: HttpRequest) -> HttpResponse:
    message = (
        "The calculator's database is unavailable just now. "
        "Nothing was changed; please try again in a minute."
    )
    if request.path.startswith("/api/"):
        response: HttpResponse = JsonResponse(
            {"error": message, "problems": [{"path": "", "message": message}]}, status=503
        )
    else:
        response = HttpResponse(render_to_string("503.html", {"message": message}), status=503)
    response["Retry-After"] = "30"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's last resort (handler500), for errors outside any view too — a session that
    cannot be saved, say. A database error is still a 503; anything else a plain 500 page
    (JSON under /api/), never a traceback."""
    error = sys.exc_info()[1]
    if isinstance(error, (DatabaseError, InterfaceError)):
        return unavailable(request)
    if request.path.startswith("/api/"):
        message = "internal error"
        return JsonResponse(
            {"error": message, "problems": [{"path": "", "message": message}]}, status=500
        )
    return HttpResponse(render_to_string("500.html"), status=500)
