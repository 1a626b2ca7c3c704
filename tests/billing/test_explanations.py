"""Each line's explanation names what its minutes are made of, item by item for a few items.

The card rounds every interval up to whole minutes (60 s increment, no minimum)."""

from decimal import Decimal

from billing.engine import Interval, Meter, Model, Participant, Scenario, price, read_rate_card

CARD = read_rate_card(
    {
        "increment_seconds": 60,
        "minimum_seconds": 0,
        "rates": {meter.value: "0.01" for meter in Meter},
    }
)


def person(name: str, join: int, leave: int, **more: object) -> Participant:
    return Participant(name, Decimal(join), Decimal(leave), **more)  # type: ignore[arg-type]


def explanations(scenario: Scenario) -> dict[Meter, str]:
    return {line.meter: line.explanation for line in price(scenario, CARD).per_session.lines}


def test_rounded_items_are_listed_with_their_real_length() -> None:
    scenario = Scenario(
        Model.SIP_MEDIASERVER,
        (
            person("Ann", 0, 30),
            person("Bob", 0, 70, media="video"),
            person("Cy", 5, 65),
        ),
        conferences=(Interval(Decimal(0), Decimal(600)),),
        recordings=(Interval(Decimal(0), Decimal(61)),),
    )
    text = explanations(scenario)
    assert text[Meter.VOICE_CALL].startswith(
        "2 call legs (Ann 0:30 rounded to 1 min + Cy 1 min) + 1 conference connection × 10 min"
    )
    assert text[Meter.VIDEO_CALL].startswith("1 call leg (Bob 1:10 rounded to 2 min)")
    assert text[Meter.RECORDING].startswith("1 recording (Recording 1 1:01 rounded to 2 min)")


def test_many_equal_items_are_counted_and_many_unequal_ones_summed() -> None:
    equal = Scenario(Model.SIP_MEDIASERVER, tuple(person(f"P{i}", 0, 600) for i in range(5)))
    assert explanations(equal)[Meter.VOICE_CALL].startswith("5 call legs × 10 min =")
    unequal = Scenario(
        Model.SIP_MEDIASERVER, tuple(person(f"P{i}", 0, 60 * (i + 1)) for i in range(5))
    )
    assert explanations(unequal)[Meter.VOICE_CALL].startswith("5 call legs, 15 min in all =")


def test_participant_minutes_start_when_billing_starts() -> None:
    scenario = Scenario(
        Model.VIDEO_PPM,
        (person("Ann", 0, 300), person("Bob", 60, 300), person("Cy", 120, 300, endpoint="sip")),
    )
    quote = price(scenario, CARD)
    (participants,) = [b for b in quote.usage.charges if b.meter is Meter.PARTICIPANT]
    # Billing starts when the second participant joins: Ann's first minute alone is free.
    assert [(c.label, c.start, c.end, c.seconds) for c in participants] == [
        ("Ann", 60, 300, 240),
        ("Bob", 60, 300, 240),
        ("Cy", 120, 300, 180),
    ]
    text = explanations(scenario)
    assert text[Meter.PARTICIPANT].startswith("3 participants (Ann 4 min + Bob 4 min + Cy 3 min)")
    assert text[Meter.SIP_INTERCONNECT].startswith("1 SIP endpoint × 3 min")


def test_subscriptions_are_counted_per_publisher_and_rounded_each() -> None:
    # Two publishers from 0:00; everyone subscribes to everyone else who publishes. Subscriber
    # P2 (leaves 1:02) has 1:00 of P0 (1 min) and 1:01 of P1 (rounded to 2 min).
    people = tuple(
        person(f"P{i}", 0, 60 + i, publish=Decimal(0) if i < 2 else None) for i in range(6)
    )
    quote = price(Scenario(Model.VIDEO_SSM, people), CARD)
    (subscribers,) = quote.usage.charges[:1]
    assert [(c.label, c.intervals, c.seconds) for c in subscribers] == [
        ("P0", 1, 60),
        ("P1", 1, 60),
        ("P2", 2, 180),
        ("P3", 2, 180),
        ("P4", 2, 180),
        ("P5", 2, 180),
    ]
    text = explanations(Scenario(Model.VIDEO_SSM, people))
    assert text[Meter.SUBSCRIBED].startswith(
        "10 subscriptions by 6 subscribers, 14 min in all = 14 min"
    )
    few = explanations(Scenario(Model.VIDEO_SSM, people[:3]))
    assert few[Meter.SUBSCRIBED].startswith("4 subscriptions (P0 1 min, P1 1 min, P2 3 min)")
