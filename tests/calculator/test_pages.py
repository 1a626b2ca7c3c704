"""The pages, through both doors: a plain request gets the whole page, an htmx one its fragment."""

import json
import math
import re
from decimal import Decimal

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing.engine import parse_scenario
from billing.models import RateCardVersion
from calculator.editor.estimate import estimate_data
from calculator.editor.presets import BLANK, BY_SLUG, PRESETS
from calculator.editor.scenario import document_data

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def client():
    return Client()


def data_for(slug, **changes):
    document = BY_SLUG[slug].document if slug else BLANK
    data = document_data(document, "default")
    data.update(changes)
    return data


def total(html: str, which: str) -> str:
    return re.search(rf'data-total="{which}">([^<]+)<', html).group(1)


def test_start_lists_every_template_and_a_blank_scenario(client):
    html = client.get("/").content.decode()
    assert len(PRESETS) >= 6
    for preset in PRESETS:
        assert f"/editor/?template={preset.slug}" in html
        assert preset.title in html
    assert "Blank scenario" in html


def test_start_answers_an_htmx_request_with_the_page(client):
    response = client.get("/", **HTMX)
    assert response.status_code == 200
    assert "Blank scenario" in response.content.decode()


@pytest.mark.parametrize("slug", [p.slug for p in PRESETS])
def test_every_template_opens_the_editor_filled_in_and_priced(client, slug):
    response = client.get(f"/editor/?template={slug}")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert BY_SLUG[slug].document["participants"][0]["name"] in html
    assert total(html, "session").startswith("$")
    assert 'data-figure="fig-timeline"' in html


def test_blank_editor_prices_its_one_participant(client):
    html = client.get("/editor/").content.decode()
    assert total(html, "session") == "$0.0200"  # 5 minutes at the sample voice rate 0.0040


def test_plain_post_returns_the_whole_page_with_new_results(client):
    response = client.post("/editor/", data_for("ivr-agent", **{"p-1-leave": "12:00"}))
    html = response.content.decode()
    assert "<html" in html
    # Caller 7 min + agent 10:30 -> 11 min = 18 min x 0.0040.
    assert total(html, "session") == "$0.0720"


