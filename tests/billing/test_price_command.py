"""`python manage.py price FILE...`: the same engine from the command line."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import leg

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def write(tmp_path, name, document):
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


CONFERENCE = {
    "model": "sip_mediaserver",
    "participants": [leg(0, 600), leg(0, 600), leg(0, 600)],
    "conferences": [{"start": 0, "end": 600}],
}


def test_price_prints_the_result_document(tmp_path, capsys):
    call_command("price", write(tmp_path, "a.json", CONFERENCE))
    result = json.loads(capsys.readouterr().out)
    assert result["per_session"]["total"] == "0.1600"


def test_several_files_print_several_results(tmp_path, capsys):
    video = {"model": "video_ppm", "participants": [leg(0, 600, publish=0)]}
    call_command("price", write(tmp_path, "a.json", CONFERENCE), write(tmp_path, "b.json", video))
    results = json.loads(capsys.readouterr().out)
    assert [r["model"] for r in results] == ["sip_mediaserver", "video_ppm"]
    assert results[1]["file"].endswith("b.json")


def test_text_output_is_a_table(tmp_path, capsys):
    call_command("price", write(tmp_path, "a.json", CONFERENCE), "--text")
    out = capsys.readouterr().out
    assert "Voice call minutes" in out
    assert "0.1600" in out


def test_bad_files_exit_non_zero_naming_every_problem(tmp_path, capsys):
    bad = write(tmp_path, "bad.json", {"model": "sip_mediaserver", "participants": [leg(9, 1)]})
    broken = write(tmp_path, "broken.json", "{")
    with pytest.raises(CommandError) as error:
        call_command("price", bad, broken, write(tmp_path, "ok.json", CONFERENCE))
    assert error.value.returncode == 1
    err = capsys.readouterr().err
    assert f"{bad}: participants[0].leave: must not be before join" in err
    assert f"{broken}: not valid JSON" in err


def test_a_missing_file_is_named(tmp_path, capsys):
    with pytest.raises(CommandError):
        call_command("price", str(tmp_path / "missing.json"))
    assert "cannot read the file" in capsys.readouterr().err


def test_the_command_runs_as_a_process_reading_stdin_with_exit_codes(tmp_path):
    env_db = tmp_path / "cli.sqlite3"
    env = {"DATABASE_URL": f"sqlite:///{env_db}", "PATH": "/usr/bin:/bin"}
    manage = [sys.executable, str(ROOT / "manage.py")]
    subprocess.run([*manage, "migrate", "-v0"], check=True, env=env, cwd=ROOT)
    ok = subprocess.run(
        [*manage, "price", "-"],
        input=json.dumps(CONFERENCE),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout)["per_session"]["total"] == "0.1600"
    bad = subprocess.run(
        [*manage, "price", "-"], input="[]", capture_output=True, text=True, env=env, cwd=ROOT
    )
    assert bad.returncode == 1
    assert "must be an object" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_price_reads_estimate_documents(tmp_path, capsys):
    estimate = {
        "name": "Mix",
        "scenarios": [{"scenario": CONFERENCE, "sessions_per_month": 100}],
        "discount": {"percent": "5"},
        "growth": {"monthly_percent": "10", "months": 2},
    }
    call_command("price", write(tmp_path, "e.json", estimate))
    result = json.loads(capsys.readouterr().out)
    assert result["kind"] == "estimate"
    assert result["monthly"]["list_total"] == "16.00"
    assert result["monthly"]["total"] == "15.20"
    call_command("price", write(tmp_path, "e.json", estimate), "--text")
    assert "month  2" in capsys.readouterr().out


def test_price_takes_groups(tmp_path, capsys):
    webinar = {
        "model": "video_ppm",
        "participants": [leg(0, 3600, name="Presenter", publish=0)],
        "groups": [{"name": "Audience", "count": 50_000, "join": [0, 600], "leave": [3000, 3600]}],
    }
    call_command("price", write(tmp_path, "webinar.json", webinar))
    result = json.loads(capsys.readouterr().out)
    (line,) = result["per_session"]["lines"]
    assert line["explanation"].startswith("1 participant × 60 min + Audience: 50,000 participants")


def test_the_text_table_names_add_ons_and_lists_fees_and_the_minimum(tmp_path, capsys):
    # An add-on meter is no built-in meter: its label is the card's; fees and what a minimum
    # adds are lines of their own, so the lines add up to the total.
    deal = {
        **CONFERENCE,
        "sessions_per_month": 10,
        "addons": [{"meter": "archive", "start": 0, "end": 600}],
        "fees": {"setup": 2},
        "rate_card": {
            "base": "default",
            "addons": {"archive": {"label": "Composed archive", "rate": "0.01"}},
            "fees": {"setup": {"label": "Call set-up", "per": "month", "price": "5.00"}},
            "monthly_minimum": "100.00",
        },
    }
    call_command("price", write(tmp_path, "deal.json", deal), "--text")
    out = capsys.readouterr().out
    assert "Composed archive" in out
    assert "Call set-up" in out
    assert "Minimum commitment" in out
    call_command("price", write(tmp_path, "deal.json", deal))
    month = json.loads(capsys.readouterr().out)["monthly"]
    assert month["fees"][0]["amount"] in out
    assert month["minimum"]["amount"] in out


def test_an_estimate_s_text_table_adds_up_fees_in_list_and_net(tmp_path, capsys):
    # The default card's sample fee: a provisioned Alexa device, $2.00 a month.
    estimate = {
        "scenarios": [{"scenario": CONFERENCE, "sessions_per_month": 100}],
        "fees": {"alexa_device": 5},
    }
    call_command("price", write(tmp_path, "e.json", estimate), "--text")
    out = capsys.readouterr().out
    (fee,) = [line for line in out.splitlines() if "Alexa" in line]
    assert fee.split()[-2:] == ["10.00", "10.00"]  # in the list total and the net
