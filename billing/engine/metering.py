"""The pricing models: a scenario becomes billed seconds per meter, item by item."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import groupby
from operator import itemgetter
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .errors import ScenarioError
from .meters import Meter, Model
from .ratecard import RateCard
from .scenario import MAX_SESSION_SECONDS, MAX_STREAMS, Interval, Participant, Scenario


class Charge(NamedTuple):
    """One billed item: a leg, a conference connection, a participant's billed time, ...

    `start`-`end` is the part of the item that is billed; `seconds` is that after rounding.
    `intervals` is how many separately rounded intervals the item stands for (a subscriber's
    subscriptions, once per stream). `position` points back into the scenario's list for `kind`.
    """

    meter: Meter
    kind: str
    label: str
    start: Decimal
    end: Decimal
    seconds: int
    intervals: int
    position: int


@dataclass(frozen=True, slots=True)
class Usage:
    charges: tuple[Charge, ...]
    seconds: dict[Meter, int]
    billing_start: Decimal | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)


KIND_WORDS = {
    "leg": ("call leg", "call legs"),
    "conference": ("conference connection", "conference connections"),
    "recording": ("recording", "recordings"),
    "monitoring": ("monitoring session", "monitoring sessions"),
    "participant": ("participant", "participants"),
    "subscriber": ("subscriber", "subscribers"),
    "sip_interconnect": ("SIP endpoint", "SIP endpoints"),
}


def meter_usage(scenario: Scenario, card: RateCard) -> Usage:
    measure = MODELS[scenario.model]
    return measure(scenario, card)


def _call_meter(media: str) -> Meter:
    return Meter.VIDEO_CALL if media == "video" else Meter.VOICE_CALL


class Rounder:
    """A card's rounding with a memo: a session's durations repeat, and Decimal division is dear."""

    def __init__(self, card: RateCard) -> None:
        self.card = card
        self.memo: dict[Decimal, int] = {}

    def __call__(self, duration: Decimal) -> int:
        seconds = self.memo.get(duration)
        if seconds is None:
            seconds = self.memo[duration] = self.card.billed_seconds(duration)
        return seconds


def _interval_charges(
    intervals: Iterable[Interval],
    meter: Callable[[Interval], Meter],
    kind: str,
    label: str,
    billed: Callable[[Decimal], int],
) -> list[Charge]:
    charges = []
    for index, interval in enumerate(intervals):
        seconds = billed(interval.end - interval.start)
        if seconds:
            charges.append(
                Charge(
                    meter(interval),
                    kind,
                    f"{label} {index + 1}",
                    interval.start,
                    interval.end,
                    seconds,
                    1,
                    index,
                )
            )
    return charges


def _extras(scenario: Scenario, card: RateCard) -> list[Charge]:
    """Recordings and monitoring bill the same way under every model."""
    billed = card.billed_seconds
    return _interval_charges(
        scenario.recordings, lambda _: Meter.RECORDING, "recording", "Recording", billed
    ) + _interval_charges(
        scenario.monitoring, lambda _: Meter.MONITORING, "monitoring", "Monitoring", billed
    )


def _sip_interconnect(
    participants: Iterable[tuple[int, Participant]], card: RateCard
) -> list[Charge]:
    """Interconnect minutes of the SIP endpoints among (position, participant) pairs."""
    billed = Rounder(card)
    charges = []
    for index, p in participants:
        if p.endpoint == "sip":
            seconds = billed(p.leave - p.join)
            if seconds:
                charges.append(
                    Charge(
                        Meter.SIP_INTERCONNECT,
                        "sip_interconnect",
                        p.name,
                        p.join,
                        p.leave,
                        seconds,
                        1,
                        index,
                    )
                )
    return charges


def _ignored_conferences(scenario: Scenario) -> tuple[str, ...]:
    count = len(scenario.conferences)
    if not count:
        return ()
    noun = "conference connection is" if count == 1 else "conference connections are"
    return (
        f"{count} {noun} ignored: conference connections are not part of the "
        f"{scenario.model} model.",
    )


def _usage(
    charges: list[Charge], billing_start: Decimal | None = None, notes: tuple[str, ...] = ()
) -> Usage:
    totals: dict[Meter, int] = {}
    # Charges come in runs of one meter; summing each run in C keeps big sessions quick.
    for meter, run in groupby(charges, key=itemgetter(0)):
        totals[meter] = totals.get(meter, 0) + sum(map(itemgetter(5), run))
    return Usage(tuple(charges), totals, billing_start, notes)


def sip_mediaserver(scenario: Scenario, card: RateCard) -> Usage:
    """Every participant is a call leg; a conference connection bills on top of its legs."""
    billed = Rounder(card)
    memo, rounded = billed.memo, card.billed_seconds
    charges = []
    voice, video = Meter.VOICE_CALL, Meter.VIDEO_CALL
    for index, p in enumerate(scenario.participants):
        duration = p.leave - p.join
        seconds = memo.get(duration)
        if seconds is None:
            seconds = memo[duration] = rounded(duration)
        if seconds:
            meter = video if p.media == "video" else voice
            charges.append(Charge(meter, "leg", p.name, p.join, p.leave, seconds, 1, index))
    charges += _interval_charges(
        scenario.conferences, lambda c: _call_meter(c.media), "conference", "Conference", billed
    )
    return _usage(charges + _extras(scenario, card))


def billing_start(participants: tuple[Participant, ...]) -> Decimal | None:
    """The earlier of the first publish and the second connection's join; None if neither."""
    publishes = [p.publish for p in participants if p.publish is not None]
    options = [min(publishes)] if publishes else []
    if len(participants) >= 2:
        joins = [p.join for p in participants]
        joins.remove(min(joins))
        options.append(min(joins))
    return min(options) if options else None


