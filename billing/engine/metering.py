"""The pricing models: a scenario becomes billed seconds per meter, item by item."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from .errors import ScenarioError
from .meters import AnyMeter, ChargeKind, Meter, Model
from .ratecard import INTERVAL, SESSION, RateCard
from .roster import Roster, member_seconds
from .scenario import MAX_SESSION_SECONDS, MAX_STREAMS, Group, Interval, Scenario
from .timefmt import clock


class Charge(NamedTuple):
    """One billed item: a leg, a conference connection, a participant's billed time, ...

    `start`-`end` is the part of the item that is billed; `seconds` is that after rounding
    (exact, a Fraction where it has one, when the card rounds a session's or a month's total
    instead of each interval).
    `intervals` is how many separately rounded intervals the item stands for (a subscriber's
    subscriptions, once per stream). `position` points back into the scenario's list for `kind`.
    """

    meter: AnyMeter
    kind: ChargeKind
    label: str
    start: Decimal
    end: Decimal
    seconds: int | Fraction
    intervals: int
    position: int


# The labels of items that are not participants: "Conference 2", "Recording 1", ...
INTERVAL_LABELS = {
    ChargeKind.CONFERENCE: "Conference",
    ChargeKind.RECORDING: "Recording",
    ChargeKind.MONITORING: "Monitoring",
    ChargeKind.MINUTE: "Minute",
}


@dataclass(frozen=True, slots=True, eq=False)
class Charges:
    """The billed items of one meter and one kind, as columns: item k is entry `positions[k]`
    of `source` (the scenario's roster of participants and groups' members, or its
    conferences, recordings or monitoring), billed from its start (or from `since`, when that
    is later) to its end, `seconds[k]` after rounding, standing for `intervals[k]` separately
    rounded intervals. `seconds` are in 1/scale s: whole seconds (scale 1) when each interval
    is rounded; exact ticks when the card rounds a total once (`rounding`), so that the total
    rounded is exact.

    A session of 100,000 participants is a few arrays, not 100,000 records to make, keep and
    walk; `Charge` records are made only for the items someone reads (`batch[k]`, iteration).
    """

    meter: AnyMeter
    kind: ChargeKind
    source: Roster | tuple[Interval, ...]
    positions: npt.NDArray[np.int64]
    seconds: npt.NDArray[Any]
    # The items' seconds together (a Fraction when the ticks make one).
    total: int | Fraction
    # Each item's real duration, in 1/duration_scale s.
    durations: npt.NDArray[Any]
    # None: one interval each.
    intervals: npt.NDArray[np.int64] | None = None
    since: Decimal | None = None
    # The group whose members these items all are (a batch never mixes a group's members
    # with others): its explanation speaks of the group.
    group: Group | None = None
    scale: int = 1
    duration_scale: int = 1

    def __len__(self) -> int:
        return len(self.positions)

    @property
    def uniform(self) -> bool:
        """Every item billed the same seconds, exactly its duration (none was rounded up):
        the explanation can say "3 call legs x 10 min" (worked out only for one)."""
        seconds = self.seconds
        exact = seconds * (self.duration_scale // self.scale) == self.durations
        return bool(((seconds == seconds[0]) & exact).all())

    def second(self, k: int) -> int | Fraction:
        """Item k's seconds (as `seconds[k]`, in seconds)."""
        return _in_seconds(int(self.seconds[k]), self.scale)

    def span(self) -> tuple[int | Fraction, int | Fraction]:
        """The fewest and most seconds an item bills."""
        low, high = int(self.seconds.min()), int(self.seconds.max())
        return _in_seconds(low, self.scale), _in_seconds(high, self.scale)

    def __getitem__(self, k: int) -> Charge:
        position = int(self.positions[k])
        if isinstance(self.source, Roster):
            person = self.source[position]
            label, start, end = person.name, person.join, person.leave
        else:
            item = self.source[position]
            kind = self.meter.label if self.kind is ChargeKind.ADDON else INTERVAL_LABELS[self.kind]
            label, start, end = f"{kind} {position + 1}", item.start, item.end
        if self.since is not None and self.since > start:
            start = self.since
        intervals = 1 if self.intervals is None else int(self.intervals[k])
        return Charge(self.meter, self.kind, label, start, end, self.second(k), intervals, position)

    def __iter__(self) -> Iterator[Charge]:
        return (self[k] for k in range(len(self)))

    @classmethod
    def of(
        cls,
        meter: AnyMeter,
        kind: ChargeKind,
        source: Roster | tuple[Interval, ...],
        positions: npt.NDArray[np.int64],
        seconds: npt.NDArray[Any],
        durations: npt.NDArray[Any],
        scale: int,
        intervals: npt.NDArray[np.int64] | None = None,
        since: Decimal | None = None,
        exact: bool = False,
    ) -> list[Charges]:
        """The batches of billed items, from their positions (in order), billed seconds and
        real durations (in 1/scale s): one batch, or for participants one for the scenario's
        own and one for each group's members that bill. `exact`: the billed seconds are
        exact ticks (1/scale s), not rounded whole seconds."""
        unit = scale if exact else 1
        whole = [(None, 0, len(source))]
        parts = source.parts() if isinstance(source, Roster) else whole
        batches = []
        for g, start, end in parts:
            low, high = (int(i) for i in np.searchsorted(positions, [start, end]))
            if high <= low:
                continue
            part = slice(low, high)
            billed = seconds[part]
            batches.append(
                cls(
                    meter,
                    kind,
                    source,
                    positions[part],
                    billed,
                    _in_seconds(int(billed.sum()), unit),
                    durations[part],
                    None if intervals is None else intervals[part],
                    since,
                    None if g is None or not isinstance(source, Roster) else source.groups[g],
                    unit,
                    scale,
                )
            )
        return batches


