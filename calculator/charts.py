"""The result's Plotly figures, built as plain data for `Plotly.react`.

Times go on a date axis in milliseconds from the session's start (plotly.js then labels ticks
as clock times and keeps them sensible when zoomed). Plotted positions are floats, which only
place pixels; every amount a person reads is the engine's exact decimal, preformatted.
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from functools import cached_property, lru_cache
from itertools import groupby
from typing import Any

import numpy as np
from django.utils.safestring import SafeString, mark_safe

from billing.engine import ChargeKind, EstimateQuote, Meter, Model, Quote
from billing.engine.metering import Spans, billed_spans
from billing.engine.meters import AnyMeter, meter_order
from billing.engine.money import currency_symbol, money_text
from billing.engine.pricing import Crossover
from billing.engine.roster import Roster, member_seconds
from billing.engine.timefmt import clock, minutes_text

MAX_ROWS = 60
GROUPS = 40
ROW_HEIGHT = 22
COLORS = {
    "unbilled": "#d5dbe3",
    "billed": "#2563eb",
    "publishing": "#f59e0b",
    "conference": "#7c3aed",
    "recording": "#dc2626",
    "monitoring": "#059669",
    "addon": "#64748b",
}
METER_COLORS = {
    Meter.VOICE_CALL: "#2563eb",
    Meter.VIDEO_CALL: "#7c3aed",
    Meter.PARTICIPANT: "#0891b2",
    Meter.SUBSCRIBED: "#db2777",
    Meter.SIP_INTERCONNECT: "#f59e0b",
    Meter.RECORDING: "#dc2626",
    Meter.MONITORING: "#059669",
}
# A deal's add-ons (and fees, in a comparison of saved items) take these in turn, by key.
EXTRA_COLORS = ("#64748b", "#a16207", "#be123c", "#0f766e", "#4338ca", "#9333ea")


def meter_color(meter: AnyMeter) -> str:
    if isinstance(meter, Meter):
        return METER_COLORS[meter]
    return EXTRA_COLORS[sum(map(ord, meter)) % len(EXTRA_COLORS)]


# No chart control may send data anywhere: plotly.js offers "Share chart" (to Plotly's cloud)
# by default and "Edit in Chart Studio" when asked; both are off, and the cloud's address is
# blanked so that nothing could reach it. static/js/app.js enforces the same on every figure.
CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "showSendToCloud": False,
    "showEditInChartStudio": False,
    "plotlyServerURL": "",
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "sendDataToCloud", "editInChartStudio"],
}

Span = tuple[Decimal, Decimal]


@dataclass(frozen=True)
class Row:
    """One line of the timeline: what was connected, what of it was billed."""

    label: str
    kind: str
    connected: Span
    billed: tuple[Span, ...]
    billed_seconds: int | Fraction
    publishing: Span | None = None
    count: int = 1
    # How many separate stretches it bills (more than drawn, past MAX_BARS).
    parts: int = 0


def ms(seconds: Decimal) -> float:
    """A duration in milliseconds: the length of a bar on a date axis."""
    return float(seconds * 1000)


EPOCH = datetime(1970, 1, 1)


@lru_cache(maxsize=4096)
def stamp(seconds: Decimal) -> str:
    """A moment of the session as a date-axis position, written as a date from 1970-01-01
    (plotly.js reads some bare numbers on a date axis as years: see `date_positions`)."""
    moment = EPOCH + timedelta(microseconds=int(seconds * 1_000_000))
    # Whole seconds without their milliseconds.
    whole = moment.microsecond == 0
    return moment.isoformat(sep=" ", timespec="seconds" if whole else "milliseconds")


def plotly_text(text: str) -> str:
    """A user's text as Plotly shows it: Plotly reads a subset of HTML in every label (a
    participant named `<a href=...>` would be a live link), and reads entities back, so the
    text is escaped and shows as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# A row's billed stretches drawn one bar each, at most this many (see `_drawn`).
MAX_BARS = 200


