"""Limits per client address (and per account name, for signing in), counted where every
worker sees them.

The counters live in a small SQLite file by default (`RATE_LIMIT_DB`): every worker process
of the machine shares it, with no other server to run. With `CACHE_URL` they live in that
cache (Redis: `INCR` is atomic), shared by every machine that uses it.

Two kinds of window:
- fixed windows of the clock (`retry_after`): "at most 120 API requests a minute";
- a sliding window (`Sliding`), estimated from the current and the previous fixed window
  (the previous one weighted by how much of it still lies in the last `window` seconds), for
  limits that must not restart at a window's edge: a wrong-password streak, CPU time.
"""

from __future__ import annotations

import logging
import math
import os
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

log = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    return address(
        request.META.get("HTTP_X_FORWARDED_FOR", ""), str(request.META.get("REMOTE_ADDR", ""))
    )


def address(forwarded_for: str, remote: str) -> str:
    """The client's address: the proxies' word for it behind proxies (BEHIND_PROXY), else the
    connection's. Each proxy adds the address it was reached from at the right of
    X-Forwarded-For, after whatever the client sent: the client is PROXY_HOPS entries from
    the right, and anything further left is the client's own word (a stranger could name
    any address there, and have its budget charged instead of its own)."""
    if settings.TRUST_X_FORWARDED_FOR and forwarded_for:
        hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
        if hops:
            return hops[-min(settings.PROXY_HOPS, len(hops))]
    return remote or "unknown"


# -- Where counts are kept ------------------------------------------------------------------


class Counters(Protocol):
    def add(self, key: str, amount: int, ttl: int) -> int:
        """Add to a counter (made at 0 if missing, living `ttl` seconds); its new value."""

    def get_many(self, keys: Sequence[str]) -> list[int]:
        """The counters' values, 0 for any missing or expired."""

    def delete(self, key: str) -> None: ...


class SqliteCounters:
    """Counters in a SQLite file shared by the machine's workers: one upsert per count,
    atomic across processes (SQLite serialises writers; WAL lets readers go on meanwhile).
    A counter is a cache, not a record: writes are not synced to disk."""

    PURGE_EVERY = 60.0  # seconds between deletions of expired counters, per process

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._pid = 0
        self._next_purge = 0.0

    def _connection(self) -> sqlite3.Connection:
        # One connection a process, shared by its threads under the lock (requests run in
        # several threads at once); made again after a fork.
        if self._db is None or self._pid != os.getpid():
            self.path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(
                self.path, timeout=5, isolation_level=None, check_same_thread=False
            )
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=OFF")
            db.execute(
                "CREATE TABLE IF NOT EXISTS counter (key TEXT PRIMARY KEY, "
                "value INTEGER NOT NULL, expires REAL NOT NULL) WITHOUT ROWID"
            )
            self._db, self._pid = db, os.getpid()
        return self._db

    def add(self, key: str, amount: int, ttl: int) -> int:
        now = time.time()
        with self._lock:
            db = self._connection()
            (value,) = db.execute(
                "INSERT INTO counter (key, value, expires) VALUES (?1, ?2, ?3 + ?4) "
                "ON CONFLICT (key) DO UPDATE SET "
                "value = CASE WHEN expires > ?3 THEN value + ?2 ELSE ?2 END, "
                "expires = CASE WHEN expires > ?3 THEN expires ELSE ?3 + ?4 END "
                "RETURNING value",
                (key, amount, now, ttl),
            ).fetchone()
            if now >= self._next_purge:
                self._next_purge = now + self.PURGE_EVERY
                db.execute("DELETE FROM counter WHERE expires <= ?", (now,))
        return int(value)

    def get_many(self, keys: Sequence[str]) -> list[int]:
        marks = ", ".join("?" for _ in keys)
        with self._lock:
            rows = self._connection().execute(
                f"SELECT key, value FROM counter WHERE key IN ({marks}) AND expires > ?",
                (*keys, time.time()),
            )
            values = dict(rows.fetchall())
        return [int(values.get(key, 0)) for key in keys]

    def delete(self, key: str) -> None:
        with self._lock:
            self._connection().execute("DELETE FROM counter WHERE key = ?", (key,))


class CacheCounters:
    """Counters in Django's cache: with Redis (`CACHE_URL`), shared by every machine."""

    def add(self, key: str, amount: int, ttl: int) -> int:
        cache.add(key, 0, timeout=ttl)
        try:
            return int(cache.incr(key, amount))
        except ValueError:  # expired between add and incr
            cache.add(key, amount, timeout=ttl)
            return amount

    def get_many(self, keys: Sequence[str]) -> list[int]:
        values = cache.get_many(keys)
        return [int(values.get(key, 0)) for key in keys]

    def delete(self, key: str) -> None:
        cache.delete(key)


