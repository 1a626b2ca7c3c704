"""The worked examples of both seeds, and of the video platform's articles, number for number."""

from decimal import Decimal

from billing.engine import Meter
from tests.conftest import flat_card, leg, minutes, quote_of

MIN = 60


def test_5000_call_minutes_cost_5000_times_the_rate():
    quote = quote_of(
        {"model": "sip_mediaserver", "sessions_per_month": 500, "participants": [leg(0, 10 * MIN)]}
    )
    line = quote.monthly.line(Meter.VOICE_CALL)
    assert line.quantity == "5000"
    assert line.amount == 5000 * Decimal("0.0040") == Decimal("20.00")


def test_2000_recorded_minutes_cost_2000_times_the_recording_rate():
    quote = quote_of(
        {
            "model": "sip_mediaserver",
            "sessions_per_month": 200,
            "participants": [leg(0, 10 * MIN), leg(0, 10 * MIN)],
            "recordings": [{"start": 0, "end": 10 * MIN}],
        }
    )
    line = quote.monthly.line(Meter.RECORDING)
    assert line.quantity == "2000"
    assert line.amount == 2000 * Decimal("0.0025")
    # Recording minutes come on top of the call minutes of both legs.
    assert quote.monthly.line(Meter.VOICE_CALL).quantity == "4000"


def test_1500_monitoring_minutes_cost_1500_times_the_monitoring_rate():
    quote = quote_of(
        {
            "model": "sip_mediaserver",
            "sessions_per_month": 150,
            "participants": [leg(0, 12 * MIN), leg(0, 12 * MIN)],
            "monitoring": [{"start": 2 * MIN, "end": 12 * MIN}],
        }
    )
    line = quote.monthly.line(Meter.MONITORING)
    assert line.quantity == "1500"
    assert line.amount == 1500 * Decimal("0.0020") == Decimal("3.00")


def test_three_participants_in_a_ten_minute_conference_bill_40_call_minutes():
    quote = quote_of(
        {
            "model": "sip_mediaserver",
            "participants": [leg(0, 10 * MIN), leg(0, 10 * MIN), leg(0, 10 * MIN)],
            "conferences": [{"start": 0, "end": 10 * MIN}],
        }
    )
    line = quote.per_session.line(Meter.VOICE_CALL)
    assert line.quantity == "40"
    assert line.amount == Decimal("0.1600")
    assert "3 call legs" in line.explanation
    assert "1 conference connection" in line.explanation
    assert "40 min" in line.explanation


def test_ivr_caller_joined_by_a_second_participant_bills_both_legs():
    # The caller's terminating leg runs the whole call; the agent's originating leg is added
    # when the caller is connected to them, and both count for the time they are active.
    caller = leg(0, 7 * MIN, name="Caller", endpoint="pstn", direction="terminating")
    agent = leg(2 * MIN, 7 * MIN, name="Agent", endpoint="sip", direction="originating")
    ivr_only = quote_of({"model": "sip_mediaserver", "participants": [caller]})
    transferred = quote_of({"model": "sip_mediaserver", "participants": [caller, agent]})
    assert minutes(ivr_only, Meter.VOICE_CALL) == 7
    assert minutes(transferred, Meter.VOICE_CALL) == 7 + 5


def test_endpoint_kind_and_direction_change_nothing_in_the_price():
    base = leg(0, 5 * MIN, endpoint="sip", direction="originating")
    other = leg(0, 5 * MIN, endpoint="alexa", direction="terminating")
    a = quote_of({"model": "sip_mediaserver", "participants": [base]})
    b = quote_of({"model": "sip_mediaserver", "participants": [other]})
    assert a.per_session.total == b.per_session.total


def test_voice_and_video_legs_bill_at_different_rates():
    quote = quote_of(
        {
            "model": "sip_mediaserver",
            "participants": [leg(0, 10 * MIN, media="voice"), leg(0, 10 * MIN, media="video")],
        }
    )
    assert quote.per_session.line(Meter.VOICE_CALL).amount == Decimal("0.0400")
    assert quote.per_session.line(Meter.VIDEO_CALL).amount == Decimal("0.1000")


def test_users_joining_at_5_10_10_and_leaving_at_15_30_25_bill_45_participant_minutes():
    quote = quote_of(
        {
            "model": "video_ppm",
            "participants": [
                leg(5 * MIN, 15 * MIN, name="User 1", publish=5 * MIN),
                leg(10 * MIN, 30 * MIN, name="User 2"),
                leg(10 * MIN, 25 * MIN, name="User 3"),
            ],
        }
    )
    assert minutes(quote, Meter.PARTICIPANT) == 45
    assert quote.usage.billing_start == 5 * MIN


def test_a_lone_connection_bills_only_from_when_it_publishes():
    quote = quote_of({"model": "video_ppm", "participants": [leg(0, 20 * MIN, publish=5 * MIN)]})
    assert minutes(quote, Meter.PARTICIPANT) == 15


def test_a_lone_connection_bills_from_when_a_second_connection_joins_if_that_is_earlier():
    quote = quote_of(
        {
            "model": "video_ppm",
            "participants": [leg(0, 20 * MIN, publish=10 * MIN), leg(4 * MIN, 20 * MIN)],
        }
    )
    assert quote.usage.billing_start == 4 * MIN
    assert minutes(quote, Meter.PARTICIPANT) == 16 + 16