def test_htmx_post_returns_only_the_results_fragment(client):
    response = client.post("/editor/", data_for("ivr-agent", **{"p-1-leave": "12:00"}), **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert html.strip().startswith('<section id="results"')
    assert total(html, "session") == "$0.0720"
    assert 'id="fig-timeline"' in html


def test_a_leave_before_join_is_shown_beside_the_field_on_the_full_page(client):
    html = client.post("/editor/", data_for("ivr-agent", **{"p-1-leave": "0:30"})).content.decode()
    assert 'id="err-p-1-leave"' in html
    assert re.search(r'name="p-1-leave"[^>]*aria-invalid="true"', html)
    assert "must not be before join" in html
    assert 'data-total="session"' not in html


def test_a_leave_before_join_comes_back_as_field_errors_on_the_htmx_path(client):
    html = client.post(
        "/editor/", data_for("ivr-agent", **{"p-1-leave": "0:30"}), **HTMX
    ).content.decode()
    errors = re.search(
        r'<script id="field-errors" type="application/json">(.*?)</script>', html
    ).group(1)
    assert '"p-1-leave"' in errors
    assert "must not be before join" in errors


@pytest.mark.parametrize(
    ("field", "text", "message"),
    [
        ("sessions_per_month", "-5", "Enter a whole number from 0 to 1,000,000,000."),
        ("sessions_per_month", "2e3", "Enter a whole number from 0 to 1,000,000,000."),
        ("increment_seconds", "0", "Enter a whole number from 1 to 86,400."),
        ("p-0-streams", "101", "Enter a whole number from 1 to 100."),
    ],
)
def test_a_number_out_of_bounds_is_named_with_its_bounds(client, field, text, message):
    html = client.post("/editor/", data_for("ivr-agent", **{field: text})).content.decode()
    assert f'<span class="field-error" id="err-{field}">{message}</span>' in html


def test_a_time_that_is_not_a_time_is_named(client):
    html = client.post("/editor/", data_for("ivr-agent", **{"p-0-join": "7:xx"})).content.decode()
    assert 'id="err-p-0-join"' in html
    assert "Enter a time as m:ss or h:mm:ss" in html


@pytest.mark.parametrize(
    ("text", "seconds"), [("90", "90"), ("1:30", "90"), ("1:00:00", "3600"), ("0:07.5", "7.5")]
)
def test_times_are_typed_as_seconds_m_ss_or_h_mm_ss(client, text, seconds):
    html = client.post(
        "/editor/", data_for("ivr-only", **{"p-0-join": "0", "p-0-leave": text}), **HTMX
    ).content.decode()
    minutes = math.ceil(Decimal(seconds) / 60)
    assert total(html, "session") == f"${minutes * Decimal('0.0040'):.4f}"


def test_sessions_per_month_out_of_range_is_named(client):
    html = client.post("/editor/", data_for("ivr-only", sessions_per_month="-5")).content.decode()
    assert 'id="err-sessions_per_month"' in html


def test_a_rate_override_changes_the_price_and_says_so(client):
    html = client.post(
        "/editor/", data_for("ivr-only", rate_voice_call_minutes="0.0100"), **HTMX
    ).content.decode()
    assert total(html, "session") == "$0.0300"  # 2:40 -> 3 min x 0.0100
    assert "with the deal&#x27;s own terms" in html


def test_a_negative_rate_override_is_refused_beside_its_field(client):
    html = client.post(
        "/editor/", data_for("ivr-only", rate_voice_call_minutes="-1")
    ).content.decode()
    assert (
        '<span class="field-error" id="err-rate_voice_call_minutes">Enter a price a minute of 0 or '
        "more, with at most 12 decimal places.</span>"
    ) in html


def test_a_stored_card_can_be_chosen(client):
    card = RateCardVersion.objects.create(slug="partner", name="Partner card", currency="EUR")
    card.rates.create(meter="voice_call_minutes", rate=Decimal("0.01"))
    html = client.post(
        "/editor/", data_for("ivr-only", rate_card="partner"), **HTMX
    ).content.decode()
    assert total(html, "session") == "€0.0300"
    assert "Partner card" in html


def rows(html):
    return re.findall(r'name="p-(\d+)-name" id="id_p-\d+-name" value="([^"]*)"', html)


def test_add_participant_returns_the_editor_fragment_with_one_more_row(client):
    response = client.post("/editor/", {**data_for("ivr-agent"), "action": "add:p"}, **HTMX)
    html = response.content.decode()
    assert html.strip().startswith('<div id="editor"')
    assert [name for _, name in rows(html)] == ["Caller", "Agent", "Participant 3"]


def test_add_participant_without_javascript_returns_the_page(client):
    html = client.post("/editor/", {**data_for("ivr-agent"), "action": "add:p"}).content.decode()
    assert "<html" in html
    assert len(rows(html)) == 3


def test_duplicate_inserts_a_copy_after_the_row(client):
    html = client.post(
        "/editor/", {**data_for("ivr-agent"), "action": "duplicate:p:0"}, **HTMX
    ).content.decode()
    assert [name for _, name in rows(html)] == ["Caller", "Caller (copy)", "Agent"]


def test_remove_takes_out_the_row_and_keeps_what_was_typed(client):
    data = {**data_for("ivr-agent", **{"p-1-leave": "8:xx"}), "action": "remove:p:0"}
    html = client.post("/editor/", data, **HTMX).content.decode()
    assert [name for _, name in rows(html)] == ["Agent"]
    assert 'value="8:xx"' in html


def test_intervals_can_be_added_and_removed(client):
    html = client.post(
        "/editor/", {**data_for("contact-centre"), "action": "add:r"}, **HTMX
    ).content.decode()
    assert 'name="r-1-start"' in html
    html = client.post(
        "/editor/", {**data_for("contact-centre"), "action": "remove:m:0"}, **HTMX
    ).content.decode()
    assert 'name="m-0-start"' not in html


def autofocused(html):
    return re.findall(r'id="([^"]+)"[^>]*\bautofocus\b', html)


@pytest.mark.parametrize(
    ("template", "action", "focused"),
    [
        ("ivr-agent", "add:p", ["id_p-2-name"]),
        ("ivr-agent", "duplicate:p:0", ["id_p-1-name"]),
        ("ivr-agent", "remove:p:0", ["id_p-0-name"]),
        ("ivr-agent", "remove:p:1", ["id_p-0-name"]),
        ("ivr-only", "remove:p:0", ["add-participant"]),
        ("contact-centre", "add:r", ["id_r-1-start"]),
        ("contact-centre", "remove:m:0", ["add-m"]),
        ("ivr-agent", "", []),
    ],
)
def test_after_adding_or_removing_a_row_the_keyboard_goes_on_from_the_right_place(
    client, template, action, focused
):
    for headers in (HTMX, {}):
        html = client.post(
            "/editor/", {**data_for(template), "action": action}, **headers
        ).content.decode()
        assert autofocused(html) == focused


def test_bulk_add_spreads_participants_evenly(client):
    bulk = {
        "action": "bulk",
        "bulk-count": "5",
        "bulk-name": "Attendee",
        "bulk-join_from": "0:00",
        "bulk-join_to": "4:00",
        "bulk-leave_from": "50:00",
        "bulk-leave_to": "60:00",
        "bulk-endpoint": "client",
        "bulk-media": "video",
        "bulk-publish": "on",
    }
    html = client.post("/editor/", {**data_for("ivr-only"), **bulk}, **HTMX).content.decode()
    # One group row, focused; the participants as they were.
    assert len(rows(html)) == 1
    assert 'name="g-0-count" id="id_g-0-count" value="5"' in html
    assert 'name="g-0-leave_to" id="id_g-0-leave_to" value="1:00:00"' in html
    assert autofocused(html) == ["id_g-0-name"]
    # Written out as rows: the members spread evenly, as bulk add always spread them.
    fields = dict(re.findall(r'name="(g-0-[a-z_]+)" id="[^"]*" value="([^"]*)"', html))
    selects = re.findall(r'<select name="(g-0-[a-z]+)"[^>]*>.*?value="([^"]*)" selected', html)
    data = {**data_for("ivr-only"), **fields, **dict(selects), "g-TOTAL_FORMS": "1"}
    data.update({"g-0-publish": "on", "g-0-subscribes": "on", "action": "write-out:g:0"})
    html = client.post("/editor/", data, **HTMX).content.decode()
    assert [name for _, name in rows(html)][1:] == [f"Attendee {n}" for n in range(1, 6)]
    joins = re.findall(r'name="p-\d+-join" id="id_p-\d+-join" value="([^"]*)"', html)[1:]
    leaves = re.findall(r'name="p-\d+-leave" id="id_p-\d+-leave" value="([^"]*)"', html)[1:]
    publishes = re.findall(r'name="p-\d+-publish" id="id_p-\d+-publish" value="([^"]*)"', html)
    assert joins == ["0:00", "1:00", "2:00", "3:00", "4:00"]
    assert leaves == ["50:00", "52:30", "55:00", "57:30", "1:00:00"]
    assert publishes[1:] == joins
    assert 'name="g-0-count"' not in html
    assert autofocused(html) == ["id_p-1-name"]  # the first one written out


def test_bulk_add_with_leaves_before_joins_is_refused_with_a_message(client):
    bulk = {
        "action": "bulk",
        "bulk-count": "5",
        "bulk-name": "A",
        "bulk-join_from": "10:00",
        "bulk-join_to": "20:00",
        "bulk-leave_from": "5:00",
        "bulk-leave_to": "30:00",
        "bulk-endpoint": "client",
        "bulk-media": "video",
    }
    html = client.post("/editor/", {**data_for("ivr-only"), **bulk}, **HTMX).content.decode()
    assert len(rows(html)) == 1
    # The message names the part of the sentence at fault, and that input points to it.
    assert (
        '<li id="err-bulk-leave_from">First leave: everyone must leave after they join</li>' in html
    )
    assert re.search(
        r'<input[^>]*name="bulk-leave_from"[^>]*aria-invalid="true" aria-describedby="err-bulk-leave_from"',
        html,
    )
    assert 'name="bulk-join_from" id="id_bulk-join_from" value=' in html  # not at fault


def test_bulk_add_of_no_one_says_how_many_may_be_added(client):
    bulk = {"action": "bulk", "bulk-count": "0", "bulk-name": "A", "bulk-join_from": "0:00"}
    html = client.post("/editor/", {**data_for("ivr-only"), **bulk}, **HTMX).content.decode()
    assert "Number to add: Enter a whole number from 1 to 1,000,000." in html
    assert "Last join: This field is required." in html


def test_an_unknown_action_changes_nothing(client):
    html = client.post(
        "/editor/", {**data_for("ivr-agent"), "action": "explode:p:0"}
    ).content.decode()
    assert len(rows(html)) == 2


def test_a_tampered_row_count_is_clamped_not_a_500(client):
    data = {**data_for("ivr-agent"), "p-TOTAL_FORMS": "99999999", "action": "add:p"}
    assert client.post("/editor/", data).status_code == 200
    data = {**data_for("ivr-agent"), "p-TOTAL_FORMS": "zz"}
    assert client.post("/editor/", data).status_code == 200


def test_the_results_compare_every_model(client):
    html = client.get("/editor/?template=video-meeting").content.decode()
    for label in (
        "SIP media server (per call leg)",
        "Video: participant minutes",
        "Video: subscribed minutes",
    ):
        assert label in html


def test_compare_page_shows_each_model_side_by_side(client):
    response = client.post("/compare/", data_for("video-meeting"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="num"><strong>') >= 6
    assert "Back to the editor" in html


def test_compare_page_answers_htmx_and_get(client):
    assert client.get("/compare/?template=webinar", **HTMX).status_code == 200


def test_compare_page_with_errors_names_them(client):
    html = client.post("/compare/", data_for("ivr-agent", **{"p-1-leave": "0:10"})).content.decode()
    assert "must not be before join" in html


def test_rules_page_works_the_seed_examples_through(client):
    html = client.get("/rules/").content.decode()
    for words in (
        "5,000 voice call minutes",
        "40 voice call minutes",
        "45 participant minutes",
        "20 subscribed minutes",
        "1,000 subscribed minutes",
        "30 SIP interconnect minutes",
    ):
        assert words in html, words
    for anchor in ("voice_call_minutes", "participant_minutes", "subscribed_minutes", "rounding"):
        assert f'id="{anchor}"' in html


def test_every_explanation_links_to_the_rules(client):
    html = client.get("/editor/?template=contact-centre").content.decode()
    assert html.count('href="/rules/#') == 3


def test_editor_refuses_other_methods(client):
    assert client.put("/editor/").status_code == 405


def test_a_row_left_blank_is_named_not_skipped(client):
    blank = {f"p-1-{name}": "" for name in ("name", "join", "leave", "publish", "streams")}
    html = client.post("/editor/", data_for("ivr-agent", **blank), **HTMX).content.decode()
    assert '"p-1-join"' in html
    assert "This field is required." in html


def test_compare_page_marks_the_cheapest_model(client):
    html = client.get("/compare/?template=video-meeting").content.decode()
    # At the sample rates participant minutes ($668.80 a month) beat the other two models.
    header = re.search(r"Video: participant minutes.*?</th>", html, re.S).group(0)
    assert "Cheapest" in header
    assert html.count("Cheapest") == 1


def test_a_scenario_with_hundreds_of_participants_posts_from_the_editor(client):
    bulk = {
        "action": "bulk",
        "bulk-count": "300",
        "bulk-name": "Attendee",
        "bulk-join_from": "0:00",
        "bulk-join_to": "5:00",
        "bulk-leave_from": "50:00",
        "bulk-leave_to": "60:00",
        "bulk-endpoint": "client",
        "bulk-media": "video",
    }
    html = client.post("/editor/", {**data_for("webinar"), **bulk}).content.decode()
    assert len(rows(html)) == 2
    assert 'name="g-0-count" id="id_g-0-count" value="100"' in html
    assert 'name="g-1-count" id="id_g-1-count" value="300"' in html
    assert "402 connected in all" in html
    assert total(html, "session").startswith("$")


# -- Forms sent as JSON (the page's json-form extension) -------------------------------------

AS_JSON = {**HTMX, "HTTP_X_FORM_ENCODING": "json"}


def test_a_live_update_sent_as_json_prices_the_same_as_the_form(client):
    data = data_for("video-meeting", **{"p-1-leave": "41:30"})
    as_form = client.post("/editor/", data, **HTMX).content.decode()
    as_json = client.post("/editor/", data, content_type="application/json", **AS_JSON)
    assert as_json.status_code == 200
    assert total(as_json.content.decode(), "session") == total(as_form, "session")
    assert 'id="results"' in as_json.content.decode()


def test_a_json_form_needs_the_csrf_token_like_any_form():
    client = Client(enforce_csrf_checks=True)
    token = client.get("/editor/").cookies["csrftoken"].value
    data = data_for("video-meeting")
    refused = client.post("/editor/", data, content_type="application/json", **AS_JSON)
    assert refused.status_code == 403
    # The page sends the token in a header on every htmx request.
    accepted = client.post(
        "/editor/", data, content_type="application/json", HTTP_X_CSRFTOKEN=token, **AS_JSON
    )
    assert accepted.status_code == 200


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "must be a JSON object"),
        ('{"name": {"nested": 1}}', "the value of 'name' must be text"),
        ('{"p-0-join": 5}', "the value of 'p-0-join' must be text"),
        # A lone surrogate can be sent but not shown again: the page answered 500 (issue 12).
        ('{"p-0-name": "\\ud800"}', "p-0-name: is not valid text: it contains a lone surrogate"),
        ('{"name": ["ok", "a\\u0000"]}', "name[1]: must not contain NUL characters"),
        ('{"name": [["deeper"]]}', "name[0]: is nested too deeply"),
        # 100,000 deep was a RecursionError (a 500).
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
)
def test_a_json_form_that_cannot_be_read_gets_a_clear_400(client, body, message):
    response = client.post("/editor/", body, content_type="application/json", **AS_JSON)
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_json_api_is_not_read_as_a_form(client):
    document = BY_SLUG["conference"].document
    response = client.post("/api/estimate", document, content_type="application/json", **HTMX)
    assert response.status_code == 200
    # Even saying it is a form: the API's body is a scenario, not form fields.
    response = client.post("/api/estimate", document, content_type="application/json", **AS_JSON)
    assert response.status_code == 200
    assert response.json()["per_session"]["total"]


def test_json_form_fields_read_as_a_form_post_reads():
    from calculator.editor.jsonform import form_fields

    fields = form_fields(b'{"a": "1", "b": ["x", "y"], "c": []}')
    assert fields.get("a") == "1"
    assert fields.get("b") == "y"
    assert fields.getlist("b") == ["x", "y"]
    assert fields.getlist("a") == ["1"]
    assert "c" not in fields
    assert fields.getlist("c") == []
    assert fields.getlist("missing") == []


def test_a_month_of_no_sessions_prices_at_zero_instead_of_failing(client):
    """0 sessions a month is allowed (0..1,000,000,000): the month's lines are empty."""
    data = data_for("conference", sessions_per_month="0")
    for extra in ({}, HTMX):
        response = client.post("/editor/", data, **extra)
        html = response.content.decode()
        assert response.status_code == 200
        assert total(html, "month") == "$0.00"
        assert total(html, "session") != "$0.0000"
        assert "no sessions in the month" in html


def test_every_response_says_how_long_the_server_took(client):
    for response in (client.get("/healthz"), client.get("/editor/?template=conference")):
        name, duration = response["Server-Timing"].split(";dur=")
        assert name == "app"
        assert float(duration) > 0


def test_a_json_form_over_the_size_limit_gets_a_clear_400(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = '{"name": "' + "x" * 20_000 + '"}'
    response = client.post("/editor/", body, content_type="application/json", **AS_JSON)
    assert response.status_code == 400
    assert "The form could not be read: it is over 0.01 MB." in response.content.decode()


JUNK = st.sampled_from(
    [
        *["", " ", "abc", "-1", "1e999", "NaN", "9" * 40, "1:2:3:4", "99:99", "0.0000001"],
        *["\x00", "<script>", "1,5", "-0:30", "1:60", "25:00:00", "5:00.5", "168:00:01"],
        *["on", "sip", "add:p", "remove:p:999", "duplicate:p:-1", "bulk", "save"],
    ]
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(sorted(BY_SLUG)),
    st.data(),
    st.booleans(),
)
def test_junk_in_any_field_gets_a_page_never_a_server_error(slug, data, htmx):
    form = data_for(slug)
    fields = [*sorted(form), "action", "p-TOTAL_FORMS", "c-TOTAL_FORMS"]
    for name in data.draw(st.lists(st.sampled_from(fields), min_size=1, max_size=4)):
        form[name] = data.draw(JUNK)
    headers = {"HTTP_X_FORM_ENCODING": "json", **(HTMX if htmx else {})}
    response = Client(raise_request_exception=False).post(
        "/editor/", json.dumps(form), content_type="application/json", **headers
    )
    assert response.status_code in (200, 302, 400, 429)


def test_the_results_carry_the_chosen_cards_values_for_the_empty_override_fields(client):
    card = RateCardVersion.objects.create(
        slug="partner", name="Partner card", currency="EUR", increment_seconds=6
    )
    card.rates.create(meter="voice_call_minutes", rate=Decimal("0.0125"))

    def defaults(**changes):
        html = client.post("/editor/", data_for("ivr-only", **changes), **HTMX).content.decode()
        found = re.search(
            r'<script id="card-defaults" type="application/json">(.*?)</script>', html
        )
        return json.loads(found.group(1))

    default = defaults()
    assert default["rate_voice_call_minutes"] == "0.0040"
    assert default["increment_seconds"] == "60"
    assert default["currency"] == "USD"
    partner = defaults(rate_card="partner")
    assert partner["rate_voice_call_minutes"] == "0.0125"
    assert partner["increment_seconds"] == "6"
    assert partner["currency"] == "EUR"


def test_what_is_typed_in_a_row_comes_back_escaped(client):
    typed = '"><script>alert(1)</script>'
    html = client.post(
        "/editor/", data_for("ivr-agent", **{"p-0-name": typed, "p-1-leave": typed})
    ).content.decode()
    assert "<script>alert(1)" not in html
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert 'id="err-p-1-leave"' in html


@pytest.mark.parametrize(
    ("url", "data", "action", "whole", "results"),
    [
        ("/editor/", lambda: data_for("ivr-agent"), "add:p", "editor", "results"),
        (
            "/estimates/new/",
            lambda: {
                **estimate_data(
                    {"scenarios": [{"scenario": BY_SLUG["ivr-agent"].document}]}, "default"
                ),
            },
            "add-template",
            "estimate",
            "estimate-results",
        ),
    ],
)
def test_an_action_answers_with_the_whole_editor_and_says_where_it_goes(
    client, url, data, action, whole, results
):
    """The form's own target is its results (a live update); an action's answer is the whole
    editor, and the server tells htmx so: the buttons carry no target of their own."""
    fields = {**data(), "new_template": "ivr-agent"}
    live = client.post(url, fields, **HTMX)
    assert "HX-Retarget" not in live
    assert live.content.decode().lstrip().startswith(f'<section id="{results}"')
    acted = client.post(url, {**fields, "action": action}, **HTMX)
    assert acted["HX-Retarget"] == f"#{whole}"
    assert acted["HX-Reswap"] == "outerHTML"
    assert acted.content.decode().lstrip().startswith(f'<div id="{whole}"')


@pytest.mark.parametrize("url", ["/", "/editor/?template=all-hands", "/estimates/new/", "/rules/"])
def test_no_template_comment_or_tag_shows_as_text(client, url):
    """Django's {# #} is one line only: a comment over two lines is printed on the page."""
    html = client.get(url).content.decode()
    for marker in ("{#", "#}", "{%", "%}", "{{ ", " }}"):
        assert marker not in html, (
            marker,
            html[max(0, html.find(marker) - 80) : html.find(marker) + 80],
        )


def test_the_video_templates_phones_do_not_subscribe():
    """A SIP phone on a video call hears the platform's mix (docs/pricing.md): left to
    subscribe, the compare page would bill it under video_ssm as a viewer of every stream."""
    phones = [
        p
        for preset in PRESETS
        if preset.document["model"] != "sip_mediaserver"
        for p in preset.document["participants"]
        if p.get("endpoint") == "sip"
    ]
    assert phones
    assert all(p.get("subscribes") is False for p in phones)


def test_a_tie_between_models_is_no_crossover():
    """The IVR-agent template at 3 participants costs $400.00 a month under both SIP and
    participant minutes: the compare page must not say SIP is cheaper from there."""
    from billing.cards import CardDirectory
    from billing.engine import Model, parse_scenario
    from billing.engine.pricing import model_curves

    scenario = parse_scenario(BY_SLUG["ivr-agent"].document)
    counts = list(range(1, 9))
    curves, crossovers = model_curves(scenario, CardDirectory().default(), counts)
    sip, ppm = curves[Model.SIP_MEDIASERVER], curves[Model.VIDEO_PPM]
    assert any(a == b for a, b in zip(sip, ppm, strict=True))  # the tie this is about
    assert crossovers
    for crossover in crossovers:
        i = counts.index(crossover.participants)
        cheaper, than = curves[crossover.cheaper][i], curves[crossover.than][i]
        assert cheaper is not None
        assert than is not None
        assert cheaper < than, crossover


def test_head_is_answered_as_get_and_my_scenarios_say_what_each_is(client):
    """Uptime monitors and link checkers ask with HEAD; the list of one's saved items names
    each one's pricing model as every other page does."""
    assert client.head("/healthz").status_code == 200
    saved = client.post("/editor/", {**data_for("ivr-agent"), "action": "save"})
    share = saved["Location"].replace("/edit/", "/")
    assert client.head(share).status_code == 200
    assert client.head("/rules/").status_code == 200
    html = client.get("/mine/").content.decode()
    assert "SIP media server (per call leg)" in html
    assert "sip_mediaserver" not in html
    assert "<title>My scenarios" in html


def test_compare_grows_a_session_with_groups_by_scaling_its_groups(client):
    from billing.engine.pricing import headcounts, with_headcount

    scenario = parse_scenario(BY_SLUG["town-hall"].document)
    counts = headcounts(scenario)
    assert scenario.headcount in counts
    assert len(counts) <= 21
    members = scenario.headcount - len(scenario.participants)
    doubled = with_headcount(scenario, len(scenario.participants) + 2 * members)
    assert doubled.headcount == scenario.headcount + members
    assert doubled.participants == scenario.participants
    assert [g.count for g in doubled.groups] == [2 * g.count for g in scenario.groups]
    html = client.get("/compare/?template=town-hall").content.decode()
    assert "its groups' members scaled" in html
    assert "Per month (1 session)" in html


def test_the_rules_page_works_a_group_through(client):
    html = client.get("/rules/").content.decode()
    assert 'id="groups"' in html
    # 22.5 s and 67.5 s rounded half up; the leaves spread to 1:00:00.
    assert '<th scope="row">Attendees 2</th><td>0:23</td><td>52:30</td>' in html
    assert '<th scope="row">Attendees 4</th><td>1:08</td><td>57:30</td>' in html
    assert "<b>334 participant minutes</b>" in html
    assert "Attendees: 5 participants, 50 min to 59 min each, 274 min in all" in html


def test_the_rules_page_works_the_per_minute_model(client):
    html = client.get("/rules/").content.decode()
    assert 'id="video_ppm_per_minute"' in html
    assert "<b>45 participant minutes</b>" in html
    assert "25 billable minutes, 1 to 3 connected at most in each, 45 min in all" in html
    assert "<b>1 participant minute</b>" in html
    assert "minute 0:00–1:00: 1 connected at most" in html


def test_tier_modes_and_a_minimum_are_deal_terms_in_the_editor(client):
    document = {
        "model": "sip_mediaserver",
        "sessions_per_month": 6000,
        "participants": [{"join": 0, "leave": 600}, {"join": 0, "leave": 600}],
        "rate_card": {"tier_modes": {"voice_call_minutes": "volume"}},
    }
    html = client.post("/import/", {"text": json.dumps(document)}).content.decode()
    assert total(html, "month") == "$384.00"
    assert re.search(r'<option value="volume" selected>volume', html)
    # Chosen in the editor: graduated again, and a minimum of 500.
    data = document_data(document, "default")
    assert data["mode_voice_call_minutes"] == "volume"
    data.update(mode_voice_call_minutes="graduated", monthly_minimum="500")
    html = client.post("/editor/", data, **HTMX).content.decode()
    assert "Minimum commitment: $500.00 − $464.00 used = $36.00" in html
    assert total(html, "month") == "$500.00"
    bad = client.post("/editor/", {**data, "monthly_minimum": "-5"}, **HTMX).content.decode()
    assert "err-monthly_minimum" in bad or '"monthly_minimum"' in bad
    assert client.post("/editor/", {**data, "action": "save"}).status_code == 302
    from calculator.models import SavedScenario

    card = SavedScenario.objects.get().document["rate_card"]
    assert card["tier_modes"] == {"voice_call_minutes": "graduated"}
    assert card["monthly_minimum"] == "500"


def test_the_rules_page_works_what_is_rounded(client):
    html = client.get("/rules/").content.decode()
    assert 'id="terms"' in html
    rows = re.findall(r'<th scope="row">([^<]+)</th>\s*<td class="num">([\d.]+) min', html)
    assert ("Each call, recording or subscription on its own", "4") in rows
    assert ("A session&#x27;s total, once per meter", "3") in rows
    assert ("The month&#x27;s total, once per meter", "2.5") in rows
    assert re.search(r"once per meter</th>\s*<td[^>]*>2.5 min.*?<td[^>]*>8 min", html, re.DOTALL)


def test_what_is_rounded_is_a_deal_term_in_the_editor(client):
    # Three legs of 1:30, 1:30 and 1:40 on the default card (per minute): 6 min rounded
    # each, 4:40 together rounded once to 5 min.
    document = {
        "model": "sip_mediaserver",
        "participants": [
            {"join": 0, "leave": 90},
            {"join": 0, "leave": 90},
            {"join": 10, "leave": 110},
        ],
        "rate_card": {"rounding": "session", "increment_seconds": 60},
    }
    html = client.post("/import/", {"text": json.dumps(document)}).content.decode()
    assert re.search(r'<option value="session" selected>', html)
    assert "rounded once to 5 min (rounded per session)" in html
    data = document_data(document, "default")
    assert data["rounding"] == "session"
    each = client.post("/editor/", {**data, "rounding": "interval"}, **HTMX).content.decode()
    assert "rounded once" not in each
    assert "= 6 min ×" in each
    bad = client.post("/editor/", {**data, "rounding": "daily"}, **HTMX).content.decode()
    assert '"rounding"' in bad
    assert "Select a valid choice" in bad
    assert client.post("/editor/", {**data, "action": "save"}).status_code == 302
    from calculator.models import SavedScenario

    assert SavedScenario.objects.get().document["rate_card"]["rounding"] == "session"
    api = client.post("/api/estimate", json.dumps(document), content_type="application/json")
    assert api.json()["per_session"]["lines"][0]["quantity"] == "5"
    bad_api = {**document, "rate_card": {"rounding": 3}}
    refused = client.post("/api/estimate", json.dumps(bad_api), content_type="application/json")
    assert refused.status_code == 400
    assert "rate_card.rounding" in refused.content.decode()


def test_an_imported_deals_fees_and_minimum_are_priced_shown_and_kept(client):
    document = {
        "model": "sip_mediaserver",
        "sessions_per_month": 5000,
        "participants": [{"join": 0, "leave": 60}],
        "fees": {"alexa_device": 25, "setup": 1},
        "rate_card": {
            "monthly_minimum": "500",
            "fees": {
                "alexa_device": {"label": "Alexa device", "per": "month", "price": "2.00"},
                "setup": {"label": "Call set-up", "per": "session", "price": "0.0010"},
            },
        },
    }
    api = client.post("/api/estimate", json.dumps(document), content_type="application/json")
    assert api.json()["monthly"]["total"] == "500.00"
    html = client.post("/import/", {"text": json.dumps(document)}).content.decode()
    assert total(html, "month") == "$500.00"
    assert "Alexa device: 25 × $2.00 a month = $50.00" in html
    assert "Minimum commitment: $500.00 − $75.00 used = $425.00" in html
    data = {**document_data(document, "default"), "action": "save"}
    assert client.post("/editor/", data).status_code == 302
    from calculator.models import SavedScenario

    saved = SavedScenario.objects.get()
    assert saved.document["fees"] == {"alexa_device": 25, "setup": 1}
    assert Decimal(saved.document["rate_card"]["monthly_minimum"]) == 500
    csv_text = client.get(f"/s/{saved.share_key}/export.csv").content.decode()
    assert "monthly_minimum" in csv_text
    assert "alexa_device" in csv_text


def test_the_start_page_counts_a_templates_groups_members(client):
    html = client.get("/").content.decode()
    assert "10,002 participants (1 group)" in html
    assert "50,004 participants (3 groups)" in html
    assert "1 participant ·" in html


def test_a_tiered_meter_says_the_session_is_at_its_first_tier_and_the_month_by_its_tiers(client):
    # The sample card's participant minutes have tiers; its subscribed minutes do not.
    tiered = client.post("/editor/", data_for("town-hall"), **HTMX).content.decode()
    assert "at each meter's first tier</small>" in tiered
    assert "tiers by the month's minutes</small>" in tiered
    flat = client.post(
        "/editor/", data_for("town-hall", model="video_ssm"), **HTMX
    ).content.decode()
    assert "first tier</small>" not in flat
    assert "tiers by the month's minutes" not in flat


def test_a_page_that_names_no_icon_gets_the_apps(client):
    # (The admin's pages name none: browsers then ask for /favicon.ico.)
    answer = client.get("/favicon.ico")
    assert answer.status_code == 301
    assert answer["Location"].startswith("/static/favicon")
    assert answer["Location"].endswith(".svg")
