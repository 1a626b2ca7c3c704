"""The pages work with the Content Security Policy enforced: no inline script, no eval."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_live_editing_works_under_the_content_security_policy(strict_page, console_errors):
    page = strict_page
    response = page.goto(f"{page.base_url}/editor/?template=ivr-agent")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector("[data-figure=fig-timeline] .main-svg")
    page.fill("#id_p-1-leave", "12:00")
    page.wait_for_selector("[data-total=session]:has-text('$0.0720')")
    page.wait_for_selector("[data-figure=fig-timeline] .main-svg")
    page.fill("#id_p-1-leave", "0:30")
    page.wait_for_selector("#err-p-1-leave")
    page.click("#add-participant")
    page.wait_for_selector("#id_p-2-name")
    page.goto(f"{page.base_url}/estimates/new/?templates=ivr-only,webinar")
    page.wait_for_selector("[data-figure=fig-projection] .main-svg")
    page.goto(f"{page.base_url}/compare/?template=video-meeting")
    page.wait_for_selector("[data-figure=fig-curves] .main-svg")
    assert console_errors == []
