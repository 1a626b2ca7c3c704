"""The app's URLs plus two floors for `make bench` (never served by the app): what a live
update would cost if it did less. Both receive the live update's request exactly as the
editor does (a POST of the form's fields as JSON, CSRF checked by the same middleware) and
send back the same 17.5 KB of results, rendered once beforehand:

- `receive/` does nothing else: the cost of the request and the response themselves;
- `price/` also prices the scenario under its own model and the two others, as the results
  show them, from its document (no form, no charts, no HTML).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.urls import path

from billing.engine import compare_models
from billing.service import price_document
from calculator.editor.jsonform import accepts_json_form
from calculator.urls import handler500, urlpatterns

# Set by the benchmark before the floors are timed.
RESPONSE = b""
DOCUMENT: dict[str, Any] = {}


@accepts_json_form
def receive(request: HttpRequest) -> HttpResponse:
    request.POST.get("name")
    return HttpResponse(RESPONSE)


@accepts_json_form
def price(request: HttpRequest) -> HttpResponse:
    request.POST.get("name")
    quote = price_document(DOCUMENT)
    compare_models(quote.scenario, quote.card, quote)
    return HttpResponse(RESPONSE)


urlpatterns = [
    *urlpatterns,
    path("bench/floor/receive/", receive),
    path("bench/floor/price/", price),
]
__all__ = ["handler500", "urlpatterns"]
