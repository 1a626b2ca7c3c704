"""A usage file (docs/documents.md, "Usage records"): CSV of call records, optionally
gzipped, read in blocks by pyarrow's columnar reader into the columns batch.py prices.

Every value is checked in arrays, a block at a time: a bad record is named by its line
(`line 7: end: must not be before start`), up to MAX_PROBLEMS of them. With `skip_bad`, a
session with any bad record is left out whole and the rest read; without, any problem
refuses the file. Nothing is priced from a record it could not read.

The file is never held whole: each block's text becomes integer columns (ticks, codes) and
is let go; only the session keys and names are kept as text (for the sessions' documents).
"""

from __future__ import annotations

import csv
import io
import itertools
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

from .batch import ADDON, CONFERENCE, MONITORING, RECORDING, Sessions
from .errors import Problem, ScenarioError
from .inputs import DIRECTION_CONTROLS, shown
from .metering import NONE
from .meters import Model
from .scenario import (
    DIRECTIONS,
    ENDPOINTS,
    MAX_INTERVALS,
    MAX_PARTICIPANTS,
    MAX_SESSION_SECONDS,
    MAX_STREAMS,
    MEDIA,
)
from .timefmt import clock

COLUMNS = (
    "session",
    "kind",
    "name",
    "start",
    "end",
    "media",
    "endpoint",
    "direction",
    "publish",
    "streams",
    "subscribes",
)
REQUIRED = ("session", "start", "end")
KINDS = {
    "participant": -1,
    "conference": CONFERENCE,
    "recording": RECORDING,
    "monitoring": MONITORING,
}
TRUE = ("true", "1", "yes")
FALSE = ("false", "0", "no")
MAX_PROBLEMS = 100
# A file of more records is refused before it is priced: at about 150 bytes of memory a
# record while read, the largest file takes under 1.5 GB.
MAX_RECORDS = 5_000_000
MAX_TEXT = 200
# A usage file is a month's records, or a few months': its days are charted one by one.
MAX_DAYS = 366
BLOCK_BYTES = 4 << 20

# Times: seconds (at most 12 digits, 6 decimal places) or ISO 8601 date-times with an offset.
SECONDS = r"^[0-9]{1,12}(\.[0-9]{1,6})?$"
DATE_TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?"
    r"(Z|z|[+-][0-9]{2}:?[0-9]{2})$"
)
NO_OFFSET = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?$"
MICRO = 10**6
FORMS = {
    "seconds": "seconds (such as 90 or 12.5)",
    "date-time": "ISO 8601 date-times with a UTC offset",
}


@dataclass(frozen=True, slots=True, eq=False)
class UsageRecords:
    """A usage file read: its sessions' columns (batch.Sessions), each session's key as the
    file gives it and the line of its first record, each participant's and interval's line
    and name, and what was left out (`problems`, `rejected_records`, `rejected_sessions`)."""

    sessions: Sessions
    keys: list[str]
    first_lines: npt.NDArray[np.int64]
    records: int
    person_lines: npt.NDArray[np.int64]
    interval_lines: npt.NDArray[np.int64]
    # The names as the file gives them (pyarrow arrays: a million names are not made Python
    # strings unless read).
    person_names: Any
    interval_names: Any
    # Each participant's endpoint and direction (indexes into ENDPOINTS and DIRECTIONS).
    endpoints: npt.NDArray[np.int64]
    directions: npt.NDArray[np.int64]
    problems: tuple[Problem, ...] = ()
    problem_count: int = 0
    rejected_records: int = 0
    rejected_sessions: int = 0
    form: str = "seconds"
    # The time 0 of each session: microseconds (since 1970 for date-times).
    origins: npt.NDArray[np.int64] = field(default_factory=lambda: np.zeros(0, np.int64))


class ColumnsMissing(ScenarioError):
    """The header lacks a required column: the file's columns and first records come with
    it, for a person to say which column is which."""

    def __init__(self, message: str, columns: list[str], rows: list[list[str]]) -> None:
        super().__init__([Problem("", message)])
        self.columns = columns
        self.rows = rows


def read_usage(
    source: str | Path | bytes,
    *,
    addons: Iterable[str] = (),
    columns: Mapping[str, str] | None = None,
    skip_bad: bool = False,
    progress: Callable[[float], None] | None = None,
) -> UsageRecords:
    """Read a usage file (a path, or its bytes; gzip is known by its first bytes). `addons`:
    the card's add-on keys, which `kind` may name. `columns`: for each of COLUMNS, the file's
    own name for it where the header differs. Raises ScenarioError: a file it cannot read, or
    with bad records (unless `skip_bad`), named by line. `progress` is told the part of the
    file read so far (0 to 1) after each block."""
    return _Reader(source, set(addons), columns or {}, skip_bad, progress).read()


