"""What a usage report keeps of a priced usage file: the month's bill and every model's total
(pricing.usage_document), each session's cost (for the histogram and the CSV of the cost per
session), minutes, sessions and the most connected at once per day, the most expensive
sessions as the scenario documents their records make, and what was left out. Aggregates
only, by the file's session keys: the records themselves, with participants' names and
numbers, are not kept (the sessions' documents name their participants "Participant 1"...)."""

from __future__ import annotations

import io
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.csv as pa_csv

from .batch import SessionSeconds, UsageBill
from .jsonio import dumps
from .meters import meter_order
from .money import session_amount
from .pricing import usage_document
from .ratecard import RateCard
from .usagefile import UsageRecords, session_document

Ints = npt.NDArray[np.int64]

TOP_SESSIONS = 20
# A session's document kept to open in the editor only up to this size (a session of
# thousands of participants is shown, not kept whole).
MAX_KEPT_DOCUMENT = 200_000
HISTOGRAM_BINS = 40
DAY = 86_400
UNIX_2001 = 978_307_200
MICRO = 10**6


def session_micros(seconds: Ints, unit: int, rate: Decimal) -> Ints:
    """Each session's amount for a meter in millionths of the currency: its seconds (in
    1/unit s) as minutes times the rate, rounded half up to 6 places, as `session_amount`
    rounds one session's line."""
    fraction = Fraction(rate)
    numerator, denominator = fraction.numerator * MICRO, fraction.denominator * 60 * unit
    values = seconds
    if len(values) and int(values.max()) * numerator * 2 >= 2**62:
        values = values.astype(object)  # beyond int64: Python's integers
    return (2 * values * numerator + denominator) // (2 * denominator)


def session_costs(usage: SessionSeconds, card: RateCard) -> Ints:
    """Each session's cost alone (its per-session total: each meter at its first tier's
    rate), in millionths of the currency."""
    total = np.zeros(usage.count, np.int64)
    for meter in meter_order(usage.seconds):
        total = total + session_micros(usage.seconds[meter], usage.unit, card.price_of(meter).rate)
    return total


def cost_text(micros: int) -> str:
    """Millionths as a session's amount reads (`session_amount`: 4 to 6 decimal places)."""
    return f"{session_amount(Fraction(micros, MICRO)):f}"


# A cell a spreadsheet would run as a formula starts with one of these (OWASP, "CSV
# injection"): such a key is written after an apostrophe, which spreadsheets hide.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def micros_text(micros: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Millionths as decimals with 6 places, all at once: 1729000 -> '1.729000'."""
    whole, part = np.divmod(np.asarray(micros), MICRO)
    return np.char.add(np.char.add(whole.astype(str), "."), np.char.zfill(part.astype(str), 6))


def starts_text(records: UsageRecords) -> npt.NDArray[Any]:
    """Every session's start as the file gives it (`UsageRecords.origin`), all at once."""
    if records.form == "date-time":
        moments = records.origins.astype("datetime64[us]")
        if (records.origins % MICRO).any():
            return np.char.add(np.datetime_as_string(moments, unit="us"), "Z")
        return np.char.add(np.datetime_as_string(moments, unit="s"), "Z")
    whole, part = np.divmod(records.origins, MICRO)
    fractions = np.char.rstrip(np.char.zfill(part.astype(str), 6), "0")
    dotted = np.char.add(np.char.add(whole.astype(str), "."), fractions)
    return np.where(part == 0, whole.astype(str), dotted)


