"""The metered quantities a rate card prices, and the pricing models that produce them."""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Meter(StrEnum):
    VOICE_CALL = "voice_call_minutes"
    VIDEO_CALL = "video_call_minutes"
    RECORDING = "recording_minutes"
    MONITORING = "monitoring_minutes"
    PARTICIPANT = "participant_minutes"
    SUBSCRIBED = "subscribed_minutes"
    SIP_INTERCONNECT = "sip_interconnect_minutes"

    @property
    def label(self) -> str:
        return METER_LABELS[self]

    @property
    def noun(self) -> str:
        """The label inside a sentence: 'SIP interconnect minutes', 'voice call minutes'."""
        label = METER_LABELS[self]
        return label if label.startswith("SIP") else label.lower()


METER_LABELS: dict[Meter, str] = {
    Meter.VOICE_CALL: "Voice call minutes",
    Meter.VIDEO_CALL: "Video call minutes",
    Meter.RECORDING: "Recording minutes",
    Meter.MONITORING: "Monitoring minutes",
    Meter.PARTICIPANT: "Participant minutes",
    Meter.SUBSCRIBED: "Subscribed minutes",
    Meter.SIP_INTERCONNECT: "SIP interconnect minutes",
}


class AddOn(str):
    """A meter a deal adds (a card's `addons`: composed archiving, an audio connector...):
    billed per minute through a scenario's add-on intervals. Equal to its key as a string,
    so lines and tiers are found by key as for the built-in meters."""

    label: str

    def __new__(cls, key: str, label: str = "") -> AddOn:
        meter = super().__new__(cls, key)
        meter.label = label or key
        return meter

    @property
    def noun(self) -> str:
        return self.label


# Any meter a line may have: one of the seven, or a deal's add-on.
AnyMeter = Meter | AddOn


def meter_order(meters: Iterable[AnyMeter]) -> list[AnyMeter]:
    """Meters in the order a breakdown lists them: the built-in ones (METER_ORDER), then
    add-ons by key."""
    present = set(meters)
    return [m for m in METER_ORDER if m in present] + sorted(
        (m for m in present if not isinstance(m, Meter)), key=str
    )


class ChargeKind(StrEnum):
    """What one charge bills, and which of the scenario's lists (`listed_in`) its position
    points into: a participant's call leg, SIP interconnect, participant minutes or
    subscriptions; a conference connection, a recording, a monitoring session."""

    LEG = "leg"
    SIP_INTERCONNECT = "sip_interconnect"
    PARTICIPANT = "participant"
    SUBSCRIBER = "subscriber"
    CONFERENCE = "conference"
    RECORDING = "recording"
    MONITORING = "monitoring"
    # A billable minute of video_ppm_per_minute: the session's minute, not a participant's.
    MINUTE = "minute"
    # An add-on interval of a scenario (`addons`), billed on its add-on meter.
    ADDON = "addon"

    @property
    def listed_in(self) -> str:
        """The scenario's list ("participants", "conferences", "recordings", "monitoring")."""
        return LISTS[self]

    @property
    def nouns(self) -> tuple[str, str]:
        """What one and several of its items are called in an explanation."""
        return NOUNS[self]


LISTS: dict[ChargeKind, str] = {
    ChargeKind.LEG: "participants",
    ChargeKind.SIP_INTERCONNECT: "participants",
    ChargeKind.PARTICIPANT: "participants",
    ChargeKind.SUBSCRIBER: "participants",
    ChargeKind.CONFERENCE: "conferences",
    ChargeKind.RECORDING: "recordings",
    ChargeKind.MONITORING: "monitoring",
    ChargeKind.MINUTE: "minutes",
    ChargeKind.ADDON: "addons",
}
NOUNS: dict[ChargeKind, tuple[str, str]] = {
    ChargeKind.LEG: ("call leg", "call legs"),
    ChargeKind.CONFERENCE: ("conference connection", "conference connections"),
    ChargeKind.RECORDING: ("recording", "recordings"),
    ChargeKind.MONITORING: ("monitoring session", "monitoring sessions"),
    ChargeKind.PARTICIPANT: ("participant", "participants"),
    ChargeKind.SUBSCRIBER: ("subscriber", "subscribers"),
    ChargeKind.SIP_INTERCONNECT: ("SIP endpoint", "SIP endpoints"),
    ChargeKind.MINUTE: ("billable minute", "billable minutes"),
    ChargeKind.ADDON: ("interval", "intervals"),
}


class Model(StrEnum):
    SIP_MEDIASERVER = "sip_mediaserver"
    VIDEO_PPM = "video_ppm"
    VIDEO_PPM_PER_MINUTE = "video_ppm_per_minute"
    VIDEO_SSM = "video_ssm"

    @property
    def label(self) -> str:
        return MODEL_LABELS[self]

    @property
    def reads_publish(self) -> bool:
        """Whether a participant's publish time changes what the model bills (the video
        models; a SIP media server bills call legs whoever sends what)."""
        return self is not Model.SIP_MEDIASERVER


MODEL_LABELS: dict[Model, str] = {
    Model.SIP_MEDIASERVER: "SIP media server (per call leg)",
    Model.VIDEO_PPM: "Video: participant minutes",
    Model.VIDEO_PPM_PER_MINUTE: "Video: participant minutes, minute by minute",
    Model.VIDEO_SSM: "Video: subscribed minutes",
}

# The order meters appear in a breakdown: calls first, then what is billed on top of them.
METER_ORDER: tuple[Meter, ...] = (
    Meter.VOICE_CALL,
    Meter.VIDEO_CALL,
    Meter.PARTICIPANT,
    Meter.SUBSCRIBED,
    Meter.SIP_INTERCONNECT,
    Meter.RECORDING,
    Meter.MONITORING,
)