def header_of(source: str | Path | bytes) -> tuple[list[str], list[list[str]]]:
    """The file's header and its first few records as text, for a person to say which column
    is which. Raises ScenarioError if it is no CSV text."""
    rows = _first_rows(_head(source, 64 << 10), 6)
    if not rows:
        raise ScenarioError.single("", "the file is empty")
    return rows[0], rows[1:]


def _first_rows(head: str, count: int) -> list[list[str]]:
    """The first rows of the file's text, read as CSV (a BOM before the header dropped)."""
    try:
        rows = list(
            itertools.islice(
                csv.reader(io.StringIO(head.removeprefix("\ufeff"), newline="")), count
            )
        )
    except csv.Error as error:
        raise ScenarioError.single("", f"the file's first lines are not CSV: {error}") from None
    return rows


def _stream(source: str | Path | bytes) -> Any:
    return _opened(source)[0]


def _opened(source: str | Path | bytes) -> tuple[Any, Any, int]:
    """The file's text as a stream (gunzipped if it is gzip), the raw file under it (whose
    position says how much is read) and the raw file's size."""
    if isinstance(source, bytes):
        raw: Any = pa.BufferReader(source)
        size = len(source)
        magic = source[:2]
    else:
        with open(source, "rb") as file:
            magic = file.read(2)
        raw = pa.OSFile(str(source))
        size = raw.size()
    if magic == b"\x1f\x8b":
        return pa.CompressedInputStream(raw, "gzip"), raw, size
    return raw, raw, size


def _head(source: str | Path | bytes, size: int) -> str:
    try:
        with _stream(source) as stream:
            raw = stream.read(size)
    except (OSError, pa.ArrowException):
        raise ScenarioError.single(
            "", "the file is not a readable CSV file (nor gzipped CSV)"
        ) from None
    if not raw:
        raise ScenarioError.single("", "the file is empty")
    if b"\x00" in raw:
        raise ScenarioError.single("", "the file is not CSV text: it holds binary data")
    text: str = raw.decode("utf-8", errors="replace")
    if len(raw) == size:  # the last line may be cut
        text = text[: text.rfind("\n") + 1] or text
    return text