def _start_text(given: str, origin: int, unix: bool) -> str:
    """When a session starts, as the file gives it; seconds since 1970 also as a date-time."""
    if not unix:
        return given
    moment = np.datetime64(origin // MICRO, "s")
    return f"{moment}Z ({given})"


def usage_report(bill: UsageBill, records: UsageRecords) -> tuple[dict[str, Any], bytes]:
    """The report's aggregates (see the module's docstring), as JSON-ready data, and the CSV
    of the cost of each session (`sessions_csv`): each session's cost, start and
    participants worked out once for both."""
    sessions = records.sessions
    costs = session_costs(bill.seconds, bill.card)
    starts = starts_text(records)
    people = np.bincount(sessions.session, minlength=sessions.count)
    origins = records.origins // MICRO
    unix = records.form == "seconds" and bool(len(origins)) and int(origins.min()) >= UNIX_2001
    order = np.argsort(-costs, kind="stable")[:TOP_SESSIONS]
    top = []
    for k in order.tolist():
        # Kept without the participants' names, which may be phone numbers or people's.
        text = dumps(session_document(records, k, bill.model, names=False))
        kept = len(text) <= MAX_KEPT_DOCUMENT
        top.append(
            {
                "session": records.keys[k],
                "start": _start_text(str(starts[k]), int(records.origins[k]), unix),
                "line": int(records.first_lines[k]),
                "participants": int(people[k]),
                "cost": cost_text(int(costs[k])),
                # Exact JSON text (times are decimals): what "open in the editor" opens.
                "document": text if kept else None,
            }
        )
    data = {
        "result": usage_document(bill, records),
        # Days are dates (UTC) for date-times, and for seconds since 1970.
        "form": "date-time" if unix else records.form,
        "histogram": histogram(costs),
        "days": days(records, dated=records.form == "date-time" or unix),
        "top": top,
    }
    return data, sessions_csv(bill, records, costs, starts, people)


def histogram(costs: Ints) -> dict[str, Any]:
    """Sessions by their cost, in HISTOGRAM_BINS equal bins from 0 to the dearest."""
    if not len(costs) or not int(costs.max()):
        return {"edges": [], "counts": [], "nothing": len(costs)}
    high = int(costs.max())
    width = max(1, -(-(high + 1) // HISTOGRAM_BINS))
    counts = np.bincount(costs // width, minlength=HISTOGRAM_BINS)
    edges = [f"{Decimal(width * k).scaleb(-6):f}" for k in range(len(counts) + 1)]
    return {"edges": edges, "counts": counts.tolist()}


def days(records: UsageRecords, *, dated: bool) -> list[dict[str, Any]]:
    """Per day (UTC, of date-times; day 0, 1, ... of seconds): the sessions that start, their
    participants' connected minutes, and the most participants connected at once. `dated`:
    the file's times are dates (date-times, or seconds that count from 1970)."""
    sessions = records.sessions
    scale = sessions.scale
    origin_seconds = records.origins // MICRO
    day_of_session = origin_seconds // DAY
    first_day = int(day_of_session.min()) if len(day_of_session) else 0
    span = int(day_of_session.max()) - first_day + 1 if len(day_of_session) else 0
    started = np.bincount(day_of_session - first_day, minlength=span)
    connected = (sessions.leave - sessions.join).astype(np.float64) / scale
    minutes = np.bincount(
        day_of_session[sessions.session] - first_day, weights=connected / 60, minlength=span
    )
    # The most connected at once each day: everyone's join (+1) and leave (-1) in order of
    # time (a leave before a join at the same moment), the running count's highest each day.
    absolute = records.origins[sessions.session] * scale // MICRO
    joins = absolute + sessions.join
    leaves = absolute + sessions.leave
    moments = np.concatenate((leaves, joins))
    changes = np.concatenate((np.full(len(leaves), -1), np.ones(len(joins), np.int64)))
    order = np.lexsort((changes, moments))
    running = np.cumsum(changes[order])
    day = moments[order] // (DAY * scale) - first_day
    inside = (day >= 0) & (day < span)
    most = np.zeros(span, np.int64)
    np.maximum.at(most, day[inside], running[inside])
    result = []
    for k in range(span):
        label = (
            str(np.datetime64((first_day + k) * DAY, "s").astype("datetime64[D]"))
            if dated
            else f"day {k + 1}"
        )
        result.append(
            {
                "day": label,
                "sessions": int(started[k]),
                "minutes": round(float(minutes[k]), 1),
                "most_connected": int(most[k]),
            }
        )
    return result


def sessions_csv(
    bill: UsageBill,
    records: UsageRecords,
    costs: Ints,
    starts: npt.NDArray[Any],
    people: Ints,
) -> bytes:
    """The cost of each session alone, one row a session: its key, start, first line,
    participants, billed seconds per meter and cost (gzip this to keep it)."""
    columns: dict[str, Any] = {
        "session": [spreadsheet_safe(key) for key in records.keys],
        "start": starts,
        "first_line": records.first_lines,
        "participants": people,
    }
    for meter in meter_order(bill.seconds.seconds):
        values = bill.seconds.seconds[meter]
        if bill.seconds.unit == 1:
            columns[f"{meter.removesuffix('_minutes')}_billed_seconds"] = values
        else:  # exact ticks: the unit is a power of ten
            places = len(str(bill.seconds.unit)) - 1
            columns[f"{meter.removesuffix('_minutes')}_billed_seconds"] = [
                f"{Decimal(v).scaleb(-places):f}" for v in values.tolist()
            ]
    columns[f"cost_{bill.card.currency.lower()}"] = micros_text(costs)
    table = pa.table({name: pa.array(values) for name, values in columns.items()})
    out = io.BytesIO()
    pa_csv.write_csv(table, out)
    return out.getvalue()