_store: SqliteCounters | None = None


def counters() -> Counters:
    global _store
    if settings.RATE_LIMIT_STORE == "cache":
        return CacheCounters()
    path = Path(settings.RATE_LIMIT_DB)
    if _store is None or _store.path != path:
        _store = SqliteCounters(path)
    return _store


def _failing_open(error: Exception) -> None:
    # A counter store that cannot be reached (a full disk, Redis down) must not take the
    # calculator down with it: the request goes on uncounted, and the log says so.
    log.warning("rate-limit counters unavailable, request not counted: %s", error)


STORE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, OSError, ConnectionError)


# -- Fixed windows -------------------------------------------------------------------------


def retry_after(request: HttpRequest, scope: str) -> int | None:
    """Count this request against the scope's limit; seconds to wait if it is over it."""
    limit, window = settings.RATE_LIMITS[scope]
    now = time.time()
    key = f"ratelimit:{scope}:{client_address(request)}:{int(now // window)}"
    try:
        count = counters().add(key, 1, window + 1)
    except STORE_ERRORS as error:
        _failing_open(error)
        return None
    if count > limit:
        return max(1, math.ceil(window - now % window))
    return None


def describe(scope: str) -> str:
    limit, window = settings.RATE_LIMITS[scope]
    what = {"api": "API requests", "save": "saves"}.get(scope, "requests")
    per = "a minute" if window == 60 else f"every {window} seconds"
    return f"at most {limit} {what} {per} from one address"


# -- Sliding windows -----------------------------------------------------------------------


@dataclass(frozen=True)
class Sliding:
    """A limit of `limit` units (attempts, milliseconds of CPU...) in any `window` seconds,
    for one name (an address, an account): the sliding-window estimate over two fixed
    windows, so a streak that straddles a window's edge still counts whole."""

    scope: str
    name: str
    limit: int
    window: int

    def _keys(self, now: float) -> tuple[str, str]:
        index = int(now // self.window)
        base = f"ratelimit:{self.scope}:{self.name}"
        return f"{base}:{index}", f"{base}:{index - 1}"

    def wait(self) -> int | None:
        """Seconds until this name is under its limit again, or None if it is under it now."""
        now = time.time()
        try:
            current, previous = counters().get_many(self._keys(now))
        except STORE_ERRORS as error:
            _failing_open(error)
            return None
        return seconds_until_under(self.limit, self.window, now, current, previous)

    def counted_lately(self) -> bool:
        """Whether anything was counted in this window or the one before."""
        try:
            return sum(counters().get_many(self._keys(time.time()))) > 0
        except STORE_ERRORS as error:
            _failing_open(error)
            return False

    def add(self, amount: int = 1) -> None:
        if amount <= 0:
            return
        now = time.time()
        try:
            counters().add(self._keys(now)[0], amount, 2 * self.window + 1)
        except STORE_ERRORS as error:
            _failing_open(error)

    def reset(self) -> None:
        now = time.time()
        try:
            for key in self._keys(now):
                counters().delete(key)
        except STORE_ERRORS as error:
            _failing_open(error)


def heavy_marks(address: str) -> Sliding:
    """The address's requests that took HEAVY_REQUEST_MS of CPU or more: with one in this
    minute or the one before, its requests take the heavy lane (calculator/serving.py)."""
    _, window = settings.HEAVY_REQUEST
    return Sliding("heavy", address, 1, window)


def seconds_until_under(
    limit: int, window: int, now: float, current: int, previous: int
) -> int | None:
    """With `current` counted in this fixed window and `previous` in the one before, the
    estimate for the last `window` seconds is current + previous x (the share of the previous
    window still inside them). None if it is under `limit`; else whole seconds until it
    drops under, if nothing more is counted."""
    elapsed = (now % window) / window
    if current + previous * (1 - elapsed) < limit:
        return None
    if current < limit:
        # Under the limit once enough of the previous window has slid out, in this window.
        until = 1 - (limit - current) / previous
        return max(1, math.ceil((until - elapsed) * window))
    # This window's count alone is over: it becomes the previous window next, and slides out.
    until_next = 1 - elapsed
    into_next = 1 - limit / current if current else 0
    return max(1, math.ceil((until_next + into_next) * window))
