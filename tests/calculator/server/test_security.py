"""Security headers, CSRF, deployment checks and a database that is not there."""

import os
import secrets
import subprocess
import sys
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError
from django.test import Client

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[3]


def test_every_page_carries_the_security_headers():
    response = Client().get("/editor/?template=ivr-only")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_pages_have_no_inline_script():
    html = Client().get("/editor/?template=video-meeting").content.decode()
    import re

    for tag in re.findall(r"<script\b[^>]*>", html):
        assert 'src="' in tag or 'type="application/json"' in tag, tag


def test_state_changing_requests_need_the_csrf_token():
    from calculator.editor.presets import BY_SLUG
    from calculator.editor.scenario import document_data

    client = Client(enforce_csrf_checks=True)
    data = {**document_data(BY_SLUG["ivr-only"].document, "default"), "action": "save"}
    assert client.post("/editor/", data).status_code == 403
    client.get("/editor/")
    token = client.cookies["csrftoken"].value
    response = client.post("/editor/", data, HTTP_X_CSRFTOKEN=token, HTTP_HX_REQUEST="true")
    assert response.status_code == 204  # saved; htmx is told where to go


def test_a_database_that_is_down_gives_a_clear_503_page():
    with mock.patch(
        "calculator.models.SavedScenarioQuerySet.owned_by", side_effect=OperationalError("down")
    ):
        response = Client().get("/")
    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    assert "database is unavailable" in response.content.decode()
    assert "Traceback" not in response.content.decode()


def test_a_locked_database_gives_the_api_a_json_503():
    with mock.patch(
        "billing.cards.CardDirectory.__init__", side_effect=OperationalError("database is locked")
    ):
        response = Client().post(
            "/api/estimate", {"model": "sip_mediaserver"}, content_type="application/json"
        )
    assert response.status_code == 503
    assert response.json()["problems"][0]["message"].startswith(
        "The calculator's database is unavailable"
    )


