"""The usage page (/usage/): a file uploaded as a person would (the form, and the script's
progress stream), the report it keeps (aggregates only), shared by link, its CSV of the cost
per session, its most expensive sessions opened in the editor, and every bad upload answered
beside the upload."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from calculator.models import UsageReport
from tests.calculator.api.test_usage import GOOD

pytestmark = pytest.mark.django_db


def upload(client, text: str | bytes, name: str = "month.csv", progress: bool = False, **fields):
    data = text.encode() if isinstance(text, str) else text
    headers = {"HTTP_ACCEPT": "application/x-ndjson"} if progress else {}
    return client.post(
        "/usage/", {"file": SimpleUploadedFile(name, data, "text/csv"), **fields}, **headers
    )


def report_key(response) -> str:
    """The share key of the report an upload or a copy was sent on to."""
    return response["Location"].split("/")[2]


def lines(response) -> list[dict]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return [json.loads(line) for line in body.decode().splitlines() if line.strip()]


def test_the_page_offers_the_upload(client):
    html = client.get("/usage/").content.decode()
    assert 'type="file"' in html
    assert 'name="rate_card"' in html
    assert 'name="model"' in html
    assert "names among them, are never stored" in html
    assert "js/usage.js" in html


def test_an_upload_becomes_a_shared_report_of_aggregates(client):
    response = upload(client, GOOD, model="video_ppm")
    assert response.status_code == 302
    report = UsageReport.objects.get()
    assert response["Location"] == f"/u/{report.share_key}/"
    # Aggregates only: no record's name is kept anywhere but the sessions' documents.
    stored = json.dumps(report.report)
    assert report.model == "video_ppm"
    assert report.name == "month.csv"
    assert report.report["result"]["sessions"] == 2
    page = client.get(response["Location"]).content.decode()
    total = report.report["result"]["monthly"]["total"]
    assert f'data-total="month">${Decimal(total):,}' in page
    assert "cheapest" in page
    assert "Sessions by cost" in page
    assert "fig-histogram" in page
    assert "Open in the editor" in page
    # Shared by link: another browser sees it, without the delete button.
    other = client.__class__()
    shared = other.get(response["Location"]).content.decode()
    assert "Delete this report" not in shared
    assert total in stored
    assert "Delete this report" in page


def test_the_progress_stream_ends_with_the_reports_address(client):
    response = upload(client, gzip.compress(GOOD.encode()), name="month.csv.gz", progress=True)
    assert response["Content-Type"] == "application/x-ndjson"
    said = lines(response)
    stages = [m["stage"] for m in said if "stage" in m]
    assert stages[0] == "received"
    assert "reading" in stages
    assert "pricing" in stages
    pricing = [m["done"] for m in said if m.get("stage") == "pricing"]
    assert pricing == sorted(pricing)
    assert pricing[-1] == 1
    assert said[-1]["url"] == f"/u/{UsageReport.objects.get().share_key}/"


def test_bad_records_are_said_beside_the_upload(client):
    response = upload(client, "session,start,end\na,9,1\n")
    assert response.status_code == 400
    assert "line 2: end: must not be before start" in response.content.decode()
    said = lines(upload(client, "session,start,end\na,9,1\n", progress=True))
    assert said[-1] == {"problems": ["line 2: end: must not be before start"]}
    assert not UsageReport.objects.exists()


def test_a_header_otherwise_named_asks_which_column_is_which(client):
    body = "CallID,Begin,Finish\nx,0,90\nx,30,90\n"
    page = upload(client, body).content.decode()
    assert "Which column is which?" in page
    assert '<th scope="col">CallID</th>' in page
    said = lines(upload(client, body, progress=True))
    assert said[-1]["mapping"]["columns"] == ["CallID", "Begin", "Finish"]
    assert said[-1]["mapping"]["rows"][0] == ["x", "0", "90"]
    assert "say below which of its columns is which" in said[-1]["problems"][0]
    # The step itself, drawn by the same template as the page's (the script shows it).
    assert '<th scope="col">CallID</th>' in said[-1]["mapping"]["html"]
    mapped = upload(
        client, body, column_session="CallID", column_start="Begin", column_end="Finish"
    )
    assert mapped.status_code == 302


def selected(html: str) -> dict[str, str]:
    """Each mapping select's chosen column."""
    found = {}
    for ours, options in re.findall(r'<select id="map-(\w+)".*?>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)" selected>', options)
        found[ours] = chosen.group(1) if chosen else ""
    return found


