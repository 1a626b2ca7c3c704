"""An estimate built, projected and shared in a real browser."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_build_an_estimate_set_growth_share_it_and_open_it_read_only(page, browser, console_errors):
    page.goto(f"{page.base_url}/estimates/new/")
    page.select_option("#id_new_template", "ivr-only")
    page.click("#add-template")
    page.wait_for_selector("text=IVR only")
    page.select_option("#id_new_template", "ivr-agent")
    page.click("#add-template")
    # Wait for the second scenario's results, then for its chart to be drawn.
    page.wait_for_selector("#estimate-results tr:has-text('IVR then agent transfer')")
    flat = page.wait_for_function(
        "(() => { const d = document.querySelector('[data-figure=fig-projection]')._fullData;"
        " return d && d.length && d[0].y.slice(); })()"
    ).json_value()
    assert len(set(flat)) == 1
    page.fill("#id_growth_percent", "10")
    page.locator("#plot-projection").scroll_into_view_if_needed()  # drawn where it is seen
    page.wait_for_function(
        "(() => { const d = document.querySelector('[data-figure=fig-projection]')._fullData;"
        " return d && d.length && d[0].y[11] > d[0].y[0]; })()"
    )
    page.fill("#id_name", "Acme: IVR and agents")
    page.wait_for_timeout(600)
    month = page.inner_text("[data-total=month]")
    page.click("#save")
    page.wait_for_url("**/s/*/edit/")
    share_url = page.input_value("#share-link")

    context = browser.new_context(bypass_csp=True)
    visitor = context.new_page()
    visitor.goto(share_url)
    visitor.wait_for_selector("[data-figure=fig-projection] .main-svg")
    assert visitor.inner_text("h1").startswith("Acme: IVR and agents")
    assert visitor.inner_text("[data-total=month]") == month
    assert visitor.locator("#estimate-form").count() == 0
    assert visitor.locator("table.projection tbody tr").count() == 12
    context.close()
    assert console_errors == []


def test_a_bad_number_in_a_live_update_is_named_beside_its_field(page, console_errors):
    page.goto(f"{page.base_url}/estimates/new/?templates=ivr-only")
    page.wait_for_selector("[data-figure=fig-projection] .main-svg")
    page.fill("#id_discount_percent", "150")
    message = page.wait_for_selector("#err-discount_percent")
    assert "100" in message.inner_text()
    assert page.get_attribute("#id_discount_percent", "aria-invalid") == "true"
    assert "Discount on everything" in page.inner_text("#estimate-results .alert")
    page.fill("#id_discount_percent", "10")
    page.wait_for_selector("#err-discount_percent", state="detached")
    assert page.get_attribute("#id_discount_percent", "aria-invalid") is None
    assert console_errors == []


def test_a_link_that_added_nothing_is_kept_to_correct_and_its_message_goes_at_the_next_edit(
    page, console_errors
):
    page.goto(f"{page.base_url}/estimates/new/?templates=ivr-only")
    page.wait_for_selector("#estimate-results")
    page.fill("#id_new_link", "https://example.com/s/nothing-here-at-all-123/")
    page.click("button[value=add-link]")
    page.wait_for_selector("text=No saved scenario has that link (mistyped, or deleted).")
    assert page.input_value("#id_new_link") == "https://example.com/s/nothing-here-at-all-123/"
    page.fill("#id_growth_percent", "5")
    page.wait_for_selector(
        "text=No saved scenario has that link (mistyped, or deleted).", state="detached"
    )
    assert console_errors == []
