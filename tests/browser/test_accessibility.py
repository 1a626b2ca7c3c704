"""Every page, in the states people meet it in, checked by axe-core (the engine behind most
accessibility audits) on a laptop and on a phone: no violation of any impact."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def editor(page, slug):
    page.goto(f"{page.base_url}/editor/?template={slug}")
    page.wait_for_selector("[data-figure=fig-timeline] .main-svg")


def with_field_errors(page):
    editor(page, "ivr-agent")
    page.fill("#id_p-1-leave", "0:10")  # before its join
    page.wait_for_selector("#err-p-1-leave")
    page.fill("#id_bulk-count", "0")
    page.click("#bulk-add")
    page.wait_for_selector("#err-bulk-count")


def compare(page):
    editor(page, "conference")
    page.click("text=Compare pricing models side by side")
    page.wait_for_selector("[data-figure=fig-curves] .main-svg")


def saved(page):
    editor(page, "contact-centre")
    page.click("#save")
    page.wait_for_url("**/s/*/edit/")


def shared(page):
    saved(page)
    page.goto(page.input_value("#share-link"))


def printed(page):
    saved(page)
    page.click("text=Print / PDF")


def side_by_side(page):
    saved(page)
    editor(page, "ivr-only")
    page.click("#save")
    page.wait_for_url("**/s/*/edit/")
    page.goto(f"{page.base_url}/compare/saved/")
    page.check("fieldset input[type=checkbox] >> nth=0")
    page.check("fieldset input[type=checkbox] >> nth=1")
    page.click("button:has-text('Compare')")
    page.wait_for_selector("table.compare")


def estimate(page):
    page.goto(f"{page.base_url}/estimates/new/")
    page.select_option("#id_new_template", "ivr-agent")
    page.click("#add-template")
    page.wait_for_selector("[data-figure=fig-projection] .main-svg")


STATES = {
    "start": lambda page: page.goto(f"{page.base_url}/"),
    "editor, blank": lambda page: editor(page, ""),
    "editor, webinar": lambda page: editor(page, "webinar"),
    "editor, video meeting": lambda page: editor(page, "video-meeting"),
    "editor with errors": with_field_errors,
    "compare models": compare,
    "saved scenario": saved,
    "shared, read-only": shared,
    "print": printed,
    "saved side by side": side_by_side,
    "estimate": estimate,
    "rules": lambda page: page.goto(f"{page.base_url}/rules/"),
    "import": lambda page: page.goto(f"{page.base_url}/import/"),
    "log in": lambda page: page.goto(f"{page.base_url}/accounts/login/"),
}


@pytest.mark.parametrize("state", list(STATES), ids=list(STATES))
def test_no_accessibility_violations_on_a_laptop_or_a_phone(page, console_errors, state):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    page.set_viewport_size(LAPTOP)
    STATES[state](page)
    page.wait_for_load_state("networkidle")
    # Tables behind "... as a table" are checked too.
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    found = {}
    for name, viewport in (("laptop", LAPTOP), ("phone", PHONE)):
        page.set_viewport_size(viewport)
        page.wait_for_timeout(300)  # the page's own response to a resize
        found[name] = [
            f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
            for v in axe.run(page).response["violations"]
        ]
    assert found == {"laptop": [], "phone": []}
    assert console_errors == []