def _in_seconds(ticks: int, scale: int) -> int | Fraction:
    seconds = Fraction(ticks, scale)
    return seconds.numerator if seconds.denominator == 1 else seconds


@dataclass(frozen=True, slots=True)
class Usage:
    charges: tuple[Charges, ...]
    # Each meter's billed seconds in a session: rounded per interval or once per session as
    # the card says; exact (unrounded, maybe a Fraction) when the card rounds the month's.
    seconds: dict[AnyMeter, int | Fraction]
    billing_start: Decimal | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
    # The model's own meter bills nothing only because nobody publishes: a zero that comes
    # from missing input (Publish left empty), never a reason to call the model cheapest.
    wants_publishers: bool = False
    # A meter's exact seconds before they were rounded once (`rounding` session), for the
    # explanation; and the meters never rounded (video_ppm_per_minute's whole minutes).
    exact: dict[AnyMeter, int | Fraction] = field(default_factory=dict)
    unrounded: frozenset[AnyMeter] = frozenset()


def meter_usage(scenario: Scenario, card: RateCard) -> Usage:
    measure = MODELS[scenario.model]
    return measure(scenario, card)


def _ticks(values: list[Decimal]) -> tuple[npt.NDArray[Any], int]:
    """Times as exact integers, and their unit (1/scale s): whole seconds when every time is
    whole, else ticks of the finest decimal place given."""
    whole = _whole_seconds(values)
    return (whole, 1) if whole is not None else _scaled_ticks(values)


def _whole_seconds(values: list[Decimal]) -> npt.NDArray[np.int64] | None:
    """Times as whole seconds, or None if any has a fraction: int() never exceeds a time (times
    are not negative), so equal sums prove that none has."""
    whole = np.fromiter(map(int, values), dtype=np.int64, count=len(values))
    return whole if int(whole.sum()) == sum(values) else None


def _scaled_ticks(values: list[Decimal]) -> tuple[npt.NDArray[Any], int]:
    """Times in ticks of the finest decimal place given; int64 while the arithmetic fits,
    Python ints beyond."""
    exponents = [v.as_tuple().exponent for v in values]
    scale = int(10 ** max((-e for e in exponents if isinstance(e, int)), default=0))
    fits = scale * MAX_SESSION_SECONDS * MAX_STREAMS < 2**62
    return np.array([int(v * scale) for v in values], dtype=np.int64 if fits else object), scale


class _Billed:
    """Many intervals rounded at once by a card: their real durations in ticks (1/scale s)
    and their billed seconds."""

    def __init__(self, durations: npt.NDArray[Any], scale: int, card: RateCard) -> None:
        self.durations = durations
        self.scale = scale
        # A card that rounds a total once bills each interval's exact ticks.
        self.exact = card.rounding != INTERVAL
        self.seconds = (
            np.maximum(durations, 0) if self.exact else card.billed_ticks(durations, scale)
        )
        self.billed = self.seconds > 0

    def charges(
        self,
        meter: AnyMeter,
        kind: ChargeKind,
        source: Roster | tuple[Interval, ...],
        among: npt.NDArray[np.bool_] | None = None,
        since: Decimal | None = None,
    ) -> list[Charges]:
        """The billed items (those `among` selects) in batches (Charges.of), or none if
        nothing bills."""
        billed = self.billed if among is None else self.billed & among
        positions = billed.nonzero()[0]
        seconds, durations = self.seconds[positions], self.durations[positions]
        return Charges.of(
            meter, kind, source, positions, seconds, durations, self.scale, None, since, self.exact
        )


def _interval_charges(
    intervals: tuple[Interval, ...], kind: ChargeKind, card: RateCard
) -> list[Charges]:
    """Conference connections, recordings or monitoring: each interval rounded on its own;
    conference connections bill as voice or video calls by their media."""
    if not intervals:
        return []
    ticks, scale = _ticks([i.start for i in intervals] + [i.end for i in intervals])
    count = len(intervals)
    billed = _Billed(ticks[count:] - ticks[:count], scale, card)
    if kind is ChargeKind.RECORDING:
        return billed.charges(Meter.RECORDING, kind, intervals)
    if kind is ChargeKind.MONITORING:
        return billed.charges(Meter.MONITORING, kind, intervals)
    video = np.array([i.media == "video" for i in intervals], dtype=np.bool_)
    return billed.charges(Meter.VOICE_CALL, kind, intervals, ~video) + billed.charges(
        Meter.VIDEO_CALL, kind, intervals, video
    )


def _extras(scenario: Scenario, card: RateCard) -> list[Charges]:
    """Recordings, monitoring and add-ons bill the same way under every model."""
    return (
        _interval_charges(scenario.recordings, ChargeKind.RECORDING, card)
        + _interval_charges(scenario.monitoring, ChargeKind.MONITORING, card)
        + _addon_charges(scenario.addons, card)
    )