class _Reader:
    def __init__(
        self,
        source: str | Path | bytes,
        addons: set[str],
        columns: Mapping[str, str],
        skip_bad: bool,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        self.source = source
        self.progress = progress
        self.addons = sorted(addons)
        self.columns = {k.strip().lower(): v for k, v in columns.items() if v}
        self.skip_bad = skip_bad
        self.problems: list[tuple[int, str]] = []
        self.problem_count = 0
        self.bad_lines: list[npt.NDArray[np.int64]] = []
        self.form: str | None = None
        self.form_line = 0
        self.places = 0
        self.lock = threading.Lock()
        self.parts: dict[str, list[Any]] = {}
        self.found: dict[str, str] = {}
        self.positions: dict[str, str] = {}

    # -- problems ----------------------------------------------------------------------------

    def problem(self, lines: npt.NDArray[np.int64], message: str) -> None:
        """A problem of the records at `lines` (each its own problem). Blocks are read two at
        a time, in any order: every call keeps its first MAX_PROBLEMS, and the first of all,
        by line, are chosen at the end."""
        if not len(lines):
            return
        with self.lock:
            self.problem_count += len(lines)
            self.bad_lines.append(lines)
            self.problems.extend((line, message) for line in lines[:MAX_PROBLEMS].tolist())

    def refuse(self, message: str) -> ScenarioError:
        return ScenarioError.single("", message)

    # -- reading -----------------------------------------------------------------------------

    def read(self) -> UsageRecords:
        names = self.header()
        # Read with the header's names as read here (a BOM dropped), one a column position.
        positional = [f"c{k}" for k in range(len(names))]
        self.positions = {
            ours: positional[names.index(theirs)] for ours, theirs in self.found.items()
        }
        options = pa_csv.ReadOptions(
            block_size=BLOCK_BYTES, use_threads=True, column_names=positional, skip_rows=1
        )
        convert = pa_csv.ConvertOptions(
            column_types={name: pa.string() for name in positional},
            strings_can_be_null=False,
            quoted_strings_can_be_null=False,
        )
        parse = pa_csv.ParseOptions()
        line = 2
        try:
            stream, raw, size = _opened(self.source)
            with stream:
                reader = pa_csv.open_csv(
                    stream, read_options=options, parse_options=parse, convert_options=convert
                )
                # Blocks are read two at a time (pyarrow's and numpy's work lets go of the
                # interpreter's lock), kept in order; the first alone, as it sets the
                # file's form of time.
                with ThreadPoolExecutor(2) as pool:
                    pending: deque[Future[dict[str, Any]]] = deque()
                    for batch in reader:
                        if self.progress is not None:
                            self.progress(min(1.0, raw.tell() / max(size, 1)))
                        if line - 2 + batch.num_rows > MAX_RECORDS:
                            raise self.refuse(
                                f"the file has more than {MAX_RECORDS:,} records: split it "
                                "(by day or by week) and price each part"
                            )
                        if line == 2:
                            self.keep(self.block(batch, names, line))
                        else:
                            pending.append(pool.submit(self.block, batch, names, line))
                        while len(pending) > 2:
                            self.keep(pending.popleft().result())
                        line += batch.num_rows
                    while pending:
                        self.keep(pending.popleft().result())
        except ScenarioError:
            raise
        except pa.ArrowInvalid as error:
            # A row of the wrong width belongs to no session for sure: the file is refused
            # at its first such row, found by a second look (pyarrow does not count lines).
            if re.search(r"Expected \d+ columns, got \d+", str(error)):
                raise self.refuse_width(len(names)) from None
            raise self.refuse(_arrow_message(str(error))) from None
        except (OSError, pa.ArrowException):
            raise self.refuse("the file is not a readable CSV file (nor gzipped CSV)") from None
        if line == 2:
            raise self.refuse("the file has a header but no records")
        return self.finish(line - 2)

    def refuse_width(self, width: int) -> ScenarioError:
        """The first record with more or fewer values than the header has, by its line."""
        with _stream(self.source) as stream:
            text = io.TextIOWrapper(stream, encoding="utf-8", errors="replace", newline="")
            rows = csv.reader(text)
            next(rows, None)
            for row in rows:
                if len(row) != width:
                    return ScenarioError.single(
                        f"line {rows.line_num}",
                        f"has {len(row)} value{'s' if len(row) != 1 else ''}, the header "
                        f"{width}: every line has a value (maybe empty) for each column",
                    )
        return self.refuse("a line of the file has more or fewer values than the header")

    def header(self) -> list[str]:
        """The file's column names; each of ours found (by `columns`, else by name, without
        regard to case); the required ones present."""
        rows = _first_rows(_head(self.source, 64 << 10), 1)
        names = rows[0] if rows else []
        if not any(n.strip() for n in names):
            raise self.refuse("the file's first line is empty: it should name the columns")
        if len(names) == 1 and any(mark in names[0] for mark in ";\t|"):
            mark = next(m for m in ";\t|" if m in names[0])
            said = {";": "semicolons", "\t": "tabs", "|": "bars"}[mark]
            raise self.refuse(
                f"the file's columns seem to be separated by {said}: a usage file is "
                "comma-separated CSV (save or export it as CSV with commas)"
            )
        folded = [n.strip().lower() for n in names]
        for key in self.columns:
            if key not in COLUMNS:
                raise self.refuse(
                    f"{shown(key)!r} is not a column of a usage file (one of {', '.join(COLUMNS)})"
                )
        for ours in COLUMNS:
            wanted = self.columns.get(ours, ours).strip().lower()
            if ours in self.columns and wanted not in folded:
                raise self.refuse(
                    f"the file has no column {shown(self.columns[ours])!r} (given for {ours}; "
                    f"its columns: {', '.join(repr(shown(n)) for n in names[:20])})"
                )
            matches = [names[i] for i, n in enumerate(folded) if n == wanted]
            if len(matches) > 1:
                raise self.refuse(f"the header names column {shown(matches[0])!r} twice")
            if matches:
                self.found[ours] = matches[0]
        chosen: dict[str, str] = {}
        for ours, theirs in self.found.items():
            if theirs in chosen:
                raise self.refuse(
                    f"{chosen[theirs]} and {ours} are both the file's column {shown(theirs)!r}: "
                    "each needs a column of its own"
                )
            chosen[theirs] = ours
        missing = [c for c in REQUIRED if c not in self.found]
        if missing:
            listed = ", ".join(repr(shown(n)) for n in names[:20])
            raise ColumnsMissing(
                f"the file has no column {' or '.join(repr(m) for m in missing)} "
                f"(its columns: {listed}). Say which of its columns is which (on the page; "
                f"column_<ours>=<theirs> in the API; --column in price-usage), or name them "
                f"{', '.join(REQUIRED)} in the header",
                names,
                header_of(self.source)[1],
            )
        return names

    def keep(self, columns: dict[str, Any]) -> None:
        """A block's columns, after those of the blocks before it."""
        for name, value in columns.items():
            self.parts.setdefault(name, []).append(value)

    def block(self, batch: pa.RecordBatch, names: list[str], first_line: int) -> dict[str, Any]:
        """A block's columns, read and checked (its problems told to `problem`)."""
        n = batch.num_rows
        lines = np.arange(first_line, first_line + n, dtype=np.int64)
        column = {ours: batch.column(name) for ours, name in self.positions.items()}

        def text(ours: str) -> pa.Array:
            """A column as the file gives it (spaces around a value are dropped where it is
            read: `_encoded`, `times`)."""
            return column[ours] if ours in column else pa.nulls(n, pa.string()).fill_null("")

        session = pc.utf8_trim_whitespace(text("session"))
        self.check_text(session, lines, "session")
        empty = _np(pc.equal(session, ""))
        self.problem(
            lines[empty], "session: is required (records with the same value are one session)"
        )
        # Names are never checked nor kept in a report: only a session's own document, made
        # on demand, may carry them (`session_document`).
        name = text("name")
        # One encoding of the column: add-on keys are matched as written, kinds in any case.
        exact_codes, exact_words = _encoded(text("kind"))
        known = {**KINDS, "": -1}
        kind_of = np.array([known.get(w.lower(), -2) for w in exact_words], np.int64)
        kinds = kind_of[exact_codes] if len(exact_words) else np.zeros(0, np.int64)
        addon = np.full(n, -1, np.int64)
        for index, key in enumerate(self.addons):
            if key in exact_words:  # add-on keys are matched as written
                chosen = exact_codes == exact_words.index(key)
                kinds[chosen] = ADDON
                addon[chosen] = index
        unknown = kinds == -2
        if unknown.any():
            offered = ", ".join([*KINDS, *self.addons])
            for index in np.unique(exact_codes[unknown])[:5].tolist():
                self.problem(
                    lines[unknown & (exact_codes == index)],
                    f"kind: {shown(exact_words[index])!r} is not a kind of record (one of "
                    f"{offered}; an add-on must be one of the rate card's)",
                )
        start = self.times(text("start"), lines, "start", required=True)
        end = self.times(text("end"), lines, "end", required=True)
        publish = self.times(text("publish"), lines, "publish", required=False)
        known = (start != NONE) & (end != NONE)
        backwards = known & (end < start)
        self.problem(lines[backwards], "end: must not be before start")
        person = kinds == -1
        outside = (
            person & (publish != NONE) & known & ~backwards & ((publish < start) | (publish > end))
        )
        self.problem(lines[outside], "publish: must lie between start and end")

        # A column the file does not have is its default throughout, read no further.
        def given(
            ours: str, default: npt.NDArray[Any], read: Callable[[], npt.NDArray[Any]]
        ) -> npt.NDArray[Any]:
            return read() if ours in column else default

        zero, one = np.zeros(n, np.int64), np.ones(n, np.int64)
        media = given(
            "media", zero, lambda: self.choice(text("media"), lines, "media", MEDIA, "voice")
        )
        endpoint = given(
            "endpoint",
            np.full(n, ENDPOINTS.index("client"), np.int64),
            lambda: self.choice(text("endpoint"), lines, "endpoint", ENDPOINTS, "client"),
        )
        direction = given(
            "direction",
            zero,
            lambda: self.choice(text("direction"), lines, "direction", DIRECTIONS, "originating"),
        )
        streams = given("streams", one, lambda: self.streams(text("streams"), lines))
        subscribes = given(
            "subscribes", np.ones(n, np.bool_), lambda: self.subscribes(text("subscribes"), lines)
        )
        return {
            "session": session,
            "name": name,
            "kind": kinds,
            "addon": addon,
            "start": start,
            "end": end,
            "publish": np.where(person, publish, NONE),
            "video": media == 1,
            "sip": endpoint == ENDPOINTS.index("sip"),
            "endpoint": endpoint,
            "direction": direction,
            "streams": streams,
            "subscribes": subscribes,
        }

    def check_text(self, values: pa.Array, lines: npt.NDArray[np.int64], column: str) -> None:
        long = _np(pc.greater(pc.utf8_length(values), MAX_TEXT))
        self.problem(lines[long], f"{column}: must be at most {MAX_TEXT} characters")
        nul = _np(pc.match_substring(values, "\x00"))
        self.problem(lines[nul], f"{column}: must not contain NUL characters (U+0000)")
        turned = _np(pc.match_substring_regex(values, f"[{DIRECTION_CONTROLS}]"))
        self.problem(
            lines[turned],
            f"{column}: must not contain text-direction controls (U+202A-U+202E, "
            "U+2066-U+2069): they make the text after them read backwards",
        )

    def times(
        self, values: pa.Array, lines: npt.NDArray[np.int64], column: str, *, required: bool
    ) -> npt.NDArray[np.int64]:
        """Times in microseconds (seconds, or since 1970 for date-times); NONE where empty
        or wrong. The file's form is its first time's; a time in the other form is a problem."""
        n = len(values)
        result = np.full(n, NONE, np.int64)
        quick = self.quick_times(values, lines, required=required)
        if quick is not None:
            return quick
        empty = _np(pc.equal(values, ""))
        # The file's form is known from its first time: most values are checked by one
        # pattern, and only what fails it by the other.
        first_form = SECONDS if self.form != "date-time" else DATE_TIME
        mine = _np(pc.match_substring_regex(values, first_form))
        rest = ~(mine | empty)
        if rest.any():  # spaces around a time are no fault: read again without them
            values = pc.utf8_trim_whitespace(values)
            empty = _np(pc.equal(values, ""))
            mine = _np(pc.match_substring_regex(values, first_form))
            rest = ~(mine | empty)
        if required:
            self.problem(lines[empty], f"{column}: is required")
        others = np.zeros(n, np.bool_)
        if rest.any():
            second_form = DATE_TIME if first_form == SECONDS else SECONDS
            others[rest] = _np(pc.match_substring_regex(values.filter(pa.array(rest)), second_form))
        seconds, dated = (mine, others) if first_form == SECONDS else (others, mine)
        if self.form is None and (seconds.any() or dated.any()):
            at = int(np.flatnonzero(seconds | dated)[0])
            with self.lock:  # two blocks may find it at once: the first to say it
                if self.form is None:
                    self.form = "seconds" if seconds[at] else "date-time"
                    self.form_line = int(lines[at])
        other = dated if self.form == "seconds" else seconds
        self.problem(
            lines[other],
            f"{column}: a time in another form than this file's: its times are "
            f"{FORMS[self.form or 'seconds']} (as on line {self.form_line})",
        )
        wrong = ~(empty | seconds | dated)
        if wrong.any():
            odd = values.filter(pa.array(wrong))
            no_offset = _np(pc.match_substring_regex(odd, NO_OFFSET))
            where = lines[wrong]
            for line, value, local in zip(
                where[:MAX_PROBLEMS].tolist(),
                odd.slice(0, MAX_PROBLEMS).to_pylist(),
                no_offset[:MAX_PROBLEMS].tolist(),
                strict=True,
            ):
                said = (
                    "is a date-time without a UTC offset: add one (Z for UTC, or such as +01:00)"
                    if local
                    else "must be seconds (such as 90 or 12.5, at most 6 decimal places) or an "
                    "ISO 8601 date-time with a UTC offset (such as 2026-11-02T09:30:00Z)"
                )
                self.problem(np.array([line], np.int64), f"{column}: {shown(value)!r} {said}")
            self.problem(where[MAX_PROBLEMS:], f"{column}: not a time")
        mine = seconds if self.form == "seconds" else dated
        if not mine.any():
            return result
        chosen = values.filter(pa.array(mine))
        if self.form == "seconds":
            point = _np(pc.find_substring(chosen, "."))
            micros = np.empty(len(chosen), np.int64)
            whole = point == -1
            if whole.any():  # whole seconds (most files): read as integers
                micros[whole] = _np(pc.cast(chosen.filter(pa.array(whole)), pa.int64())) * MICRO
            if not whole.all():
                parted = chosen.filter(pa.array(~whole))
                decimals = pc.cast(parted, pa.decimal128(18, 6))
                scaled = pc.multiply(decimals, pa.scalar(Decimal(MICRO)))
                micros[~whole] = _np(pc.cast(scaled, pa.int64(), safe=False))
                places = _np(pc.utf8_length(parted)) - point[~whole] - 1
                with self.lock:
                    self.places = max(self.places, int(places.max()))
            result[mine] = micros
        else:
            stamps, invalid = _date_times(chosen)
            positions = np.flatnonzero(mine)
            self.problem(lines[positions[invalid]], f"{column}: is not a real date and time")
            if (stamps[~invalid] % MICRO).any():
                with self.lock:
                    self.places = 6
            result[positions[~invalid]] = stamps[~invalid]
        return result

    def quick_times(
        self, values: pa.Array, lines: npt.NDArray[np.int64], *, required: bool
    ) -> npt.NDArray[np.int64] | None:
        """A block whose times are all whole seconds (or empty, where a time may be), as most
        files' are: read by one cast, with no pattern. None: not so (`times` looks at each
        value); a failed cast is what costs, so the digits are checked first."""
        if not len(values) or self.form == "date-time":
            return None
        empty = pc.equal(values, "")
        if required and pc.any(empty).as_py():
            return None
        digits = pc.or_(pc.ascii_is_decimal(values), empty)
        if not pc.all(digits).as_py():
            return None
        whole = pc.cast(pc.if_else(empty, pa.scalar(None, pa.string()), values), pa.int64())
        high = pc.max(whole).as_py()
        if high is not None and high >= 10**12:
            return None
        if self.form is None and high is not None:
            with self.lock:
                if self.form is None:
                    self.form = "seconds"
                    self.form_line = int(lines[int(np.argmax(~_np(empty)))])
        result: npt.NDArray[np.int64] = _np(pc.fill_null(whole, 0)) * MICRO
        result[_np(empty)] = NONE
        return result

    def choice(
        self,
        values: pa.Array,
        lines: npt.NDArray[np.int64],
        column: str,
        options: Iterable[str],
        default: str,
    ) -> npt.NDArray[Any]:
        codes, written = _encoded(values)
        words = [word.lower() for word in written]
        allowed = tuple(options)
        for index, word in enumerate(words):
            if word and word not in allowed:
                self.problem(
                    lines[codes == index],
                    f"{column}: {shown(word)!r} is not one of {', '.join(allowed)}",
                )
        chosen = [allowed.index(w) if w in allowed else allowed.index(default) for w in words]
        return np.array(chosen, np.int64)[codes] if len(words) else np.zeros(0, np.int64)

    def streams(self, values: pa.Array, lines: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
        empty = _np(pc.equal(values, ""))
        whole = _np(pc.match_substring_regex(values, r"^[0-9]{1,3}$"))
        result = np.ones(len(values), np.int64)
        if whole.any():
            result[whole] = _np(pc.cast(values.filter(pa.array(whole)), pa.int64()))
        wrong = ~(empty | whole) | (whole & ((result < 1) | (result > MAX_STREAMS)))
        self.problem(lines[wrong], f"streams: must be a whole number from 1 to {MAX_STREAMS}")
        return np.where(wrong, 1, result)

    def subscribes(self, values: pa.Array, lines: npt.NDArray[np.int64]) -> npt.NDArray[np.bool_]:
        codes, written = _encoded(values)
        words = [word.lower() for word in written]
        for index, word in enumerate(words):
            if word not in (*TRUE, *FALSE, ""):
                self.problem(
                    lines[codes == index], "subscribes: must be true or false (or 1/0, yes/no)"
                )
        return np.array([w not in FALSE for w in words], np.bool_)[codes]

    # -- sessions ----------------------------------------------------------------------------

    def finish(self, records: int) -> UsageRecords:
        take = self.parts
        if not take:
            return self.refused_or_empty()
        session_text = pa.chunked_array(take["session"], pa.string())
        encoded = pc.dictionary_encode(session_text).combine_chunks()
        keys: list[str] = encoded.dictionary.to_pylist()
        codes = encoded.indices.to_numpy().astype(np.int64)
        kinds, addon = np.concatenate(take["kind"]), np.concatenate(take["addon"])
        start, end = np.concatenate(take["start"]), np.concatenate(take["end"])
        publish = np.concatenate(take["publish"])
        lines = np.arange(2, 2 + len(codes), dtype=np.int64)
        count = len(keys)
        # Each session's time 0: its earliest start; its records within 7 days of it.
        known = start != NONE
        origin = np.full(count, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(origin, codes[known], start[known])
        limit = MAX_SESSION_SECONDS * MICRO
        late = known & (end != NONE) & (end - origin[codes] > limit)
        first_line = np.full(count, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(first_line, codes, lines)
        if late.any():
            for code in np.unique(codes[late])[:MAX_PROBLEMS].tolist():
                mine = late & (codes == code)
                self.problem(
                    lines[mine],
                    f"session {shown(keys[code])!r} spans more than 7 days (its first record "
                    f"starts at line {int(first_line[code])}): a session lasts at most "
                    f"{clock(Decimal(MAX_SESSION_SECONDS))}",
                )
        self.session_limits(codes, kinds, lines, keys)
        timed = np.flatnonzero(origin != np.iinfo(np.int64).max)
        if len(timed):
            earliest = timed[int(np.argmin(origin[timed]))]
            latest = timed[int(np.argmax(origin[timed]))]
            days = int(origin[latest] - origin[earliest]) / (MICRO * 86_400)
            if days > MAX_DAYS:
                raise self.refuse(
                    f"the file's sessions start over {days:,.0f} days (line "
                    f"{int(first_line[earliest])} to line {int(first_line[latest])}): a usage "
                    f"file covers at most {MAX_DAYS} days; split it, by month say"
                )
        bad = np.zeros(len(codes), np.bool_)
        for part in self.bad_lines:
            inside = part[(part >= 2) & (part < 2 + len(codes))]
            bad[inside - 2] = True
        if self.problems and not self.skip_bad:
            raise self.refused_by_line()
        # Left out (with skip_bad): every session with a bad record.
        dropped = np.zeros(count, np.bool_)
        dropped[codes[bad]] = True
        kept_record = ~dropped[codes]
        kept_sessions = np.flatnonzero(~dropped)
        if not len(kept_sessions):
            # Left out whole, every session: a bill of nothing would say less than this.
            ordered = sorted(self.problems)[: MAX_PROBLEMS - 1]
            raise ScenarioError(
                [Problem("", "every session has a bad record: nothing is left to price")]
                + [Problem(f"line {line}", message) for line, message in ordered]
            )
        everything = len(kept_sessions) == count

        def kept(values: npt.NDArray[Any]) -> npt.NDArray[Any]:
            """The values of the records kept (all of them, most often: no copy)."""
            return values if everything else values[kept_record]

        renumber = np.full(count, -1, np.int64)
        renumber[kept_sessions] = np.arange(len(kept_sessions))
        scale = 10**self.places
        codes_k = codes if everything else renumber[codes[kept_record]]
        origin_k = origin if everything else origin[kept_sessions]
        step = MICRO // scale
        origins_of_records = origin_k[codes_k]

        def rel(times: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
            """Times of the records kept, in ticks from their session's time 0."""
            relative: npt.NDArray[np.int64] = (kept(times) - origins_of_records) // step
            return relative

        kinds = kept(kinds)
        person = kinds == -1
        flags = {
            name: kept(np.concatenate(take[name]))
            for name in ("video", "sip", "streams", "subscribes")
        }
        endpoints = kept(np.concatenate(take["endpoint"]))
        directions = kept(np.concatenate(take["direction"]))
        pub = kept(publish)
        pub_rel = np.where(pub != NONE, (pub - origins_of_records) // step, NONE)
        start_rel, end_rel = rel(start), rel(end)
        names = pa.chunked_array(take["name"], pa.string())
        if not everything:
            names = names.filter(pa.array(kept_record))
        sessions = Sessions(
            count=len(kept_sessions),
            scale=scale,
            session=codes_k[person],
            join=start_rel[person],
            leave=end_rel[person],
            publish=pub_rel[person],
            video=flags["video"][person],
            sip=flags["sip"][person],
            subscribes=flags["subscribes"][person],
            streams=flags["streams"][person],
            interval_session=codes_k[~person],
            interval_kind=kinds[~person],
            interval_start=start_rel[~person],
            interval_end=end_rel[~person],
            interval_video=flags["video"][~person],
            interval_addon=kept(addon)[~person],
            addons=tuple(self.addons),
        )
        record_lines = kept(lines)
        ordered = sorted(self.problems)[:MAX_PROBLEMS]
        return UsageRecords(
            sessions=sessions,
            keys=keys if everything else [keys[k] for k in kept_sessions.tolist()],
            first_lines=first_line if everything else first_line[kept_sessions],
            records=int(kept_record.sum()),
            person_lines=record_lines[person],
            interval_lines=record_lines[~person],
            person_names=names.filter(pa.array(person)),
            interval_names=names.filter(pa.array(~person)),
            endpoints=endpoints[person],
            directions=directions[person],
            problems=tuple(Problem(f"line {line}", message) for line, message in ordered),
            problem_count=self.problem_count,
            rejected_records=int(records - kept_record.sum()),
            rejected_sessions=int(dropped.sum()),
            form=self.form or "seconds",
            origins=origin_k,
        )

    def session_limits(
        self,
        codes: npt.NDArray[np.int64],
        kinds: npt.NDArray[np.int64],
        lines: npt.NDArray[np.int64],
        keys: list[str],
    ) -> None:
        """A session holds what a scenario may: at most MAX_PARTICIPANTS participants and
        MAX_INTERVALS intervals of each kind."""
        for code, limit, what in (
            (-1, MAX_PARTICIPANTS, "participants"),
            (CONFERENCE, MAX_INTERVALS, "conference connections"),
            (RECORDING, MAX_INTERVALS, "recordings"),
            (MONITORING, MAX_INTERVALS, "monitoring sessions"),
            (ADDON, MAX_INTERVALS, "add-on intervals"),
        ):
            chosen = kinds == code
            if not chosen.any():
                continue
            counts = np.bincount(codes[chosen], minlength=len(keys))
            for session in np.flatnonzero(counts > limit)[:10].tolist():
                mine = lines[chosen & (codes == session)]
                self.problem(
                    mine[limit:],
                    f"session {shown(keys[session])!r} has {int(counts[session]):,} {what}: "
                    f"a session has at most {limit:,}",
                )

    def refused_by_line(self) -> ScenarioError:
        """The file refused for its bad records: the first MAX_PROBLEMS by line, after a word
        of how many there are in all when there are more."""
        ordered = [Problem(f"line {line}", m) for line, m in sorted(self.problems)[:MAX_PROBLEMS]]
        if self.problem_count > len(ordered):
            ordered.insert(
                0,
                Problem(
                    "",
                    f"{self.problem_count:,} problems in all; the first {len(ordered)} by line "
                    "follow. To price the file without the sessions they are in, leave those "
                    "sessions out (skip_bad=true; on the page, the checkbox)",
                ),
            )
        return ScenarioError(ordered)

    def refused_or_empty(self) -> UsageRecords:
        if self.problems:
            raise self.refused_by_line()
        raise self.refuse("the file has a header but no records")


def _encoded(values: pa.Array) -> tuple[npt.NDArray[np.int64], list[str]]:
    """A column of few distinct words as each value's index into the words."""
    encoded = pc.dictionary_encode(values)
    words = [word.strip() for word in encoded.dictionary.to_pylist()]
    return encoded.indices.to_numpy().astype(np.int64), words


def _np(values: Any) -> npt.NDArray[Any]:
    return np.asarray(values.to_numpy(zero_copy_only=False))


def _date_times(values: pa.Array) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
    """ISO 8601 date-times (already of the right shape) as microseconds since 1970, and which
    are no real date and time (a 31st of February): cast in pieces, one by one only where a
    piece fails."""
    micros = np.zeros(len(values), np.int64)
    invalid = np.zeros(len(values), np.bool_)
    kind = pa.timestamp("us", tz="UTC")
    step = 65536
    for low in range(0, len(values), step):
        piece = values.slice(low, step)
        try:
            micros[low : low + len(piece)] = _np(pc.cast(piece, kind).cast(pa.int64()))
        except pa.ArrowInvalid:
            for k, value in enumerate(piece.to_pylist()):
                try:
                    micros[low + k] = pc.cast(pa.array([value]), kind).cast(pa.int64())[0].as_py()
                except pa.ArrowInvalid:
                    invalid[low + k] = True
    return micros, invalid


def _arrow_message(text: str) -> str:
    if "UTF8" in text or "utf8" in text or "UTF-8" in text:
        return "the file is not UTF-8 text: save it as UTF-8 CSV"
    if "straddling" in text or "block" in text:
        return f"a line of the file is longer than {BLOCK_BYTES // (1 << 20)} MB: is it CSV?"
    found = re.search(r"CSV parse error: (.*)", text)
    return f"the file is not CSV that can be read: {shown(found[1] if found else text, 120)}"


def _name(text: str) -> str:
    """A name from the file as a document may have it: text, at most MAX_TEXT characters."""
    return "" if "\x00" in text else text[:MAX_TEXT]


def session_document(
    records: UsageRecords, k: int, model: Model, *, names: bool = True
) -> dict[str, Any]:
    """Session k of a usage file as the scenario document its records make (one session a
    month): what it prices exactly as, and what "open in the editor" opens. Without `names`
    its participants are "Participant 1", "Participant 2", ... (names are not kept)."""
    sessions = records.sessions
    places = len(str(sessions.scale)) - 1

    def seconds(ticks: int) -> Decimal:
        return Decimal(ticks).scaleb(-places) if places else Decimal(ticks)

    people = np.flatnonzero(sessions.session == k).tolist()
    participants: list[dict[str, Any]] = []
    for i in people:
        publish = int(sessions.publish[i])
        participants.append(
            {
                "name": (_name(records.person_names[i].as_py()) if names else "")
                or f"Participant {len(participants) + 1}",
                "media": "video" if sessions.video[i] else "voice",
                "endpoint": ENDPOINTS[int(records.endpoints[i])],
                "direction": DIRECTIONS[int(records.directions[i])],
                "join": seconds(int(sessions.join[i])),
                "leave": seconds(int(sessions.leave[i])),
                "publish": None if publish == NONE else seconds(publish),
                "streams": int(sessions.streams[i]),
                "subscribes": bool(sessions.subscribes[i]),
            }
        )
    document: dict[str, Any] = {
        "name": f"Session {records.keys[k]}"[:MAX_TEXT],
        "model": str(model),
        "sessions_per_month": 1,
        "participants": participants,
        "conferences": [],
        "recordings": [],
        "monitoring": [],
    }
    lists = {CONFERENCE: "conferences", RECORDING: "recordings", MONITORING: "monitoring"}
    for i in np.flatnonzero(sessions.interval_session == k).tolist():
        kind = int(sessions.interval_kind[i])
        item: dict[str, Any] = {
            "start": seconds(int(sessions.interval_start[i])),
            "end": seconds(int(sessions.interval_end[i])),
        }
        if kind == CONFERENCE:
            item["media"] = "video" if sessions.interval_video[i] else "voice"
        if kind == ADDON:
            item = {"meter": sessions.addons[int(sessions.interval_addon[i])], **item}
            document.setdefault("addons", []).append(item)
        else:
            document[lists[kind]].append(item)
    return document