def timeline_rows(quote: Quote) -> list[Row]:
    """The timeline's rows: each participant, then each group as one band, then each
    conference, recording and monitoring session; past MAX_ROWS of a kind, consecutive alike
    ones share a band (a webinar's hundred attendees become 40 readable bands rather than a
    hundred unreadable lines).

    What each row bills is the engine's: its billed seconds from the quote's charges, and
    where in the session they fall from `billed_spans`, which works for a band of thousands
    in the time its rows take (never participants x publishers)."""
    scenario, usage = quote.scenario, quote.usage
    people = scenario.participants
    billed_seconds = _billed_by_position(quote)
    shows_publish = scenario.model.reads_publish
    # A presenter is not lumped in with attendees: bands hold runs of participants alike in
    # whether they publish and in their name without its number.
    bands: list[Any] = _bands(
        len(people),
        lambda i: (shows_publish and people[i].publish is not None, _stem(people[i].name)),
    )
    roster = Roster(scenario)
    group_ranges = [
        range(start, start + g.count)
        for g, start in zip(scenario.groups, roster.starts, strict=True)
    ]
    spans_of = billed_spans(scenario, usage, [*bands, *group_ranges])
    rows = []
    for band, spans in zip(bands, spans_of, strict=False):
        members = [people[i] for i in band]
        publishers = [p for p in members if shows_publish and p.publish is not None]
        first, last = members[0], members[-1]
        rows.append(
            Row(
                label=first.name if len(band) == 1 else f"{first.name} … {last.name}",
                kind="participant" if len(band) == 1 else "group",
                connected=(min(p.join for p in members), max(p.leave for p in members)),
                billed=_drawn(spans),
                billed_seconds=sum(
                    (billed_seconds.get("participants", {}).get(i, 0) for i in band), Fraction(0)
                ),
                publishing=(
                    min(p.publish for p in publishers if p.publish is not None),
                    max(p.leave for p in publishers),
                )
                if publishers
                else None,
                count=len(band),
                parts=len(spans),
            )
        )
    for group, members_at, spans in zip(
        scenario.groups, group_ranges, spans_of[len(bands) :], strict=True
    ):
        joins, leaves = member_seconds(group)
        connected = (Decimal(int(joins.min())), Decimal(int(leaves.max())))
        rows.append(
            Row(
                label=group.name,
                kind="group",
                connected=connected,
                billed=_drawn(spans),
                billed_seconds=_billed_in(quote, members_at),
                publishing=connected if shows_publish and group.publishes else None,
                count=group.count,
                parts=len(spans),
            )
        )
    minutes = [c for c in usage.charges if c.kind is ChargeKind.MINUTE]
    if minutes:
        # video_ppm_per_minute bills the session's minutes, not a participant's time: one
        # row for them (the participants' rows show where they were in a billable minute).
        billable = _merge((c.start, c.end) for batch in minutes for c in batch)
        rows.append(
            Row(
                "Billable minutes",
                "minutes",
                (billable[0][0], billable[-1][1]),
                tuple(billable),
                sum(int(batch.total) for batch in minutes),  # whole minutes, never ticks
                count=1,
                parts=len(billable),
            )
        )
    for kind, label, intervals in (
        (ChargeKind.CONFERENCE, "Conference", scenario.conferences),
        (ChargeKind.RECORDING, "Recording", scenario.recordings),
        (ChargeKind.MONITORING, "Monitoring", scenario.monitoring),
        (ChargeKind.ADDON, "Add-on", scenario.addons),
    ):
        # An interval the engine charged is drawn billed (a conference is charged only under
        # some models: the engine knows which).
        seconds = billed_seconds.get(kind.listed_in, {})
        for interval_band in _bands(len(intervals), lambda i: None):
            members_i = [intervals[i] for i in interval_band]
            drawn = _merge(
                (intervals[i].start, intervals[i].end)
                for i in interval_band
                if i in seconds and intervals[i].end > intervals[i].start
            )
            name = f"{label} {interval_band[0] + 1}"
            if kind is ChargeKind.ADDON and len(interval_band) == 1:
                meter = quote.card.addons.get(intervals[interval_band[0]].meter)
                name = f"{meter.label if meter else 'Add-on'} {interval_band[0] + 1}"
            if len(interval_band) > 1:
                name = f"{label}s {interval_band[0] + 1} … {interval_band[-1] + 1}"
            rows.append(
                Row(
                    name,
                    kind,
                    (min(i.start for i in members_i), max(i.end for i in members_i)),
                    tuple(drawn),
                    sum((seconds.get(i, 0) for i in interval_band), Fraction(0)),
                    count=len(interval_band),
                    parts=len(drawn),
                )
            )
    return rows


def _billed_by_position(quote: Quote) -> dict[str, dict[int, int | Fraction]]:
    """Billed seconds of each item the engine charged, by the scenario's list it is in and
    its position there (groups' members left out: `_billed_in` sums them a group at once)."""
    billed: dict[str, dict[int, int | Fraction]] = {}
    for batch in quote.usage.charges:
        if batch.group is not None:
            continue
        of_list = billed.setdefault(batch.kind.listed_in, {})
        for k, i in enumerate(batch.positions.tolist()):
            of_list[i] = of_list.get(i, 0) + batch.second(k)
    return billed


