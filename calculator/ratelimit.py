"""A fixed-window rate limit per client address, kept in Django's cache.

With several instances behind a load balancer the cache must be shared (CACHE_URL) for the
limit to hold across them; with the default local-memory cache it holds per process.
"""

from __future__ import annotations

import time

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_address(request: HttpRequest) -> str:
    if settings.TRUST_X_FORWARDED_FOR:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return str(request.META.get("REMOTE_ADDR", "unknown"))


def retry_after(request: HttpRequest, scope: str) -> int | None:
    """Count this request against the scope's limit; seconds to wait if it is over it."""
    limit, window = settings.RATE_LIMITS[scope]
    now = time.time()
    key = f"ratelimit:{scope}:{client_address(request)}:{int(now // window)}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window + 1)
        count = 1
    if count > limit:
        return max(1, int(window - now % window))
    return None


def describe(scope: str) -> str:
    limit, window = settings.RATE_LIMITS[scope]
    what = {"api": "API requests", "save": "saves"}.get(scope, "requests")
    per = "a minute" if window == 60 else f"every {window} seconds"
    return f"at most {limit} {what} {per} from one address"
