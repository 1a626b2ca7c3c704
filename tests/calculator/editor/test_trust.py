"""Trust, on the server's side: a wrong zero never wins a comparison, a refused save says so,
a stale security token loses nothing, unlikely values are questioned, nothing is added or
saved silently other than as asked."""

import json
import re

import pytest
from django.test import Client

from billing.engine import parse_scenario, price
from calculator.models import SavedScenario
from tests.calculator.test_pages import HTMX, data_for
from tests.conftest import flat_card, leg

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    return Client()


NOBODY_PUBLISHES = {
    "participants": [leg(0, 600, media="video"), leg(30, 600, media="video")],
}


def test_nobody_publishing_is_said_plainly_under_each_video_model():
    ssm = price(parse_scenario({**NOBODY_PUBLISHES, "model": "video_ssm"}), flat_card())
    ppm = price(parse_scenario({**NOBODY_PUBLISHES, "model": "video_ppm"}), flat_card())
    assert ssm.monthly.total == 0
    assert ssm.usage.wants_publishers
    assert "nobody publishes, so there is no stream to subscribe to" in " ".join(ssm.notes)
    assert not ppm.usage.wants_publishers  # it bills, from the second join
    assert "billing starts when the second participant joins, at 0:30" in " ".join(ppm.notes)
    alone = price(
        parse_scenario({"model": "video_ppm", "participants": [leg(0, 600)]}), flat_card()
    )
    assert alone.usage.wants_publishers


def test_a_zero_from_nobody_publishing_is_never_called_cheapest(client):
    data = data_for("video-meeting")
    for key in [k for k in data if k.endswith("-publish")]:
        data[key] = ""
    html = client.post("/compare/", data).content.decode()
    header = re.search(r"<thead>(.*?)</thead>", html, re.S).group(1)
    ssm = header.split("Video: subscribed minutes")[1].split("</th>")[0]
    assert "Cheapest" not in ssm
    assert "nobody publishes" in ssm
    assert "Nobody publishes." in html
    assert header.count("Cheapest") == 1  # another model, priced on real input


def test_the_editor_says_where_the_totals_are_when_nobody_publishes(client):
    data = data_for("video-meeting", model="video_ssm")
    for key in [k for k in data if k.endswith("-publish")]:
        data[key] = ""
    html = client.post("/editor/", data, **HTMX).content.decode()
    assert "nobody publishes, so there is no stream to subscribe to" in html
    assert "add a participant with a leave time" not in html
    assert "(nobody publishes: nothing billed for the participants yet)" in html


def test_a_new_video_participant_publishes_from_joining(client):
    data = data_for("video-meeting")
    last = max(int(n) for n in re.findall(r"p-(\d+)-media", " ".join(data)))
    data[f"p-{last}-media"] = "video"  # the new row takes the last row's media
    html = client.post("/editor/", {**data, "action": "add:p"}, **HTMX).content.decode()
    last = max(int(n) for n in re.findall(r'name="p-(\d+)-publish"', html))
    value = re.search(rf'name="p-{last}-publish" id="[^"]+" value="([^"]*)"', html).group(1)
    assert value == "0:00"
    voice = client.post(
        "/editor/", {**data_for("ivr-agent"), "action": "add:p"}, **HTMX
    ).content.decode()
    assert re.search(r'name="p-2-publish" id="[^"]+" value=""', voice)


def test_save_with_problems_says_nothing_was_saved(client):
    before = SavedScenario.objects.count()
    html = client.post(
        "/editor/", data_for("ivr-agent", **{"p-1-leave": "1:00", "action": "save"})
    ).content.decode()
    assert "Not saved: fix the problem shown below, then save again." in html
    assert "Fix 1 problem" in html
    assert SavedScenario.objects.count() == before


def test_an_estimate_counts_every_problem_it_shows(client):
    html = client.post("/estimates/new/", {"months": "12", "action": "save"}).content.decode()
    alert = re.search(r'<div class="alert" role="alert">(.*?)</div>', html, re.S).group(1)
    shown = len(re.findall(r"<li>", alert))
    assert f"Fix {shown} problem" in alert
    assert "Not saved" in html


def test_bulk_add_past_the_limit_is_refused_never_cut_short(client, settings):
    data = data_for(
        "ivr-agent",
        action="bulk",
        **{
            "bulk-count": "1000000",
            "bulk-name": "A",
            "bulk-join_from": "0:00",
            "bulk-join_to": "1:00",
            "bulk-leave_from": "2:00",
            "bulk-leave_to": "3:00",
            "bulk-endpoint": "client",
            "bulk-media": "video",
        },
    )
    html = client.post("/editor/", data, **HTMX).content.decode()
    assert (
        "at most 999,998 more fit: a scenario holds at most 1,000,000 participants in all "
        "and has 2." in html
    )
    assert len(re.findall(r'name="p-\d+-name"', html)) == 2


