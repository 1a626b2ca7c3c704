"""The start page's templates: real cases a sales engineer or a customer recognises."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

M = 60


def person(name: str, join: float | int, leave: float | int, **fields: Any) -> dict[str, Any]:
    return {"name": name, "join": int(join), "leave": int(leave), **fields}


@dataclass(frozen=True)
class Preset:
    slug: str
    title: str
    summary: str
    document: dict[str, Any]

    @property
    def headcount(self) -> int:
        """Participants and groups' members: what the start page says the template holds."""
        groups: int = sum(group["count"] for group in self.document.get("groups", []))
        return len(self.document.get("participants", [])) + groups


def _webinar() -> dict[str, Any]:
    presenters = [
        person("Presenter", 0, 60 * M, media="video", endpoint="webrtc", publish=0),
        person("Co-presenter", 2 * M, 60 * M, media="video", endpoint="webrtc", publish=5 * M),
    ]
    return {
        "name": "Webinar: 2 presenters, 100 attendees",
        "model": "video_ppm",
        "sessions_per_month": 20,
        "participants": presenters,
        # The hundred attendees the template always had, written as the group they are.
        "groups": [attendees("Attendees", 100, (0, 5 * M), (50 * M, 60 * M))],
    }


def attendees(
    name: str,
    count: int,
    join: tuple[int, int],
    leave: tuple[int, int],
    **fields: Any,
) -> dict[str, Any]:
    """A group of watchers: on video, never publishing."""
    return {
        "name": name,
        "count": count,
        "media": "video",
        "endpoint": "client",
        "direction": "terminating",
        "join": list(join),
        "leave": list(leave),
        "publish": None,
        **fields,
    }


def _large_webinar() -> dict[str, Any]:
    return {
        "name": "Webinar: 10,000 attendees",
        "model": "video_ppm",
        "sessions_per_month": 4,
        "participants": [
            person("Presenter", 0, 60 * M, media="video", endpoint="webrtc", publish=0),
            person("Host", 0, 60 * M, media="video", endpoint="webrtc", publish=0),
        ],
        "groups": [attendees("Attendees", 10_000, (0, 10 * M), (45 * M, 60 * M))],
    }


def _town_hall() -> dict[str, Any]:
    stage = [
        person("Moderator", 0, 75 * M, media="video", endpoint="webrtc", publish=0),
        person("CEO", 2 * M, 75 * M, media="video", endpoint="webrtc", publish=5 * M),
        person("CFO", 2 * M, 60 * M, media="video", endpoint="webrtc", publish=30 * M),
        person("Head of People", 2 * M, 75 * M, media="video", endpoint="webrtc", publish=45 * M),
    ]
    return {
        "name": "Town hall: 50,000 employees",
        "model": "video_ppm",
        "sessions_per_month": 1,
        "participants": stage,
        "groups": [
            attendees("Offices (web)", 30_000, (0, 10 * M), (60 * M, 75 * M)),
            attendees("Remote (app)", 17_000, (0, 15 * M), (40 * M, 75 * M)),
            # A phone hears the mix: it subscribes to no stream (docs/pricing.md).
            attendees(
                "Dial-ins (SIP)",
                3_000,
                (3 * M, 20 * M),
                (30 * M, 75 * M),
                media="voice",
                endpoint="sip",
                subscribes=False,
            ),
        ],
    }


def _all_hands() -> dict[str, Any]:
    people = [person("Host", 0, 60 * M, media="video", endpoint="webrtc", publish=0)]
    people += [
        person(
            f"Member {n}",
            30 * n,
            50 * M + 30 * n,
            media="video",
            endpoint="client",
            publish=30 * n if n % 3 else None,
        )
        for n in range(1, 19)
    ]
    # A phone hears the platform's mix, not each stream: it does not subscribe (docs/pricing.md).
    people.append(person("Dial-in", 5 * M, 40 * M, endpoint="sip", publish=5 * M, subscribes=False))
    return {
        "name": "All-hands, 20 people",
        "model": "video_ppm",
        "sessions_per_month": 40,
        "participants": people,
    }


