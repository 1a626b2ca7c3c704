"""The rules page's worked examples, priced by the engine itself so they can never drift."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from billing.engine import Line, Meter, ScenarioError, parse_scenario, price, roster
from billing.engine.ratecard import ROUNDINGS
from billing.engine.timefmt import clock
from billing.service import default_card
from calculator.editor.rows import ROUNDING_WORDS

M = 60


@dataclass(frozen=True)
class Example:
    title: str
    source: str
    meter: Meter
    document: dict[str, Any]
    per_month: bool
    line: Line | None
    currency: str

    @property
    def noun(self) -> str:
        """The meter in the sentence: "participant minutes", or "participant minute" for one."""
        noun = self.meter.noun
        return noun.removesuffix("s") if self.line and self.line.quantity == "1" else noun


def _leg(join: int, leave: int, **fields: Any) -> dict[str, Any]:
    return {"join": join, "leave": leave, **fields}


EXAMPLES: list[tuple[str, str, Meter, bool, dict[str, Any]]] = [
    (
        "5,000 call minutes in a month",
        "SIP media server: “5,000 … Call Minutes in a month … 5,000 x $X”",
        Meter.VOICE_CALL,
        True,
        {"model": "sip_mediaserver", "sessions_per_month": 500, "participants": [_leg(0, 10 * M)]},
    ),
    (
        "2,000 recorded minutes",
        "SIP media server: “2,000 minutes of calls are recorded … 2,000 x $Y”",
        Meter.RECORDING,
        True,
        {
            "model": "sip_mediaserver",
            "sessions_per_month": 200,
            "participants": [_leg(0, 10 * M), _leg(0, 10 * M)],
            "recordings": [{"start": 0, "end": 10 * M}],
        },
    ),
    (
        "1,500 monitoring minutes",
        "SIP media server: “1,500 minutes of call monitoring … 1,500 x $Z”",
        Meter.MONITORING,
        True,
        {
            "model": "sip_mediaserver",
            "sessions_per_month": 150,
            "participants": [_leg(0, 10 * M), _leg(0, 10 * M)],
            "monitoring": [{"start": 0, "end": 10 * M}],
        },
    ),
    (
        "Three participants in a 10-minute conference",
        "SIP media server: “40 … Call Minutes, 10 minutes conference connection + 3*10 minutes”",
        Meter.VOICE_CALL,
        False,
        {
            "model": "sip_mediaserver",
            "participants": [_leg(0, 10 * M, name=f"Participant {n}") for n in (1, 2, 3)],
            "conferences": [{"start": 0, "end": 10 * M}],
        },
    ),
    (
        "IVR, then a second participant",
        "SIP media server: the caller's terminating leg, then an originating leg added; both counted",
        Meter.VOICE_CALL,
        False,
        {
            "model": "sip_mediaserver",
            "participants": [
                _leg(0, 7 * M, name="Caller", direction="terminating"),
                _leg(2 * M, 7 * M, name="Agent", direction="originating"),
            ],
        },
    ),
    (
        "Users join at 5, 10 and 10 minutes",
        "Participant Pricing Model: “Total Participant Minutes = (5+15+20+5) = 45”",
        Meter.PARTICIPANT,
        False,
        {
            "model": "video_ppm",
            "participants": [
                _leg(5 * M, 15 * M, name="User 1", publish=5 * M),
                _leg(10 * M, 30 * M, name="User 2"),
                _leg(10 * M, 25 * M, name="User 3"),
            ],
        },
    ),
    (
        "45 participant minutes, minute by minute",
        "Participant Pricing Model, as the platform now words it: “each minute looked at "
        "separately for the maximum publishers and participants there” (Users 2 and 3 on "
        "camera); the same 45 as above",
        Meter.PARTICIPANT,
        False,
        {
            "model": "video_ppm_per_minute",
            "participants": [
                _leg(5 * M, 15 * M, name="User 1", publish=5 * M),
                _leg(10 * M, 30 * M, name="User 2", publish=10 * M),
                _leg(10 * M, 25 * M, name="User 3", publish=10 * M),
            ],
        },
    ),
    (
        "A handover inside a minute, minute by minute",
        "Where the two participant models differ: A leaves at 0:30 as B joins; participant "
        "minutes rounds each connection up (2), minute by minute counts who is there at once",
        Meter.PARTICIPANT,
        False,
        {
            "model": "video_ppm_per_minute",
            "participants": [
                _leg(0, 30, name="A", publish=0),
                _leg(30, M, name="B", publish=30),
            ],
        },
    ),
    (
        "A lone connection that publishes late",
        "Participant Pricing Model: billing starts when someone publishes or a second participant connects",
        Meter.PARTICIPANT,
        False,
        {"model": "video_ppm", "participants": [_leg(0, 20 * M, name="User 1", publish=5 * M)]},
    ),
    (
        "One publisher, three streams",
        "Participant Pricing Model: “Irrespective of how many streams the publisher publishes, it is still considered as one connection”",
        Meter.PARTICIPANT,
        False,
        {
            "model": "video_ppm",
            "participants": [_leg(0, 10 * M, name="Publisher", publish=0, streams=3)],
        },
    ),
    (
        "One person on two devices",
        "Participant Pricing Model: “a person can connect multiple times … they will be multiple participants”",
        Meter.PARTICIPANT,
        False,
        {
            "model": "video_ppm",
            "participants": [
                _leg(0, 10 * M, name="Ana (laptop)", publish=0),
                _leg(0, 10 * M, name="Ana (phone)"),
            ],
        },
    ),
    (
        "Five people, all publishing, for a minute",
        "Subscribed minutes: each of 5 subscribes to the 4 others = 20",
        Meter.SUBSCRIBED,
        False,
        {
            "model": "video_ssm",
            "participants": [_leg(0, M, name=f"Person {n}", publish=0) for n in range(1, 6)],
        },
    ),
    (
        "One presenter, 100 viewers, 10 minutes",
        "Subscribed minutes: 100 subscriptions x 10 minutes = 1,000",
        Meter.SUBSCRIBED,
        False,
        {
            "model": "video_ssm",
            "participants": [_leg(0, 10 * M, name="Presenter", publish=0, subscribes=False)]
            + [_leg(0, 10 * M, name=f"Viewer {n}") for n in range(1, 101)],
        },
    ),
    (
        "A SIP phone and two browsers for 30 minutes",
        "SIP interconnect: charged per SIP endpoint per minute, in addition",
        Meter.SIP_INTERCONNECT,
        False,
        {
            "model": "video_ppm",
            "participants": [
                _leg(0, 30 * M, name="Phone", endpoint="sip", publish=0, subscribes=False),
                _leg(0, 30 * M, name="Browser A", endpoint="webrtc", publish=0),
                _leg(0, 30 * M, name="Browser B", endpoint="webrtc", publish=0),
            ],
        },
    ),
]


GROUP_EXAMPLE: dict[str, Any] = {
    "model": "video_ppm",
    "participants": [_leg(0, 60 * M, name="Presenter", publish=0)],
    "groups": [{"name": "Attendees", "count": 5, "join": [0, 90], "leave": [50 * M, 60 * M]}],
}


@dataclass(frozen=True)
class GroupExample:
    """The rules page's worked group: its members' times as written out, and its line."""

    document: dict[str, Any]
    members: list[tuple[str, str, str]]  # name, join, leave, as the editor writes times
    line: Line | None


def group_example() -> GroupExample | None:
    try:
        card = default_card()
    except ScenarioError:
        return None
    scenario = parse_scenario(GROUP_EXAMPLE)
    members = [(p.name, clock(p.join), clock(p.leave)) for p in roster.members(scenario.groups[0])]
    line = price(scenario, card).per_session.line(Meter.PARTICIPANT)
    return GroupExample(GROUP_EXAMPLE, members, line)


ROUNDING_EXAMPLE: dict[str, Any] = {
    "model": "sip_mediaserver",
    "sessions_per_month": 3,
    "participants": [_leg(0, 30), _leg(0, 30), _leg(0, 90)],
}


@dataclass(frozen=True)
class RoundingCase:
    rounding: str
    session: Line | None
    month: Line | None
    currency: str

    @property
    def words(self) -> str:
        return ROUNDING_WORDS[self.rounding]


def rounding_example() -> list[RoundingCase]:
    """Three legs of 30, 30 and 90 seconds, 3 sessions a month, under each `rounding`."""
    try:
        card = default_card()
    except ScenarioError:
        return []
    scenario = parse_scenario(ROUNDING_EXAMPLE)
    cases = []
    for rounding in ROUNDINGS:
        quote = price(scenario, replace(card, rounding=rounding, increment_seconds=60))
        cases.append(
            RoundingCase(
                rounding,
                quote.per_session.line(Meter.VOICE_CALL),
                quote.monthly.line(Meter.VOICE_CALL),
                card.currency,
            )
        )
    return cases


def worked_examples() -> list[Example]:
    try:
        card = default_card()
    except ScenarioError:
        return []
    examples = []
    for title, source, meter, per_month, document in EXAMPLES:
        quote = price(parse_scenario(document), card)
        period = quote.monthly if per_month else quote.per_session
        examples.append(
            Example(title, source, meter, document, per_month, period.line(meter), card.currency)
        )
    return examples
