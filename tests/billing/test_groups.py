"""Participant groups: a group prices exactly as its members written out as participants
(docs/documents.md, "Participant groups")."""

from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.engine import Model, ScenarioError, parse_scenario, price, scenario_document
from billing.engine.metering import MAX_SUBSCRIPTIONS, subscriptions
from billing.engine.roster import Roster, member, member_seconds, written_out
from tests.billing.test_properties import cards, intervals, participants, summary, times
from tests.conftest import flat_card


def spread(low, high, k, count):
    """Member k's time by the documents' words, in exact fractions, rounded half up."""
    if count == 1:
        value = Fraction(low)
    else:
        value = Fraction(low) + (Fraction(high) - Fraction(low)) * k / (count - 1)
    return int((value + Fraction(1, 2)) // 1)  # half up: floor(value + 1/2), value >= 0


def written_by_hand(group: dict) -> list[dict]:
    """The participants a group stands for, written out here independently of the engine."""
    count = group["count"]
    people = []
    for k in range(count):
        join = spread(*group["join"], k, count)
        leave = max(join, spread(*group["leave"], k, count))
        people.append(
            {
                "name": f"{group['name']} {k + 1}",
                "join": join,
                "leave": leave,
                "publish": join if group.get("publish") == "join" else None,
                "media": group.get("media", "voice"),
                "endpoint": group.get("endpoint", "client"),
                "streams": group.get("streams", 1),
                "subscribes": group.get("subscribes", True),
            }
        )
    return people


@st.composite
def spans(draw):
    """A join or leave range; half of them a single moment, so that members alike (the same
    join and leave) are many, as in a webinar of thousands over minutes."""
    low, high = sorted((draw(times), draw(times)))
    return [low, low if draw(st.booleans()) else high]


@st.composite
def groups(draw):
    (a, b), (c, d) = draw(spans()), draw(spans())
    return {
        "name": draw(st.sampled_from(["Attendees", "Panel", "Dial-ins"])),
        "count": draw(st.integers(min_value=1, max_value=40)),
        "join": [a, b],
        "leave": [c, d],
        "publish": draw(st.sampled_from([None, "join"])),
        "media": draw(st.sampled_from(["voice", "video"])),
        "endpoint": draw(st.sampled_from(["sip", "webrtc", "client"])),
        "streams": draw(st.integers(min_value=1, max_value=3)),
        "subscribes": draw(st.booleans()),
    }


@st.composite
def with_groups(draw):
    return {
        "model": draw(st.sampled_from(list(Model))).value,
        "sessions_per_month": draw(st.integers(min_value=0, max_value=100_000)),
        "participants": draw(st.lists(participants(), max_size=6)),
        "groups": draw(st.lists(groups(), min_size=1, max_size=3)),
        "conferences": draw(st.lists(intervals(), max_size=1)),
        "recordings": draw(st.lists(intervals(), max_size=1)),
    }


def read(document):
    return parse_scenario(document)


@settings(max_examples=300, deadline=None)
@given(with_groups(), cards)
def test_a_group_prices_exactly_as_its_members_written_out(document, card):
    members = [p for g in document["groups"] for p in written_by_hand(g)]
    out = {**document, "participants": document["participants"] + members, "groups": []}
    grouped, expanded = price(read(document), card), price(read(out), card)
    assert summary(grouped) == summary(expanded)
    assert grouped.usage.billing_start == expanded.usage.billing_start
    assert grouped.usage.wants_publishers == expanded.usage.wants_publishers
    # The engine's own writing out agrees with the hand-written one.
    assert written_out(read(document)).participants == read(out).participants


def test_members_are_spread_evenly_rounded_half_up_and_never_leave_before_joining():
    scenario = read(
        {
            "model": "video_ppm",
            "groups": [
                {"name": "A", "count": 3, "join": [0, 1], "leave": [0, 10]},
                {"name": "B", "count": 1, "join": [30, 90], "leave": [60, 120]},
                {"name": "C", "count": 4, "join": [0, Decimal("0.5")], "leave": [100, 100]},
            ],
        }
    )
    a, b, c = (member_seconds(g) for g in scenario.groups)
    assert a[0].tolist() == [0, 1, 1]  # 0, 0.5 (half up), 1
    assert a[1].tolist() == [0, 5, 10]  # leave 0 for the first: never before its join
    assert (b[0].tolist(), b[1].tolist()) == ([30], [60])  # one member: the ranges' starts
    assert c[0].tolist() == [0, 0, 0, 1]  # 0, 1/6, 1/3, 1/2 (half up)
    assert member(scenario.groups[0], 1).name == "A 2"
    roster = Roster(scenario)
    assert len(roster) == 8
    assert roster[3].name == "B 1"
    assert roster.group_at(3) == 1
    assert [p.join for p in roster[4:8]] == [0, 0, 0, 1]


def test_a_group_is_explained_as_a_group_in_words_and_numbers():
    scenario = read(
        {
            "model": "video_ppm",
            "participants": [{"name": "Presenter", "join": 0, "leave": 3600, "publish": 0}],
            "groups": [
                {"name": "Attendees", "count": 5000, "join": [0, 0], "leave": [3000, 3000]},
                {"name": "Late", "count": 3, "join": [600, 660], "leave": [3000, 3600]},
            ],
        }
    )
    explanation = price(scenario, flat_card()).per_session.lines[0].explanation
    assert "1 participant × 60 min" in explanation
    assert "Attendees: 5,000 participants × 50 min" in explanation
    assert "Late: 3 participants, 40 min to 49 min each, 134 min in all" in explanation


def test_the_subscriptions_limit_counts_group_members_and_names_who_publishes():
    document = {
        "model": "video_ssm",
        "groups": [
            {"name": "Panel", "count": 10_001, "join": [0, 0], "leave": [60, 60], "publish": "join"}
        ],
    }
    scenario = read(document)
    assert subscriptions(scenario) == 10_001 * 10_001 > MAX_SUBSCRIPTIONS
    with pytest.raises(ScenarioError) as refused:
        price(scenario, flat_card())
    (problem,) = refused.value.problems
    assert problem.path == "groups"
    assert "Panel (10,001 members)" in problem.message


def test_a_million_attendees_price_under_every_model():
    scenario = read(
        {
            "model": "video_ssm",
            "participants": [{"name": "Presenter", "join": 0, "leave": 3600, "publish": 0}],
            "groups": [
                {"name": "Audience", "count": 999_999, "join": [0, 600], "leave": [3000, 3600]}
            ],
        }
    )
    for model in Model:
        quote = price(replace(scenario, model=model), flat_card())
        assert quote.per_session.total > 0
    # Under video_ssm every member subscribes to the presenter's one stream.
    ssm = price(scenario, flat_card())
    assert int(ssm.usage.charges[-1].intervals.sum()) == 999_999


def test_groups_go_round_a_document_and_old_documents_gain_no_key():
    document = {
        "model": "video_ppm",
        "groups": [
            {
                "name": "Attendees",
                "count": 200,
                "media": "video",
                "endpoint": "webrtc",
                "direction": "terminating",
                "join": [0, 300],
                "leave": [3000, 3600],
                "publish": None,
                "streams": 1,
                "subscribes": True,
            }
        ],
    }
    scenario = read(document)
    again = scenario_document(scenario)
    assert again["groups"] == document["groups"]
    assert read(again) == scenario
    assert "groups" not in scenario_document(read({"model": "video_ppm"}))


@pytest.mark.parametrize(
    ("group", "path", "words"),
    [
        ({"count": 3, "leave": [0, 1]}, "groups[0].join", "is required"),
        ({"count": 3, "join": [0], "leave": [0, 1]}, "groups[0].join", "pair"),
        ({"count": 3, "join": "0-60", "leave": [0, 1]}, "groups[0].join", "pair"),
        ({"count": 3, "join": [60, 0], "leave": [90, 90]}, "groups[0].join", "run forwards"),
        ({"count": 3, "join": [0, -1], "leave": [90, 90]}, "groups[0].join[1]", "negative"),
        ({"count": 3, "join": [0, 0], "leave": [0, 700000]}, "groups[0].leave[1]", "at most"),
        ({"count": 0, "join": [0, 0], "leave": [1, 1]}, "groups[0].count", "from 1"),
        ({"join": [0, 0], "leave": [1, 1]}, "groups[0].count", "whole number"),
        ({"count": 2.5, "join": [0, 0], "leave": [1, 1]}, "groups[0].count", "whole number"),
        ({"count": 3, "join": [0, 0], "leave": [1, 1], "publish": 5}, "groups[0].publish", "join"),
        ({"count": 3, "join": [0, 0], "leave": [1, 1], "colour": 1}, "groups[0].colour", "unknown"),
        (
            {"count": 3, "join": [0, 0], "leave": [1, 1], "media": "fax"},
            "groups[0].media",
            "one of",
        ),
    ],
)
def test_a_bad_group_is_named_by_its_path(group, path, words):
    with pytest.raises(ScenarioError) as refused:
        parse_scenario({"model": "video_ppm", "groups": [group]})
    problems = {p.path: p.message for p in refused.value.problems}
    assert path in problems, problems
    assert words in problems[path]


def test_the_members_of_all_groups_are_at_most_a_million():
    group = {"count": 600_000, "join": [0, 0], "leave": [1, 1]}
    with pytest.raises(ScenarioError) as refused:
        read({"model": "video_ppm", "participants": [], "groups": [group, group]})
    (problem,) = refused.value.problems
    assert problem.path == "groups"
    assert "at most 1,000,000 participants in all" in problem.message
    with pytest.raises(ScenarioError) as refused:
        read({"model": "video_ppm", "groups": [group] * 1001})
    assert refused.value.problems[0].path == "groups"


def test_a_whole_seconds_half_is_rounded_up_as_bulk_add_always_did():
    # 7 members over 0..1 s: k/6 s, so 0.5 s (k = 3) is a half and goes up.
    joins, _ = member_seconds(
        read(
            {"model": "video_ppm", "groups": [{"count": 7, "join": [0, 1], "leave": [9, 9]}]}
        ).groups[0]
    )
    assert joins.tolist() == [0, 0, 0, 1, 1, 1, 1]


def test_an_estimate_of_many_millions_is_refused_before_any_pricing():
    from billing.engine import parse_estimate, price_estimate

    big = {
        "model": "video_ppm",
        "groups": [{"name": "Audience", "count": 900_000, "join": [0, 60], "leave": [600, 900]}],
    }
    estimate = parse_estimate({"scenarios": [{"scenario": big}] * 3})
    with pytest.raises(ScenarioError) as refused:
        price_estimate(estimate, flat_card())
    (problem,) = refused.value.problems
    assert problem.path == "scenarios"
    assert "2,700,000 participants together" in problem.message


def test_the_growth_chart_never_prices_more_than_a_scenario_may_hold():
    from billing.engine.pricing import headcounts

    scenario = read(
        {"model": "video_ppm", "groups": [{"count": 900_000, "join": [0, 0], "leave": [60, 60]}]}
    )
    counts = headcounts(scenario)
    assert max(counts) == 1_000_000
    assert len(counts) <= 7
