"""The figures: valid Plotly, and showing what the engine billed."""

import json
from datetime import datetime, timedelta
from decimal import Decimal

import numpy as np
import plotly.graph_objects as go
import pytest

from billing.engine import Meter, parse_scenario, price, scenario_document
from billing.engine.roster import written_out
from billing.service import price_document
from calculator import charts
from calculator.editor.presets import BY_SLUG, PRESETS
from tests.conftest import flat_card, leg


def quote_for(document):
    return price(parse_scenario(document), flat_card())


@pytest.mark.parametrize("preset", PRESETS, ids=lambda p: p.slug)
def test_every_templates_figures_are_valid_plotly(preset):
    quote = quote_for(preset.document)
    end = charts.session_end(quote)
    figures = (
        charts.timeline(charts.timeline_rows(quote), end),
        charts.concurrency(quote, charts.connected_steps(quote), end),
        charts.costs(quote),
    )
    for figure in figures:
        go.Figure(data=figure["data"], layout=figure["layout"])  # raises on anything invalid
        assert figure["layout"]["uirevision"]


def test_timeline_bills_video_participants_only_from_when_billing_starts():
    quote = quote_for(
        {
            "model": "video_ppm",
            "participants": [leg(0, 600, name="Host", publish=120), leg(300, 600, name="Guest")],
        }
    )
    rows = {row.label: row for row in charts.timeline_rows(quote)}
    assert rows["Host"].connected == (0, 600)
    assert rows["Host"].billed == ((120, 600),)
    assert rows["Guest"].billed == ((300, 600),)
    figure = charts.timeline(charts.timeline_rows(quote), charts.session_end(quote))
    names = [trace["name"] for trace in figure["data"]]
    assert names[:2] == ["Connected, not billed", "Billed"]
    billed = figure["data"][1]
    assert billed["base"][0] == "1970-01-01 00:02:00"
    assert billed["x"][0] == 480_000
    assert figure["data"][0]["showlegend"] is True  # the Host's first two minutes


def test_the_legend_names_unbilled_time_only_where_there_is_some():
    quote = quote_for({"model": "sip_mediaserver", "participants": [leg(0, 600), leg(30, 600)]})
    figure = charts.timeline(charts.timeline_rows(quote), charts.session_end(quote))
    grey = figure["data"][0]
    assert grey["name"] == "Connected, not billed"
    assert grey["showlegend"] is False  # every leg is billed from its first second
    assert len(grey["y"]) == 2  # still drawn under each row


def test_timeline_under_subscribed_minutes_bills_only_while_someone_else_publishes():
    quote = quote_for(
        {
            "model": "video_ssm",
            "participants": [
                leg(0, 600, name="Viewer"),
                leg(100, 400, name="Presenter", publish=200),
            ],
        }
    )
    rows = {row.label: row for row in charts.timeline_rows(quote)}
    assert rows["Viewer"].billed == ((200, 400),)
    assert rows["Presenter"].billed == ()


def test_conferences_show_as_unbilled_under_video_models():
    document = {"participants": [leg(0, 60, publish=0)], "conferences": [{"start": 0, "end": 60}]}
    sip = {
        r.label: r
        for r in charts.timeline_rows(quote_for({**document, "model": "sip_mediaserver"}))
    }
    ppm = {r.label: r for r in charts.timeline_rows(quote_for({**document, "model": "video_ppm"}))}
    assert sip["Conference 1"].billed
    assert sip["Conference 1"].billed_seconds == 60
    assert ppm["Conference 1"].billed == ()
    assert ppm["Conference 1"].billed_seconds == 0


def written_webinar() -> dict:
    """The 100-attendee webinar with its attendees written out as participants."""
    webinar = next(p for p in PRESETS if p.slug == "webinar")
    return scenario_document(written_out(parse_scenario(webinar.document)))


def test_a_large_session_is_grouped_into_readable_rows_that_keep_every_minute():
    quote = quote_for(written_webinar())
    rows = charts.timeline_rows(quote)
    people = len(quote.scenario.participants)
    assert len(rows) <= charts.GROUPS + 5
    assert sum(r.count for r in rows) == people
    billed = sum(b.total for b in quote.usage.charges if b.kind == "participant")
    assert sum(r.billed_seconds for r in rows) == billed
    # Presenters are not lumped in with attendees.
    assert rows[0].label == "Presenter"
    assert rows[2].label == "Attendees 1 … Attendees 3"
    assert rows[2].billed == ((0, 3012),)  # from 0:00 (billing start) to the last leave


