"""A group as the editor's one row: the full page and the live update, its messages beside
its fields, saving, sharing, export and import with groups."""

import csv
import io
import json
import re

import pytest
from django.test import Client

from billing.engine import parse_scenario, price
from billing.engine.roster import written_out
from billing.service import default_card
from calculator.editor.presets import BY_SLUG
from calculator.editor.scenario import EDITOR_ROWS, document_data
from calculator.models import SavedScenario

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}
LIVE = {**HTMX, "HTTP_X_FORM_ENCODING": "json"}


def data_for(slug, **changes):
    data = document_data(BY_SLUG[slug].document, "default")
    data.update(changes)
    return data


def total(html: str, which: str) -> str:
    return re.search(rf'data-total="{which}">([^<]+)<', html).group(1)


def test_a_template_with_groups_shows_each_group_as_one_row_and_prices_it_exactly(client):
    html = client.get("/editor/?template=town-hall").content.decode()
    assert len(re.findall(r'<tr id="row-g-\d+"', html)) == 3
    assert 'name="g-0-count" id="id_g-0-count" value="30000"' in html
    assert 'name="g-2-direction" id="id_g-2-direction" value="terminating"' in html
    assert "50,004 connected in all" in html
    # The total is the engine's for the members written out.
    scenario = parse_scenario(BY_SLUG["town-hall"].document)
    written = price(written_out(scenario), default_card())
    assert total(html, "session") == f"${written.per_session.total:,}"
    assert "Offices (web): 30,000 participants" in html


def test_a_live_update_of_a_group_row_prices_its_change(client):
    before = client.post("/editor/", data_for("webinar-10k"), **HTMX).content.decode()
    changed = data_for("webinar-10k", **{"g-0-leave_to": "1:30:00"})
    after = client.post(
        "/editor/", json.dumps(changed), content_type="application/json", **LIVE
    ).content.decode()
    assert after.lstrip().startswith('<section id="results"')
    assert total(after, "session") != total(before, "session")
    # The last to join (at 10:00) now leaves at 1:30:00.
    assert "Attendees: 10,000 participants, 45 min to 80 min each" in after


def test_the_groups_heading_counts_the_members_as_typed_after_a_live_update(client):
    page = client.get("/editor/?template=webinar-10k").content.decode()
    assert '<small id="groups-sum">1 · 10,002 connected in all</small>' in page
    assert "hx-swap-oob" not in page  # the whole page draws its heading in place
    changed = data_for("webinar-10k", **{"g-0-count": "2500"})
    live = client.post(
        "/editor/", json.dumps(changed), content_type="application/json", **LIVE
    ).content.decode()
    # The results bring the heading with them (htmx puts it in place by its id).
    assert '<small id="groups-sum" hx-swap-oob="true">1 · 2,502 connected in all</small>' in live


@pytest.mark.parametrize(
    ("changes", "name", "words"),
    [
        ({"g-0-count": "many"}, "g-0-count", "whole number"),
        ({"g-0-count": "0"}, "g-0-count", "from 1"),
        ({"g-0-count": "1000001"}, "g-0-count", "1,000,000"),
        ({"g-0-count": "9" * 5000}, "g-0-count", "1,000,000"),  # no int() of 5,000 digits
        ({"g-0-join_to": "ten"}, "g-0-join_to", "m:ss"),
        ({"g-0-join_from": "20:00", "g-0-join_to": "10:00"}, "g-0-join_to", "run forwards"),
        ({"g-0-leave_from": "8:00:00:00"}, "g-0-leave_from", ""),
        ({"g-0-streams": "0"}, "g-0-streams", ""),
    ],
)
def test_a_bad_group_field_gets_its_message_beside_it(client, changes, name, words):
    data = data_for("webinar-10k", **changes)
    page = client.post("/editor/", data).content.decode()
    message = re.search(rf'<span class="field-error" id="err-{name}">([^<]*)<', page)
    assert message, page[:300]
    assert words in message.group(1)
    assert "data-total=" not in page  # nothing priced with an error in it
    live = client.post("/editor/", json.dumps(data), content_type="application/json", **LIVE)
    errors = json.loads(
        re.search(r'id="field-errors"[^>]*>(.*?)</script>', live.content.decode()).group(1)
    )
    assert name in errors