def test_the_mapping_step_offers_columns_named_as_other_systems_name_them(client):
    body = "Call ID,participant,joined_at,left_at,type,media_type,Duration\nx,P1,0,90,participant,voice,90\n"
    said = lines(upload(client, body, progress=True))[-1]["mapping"]
    assert said["chosen"] == {
        "session": "Call ID",
        "name": "participant",
        "start": "joined_at",
        "end": "left_at",
        "kind": "type",
        "media": "media_type",
    }
    choices = selected(said["html"])
    assert choices["session"] == "Call ID"
    assert choices["start"] == "joined_at"
    assert choices["publish"] == ""
    assert "check them" in said["html"]
    # Nothing is priced on a guess: the file waits for the person to send it with the columns.
    assert not UsageReport.objects.exists()
    # The page without script offers the same.
    assert selected(upload(client, body).content.decode()) == choices


def test_the_mapping_step_keeps_what_was_said_before_over_a_guess(client):
    body = "call_id,alt_id,begin,end_time\nx,y,0,90\n"
    said = lines(upload(client, body, progress=True, column_session="alt_id"))[-1]["mapping"]
    assert said["chosen"]["session"] == "alt_id"
    assert said["chosen"]["start"] == "begin"
    # One of the file's columns for one of ours only.
    body = "start,stop,finish\n0,90,90\n"
    said = lines(upload(client, body, progress=True))[-1]["mapping"]
    assert said["chosen"] == {"start": "start", "end": "stop"}
    assert "Say which of its columns they are" in said["html"]


def test_the_cost_per_session_csv(client):
    response = upload(client, GOOD, model="sip_mediaserver")
    key = report_key(response)
    exported = client.get(f"/u/{key}/sessions.csv")
    assert exported["Content-Disposition"].startswith("attachment;")
    rows = list(csv.DictReader(io.StringIO(exported.content.decode())))
    assert [r["session"] for r in rows] == ["a", "b"]
    report = UsageReport.objects.get()
    top = {s["session"]: s["cost"] for s in report.report["top"]}
    assert {r["session"]: Decimal(r["cost_usd"]) for r in rows} == {
        key: Decimal(cost) for key, cost in top.items()
    }


def test_an_expensive_session_opens_in_the_editor_without_its_names(client):
    key = report_key(upload(client, GOOD, model="video_ppm"))
    report = UsageReport.objects.get()
    first = report.report["top"][0]
    page = client.get(f"/u/{key}/session/0/").content.decode()
    assert 'name="p-0-name"' in page
    # Names in call records are people's or phone numbers: never kept.
    names = [p["name"] for p in json.loads(first["document"])["participants"]]
    assert names == ["Participant 1", "Participant 2"]
    stored = json.dumps(report.report) + report.name
    assert not any(name in stored for name in ("Alice", "Bob", "Carol", "Dan"))
    assert f"Session {first['session']}" in page
    assert client.get(f"/u/{key}/session/99/").status_code == 404


def test_only_the_owner_deletes_and_is_asked_first(client):
    key = report_key(upload(client, GOOD))
    asked = client.get(f"/u/{key}/delete/").content.decode()
    assert "Delete the usage report “month.csv”?" in asked
    assert UsageReport.objects.exists()
    stranger = client.__class__()
    assert stranger.get(f"/u/{key}/delete/").status_code == 403
    assert stranger.post(f"/u/{key}/delete/").status_code == 403
    assert UsageReport.objects.exists()
    assert client.post(f"/u/{key}/delete/").status_code == 302
    assert not UsageReport.objects.exists()
    # Its link says it was deleted, as a deleted scenario's does; a link never made, not found.
    gone = client.get(f"/u/{key}/")
    assert gone.status_code == 410
    assert "<h1>This usage report was deleted</h1>" in gone.content.decode()
    assert client.get(f"/u/{key}/sessions.csv").status_code == 410
    assert client.get("/u/nosuchreport/").status_code == 404


def test_only_the_owner_renames_and_a_bad_name_is_said_beside_it(client):
    key = report_key(upload(client, GOOD))
    assert "Rename</a>" in client.get(f"/u/{key}/").content.decode()
    form = client.get(f"/u/{key}/rename/").content.decode()
    assert 'value="month.csv"' in form
    bad = client.post(f"/u/{key}/rename/", {"name": "x" * 1000})
    assert bad.status_code == 200
    assert "at most" in bad.content.decode()
    assert UsageReport.objects.get().name == "month.csv"
    stranger = client.__class__()
    refused = stranger.post(f"/u/{key}/rename/", {"name": "Mine now"})
    assert refused.status_code == 403
    assert "Make a copy" in refused.content.decode()
    assert UsageReport.objects.get().name == "month.csv"
    assert client.post(f"/u/{key}/rename/", {"name": "October, EU trunks"}).status_code == 302
    page = client.get(f"/u/{key}/").content.decode()
    assert "<h1>October, EU trunks" in page
    assert "October, EU trunks" in client.get("/mine/").content.decode()