def _billed_in(quote: Quote, positions: range) -> int | Fraction:
    """Billed seconds of the participants' charges at roster positions in a range."""
    total: int | Fraction = 0
    for batch in quote.usage.charges:
        if batch.kind.listed_in == "participants" and len(batch):
            low, high = np.searchsorted(batch.positions, [positions.start, positions.stop])
            total += Fraction(int(batch.seconds[low:high].sum()), batch.scale)
    return total


def _stem(name: str) -> str:
    return name.rstrip("0123456789 #")


def _bands(count: int, key: Callable[[int], object]) -> list[list[int]]:
    """Positions 0..count-1 one to a row, or past MAX_ROWS, runs of alike consecutive items
    cut in chunks, about GROUPS rows in all."""
    if count <= MAX_ROWS:
        return [[i] for i in range(count)]
    size = -(-count // GROUPS)
    bands = []
    for _, run in groupby(range(count), key=key):
        alike = list(run)
        bands += [alike[start : start + size] for start in range(0, len(alike), size)]
    return bands


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _drawn(spans: Spans) -> tuple[Span, ...]:
    """A row's billed stretches as drawn: all of them, or past MAX_BARS, with the shortest
    gaps between them closed (gaps a screen could not show; the row's table entry and hover
    say how many stretches there are)."""
    if len(spans) > MAX_BARS:
        gaps = spans.starts[1:] - spans.ends[:-1]
        # The MAX_BARS - 1 widest gaps stay open (ties broken by position, so exactly so many).
        kept = np.sort(np.argsort(-gaps, kind="stable")[: MAX_BARS - 1])
        starts = np.concatenate((spans.starts[:1], spans.starts[1:][kept]))
        ends = np.concatenate((spans.ends[:-1][kept], spans.ends[-1:]))
        spans = Spans(starts, ends, spans.scale)
    return tuple(spans.seconds())


def _bar(name: str, color: str, width: float | None = None) -> dict[str, Any]:
    trace: dict[str, Any] = {
        "type": "bar",
        "orientation": "h",
        "name": name,
        "marker": {"color": color},
        "y": [],
        "x": [],
        "base": [],
        "customdata": [],
        "hovertemplate": "%{y}<br>%{customdata}<extra>" + name + "</extra>",
    }
    if width is not None:
        trace["width"] = width
    return trace


def timeline(rows: Sequence[Row], end: Decimal) -> dict[str, Any]:
    """The timeline of rows (`timeline_rows(quote)`), on an axis to the session's `end`."""
    connected = _bar("Connected, not billed", COLORS["unbilled"])
    billed = _bar("Billed", COLORS["billed"])
    publishing = _bar("Publishing", COLORS["publishing"], width=0.3)
    extras = {
        kind: _bar(name, COLORS[kind])
        for kind, name in (
            ("conference", "Conference"),
            ("recording", "Recording"),
            ("monitoring", "Monitoring"),
            ("addon", "Add-on"),
        )
    }
    labels = []
    for row in rows:
        label = plotly_text(f"{row.label} ({row.count:,})" if row.count > 1 else row.label)
        labels.append(label)
        start, finish = row.connected
        connected["y"].append(label)
        connected["base"].append(stamp(start))
        connected["x"].append(ms(finish - start))
        connected["customdata"].append(f"connected {clock(start)}–{clock(finish)}")
        target = extras.get(row.kind, billed)
        in_all = minutes_text(row.billed_seconds) + " in all"
        if row.parts > len(row.billed):
            in_all = f"{row.parts:,} stretches, {in_all}"
        for a, b in row.billed:
            target["y"].append(label)
            target["base"].append(stamp(a))
            target["x"].append(ms(b - a))
            target["customdata"].append(f"billed {clock(a)}–{clock(b)}, {in_all}")
        if row.publishing:
            a, b = row.publishing
            publishing["y"].append(label)
            publishing["base"].append(stamp(a))
            publishing["x"].append(ms(b - a))
            publishing["customdata"].append(f"publishing {clock(a)}–{clock(b)}")
    # Every row is drawn connected, in grey, under its billed parts: the legend names the grey
    # only where some of it shows.
    connected["showlegend"] = any(
        sum((b - a for a, b in row.billed), Decimal(0)) < row.connected[1] - row.connected[0]
        for row in rows
    )
    traces = [t for t in (connected, billed, publishing, *extras.values()) if t["y"]]
    return {
        "data": traces,
        "layout": {
            "barmode": "overlay",
            "height": max(200, 90 + ROW_HEIGHT * len(rows)),
            "margin": {"l": 10, "r": 10, "t": 40, "b": 40},
            "xaxis": time_axis(end),
            "yaxis": {
                "autorange": "reversed",
                "automargin": True,
                "categoryorder": "array",
                "categoryarray": labels,
            },
            "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            "hovermode": "closest",
            "uirevision": "timeline",
        },
        "config": CONFIG,
    }


def session_end(quote: Quote) -> Decimal:
    """The last moment anything in the session happens: every time axis runs to it, so that
    the charts of one session read their times alike."""
    scenario = quote.scenario
    ends = [p.leave for p in scenario.participants]
    ends += [Decimal(int(member_seconds(g)[1].max())) for g in scenario.groups]
    for intervals in (scenario.conferences, scenario.recordings, scenario.monitoring):
        ends += [i.end for i in intervals]
    return max(ends, default=Decimal(60))


def time_axis(end: Decimal) -> dict[str, Any]:
    """A date axis read as the app writes times: m:ss under an hour, h:mm:ss from an hour (so
    "1:00" is always a minute, never an hour), with the day past a day."""
    if end < 3600:
        ticks = "%-M:%S"
    elif end < 86_400:
        ticks = "%-H:%M:%S"
    else:
        ticks = "day %-j, %-H:%M"
    return {
        "type": "date",
        "tickformat": ticks,
        "hoverformat": ticks,
        "title": {"text": "Time into the session"},
    }


class Steps:
    """Connected participants over time as a step function: the moments the count changes
    and the count after each. A webinar's thousands of steps keep their moments as an array
    of whole seconds, drawn and tabled from it without a Decimal each (`times` makes them
    when asked)."""

    def __init__(
        self,
        counts: list[int],
        moments: list[Decimal] | None = None,
        seconds: np.ndarray[Any, np.dtype[np.int64]] | None = None,
    ) -> None:
        self.counts = counts
        self.seconds = seconds
        self._moments = moments

    def moment(self, index: int) -> Decimal:
        if self._moments is not None:
            return self._moments[index]
        assert self.seconds is not None
        return Decimal(int(self.seconds[index]))

    @cached_property
    def times(self) -> list[Decimal]:
        if self._moments is not None:
            return self._moments
        assert self.seconds is not None
        return [Decimal(s) for s in self.seconds.tolist()]

    def __len__(self) -> int:
        return len(self.counts)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Steps):
            return NotImplemented
        return (self.times, self.counts) == (other.times, other.counts)

    __hash__ = None  # type: ignore[assignment]


