"""Save, share, copy — as two people in two browsers."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_save_share_copy_edit_and_the_original_is_unchanged(page, browser, console_errors):
    page.goto(f"{page.base_url}/editor/?template=contact-centre")
    page.wait_for_selector("[data-figure=fig-timeline] .main-svg")
    page.click("#save")
    page.wait_for_url("**/s/*/edit/")
    assert "Your private edit link" in page.inner_text(".edit-link")
    share_url = page.input_value("#share-link")
    # Each link has a button that copies it.
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.click("#share-link + button[data-copy]")
    page.wait_for_function(
        "document.querySelector('#share-link + button[data-copy]').innerText === 'Copied'"
    )
    assert page.evaluate("navigator.clipboard.readText()") == share_url
    assert page.locator(".edit-link button[data-copy]").count() == 1
    month = page.inner_text("[data-total=month]")

    context = browser.new_context(bypass_csp=True)
    visitor = context.new_page()
    visitor.goto(share_url)
    visitor.wait_for_selector("[data-figure=fig-timeline] .main-svg")
    assert visitor.inner_text("[data-total=month]") == month
    assert visitor.locator("form#scenario input").count() == 0
    assert visitor.locator("a", has_text="Edit").count() == 0

    visitor.click("#make-copy")
    visitor.wait_for_url("**/s/*/edit/")
    copy_url = visitor.url
    assert copy_url.split("/")[4] != share_url.split("/")[4]
    visitor.fill("#id_sessions_per_month", "6000")
    visitor.wait_for_function(
        f"document.querySelector('[data-total=month]').innerText !== {month!r}"
    )
    visitor.click("#save")
    visitor.wait_for_selector(".messages .success")
    copy_month = visitor.inner_text("[data-total=month]")
    assert copy_month != month

    page.goto(share_url)
    assert page.inner_text("[data-total=month]") == month
    visitor.goto(share_url)
    assert visitor.inner_text("[data-total=month]") == month
    context.close()
    assert console_errors == []


def test_on_a_phone_a_shared_scenario_needs_no_sideways_scrolling(page, console_errors):
    page.goto(f"{page.base_url}/editor/?template=video-meeting")
    page.click("#save")
    page.wait_for_url("**/s/*/edit/")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(page.input_value("#share-link"))
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    wide = page.evaluate(
        """[...document.querySelectorAll('.table-scroll')]
        .filter(e => e.scrollWidth > e.clientWidth).map(e => e.firstElementChild.className)"""
    )
    assert wide == []
    assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
    assert console_errors == []
