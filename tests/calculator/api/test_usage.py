"""POST /api/usage and `price-usage`: a usage file priced under every model, and every kind of
bad file refused with a message naming what is wrong (a 400, by line where a record is)."""

from __future__ import annotations

import gzip
import json
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from billing.engine import parse_scenario, price
from billing.engine.usagefile import read_usage, session_document
from billing.service import default_card

pytestmark = pytest.mark.django_db

GOOD = (
    "Session,kind,name,start,end,media,endpoint,publish\n"
    "a,,Alice,100,700,video,webrtc,100\n"
    "a,,Bob,160,650,video,webrtc,\n"
    "a,recording,,100,700,,,\n"
    "b,,Carol,0,61,voice,sip,0\n"
    "b,,Dan,30,90,voice,pstn,\n"
)


def post(client, body: bytes | str, **query: str):
    data = body.encode() if isinstance(body, str) else body
    url = "/api/usage" + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
    return client.post(url, data, content_type="text/csv")


def problems(response) -> list[str]:
    return [
        f"{p['path']}: {p['message']}" if p["path"] else p["message"]
        for p in response.json()["problems"]
    ]


def test_a_usage_file_is_billed_as_the_sum_of_its_sessions(client):
    response = post(client, GOOD, model="video_ppm")
    assert response.status_code == 200, response.content
    result = response.json()
    assert (result["model"], result["sessions"], result["records"]) == ("video_ppm", 2, 5)
    # Each session as its own document, priced alone, one session a month.
    card = default_card()
    read = read_usage(GOOD.encode(), addons=card.addons)
    quotes = [price(parse_scenario(session_document(read, k, "video_ppm")), card) for k in (0, 1)]
    for line in result["monthly"]["lines"]:
        seconds = sum(q.usage.seconds.get(line["meter"], 0) for q in quotes)
        assert Decimal(line["quantity"]) == Decimal(seconds) / 60
        assert "2 sessions" in line["explanation"]
    models = [m["model"] for m in result["models"]]
    assert sorted(models) == sorted(
        ["sip_mediaserver", "video_ppm", "video_ppm_per_minute", "video_ssm"]
    )
    totals = [Decimal(m["total"]) for m in result["models"]]
    assert totals == sorted(totals)
    assert Decimal(result["monthly"]["total"]) == Decimal(
        next(m["total"] for m in result["models"] if m["model"] == "video_ppm")
    )
    assert result["rejected"] == {"count": 0, "sessions": 0, "problems": 0, "first": []}


def test_without_a_model_the_bill_is_the_cheapest(client):
    result = post(client, GOOD).json()
    assert result["model"] == result["models"][0]["model"]


def test_a_gzipped_file_is_read_alike(client):
    plain = post(client, GOOD, model="video_ssm").json()
    zipped = post(client, gzip.compress(GOOD.encode()), model="video_ssm").json()
    assert zipped == plain


def test_bad_records_are_named_by_line(client):
    body = (
        "session,start,end,kind,streams\n"
        "a,10,5,,\n"  # line 2: ends before it starts
        "a,0,60,hologram,\n"  # line 3: no such kind
        "b,0,x,,\n"  # line 4: no time
        "b,0,60,,0\n"  # line 5: streams
        ",0,60,,\n"  # line 6: no session
    )
    response = post(client, body)
    assert response.status_code == 400
    said = problems(response)
    assert said[0] == "line 2: end: must not be before start"
    assert said[1].startswith("line 3: kind: 'hologram' is not a kind of record")
    assert said[2].startswith("line 4: end: 'x' must be seconds (such as 90 or 12.5")
    assert said[3] == "line 5: streams: must be a whole number from 1 to 100"
    assert said[4].startswith("line 6: session: is required")


def test_with_skip_bad_the_good_sessions_are_priced_and_the_rest_listed(client):
    body = GOOD + "c,,,10,5,,,\n" + "c,,,0,60,,,\n"
    response = post(client, body, skip_bad="true", model="sip_mediaserver")
    assert response.status_code == 200, response.content
    result = response.json()
    assert (result["sessions"], result["records"]) == (2, 5)
    assert result["rejected"]["count"] == 2  # the bad record's whole session is left out
    assert result["rejected"]["sessions"] == 1
    assert result["rejected"]["first"] == [
        {"path": "line 7", "message": "end: must not be before start"}
    ]
    # Exactly the good file's bill.
    assert result["monthly"] == post(client, GOOD, model="sip_mediaserver").json()["monthly"]


