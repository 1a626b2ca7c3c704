"""`make loadtest`: 50 concurrent clients for 60 seconds against the app as `make serve` runs it
(gunicorn, DEBUG off), on loopback; then concurrent saves of one scenario.

Half the requests are live recalculations of the 20-participant scenario (htmx POSTs, the
fields as JSON as the page sends them), half views of its share page. wrk (Debian's package) makes the load; the figures are wrk's.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener, urlopen

from bench import free_port

ROOT = Path(__file__).resolve().parents[1]
LUA = r"""
local live_body = os.getenv("LIVE_BODY")
local headers = {
  ["Content-Type"] = "application/json",
  ["X-Form-Encoding"] = "json",
  ["HX-Request"] = "true",
  ["X-CSRFToken"] = os.getenv("CSRF_TOKEN"),
  ["Cookie"] = os.getenv("COOKIE"),
  ["Accept-Encoding"] = "gzip",
}
local share_path = os.getenv("SHARE_PATH")
local n = 0
local failures = 0
request = function()
  n = n + 1
  if n % 2 == 0 then
    return wrk.format("POST", "/editor/", headers, live_body)
  end
  return wrk.format("GET", share_path, {["Accept-Encoding"] = "gzip"})
end
response = function(status, headers, body)
  if status ~= 200 then failures = failures + 1 end
end
done = function(summary, latency, requests)
  io.write(string.format("non-200 responses: %d\n", summary.errors.status))
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=50)
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: apt-get install wrk")
    work = Path(tempfile.mkdtemp(prefix="loadtest-"))
    port = free_port()
    env = {
        **os.environ,
        "DEBUG": "false",
        "SECRET_KEY": "loadtest-" + "x" * 50,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{work}/load.sqlite3"),
        "STATIC_ROOT": str(work / "static"),
        "RATE_LIMIT_SAVE": "100000",
        "RATE_LIMIT_API": "100000",
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    workers = os.environ.get("WORKERS") or str((os.cpu_count() or 1) + 1)

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [
                python,
                "-m",
                "gunicorn",
                "calculator.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                workers,
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
        )

    server = start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(base)
        sys.path.insert(0, str(ROOT))
        os.environ.update(env, DJANGO_SETTINGS_MODULE="calculator.settings")
        import django

        django.setup()
        from bench.web import twenty_people
        from calculator.forms import document_data

        data = document_data(twenty_people(), "default")
        opener = build_opener(HTTPCookieProcessor())
        opener.open(f"{base}/editor/").read()
        cookie = next(c for c in opener.handlers if isinstance(c, HTTPCookieProcessor)).cookiejar
        token = next(c.value for c in cookie if c.name == "csrftoken")
        session_cookie = "; ".join(f"{c.name}={c.value}" for c in cookie)
        saved = opener.open(
            Request(
                f"{base}/editor/",
                data=urlencode({**data, "action": "save"}).encode(),
                headers={"X-CSRFToken": token},
            )
        )
        share_path = re.search(r"/s/[^/]+/", saved.geturl()).group(0)
        lua = work / "mix.lua"
        lua.write_text(LUA)
        print(
            f"gunicorn, {workers} workers; {args.clients} clients for {args.seconds} s: "
            "live recalculation of a 20-participant scenario and its share page, half each"
        )
        result = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(args.clients),
                "-d",
                f"{args.seconds}s",
                "--latency",
                "--timeout",
                "10s",
                "-s",
                str(lua),
                base,
            ],
            env={
                **os.environ,
                "LIVE_BODY": json.dumps(data),
                "CSRF_TOKEN": token,
                "COOKIE": session_cookie,
                "SHARE_PATH": share_path,
            },
            capture_output=True,
            text=True,
            check=True,
        )
        print(result.stdout)
        concurrent_saves(opener, base, share_path, token, data)
        server = restart_mid_save(server, start, opener, base, token, data)
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


def restart_mid_save(server, start, opener, base: str, token: str, data: dict[str, str]):  # type: ignore[no-untyped-def]
    """Save new scenarios from 10 threads; kill the server (SIGKILL, every worker) in the
    middle and start it again. Every save that was answered must be there, intact."""
    import signal
    from urllib.request import HTTPRedirectHandler

    from billing.engine import parse_scenario
    from calculator.models import SavedScenario

    class NoRedirect(HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    cookies = next(h for h in opener.handlers if isinstance(h, HTTPCookieProcessor))
    direct = build_opener(cookies, NoRedirect())
    answered: list[str] = []
    failed = 0
    stop = time.monotonic() + 8

    def keep_saving() -> None:
        nonlocal failed
        body = urlencode({**data, "action": "save"}).encode()
        while time.monotonic() < stop:
            request = Request(f"{base}/editor/", data=body, headers={"X-CSRFToken": token})
            try:
                direct.open(request, timeout=5)
                failed += 1  # a page came back, not the redirect of a save
            except HTTPError as error:
                key = re.search(r"/s/([^/]+)/edit/", error.headers.get("Location") or "")
                if error.code == 302 and key:
                    answered.append(key.group(1))
                else:
                    failed += 1
            except OSError:  # refused or cut off while the server restarts
                failed += 1
                time.sleep(0.05)

    before = SavedScenario.objects.count()
    threads = [threading.Thread(target=keep_saving) for _ in range(10)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    time.sleep(0.5)
    server = start()
    wait_for(base)
    for thread in threads:
        thread.join()
    rows = SavedScenario.objects.all()
    keys = set(rows.values_list("share_key", flat=True))
    intact = 0
    for row in rows:
        parse_scenario(row.document)
        intact += 1
    lost = [key for key in answered if key not in keys]
    print(
        f"restart mid-save: {len(answered)} saves answered, {failed} refused while the server was down, "
        f"{SavedScenario.objects.count() - before} rows added, {len(lost)} answered saves lost, "
        f"{intact} rows all parse"
    )
    return server


def concurrent_saves(opener, base: str, share_path: str, token: str, data: dict[str, str]) -> None:
    """Twenty saves of the same scenario at once, each from the same revision: one may win."""
    edit = f"{base}{share_path}edit/"
    html = opener.open(edit).read().decode()
    revision = re.search(r'name="revision" value="(\d+)"', html).group(1)
    outcomes: list[str] = []

    def save(n: int) -> None:
        body = {**data, "revision": revision, "action": "save", "name": f"Save {n}"}
        try:
            response = opener.open(
                Request(edit, data=urlencode(body).encode(), headers={"X-CSRFToken": token})
            )
            page = response.read().decode()
            outcomes.append("refused" if "Not saved" in page else "saved")
        except Exception as error:
            outcomes.append(f"error {getattr(error, 'code', error)}")

    threads = [threading.Thread(target=save, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    page = urlopen(f"{base}{share_path}").read().decode()
    name = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1).strip()
    print(
        f"20 concurrent saves of one revision: {outcomes.count('saved')} saved, "
        f"{outcomes.count('refused')} refused as stale, {len(outcomes) - outcomes.count('saved') - outcomes.count('refused')} other; "
        f"the share page shows “{name}”"
    )


def wait_for(base: str) -> None:
    for _ in range(100):
        try:
            urlopen(f"{base}/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


if __name__ == "__main__":
    main()