def test_a_group_is_one_band_with_its_members_billed_time_and_count():
    webinar = next(p for p in PRESETS if p.slug == "webinar")
    quote = quote_for(webinar.document)
    rows = charts.timeline_rows(quote)
    assert [r.label for r in rows] == ["Presenter", "Co-presenter", "Attendees"]
    band = rows[2]
    assert (band.kind, band.count) == ("group", 100)
    assert band.connected == (0, 3600)
    assert band.billed == ((0, 3600),)
    written = quote_for(written_webinar())
    attendees = sum(
        int(b.seconds[b.positions >= 2].sum())
        for b in written.usage.charges
        if b.kind == "participant"
    )
    assert band.billed_seconds == attendees
    assert (
        "Attendees (100)"
        in charts.timeline(rows, Decimal(3600))["layout"]["yaxis"]["categoryarray"]
    )
    # Participants over time: exactly the steps of the members written out.
    assert charts.connected_steps(quote) == charts.connected_steps(written)


def test_thousands_of_steps_are_tabled_as_runs():
    quote = quote_for(BY_SLUG["webinar-10k"].document)
    steps = charts.connected_steps(quote)
    assert len(steps.times) > 1000
    assert max(steps.counts) == 10_002
    table = str(charts.steps_table(steps))
    assert table == (
        '<tr><td>0:00–10:00</td><td class="num">0 → 10,002</td></tr>'
        '<tr><td>10:00–45:00</td><td class="num">10,002</td></tr>'
        '<tr><td>45:00–1:00:00</td><td class="num">10,002 → 0</td></tr>'
    )


def test_a_band_of_subscribers_bills_wherever_one_of_them_would():
    # 70 viewers watching 70 presenters, one after another: a band's stretch is the union of
    # its members', however many publishers there are (never worked out viewer by viewer).
    people = [leg(60 * i, 60 * i + 60, name=f"Presenter {i}", publish=60 * i) for i in range(70)]
    people += [leg(0, 4200, name=f"Viewer {i}", subscribes=True) for i in range(70)]
    quote = quote_for({"model": "video_ssm", "participants": people})
    rows = charts.timeline_rows(quote)
    viewers = [r for r in rows if r.label.startswith("Viewer")]
    assert {r.billed for r in viewers} == {((0, 4200),)}
    presenters = [r for r in rows if r.label.startswith("Presenter")]
    # A presenter is connected only for its own turn, while nobody else publishes.
    assert presenters
    assert all(r.billed == () for r in presenters)
    total = sum(b.total for b in quote.usage.charges if b.kind == "subscriber")
    assert sum(r.billed_seconds for r in rows) == total


def test_rows_with_more_stretches_than_a_chart_can_show_say_how_many_there_are():
    presenters = [leg(10 * i, 10 * i + 5, name="Presenter", publish=10 * i) for i in range(300)]
    quote = quote_for(
        {"model": "video_ssm", "participants": [leg(0, 3000, name="Viewer"), *presenters]}
    )
    viewer = charts.timeline_rows(quote)[0]
    assert viewer.parts == 300
    assert len(viewer.billed) == charts.MAX_BARS
    assert viewer.billed[0][0] == 0
    assert viewer.billed[-1][1] == 2995
    table = charts.timeline_table([viewer])
    assert "300 stretches between 0:00 and 49:55" in table
    figure = charts.timeline([viewer], charts.session_end(quote))
    assert "300 stretches" in figure["data"][1]["customdata"][0]


def test_user_text_in_a_figure_shows_as_typed_never_as_plotly_html():
    name = '<a href="https://evil.example/">x</a> & <b>bold</b>'
    quote = quote_for({"model": "sip_mediaserver", "participants": [leg(0, 60, name=name)]})
    figure = charts.timeline(charts.timeline_rows(quote), charts.session_end(quote))
    label = '&lt;a href="https://evil.example/"&gt;x&lt;/a&gt; &amp; &lt;b&gt;bold&lt;/b&gt;'
    assert figure["layout"]["yaxis"]["categoryarray"] == [label]
    assert all(y == label for trace in figure["data"] for y in trace["y"])
    compared = charts.side_by_side([name, "Plain"], [Meter.VOICE_CALL], [[1], [2]], "USD")
    assert compared["data"][0]["name"] == label
    assert "<" not in compared["data"][0]["hovertemplate"].split("<extra>")[1].split("</extra>")[0]