def test_at_most_100_problems_are_listed(client):
    body = "session,start,end\n" + "".join(f"s{n},9,1\n" for n in range(150))
    said = problems(post(client, body))
    assert len([p for p in said if p.startswith("line ")]) == 100
    assert said[-1] == "line 101: end: must not be before start"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"", "the file is empty"),
        (b"session,start,end\n", "the file has a header but no records"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "the file is not CSV text: it holds binary data"),
        (b"id,from,to\n1,0,60\n", "the file has no column 'session' or 'start' or 'end'"),
        (
            b"session,start,end\na,0,60\nb,2026-11-02T09:00:00Z,2026-11-02T09:10:00Z\n",
            "line 3: start: a time in another form than this file's",
        ),
        (
            b"session,start,end\na,2026-11-02T09:00:00Z,2026-11-02T09:10:00Z\n"
            b"a,2026-11-10T09:00:00Z,2026-11-10T09:10:00Z\n",
            "line 3: session 'a' spans more than 7 days",
        ),
        (
            b"session,start,end\na,2026-11-02T09:00:00,2026-11-02T09:10:00\n",
            "line 2: start: '2026-11-02T09:00:00' is a date-time without a UTC offset",
        ),
        (
            b"session,start,end\na,2026-02-30T09:00:00Z,2026-03-01T09:10:00Z\n",
            "line 2: start: is not a real date and time",
        ),
        (b"session,start,end\na,0,60\nb,0,60,7\n", "line 3: has 4 values, the header 3"),
        (b"session,start,end\na\x00,0,60\n", "the file is not CSV text"),
        (b"session,start,end\n\xff\xfe,0,60\n", "the file is not UTF-8 text"),
        (b"session,start,end,start\na,0,60,1\n", "the header names column 'start' twice"),
    ],
)
def test_a_bad_file_gets_a_clear_message(client, body, expected):
    response = post(client, body)
    assert response.status_code == 400, response.content
    assert any(p.startswith(expected) for p in problems(response)), problems(response)


def test_a_file_over_the_limit_is_refused_before_it_is_read(client, settings):
    settings.USAGE_MAX_BYTES = 200
    response = post(client, GOOD + "c,,,0,60,,,\n" * 20)
    assert response.status_code == 413
    assert "over 0.0002 MB, the most a usage file may be" in problems(response)[0]


def test_a_header_named_otherwise_is_mapped_by_the_query(client):
    body = "CallID,Begin,Finish\nx,0,90\nx,30,90\n"
    assert post(client, body).status_code == 400
    response = post(
        client, body, column_session="CallID", column_start="begin", column_end="Finish"
    )
    assert response.status_code == 200, response.content
    assert response.json()["sessions"] == 1
    assert "no column 'Nope'" in problems(post(client, body, column_session="Nope"))[0]
    assert "'colour' is not a column" in problems(post(client, body, column_colour="CallID"))[0]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"model": "cheapest"}, "model: 'cheapest' is not a pricing model"),
        ({"rate_card": "nope"}, "rate_card: no stored rate card 'nope'"),
        ({"skip_bad": "maybe"}, "skip_bad: must be true or false"),
    ],
)
def test_bad_options_are_named(client, query, expected):
    response = post(client, GOOD, **query)
    assert response.status_code == 400
    assert problems(response)[0].startswith(expected)


def test_an_add_on_record_needs_the_cards_add_on(client):
    # The default card's sample add-ons (version 2) are kinds a record may have.
    body = "session,kind,start,end\na,composed_archive_minutes,0,600\na,,0,600\n"
    result = post(client, body, model="sip_mediaserver").json()
    assert any(line["meter"] == "composed_archive_minutes" for line in result["monthly"]["lines"])


def test_only_post(client):
    response = client.get("/api/usage")
    assert response.status_code == 405


def test_the_command_prices_a_file_and_says_what_is_wrong(tmp_path):
    path = tmp_path / "month.csv.gz"
    path.write_bytes(gzip.compress(GOOD.encode()))
    out = StringIO()
    call_command("price-usage", str(path), "--model", "video_ppm", stdout=out)
    assert json.loads(out.getvalue())["sessions"] == 2
    text = StringIO()
    call_command("price-usage", str(path), "--text", stdout=text)
    assert "every model, cheapest first" in text.getvalue()
    bad = tmp_path / "bad.csv"
    bad.write_text("session,start,end\na,9,1\n")
    errors = StringIO()
    with pytest.raises(CommandError):
        call_command("price-usage", str(bad), stderr=errors)
    assert "line 2: end: must not be before start" in errors.getvalue()
    with pytest.raises(CommandError, match="no such file"):
        call_command("price-usage", str(tmp_path / "missing.csv"))


def test_a_file_over_a_year_is_refused(client):
    body = "session,start,end\na,0,60\nb,40000000,40000060\n"
    said = problems(post(client, body))
    assert said[0].startswith("the file's sessions start over 463 days (line 2 to line 3)")