def _addon_charges(intervals: tuple[Interval, ...], card: RateCard) -> list[Charges]:
    """Add-on intervals, each rounded like a recording and billed on its add-on meter; an
    interval naming an add-on the card does not have is refused, by its path."""
    if not intervals:
        return []
    for index, interval in enumerate(intervals):
        if interval.meter not in card.addons:
            have = ", ".join(sorted(card.addons)) or "none"
            raise ScenarioError.single(
                f"addons[{index}].meter",
                f"the rate card has no add-on {interval.meter!r} (its add-ons: {have})",
            )
    ticks, scale = _ticks([i.start for i in intervals] + [i.end for i in intervals])
    count = len(intervals)
    billed = _Billed(ticks[count:] - ticks[:count], scale, card)
    meters = np.array([i.meter for i in intervals])
    return [
        batch
        for key in sorted(set(meters.tolist()))
        for batch in billed.charges(card.addons[key], ChargeKind.ADDON, intervals, meters == key)
    ]


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
    charges: list[Charges],
    card: RateCard,
    billing_start: Decimal | None = None,
    notes: tuple[str, ...] = (),
) -> Usage:
    """The session's usage: each meter's seconds, its items' summed; when the card rounds a
    session's total (`rounding` session), that sum of exact seconds rounded once. Whole
    minutes of video_ppm_per_minute are never rounded."""
    totals: dict[AnyMeter, int | Fraction] = {}
    minutes: set[AnyMeter] = set()
    for batch in charges:
        totals[batch.meter] = totals.get(batch.meter, 0) + batch.total
        if batch.kind is ChargeKind.MINUTE:
            minutes.add(batch.meter)
    unrounded = frozenset(
        m for m in minutes if all(b.kind is ChargeKind.MINUTE for b in charges if b.meter is m)
    )
    exact: dict[AnyMeter, int | Fraction] = {}
    if card.rounding == SESSION:
        exact = {m: s for m, s in totals.items() if m not in unrounded}
        totals = {m: card.billed_seconds(s) if m in exact else s for m, s in totals.items()}
    return Usage(tuple(charges), totals, billing_start, notes, exact=exact, unrounded=unrounded)


# The last scenario's people (`_People.of`): its participants, its groups and their columns.
_LAST_PEOPLE: dict[str, tuple[Any, Any, _People]] = {}

# Participants are read a block at a time and each block's times converted while its records
# are still in the CPU's cache: at 100,000 participants, reading them all and converting the
# times in a second sweep costs twice as much (their records no longer fit in the cache).
BLOCK = 1024


