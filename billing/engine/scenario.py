"""The scenario document (docs/documents.md) read and validated into frozen dataclasses."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from .meters import Model
from .ratecard import (
    RateCardOverride,
    addons_document,
    card_document,
    fees_document,
    read_override,
)
from .reader import Reader, join_path
from .timefmt import clock

MAX_SESSION_SECONDS = 7 * 24 * 3600
MAX_PARTICIPANTS = 10_000
MAX_GROUPS = 1_000
# Participants and all groups' members together.
MAX_MEMBERS = 1_000_000
MAX_INTERVALS = 1_000
MAX_SESSIONS_PER_MONTH = 1_000_000_000
MAX_STREAMS = 100

Media = Literal["voice", "video"]
MEDIA: tuple[Media, ...] = ("voice", "video")
ENDPOINTS = ("sip", "webrtc", "pstn", "alexa", "client")
ENDPOINT_LABELS = {
    "sip": "SIP phone",
    "webrtc": "WebRTC browser",
    "pstn": "PSTN phone",
    "alexa": "Alexa device",
    "client": "Video client SDK",
}
DIRECTIONS = ("originating", "terminating")

SCENARIO_FIELDS = (
    "name",
    "model",
    "sessions_per_month",
    "participants",
    "groups",
    "conferences",
    "recordings",
    "monitoring",
    "rate_card",
    "fees",
    "addons",
)
PARTICIPANT_FIELDS = (
    "name",
    "media",
    "endpoint",
    "direction",
    "join",
    "leave",
    "publish",
    "streams",
    "subscribes",
)
GROUP_FIELDS = (
    "name",
    "count",
    "media",
    "endpoint",
    "direction",
    "join",
    "leave",
    "publish",
    "streams",
    "subscribes",
)


@dataclass(frozen=True, slots=True)
class Participant:
    """One connection to the session: a call leg, or one device of a person on video."""

    name: str
    join: Decimal
    leave: Decimal
    media: Media = "voice"
    endpoint: str = "client"
    direction: str = "originating"
    publish: Decimal | None = None
    streams: int = 1
    subscribes: bool = True


@dataclass(frozen=True, slots=True)
class Group:
    """`count` participants alike but for their times, spread evenly over a join range and a
    leave range (docs/documents.md, "Participant groups"; billing/engine/roster.py spreads
    them). Every rule prices a group as it prices its members written out."""

    name: str
    count: int
    join: tuple[Decimal, Decimal]
    leave: tuple[Decimal, Decimal]
    media: Media = "voice"
    endpoint: str = "client"
    direction: str = "originating"
    # Members publish from the moment each joins, or never.
    publishes: bool = False
    streams: int = 1
    subscribes: bool = True


@dataclass(frozen=True, slots=True)
class Interval:
    """A conference connection, recording or monitoring session; or an add-on interval,
    billed on its add-on `meter` (a key of the card's `addons`)."""

    start: Decimal
    end: Decimal
    media: Media = "voice"
    meter: str = ""


RateCardRef = RateCardOverride | str | None


@dataclass(frozen=True, slots=True)
class Scenario:
    model: Model
    participants: tuple[Participant, ...] = ()
    conferences: tuple[Interval, ...] = ()
    recordings: tuple[Interval, ...] = ()
    monitoring: tuple[Interval, ...] = ()
    sessions_per_month: int = 1
    name: str = ""
    rate_card: RateCardRef = None
    groups: tuple[Group, ...] = ()
    # How many of each of the card's fees the scenario has, by the fee's key.
    fees: tuple[tuple[str, int], ...] = ()
    # Intervals billed on the card's add-on meters.
    addons: tuple[Interval, ...] = ()

    @property
    def headcount(self) -> int:
        """Participants and groups' members: everyone connected at some point."""
        return len(self.participants) + sum(g.count for g in self.groups)


def parse_scenario(document: object) -> Scenario:
    """Validate a scenario document; raises ScenarioError naming every problem by its path."""
    reader = Reader()
    scenario = read_scenario(reader, document, "")
    reader.raise_if_any()
    assert scenario is not None
    return scenario


def read_scenario(reader: Reader, document: object, path: str) -> Scenario | None:
    data = reader.mapping(document, path, SCENARIO_FIELDS)
    if data is None:
        return None
    model = reader.choice(data.get("model"), join_path(path, "model"), list(Model), None)
    participants = tuple(
        p
        for index, item in enumerate(
            reader.items(
                data.get("participants"),
                join_path(path, "participants"),
                MAX_PARTICIPANTS,
                "participants",
            )
        )
        if (
            p := read_participant(
                reader, item, join_path(join_path(path, "participants"), index), index
            )
        )
    )
    groups = read_groups(reader, data.get("groups"), join_path(path, "groups"))
    if len(participants) + sum(g.count for g in groups) > MAX_MEMBERS:
        reader.problem(
            join_path(path, "groups"),
            f"at most {MAX_MEMBERS:,} participants in all (participants and groups' members; "
            f"got {len(participants) + sum(g.count for g in groups):,})",
        )
    return Scenario(
        name=reader.text(data.get("name"), join_path(path, "name")),
        groups=groups,
        fees=read_fee_counts(reader, data.get("fees"), join_path(path, "fees")),
        model=Model(model),
        sessions_per_month=reader.whole(
            data.get("sessions_per_month"),
            join_path(path, "sessions_per_month"),
            0,
            MAX_SESSIONS_PER_MONTH,
            1,
        ),
        participants=participants,
        conferences=read_intervals(reader, data, path, "conferences", with_media=True),
        recordings=read_intervals(reader, data, path, "recordings", with_media=False),
        monitoring=read_intervals(reader, data, path, "monitoring", with_media=False),
        addons=read_intervals(reader, data, path, "addons", with_media=False, with_meter=True),
        rate_card=read_card_ref(reader, data.get("rate_card"), join_path(path, "rate_card")),
    )


def read_card_ref(reader: Reader, value: object, path: str) -> RateCardRef:
    if value is None:
        return None
    if isinstance(value, str):
        if not value.strip():
            reader.problem(path, "must be a rate card's slug, an object, or left out")
        return value.strip()
    return read_override(reader, value, path)


def read_participant(reader: Reader, item: object, path: str, index: int) -> Participant | None:
    data = reader.mapping(item, path, PARTICIPANT_FIELDS)
    if data is None:
        return None
    seconds = reader.seconds
    join = seconds(data.get("join"), join_path(path, "join"), MAX_SESSION_SECONDS, required=True)
    leave = seconds(data.get("leave"), join_path(path, "leave"), MAX_SESSION_SECONDS, required=True)
    publish = seconds(
        data.get("publish"), join_path(path, "publish"), MAX_SESSION_SECONDS, required=False
    )
    if join is not None and leave is not None and leave < join:
        reader.problem(
            join_path(path, "leave"),
            f"must not be before join: leaves at {clock(leave)}, joins at {clock(join)}",
        )
    elif (
        join is not None
        and leave is not None
        and publish is not None
        and not join <= publish <= leave
    ):
        reader.problem(
            join_path(path, "publish"),
            f"must lie between join and leave, {clock(join)} to {clock(leave)} "
            f"(got {clock(publish)})",
        )
    media = reader.choice(data.get("media"), join_path(path, "media"), MEDIA, "voice")
    participant = Participant(
        name=reader.text(data.get("name"), join_path(path, "name"), f"Participant {index + 1}"),
        media="video" if media == "video" else "voice",
        endpoint=reader.choice(
            data.get("endpoint"), join_path(path, "endpoint"), ENDPOINTS, "client"
        ),
        direction=reader.choice(
            data.get("direction"), join_path(path, "direction"), DIRECTIONS, "originating"
        ),
        join=join or Decimal(0),
        leave=leave or Decimal(0),
        publish=publish,
        streams=reader.whole(data.get("streams"), join_path(path, "streams"), 1, MAX_STREAMS, 1),
        subscribes=reader.boolean(data.get("subscribes"), join_path(path, "subscribes"), True),
    )
    return participant


MAX_FEE_COUNT = 1_000_000_000


def read_fee_counts(reader: Reader, value: object, path: str) -> tuple[tuple[str, int], ...]:
    """`{"<fee key>": count}`: how many of each of the card's fees (whole numbers). Whether
    the card has such a fee is known once the card is: pricing checks it."""
    if value is None:
        return ()
    if not isinstance(value, Mapping):
        reader.problem(path, 'must be an object of counts by fee, such as {"alexa_device": 25}')
        return ()
    counts = []
    for key, count in value.items():
        if not isinstance(key, str) or not key or len(key) > 40:
            reader.problem(join_path(path, str(key)[:40]), "is not a fee's key")
            continue
        counts.append((key, reader.whole(count, join_path(path, key), 0, MAX_FEE_COUNT, None)))
    return tuple(sorted(counts))


def read_groups(reader: Reader, value: object, path: str) -> tuple[Group, ...]:
    groups = []
    for index, item in enumerate(reader.items(value, path, MAX_GROUPS, "groups")):
        group = read_group(reader, item, join_path(path, index), index)
        if group is not None:
            groups.append(group)
    return tuple(groups)


def read_group(reader: Reader, item: object, path: str, index: int) -> Group | None:
    data = reader.mapping(item, path, GROUP_FIELDS)
    if data is None:
        return None
    join = _range(reader, data.get("join"), join_path(path, "join"))
    leave = _range(reader, data.get("leave"), join_path(path, "leave"))
    publish = data.get("publish")
    if publish is not None and publish != "join":
        reader.problem(
            join_path(path, "publish"),
            'must be "join" (members publish from joining) or null (never)',
        )
    media = reader.choice(data.get("media"), join_path(path, "media"), MEDIA, "voice")
    return Group(
        name=reader.text(data.get("name"), join_path(path, "name"), f"Group {index + 1}"),
        count=reader.whole(data.get("count"), join_path(path, "count"), 1, MAX_MEMBERS, None),
        join=join or (Decimal(0), Decimal(0)),
        leave=leave or (Decimal(0), Decimal(0)),
        media="video" if media == "video" else "voice",
        endpoint=reader.choice(
            data.get("endpoint"), join_path(path, "endpoint"), ENDPOINTS, "client"
        ),
        direction=reader.choice(
            data.get("direction"), join_path(path, "direction"), DIRECTIONS, "originating"
        ),
        publishes=publish == "join",
        streams=reader.whole(data.get("streams"), join_path(path, "streams"), 1, MAX_STREAMS, 1),
        subscribes=reader.boolean(data.get("subscribes"), join_path(path, "subscribes"), True),
    )


def _range(reader: Reader, value: object, path: str) -> tuple[Decimal, Decimal] | None:
    """A `[from, to]` pair of times, from <= to."""
    if value is None:
        reader.problem(path, "is required: [from, to] in seconds from the start of the session")
        return None
    if not isinstance(value, list | tuple) or len(value) != 2:
        reader.problem(path, "must be a pair [from, to] of seconds from the start of the session")
        return None
    low = reader.seconds(value[0], join_path(path, 0), MAX_SESSION_SECONDS, required=True)
    high = reader.seconds(value[1], join_path(path, 1), MAX_SESSION_SECONDS, required=True)
    if low is None or high is None:
        return None
    if high < low:
        reader.problem(
            path, f"must run forwards: from {clock(low)} to {clock(high)} ends before it starts"
        )
        return None
    return low, high


def read_intervals(
    reader: Reader,
    data: Mapping[str, Any],
    path: str,
    key: str,
    *,
    with_media: bool,
    with_meter: bool = False,
) -> tuple[Interval, ...]:
    """Conference connections, recordings, monitoring, or (`with_meter`) add-on intervals,
    each naming its add-on meter (whether the card has it is known once the card is:
    pricing checks it)."""
    list_path = join_path(path, key)
    intervals = []
    fields = ("start", "end", "media") if with_media else ("start", "end")
    if with_meter:
        fields = ("meter", *fields)
    for index, item in enumerate(reader.items(data.get(key), list_path, MAX_INTERVALS, key)):
        item_path = join_path(list_path, index)
        entry = reader.mapping(item, item_path, fields)
        if entry is None:
            continue
        start = reader.seconds(
            entry.get("start"), join_path(item_path, "start"), MAX_SESSION_SECONDS, required=True
        )
        end = reader.seconds(
            entry.get("end"), join_path(item_path, "end"), MAX_SESSION_SECONDS, required=True
        )
        if start is not None and end is not None and end < start:
            reader.problem(
                join_path(item_path, "end"),
                f"must not be before start: ends at {clock(end)}, starts at {clock(start)}",
            )
        media = "voice"
        if with_media:
            media = reader.choice(entry.get("media"), join_path(item_path, "media"), MEDIA, "voice")
        meter = ""
        if with_meter:
            meter = reader.text(entry.get("meter"), join_path(item_path, "meter"))
            if not meter and entry.get("meter") in (None, ""):
                reader.problem(
                    join_path(item_path, "meter"), "must name one of the rate card's add-ons"
                )
        intervals.append(
            Interval(
                start or Decimal(0),
                end or Decimal(0),
                "video" if media == "video" else "voice",
                meter,
            )
        )
    return tuple(intervals)


def scenario_document(scenario: Scenario) -> dict[str, Any]:
    """The scenario back as its JSON document; parse_scenario of it gives an equal scenario."""
    document: dict[str, Any] = {
        "name": scenario.name,
        "model": str(scenario.model),
        "sessions_per_month": scenario.sessions_per_month,
        "participants": [
            {
                "name": p.name,
                "media": p.media,
                "endpoint": p.endpoint,
                "direction": p.direction,
                "join": p.join,
                "leave": p.leave,
                "publish": p.publish,
                "streams": p.streams,
                "subscribes": p.subscribes,
            }
            for p in scenario.participants
        ],
        **({"groups": [group_document(g) for g in scenario.groups]} if scenario.groups else {}),
        "conferences": [
            {"start": c.start, "end": c.end, "media": c.media} for c in scenario.conferences
        ],
        "recordings": [{"start": r.start, "end": r.end} for r in scenario.recordings],
        "monitoring": [{"start": m.start, "end": m.end} for m in scenario.monitoring],
    }
    if scenario.addons:
        document["addons"] = [
            {"meter": a.meter, "start": a.start, "end": a.end} for a in scenario.addons
        ]
    if scenario.fees:
        document["fees"] = dict(scenario.fees)
    if isinstance(scenario.rate_card, str):
        document["rate_card"] = scenario.rate_card
    elif isinstance(scenario.rate_card, RateCardOverride):
        document["rate_card"] = override_document(scenario.rate_card)
    return document


def group_document(group: Group) -> dict[str, Any]:
    return {
        "name": group.name,
        "count": group.count,
        "media": group.media,
        "endpoint": group.endpoint,
        "direction": group.direction,
        "join": list(group.join),
        "leave": list(group.leave),
        "publish": "join" if group.publishes else None,
        "streams": group.streams,
        "subscribes": group.subscribes,
    }


def override_document(override: RateCardOverride) -> dict[str, Any]:
    document: dict[str, Any] = {}
    if override.base is not None:
        document["base"] = override.base
    if override.name is not None:
        document["name"] = override.name
    if override.currency is not None:
        document["currency"] = override.currency
    if override.increment_seconds is not None:
        document["increment_seconds"] = override.increment_seconds
    if override.minimum_seconds is not None:
        document["minimum_seconds"] = override.minimum_seconds
    from .ratecard import RateCard

    prices = card_document(RateCard("USD", 60, 0, override.prices))
    document["rates"] = prices["rates"]
    if "tiers" in prices:
        document["tiers"] = prices["tiers"]
    if override.tier_modes:
        document["tier_modes"] = dict(sorted(override.tier_modes.items()))
    if override.monthly_minimum is not None:
        document["monthly_minimum"] = str(override.monthly_minimum)
    if override.fees:
        document["fees"] = fees_document(override.fees)
    if override.rounding is not None:
        document["rounding"] = override.rounding
    if override.addons:
        document["addons"] = addons_document(override.addons, override.prices)
    return document