def test_deploy_checks_pass_in_production_settings(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"},
        "DEBUG": "false",
        "HTTPS": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "calculator.example.com",
        "DATABASE_URL": f"sqlite:///{tmp_path}/deploy.sqlite3",
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def tight_limits(settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": (2, 60), "save": (2, 60)}


def test_the_api_answers_429_past_its_rate_limit(tight_limits):
    client = Client()
    body = {"model": "sip_mediaserver", "participants": [{"join": 0, "leave": 60}]}
    for _ in range(2):
        assert (
            client.post("/api/estimate", body, content_type="application/json").status_code == 200
        )
    response = client.post("/api/estimate", body, content_type="application/json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) >= 1
    assert "at most 2 API requests a minute" in response.json()["error"]


def test_saving_answers_429_past_its_rate_limit_and_saves_nothing_more(tight_limits):
    from calculator.editor.presets import BY_SLUG
    from calculator.editor.scenario import document_data
    from calculator.models import SavedScenario

    client = Client()
    data = {**document_data(BY_SLUG["ivr-only"].document, "default"), "action": "save"}
    assert [client.post("/editor/", data).status_code for _ in range(2)] == [302, 302]
    response = client.post("/editor/", data)
    assert response.status_code == 429
    assert "Too many saves" in response.content.decode()
    assert SavedScenario.objects.count() == 2
    # Live recalculation is not limited.
    assert (
        client.post("/editor/", {**data, "action": ""}, HTTP_HX_REQUEST="true").status_code == 200
    )


def test_an_oversized_import_is_refused_before_it_is_read():
    import io

    upload = io.BytesIO(b" " * 2_200_000)
    upload.name = "big.json"
    response = Client().post("/import/", {"file": upload})
    assert response.status_code == 413
    assert "over 2 MB" in response.content.decode()


@pytest.mark.parametrize(
    "path",
    ["/editor/?template=ivr-only", "/rules/", "/s/aaaaaaaaaaaaaaaaaaaaaaaa/", "/api/rate-cards"],
)
def test_an_unreachable_database_gives_a_503_not_a_traceback(path):
    script = (
        "import django; django.setup();"
        "from django.test import Client;"
        f"r = Client().get({path!r});"
        "print(r.status_code, r.get('Retry-After'), b'Traceback' in r.content)"
    )
    env = {
        **os.environ,
        "DATABASE_URL": "postgres://nobody@127.0.0.1:9/none",
        "DJANGO_SETTINGS_MODULE": "calculator.settings",
        "DEBUG": "false",
        "SECRET_KEY": "x" * 50,
    }
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.split() == ["503", "30", "False"], result.stdout + result.stderr[-2000:]


def test_a_database_error_outside_any_view_is_still_a_503():
    # A first save stores the browser's owner secret in the session, which middleware saves
    # after the view: a locked database there is still a 503, through handler500.
    from calculator.editor.presets import BY_SLUG
    from calculator.editor.scenario import document_data

    client = Client(raise_request_exception=False)
    data = {**document_data(BY_SLUG["ivr-only"].document, "default"), "action": "save"}
    with mock.patch(
        "django.contrib.sessions.backends.db.SessionStore.save",
        side_effect=OperationalError("database table is locked"),
    ):
        response = client.post("/editor/", data)
    assert response.status_code == 503
    assert "database is unavailable" in response.content.decode()


def test_an_unexpected_error_is_a_plain_500_page_without_a_traceback():
    client = Client(raise_request_exception=False)
    with mock.patch("calculator.pages.mine_for", side_effect=RuntimeError("boom")):
        response = client.get("/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()
    assert "Traceback" not in response.content.decode()


def _saved_with_edit_link() -> str:
    """An anonymous save, and the private edit link it showed once."""
    import re

    from calculator.editor.presets import BY_SLUG
    from calculator.editor.scenario import document_data

    owner = Client()
    data = {**document_data(BY_SLUG["ivr-only"].document, "default"), "action": "save"}
    edit = owner.post("/editor/", data)["Location"]
    html = owner.get(edit).content.decode()
    return re.search(r'value="http://testserver(/s/[^/]+/edit/[^/"]+/)"', html).group(1)


def test_a_private_edit_link_never_reaches_the_logs(caplog):
    import logging

    link = _saved_with_edit_link()
    token = link.rstrip("/").rsplit("/", 1)[1]
    caplog.set_level(logging.DEBUG)
    assert Client().get(link).status_code == 302
    wrong = link.replace(token, token[::-1])
    assert Client().get(wrong).status_code == 403  # logged by django.request as a warning
    assert Client().get(f"/s/no-such-scenario/edit/{token}/").status_code == 404
    # runserver's request log, as it writes a request line
    logging.getLogger("django.server").info('"%s" %s %s', f"GET {link} HTTP/1.1", 302, 0)
    messages = [record.getMessage() for record in caplog.records]
    assert any("/edit/[redacted]/" in message for message in messages), messages
    assert not [m for m in messages if token in m or token[::-1] in m]


def test_an_edit_link_pasted_to_compare_leaves_the_address_and_the_logs(caplog):
    import logging
    from urllib.parse import urlencode

    link = _saved_with_edit_link()
    key, token = link.split("/")[2], link.rstrip("/").rsplit("/", 1)[1]
    other = _saved_with_edit_link().split("/")[2]
    caplog.set_level(logging.DEBUG)
    visitor = Client()
    asked = f"/compare/saved/?{urlencode({'k': [f'http://testserver{link}', other]}, doseq=True)}"
    answer = visitor.get(asked)
    # Sent on to the same comparison, by share links only.
    assert answer.status_code == 302
    assert token not in answer["Location"]
    assert key in answer["Location"]
    page = visitor.get(answer["Location"]).content.decode()
    assert "edit link was taken out of this page" in page
    assert f'href="/s/{key}/"' in page  # the two compared, side by side
    assert f'href="/s/{other}/"' in page
    assert token not in page
    # The request line as an access log writes it, with the link URL-encoded in the query.
    logging.getLogger("uvicorn.access").info("GET %s HTTP/1.1 302", asked)
    messages = [record.getMessage() for record in caplog.records]
    assert any("%2Fedit%2F[redacted]" in message for message in messages), messages
    assert not [m for m in messages if token in m]


def test_an_edit_link_is_never_sent_on_as_a_referer():
    link = _saved_with_edit_link()
    right, wrong = Client().get(link), Client().get(link[:-4] + "xyz/")
    assert (right.status_code, wrong.status_code) == (302, 403)
    for response in (right, wrong):
        assert response["Referrer-Policy"] == "no-referrer"
        assert "no-store" in response["Cache-Control"]
