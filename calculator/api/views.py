"""The JSON API, for programs: no cookie or CSRF token, and JSON on every status."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import DatabaseError
from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from billing.cards import CardDirectory, engine_card
from billing.engine import ScenarioError, card_document
from billing.service import load_json, price_any, price_usage
from calculator.api.openapi import document as openapi_document
from calculator.server.ratelimit import describe, retry_after
from calculator.uploads import TooLarge, spooled

log = logging.getLogger(__name__)
View = Callable[[HttpRequest], JsonResponse]


def error_response(status: int, problems: list[dict[str, str]]) -> JsonResponse:
    summary = problems[0]["message"] if len(problems) == 1 else f"{len(problems)} problems"
    return JsonResponse({"error": summary, "problems": problems}, status=status)


def api(*methods: str) -> Callable[[View], View]:
    """Method check, JSON errors for every failure, and no CSRF: the API holds no session."""

    def decorate(view: View) -> View:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest) -> JsonResponse:
            if request.method not in methods:
                response = error_response(
                    405, [{"path": "", "message": f"use {' or '.join(methods)}"}]
                )
                response["Allow"] = ", ".join(methods)
                return response
            try:
                return view(request)
            except ScenarioError as error:
                return error_response(
                    400, [{"path": p.path, "message": p.message} for p in error.problems]
                )
            except TooLarge as error:
                return error_response(413, [{"path": "", "message": str(error)}])
            except RequestDataTooBig:
                return error_response(
                    400, [{"path": "", "message": "the request body is over 2 MB"}]
                )
            except DatabaseError:
                raise  # DatabaseUnavailableMiddleware answers with a JSON 503
            except Exception:
                log.exception("API request failed")
                return error_response(500, [{"path": "", "message": "internal error"}])

        return wrapper

    return decorate


@api("POST")
def estimate(request: HttpRequest) -> JsonResponse:
    if limited := _throttled(request):
        return limited
    return JsonResponse(price_any(load_json(request.body)))


def _throttled(request: HttpRequest) -> JsonResponse | None:
    wait = retry_after(request, "api")
    if wait is None:
        return None
    message = f"Too many requests: {describe('api')}. Try again in {wait} seconds."
    response = error_response(429, [{"path": "", "message": message}])
    response["Retry-After"] = str(wait)
    return response


# ?column_session=CallID: the file's own name for one of the columns.
COLUMN_PREFIX = "column_"


@api("POST")
def usage(request: HttpRequest) -> JsonResponse:
    """A usage file as the body (text/csv, or gzipped), priced: ?model=, ?rate_card=,
    ?skip_bad=true, ?column_<ours>=<theirs>."""
    if limited := _throttled(request):
        return limited
    query = request.GET
    skip = query.get("skip_bad", "false").strip().lower()
    if skip not in ("true", "false", "1", "0", "yes", "no"):
        raise ScenarioError.single("skip_bad", "must be true or false")
    columns = {
        key.removeprefix(COLUMN_PREFIX): str(query.get(key, ""))
        for key in query
        if key.startswith(COLUMN_PREFIX)
    }
    length = request.META.get("CONTENT_LENGTH") or ""
    declared = int(length) if length.isdigit() else None
    with spooled(request, declared) as path:
        return JsonResponse(
            price_usage(
                path,
                model=query.get("model") or None,
                rate_card=query.get("rate_card") or None,
                skip_bad=skip in ("true", "1", "yes"),
                columns=columns,
            )
        )


@api("GET")
def rate_cards(request: HttpRequest) -> JsonResponse:
    directory = CardDirectory()
    cards: list[dict[str, Any]] = []
    for slug, listed in sorted(directory.current.items()):
        card = engine_card(listed)
        cards.append(
            {
                "slug": slug,
                "name": listed.name,
                "version": listed.version,
                "effective_date": card.effective_date.isoformat() if card.effective_date else None,
                "default": slug == directory.default_slug,
                "description": listed.description,
                **card_document(card),
            }
        )
    return JsonResponse({"rate_cards": cards})


def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    return error_response(404, [{"path": "", "message": f"no API endpoint at {request.path}"}])


@api("GET")
def openapi(request: HttpRequest) -> JsonResponse:
    return JsonResponse(openapi_document())