def test_the_summary_of_problems_names_a_groups_field_by_its_column(client):
    changed = data_for("webinar-10k", **{"g-0-leave_to": "later", "g-0-count": "0"})
    html = client.post("/editor/", changed, **HTMX).content.decode()
    assert "<li>Groups row 1, Last leave: " in html
    assert "<li>Groups row 1, Count: " in html
    assert "leave_to" not in re.search(r'<div class="alert".*?</div>', html, re.S).group(0)


def test_too_many_members_in_all_is_said_and_nothing_saved(client):
    data = data_for("webinar-10k", **{"g-0-count": "999999", "action": "save"})
    response = client.post("/editor/", data)
    assert response.status_code == 200
    assert "at most 1,000,000 participants in all" in response.content.decode()
    assert not SavedScenario.objects.exists()


def test_a_group_too_large_to_write_out_stays_a_group_and_says_why(client):
    data = data_for("webinar-10k", action="write-out:g:0")
    html = client.post("/editor/", data, **HTMX).content.decode()
    assert 'name="g-0-count" id="id_g-0-count" value="10000"' in html
    # Its own row would go: the editor's rows but the two participants'.
    assert f"at most {EDITOR_ROWS - 2:,} more rows fit" in html
    assert "It is kept as a group." in html


def test_add_duplicate_and_remove_a_group(client):
    data = data_for("webinar-10k", action="add:g")
    html = client.post("/editor/", data, **HTMX).content.decode()
    assert len(re.findall(r'<tr id="row-g-\d+"', html)) == 2
    assert re.findall(r'id="([^"]+)"[^>]*\bautofocus\b', html) == ["id_g-1-name"]
    html = client.post("/editor/", data_for("webinar-10k", action="duplicate:g:0"), **HTMX)
    assert html.content.decode().count('value="10000"') == 2
    html = client.post("/editor/", data_for("webinar-10k", action="remove:g:0"), **HTMX)
    assert 'name="g-0-count"' not in html.content.decode()


def test_a_scenario_with_groups_saves_shares_exports_and_imports_whole():
    owner, stranger = Client(), Client()
    response = owner.post("/editor/", data_for("town-hall", action="save"))
    assert response.status_code == 302
    saved = SavedScenario.objects.get()
    assert [g["count"] for g in saved.document["groups"]] == [30000, 17000, 3000]
    share = stranger.get(f"/s/{saved.share_key}/").content.decode()
    assert "Offices (web)" in share
    assert "30,000" in share
    exported = json.loads(stranger.get(f"/s/{saved.share_key}/export.json").content)
    assert exported["groups"] == saved.document["groups"]
    rows = list(csv.reader(io.StringIO(stranger.get(f"/s/{saved.share_key}/export.csv").text)))
    assert any("Offices (web): 30,000 participants" in row[-1] for row in rows)
    printed = stranger.get(f"/s/{saved.share_key}/print/").content.decode()
    assert "Dial-ins (SIP)" in printed
    imported = stranger.post("/import/", {"text": json.dumps(exported)})
    html = imported.content.decode()
    assert 'name="g-2-count" id="id_g-2-count" value="3000"' in html
    assert total(html, "session") == total(share, "session")


def test_the_csv_defuses_a_name_a_spreadsheet_would_run_as_a_formula():
    # An explanation starts with a group's name, which whoever wrote the scenario chose.
    data = data_for("webinar-10k", action="save")
    data.update({"model": "sip_mediaserver", "p-TOTAL_FORMS": "0"})  # the group alone
    data["g-0-name"] = '=HYPERLINK("http://example.com","x")'
    Client().post("/editor/", data)
    saved = SavedScenario.objects.get()
    rows = list(csv.reader(io.StringIO(Client().get(f"/s/{saved.share_key}/export.csv").text)))
    explanations = [row[-1] for row in rows[1:] if row[-1]]
    assert any(text.startswith("'=HYPERLINK") for text in explanations)
    assert not any(cell.startswith(("=", "+", "-", "@")) for row in rows for cell in row)
