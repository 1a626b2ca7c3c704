"""Hostile usage files at every door that takes one: POST /api/usage, the usage page (the
form, and the script's progress stream) and `price-usage`. Each answers a report or the
problems, never a server error; nothing is kept from a refused file, and a kept report's
texts are text."""

from __future__ import annotations

import csv
import gzip
import io
import json
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import strategies as st

from billing.engine import usagefile
from billing.engine.inputs import text_problem
from tests.hostile.conftest import HostileClient, answered, command_answered, hostile
from tests.hostile.strategies import NUMBER_CLASSES, TEXT_CLASSES, hostile_number_text, hostile_text

pytestmark = pytest.mark.django_db

COLUMNS = list(usagefile.COLUMNS)
GOOD_ROW = {**dict.fromkeys(COLUMNS, ""), "session": "a", "start": "0", "end": "60"}

values = st.one_of(
    hostile_text,
    hostile_number_text,
    st.sampled_from(
        [
            "2026-11-02T09:00:00Z",
            "2026-02-30T09:00:00Z",
            "9999-12-31T23:59:59+14:00",
            "-1",
            "1e3",
            " 5 ",
            "0.0000001",
            "999999999999",
            "1000000000000",
        ]
    ),
    st.integers(-(10**20), 10**20).map(str),
)


@st.composite
def usage_files(draw) -> bytes:
    """A file of a few records, good ones spoiled a value at a time, sometimes gzipped or
    cut, sometimes bytes of no kind."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.binary(max_size=300))
    header = draw(
        st.one_of(st.just(COLUMNS), st.permutations(COLUMNS), st.lists(values, max_size=4))
    )
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        row = dict(GOOD_ROW)
        row["session"] = draw(st.sampled_from(["a", "b", "c"]))
        for column in draw(st.lists(st.sampled_from(COLUMNS), max_size=3)):
            row[column] = draw(values)
        rows.append([row.get(c, "") if c in row else draw(values) for c in header])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    data = out.getvalue().encode("utf-8", "surrogatepass")
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    if draw(st.integers(0, 4)) == 0:
        data = gzip.compress(data)
    return data


@hostile
@given(
    usage_files(),
    st.sampled_from(["", "video_ssm", "video_ppm_per_minute", "nonsense"]),
    st.booleans(),
)
def test_the_api_answers_any_usage_file(body, model, skip):
    client = HostileClient()
    query = f"?model={model}&skip_bad={'true' if skip else 'false'}"
    response = answered(
        "usage API", client.post(f"/api/usage{query}", body, content_type="text/csv")
    )
    assert response.status_code in (200, 400)
    if response.status_code == 400:
        assert all(p["message"] for p in response.json()["problems"])


@hostile
@given(usage_files(), st.booleans(), hostile_text)
def test_the_page_answers_any_usage_file(body, progress, name):
    from calculator.models import UsageReport

    client = HostileClient()
    headers = {"HTTP_ACCEPT": "application/x-ndjson"} if progress else {}
    upload = SimpleUploadedFile("x.csv", body, "text/csv")
    # A browser sends a file's name as UTF-8: a lone surrogate cannot get as far as the app.
    # (Django's own parser gives no file a name without a base name, such as "." or "a/".)
    sent = name.encode("utf-8", "replace").decode()
    upload.name = sent if os.path.basename(sent) not in ("", ".", "..") else "x.csv"
    response = client.post("/usage/", {"file": upload, "skip_bad": "true"}, **headers)
    if response.streaming:
        lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
        assert "url" in lines[-1] or "problems" in lines[-1]
        assert not any("internal error" in p for p in lines[-1].get("problems", []))
    answered("usage page (progress)" if progress else "usage page (form)", response)
    assert response.status_code in (200, 302, 400, 413)
    for report in UsageReport.objects.all():
        assert text_problem(report.name) is None
        page = answered("usage report", client.get(f"/u/{report.share_key}/"))
        assert page.status_code == 200
        answered("usage report CSV", client.get(f"/u/{report.share_key}/sessions.csv"))
        for number in range(len(report.report["top"])):
            answered("usage session", client.get(f"/u/{report.share_key}/session/{number}/"))
        report.delete()


@hostile
@given(usage_files(), st.booleans())
def test_the_command_answers_any_usage_file(body, text):
    command_answered("price-usage command", "price-usage", ".csv", body, text)


@pytest.mark.parametrize("value", [*TEXT_CLASSES.values(), *NUMBER_CLASSES.values()])
@pytest.mark.parametrize("column", ["session", "name", "start", "kind", "streams"])
def test_each_class_of_trouble_in_each_column(client, column, value):
    row = dict(GOOD_ROW, **{column: value})
    out = io.StringIO()
    csv.writer(out).writerows([COLUMNS, [row[c] for c in COLUMNS]])
    body = out.getvalue().encode("utf-8", "surrogatepass")
    response = answered("usage API", client.post("/api/usage", body, content_type="text/csv"))
    assert response.status_code in (200, 400)


@hostile
@given(hostile_text)
def test_renaming_a_report_stores_a_name_that_is_text_or_says_why_not(name):
    from django.contrib.auth.models import User

    from calculator.models import UsageReport

    user, _ = User.objects.get_or_create(username="owner")
    client = HostileClient()
    client.force_login(user)
    report = UsageReport.objects.create(
        owner=user, name="month.csv", model="sip_mediaserver", card={}, report={}, sessions_csv=b""
    )
    response = answered(
        "usage report rename", client.post_form(f"/u/{report.share_key}/rename/", {"name": name})
    )
    assert response.status_code in (200, 302)
    report.refresh_from_db()
    if response.status_code == 302:
        # A form post's bytes that are not UTF-8 are read as U+FFFD, as a browser's are.
        assert (
            report.name == name.encode("utf-8", "surrogatepass").decode("utf-8", "replace").strip()
        )
        assert text_problem(report.name) is None
    else:
        assert report.name == "month.csv"
    report.delete()