def video_ppm(scenario: Scenario, card: RateCard) -> Usage:
    """Participant minutes from the moment billing starts; SIP endpoints add interconnect."""
    start = billing_start(scenario.participants)
    charges = []
    notes = list(_ignored_conferences(scenario))
    if start is None:
        if scenario.participants:
            notes.append(
                "No participant minutes: nobody publishes and no second participant joins, "
                "so billing never starts."
            )
    else:
        memo: dict[Decimal, int] = {}
        rounded = card.billed_seconds
        meter = Meter.PARTICIPANT
        for index, p in enumerate(scenario.participants):
            begin = p.join if p.join > start else start
            if p.leave > begin:
                duration = p.leave - begin
                seconds = memo.get(duration)
                if seconds is None:
                    seconds = memo[duration] = rounded(duration)
                charges.append(
                    Charge(meter, "participant", p.name, begin, p.leave, seconds, 1, index)
                )
    charges += _sip_interconnect(enumerate(scenario.participants), card)
    return _usage(charges + _extras(scenario, card), start, tuple(notes))


def _ticks(values: list[Decimal]) -> tuple[npt.NDArray[Any], int]:
    """Times as exact integers, and their unit (1/scale s): whole seconds when every time is
    whole (int() never exceeds a time, so equal sums prove it), else the finest decimal place
    given; int64 while the arithmetic fits, Python ints beyond."""
    whole = np.fromiter(map(int, values), dtype=np.int64, count=len(values))
    if int(whole.sum()) == sum(values):
        return whole, 1
    exponents = [v.as_tuple().exponent for v in values]
    scale = int(10 ** max((-e for e in exponents if isinstance(e, int)), default=0))
    fits = scale * MAX_SESSION_SECONDS * MAX_STREAMS < 2**62
    return np.array([int(v * scale) for v in values], dtype=np.int64 if fits else object), scale


MAX_SUBSCRIPTIONS = 100_000_000
SUBSCRIPTIONS_PER_BLOCK = 1 << 18


