"""Every kind of bad input is refused with its problems named by path."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.engine import ScenarioError, parse_scenario, scenario_document
from billing.engine.scenario import SCENARIO_FIELDS
from tests.conftest import leg


def problems_of(document) -> dict[str, str]:
    with pytest.raises(ScenarioError) as error:
        parse_scenario(document)
    return {p.path: p.message for p in error.value.problems}


def scenario(**fields):
    return {"model": "sip_mediaserver", "participants": [leg(0, 60)], **fields}


def test_the_document_must_be_an_object():
    assert problems_of([1, 2]) == {"": "must be an object, not a list"}


def test_a_missing_model_says_which_to_give():
    document = {"participants": [leg(0, 60)]}
    assert problems_of(document)["model"] == (
        "is missing: give one of sip_mediaserver, video_ppm, video_ppm_per_minute, video_ssm"
    )


def test_leave_before_join_is_named_by_path():
    problems = problems_of(scenario(participants=[leg(0, 60), leg(0, 60), leg(100, 50)]))
    assert problems["participants[2].leave"] == (
        "must not be before join: leaves at 0:50, joins at 1:40"  # as the editor shows times
    )


@pytest.mark.parametrize(
    ("participant", "path", "words"),
    [
        ({"leave": 10}, "participants[0].join", "is required"),
        ({"join": 0}, "participants[0].leave", "is required"),
        ({"join": -5, "leave": 10}, "participants[0].join", "must not be negative"),
        ({"join": "0:10", "leave": 10}, "participants[0].join", "must be a number of seconds"),
        ({"join": True, "leave": 10}, "participants[0].join", "must be a number of seconds"),
        ({"join": 0, "leave": 604801}, "participants[0].leave", "at most 604,800 seconds"),
        ({"join": 0, "leave": Decimal("1.0000001")}, "participants[0].leave", "6 decimal places"),
        (
            {"join": 10, "leave": 20, "publish": 30},
            "participants[0].publish",
            "must lie between join and leave, 0:10 to 0:20 (got 0:30)",
        ),
        (
            {"join": 10, "leave": 20, "publish": 5},
            "participants[0].publish",
            "must lie between join and leave, 0:10 to 0:20 (got 0:05)",
        ),
        ({"join": 0, "leave": 1.5}, "participants[0].leave", "not a float (inexact"),
        ({"join": 0, "leave": 20, "media": "fax"}, "participants[0].media", "must be one of voice"),
        ({"join": 0, "leave": 20, "endpoint": "x"}, "participants[0].endpoint", "must be one of"),
        ({"join": 0, "leave": 20, "direction": 1}, "participants[0].direction", "must be one of"),
        ({"join": 0, "leave": 20, "streams": 0}, "participants[0].streams", "from 1 to 100"),
        ({"join": 0, "leave": 20, "streams": 1.5}, "participants[0].streams", "whole number"),
        (
            {"join": 0, "leave": 20, "subscribes": "yes"},
            "participants[0].subscribes",
            "true or false",
        ),
        ({"join": 0, "leave": 20, "nmae": "x"}, "participants[0].nmae", "unknown field"),
        ({"join": 0, "leave": 20, "name": 5}, "participants[0].name", "must be a string"),
    ],
)
def test_bad_participant_fields(participant, path, words):
    if isinstance(participant.get("streams"), float):
        participant["streams"] = Decimal("1.5")
    problems = problems_of(scenario(participants=[participant]))
    assert words in problems[path], problems


def test_participant_must_be_an_object():
    assert (
        problems_of(scenario(participants=[5]))["participants[0]"]
        == "must be an object, not a number"
    )


@pytest.mark.parametrize(
    ("fields", "path", "words"),
    [
        (
            {"model": "zoom"},
            "model",
            "must be one of sip_mediaserver, video_ppm, video_ppm_per_minute, video_ssm",
        ),
        ({"model": None}, "model", "missing"),
        ({"sessions_per_month": -1}, "sessions_per_month", "from 0 to 1,000,000,000"),
        ({"sessions_per_month": 1_000_000_001}, "sessions_per_month", "from 0 to 1,000,000,000"),
        ({"sessions_per_month": "10"}, "sessions_per_month", "whole number"),
        ({"participants": {}}, "participants", "must be a list"),
        (
            {"conferences": [{"start": 70, "end": 5}]},
            "conferences[0].end",
            "must not be before start: ends at 0:05, starts at 1:10",
        ),
        ({"recordings": [{"start": 0}]}, "recordings[0].end", "is required"),
        (
            {"monitoring": [{"start": 0, "end": 1, "media": "video"}]},
            "monitoring[0].media",
            "unknown",
        ),
        ({"rate_card": 5}, "rate_card", "must be an object"),
        (
            {"rate_card": {"rates": {"fax_minutes": "1"}}},
            "rate_card.rates.fax_minutes",
            "unknown field",
        ),
        (
            {"rate_card": {"rates": {"voice_call_minutes": "0.0x4"}}},
            "rate_card.rates.voice_call_minutes",
            "not a decimal",
        ),
        (
            {"rate_card": {"rates": {"voice_call_minutes": "-1"}}},
            "rate_card.rates.voice_call_minutes",
            "negative",
        ),
        (
            {"rate_card": {"rates": {"voice_call_minutes": "NaN"}}},
            "rate_card.rates.voice_call_minutes",
            "not a decimal",
        ),
        (
            {"rate_card": {"rates": {"voice_call_minutes": None}}},
            "rate_card.rates.voice_call_minutes",
            "decimal string",
        ),
        ({"rate_card": {"currency": "dollars"}}, "rate_card.currency", "three-letter"),
        ({"rate_card": {"increment_seconds": 0}}, "rate_card.increment_seconds", "from 1"),
        ({"surprise": 1}, "surprise", "unknown field"),
    ],
)
def test_bad_scenario_fields(fields, path, words):
    problems = problems_of(scenario(**fields))
    assert words in problems[path], problems


@pytest.mark.parametrize(
    ("key", "limit"),
    [
        ("participants", 10_000),
        ("conferences", 1_000),
        ("recordings", 1_000),
        ("monitoring", 1_000),
    ],
)
def test_list_sizes_past_the_limits_are_refused(key, limit):
    item = leg(0, 60) if key == "participants" else {"start": 0, "end": 60}
    problems = problems_of(scenario(**{key: [item] * (limit + 1)}))
    assert problems[key] == f"at most {limit:,} {key} are allowed (got {limit + 1:,})"


def test_lists_at_the_limits_are_accepted():
    parsed = parse_scenario(
        scenario(participants=[leg(0, 60)] * 10_000, recordings=[{"start": 0, "end": 1}] * 1000)
    )
    assert len(parsed.participants) == 10_000


def test_every_problem_is_reported_at_once():
    problems = problems_of(
        {"model": "nope", "sessions_per_month": -1, "participants": [leg(5, 1), {"join": 0}]}
    )
    assert set(problems) == {
        "model",
        "sessions_per_month",
        "participants[0].leave",
        "participants[1].leave",
    }


def test_defaults_fill_what_the_document_leaves_out():
    parsed = parse_scenario({"model": "video_ssm", "participants": [leg(0, 60)]})
    p = parsed.participants[0]
    assert parsed.sessions_per_month == 1
    assert (p.media, p.publish, p.streams, p.subscribes) == ("voice", None, 1, True)
    assert p.name == "Participant 1"


def test_a_document_round_trips_through_scenario_document():
    document = scenario(
        participants=[leg(0, Decimal("60.5"), publish=Decimal("1.25"), streams=2)],
        rate_card={"rates": {"voice_call_minutes": "0.0030"}, "increment_seconds": 6},
        recordings=[{"start": 0, "end": 5}],
    )
    parsed = parse_scenario(document)
    assert parse_scenario(scenario_document(parsed)) == parsed


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)
participant_like = st.dictionaries(
    st.sampled_from(
        [
            "name",
            "media",
            "endpoint",
            "direction",
            "join",
            "leave",
            "publish",
            "streams",
            "subscribes",
        ]
    ),
    json_values,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        json_values,
        st.dictionaries(st.sampled_from(SCENARIO_FIELDS), json_values),
        st.fixed_dictionaries(
            {"model": st.sampled_from(["sip_mediaserver", "video_ppm", "video_ssm"])},
            optional={
                "participants": st.lists(participant_like, max_size=4),
                "rate_card": st.dictionaries(
                    st.sampled_from(
                        ["currency", "increment_seconds", "minimum_seconds", "rates", "tiers"]
                    ),
                    json_values,
                ),
            },
        ),
    )
)
def test_arbitrary_json_is_parsed_or_refused_with_named_problems(document):
    try:
        parse_scenario(document)
    except ScenarioError as error:
        problems = error.problems
    else:
        return
    assert problems
    assert all(isinstance(p.path, str) and p.message for p in problems)


def test_a_huge_exponent_is_refused_quickly():
    problems = problems_of(scenario(sessions_per_month=Decimal("1e999999")))
    assert "from 0 to 1,000,000,000" in problems["sessions_per_month"]
