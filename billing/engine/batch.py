"""Many sessions priced at once: a usage file's records (billing/engine/usagefile.py reads
them) become each session's billed seconds per meter, in arrays, with no Python loop over
sessions; then the month's bill.

Every rule is metering.py's own, called on all the sessions together: a leg or interval
rounded (`_Billed`), video_ppm's billing start (`billing_starts`), the per-minute model's
billable minutes (`billable_minutes`), a subscription's billed time
(`subscription_seconds`); a session's total rounded once (`RateCard.billed_ticks`), the
month's (`month_seconds`), tiers and the minimum (`rate_month`, `with_minimum`). A session
prices here exactly as the scenario document made of its records (tests/billing/
test_batch.py checks it over random files).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import numpy.typing as npt

from .errors import ScenarioError
from .metering import (
    MAX_SUBSCRIPTIONS,
    NONE,
    Usage,
    _Billed,
    billable_minutes,
    billing_starts,
    subscription_seconds,
)
from .meters import AddOn, AnyMeter, Meter, Model, meter_order
from .ratecard import INTERVAL, MONTH, SESSION, RateCard
from .rating import Period, month_seconds, rate_month, with_minimum
from .timefmt import minutes_text

Ints = npt.NDArray[np.int64]
Flags = npt.NDArray[np.bool_]

# What an interval record is (Sessions.interval_kind).
CONFERENCE, RECORDING, MONITORING, ADDON = range(4)

# Pairs of subscriber and publisher worked out at a time under video_ssm (bounded memory).
PAIRS_PER_BLOCK = 1 << 20


@dataclass(frozen=True, slots=True, eq=False)
class Sessions:
    """Many sessions' records as columns. Times are exact integers in ticks of 1/scale s from
    their session's time 0.

    Participants: `session`, `join`, `leave`, `publish` (NONE: never), `video`, `sip`,
    `subscribes`, `streams`, one entry each. Intervals (conference connections, recordings,
    monitoring, add-on intervals): `interval_session`, `interval_kind`, `interval_start`,
    `interval_end`, `interval_video` (a conference connection's media), `interval_addon`
    (an add-on interval's index in `addons`, else -1)."""

    count: int
    scale: int
    session: Ints
    join: Ints
    leave: Ints
    publish: Ints
    video: Flags
    sip: Flags
    subscribes: Flags
    streams: Ints
    interval_session: Ints
    interval_kind: Ints
    interval_start: Ints
    interval_end: Ints
    interval_video: Flags
    interval_addon: Ints
    addons: tuple[str, ...] = ()

    @property
    def publishing(self) -> Ints:
        """The participants who publish (at some moment; maybe for no time at all)."""
        return np.flatnonzero(self.publish != NONE)


@dataclass(frozen=True, slots=True, eq=False)
class SessionSeconds:
    """Each session's billed seconds per meter (`seconds[meter][k]` for session k): whole
    seconds, or exact ticks of 1/unit s where the card rounds the month's total once
    (`unit` is then the file's scale). `unrounded`: meters never rounded (the per-minute
    model's whole minutes)."""

    model: Model
    seconds: dict[AnyMeter, Ints]
    unit: int
    unrounded: frozenset[AnyMeter]
    count: int

    def of(self, k: int) -> dict[AnyMeter, int | Fraction]:
        """Session k's seconds per meter, as a scenario's `Usage.seconds` has them (meters
        that bill nothing left out)."""
        found: dict[AnyMeter, int | Fraction] = {}
        for meter, values in self.seconds.items():
            value = int(values[k])
            if value:
                seconds = Fraction(value, self.unit)
                found[meter] = seconds.numerator if seconds.denominator == 1 else seconds
        return found

    def totals(self) -> dict[AnyMeter, int | Fraction]:
        """Every session's seconds together, per meter (exact)."""
        found: dict[AnyMeter, int | Fraction] = {}
        for meter, values in self.seconds.items():
            total = Fraction(_exact_sum(values), self.unit)
            if total:
                found[meter] = total.numerator if total.denominator == 1 else total
        return found


def _exact_sum(values: Ints) -> int:
    """The sum of whole numbers, exactly: in int64 where no sum of them can overflow it (the
    largest times how many is below 2**63), else in Python's integers (ten times slower)."""
    if not len(values):
        return 0
    largest = max(abs(int(values.max())), abs(int(values.min())))
    if largest * len(values) < 2**63:
        return int(values.sum(dtype=np.int64))
    return int(values.sum(dtype=object))


def meter_sessions(sessions: Sessions, model: Model, card: RateCard) -> SessionSeconds:
    """Each session's billed seconds per meter under `model` (see the module's docstring)."""
    for key in sessions.addons:
        if key not in card.addons:
            have = ", ".join(sorted(card.addons)) or "none"
            raise ScenarioError.single(
                "kind", f"the rate card has no add-on {key!r} (its add-ons: {have})"
            )
    parts: list[tuple[AnyMeter, Ints, npt.NDArray[Any]]] = []
    minutes: set[AnyMeter] = set()
    everyone = np.ones(len(sessions.session), np.bool_)
    intervals = _intervals(sessions, card)
    if model is Model.SIP_MEDIASERVER:
        legs = _Billed(sessions.leave - sessions.join, sessions.scale, card)
        parts += _split(legs, sessions.session, everyone, sessions.video)
        conference = sessions.interval_kind == CONFERENCE
        parts += _split(
            intervals,
            sessions.interval_session,
            conference,
            sessions.interval_video,
        )
    else:
        if model is Model.VIDEO_PPM:
            parts.append(_participant_minutes(sessions, card))
        elif model is Model.VIDEO_PPM_PER_MINUTE:
            parts.append(_minute_by_minute(sessions))
            minutes.add(Meter.PARTICIPANT)
        else:
            parts.append(_subscribed_minutes(sessions, card))
        # SIP legs alone, each rounded on its own.
        sip_legs = sessions.leave[sessions.sip] - sessions.join[sessions.sip]
        sip = _Billed(sip_legs, sessions.scale, card)
        parts.append((Meter.SIP_INTERCONNECT, sessions.session[sessions.sip], sip.seconds))
    extras: tuple[tuple[int, AnyMeter], ...] = (
        (RECORDING, Meter.RECORDING),
        (MONITORING, Meter.MONITORING),
    )
    for kind, extra in extras:
        chosen = sessions.interval_kind == kind
        parts.append((extra, sessions.interval_session[chosen], intervals.seconds[chosen]))
    for index, key in enumerate(sessions.addons):
        chosen = (sessions.interval_kind == ADDON) & (sessions.interval_addon == index)
        addon: AddOn = card.addons[key]
        parts.append((addon, sessions.interval_session[chosen], intervals.seconds[chosen]))
    # Each item's seconds summed per session and meter: whole seconds, or exact ticks.
    exact = card.rounding != INTERVAL
    unit = sessions.scale if exact else 1
    seconds: dict[AnyMeter, Ints] = {}
    for meter, owners, values in parts:
        if not len(values):
            continue
        ticks = values if meter not in minutes else values * unit
        total = _per_session(owners, ticks, sessions.count)
        seconds[meter] = seconds[meter] + total if meter in seconds else total
    if card.rounding == SESSION:
        # Each session's total rounded once (whole minutes of the per-minute model never).
        rounded = {
            meter: values // unit if meter in minutes else card.billed_ticks(values, unit)
            for meter, values in seconds.items()
        }
        return SessionSeconds(model, rounded, 1, frozenset(minutes), sessions.count)
    return SessionSeconds(model, seconds, unit, frozenset(minutes), sessions.count)


def _intervals(sessions: Sessions, card: RateCard) -> _Billed:
    return _Billed(sessions.interval_end - sessions.interval_start, sessions.scale, card)


def _split(
    billed: _Billed, owners: Ints, chosen: Flags, video: Flags
) -> list[tuple[AnyMeter, Ints, npt.NDArray[Any]]]:
    """Call legs (or conference connections) as voice and video call minutes by media."""
    voice, seen = chosen & ~video, chosen & video
    return [
        (Meter.VOICE_CALL, owners[voice], billed.seconds[voice]),
        (Meter.VIDEO_CALL, owners[seen], billed.seconds[seen]),
    ]


def _participant_minutes(sessions: Sessions, card: RateCard) -> tuple[AnyMeter, Ints, Any]:
    """video_ppm: each participant from the later of its join and its session's billing
    start; nothing in a session where billing never starts."""
    publishing = sessions.publishing
    starts = billing_starts(
        sessions.count,
        sessions.session,
        sessions.join,
        sessions.session[publishing],
        sessions.publish[publishing],
    )
    start = starts[sessions.session]
    bills = start != NONE
    begins = np.maximum(sessions.join[bills], start[bills])
    billed = _Billed(sessions.leave[bills] - begins, sessions.scale, card)
    return Meter.PARTICIPANT, sessions.session[bills], billed.seconds


# The per-minute model lays every session's minutes end to end: at most this many in all
# (about 3 s of work), and this many at a time (bounded memory: some 40 bytes a minute).
MAX_MINUTES = 50_000_000
MINUTES_PER_BLOCK = 4_000_000


def _minute_by_minute(sessions: Sessions) -> tuple[AnyMeter, Ints, Any]:
    """video_ppm_per_minute: each billable minute bills the most connected in it, whole;
    the sessions taken a block at a time, in order of session."""
    publishing = sessions.publishing
    minute = 60 * sessions.scale
    positive = sessions.leave[publishing] > sessions.publish[publishing]
    last = -(-sessions.leave[publishing][positive] // minute)
    sizes = np.zeros(sessions.count, np.int64)
    np.maximum.at(sizes, sessions.session[publishing][positive], last.astype(np.int64))
    slots = sizes + 1
    total = int(slots.sum())
    if total > MAX_MINUTES:
        raise ScenarioError.single(
            "model",
            f"under video_ppm_per_minute this file's sessions run {total:,} minutes in all "
            f"(each from its start to its last publisher's leave), more than one request "
            f"prices (at most {MAX_MINUTES:,}): split the file",
        )
    if not sessions.count:
        return Meter.PARTICIPANT, np.zeros(0, np.int64), np.zeros(0, np.int64)
    order = np.argsort(sessions.session, kind="stable")
    counted = np.bincount(sessions.session, minlength=sessions.count)
    people_before = np.concatenate(([0], np.cumsum(counted)))
    ends = np.cumsum(slots)
    owners, most = [], []
    first = 0
    while first < sessions.count:
        before = int(ends[first - 1]) if first else 0
        after = int(np.searchsorted(ends, before + MINUTES_PER_BLOCK, side="right"))
        after = max(first + 1, after)
        chosen = order[people_before[first] : people_before[after]]
        session = sessions.session[chosen] - first
        publishes = sessions.publish[chosen] != NONE
        found, _, counts = billable_minutes(
            after - first,
            session,
            sessions.join[chosen],
            sessions.leave[chosen],
            session[publishes],
            sessions.publish[chosen][publishes],
            sessions.leave[chosen][publishes],
            sessions.scale,
        )
        owners.append(found + first)
        most.append(counts)
        first = after
    return Meter.PARTICIPANT, np.concatenate(owners), np.concatenate(most) * 60


def _subscribed_minutes(sessions: Sessions, card: RateCard) -> tuple[AnyMeter, Ints, Any]:
    """video_ssm: every pair of a subscriber and another participant publishing in the same
    session, per stream, each rounded on its own, worked out a block of pairs at a time."""
    publishing = sessions.publishing
    publishes = sessions.leave[publishing] > sessions.publish[publishing]
    publishers = publishing[publishes]
    subscribers = np.flatnonzero(sessions.subscribes)
    # The publishers in session order: session s's are publishers[first[s]:first[s + 1]].
    publishers = publishers[np.argsort(sessions.session[publishers], kind="stable")]
    per_session = np.bincount(sessions.session[publishers], minlength=sessions.count)
    first = np.concatenate(([0], np.cumsum(per_session)))
    pairs_of = per_session[sessions.session[subscribers]]
    if int(pairs_of.sum()) > MAX_SUBSCRIPTIONS:
        heaviest = np.bincount(
            sessions.session[subscribers], weights=pairs_of, minlength=sessions.count
        )
        raise ScenarioError.single(
            "model",
            f"under video_ssm this file has {int(pairs_of.sum()):,} pairs of a subscriber and "
            f"a publisher in the same session (the most in one session {int(heaviest.max()):,}), "
            f"more than one request prices (at most {MAX_SUBSCRIPTIONS:,}): split the file",
        )
    totals = np.zeros(sessions.count, np.int64)
    ends = np.cumsum(pairs_of)
    low = 0
    f64 = np.float64
    while low < len(subscribers):
        # Whole subscribers, about PAIRS_PER_BLOCK pairs.
        before = int(ends[low - 1]) if low else 0
        high = max(low + 1, int(np.searchsorted(ends, before + PAIRS_PER_BLOCK, side="right")))
        block = subscribers[low:high]
        counts = pairs_of[low:high]
        who = np.repeat(block, counts)
        starts_at = np.repeat(np.cumsum(counts) - counts, counts)
        step = np.arange(len(who), dtype=np.int64) - starts_at
        whom = publishers[first[sessions.session[who]] + step]
        overlap = np.empty(len(who), f64)
        later = np.empty(len(who), f64)
        subscription_seconds(
            sessions.join[who].astype(f64),
            sessions.leave[who].astype(f64),
            sessions.publish[whom].astype(f64),
            sessions.leave[whom].astype(f64),
            overlap,
            later,
            card,
            sessions.scale,
        )
        overlap[who == whom] = 0  # nobody subscribes to themselves
        overlap *= sessions.streams[whom]
        totals += np.bincount(
            sessions.session[who], weights=overlap, minlength=sessions.count
        ).astype(np.int64)
        low = high
    owners = np.arange(sessions.count, dtype=np.int64)
    return Meter.SUBSCRIBED, owners, totals


def _per_session(owners: Ints, values: npt.NDArray[Any], count: int) -> Ints:
    """Values summed by the session each belongs to, exactly (integers)."""
    totals = np.zeros(count, dtype=values.dtype if values.dtype == object else np.int64)
    np.add.at(totals, owners, values)
    return totals


def month_period(usage: SessionSeconds, card: RateCard, *, explain: bool = True) -> Period:
    """The month's lines: every session's seconds per meter summed (the month's total rounded
    once where the card says so: `month_seconds`), then tiers, tier modes (`rate_month`) and
    the monthly minimum (`with_minimum`), as for an estimate."""
    totals = usage.totals()
    month = Usage((), totals, unrounded=usage.unrounded)
    billed, _ = month_seconds([(None, month, 1)], card, explain=False)
    how = None
    if explain:
        sessions = f"{usage.count:,} session{'s' if usage.count != 1 else ''}"
        how = {}
        for meter in meter_order(billed):
            text = f"{sessions}, {minutes_text(totals[meter])} in all"
            if (
                card.rounding == MONTH
                and meter not in usage.unrounded
                and billed[meter] != totals[meter]
            ):
                text += f", rounded once to {minutes_text(billed[meter])} (rounded per month)"
            how[meter] = text
    return with_minimum(rate_month(billed, card, how), card)


@dataclass(frozen=True, slots=True, eq=False)
class UsageBill:
    """A usage file's month under one model (`period`), beside the same month's total under
    every model, cheapest first."""

    model: Model
    card: RateCard
    sessions: int
    records: int
    period: Period
    seconds: SessionSeconds
    models: tuple[tuple[Model, Period], ...]
    # The models too much work to price for this file, and why.
    refused: tuple[tuple[Model, str], ...] = ()
    # The models that bill some sessions nothing only because nobody in them publishes.
    notes: dict[Model, str] = field(default_factory=dict)


def bill_usage(
    sessions: Sessions,
    records: int,
    card: RateCard,
    model: Model | None,
    progress: Callable[[float], None] | None = None,
) -> UsageBill:
    """The month of a usage file's sessions under each model; the bill under `model` (None:
    the cheapest). `progress` is told the part done (0 to 1) after each model."""
    priced = []
    refused: list[tuple[Model, str]] = []
    # The per-minute model, the heaviest, in a thread beside the others: numpy lets go of
    # the interpreter's lock in its loops, so the two share this machine's two cores.
    with ThreadPoolExecutor(1) as beside:
        heaviest = beside.submit(meter_sessions, sessions, Model.VIDEO_PPM_PER_MINUTE, card)
        for number, each in enumerate(Model, start=1):
            try:
                if each is Model.VIDEO_PPM_PER_MINUTE:
                    usage = heaviest.result()
                else:
                    usage = meter_sessions(sessions, each, card)
            except ScenarioError as error:
                # Too much work under this model: the others are still priced and compared;
                # a bill asked for under it is refused.
                if each is model:
                    raise
                refused.append((each, "; ".join(p.message for p in error.problems)))
            else:
                priced.append((each, usage, month_period(usage, card, explain=each is model)))
            if progress is not None:
                progress(number / len(Model))
    if not priced:
        raise ScenarioError.single("model", refused[0][1])
    # As for one scenario: a model that bills sessions nothing only because nobody in them
    # publishes (the file gives no publish times) is never called the cheapest; it comes
    # after the others, saying so.
    notes = publishing_notes(sessions)
    priced.sort(key=lambda found: (found[0] in notes, found[2].total, list(Model).index(found[0])))
    chosen = model if model is not None else priced[0][0]
    _, usage, period = next(found for found in priced if found[0] is chosen)
    if model is None:
        period = month_period(usage, card)
    return UsageBill(
        chosen,
        card,
        sessions.count,
        records,
        period,
        usage,
        tuple((each, month) for each, _, month in priced),
        tuple(refused),
        notes,
    )


def publishing_notes(sessions: Sessions) -> dict[Model, str]:
    """For each model that bills sessions nothing because nobody in them publishes, how many
    and why (Usage.wants_publishers, session by session): under video_ssm a session with a
    subscriber; under video_ppm_per_minute any session with someone in it; under video_ppm
    a session of one participant (two bill from the second join)."""
    people = np.bincount(sessions.session, minlength=sessions.count)
    publishing = np.bincount(sessions.session[sessions.publishing], minlength=sessions.count)
    subscribing = np.bincount(sessions.session[sessions.subscribes], minlength=sessions.count)
    silent = (people > 0) & (publishing == 0)
    counts = {
        Model.VIDEO_SSM: (
            int(np.count_nonzero(silent & (subscribing > 0))),
            "{have} subscribers but nobody publishing: this model bills {them} no subscribed "
            "minutes",
        ),
        Model.VIDEO_PPM_PER_MINUTE: (
            int(np.count_nonzero(silent)),
            "{have} nobody publishing: this model bills {them} no participant minutes",
        ),
        Model.VIDEO_PPM: (
            int(np.count_nonzero(silent & (people == 1))),
            "{have} one participant and nobody publishing: this model bills {them} nothing, "
            "its billing starting at a publish or a second join",
        ),
    }
    return {
        model: (
            f"{count:,} of {sessions.count:,} session{'s' if sessions.count != 1 else ''} "
            + why.format(have="have" if count != 1 else "has", them="them" if count != 1 else "it")
            + f" (the file gives no publish times for {'them' if count != 1 else 'it'}), so "
            "it is not called the cheapest"
        )
        for model, (count, why) in counts.items()
        if count
    }