def test_a_lone_connection_that_never_publishes_bills_nothing_and_says_why():
    quote = quote_of({"model": "video_ppm", "participants": [leg(0, 20 * MIN)]})
    assert quote.per_session.lines == ()
    assert quote.usage.billing_start is None
    assert any("never starts" in note for note in quote.notes)


def test_multiple_streams_from_one_publisher_count_once_per_participant():
    one = quote_of({"model": "video_ppm", "participants": [leg(0, 10 * MIN, publish=0)]})
    three = quote_of(
        {"model": "video_ppm", "participants": [leg(0, 10 * MIN, publish=0, streams=3)]}
    )
    assert minutes(one, Meter.PARTICIPANT) == minutes(three, Meter.PARTICIPANT) == 10


def test_one_person_on_two_devices_counts_twice():
    quote = quote_of(
        {
            "model": "video_ppm",
            "participants": [
                leg(0, 10 * MIN, name="Ana (laptop)", publish=0),
                leg(0, 10 * MIN, name="Ana (phone)"),
            ],
        }
    )
    assert minutes(quote, Meter.PARTICIPANT) == 20


def test_five_people_all_publishing_and_subscribing_for_a_minute_bill_20_subscribed_minutes():
    people = [leg(0, MIN, publish=0) for _ in range(5)]
    quote = quote_of({"model": "video_ssm", "participants": people})
    assert minutes(quote, Meter.SUBSCRIBED) == 20


def test_one_presenter_watched_by_100_viewers_for_10_minutes_bills_1000_subscribed_minutes():
    presenter = leg(0, 10 * MIN, name="Presenter", publish=0, subscribes=False)
    viewers = [leg(0, 10 * MIN, name=f"Viewer {n}") for n in range(100)]
    quote = quote_of({"model": "video_ssm", "participants": [presenter, *viewers]})
    assert minutes(quote, Meter.SUBSCRIBED) == 1000


def test_thirty_minutes_of_one_sip_phone_and_two_browsers():
    # The SIP phone publishes its audio and hears the platform's mix rather than
    # subscribing to each stream, so only the browsers bill subscribed minutes.
    people = [
        leg(0, 30 * MIN, name="Phone", endpoint="sip", publish=0, subscribes=False),
        leg(0, 30 * MIN, name="Browser A", endpoint="webrtc", publish=0),
        leg(0, 30 * MIN, name="Browser B", endpoint="webrtc", publish=0),
    ]
    ssm = quote_of({"model": "video_ssm", "participants": people})
    ppm = quote_of({"model": "video_ppm", "participants": people})
    assert minutes(ssm, Meter.SUBSCRIBED) == 120
    assert minutes(ppm, Meter.PARTICIPANT) == 90
    assert minutes(ssm, Meter.SIP_INTERCONNECT) == minutes(ppm, Meter.SIP_INTERCONNECT) == 30


def test_streams_multiply_subscriptions_under_the_subscribed_model():
    people = [leg(0, 10 * MIN, publish=0, streams=2, subscribes=False), leg(0, 10 * MIN)]
    quote = quote_of({"model": "video_ssm", "participants": people})
    assert minutes(quote, Meter.SUBSCRIBED) == 20


def test_conference_connections_are_ignored_by_the_video_models_with_a_note():
    for model in ("video_ppm", "video_ssm"):
        quote = quote_of(
            {
                "model": model,
                "participants": [leg(0, 10 * MIN, publish=0), leg(0, 10 * MIN, publish=0)],
                "conferences": [{"start": 0, "end": 10 * MIN}],
            }
        )
        assert quote.per_session.line(Meter.VOICE_CALL) is None
        assert any("conference connection is ignored" in note for note in quote.notes)


def test_recordings_and_monitoring_bill_the_same_under_the_video_models():
    for model in ("video_ppm", "video_ssm"):
        quote = quote_of(
            {
                "model": model,
                "participants": [leg(0, 10 * MIN, publish=0)],
                "recordings": [{"start": 0, "end": 10 * MIN}],
                "monitoring": [{"start": 0, "end": 90}],
            },
            flat_card(),
        )
        assert minutes(quote, Meter.RECORDING) == 10
        assert minutes(quote, Meter.MONITORING) == 2


def test_every_subscription_of_a_large_all_publishing_session_is_priced():
    people = [leg(0, 60 if n % 2 else 61, publish=0) for n in range(400)]
    quote = quote_of({"model": "video_ssm", "participants": people})
    # 400 people, all publishing: 400 x 399 subscriptions, each rounded on its own. Between
    # two who stay 61 s the subscription is 2 minutes; any other pair overlaps 60 s, 1 minute.
    assert minutes(quote, Meter.SUBSCRIBED) == 400 * 399 + 200 * 199


def test_more_subscriptions_than_one_request_may_price_are_refused_with_a_reason():
    import pytest

    from billing.engine import Participant, Scenario, ScenarioError, price
    from billing.engine.meters import Model

    people = tuple(
        Participant(f"P{n}", Decimal(0), Decimal(60), publish=Decimal(0)) for n in range(10_001)
    )
    with pytest.raises(ScenarioError) as error:
        price(Scenario(Model.VIDEO_SSM, people), flat_card())
    assert error.value.problems[0].path == "participants"
    assert "10,001 subscribers × 10,001 publishers" in error.value.problems[0].message