def test_a_leg_of_more_than_a_day_and_a_billion_sessions_are_questioned_not_refused(client):
    data = data_for("ivr-agent", sessions_per_month="1000000000", **{"p-0-leave": "25:00:00"})
    response = client.post("/editor/", data)
    html = response.content.decode()
    assert "data-total=" in html  # priced as given
    assert 'id="warn-p-0-leave">over a day: right?<' in html
    assert "connected for 25:00:00, more than a day: is that right?" in html
    assert "1,000,000,000 sessions a month is over 100 million" in html
    live = client.post("/editor/", data, **HTMX).content.decode()
    warnings = json.loads(
        re.search(r'<script id="field-warnings" type="application/json">(.*?)</script>', live)
        .group(1)
        .replace("\\u003C", "<")
    )
    assert set(warnings) == {"p-0-leave", "sessions_per_month"}


def test_the_api_gives_the_same_warnings(client):
    document = {"model": "sip_mediaserver", "participants": [leg(0, 90_000)]}
    body = client.post("/api/estimate", json.dumps(document), content_type="application/json")
    assert body.json()["warnings"] == [
        {
            "path": "participants[0].leave",
            "message": "connected for 25:00:00, more than a day: is that right? "
            "(times are h:mm:ss)",
        }
    ]


@pytest.fixture
def strict():
    return Client(enforce_csrf_checks=True)


def test_a_stale_token_on_a_live_update_is_said_in_a_header(strict):
    response = strict.post("/editor/", data_for("ivr-agent"), **HTMX)
    assert response.status_code == 403
    assert response["X-CSRF-Failure"] == "1"


def test_a_save_with_a_stale_token_comes_back_with_everything_typed_and_nothing_saved(strict):
    strict.get("/editor/?template=ivr-agent")  # the page sets the token's cookie
    data = data_for("ivr-agent", name="Typed before signing in", action="save")
    data["csrfmiddlewaretoken"] = "x" * 64  # the page's token, from before a sign-in
    response = strict.post("/editor/", data, HTTP_ORIGIN="http://testserver")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Not saved yet: you signed in or out in another tab" in html
    assert 'value="Typed before signing in"' in html
    assert SavedScenario.objects.count() == 0
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    data["csrfmiddlewaretoken"] = token
    saved = strict.post("/editor/", data, HTTP_ORIGIN="http://testserver")
    assert saved.status_code == 302
    assert SavedScenario.objects.get().name == "Typed before signing in"


def test_a_forged_post_from_another_site_never_gets_the_editor(strict):
    strict.get("/editor/?template=ivr-agent")
    data = data_for("ivr-agent", name="Forged", action="save")
    response = strict.post("/editor/", data, HTTP_ORIGIN="https://evil.example")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Forged" not in html
    assert "Nothing was done" in html


def test_a_fresh_token_is_given_and_never_cached(client):
    response = client.get("/csrf-token")
    assert len(response.json()["token"]) == 64
    assert response["Cache-Control"] == "no-store"


def large(people):
    return {
        "name": "Town hall",
        "model": "video_ppm",
        "participants": [
            leg(0, 600 + i % 60, publish=0 if i == 0 else None) for i in range(people)
        ],
    }


def test_a_scenario_larger_than_the_editor_shows_is_priced_read_only(client):
    from billing.engine.jsonio import dumps
    from calculator.editor.scenario import EDITOR_ROWS

    response = client.post("/import/", {"text": dumps(large(EDITOR_ROWS + 1))})
    html = response.content.decode()
    assert "priced read-only" in html
    assert "It has 5,001 rows" in html
    assert 'name="p-0-name"' not in html  # nothing to type into
    assert "data-total=" in html
    assert len(html) < 3_000_000


def test_a_post_of_more_rows_than_the_editor_shows_is_refused_with_a_message(client):
    from calculator.editor.scenario import EDITOR_ROWS, document_data

    data = document_data(large(EDITOR_ROWS + 1), "default")
    html = client.post("/editor/", data, **HTMX).content.decode()
    assert "the editor shows at most 5,000" in html
    assert "data-total=" not in html


def test_the_editor_adds_no_row_past_its_limit_and_says_it_is_full(client):
    from calculator.editor.scenario import EDITOR_ROWS, document_data

    data = document_data(large(EDITOR_ROWS), "default")
    html = client.post("/editor/", {**data, "action": "add:p"}, **HTMX).content.decode()
    assert f'name="p-{EDITOR_ROWS - 1}-name"' in html
    assert f'name="p-{EDITOR_ROWS}-name"' not in html
    assert "The editor is full" in html
