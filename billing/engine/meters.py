"""The metered quantities a rate card prices, and the pricing models that produce them."""

from __future__ import annotations

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


class Model(StrEnum):
    SIP_MEDIASERVER = "sip_mediaserver"
    VIDEO_PPM = "video_ppm"
    VIDEO_SSM = "video_ssm"

    @property
    def label(self) -> str:
        return MODEL_LABELS[self]


MODEL_LABELS: dict[Model, str] = {
    Model.SIP_MEDIASERVER: "SIP media server (per call leg)",
    Model.VIDEO_PPM: "Video: participant minutes",
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