def connected_steps(quote: Quote) -> Steps:
    """Connected participants over time, exactly. A group's members are counted a group at
    once, in arrays (their times are whole seconds): a webinar's steps are redrawn as the
    user types. A moment where as many leave as join is no step."""
    scenario = quote.scenario
    people = scenario.participants
    moments = [p.join for p in people] + [p.leave for p in people]
    if all(t == t.to_integral_value() for t in moments):
        joins = [np.array([int(p.join) for p in people], dtype=np.int64)]
        leaves = [np.array([int(p.leave) for p in people], dtype=np.int64)]
        for group in scenario.groups:
            group_joins, group_leaves = member_seconds(group)
            joins.append(group_joins)
            leaves.append(group_leaves)
        at_join, at_leave = np.concatenate(joins), np.concatenate(leaves)
        if not len(at_join):
            return Steps([], seconds=np.zeros(0, dtype=np.int64))
        # Seconds from the first join: each second's joins less its leaves, then summed.
        low = int(at_join.min())
        size = int(at_leave.max()) - low + 1
        change = np.bincount(at_join - low, minlength=size) - np.bincount(
            at_leave - low, minlength=size
        )
        steps = np.flatnonzero(change)
        return Steps(np.cumsum(change[steps]).tolist(), seconds=steps + low)
    # Some time has a fraction: participants only (groups' times are whole), by moment.
    events: dict[Decimal, int] = {}
    for p in people:
        events[p.join] = events.get(p.join, 0) + 1
        events[p.leave] = events.get(p.leave, 0) - 1
    for group in scenario.groups:
        for seconds_of, sign in zip(member_seconds(group), (1, -1), strict=True):
            at, many = np.unique(seconds_of, return_counts=True)
            for moment, count in zip(at.tolist(), many.tolist(), strict=True):
                events[Decimal(moment)] = events.get(Decimal(moment), 0) + sign * count
    changed = [m for m in sorted(events) if events[m]]
    return Steps(np.cumsum([events[m] for m in changed]).tolist(), moments=changed)


def date_positions(seconds: np.ndarray[Any, np.dtype[np.int64]]) -> list[float]:
    """Whole seconds of the session as positions on a date axis: numbers, which a date axis
    reads as milliseconds from 1970-01-01 (a webinar's thousands of steps are half the bytes
    of dates, made without a string each) — except that plotly.js takes a whole number of two
    or four digits for a year (10 ms, or 1000 ms to 9999 ms): those moments, the session's
    seconds 1 to 9, are moved by a microsecond, which no tick or hover shows."""
    ms = seconds * 1000
    positions: list[float] = ms.tolist()
    for k in np.flatnonzero((ms >= 10) & (ms < 10_000)).tolist():
        positions[k] += 0.001
    return positions