def test_anyone_with_the_link_copies_a_report_and_the_copy_is_theirs(client):
    key = report_key(upload(client, GOOD))
    original = UsageReport.objects.get()
    stranger = client.__class__()
    page = stranger.get(f"/u/{key}/").content.decode()
    assert "Make a copy" in page
    assert "Rename</a>" not in page
    copied = stranger.post(f"/u/{key}/copy/")
    assert copied.status_code == 302
    copy_key = report_key(copied)
    assert copy_key != key
    copy = UsageReport.objects.get(share_key=copy_key)
    assert copy.name == "month.csv (copy)"
    assert copy.report == original.report
    assert bytes(copy.sessions_csv) == bytes(original.sessions_csv)
    # The copy is the stranger's to rename and delete; the original stays its owner's.
    assert "month.csv (copy)" in stranger.get("/mine/").content.decode()
    assert stranger.post(f"/u/{copy_key}/rename/", {"name": "Ours"}).status_code == 302
    assert stranger.post(f"/u/{key}/delete/").status_code == 403
    assert client.post(f"/u/{copy_key}/delete/").status_code == 403
    assert stranger.post(f"/u/{copy_key}/delete/").status_code == 302
    assert UsageReport.objects.get().share_key == key
    assert client.get(f"/u/{copy_key}/copy/").status_code == 405


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "the file is empty"),
        (b"\x00\x01binary", "the file is not CSV text"),
        (b"session,start,end\n", "the file has a header but no records"),
    ],
)
def test_bad_files_are_said_on_the_page(client, body, expected):
    response = upload(client, body)
    assert response.status_code == 400
    assert expected in response.content.decode()


def test_no_file_and_too_large(client, settings):
    response = client.post("/usage/", {"model": "video_ppm"})
    assert "choose a usage file" in response.content.decode()
    settings.USAGE_MAX_BYTES = 100
    response = upload(client, GOOD)
    assert response.status_code == 413
    assert "the most a usage file may be" in response.content.decode()


def test_a_session_key_a_spreadsheet_would_run_is_defused_in_the_csv(client):
    body = 'session,start,end\n"=HYPERLINK(""http://x"")",0,60\n@SUM(1),0,60\nplain,0,60\n'
    key = report_key(upload(client, body))
    rows = list(csv.DictReader(io.StringIO(client.get(f"/u/{key}/sessions.csv").content.decode())))
    assert [r["session"] for r in rows] == ['\'=HYPERLINK("http://x")', "'@SUM(1)", "plain"]


def test_my_reports_are_listed_with_my_scenarios(client):
    upload(client, GOOD, name="october.csv")
    page = client.get("/mine/").content.decode()
    assert "october.csv" in page
    assert "october.csv" not in client.__class__().get("/mine/").content.decode()


def test_the_pricing_threads_cpu_is_charged_to_the_address(client, settings):
    from calculator.server.ratelimit import Sliding

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "cpu": (10**9, 60)}
    budget = Sliding("cpu", "127.0.0.1", 10**9, 60)
    before = budget.wait(), budget.counted_lately()
    lines(upload(client, GOOD, progress=True))
    assert before == (None, False)
    assert budget.counted_lately()


def test_heavy_pricing_marks_the_address_heavy_as_a_heavy_request_does(rf, settings):
    # Its next requests take the heavy lane (calculator/server/serving.py), and its budget
    # is charged, as CpuBudgetMiddleware does for a request's own thread.
    from calculator.saved.usage import cpu_charge
    from calculator.server.ratelimit import Sliding, heavy_marks

    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "cpu": (10**9, 60)}
    charge = cpu_charge(rf.post("/usage/", REMOTE_ADDR="10.9.8.7"))
    charge(settings.HEAVY_REQUEST[0] - 1)
    assert Sliding("cpu", "10.9.8.7", 10**9, 60).counted_lately()
    assert not heavy_marks("10.9.8.7").counted_lately()
    charge(settings.HEAVY_REQUEST[0])
    assert heavy_marks("10.9.8.7").counted_lately()