def video_ssm(scenario: Scenario, card: RateCard) -> Usage:
    """Each subscriber bills, per other publisher and per stream, the time both overlap,
    each subscription rounded on its own.

    The work is subscribers x publishers, so it runs as whole-array integer arithmetic: every
    subscriber's overlap with a block of publishers, rounded, at once (a small session is one
    block). Times are exact integers (in microseconds when they have decimals), so the
    results are exact.
    """
    people = scenario.participants
    # One pass over the participants gathers all the rest works from: in a session of
    # 100,000, each further pass over their records costs more than the arithmetic.
    subscribing: list[int] = []
    publishing: list[int] = []
    sip: list[int] = []
    joins: list[Decimal] = []
    leaves: list[Decimal] = []
    for index, p in enumerate(people):
        if p.subscribes:
            subscribing.append(index)
            joins.append(p.join)
            leaves.append(p.leave)
        if p.publish is not None and p.leave > p.publish:
            publishing.append(index)
        if p.endpoint == "sip":
            sip.append(index)
    if len(subscribing) * len(publishing) > MAX_SUBSCRIPTIONS:
        # Each subscription is rounded on its own: the work grows with their number.
        raise ScenarioError.single(
            "participants",
            f"{len(subscribing):,} subscribers × {len(publishing):,} publishers is more "
            f"subscriptions than one request prices under video_ssm (at most "
            f"{MAX_SUBSCRIPTIONS:,}); split the session or use fewer publishers",
        )
    charges = []
    if subscribing and publishing:
        s_count, p_count = len(subscribing), len(publishing)
        ticks, scale = _ticks(
            joins
            + leaves
            + [people[i].publish or Decimal(0) for i in publishing]
            + [people[i].leave for i in publishing]
        )
        a, b = ticks[:s_count], ticks[s_count : 2 * s_count]
        ps, pe = ticks[2 * s_count : 2 * s_count + p_count], ticks[2 * s_count + p_count :]
        streams = np.array([people[i].streams for i in publishing], dtype=np.int64)
        # Nobody subscribes to themselves: the (subscriber row, publisher column) of each
        # publisher who also subscribes is cleared below.
        rows, columns = [], []
        for column, person in enumerate(publishing):
            if people[person].subscribes:
                rows.append(bisect_left(subscribing, person))
                columns.append(column)
        own_rows, own_columns = np.array(rows, np.int64), np.array(columns, np.int64)
        seconds = np.zeros(s_count, dtype=a.dtype)
        counts = np.zeros(s_count, dtype=np.int64)
        # Subscribers x a block of publishers at a time: one pass of array arithmetic for a
        # small session, bounded memory for a large one.
        block = max(1, SUBSCRIPTIONS_PER_BLOCK // s_count)
        for low in range(0, p_count, block):
            high = min(p_count, low + block)
            overlap = np.minimum(b[:, None], pe[None, low:high]) - np.maximum(
                a[:, None], ps[None, low:high]
            )
            billed = card.billed_ticks(overlap, scale)
            mine = (own_columns >= low) & (own_columns < high)
            billed[own_rows[mine], own_columns[mine] - low] = 0
            seconds += billed @ streams[low:high]
            counts += (billed > 0) @ streams[low:high]
        meter = Meter.SUBSCRIBED
        totals, numbers = seconds.tolist(), counts.tolist()
        for k in np.flatnonzero(seconds).tolist():
            person = subscribing[k]
            charges.append(
                Charge(
                    meter,
                    "subscriber",
                    people[person].name,
                    joins[k],
                    leaves[k],
                    totals[k],
                    numbers[k],
                    person,
                )
            )
    charges += _sip_interconnect([(i, people[i]) for i in sip], card)
    return _usage(charges + _extras(scenario, card), None, _ignored_conferences(scenario))


MODELS: dict[Model, Callable[[Scenario, RateCard], Usage]] = {
    Model.SIP_MEDIASERVER: sip_mediaserver,
    Model.VIDEO_PPM: video_ppm,
    Model.VIDEO_SSM: video_ssm,
}