def concurrency(quote: Quote, steps: Steps, end: Decimal) -> dict[str, Any]:
    """Participants connected over time (`connected_steps(quote)`), billing start marked."""
    counts = steps.counts
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Connected",
            "line": {"shape": "hv", "color": COLORS["billed"], "width": 2},
            "fill": "tozeroy",
            "fillcolor": "rgba(37,99,235,0.12)",
            # The hover shows each time as the axis writes times (no text of its own: a
            # webinar has thousands of steps). A date axis reads numbers as milliseconds.
            "x": [stamp(t) for t in steps.times]
            if steps.seconds is None
            else date_positions(steps.seconds),
            "y": counts,
            "hovertemplate": "%{x}: %{y:,} connected<extra></extra>",
        }
    ]
    shapes, annotations = [], []
    start = quote.usage.billing_start
    if start is not None:
        shapes.append(
            {
                "type": "line",
                "x0": stamp(start),
                "x1": stamp(start),
                "yref": "paper",
                "y0": 0,
                "y1": 1,
                "line": {"color": COLORS["publishing"], "width": 2, "dash": "dash"},
            }
        )
        annotations.append(
            {
                "x": stamp(start),
                "yref": "paper",
                "y": 1,
                "text": f"Billing starts {clock(start)}",
                "showarrow": False,
                "xanchor": "left",
                "yanchor": "bottom",
                "font": {"size": 12},
            }
        )
    return {
        "data": traces,
        "layout": {
            "height": 240,
            "margin": {"l": 40, "r": 10, "t": 24, "b": 40},
            "xaxis": time_axis(end),
            "yaxis": {
                "title": {"text": "Participants"},
                "rangemode": "tozero",
                "dtick": max(1, (max(counts, default=1) // 5) or 1),
            },
            "shapes": shapes,
            "annotations": annotations,
            "showlegend": False,
            "uirevision": "concurrency",
        },
        "config": CONFIG,
    }


def costs(quote: Quote) -> dict[str, Any]:
    """Cost by meter, per session and per month, in two panels side by side."""
    currency = quote.card.currency
    traces = []
    panels: list[list[str]] = []
    for axis, period in (("", quote.per_session), ("2", quote.monthly)):
        # Each meter's line, then each fee and what a minimum commitment adds: the bars add
        # up to the period's total, as the breakdown's lines do.
        bars = [(line.meter.label, line.amount, meter_color(line.meter)) for line in period.lines]
        bars += [(e.label, e.amount, COLORS["unbilled"]) for e in period.extras]
        bars.reverse()
        panels.append([plotly_text(label) for label, _, _ in bars])
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                "y": [plotly_text(label) for label, _, _ in bars],
                "x": [float(amount) for _, amount, _ in bars],
                "text": [money_text(amount, currency) for _, amount, _ in bars],
                "textposition": "auto",
                "marker": {"color": [color for _, _, color in bars]},
                "hovertemplate": "%{y}: %{text}<extra></extra>",
                "showlegend": False,
            }
        )
    # One list of rows for both panels (a monthly fee has no bar in a session's panel).
    categories = list(dict.fromkeys([*panels[1], *panels[0]]))
    rows = max(len(categories), 1)
    return {
        "data": traces,
        "layout": {
            "height": 90 + 34 * rows,
            "margin": {"l": 10, "r": 10, "t": 30, "b": 30},
            "xaxis": {
                "domain": [0, 0.46],
                "title": {"text": f"Per session ({currency})"},
                "rangemode": "tozero",
            },
            "xaxis2": {
                "domain": [0.54, 1],
                "title": {"text": f"Per month ({currency})"},
                "rangemode": "tozero",
            },
            "yaxis": {
                "automargin": True,
                "categoryorder": "array",
                "categoryarray": categories,
            },
            "yaxis2": {
                "automargin": True,
                "anchor": "x2",
                "showticklabels": False,
                "categoryorder": "array",
                "categoryarray": categories,
                "matches": "y",
            },
            "uirevision": "costs",
        },
        "config": CONFIG,
    }


# -- The same data as tables, for screen readers and for anyone who wants the numbers ----------


def timeline_table(rows: Sequence[Row]) -> SafeString:
    """Table rows of the timeline: what was connected, what was billed, billed minutes."""
    return table_rows(
        '<tr><th scope="row">{}</th><td>{}</td><td>{}</td><td class="num">{}</td></tr>',
        (
            (
                f"{row.label} ({row.count:,})" if row.count > 1 else row.label,
                f"{clock(row.connected[0])}–{clock(row.connected[1])}",
                _billed_text(row),
                minutes_text(row.billed_seconds),
            )
            for row in rows
        ),
    )


