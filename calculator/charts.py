"""The result's Plotly figures, built as plain data for `Plotly.react`.

Times go on a date axis in milliseconds from the session's start (plotly.js then labels ticks
as clock times and keeps them sensible when zoomed). Plotted positions are floats, which only
place pixels; every amount a person reads is the engine's exact decimal, preformatted.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from itertools import groupby
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from billing.engine import EstimateQuote, Meter, Model, Quote
from billing.engine.money import money_text
from billing.engine.pricing import Crossover
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
CONFIG = {
    "displaylogo": False,
    "responsive": True,
    "modeBarButtonsToRemove": ["lasso2d", "select2d"],
}

Span = tuple[Decimal, Decimal]


@dataclass(frozen=True)
class Row:
    """One line of the timeline: what was connected, what of it was billed."""

    label: str
    kind: str
    connected: Span
    billed: tuple[Span, ...]
    billed_seconds: int
    publishing: Span | None = None
    count: int = 1


def ms(seconds: Decimal) -> float:
    """A duration in milliseconds: the length of a bar on a date axis."""
    return float(seconds * 1000)


EPOCH = datetime(1970, 1, 1)


@lru_cache(maxsize=4096)
def stamp(seconds: Decimal) -> str:
    """A moment of the session as a date-axis position (plotly.js reads bare numbers on a
    date axis as years, so positions are written as dates from 1970-01-01)."""
    moment = EPOCH + timedelta(microseconds=int(seconds * 1_000_000))
    return moment.isoformat(sep=" ", timespec="milliseconds")


def _merge(spans: Iterable[Span]) -> list[Span]:
    merged: list[Span] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _clip(spans: Iterable[Span], low: Decimal, high: Decimal) -> tuple[Span, ...]:
    return tuple((max(a, low), min(b, high)) for a, b in spans if min(b, high) > max(a, low))


def timeline_rows(quote: Quote) -> list[Row]:
    scenario, usage = quote.scenario, quote.usage
    model = scenario.model
    # The seconds the engine billed each participant and each interval, by (row kind, position).
    billed_seconds: dict[tuple[str, int], int] = {}
    for batch in usage.charges:
        kind = "participant" if batch.kind in ("leg", "participant", "subscriber") else batch.kind
        positions, seconds = batch.positions.tolist(), batch.seconds.tolist()
        billed_seconds.update(((kind, i), s) for i, s in zip(positions, seconds, strict=True))
    publishing = [
        (p.publish, p.leave, i)
        for i, p in enumerate(scenario.participants)
        if p.publish is not None
    ]
    rows = []
    for i, p in enumerate(scenario.participants):
        connected = (p.join, p.leave)
        if model is Model.SIP_MEDIASERVER:
            billed: tuple[Span, ...] = (connected,)
        elif model is Model.VIDEO_PPM:
            start = usage.billing_start
            billed = () if start is None else _clip([connected], start, p.leave)
        else:
            others = _merge((a, b) for a, b, j in publishing if j != i)
            billed = _clip(others, p.join, p.leave) if p.subscribes else ()
        shows_publish = model is not Model.SIP_MEDIASERVER and p.publish is not None
        rows.append(
            Row(
                label=p.name,
                kind="participant",
                connected=connected,
                billed=billed,
                billed_seconds=billed_seconds.get(("participant", i), 0),
                publishing=(p.publish, p.leave)
                if shows_publish and p.publish is not None
                else None,
            )
        )
    conference_billed = model is Model.SIP_MEDIASERVER
    for kind, label, intervals in (
        ("conference", "Conference", scenario.conferences),
        ("recording", "Recording", scenario.recordings),
        ("monitoring", "Monitoring", scenario.monitoring),
    ):
        for n, interval in enumerate(intervals):
            span = (interval.start, interval.end)
            is_billed = kind != "conference" or conference_billed
            seconds = billed_seconds.get((kind, n), 0)
            rows.append(Row(f"{label} {n + 1}", kind, span, (span,) if is_billed else (), seconds))
    return rows


def group_rows(rows: Sequence[Row]) -> list[Row]:
    """Past MAX_ROWS participants, consecutive participants share a row: a webinar's hundred
    attendees become 40 readable bands rather than a hundred unreadable lines."""
    people = [r for r in rows if r.kind == "participant"]
    if len(people) <= MAX_ROWS:
        return list(rows)
    size = -(-len(people) // GROUPS)
    grouped = []
    # Runs of alike participants (a presenter is not lumped in with attendees), cut in chunks.
    for _, run in groupby(
        people, key=lambda r: (r.publishing is not None, r.label.rstrip("0123456789"))
    ):
        alike = list(run)
        for start in range(0, len(alike), size):
            chunk = alike[start : start + size]
            billed = _merge(span for r in chunk for span in r.billed)
            pubs = [r.publishing for r in chunk if r.publishing]
            grouped.append(
                Row(
                    label=f"{chunk[0].label} … {chunk[-1].label}"
                    if len(chunk) > 1
                    else chunk[0].label,
                    kind="group" if len(chunk) > 1 else "participant",
                    connected=(
                        min(r.connected[0] for r in chunk),
                        max(r.connected[1] for r in chunk),
                    ),
                    billed=tuple(billed),
                    billed_seconds=sum(r.billed_seconds for r in chunk),
                    publishing=(min(p[0] for p in pubs), max(p[1] for p in pubs)) if pubs else None,
                    count=len(chunk),
                )
            )
    return grouped + [r for r in rows if r.kind != "participant"]


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


def _axis_format(end: Decimal) -> str:
    if end < 3600:
        return "%M:%S"
    if end < 86_400:
        return "%H:%M"
    return "day %-j %H:%M"


def timeline(rows: Sequence[Row]) -> dict[str, Any]:
    """The timeline of rows (`group_rows(timeline_rows(quote))`)."""
    connected = _bar("Connected, not billed", COLORS["unbilled"])
    billed = _bar("Billed", COLORS["billed"])
    publishing = _bar("Publishing", COLORS["publishing"], width=0.3)
    extras = {
        kind: _bar(kind.capitalize(), COLORS[kind])
        for kind in ("conference", "recording", "monitoring")
    }
    labels = []
    for row in rows:
        label = f"{row.label} ({row.count})" if row.count > 1 else row.label
        labels.append(label)
        start, end = row.connected
        connected["y"].append(label)
        connected["base"].append(stamp(start))
        connected["x"].append(ms(end - start))
        connected["customdata"].append(f"connected {clock(start)}–{clock(end)}")
        target = extras.get(row.kind, billed)
        for a, b in row.billed:
            target["y"].append(label)
            target["base"].append(stamp(a))
            target["x"].append(ms(b - a))
            target["customdata"].append(
                f"billed {clock(a)}–{clock(b)}, {minutes_text(row.billed_seconds)} in all"
            )
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
    end = max((row.connected[1] for row in rows), default=Decimal(60))
    return {
        "data": traces,
        "layout": {
            "barmode": "overlay",
            "height": max(200, 90 + ROW_HEIGHT * len(rows)),
            "margin": {"l": 10, "r": 10, "t": 40, "b": 40},
            "xaxis": {
                "type": "date",
                "tickformat": _axis_format(end),
                "title": {"text": "Time into the session"},
            },
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


def connected_steps(quote: Quote) -> tuple[list[Decimal], list[int]]:
    """Connected participants over time as a step function: times and counts after each."""
    events: dict[Decimal, int] = {}
    for p in quote.scenario.participants:
        events[p.join] = events.get(p.join, 0) + 1
        events[p.leave] = events.get(p.leave, 0) - 1
    times, counts, level = [], [], 0
    for moment in sorted(events):
        level += events[moment]
        times.append(moment)
        counts.append(level)
    return times, counts


def concurrency(quote: Quote, steps: tuple[list[Decimal], list[int]]) -> dict[str, Any]:
    """Participants connected over time (`connected_steps(quote)`), billing start marked."""
    times, counts = steps
    traces: list[dict[str, Any]] = [
        {
            "type": "scatter",
            "mode": "lines",
            "name": "Connected",
            "line": {"shape": "hv", "color": COLORS["billed"], "width": 2},
            "fill": "tozeroy",
            "fillcolor": "rgba(37,99,235,0.12)",
            "x": [stamp(t) for t in times],
            "y": counts,
            "customdata": [clock(t) for t in times],
            "hovertemplate": "%{customdata}: %{y} connected<extra></extra>",
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
    end = times[-1] if times else Decimal(60)
    return {
        "data": traces,
        "layout": {
            "height": 240,
            "margin": {"l": 40, "r": 10, "t": 24, "b": 40},
            "xaxis": {
                "type": "date",
                "tickformat": _axis_format(end),
                "title": {"text": "Time into the session"},
            },
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
    for axis, period in (("", quote.per_session), ("2", quote.monthly)):
        lines = list(reversed(period.lines))
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "xaxis": f"x{axis}",
                "yaxis": f"y{axis}",
                "y": [Meter(line.meter).label for line in lines],
                "x": [float(line.amount) for line in lines],
                "text": [money_text(line.amount, currency) for line in lines],
                "textposition": "auto",
                "marker": {"color": [METER_COLORS[Meter(line.meter)] for line in lines]},
                "hovertemplate": "%{y}: %{text}<extra></extra>",
                "showlegend": False,
            }
        )
    rows = max(len(quote.per_session.lines), 1)
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
            "yaxis": {"automargin": True},
            "yaxis2": {"automargin": True, "anchor": "x2", "showticklabels": False},
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
                f"{row.label} ({row.count})" if row.count > 1 else row.label,
                f"{clock(row.connected[0])}–{clock(row.connected[1])}",
                ", ".join(f"{clock(a)}–{clock(b)}" for a, b in row.billed) or "not billed",
                minutes_text(row.billed_seconds),
            )
            for row in rows
        ),
    )


def steps_table(steps: tuple[list[Decimal], list[int]]) -> SafeString:
    times, counts = steps
    return table_rows(
        '<tr><td>{}</td><td class="num">{}</td></tr>',
        ((clock(moment), count) for moment, count in zip(times, counts, strict=True)),
    )


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
    meters = [meter for meter in METER_COLORS if any(m.net_of(meter) for m in quote.projection)]
    traces: list[dict[str, Any]] = [
        {
            "type": "bar",
            "name": meter.label,
            "x": months,
            "y": [float(m.net_of(meter)) for m in quote.projection],
            "text": [money_text(m.net_of(meter), currency) for m in quote.projection],
            "textposition": "none",
            "marker": {"color": METER_COLORS[meter]},
            "hovertemplate": "Month %{x}: %{text}<extra>" + meter.label + "</extra>",
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
    return {
        "data": traces,
        "layout": {
            "barmode": "stack",
            "height": 360,
            "xaxis": {"title": {"text": "Month"}, "dtick": 1 if len(months) <= 12 else 3},
            "margin": {"l": 60, "r": 60, "t": 40, "b": 60},
            "yaxis": {"title": {"text": f"Net cost a month ({currency})"}, "rangemode": "tozero"},
            "yaxis2": {
                "title": {"text": f"Per session ({currency})"},
                "overlaying": "y",
                "tickformat": ",.4f",
                "side": "right",
                "rangemode": "tozero",
                "showgrid": False,
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
                "dtick": max(1, len(counts) // 12),
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
    names: list[str], meters: list[Meter], amounts: list[list[Decimal]], currency: str
) -> dict[str, Any]:
    """Monthly cost by meter of several saved scenarios or estimates, grouped."""
    palette = ["#2563eb", "#f59e0b", "#059669", "#7c3aed", "#dc2626", "#0891b2"]
    return {
        "data": [
            {
                "type": "bar",
                "name": name,
                "x": [meter.label for meter in meters],
                "y": [float(v) for v in values],
                "text": [money_text(v, currency) for v in values],
                "textposition": "none",
                "marker": {"color": palette[i % len(palette)]},
                "hovertemplate": "%{x}: %{text}<extra>" + name.replace("<", "") + "</extra>",
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
