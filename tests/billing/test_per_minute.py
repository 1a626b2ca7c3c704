"""`video_ppm_per_minute`: participant minutes counted minute by minute, the platform's current
wording of its participant pricing (docs/pricing.md)."""

from dataclasses import replace

from billing.engine import Meter, Model, parse_scenario, price
from calculator import charts
from tests.conftest import flat_card, leg

M = 60

# The second pricing document's example: User 1 publishes from 5:00; Users 2 and 3 join at
# 10:00 (on video, publishing as they join); User 1 leaves at 15:00, User 3 at 25:00, User 2
# at 30:00. "At each minute the number of participants connected": 5 + 15 + 20 + 5 = 45.
SEED = {
    "model": "video_ppm",
    "participants": [
        leg(5 * M, 15 * M, name="User 1", media="video", publish=5 * M),
        leg(10 * M, 30 * M, name="User 2", media="video", publish=10 * M),
        leg(10 * M, 25 * M, name="User 3", media="video", publish=10 * M),
    ],
}


def minutes(document, model):
    quote = price(replace(parse_scenario(document), model=Model(model)), flat_card())
    line = quote.per_session.line(Meter.PARTICIPANT)
    return (line.seconds // 60 if line else 0), quote


def test_the_seeds_45_participant_minutes_under_both_participant_models():
    assert minutes(SEED, "video_ppm")[0] == 45
    billed, quote = minutes(SEED, "video_ppm_per_minute")
    assert billed == 45
    assert quote.usage.billing_start == 5 * M
    explanation = quote.per_session.lines[0].explanation
    assert explanation.startswith("25 billable minutes, 1 to 3 connected at most in each, 45 min")


def test_two_people_who_never_publish_bill_nothing_minute_by_minute():
    quiet = {"model": "video_ppm", "participants": [leg(0, 10 * M), leg(2 * M, 10 * M)]}
    assert minutes(quiet, "video_ppm")[0] == 16  # from the second join, 8 minutes each
    billed, quote = minutes(quiet, "video_ppm_per_minute")
    assert billed == 0
    assert quote.usage.wants_publishers
    assert any("nobody publishes" in note for note in quote.notes)


def test_a_handover_inside_a_minute_bills_once_minute_by_minute_and_twice_per_participant():
    # A leaves at 0:30 as B joins: at no moment are both there.
    relay = {
        "model": "video_ppm",
        "participants": [
            leg(0, 30, name="A", publish=0),
            leg(30, M, name="B", publish=30),
        ],
    }
    assert minutes(relay, "video_ppm")[0] == 2  # each connection rounded up on its own
    billed, quote = minutes(relay, "video_ppm_per_minute")
    assert billed == 1
    assert quote.per_session.lines[0].explanation.startswith(
        "minute 0:00–1:00: 1 connected at most"
    )


def test_only_minutes_with_a_publisher_bill_and_the_card_never_rounds_them():
    # The presenter publishes for the first 10 minutes; two viewers stay 30.
    document = {
        "model": "video_ppm_per_minute",
        "participants": [
            leg(0, 10 * M + 1, name="Presenter", publish=0),
            leg(0, 30 * M, name="Viewer 1"),
            leg(0, 30 * M, name="Viewer 2"),
        ],
    }
    quote = price(parse_scenario(document), flat_card(increment_seconds=600, minimum_seconds=600))
    # Minutes 0..10 (the presenter's last second falls in the 11th): 11 x 3 connected.
    assert quote.per_session.line(Meter.PARTICIPANT).seconds == 11 * 3 * M
    rows = charts.timeline_rows(quote)
    band = next(r for r in rows if r.label == "Billable minutes")
    assert band.billed == ((0, 11 * M),)
    assert band.billed_seconds == 33 * M
    viewer = next(r for r in rows if r.label == "Viewer 1")
    assert viewer.billed == ((0, 11 * M),)  # where it was in a billable minute


def test_sip_interconnect_and_recordings_bill_as_under_participant_minutes():
    document = {
        "model": "video_ppm_per_minute",
        "participants": [leg(0, 90, endpoint="sip", publish=0)],
        "recordings": [{"start": 0, "end": 90}],
    }
    ppm = price(replace(parse_scenario(document), model=Model.VIDEO_PPM), flat_card())
    per_minute = price(parse_scenario(document), flat_card())
    for meter in (Meter.SIP_INTERCONNECT, Meter.RECORDING):
        assert per_minute.usage.seconds[meter] == ppm.usage.seconds[meter] == 120
