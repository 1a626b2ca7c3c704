"""Usage files as they arrive: streamed to a temporary file a block at a time, never held
whole in memory, and refused past their own limit (settings.USAGE_MAX_BYTES), apart from the
2 MB of a scenario document."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Protocol

from django.conf import settings

CHUNK = 1 << 20


class Readable(Protocol):
    """A request, an uploaded file: bytes read a block at a time."""

    def read(self, size: int = -1, /) -> bytes: ...


class TooLarge(Exception):
    """The upload is over settings.USAGE_MAX_BYTES."""

    def __init__(self) -> None:
        super().__init__(too_large_message())


def too_large_message() -> str:
    return (
        f"the file is over {settings.USAGE_MAX_BYTES / 1_000_000:g} MB, the most a usage file "
        "may be: split it (by week, say) or gzip it"
    )


@contextmanager
def spooled(source: Readable, declared: int | None = None) -> Iterator[Path]:
    """The bytes of `source` (a request, an uploaded file) in a temporary file, removed
    afterwards. Raises TooLarge past the limit (at once when the declared length says so)."""
    limit = settings.USAGE_MAX_BYTES
    if declared is not None and declared > limit:
        raise TooLarge
    with tempfile.NamedTemporaryFile(prefix="usage-", suffix=".csv") as file:
        size = 0
        while chunk := source.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLarge
            file.write(chunk)
        file.flush()
        yield Path(file.name)