def _billed_text(row: Row) -> str:
    if not row.billed:
        return "not billed"
    if row.parts > len(row.billed):
        first, last = row.billed[0][0], row.billed[-1][1]
        return f"{row.parts:,} stretches between {clock(first)} and {clock(last)}"
    return ", ".join(f"{clock(a)}–{clock(b)}" for a, b in row.billed)


# Past this many steps, the table gives the runs in which the count rises, falls or holds.
STEPS_LISTED = 60


def steps_table(steps: Steps) -> SafeString:
    """Table rows of the connected participants: each step, or for a webinar's thousands of
    steps each run of them going one way ("0:00–10:00: 1 → 10,001")."""
    counts = steps.counts
    if len(counts) <= STEPS_LISTED:
        return table_rows(
            '<tr><td>{}</td><td class="num">{}</td></tr>',
            (
                (clock(moment), f"{count:,}")
                for moment, count in zip(steps.times, counts, strict=True)
            ),
        )
    # The count changes at each listed time (from 0 before the first); a run of changes the
    # same way is one row, and the count held between two runs another.
    values = np.asarray(counts, dtype=np.int64)
    directions = np.sign(np.diff(values, prepend=0))
    firsts = np.flatnonzero(np.concatenate(([True], directions[1:] != directions[:-1])))
    lasts = np.concatenate((firsts[1:] - 1, [len(values) - 1]))
    runs: list[tuple[str, str]] = []
    at = steps.moment
    for a, b in zip(firsts.tolist(), lasts.tolist(), strict=True):
        before = counts[a - 1] if a else 0
        if runs:
            runs.append((f"{clock(at(a - 1))}–{clock(at(a))}", f"{before:,}"))
        when = clock(at(a)) if a == b else f"{clock(at(a))}–{clock(at(b))}"
        runs.append((when, f"{before:,} → {counts[b]:,}"))
    return table_rows('<tr><td>{}</td><td class="num">{}</td></tr>', runs)


def table_rows(row_html: str, rows: Iterable[Iterable[object]]) -> SafeString:
    """Django's format_html_join, every value escaped, without its per-value cost (these
    tables have hundreds of cells and are redrawn as the user types)."""
    escape = html.escape
    return mark_safe("".join(row_html.format(*(escape(str(v)) for v in row)) for row in rows))


def projection(quote: EstimateQuote) -> dict[str, Any]:
    """Monthly net cost by meter over the projection, stacked, with the cost per session on a
    second axis: graduated tiers make it fall as volume grows."""
    currency = quote.card.currency
    months = [m.number for m in quote.projection]
    meters = meter_order(
        line.line.meter for m in quote.projection for line in m.lines if m.net_of(line.line.meter)
    )
    traces: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": plotly_text(meter.label),
            "x": months,
            "y": [float(m.net_of(meter)) for m in quote.projection],
            "text": [money_text(m.net_of(meter), currency) for m in quote.projection],
            "textposition": "none",
            "marker": {"color": meter_color(meter)},
            "hovertemplate": "Month %{x}: %{text}<extra>" + plotly_text(meter.label) + "</extra>",
        }
        for meter in meters
    ]
    per_session = [
        (m.net_total / m.sessions) if m.sessions else Decimal(0) for m in quote.projection
    ]
    traces.append(
        {
            "type": "scatter",
            "mode": "lines+markers",
            "name": "Cost per session",
            "x": months,
            "y": [float(v) for v in per_session],
            "text": [money_text(v.quantize(Decimal("0.000001")), currency) for v in per_session],
            "yaxis": "y2",
            "line": {"color": "#14213d", "width": 2},
            "hovertemplate": "Month %{x}: %{text} a session<extra></extra>",
        }
    )
    # The line in a strip of its own above the bars (sharing their months): it crosses no bar.
    highest = max((float(v) for v in per_session), default=0.0)
    line_range = {"range": [0, highest * 1.3]} if highest > 0 else {"rangemode": "tozero"}
    return {
        "data": traces,
        "layout": {
            "barmode": "stack",
            "height": 420,
            "xaxis": {"title": {"text": "Month"}, "dtick": 1 if len(months) <= 12 else 3},
            "margin": {"l": 70, "r": 20, "t": 40, "b": 60},
            "yaxis": {
                "title": {"text": f"Net a month ({currency})"},
                "rangemode": "tozero",
                "domain": [0, 0.66],
            },
            "yaxis2": {
                "title": {"text": "Per session"},
                "anchor": "x",
                "domain": [0.74, 1],
                "tickformat": ",.4f",
                "nticks": 3,
                **line_range,
            },
            "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            "uirevision": "projection",
        },
        "config": CONFIG,
    }