PRESETS: tuple[Preset, ...] = (
    Preset(
        "ivr-only",
        "IVR only",
        "A caller dials in, listens to prompts and hangs up: one terminating leg.",
        {
            "name": "IVR only",
            "model": "sip_mediaserver",
            "sessions_per_month": 20_000,
            "participants": [
                person("Caller", 0, 2 * M + 40, endpoint="pstn", direction="terminating"),
            ],
        },
    ),
    Preset(
        "ivr-agent",
        "IVR, then transfer to an agent",
        "The caller navigates the IVR for 90 seconds, then an agent's leg is added.",
        {
            "name": "IVR then agent transfer",
            "model": "sip_mediaserver",
            "sessions_per_month": 5_000,
            "participants": [
                person("Caller", 0, 7 * M, endpoint="pstn", direction="terminating"),
                person("Agent", 90, 7 * M, endpoint="webrtc", direction="originating"),
            ],
        },
    ),
    Preset(
        "contact-centre",
        "Recorded and monitored contact-centre call",
        "An agent call recorded from pickup, with a supervisor listening in for four minutes.",
        {
            "name": "Contact centre: recorded, supervisor monitoring",
            "model": "sip_mediaserver",
            "sessions_per_month": 3_000,
            "participants": [
                person("Caller", 0, 9 * M, endpoint="sip", direction="terminating"),
                person("Agent", 45, 9 * M, endpoint="webrtc", direction="originating"),
            ],
            "recordings": [{"start": 45, "end": 9 * M}],
            "monitoring": [{"start": 2 * M, "end": 6 * M}],
        },
    ),
    Preset(
        "conference",
        "3-way conference",
        "Three legs in the conference mixer, plus the conference connection itself.",
        {
            "name": "3-way conference",
            "model": "sip_mediaserver",
            "sessions_per_month": 500,
            "participants": [
                person("Host", 0, 30 * M, endpoint="webrtc", direction="originating"),
                person("Guest (phone)", 1 * M, 28 * M, endpoint="pstn", direction="terminating"),
                person("Guest (SIP)", 2 * M + 30, 30 * M, endpoint="sip", direction="terminating"),
            ],
            "conferences": [{"start": 0, "end": 30 * M, "media": "voice"}],
        },
    ),
    Preset(
        "video-meeting",
        "Video meeting",
        "People join late, one is on two devices, one only starts publishing after a while.",
        {
            "name": "Team video meeting",
            "model": "video_ppm",
            "sessions_per_month": 800,
            "participants": [
                person("Host", 0, 45 * M, media="video", endpoint="webrtc", publish=3 * M),
                person(
                    "Ana (laptop)", 4 * M, 45 * M, media="video", endpoint="webrtc", publish=4 * M
                ),
                person("Ana (phone)", 4 * M, 20 * M, media="video", endpoint="client"),
                person("Ben", 5 * M, 40 * M, media="video", endpoint="webrtc", publish=5 * M),
                person(
                    "Late joiner", 15 * M, 45 * M, media="video", endpoint="client", publish=16 * M
                ),
                person(
                    "Dial-in",
                    6 * M,
                    30 * M,
                    media="voice",
                    endpoint="sip",
                    publish=6 * M,
                    subscribes=False,  # a phone hears the mix (docs/pricing.md)
                ),
            ],
        },
    ),
    Preset(
        "all-hands",
        "Team all-hands, 20 people",
        "Eighteen members trickle in over nine minutes, two thirds with cameras on; one dials in.",
        _all_hands(),
    ),
    Preset(
        "webinar",
        "Webinar with 100 attendees",
        "Two presenters; a hundred attendees arrive over five minutes and drift away at the end.",
        _webinar(),
    ),
    Preset(
        "webinar-10k",
        "Webinar with 10,000 attendees",
        "A presenter and a host; 10,000 attendees join over the first ten minutes and leave "
        "over the last quarter hour.",
        _large_webinar(),
    ),
    Preset(
        "town-hall",
        "Town hall of 50,000",
        "Four people on stage; the audience in offices, on the app and dialling in over SIP, "
        "as three groups.",
        _town_hall(),
    ),
)

BY_SLUG = {preset.slug: preset for preset in PRESETS}

BLANK: dict[str, Any] = {
    "name": "",
    "model": "sip_mediaserver",
    "sessions_per_month": 1000,
    "participants": [person("Participant 1", 0, 5 * M)],
}