def test_every_time_axis_of_a_session_reads_minutes_and_hours_alike():
    short = quote_for({"model": "sip_mediaserver", "participants": [leg(0, 600)]})
    long = quote_for(
        {
            "model": "sip_mediaserver",
            "participants": [leg(0, 600)],
            "recordings": [{"start": 0, "end": 7200}],
        }
    )
    for quote, ticks in ((short, "%-M:%S"), (long, "%-H:%M:%S")):
        end = charts.session_end(quote)
        timeline = charts.timeline(charts.timeline_rows(quote), end)
        concurrency = charts.concurrency(quote, charts.connected_steps(quote), end)
        assert timeline["layout"]["xaxis"]["tickformat"] == ticks
        assert concurrency["layout"]["xaxis"]["tickformat"] == ticks


def test_no_chart_offers_to_send_itself_anywhere():
    assert charts.CONFIG["showSendToCloud"] is False
    assert charts.CONFIG["showEditInChartStudio"] is False
    assert "sendDataToCloud" in charts.CONFIG["modeBarButtonsToRemove"]


def test_connected_steps_count_participants_over_time():
    quote = quote_for(
        {"model": "sip_mediaserver", "participants": [leg(0, 60), leg(30, 90), leg(30, 60)]}
    )
    steps = charts.connected_steps(quote)
    assert steps.times == [0, 30, 60, 90]
    assert steps.counts == [1, 3, 1, 0]
    # The same with a fraction of a second somewhere (no whole-second fast path); a moment
    # where as many leave as join is no step.
    fractional = quote_for(
        {
            "model": "sip_mediaserver",
            "participants": [leg(0, 60), leg(30, 90), leg(30, 60), leg(Decimal("0.5"), 60)],
        }
    )
    steps = charts.connected_steps(fractional)
    assert steps.seconds is None
    assert steps.times == [0, Decimal("0.5"), 30, 60, 90]
    assert steps.counts == [1, 2, 4, 1, 0]
    swap = quote_for({"model": "sip_mediaserver", "participants": [leg(0, 60), leg(60, 90)]})
    assert charts.connected_steps(swap).times == [0, 90]


def test_concurrency_marks_when_billing_starts():
    quote = quote_for({"model": "video_ppm", "participants": [leg(0, 600, publish=90)]})
    figure = charts.concurrency(quote, charts.connected_steps(quote), charts.session_end(quote))
    assert figure["layout"]["shapes"][0]["x0"] == "1970-01-01 00:01:30"
    assert figure["layout"]["annotations"][0]["text"] == "Billing starts 1:30"


def test_cost_chart_has_a_bar_per_meter_in_each_period_with_exact_labels():
    quote = quote_for(
        {
            "model": "sip_mediaserver",
            "sessions_per_month": 1000,
            "participants": [leg(0, 600)],
            "recordings": [{"start": 0, "end": 600}],
        }
    )
    session, month = charts.costs(quote)["data"]
    assert session["text"] == ["$0.0250", "$0.0400"]
    assert month["text"] == ["$25.00", "$40.00"]
    assert month["x"] == [float(Decimal("25.00")), float(Decimal("40.00"))]


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["video_ppm", "video_ssm"])
def test_a_session_where_no_participant_is_billed_draws_its_timeline(client, model):
    """Nobody publishes and nobody is on SIP: the engine charges no participant. The editor,
    the import and a saved item's pages show $0.00 and the timeline, unbilled."""
    document = {"model": model, "participants": [{"name": "Viewer", "join": 0, "leave": 600}]}
    rows = charts.timeline_rows(price_document(document))
    assert [(row.label, row.billed, row.billed_seconds) for row in rows] == [("Viewer", (), 0)]
    html = client.post("/import/", {"text": json.dumps(document)}).content.decode()
    assert "$0.00" in html


def test_whole_seconds_are_drawn_at_their_stamps_and_never_read_as_years():
    seconds = np.array([n * 37 for n in range(300)] + [1, 9, 10, 86_399, 86_400, 604_800])
    positions = charts.date_positions(seconds)
    stamps = [datetime.fromisoformat(charts.stamp(Decimal(int(s)))) for s in seconds]
    epoch = datetime(1970, 1, 1)
    assert [round(p) for p in positions] == [
        (t - epoch) // timedelta(milliseconds=1) for t in stamps
    ]
    # plotly.js reads a whole number of two or four digits on a date axis as a year.
    assert not any(p == int(p) and (10 <= p <= 99 or 1000 <= p <= 9999) for p in positions)


def test_a_webinars_steps_are_drawn_at_their_moments_with_the_exact_counts():
    quote = quote_for(BY_SLUG["webinar-10k"].document)
    steps = charts.connected_steps(quote)
    trace = charts.concurrency(quote, steps, charts.session_end(quote))["data"][0]
    assert trace["y"] == steps.counts
    assert [round(p / 1000) for p in trace["x"]] == [int(t) for t in steps.times]
