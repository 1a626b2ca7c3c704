"""What only a browser can show: live updates without a page load, and the page without JS."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_template(page, slug):
    page.goto(f"{page.base_url}/editor/?template={slug}")
    page.wait_for_selector("[data-figure=fig-timeline] .main-svg")
    page.evaluate("window.__sameDocument = true")


def session_total(page):
    return page.inner_text("[data-total=session]")


def test_changing_a_leave_time_redraws_total_and_timeline_without_a_page_load(page, console_errors):
    open_template(page, "ivr-agent")
    sent = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" else None)
    before_total = session_total(page)
    before_bars = page.evaluate(
        "document.querySelector('[data-figure=fig-timeline]')._fullData[1].x.slice()"
    )
    page.fill("#id_p-1-leave", "12:00")
    page.wait_for_function(
        f"document.querySelector('[data-total=session]').innerText !== {before_total!r}"
    )
    assert session_total(page) == "$0.0720"
    page.locator("#plot-timeline").scroll_into_view_if_needed()  # where the user looks
    page.wait_for_function(
        "((document.querySelector('[data-figure=fig-timeline]')._fullData || [])[1] || {x: []}).x[1] === 630000"
    )
    after_bars = page.evaluate(
        "document.querySelector('[data-figure=fig-timeline]')._fullData[1].x"
    )
    assert after_bars != before_bars
    assert page.evaluate("window.__sameDocument") is True
    # The fields go as one JSON object (the json-form extension), token included.
    assert sent
    assert sent[-1].headers["content-type"] == "application/json"
    assert sent[-1].headers["x-form-encoding"] == "json"
    assert sent[-1].post_data_json["p-1-leave"] == "12:00"
    assert sent[-1].post_data_json["csrfmiddlewaretoken"]
    assert console_errors == []


def test_a_choice_prices_at_once_and_typing_once_it_pauses(page, console_errors):
    """A select, a checkbox or a radio button is final when chosen: no pause, one request.
    Typing waits for the pause (the page's clock is held still here, so only a request sent
    without waiting can go)."""
    page.clock.install()
    open_template(page, "all-hands")
    sent = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.method == "POST" else None)
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.select_option("#id_p-1-media", "voice")
    assert [data["p-1-media"] for data in sent] == ["voice"]
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.click("#id_p-2-subscribes")
    assert len(sent) == 2
    assert "p-2-subscribes" not in sent[-1]
    page.fill("#id_p-1-leave", "40:00")
    page.wait_for_timeout(100)  # (real time passes; the page's timers do not)
    assert len(sent) == 2
    with page.expect_response(lambda r: r.request.method == "POST"):
        page.clock.run_for(300)
    assert sent[-1]["p-1-leave"] == "40:00"
    page.clock.run_for(1000)
    page.wait_for_timeout(100)
    assert len(sent) == 3
    assert console_errors == []


def test_a_live_update_redraws_the_charts_in_place_keeping_their_zoom(page, console_errors):
    open_template(page, "ivr-agent")
    timeline = "document.querySelector('[data-figure=fig-timeline]')"
    page.evaluate(f"{timeline}.dataset.original = 'yes'")
    page.evaluate(f"Plotly.relayout({timeline}, {{'xaxis.range': [60000, 300000]}})")
    zoomed = page.evaluate(f"{timeline}._fullLayout.xaxis.range")
    before_total = session_total(page)
    page.fill("#id_p-1-leave", "12:00")
    page.wait_for_function(
        f"document.querySelector('[data-total=session]').innerText !== {before_total!r}"
    )
    page.locator("#plot-timeline").scroll_into_view_if_needed()
    page.wait_for_function(f"(({timeline}._fullData || [])[1] || {{x: []}}).x[1] === 630000")
    assert page.evaluate(f"{timeline}.dataset.original") == "yes"
    assert page.evaluate(f"{timeline}._fullLayout.xaxis.range") == zoomed
    assert console_errors == []


def test_charts_away_from_the_screen_are_redrawn_when_scrolled_to_not_while_typing(
    page, console_errors
):
    open_template(page, "all-hands")
    page.evaluate(
        """() => {
          window.__drawn = [];
          const react = Plotly.react;
          Plotly.react = function (el, ...rest) {
            window.__drawn.push(el.dataset.figure);
            return react.call(this, el, ...rest);
          };
        }"""
    )
    timeline = "document.querySelector('[data-figure=fig-timeline]')"
    assert page.evaluate(f"{timeline}.getBoundingClientRect().top > innerHeight + 300")
    before = page.evaluate(f"{timeline}._fullData[1].x.slice()")
    total = session_total(page)
    page.fill("#id_p-1-leave", "40:00")
    page.wait_for_function(
        f"document.querySelector('[data-total=session]').innerText !== {total!r}"
    )
    page.wait_for_timeout(500)
    assert page.evaluate("window.__drawn") == []  # nothing drawn out of sight
    page.locator("#plot-timeline").scroll_into_view_if_needed()
    page.wait_for_function("window.__drawn.includes('fig-timeline')")
    assert page.evaluate(f"{timeline}._fullData[1].x") != before
    page.locator("#plot-costs").scroll_into_view_if_needed()
    page.wait_for_function("window.__drawn.includes('fig-costs')")
    drawn = page.evaluate("window.__drawn.length")
    page.locator("#plot-timeline").scroll_into_view_if_needed()  # unchanged since: not redrawn
    page.wait_for_timeout(300)
    assert page.evaluate("window.__drawn.length") == drawn
    assert console_errors == []


def test_on_a_phone_the_editor_and_its_results_need_no_sideways_scrolling(page, console_errors):
    page.set_viewport_size({"width": 390, "height": 844})
    open_template(page, "video-meeting")
    for field in ("name", "endpoint", "media", "direction", "join", "leave", "publish", "streams"):
        box = page.locator(f"#id_p-0-{field}").bounding_box()
        assert box["x"] >= 0, field
        assert box["x"] + box["width"] <= 390, field
    # No sideways scrolling, of the page or of the participants' table.
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    scroller = "document.querySelector('table.participants').closest('.table-scroll')"
    assert page.evaluate(f"{scroller}.scrollWidth <= {scroller}.clientWidth")
    label = page.evaluate(
        "getComputedStyle(document.querySelector('#row-p-0 td[data-label=Leave]'), '::before').content"
    )
    assert label == '"Leave"'
    # The results too: the breakdown, the charts' tables, the models side by side.
    page.evaluate("document.querySelectorAll('#results details').forEach(d => d.open = true)")
    wide = page.evaluate(
        """[...document.querySelectorAll('#results .table-scroll')]
        .filter(e => e.scrollWidth > e.clientWidth).map(e => e.firstElementChild.className)"""
    )
    assert wide == []
    assert page.is_visible("table.breakdown tfoot td[data-label='Per month']")
    assert console_errors == []


def test_on_a_phone_the_compare_page_charts_only_real_participant_counts(page, console_errors):
    page.set_viewport_size({"width": 390, "height": 844})
    open_template(page, "conference")
    page.click("text=Compare pricing models side by side")
    page.wait_for_selector("[data-figure=fig-curves] .main-svg")
    low, high = page.evaluate(
        "document.querySelector('[data-figure=fig-curves]')._fullLayout.xaxis.range"
    )
    assert low > 0  # the crossover's label once stretched the axis to -5 participants
    assert high < 13
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    scroller = "document.querySelector('table.compare').closest('.table-scroll')"
    assert page.evaluate(f"{scroller}.scrollWidth <= {scroller}.clientWidth")
    assert console_errors == []


def test_empty_override_fields_show_the_chosen_cards_values(page, console_errors):
    from decimal import Decimal

    from billing.models import RateCardVersion

    card = RateCardVersion.objects.create(
        slug="partner",
        name="Partner card",
        currency="EUR",
        terms={"fees": {"platform": {"label": "Platform", "per": "month", "price": "99.00"}}},
    )
    card.rates.create(meter="voice_call_minutes", rate=Decimal("0.0125"))
    open_template(page, "ivr-only")
    assert "alexa_device" in page.inner_text("#card-fees-hint")
    page.click("summary:has-text('Deal terms')")
    assert page.get_attribute("#id_rate_voice_call_minutes", "placeholder") == "0.0040"
    assert page.get_attribute("#id_currency", "placeholder") == "USD"
    page.select_option("#id_rate_card", "partner")
    page.wait_for_function(
        "document.querySelector('#id_rate_voice_call_minutes').placeholder === '0.0125'"
    )
    assert page.get_attribute("#id_currency", "placeholder") == "EUR"
    assert page.input_value("#id_rate_voice_call_minutes") == ""  # shown, not filled in
    # The fees the editor names and suggests are the chosen card's, not the last one's.
    assert "platform (Platform, €99.00 a month)" in page.inner_text("#card-fees-hint")
    assert "alexa_device" not in page.inner_text("#card-fees-hint")
    assert page.eval_on_selector_all("#card-fees option", "os => os.map(o => o.value)") == [
        "platform"
    ]
    assert console_errors == []


def test_each_change_is_sent_once(page, console_errors):
    open_template(page, "ivr-agent")
    sent = []
    page.on("request", lambda r: sent.append(r.post_data_json) if r.method == "POST" else None)
    page.click("#id_p-1-leave")
    page.keyboard.press("Control+A")
    page.keyboard.type("12:00", delay=50)
    page.wait_for_function("document.querySelector('[data-total=session]').innerText === '$0.0720'")
    page.keyboard.press("Tab")  # leaving the field changes nothing more
    page.select_option("#id_p-1-media", "video")
    page.wait_for_timeout(600)
    assert [(body["p-1-leave"], body["p-1-media"]) for body in sent] == [
        ("12:00", "voice"),
        ("12:00", "video"),
    ]
    assert console_errors == []


def test_when_a_live_update_fails_the_old_figures_are_marked_as_not_current(page):
    open_template(page, "ivr-agent")
    before = session_total(page)
    page.route("**/editor/", lambda route: route.fulfill(status=503, body="down"))
    page.fill("#id_p-1-leave", "12:00")
    warning = page.wait_for_selector("#results .stale-note")
    assert "Not updated: the server answered 503" in warning.inner_text()
    assert "stale" in page.get_attribute("#results", "class")
    assert session_total(page) == before
    page.unroute("**/editor/")
    page.fill("#id_p-1-leave", "12:01")
    page.wait_for_selector("#results .stale-note", state="detached")
    assert session_total(page) == "$0.0720"
    assert "stale" not in page.get_attribute("#results", "class")


def test_bulk_add_makes_a_group_whose_leave_range_changes_totals_band_and_breakdown(
    page, console_errors
):
    open_template(page, "video-meeting")
    page.fill("#id_bulk-count", "10000")
    page.fill("#id_bulk-name", "Attendees")
    page.click("#bulk-add")
    page.wait_for_selector("#id_g-0-name")
    # One row for ten thousand people, and the participants as they were.
    assert page.locator("table.groups tbody tr").count() == 1
    assert page.locator("table.participants tbody tr").count() == 6
    assert page.input_value("#id_g-0-count") == "10000"
    assert "10,006 connected in all" in page.inner_text("#groups-title")
    page.wait_for_function("document.querySelector('[data-total=session]') !== null")
    before = session_total(page)
    breakdown = page.inner_text("table.breakdown")
    assert "Attendees: 10,000 participants" in breakdown
    timeline = "document.querySelector('[data-figure=fig-timeline]')"
    page.locator("#plot-timeline").scroll_into_view_if_needed()
    # The group is one band, after the participants' rows, with how many it holds.
    page.wait_for_function(
        f"({timeline}._fullLayout || {{yaxis: {{categoryarray: []}}}}).yaxis.categoryarray.at(-1)"
        " === 'Attendees (10,000)'"
    )
    assert page.evaluate(f"{timeline}._fullLayout.yaxis.categoryarray.length") == 7
    bars = page.evaluate(f"JSON.stringify({timeline}._fullData.map(t => [t.y, t.x]))")
    # They stay ten minutes longer: the totals, the breakdown and the band all change.
    page.fill("#id_g-0-leave_to", "1:10:00")
    page.wait_for_function(
        f"document.querySelector('[data-total=session]').innerText !== {before!r}"
    )
    assert session_total(page) != before
    assert page.inner_text("table.breakdown") != breakdown
    page.locator("#plot-timeline").scroll_into_view_if_needed()  # charts redraw where seen
    page.wait_for_function(
        f"JSON.stringify({timeline}._fullData.map(t => [t.y, t.x])) !== {bars!r}"
    )
    # Fewer of them: the heading's count follows what is typed, with the totals.
    page.fill("#id_g-0-count", "2500")
    page.wait_for_function(
        "document.getElementById('groups-sum').innerText.includes('2,506 connected in all')"
    )
    assert page.evaluate("window.__sameDocument") is True
    assert console_errors == []


def test_a_group_written_out_becomes_rows(page, console_errors):
    open_template(page, "webinar")
    before = session_total(page)
    page.click("button[value='write-out:g:0']")
    page.wait_for_selector("#id_p-101-name")
    assert page.input_value("#id_p-2-name") == "Attendees 1"
    assert page.locator("table.groups").count() == 0
    page.wait_for_function("document.querySelector('[data-total=session]') !== null")
    assert session_total(page) == before
    assert console_errors == []


def test_a_validation_error_appears_beside_the_field_and_clears(page, console_errors):
    open_template(page, "ivr-agent")
    page.fill("#id_p-1-leave", "0:30")
    message = page.wait_for_selector("#err-p-1-leave")
    assert "must not be before join" in message.inner_text()
    assert page.get_attribute("#id_p-1-leave", "aria-invalid") == "true"
    # The message sits right after the field at fault.
    assert (
        page.evaluate("document.getElementById('id_p-1-leave').nextElementSibling.id")
        == "err-p-1-leave"
    )
    page.fill("#id_p-1-leave", "9:00")
    page.wait_for_selector("#err-p-1-leave", state="detached")
    assert page.get_attribute("#id_p-1-leave", "aria-invalid") is None
    assert session_total(page) == "$0.0600"
    assert console_errors == []


def test_adding_and_removing_rows_keeps_the_charts(page, console_errors):
    open_template(page, "contact-centre")
    page.click("#add-participant")
    page.wait_for_selector("#id_p-2-name")
    page.wait_for_selector("[data-figure=fig-timeline] .main-svg")
    page.click("button[value='remove:p:2']")
    page.wait_for_selector("#id_p-2-name", state="detached")
    assert page.evaluate("window.__sameDocument") is True
    assert console_errors == []


def test_rows_can_be_added_and_removed_from_the_keyboard(page, console_errors):
    open_template(page, "ivr-agent")
    page.focus("#add-participant")
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_p-2-name")
    # Focus moves to the new row, ready to type its name.
    page.wait_for_function("document.activeElement.id === 'id_p-2-name'")
    page.keyboard.press("Control+A")
    page.keyboard.type("Supervisor")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "p-2-endpoint"
    page.focus("button[value='remove:p:0']")
    page.keyboard.press("Enter")
    page.wait_for_selector("#id_p-2-name", state="detached")
    page.wait_for_function("document.activeElement.id === 'id_p-0-name'")
    assert page.input_value("#id_p-0-name") == "Agent"
    assert page.input_value("#id_p-1-name") == "Supervisor"
    assert console_errors == []


def test_every_template_loads_without_console_errors(page, console_errors):
    for slug in (
        "ivr-only",
        "ivr-agent",
        "contact-centre",
        "conference",
        "video-meeting",
        "webinar",
        "webinar-10k",
        "town-hall",
    ):
        open_template(page, slug)
    page.goto(f"{page.base_url}/")
    page.goto(f"{page.base_url}/rules/")
    assert console_errors == []


def test_without_javascript_the_form_posts_and_the_page_computes(page_without_js):
    page = page_without_js
    page.goto(f"{page.base_url}/editor/?template=ivr-agent")
    assert page.inner_text("[data-total=session]") == "$0.0520"
    page.fill("#id_p-1-leave", "12:00")
    with page.expect_navigation():
        page.click(".submit-bar >> text=Recalculate")
    assert page.inner_text("[data-total=session]") == "$0.0720"
    with page.expect_navigation():
        page.click("#add-participant")
    assert page.locator("table.participants tbody tr").count() == 3
    with page.expect_navigation():
        page.click("text=Compare pricing models side by side")
    assert "under each pricing model" in page.inner_text("h1")


def month_total(page):
    return page.inner_text("[data-total=month]")


def test_fees_and_add_ons_are_counted_and_priced_live(page, console_errors):
    open_template(page, "ivr-agent")
    before = month_total(page)
    # The default card's sample fees: count ten provisioned Alexa devices.
    page.click("#add-f")
    page.wait_for_selector("#id_f-0-fee:focus")
    page.fill("#id_f-0-fee", "alexa_device")
    page.fill("#id_f-0-count", "10")
    page.wait_for_selector("text=10 × $2.00 a month = $20.00")
    assert month_total(page) != before
    with_fee = month_total(page)
    # A new add-on for this deal, at 0.0020 a minute, and ten minutes of it.
    page.click("details.overrides > summary")
    page.click("#add-x")
    page.wait_for_selector("#id_x-0-key:focus")
    page.fill("#id_x-0-key", "sip_trunk_minutes")
    page.fill("#id_x-0-label", "SIP trunk")
    page.fill("#id_x-0-rate", "0.0020")
    page.wait_for_selector("#add-a")
    page.click("#add-a")
    page.wait_for_selector("#id_a-0-meter:focus")
    page.fill("#id_a-0-meter", "sip_trunk_minutes")
    page.fill("#id_a-0-end", "10:00")
    page.wait_for_selector("text=1 interval × 10 min = 10 min × $0.0020 = $0.0200")
    assert month_total(page) != with_fee
    # An add-on the card does not have: the message beside its input.
    page.fill("#id_a-0-meter", "nope")
    message = page.wait_for_selector("#err-a-0-meter")
    assert "no add-on 'nope'" in message.inner_text()
    assert page.evaluate("window.__sameDocument") is True
    assert console_errors == []
