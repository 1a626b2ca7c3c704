"""Everyone connected to a session, by position: the scenario's participants first, then each
group's members in turn. A group's members are never made one record each to be priced:
their times are columns worked out at once (`member_seconds`); a member is written out as a
participant only when someone reads it (`Roster[k]`, `written_out`)."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterator, Sequence
from dataclasses import replace
from decimal import Decimal
from functools import lru_cache
from typing import overload

import numpy as np
import numpy.typing as npt

from .scenario import Group, Participant, Scenario

Seconds = npt.NDArray[np.int64]


@lru_cache(maxsize=64)
def member_seconds(group: Group) -> tuple[Seconds, Seconds]:
    """Each member's join and leave, in whole seconds: member k of n joins at
    `join[0] + (join[1] - join[0]) * k / (n - 1)` and leaves likewise over the leave range,
    each rounded half up, and never leaves before it joins (one member: at the ranges'
    starts). Exact: integer arithmetic on the times' own decimal places.

    Remembered for the last few groups (a live update prices a group under every model and
    draws it: the same columns each time); the arrays are read-only."""
    k = np.arange(group.count, dtype=np.int64)
    joins = _spread(group.join, k, group.count)
    leaves = np.maximum(joins, _spread(group.leave, k, group.count))
    joins.flags.writeable = False
    leaves.flags.writeable = False
    return joins, leaves


def _spread(bounds: tuple[Decimal, Decimal], k: Seconds, count: int) -> Seconds:
    low, high, scale = _ticks(bounds)
    steps = max(count - 1, 1)
    # low + (high - low) * k / steps, in ticks of 1/scale s; rounded half up to whole seconds:
    # floor(value / scale + 1/2). Every term fits in int64: times have at most 6 decimal places
    # (scale <= 10**6), so 2 * (high * steps) < 2 * 604,800 * 10**6 * 10**6 < 2**63.
    numerator = low * steps + (high - low) * k
    denominator = steps * scale
    return (2 * numerator + denominator) // (2 * denominator)


def _ticks(bounds: tuple[Decimal, Decimal]) -> tuple[int, int, int]:
    exponents = [b.as_tuple().exponent for b in bounds]
    places = max((-e for e in exponents if isinstance(e, int) and e < 0), default=0)
    scale = 10**places
    low, high = (int(b.scaleb(places)) for b in bounds)
    return low, high, scale


def member(group: Group, k: int) -> Participant:
    """Member k (from 0) of a group, written out as the participant it stands for."""
    index = np.array([k], dtype=np.int64)
    join = int(_spread(group.join, index, group.count)[0])
    leave = max(join, int(_spread(group.leave, index, group.count)[0]))
    return _participant(group, k, join, leave)


def _participant(group: Group, k: int, join: int, leave: int) -> Participant:
    return Participant(
        name=member_name(group, k),
        join=Decimal(join),
        leave=Decimal(leave),
        media=group.media,
        endpoint=group.endpoint,
        direction=group.direction,
        publish=Decimal(join) if group.publishes else None,
        streams=group.streams,
        subscribes=group.subscribes,
    )


def member_name(group: Group, k: int) -> str:
    return f"{group.name} {k + 1}"


def members(group: Group) -> Iterator[Participant]:
    """A group's members written out, in order (as many records as members: for a user who
    asks for rows, and for tests)."""
    joins, leaves = member_seconds(group)
    for k, (join, leave) in enumerate(zip(joins.tolist(), leaves.tolist(), strict=True)):
        yield _participant(group, k, join, leave)


def written_out(scenario: Scenario) -> Scenario:
    """The same scenario with every group's members as participants (after its own)."""
    people = list(scenario.participants)
    for group in scenario.groups:
        people.extend(members(group))
    return replace(scenario, participants=tuple(people), groups=())


class Roster(Sequence[Participant]):
    """Positions 0 .. P-1 are the scenario's participants; then each group's members, group
    by group (`starts[g]` is where group g begins)."""

    def __init__(self, scenario: Scenario) -> None:
        self.participants = scenario.participants
        self.groups = scenario.groups
        starts = []
        position = len(self.participants)
        for group in self.groups:
            starts.append(position)
            position += group.count
        self.starts = starts
        self.size = position

    def __len__(self) -> int:
        return self.size

    @overload
    def __getitem__(self, position: int) -> Participant: ...
    @overload
    def __getitem__(self, position: slice) -> Sequence[Participant]: ...
    def __getitem__(self, position: int | slice) -> Participant | Sequence[Participant]:
        if isinstance(position, slice):
            return [self[i] for i in range(*position.indices(self.size))]
        if position < 0:
            position += self.size
        if not 0 <= position < self.size:
            raise IndexError(position)
        if position < len(self.participants):
            return self.participants[position]
        g = self.group_at(position)
        assert g is not None
        return member(self.groups[g], position - self.starts[g])

    def group_at(self, position: int) -> int | None:
        """The group (its index) whose member stands at `position`, or None for a participant."""
        if position < len(self.participants):
            return None
        return bisect_right(self.starts, position) - 1

    def parts(self) -> list[tuple[int | None, int, int]]:
        """(group index or None for the participants, first position, end position) of each
        part of the roster that has anyone in it."""
        parts: list[tuple[int | None, int, int]] = []
        if self.participants:
            parts.append((None, 0, len(self.participants)))
        for g, (group, start) in enumerate(zip(self.groups, self.starts, strict=True)):
            parts.append((g, start, start + group.count))
        return parts
