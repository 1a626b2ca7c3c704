"""Where in the session participants bill (`billed_spans`), against the rule worked out the
slow way: each participant on its own, every other publisher looked at one by one."""

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.engine import Model, parse_scenario, price
from billing.engine.metering import billed_spans
from tests.billing.test_properties import participants
from tests.conftest import flat_card, leg


def merged(spans):
    out = []
    for a, b in sorted(s for s in spans if s[1] > s[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def naive_spans(scenario, start, i):
    """Participant i's billed stretches, straight from the words of the rules."""
    p = scenario.participants[i]
    if scenario.model is Model.SIP_MEDIASERVER:
        return merged([(p.join, p.leave)])
    if scenario.model is Model.VIDEO_PPM:
        return [] if start is None else merged([(max(p.join, start), p.leave)])
    if scenario.model is Model.VIDEO_PPM_PER_MINUTE:
        # While connected in a minute in which someone publishes for some time.
        last = int(max(q.leave for q in scenario.participants)) // 60 + 1
        billable = [
            k
            for k in range(last + 1)
            if any(
                q.publish is not None and max(q.publish, 60 * k) < min(q.leave, 60 * k + 60)
                for q in scenario.participants
            )
        ]
        return merged([(max(p.join, 60 * k), min(p.leave, 60 * k + 60)) for k in billable])
    if not p.subscribes:
        return []
    others = [
        (max(p.join, q.publish), min(p.leave, q.leave))
        for j, q in enumerate(scenario.participants)
        if j != i and q.publish is not None
    ]
    return merged(others)


def spans_of(document, groups):
    quote = price(parse_scenario(document), flat_card())
    return [s.seconds() for s in billed_spans(quote.scenario, quote.usage, groups)], quote


@settings(max_examples=300, deadline=None)
@given(
    people=st.lists(participants(), min_size=1, max_size=8),
    model=st.sampled_from(list(Model)),
    cut=st.integers(min_value=0, max_value=8),
)
def test_each_participant_and_each_band_bills_where_the_rule_says(people, model, cut):
    document = {"model": str(model), "participants": people}
    n = len(people)
    singles = [[i] for i in range(n)]
    bands = [list(range(min(cut, n))), list(range(min(cut, n), n))]
    bands = [band for band in bands if band]
    spans, quote = spans_of(document, singles + bands)
    start = quote.usage.billing_start
    expected = [naive_spans(quote.scenario, start, i) for i in range(n)]
    assert spans[:n] == expected
    # A band bills wherever one of its members does.
    for band, got in zip(bands, spans[n:], strict=True):
        assert got == merged([s for i in band for s in expected[i]])


def test_a_subscriber_bills_only_while_someone_else_publishes():
    document = {
        "model": "video_ssm",
        "participants": [
            leg(0, 600, name="Viewer"),
            leg(100, 400, name="Presenter", publish=200),
            leg(300, 500, name="Guest", publish=350),
        ],
    }
    (viewer, presenter, guest), _ = spans_of(document, [[0], [1], [2]])
    assert viewer == [(200, 500)]
    assert presenter == [(350, 400)]  # only while the guest publishes
    assert guest == [(300, 400)]  # only while the presenter publishes


def test_times_with_fractions_come_back_exact():
    document = {"model": "sip_mediaserver", "participants": [leg(Decimal("0.25"), Decimal("90.5"))]}
    (spans,), _ = spans_of(document, [[0]])
    assert spans == [(Decimal("0.25"), Decimal("90.5"))]