def test_a_model_too_much_work_for_the_file_is_named_and_the_rest_compared(client, monkeypatch):
    from billing.engine import batch

    monkeypatch.setattr(batch, "MAX_MINUTES", 5)
    monkeypatch.setattr(batch, "MAX_SUBSCRIPTIONS", 1)
    result = post(client, GOOD).json()
    refused = {m["model"]: m["problem"] for m in result["models"] if m["total"] is None}
    assert refused["video_ppm_per_minute"].startswith(
        "under video_ppm_per_minute this file's sessions run 14 minutes in all"
    )
    assert refused["video_ssm"].startswith("under video_ssm this file has 4 pairs of a subscriber")
    assert result["model"] in ("sip_mediaserver", "video_ppm")
    response = post(client, GOOD, model="video_ssm")
    assert response.status_code == 400
    assert problems(response)[0].startswith("model: under video_ssm this file has")


def test_a_file_whose_every_session_is_bad_is_refused_even_when_skipping(client):
    response = post(client, "session,start,end\na,9,1\nb,x,2\n", skip_bad="true")
    assert response.status_code == 400
    said = problems(response)
    assert said[0] == "every session has a bad record: nothing is left to price"
    assert said[1] == "line 2: end: must not be before start"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # A header line that Python's csv cannot read (a lone carriage return in a field).
        (b'"a\rb",start,end\n1,0,60\n', "the file has no column 'session'"),
        (b"x\r\x00", "the file is not CSV text"),
        (b"session;start;end\na;0;60\n", "the file's columns seem to be separated by semicolons"),
    ],
)
def test_odd_headers_get_clear_messages(client, body, expected):
    response = post(client, body)
    assert response.status_code == 400
    assert problems(response)[0].startswith(expected), problems(response)


def test_a_byte_order_mark_before_the_header_is_no_fault(client):
    body = "\ufeffSession,Start,End\na,0,60\na,10,60\n".encode()
    response = post(client, body, model="sip_mediaserver")
    assert response.status_code == 200, response.content
    assert response.json()["records"] == 2


def test_one_column_named_for_two_is_refused(client):
    body = "CallID,Begin,Finish\nx,0,90\n"
    said = problems(
        post(client, body, column_session="CallID", column_start="Begin", column_end="begin")
    )
    assert (
        said[0]
        == "start and end are both the file's column 'Begin': each needs a column of its own"
    )


def test_a_file_with_more_than_100_problems_says_how_many(client):
    body = "session,start,end\n" + "".join(f"s{n},9,1\n" for n in range(150))
    said = problems(post(client, body))
    assert said[0].startswith("150 problems in all; the first 100 by line follow")
    assert len(said) == 101


def test_a_model_that_bills_nothing_because_nobody_publishes_is_never_the_cheapest(client):
    # A voice file with no publish times: two of the video models bill these calls nothing.
    body = "session,start,end\na,0,600\na,0,600\nb,0,300\n"
    result = post(client, body).json()
    assert result["model"] == "sip_mediaserver"  # the only model every session bills under
    notes = {m["model"]: m.get("note") for m in result["models"]}
    assert notes["video_ssm"].startswith("2 of 2 sessions have subscribers but nobody publishing")
    assert notes["video_ppm_per_minute"].startswith("2 of 2 sessions have nobody publishing")
    # Under video_ppm two people bill from the second join: only the session of one is billed
    # nothing.
    assert notes["video_ppm"].startswith(
        "1 of 2 sessions has one participant and nobody publishing: this model bills it nothing"
    )
    assert notes["sip_mediaserver"] is None
    # Those noted come after the rest, whatever their totals.
    assert result["models"][0]["model"] == "sip_mediaserver"
    assert Decimal(result["models"][1]["total"]) < Decimal(result["models"][0]["total"])


def test_the_command_is_told_which_column_is_which(tmp_path):
    path = tmp_path / "export.csv"
    path.write_text("CallID,Begin,Finish\nx,0,90\nx,30,90\n")
    out = StringIO()
    call_command(
        "price-usage",
        str(path),
        "--column",
        "session=CallID",
        "--column",
        "start=Begin",
        "--column",
        "END=Finish",
        stdout=out,
    )
    assert json.loads(out.getvalue())["records"] == 2
    with pytest.raises(CommandError, match="write it as OURS=THEIRS"):
        call_command("price-usage", str(path), "--column", "session")


def test_a_session_key_with_a_direction_control_is_a_bad_record(client):
    # (A session's key is shown on the report and in its CSV; names are never kept.)
    said = problems(post(client, "session,start,end\nZoë \u202e 1$,0,60\n"))
    assert said == [
        "line 2: session: must not contain text-direction controls (U+202A-U+202E, "
        "U+2066-U+2069): they make the text after them read backwards"
    ]
