"""The usage page as a person uses it: a file chosen, its header named otherwise, the columns
said, the progress shown, the report with its charts; a bad file answered beside the upload;
the form without the page's script."""

from __future__ import annotations

import pytest

from calculator.models import UsageReport

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RECORDS = "CallID,Begin,Finish,Media,Publish\n" + "".join(
    f"call-{n},{1_793_520_000 + 3600 * n},{1_793_520_000 + 3600 * n + 600 + n},video,"
    f"{1_793_520_000 + 3600 * n}\n"
    f"call-{n},{1_793_520_000 + 3600 * n + 30},{1_793_520_000 + 3600 * n + 600},video,\n"
    for n in range(60)
)


def test_a_file_with_its_own_header_is_mapped_priced_and_reported(page, console_errors, tmp_path):
    path = tmp_path / "october.csv"
    path.write_text(RECORDS)
    page.goto(f"{page.base_url}/usage/")
    page.set_input_files("#usage-file", str(path))
    assert "october.csv" in page.inner_text("[data-chosen]")
    page.click("[data-submit]")
    # The header names no session, start or end: the page asks which column is which.
    page.wait_for_selector("fieldset.mapping")
    assert "CallID" in page.inner_text("fieldset.mapping table")
    page.select_option("#map-session", "CallID")
    page.select_option("#map-start", "Begin")
    page.select_option("#map-end", "Finish")
    assert page.input_value("#map-media") == "Media"  # named alike: chosen already
    page.click("text=Price the file with these columns")
    page.wait_for_url("**/u/*/")
    page.wait_for_selector("[data-figure=fig-histogram] .main-svg")
    page.wait_for_selector("[data-figure=fig-days] .main-svg")
    report = UsageReport.objects.get()
    assert page.inner_text("[data-total=month]").startswith("$")
    assert report.report["result"]["sessions"] == 60
    assert "60 sessions from 120 records" in page.inner_text("header.panel")
    assert page.locator("text=Open in the editor").count() == 20
    page.click("text=Open in the editor >> nth=0")
    page.wait_for_selector("[data-total=month]")
    assert page.locator("input[name='p-1-name']").count() == 1
    # Back to the upload, the file still chosen is the one sent again.
    page.go_back()
    page.go_back()
    page.wait_for_selector("[data-submit]")
    page.click("[data-submit]")
    page.wait_for_url("**/u/*/")
    assert UsageReport.objects.count() == 2
    # "Price another file" keeps the columns said, for the next export of the same system.
    page.click("text=Price another file")
    assert "CallID</code> is session" in page.inner_html("[data-mapping-kept]")
    assert not console_errors


def test_a_bad_file_is_answered_beside_the_upload(page, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("session,start,end\na,90,30\n")
    page.goto(f"{page.base_url}/usage/")
    page.set_input_files("#usage-file", str(path))
    page.click("[data-submit]")
    page.wait_for_selector("[data-problems]:not([hidden])")
    assert "line 2: end: must not be before start" in page.inner_text("[data-problems]")
    assert page.is_enabled("[data-submit]")
    assert not UsageReport.objects.exists()


def test_without_the_script_the_form_still_prices(page_without_js, tmp_path):
    page = page_without_js
    path = tmp_path / "month.csv"
    path.write_text("session,start,end\na,0,600\na,30,600\n")
    page.goto(f"{page.base_url}/usage/")
    page.set_input_files("#usage-file", str(path))
    page.click("[data-submit]")
    page.wait_for_url("**/u/*/")
    assert "1 session from 2 records" in page.inner_text("header.panel")


def test_on_a_phone_the_mapping_step_needs_no_sideways_scrolling(page, tmp_path):
    path = tmp_path / "export.csv"
    path.write_text(
        "call_id,participant,joined_at,left_at,type,media_type,a_long_column_name\n"
        "call-0000,P1,202,536,participant,voice,x\n"
    )
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{page.base_url}/usage/")
    page.set_input_files("#usage-file", str(path))
    page.click("[data-submit]")
    page.wait_for_selector("fieldset.mapping")
    assert page.input_value("#map-session") == "call_id"  # offered, for the person to check
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