class _People:
    """The columns that pricing reads of everyone connected (the roster: participants, then
    groups' members), gathered in one pass over the participants' records; a group's members
    are columns worked out at once, never records (in a session of 100,000, each pass over
    records costs more than the arithmetic after)."""

    def __init__(self, scenario: Scenario) -> None:
        people = scenario.participants
        video: list[bool] = []
        sip: list[bool] = []
        subscribes: list[bool] = []
        streams: list[int] = []
        publishing: list[int] = []
        # Each block's join, leave and publish times in whole seconds, while all are whole.
        whole: tuple[list[npt.NDArray[np.int64]], ...] | None = ([], [], [])
        for low in range(0, len(people), BLOCK):
            block_joins: list[Decimal] = []
            block_leaves: list[Decimal] = []
            block_publishes: list[Decimal] = []
            for index, p in enumerate(people[low : low + BLOCK], start=low):
                block_joins.append(p.join)
                block_leaves.append(p.leave)
                video.append(p.media == "video")
                sip.append(p.endpoint == "sip")
                subscribes.append(p.subscribes)
                streams.append(p.streams)
                if p.publish is not None:
                    publishing.append(index)
                    block_publishes.append(p.publish)
            if whole is not None:
                seconds = _whole_seconds(block_joins + block_leaves + block_publishes)
                if seconds is None:
                    whole = None
                else:
                    n = len(block_joins)
                    for part, piece in zip(whole, np.split(seconds, [n, 2 * n]), strict=True):
                        part.append(piece)
        count = len(people)
        self.roster = Roster(scenario)
        self.own = count  # the scenario's own participants: positions 0 .. own - 1
        self.video = np.array(video, dtype=np.bool_)
        self.sip = np.array(sip, dtype=np.bool_)
        self.subscribes = np.array(subscribes, dtype=np.bool_)
        self.streams = np.array(streams, dtype=np.int64)
        self.publishing = np.array(publishing, dtype=np.int64)
        self.join_ticks: npt.NDArray[Any]
        self.leave_ticks: npt.NDArray[Any]
        self.publish_ticks: npt.NDArray[Any]
        if whole is not None:
            self.scale = 1
            self.join_ticks, self.leave_ticks, self.publish_ticks = (
                np.concatenate(part) if part else np.zeros(0, np.int64) for part in whole
            )
        else:
            # Some time has a fraction (rare): all of them again, in ticks of the finest place.
            ticks, self.scale = _scaled_ticks(
                [p.join for p in people]
                + [p.leave for p in people]
                + [people[i].publish or Decimal(0) for i in publishing]
            )
            self.join_ticks = ticks[:count]
            self.leave_ticks = ticks[count : 2 * count]
            self.publish_ticks = ticks[2 * count :]
        if scenario.groups:
            self._add_groups(scenario.groups)
        self.count = len(self.roster)
        self._rows: tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]] | None = None

    @classmethod
    def of(cls, scenario: Scenario) -> _People:
        """The scenario's people, made once for the same participants and groups: a live
        update prices one scenario under every model and draws it, five times the same
        columns (a webinar's 10,000 a millisecond of work each time). Remembered for the
        last scenario alone, by the identity of its participants and groups (the cache
        holds them, so no other can take their place); the columns are read-only."""
        last = _LAST_PEOPLE.get("last")
        if last is not None and last[0] is scenario.participants and last[1] is scenario.groups:
            return last[2]
        people = cls(scenario)
        for column in (
            people.video,
            people.sip,
            people.subscribes,
            people.streams,
            people.publishing,
            people.join_ticks,
            people.leave_ticks,
            people.publish_ticks,
        ):
            column.flags.writeable = False
        _LAST_PEOPLE["last"] = (scenario.participants, scenario.groups, people)
        return people

    def rows(self) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[np.int64]]:
        """Everyone's joins and leaves as rows of people alike, and how many each row counts:
        each participant a row of its own; a group's members who join and leave at the same
        seconds one row (members are in order of joining and of leaving, so alike ones are
        next to each other). A webinar's 10,000 attendees spread over ten-minute ranges are at
        most 1,202 rows; for the rules that count people connected, a row counts as many."""
        firsts, counts = self.row_starts()
        return self.join_ticks[firsts], self.leave_ticks[firsts], counts

    def row_starts(self) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
        """The position of each row's first person (`rows`), and how many the row counts."""
        if self._rows is None:
            joins, leaves = self.join_ticks, self.leave_ticks
            first = np.ones(self.count, np.bool_)
            first[self.own + 1 :] = (joins[self.own + 1 :] != joins[self.own : -1]) | (
                leaves[self.own + 1 :] != leaves[self.own : -1]
            )
            first[list(self.roster.starts)] = True
            firsts = np.flatnonzero(first)
            self._rows = (firsts, np.diff(np.append(firsts, self.count)))
        return self._rows

    def _add_groups(self, groups: tuple[Group, ...]) -> None:
        """The groups' members' columns after the participants' (members' times are whole
        seconds, in the participants' ticks)."""
        joins, leaves, publishes, publishing = [self.join_ticks], [self.leave_ticks], [], []
        video, sip, subscribes, streams = (
            [self.video],
            [self.sip],
            [self.subscribes],
            [self.streams],
        )
        for group, start in zip(groups, self.roster.starts, strict=True):
            n = group.count
            join, leave = (seconds * self.scale for seconds in member_seconds(group))
            joins.append(join)
            leaves.append(leave)
            video.append(np.full(n, group.media == "video"))
            sip.append(np.full(n, group.endpoint == "sip"))
            subscribes.append(np.full(n, group.subscribes))
            streams.append(np.full(n, group.streams, dtype=np.int64))
            if group.publishes:
                publishing.append(np.arange(start, start + n, dtype=np.int64))
                publishes.append(join)
        dtype = self.join_ticks.dtype
        self.join_ticks = np.concatenate(joins).astype(dtype, copy=False)
        self.leave_ticks = np.concatenate(leaves).astype(dtype, copy=False)
        if publishing:
            self.publishing = np.concatenate([self.publishing, *publishing])
            self.publish_ticks = np.concatenate([self.publish_ticks, *publishes]).astype(
                dtype, copy=False
            )
        self.video, self.sip = np.concatenate(video), np.concatenate(sip)
        self.subscribes, self.streams = np.concatenate(subscribes), np.concatenate(streams)

    def time_at(self, position: int, ticks: Any, publish: bool = False) -> Decimal:
        """A time of someone on the roster as a Decimal: a participant's as its document gave
        it, a member's from its ticks (whole seconds)."""
        if position < self.own:
            person = self.roster.participants[position]
            time = person.publish if publish else person.join
            assert time is not None
            return time
        return Decimal(int(ticks) // self.scale)

    def sip_interconnect(self, card: RateCard) -> list[Charges]:
        """Interconnect minutes of the SIP endpoints: each one's whole connection."""
        if not self.sip.any():
            return []
        billed = _Billed(self.leave_ticks - self.join_ticks, self.scale, card)
        return billed.charges(
            Meter.SIP_INTERCONNECT, ChargeKind.SIP_INTERCONNECT, self.roster, self.sip
        )

    def billing_start(self) -> Decimal | None:
        """The earlier of the first publish and the second connection's join (`billing_starts`,
        of this one session); None if neither. The time as the document gave it."""
        session = np.zeros(self.count, np.int64)
        ticks = int(
            billing_starts(
                1, session, self.join_ticks, session[self.publishing], self.publish_ticks
            )[0]
        )
        if ticks == NONE:
            return None
        if self.scale == 1:
            return Decimal(ticks)
        published = np.flatnonzero(self.publish_ticks == ticks)
        if len(published):
            return self.time_at(int(self.publishing[published[0]]), ticks, publish=True)
        return self.time_at(int(np.flatnonzero(self.join_ticks == ticks)[0]), ticks)


# No time (a session in which billing never starts).
NONE = -1


def _at_each(
    ufunc: np.ufunc, into: npt.NDArray[Any], owners: npt.NDArray[np.int64], values: Any
) -> None:
    """`ufunc.at(into, owners, values)`: each value folded into its session's entry. One
    session's (a scenario's) by one reduction, several times quicker than `.at`."""
    if len(into) == 1:
        if len(values):
            into[0] = ufunc(into[0], ufunc.reduce(values))
    else:
        ufunc.at(into, owners, values)


def billing_starts(
    sessions: int,
    session: npt.NDArray[np.int64],
    joins: npt.NDArray[Any],
    publish_session: npt.NDArray[np.int64],
    publishes: npt.NDArray[Any],
) -> npt.NDArray[Any]:
    """When video_ppm's billing starts in each of `sessions` sessions, in ticks: the earlier
    of the session's first publish and its second connection's join (two joining at once:
    that moment); NONE where neither happens. Everyone's join and session, and each publish
    with its session. The rule of one scenario (a session 0) and of a usage file's sessions
    alike, in work that grows with the people, never with a loop over sessions."""
    if not len(joins):
        return np.full(sessions, NONE, np.int64)
    never = int(max(joins.max(), publishes.max(initial=0))) + 1
    first_publish = np.full(sessions, never, joins.dtype)
    _at_each(np.minimum, first_publish, publish_session, publishes)
    first = np.full(sessions, never, joins.dtype)
    _at_each(np.minimum, first, session, joins)
    at_first = joins == first[session]
    second = np.full(sessions, never, joins.dtype)
    _at_each(np.minimum, second, session[~at_first], joins[~at_first])
    together = np.bincount(session[at_first], minlength=sessions) >= 2
    starts = np.minimum(first_publish, np.where(together, first, second))
    return np.where(starts == never, NONE, starts)


def sip_mediaserver(scenario: Scenario, card: RateCard) -> Usage:
    """Every participant is a call leg; a conference connection bills on top of its legs."""
    people = _People.of(scenario)
    legs = _Billed(people.leave_ticks - people.join_ticks, people.scale, card)
    charges = legs.charges(Meter.VOICE_CALL, ChargeKind.LEG, people.roster, ~people.video)
    charges += legs.charges(Meter.VIDEO_CALL, ChargeKind.LEG, people.roster, people.video)
    charges += _interval_charges(scenario.conferences, ChargeKind.CONFERENCE, card)
    return _usage(charges + _extras(scenario, card), card)


def billing_start(scenario: Scenario) -> Decimal | None:
    """The earlier of the first publish and the second connection's join; None if neither."""
    return _People.of(scenario).billing_start()


def video_ppm(scenario: Scenario, card: RateCard) -> Usage:
    """Participant minutes from the moment billing starts; SIP endpoints add interconnect."""
    people = _People.of(scenario)
    start = people.billing_start()
    charges = []
    notes = list(_ignored_conferences(scenario))
    nobody_publishes = people.count > 0 and not len(people.publishing)
    if start is None:
        if people.count:
            notes.append(
                "No participant minutes: nobody publishes and no second participant joins, "
                "so billing never starts. Set Publish for whoever sends audio or video."
            )
    else:
        if nobody_publishes:
            notes.append(
                f"Nobody publishes: billing starts when the second participant joins, at "
                f"{clock(start)}. Set Publish for whoever sends audio or video."
            )
        begins = np.maximum(people.join_ticks, int(start * people.scale))
        billed = _Billed(people.leave_ticks - begins, people.scale, card)
        charges += billed.charges(
            Meter.PARTICIPANT, ChargeKind.PARTICIPANT, people.roster, since=start
        )
    charges += people.sip_interconnect(card)
    usage = _usage(charges + _extras(scenario, card), card, start, tuple(notes))
    return replace(usage, wants_publishers=nobody_publishes and start is None)


def video_ppm_per_minute(scenario: Scenario, card: RateCard) -> Usage:
    """Participant minutes counted minute by minute (the platform's current wording: "each
    minute looked at separately for the maximum publishers and participants there"): each
    whole minute of the session clock, [60k, 60k + 60), in which someone publishes bills as
    many participant minutes as the most participants connected at one moment of it. Whole
    minutes, so the card's increment and minimum do not apply to them; SIP endpoints add
    interconnect, recordings and monitoring bill, as under video_ppm."""
    people = _People.of(scenario)
    notes = list(_ignored_conferences(scenario))
    starts, most = _billable_minutes(people)
    charges: list[Charges] = []
    if len(starts):
        minutes = tuple(Interval(Decimal(int(a)), Decimal(int(a) + 60)) for a in starts.tolist())
        seconds = most * 60
        charges += Charges.of(
            Meter.PARTICIPANT,
            ChargeKind.MINUTE,
            minutes,
            np.arange(len(minutes), dtype=np.int64),
            seconds,
            seconds,
            1,
            intervals=most,
        )
    nobody_publishes = people.count > 0 and not len(people.publishing)
    if nobody_publishes:
        notes.append(
            "No participant minutes: nobody publishes, so no minute is billable. Set Publish "
            "for whoever sends audio or video."
        )
    charges += people.sip_interconnect(card)
    start = Decimal(int(starts[0])) if len(starts) else None
    usage = _usage(charges + _extras(scenario, card), card, start, tuple(notes))
    return replace(usage, wants_publishers=nobody_publishes)


def _billable_minutes(people: _People) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """The billable minutes of one session (`billable_minutes`): their starts in seconds and
    the most connected at one moment of each (people alike counted as rows: `rows`)."""
    joins, leaves, counts = people.rows()
    publishing = people.publishing
    _, starts, most = billable_minutes(
        1,
        np.zeros(len(joins), np.int64),
        joins,
        leaves,
        np.zeros(len(publishing), np.int64),
        people.publish_ticks,
        people.leave_ticks[publishing],
        people.scale,
        counts,
    )
    return starts, most


def billable_minutes(
    sessions: int,
    session: npt.NDArray[np.int64],
    joins: npt.NDArray[Any],
    leaves: npt.NDArray[Any],
    publish_session: npt.NDArray[np.int64],
    publishes: npt.NDArray[Any],
    publish_leaves: npt.NDArray[Any],
    scale: int,
    counts: npt.NDArray[np.int64] | None = None,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """video_ppm_per_minute's billable minutes in `sessions` sessions: each one's session,
    start (in seconds of its session's clock) and the most participants connected at one
    moment of it (connected: join <= t < leave), leaving out minutes nobody is in. Times in
    ticks of 1/scale s; everyone's join, leave and session (or rows of people alike, each
    counting `counts[k]` people); each publisher's session, publish and leave. The rule of
    one scenario (a session 0) and of a usage file's sessions alike: every session's minutes
    are laid end to end in one array.

    A minute is billable when some publisher's [publish, leave) overlaps it for a positive
    time. Within a minute the number connected only rises at a join, so its most is at the
    minute's start or at a moment inside it where someone joins: the number at each minute's
    start comes from counting joins and leaves up to it; inside a minute, from walking its
    joins and leaves in order of time."""
    empty = np.zeros(0, np.int64)
    positive = publish_leaves > publishes
    if not positive.any():
        return empty, empty, empty
    minute = 60 * scale
    owner = publish_session[positive]
    first = (publishes[positive] // minute).astype(np.int64)
    # The minute after the last one each publisher overlaps: ceil(leave / minute).
    after = (-(-publish_leaves[positive] // minute)).astype(np.int64)
    # Each session's minutes, from 0 to its last publisher's last, laid end to end, with one
    # slot more after them (for whoever is still there): session s's minute m is slot
    # offsets[s] + m.
    sizes = np.zeros(sessions, np.int64)
    _at_each(np.maximum, sizes, owner, after)
    offsets = np.concatenate(([0], np.cumsum(sizes + 1)))
    slots = int(offsets[-1])
    cover = np.zeros(slots + 1, np.int64)
    np.add.at(cover, offsets[owner] + first, 1)
    np.add.at(cover, offsets[owner] + after, -1)
    billable = np.cumsum(cover[:slots]) > 0

    # Each person's session's first slot and minutes (one session's: plain numbers).
    base = offsets[session] if sessions > 1 else int(offsets[0])
    cap = sizes[session] if sessions > 1 else int(sizes[0])

    def slot(ticks: npt.NDArray[Any], rounding_up: bool) -> npt.NDArray[np.int64]:
        index = (-(-ticks // minute) if rounding_up else ticks // minute).astype(np.int64)
        placed: npt.NDArray[np.int64] = base + np.minimum(index, cap)
        return placed

    # Connected at each minute's start t: joins at or before t (whose ceil(join / minute) is
    # at most the minute) less leaves at or before t.
    if counts is None:
        arrivals = np.bincount(slot(joins, True), minlength=slots)
        departures = np.bincount(slot(leaves, True), minlength=slots)
    else:  # (sums of whole numbers below 2**53 in float64: exact)
        arrivals = np.bincount(slot(joins, True), counts, slots).astype(np.int64)
        departures = np.bincount(slot(leaves, True), counts, slots).astype(np.int64)
    most = np.cumsum(arrivals - departures)
    # Inside each minute: joins (+1) and leaves (-1) in order of time, counted after all of
    # one moment's; the count then is the minute start's and the minute's changes since.
    span = 0 if sessions == 1 else int(max(leaves.max(), joins.max())) + 1
    keys = np.concatenate((session * span + joins, session * span + leaves))
    order = np.argsort(keys, kind="stable")
    keys = keys[order]
    count = len(joins)
    # A change at a minute's very start is in that start's count already.
    on_start = (np.concatenate((joins, leaves))[order] % minute) == 0
    signs = np.where(order < count, 1, -1)
    changes = np.where(on_start, 0, signs if counts is None else signs * np.tile(counts, 2)[order])
    where = np.concatenate((slot(joins, False), slot(leaves, False)))[order]
    running = np.cumsum(changes)
    # The running count just before each slot's first change.
    starts = np.flatnonzero(np.concatenate(([True], where[1:] != where[:-1])))
    before = np.concatenate(([0], running))[starts]
    group = np.cumsum(np.concatenate(([True], where[1:] != where[:-1]))) - 1
    moments = np.flatnonzero(np.concatenate((keys[1:] != keys[:-1], [True])))
    at = where[moments]
    now = most[at] + running[moments] - before[group[moments]]
    np.maximum.at(most, at, now)
    # Each session's last slot is no minute (changes after its last publisher's last minute).
    last = np.zeros(slots, np.bool_)
    last[offsets[1:] - 1] = True
    kept = np.flatnonzero(billable & (most > 0) & ~last)
    minute_session = np.repeat(np.arange(sessions, dtype=np.int64), sizes + 1)[kept]
    return minute_session, (kept - offsets[minute_session]) * 60, most[kept]


MAX_SUBSCRIPTIONS = 100_000_000
SUBSCRIPTIONS_PER_BLOCK = 1 << 18


def subscriptions(scenario: Scenario) -> int:
    """The work of pricing a scenario under video_ssm: subscribers x publishers, every pair
    rounded on its own. (A publisher who publishes for no time at all is no work.)"""
    subscribers, publishers = _subscribers_and_publishers(scenario)
    return subscribers * publishers


def _subscribers_and_publishers(scenario: Scenario) -> tuple[int, int]:
    subscribers = sum(1 for p in scenario.participants if p.subscribes)
    subscribers += sum(g.count for g in scenario.groups if g.subscribes)
    publishers = sum(
        1 for p in scenario.participants if p.publish is not None and p.leave > p.publish
    )
    for group in scenario.groups:
        if group.publishes:
            joins, leaves = member_seconds(group)
            publishers += int(np.count_nonzero(leaves > joins))
    return subscribers, publishers


def _who_publishes(scenario: Scenario) -> str:
    """Who publishes, for a message: the groups that do with their members, then the rest."""
    said = [f"{g.name} ({g.count:,} members)" for g in scenario.groups if g.publishes]
    own = sum(1 for p in scenario.participants if p.publish is not None)
    if own:
        said.append(f"{own:,} participant{'s' if own != 1 else ''}")
    return ", ".join(said)


def video_ssm(scenario: Scenario, card: RateCard) -> Usage:
    """Each subscriber bills, per other publisher and per stream, the time both overlap,
    each subscription rounded on its own.

    The work is subscribers x publishers, so it runs as whole-array integer arithmetic: every
    subscriber's overlap with a block of publishers, rounded, at once (a small session is one
    block). Times are exact integers (in microseconds when they have decimals), so the
    results are exact.
    """
    people = _People.of(scenario)
    subscribing = np.flatnonzero(people.subscribes)
    publishes = people.leave_ticks[people.publishing] > people.publish_ticks
    publishing = people.publishing[publishes]
    s_count, p_count = len(subscribing), len(publishing)
    units, unit_of = _subscriber_units(people, subscribing, publishing)
    if s_count * p_count > MAX_SUBSCRIPTIONS:
        # Each subscription is rounded on its own: the work grows with their number.
        raise ScenarioError.single(
            "groups" if scenario.groups else "participants",
            f"{s_count:,} subscribers × {p_count:,} publishers is more "
            f"subscriptions than one request prices under video_ssm (at most "
            f"{MAX_SUBSCRIPTIONS:,}); publishing: {_who_publishes(scenario)}. Split the "
            "session or use fewer publishers",
        )
    charges = []
    # A card that rounds a total once bills each subscription's exact ticks.
    exact = card.rounding != INTERVAL
    if s_count and p_count:
        # In float64, exactly: every time is a whole number of ticks below 2**53, and so is
        # every sum below (at most 10**8 subscriptions of 7 days, 100 streams each).
        f64 = np.float64
        a, b = people.join_ticks[subscribing], people.leave_ticks[subscribing]
        af = people.join_ticks[units].astype(f64)[:, None]
        bf = people.leave_ticks[units].astype(f64)[:, None]
        ps = people.publish_ticks[publishes].astype(f64)
        pe = people.leave_ticks[publishing].astype(f64)
        streams = people.streams[publishing].astype(f64)
        # Nobody subscribes to themselves: the (subscriber row, publisher column) of each
        # publisher who also subscribes is cleared below.
        # (A subscriber who publishes is a unit of its own.)
        own_columns = np.flatnonzero(people.subscribes[publishing])
        own_rows = unit_of[np.searchsorted(subscribing, publishing[own_columns])]
        u_count = len(units)
        seconds_f = np.zeros(u_count, dtype=f64)
        counts_f = np.zeros(u_count, dtype=f64)
        # Subscribers x a block of publishers at a time, in two buffers made once: one pass
        # of array arithmetic for a small session, bounded memory (4 MB) for a large one.
        block = max(1, SUBSCRIPTIONS_PER_BLOCK // u_count)
        width = min(block, p_count)
        # Column-major: each publisher's column is one run of memory, so every operation
        # below runs along the subscribers (a few columns of row-major buffers would run in
        # steps of a few numbers each, tens of times slower).
        buffers = (
            np.empty((u_count, width), f64, order="F"),
            np.empty((u_count, width), f64, order="F"),
        )
        for low in range(0, p_count, block):
            high = min(p_count, low + block)
            overlap, later = (buffer[:, : high - low] for buffer in buffers)
            subscription_seconds(
                af, bf, ps[None, low:high], pe[None, low:high], overlap, later, card, people.scale
            )
            mine = (own_columns >= low) & (own_columns < high)
            overlap[own_rows[mine], own_columns[mine] - low] = 0
            seconds_f += overlap @ streams[low:high]
            np.greater(overlap, 0, out=later)
            counts_f += later @ streams[low:high]
        # Each subscriber bills its unit's subscriptions.
        seconds = seconds_f.astype(np.int64)[unit_of]
        counts = counts_f.astype(np.int64)[unit_of]
        kept = np.flatnonzero(seconds)
        charges += Charges.of(
            Meter.SUBSCRIBED,
            ChargeKind.SUBSCRIBER,
            people.roster,
            subscribing[kept],
            seconds[kept],
            (b - a)[kept],
            people.scale,
            intervals=counts[kept],
            exact=exact,
        )
    charges += people.sip_interconnect(card)
    notes = _ignored_conferences(scenario)
    wants_publishers = bool(s_count) and not len(people.publishing)
    if wants_publishers:
        notes += (
            "No subscribed minutes: nobody publishes, so there is no stream to subscribe to. "
            "Under this model people bill only for what they receive; set Publish for whoever "
            "sends audio or video.",
        )
    usage = _usage(charges + _extras(scenario, card), card, None, notes)
    return replace(usage, wants_publishers=wants_publishers)


def _subscriber_units(
    people: _People, subscribing: npt.NDArray[np.int64], publishing: npt.NDArray[np.int64]
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Subscribers in units that bill alike: a group's members who join and leave at the same
    seconds and do not publish (one row of `_People.rows`, its subscribers), or one
    subscriber who publishes (never subscribed to itself, unlike its namesakes). A
    webinar's 10,000 attendees are some 1,200 units. Each unit's first subscriber (a
    position), and each subscriber's unit."""
    firsts, counts = people.row_starts()
    row = np.repeat(np.arange(len(firsts), dtype=np.int64), counts)[subscribing]
    publishes = np.zeros(people.count, np.bool_)
    publishes[publishing] = True
    alone = publishes[subscribing]
    new = np.ones(len(subscribing), np.bool_)
    new[1:] = (row[1:] != row[:-1]) | alone[1:] | alone[:-1]
    return subscribing[np.flatnonzero(new)], np.cumsum(new) - 1


def subscription_seconds(
    joins: npt.NDArray[np.float64],
    leaves: npt.NDArray[np.float64],
    publishes: npt.NDArray[np.float64],
    publish_leaves: npt.NDArray[np.float64],
    overlap: npt.NDArray[np.float64],
    later: npt.NDArray[np.float64],
    card: RateCard,
    scale: int,
) -> None:
    """video_ssm's rule for subscriptions, into `overlap`: a subscriber (connected from join to
    leave) bills, for a publisher (publishing from publish to leave), the time both overlap,
    rounded on its own; exact ticks, none below nothing, when the card rounds a total once.
    Times in float64 ticks of 1/scale s (whole numbers below 2**53: exact); the result in
    whole seconds (exact ticks). Arrays that broadcast: a session's subscribers against a
    block of its publishers, or a usage file's pairs of subscriber and publisher in turn.
    `later` is working space of the result's shape."""
    np.minimum(leaves, publish_leaves, out=overlap)
    np.maximum(joins, publishes, out=later)
    np.subtract(overlap, later, out=overlap)
    if card.rounding != INTERVAL:
        np.maximum(overlap, 0, out=overlap)
    else:
        card.round_in_place(overlap, scale=scale)


MODELS: dict[Model, Callable[[Scenario, RateCard], Usage]] = {
    Model.SIP_MEDIASERVER: sip_mediaserver,
    Model.VIDEO_PPM: video_ppm,
    Model.VIDEO_PPM_PER_MINUTE: video_ppm_per_minute,
    Model.VIDEO_SSM: video_ssm,
}


# -- Where in the session each participant bills ---------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class Spans:
    """Stretches of the session, in ticks of 1/scale s: `starts[k]` to `ends[k]`, in order,
    disjoint and not touching."""

    starts: npt.NDArray[Any]
    ends: npt.NDArray[Any]
    scale: int

    def __len__(self) -> int:
        return len(self.starts)

    def seconds(self) -> list[tuple[Decimal, Decimal]]:
        """The stretches in seconds, exactly."""
        places = len(str(self.scale)) - 1  # the scale is a power of ten
        return [
            (Decimal(a).scaleb(-places), Decimal(b).scaleb(-places))
            for a, b in zip(self.starts.tolist(), self.ends.tolist(), strict=True)
        ]


def _union(starts: npt.NDArray[Any], ends: npt.NDArray[Any], scale: int) -> Spans:
    """The union of intervals (empty ones dropped), merged where they touch or overlap."""
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    if not len(starts):
        return Spans(starts, ends, scale)
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], np.maximum.accumulate(ends[order])
    # A new stretch begins wherever an interval starts after all before it have ended.
    begins = np.flatnonzero(np.concatenate(([True], starts[1:] > ends[:-1])))
    last = np.concatenate((begins[1:] - 1, [len(starts) - 1]))
    return Spans(starts[begins], ends[last], scale)


def _within(spans: Spans, allowed: Spans) -> Spans:
    """The parts of `spans` inside `allowed` (both sorted and disjoint)."""
    starts, ends = [], []
    a_starts, a_ends = allowed.starts.tolist(), allowed.ends.tolist()
    j = 0
    for start, end in zip(spans.starts.tolist(), spans.ends.tolist(), strict=True):
        while j < len(a_starts) and a_ends[j] <= start:
            j += 1
        k = j
        while k < len(a_starts) and a_starts[k] < end:
            low, high = max(start, a_starts[k]), min(end, a_ends[k])
            if high > low:
                starts.append(low)
                ends.append(high)
            k += 1
    dtype = spans.starts.dtype
    return Spans(np.array(starts, dtype=dtype), np.array(ends, dtype=dtype), spans.scale)


def _runs(points: npt.NDArray[Any], on: npt.NDArray[np.bool_], scale: int) -> Spans:
    """The stretches [points[k], points[k + 1]) where `on[k]`, consecutive ones merged."""
    on = on[:-1]
    if not on.any():
        empty = points[:0]
        return Spans(empty, empty, scale)
    edges = np.diff(np.concatenate(([False], on, [False])).astype(np.int8))
    return Spans(points[np.flatnonzero(edges == 1)], points[np.flatnonzero(edges == -1)], scale)


def _level(starts: npt.NDArray[Any], ends: npt.NDArray[Any], at: npt.NDArray[Any]) -> Any:
    """How many of the intervals [starts, ends) hold each moment of `at` (both sorted)."""
    return np.searchsorted(starts, at, side="right") - np.searchsorted(ends, at, side="right")


def billed_spans(scenario: Scenario, usage: Usage, bands: Sequence[Any]) -> list[Spans]:
    """For each band of participants (positions on the roster: a sequence, or a range), the stretches of
    the session in which at least one of them bills a participant meter under the scenario's
    model: what a timeline draws in colour. The work grows with the participants and the
    publishers, never with their product, so a band of thousands costs what its rows cost.

    - sip_mediaserver: a leg bills its whole connection.
    - video_ppm: a participant bills from the later of its join and the billing start.
    - video_ssm: a subscriber bills while some *other* participant publishes: at a moment
      when C participants publish, a group's connected subscribers bill if C >= 2, or if
      C == 1 and one of them is not that publisher.
    """
    model = scenario.model
    people = _People.of(scenario)
    scale, joins, leaves = people.scale, people.join_ticks, people.leave_ticks
    members = [
        np.arange(band.start, band.stop, dtype=np.int64)
        if isinstance(band, range)
        else np.asarray(band, dtype=np.int64)
        for band in bands
    ]
    if model is Model.SIP_MEDIASERVER:
        return [_union(joins[m], leaves[m], scale) for m in members]
    if model is Model.VIDEO_PPM_PER_MINUTE:
        # A participant bills while connected in a billable minute.
        starts = np.array(
            [
                int(minute.start)
                for c in usage.charges
                if c.kind is ChargeKind.MINUTE and not isinstance(c.source, Roster)
                for minute in c.source
            ],
            dtype=np.int64,
        )
        billable = _union(starts * scale, (starts + 60) * scale, scale)
        return [_within(_union(joins[m], leaves[m], scale), billable) for m in members]
    if model is Model.VIDEO_PPM:
        start = usage.billing_start
        if start is None:
            return [_union(joins[:0], leaves[:0], scale) for _ in members]
        since = int(start * scale)
        return [_union(np.maximum(joins[m], since), leaves[m], scale) for m in members]
    # Who publishes when, over the whole session: publish to leave, for those who do.
    publishes = people.leave_ticks[people.publishing] > people.publish_ticks
    publishing = people.publishing[publishes]
    publish_from = people.publish_ticks[publishes]
    all_from, all_to = np.sort(publish_from), np.sort(leaves[publishing])
    changes = np.unique(np.concatenate((all_from, all_to)))
    publishes_from = np.full(people.count, -1, dtype=np.int64)
    publishes_from[publishing] = publish_from
    spans = []
    for m in members:
        m = m[people.subscribes[m]]
        a, b = joins[m], leaves[m]
        if not len(m) or not len(changes):
            spans.append(_union(a[:0], b[:0], scale))
            continue
        mine = m[publishes_from[m] >= 0]
        pa, pb = np.sort(publishes_from[mine]), np.sort(leaves[mine])
        low, high = a.min(), b.max()
        inside = changes[(changes > low) & (changes < high)]
        points = np.unique(np.concatenate((a, b, pa, pb, inside)))
        a, b = np.sort(a), np.sort(b)
        connected = _level(a, b, points)
        own = _level(pa, pb, points)
        others = _level(all_from, all_to, points)
        on = (connected >= 1) & ((others >= 2) | ((others == 1) & (connected - own >= 1)))
        spans.append(_runs(points, on, scale))
    return spans