def test_the_reports_charts_are_built_from_its_aggregates(client):
    from calculator.charts import usage_figures

    upload(client, GOOD, model="video_ppm")
    data = UsageReport.objects.get().report
    figures = usage_figures(data)
    models = figures["models"]["data"][0]
    billed = models["y"].index("Video:<br>participant minutes")  # the bill's model
    colours = models["marker"]["color"]
    assert colours[billed] != colours[billed - 1]
    assert len(set(colours)) == 2
    assert models["x"] == [float(m["total"]) for m in data["result"]["models"]]
    assert figures["models"]["layout"]["xaxis"]["tickprefix"] == "$"
    # Counts in whole numbers: two sessions on one day.
    days = figures["days"]
    assert days["data"][1]["y"] == [2]
    assert days["layout"]["yaxis2"]["dtick"] == 1
    assert sum(figures["histogram"]["data"][0]["y"]) == 2


def test_the_mapping_step_stays_small_for_a_header_of_thousands(client):
    header = ",".join(["call_id", "joined_at", "left_at"] + [f"extra{n}" for n in range(5000)])
    row = ",".join(["x", "0", "90"] + ["1"] * 5000)
    said = lines(upload(client, f"{header}\n{row}\n", progress=True))[-1]["mapping"]
    assert len(said["columns"]) == 300  # offered
    assert said["left_out"] == 4703
    assert len(said["preview"]) == 30
    assert all(len(r) <= 30 for r in said["rows"])
    assert len(said["html"]) < 250_000  # eleven choices of 300 columns, not of 5,003
    assert said["chosen"] == {"session": "call_id", "start": "joined_at", "end": "left_at"}
    assert "4703 of the file's columns are not offered" in said["html"]


def test_a_column_named_twice_is_neither_offered_nor_guessed(client):
    said = lines(upload(client, "call_id,Call_ID,begin,end_time\nx,y,0,90\n", progress=True))
    mapping = said[-1]["mapping"]
    assert mapping["columns"] == ["begin", "end_time"]
    assert "session" not in mapping["chosen"]
    assert mapping["left_out"] == 2


def test_the_report_lists_models_that_bill_sessions_nothing_apart_and_says_what_was_left_out(
    client,
):
    # One session of one voice caller (nobody publishes), one good call, one bad record.
    body = "session,start,end\na,0,600\nb,0,300\nb,10,300\nc,90,10\n"
    key = report_key(upload(client, body, skip_bad="true"))
    page = client.get(f"/u/{key}/").content.decode()
    compared, noted = page.split('<tbody class="noted">')
    assert "SIP media server" in compared
    assert "Not compared: these models bill some sessions nothing" in noted
    assert "Video: participant minutes" in noted
    assert '<a href="#left-out">1 session with bad records left out</a>' in page
    assert '<section class="panel" id="left-out">' in page
    assert 'Starts <small class="hint">(the file\'s seconds)</small>' in page


def test_report_changes_need_the_forms_token(client):
    key = report_key(upload(client, GOOD))
    guarded = client.__class__(enforce_csrf_checks=True)
    guarded.cookies = client.cookies  # the owner's own browser, without the page's token
    for action in ("rename", "delete", "copy"):
        assert guarded.post(f"/u/{key}/{action}/", {"name": "x"}).status_code == 403
    report = UsageReport.objects.get()
    assert report.name == "month.csv"
    assert UsageReport.objects.count() == 1


def test_a_deleted_report_cannot_be_copied_and_a_missing_session_says_so(client):
    key = report_key(upload(client, GOOD))
    missing = client.get(f"/u/{key}/session/99/")
    assert missing.status_code == 404
    assert "This report has no such session" in missing.content.decode()
    assert client.get(f"/u/{key}/nothing/").status_code == 404
    client.post(f"/u/{key}/delete/")
    assert client.post(f"/u/{key}/copy/").status_code == 410
    assert not UsageReport.objects.exists()


def test_a_copy_says_when_its_prices_were_worked_out(client):
    key = report_key(upload(client, GOOD))
    original = UsageReport.objects.get()
    UsageReport.objects.filter(pk=original.pk).update(
        created_at=original.created_at.replace(year=2026, month=11, day=2, hour=9, minute=5)
    )
    copied = client.__class__().post(f"/u/{key}/copy/")
    copy = UsageReport.objects.get(share_key=report_key(copied))
    assert copy.created_at.strftime("%Y-%m-%d %H:%M") == "2026-11-02 09:05"
