"""The stored rate cards as the engine sees them: one query per request to learn which versions
are in effect, and engine cards cached in the process by (version id, updated_at), so an edit
in the admin is seen by every worker on its next request."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from threading import Lock
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from billing.engine import RateCard, ScenarioError
from billing.models import RateCardVersion

_cache: dict[tuple[int, datetime.datetime], RateCard] = {}
_lock = Lock()
CACHE_SIZE = 256


@dataclass(frozen=True)
class Listed:
    id: int
    slug: str
    name: str
    version: int
    updated_at: datetime.datetime  # as the database gives it: a key for the cache, no more
    description: str = ""


LISTED_FIELDS = ("id", "slug", "name", "version", "updated_at", "description")


def engine_card(listed: Listed) -> RateCard:
    key = (listed.id, listed.updated_at)
    card = _cache.get(key)
    if card is None:
        version = RateCardVersion.objects.prefetch_related("rates", "tiers").get(pk=listed.id)
        card = version.to_engine()
        with _lock:
            if len(_cache) >= CACHE_SIZE:
                _cache.clear()
            _cache[key] = card
    return card


_listing_sql: dict[tuple[str, datetime.date], tuple[str, Sequence[Any]]] = {}


def _listing(day: datetime.date) -> list[tuple[Any, ...]]:
    """Every version in effect on `day`, newest first, as (id, slug, name, version,
    updated_at, description). The ORM writes the query once a day for each database; running
    it directly skips the ORM's own per-query work, which cost ten times the query itself
    and every live update makes it."""
    key = (connection.alias, day)
    if key not in _listing_sql:
        query = RateCardVersion.objects.in_effect(day).values_list(*LISTED_FIELDS).query
        with _lock:
            _listing_sql.clear()
            _listing_sql[key] = query.sql_with_params()
    sql, params = _listing_sql[key]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


class CardDirectory:
    """The versions in effect today, newest per slug."""

    def __init__(self) -> None:
        self.current: dict[str, Listed] = {}
        for row in _listing(timezone.localdate()):
            self.current.setdefault(row[1], Listed(*row))

    def choices(self) -> list[tuple[str, str]]:
        return [(slug, f"{c.name} (v{c.version})") for slug, c in sorted(self.current.items())]

    def card(self, slug: str) -> RateCard:
        listed = self.current.get(slug)
        if listed is None and slug == self.default_slug:
            return self.default()
        if listed is None:
            known = ", ".join(sorted(self.current)) or "none"
            raise ScenarioError.single(
                "rate_card", f"no stored rate card {slug!r} (known: {known})"
            )
        return engine_card(listed)

    @property
    def default_slug(self) -> str:
        return str(settings.DEFAULT_RATE_CARD)

    def default(self) -> RateCard:
        slug = self.default_slug
        if slug not in self.current:
            raise ScenarioError.single(
                "rate_card",
                f"the default rate card {slug!r} is not installed; run `python manage.py migrate`",
            )
        return self.card(slug)