def model_curves(
    counts: list[int],
    curves: dict[Model, list[Decimal | None]],
    crossovers: Sequence[Crossover],
    currency: str,
) -> dict[str, Any]:
    """Monthly cost under each model as the number of participants grows."""
    # Each model in the colour of the meter it bills by (a call leg is voice or video).
    colors = {
        Model.SIP_MEDIASERVER: METER_COLORS[Meter.VOICE_CALL],
        Model.VIDEO_PPM: METER_COLORS[Meter.PARTICIPANT],
        Model.VIDEO_PPM_PER_MINUTE: "#ea580c",
        Model.VIDEO_SSM: METER_COLORS[Meter.SUBSCRIBED],
    }
    traces: list[dict[str, Any]] = []
    for model, values in curves.items():
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": model.label,
                "x": counts,
                "y": [None if v is None else float(v) for v in values],
                "text": ["" if v is None else money_text(v, currency) for v in values],
                "line": {"color": colors[model], "width": 2},
                "hovertemplate": "%{x} participants: %{text} a month<extra>"
                + model.label
                + "</extra>",
            }
        )
    middle = (counts[0] + counts[-1]) / 2
    annotations = [
        {
            "x": c.participants,
            "y": float(curves[c.cheaper][counts.index(c.participants)] or 0),
            "text": f"{c.participants}: {c.cheaper.label} becomes cheaper",
            "showarrow": True,
            "arrowhead": 2,
            "ax": 0,
            "ay": -40,
            "font": {"size": 11},
            # The text runs away from the nearer edge, so that it stays inside the plot.
            "xanchor": "left" if c.participants <= middle else "right",
        }
        for c in crossovers
    ]
    return {
        "data": traces,
        "layout": {
            "height": 360,
            "margin": {"l": 70, "r": 20, "t": 40, "b": 50},
            "xaxis": {
                "title": {"text": "Participants in each session"},
                # One by one for a small session; a session with groups is priced in steps,
                # and Plotly places the ticks.
                **(
                    {"dtick": max(1, len(counts) // 12)}
                    if counts[-1] - counts[0] == len(counts) - 1
                    else {"tickformat": ",d"}
                ),
                # Fixed: on a narrow screen Plotly would widen the axis to fit the annotations'
                # text, down to negative participants.
                "range": [counts[0] - 0.5, counts[-1] + 0.5],
            },
            "yaxis": {"title": {"text": f"Cost a month ({currency})"}, "rangemode": "tozero"},
            "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            "annotations": annotations,
            "uirevision": "curves",
        },
        "config": CONFIG,
    }


def side_by_side(
    names: list[str], meters: list[AnyMeter], amounts: list[list[Decimal]], currency: str
) -> dict[str, Any]:
    """Monthly cost by meter of several saved scenarios or estimates, grouped."""
    palette = ["#2563eb", "#f59e0b", "#059669", "#7c3aed", "#dc2626", "#0891b2"]
    return {
        "data": [
            {
                "type": "bar",
                "name": plotly_text(name),
                "x": [plotly_text(meter.label) for meter in meters],
                "y": [float(v) for v in values],
                "text": [money_text(v, currency) for v in values],
                "textposition": "none",
                "marker": {"color": palette[i % len(palette)]},
                "hovertemplate": "%{x}: %{text}<extra>" + plotly_text(name) + "</extra>",
            }
            for i, (name, values) in enumerate(zip(names, amounts, strict=True))
        ],
        "layout": {
            "barmode": "group",
            "height": 340,
            "margin": {"l": 70, "r": 20, "t": 40, "b": 60},
            "yaxis": {"title": {"text": f"Cost a month ({currency})"}, "rangemode": "tozero"},
            "legend": {"orientation": "h", "x": 0, "y": 1.0, "yanchor": "bottom"},
            "uirevision": "side-by-side",
        },
        "config": CONFIG,
    }


# -- A usage report's charts (calculator/saved/usage.py) ------------------------------------------


def _two_lines(label: str) -> str:
    """A model's name in short lines: 'Video: subscribed minutes' -> 'Video:<br>subscribed
    minutes'; 'SIP media server (per call leg)' -> 'SIP media server<br>(per call leg)'."""
    return label.replace(": ", ":<br>").replace(", ", ",<br>").replace(" (", "<br>(")


def whole_numbers(highest: int) -> dict[str, Any]:
    """An axis of counts: whole-number ticks (Plotly would mark 0.5 sessions below 10)."""
    axis: dict[str, Any] = {"rangemode": "tozero", "tickformat": ",d"}
    if highest <= 10:
        axis["dtick"] = 1
    return axis


def usage_figures(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A usage report's charts, from its stored aggregates (billing/engine/report.py): the
    month under every model, the sessions by cost, minutes and sessions per day, and the most
    connected at once each day."""
    result = data["result"]
    currency = result["currency"]
    models = [m for m in result["models"] if m["total"] is not None]
    chosen = result["model"]
    days = data["days"]
    dates = [d["day"] for d in days]
    dated = data.get("form") == "date-time"
    edges = data["histogram"]["edges"]
    counts = data["histogram"]["counts"]
    middles = [(float(a) + float(b)) / 2 for a, b in itertools.pairwise(edges)]
    widths = [float(b) - float(a) for a, b in itertools.pairwise(edges)]
    day_axis = {
        "title": {"text": "Day (UTC)" if dated else "Day of the file"},
        "type": "category",
        "automargin": True,
        "tickangle": -45,
    }
    symbol = currency_symbol(currency)
    money_axis = {"tickprefix": symbol} if symbol else {"ticksuffix": f" {currency}"}
    sessions_count = max((d["sessions"] for d in days), default=0)
    most_count = max((d["most_connected"] for d in days), default=0)
    return {
        "models": {
            "data": [
                {
                    "type": "bar",
                    "orientation": "h",
                    # Short lines a label: the bars keep their room in a narrow window.
                    "y": [_two_lines(Model(m["model"]).label) for m in models],
                    "x": [float(m["total"]) for m in models],
                    "text": [money_text(Decimal(m["total"]), currency) for m in models],
                    "textposition": "auto",
                    "marker": {
                        "color": [
                            COLORS["billed"] if m["model"] == chosen else COLORS["unbilled"]
                            for m in models
                        ]
                    },
                    "hovertemplate": "%{y}: %{text}<extra></extra>",
                }
            ],
            "layout": {
                "height": 100 + 48 * len(models),
                "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
                "xaxis": {
                    "title": {"text": f"The month ({currency})"},
                    "rangemode": "tozero",
                    **money_axis,
                },
                "yaxis": {"automargin": True, "autorange": "reversed"},
            },
            "config": CONFIG,
        },
        "histogram": {
            "data": [
                {
                    "type": "bar",
                    "x": middles,
                    "y": counts,
                    "width": widths,
                    "marker": {"color": COLORS["billed"]},
                    "hovertemplate": (
                        f"%{{y:,}} sessions cost about %{{x:.4f}} {currency}<extra></extra>"
                    ),
                }
            ],
            "layout": {
                "height": 300,
                "margin": {"l": 10, "r": 10, "t": 10, "b": 50},
                "bargap": 0.05,
                "xaxis": {"title": {"text": f"Cost of a session ({currency})"}, **money_axis},
                "yaxis": {
                    "title": {"text": "Sessions"},
                    "automargin": True,
                    **whole_numbers(max(counts, default=0)),
                },
            },
            "config": CONFIG,
        },
        "days": {
            "data": [
                {
                    "type": "bar",
                    "name": "Connected minutes",
                    "x": dates,
                    "y": [d["minutes"] for d in days],
                    "marker": {"color": METER_COLORS[Meter.PARTICIPANT]},
                    "hovertemplate": "%{x}: %{y:,} connected minutes<extra></extra>",
                },
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "name": "Sessions",
                    "x": dates,
                    "y": [d["sessions"] for d in days],
                    "yaxis": "y2",
                    "line": {"color": COLORS["publishing"]},
                    "hovertemplate": "%{x}: %{y:,} sessions<extra></extra>",
                },
            ],
            "layout": {
                "height": 320,
                "margin": {"l": 10, "r": 10, "t": 10, "b": 60},
                "xaxis": day_axis,
                "yaxis": {"title": {"text": "Connected minutes"}, "automargin": True},
                "yaxis2": {
                    "title": {"text": "Sessions"},
                    "overlaying": "y",
                    "side": "right",
                    "automargin": True,
                    "showgrid": False,
                    # Its own round ticks, not the left axis's marks (sync) at odd values.
                    "tickmode": "auto",
                    **whole_numbers(sessions_count),
                },
                "legend": {"orientation": "h", "y": 1.12},
            },
            "config": CONFIG,
        },
        "peaks": {
            "data": [
                {
                    "type": "bar",
                    "x": dates,
                    "y": [d["most_connected"] for d in days],
                    "marker": {"color": COLORS["conference"]},
                    "hovertemplate": "%{x}: %{y:,} connected at once at most<extra></extra>",
                }
            ],
            "layout": {
                "height": 300,
                "margin": {"l": 10, "r": 10, "t": 10, "b": 60},
                "xaxis": day_axis,
                "yaxis": {
                    "title": {"text": "Most connected at once"},
                    "automargin": True,
                    **whole_numbers(most_count),
                },
            },
            "config": CONFIG,
        },
    }
