"""`make loadtest`: the app as `make serve` runs it (gunicorn.conf.py: uvicorn workers, DEBUG
off), on loopback, under its usual load, with strangers hammering it, and with slow clients.

1. The usual mix alone: 50 clients for SECONDS, half live recalculations of the
   20-participant scenario (htmx POSTs, the fields as JSON as the page sends them), half views
   of its share page. wrk (Debian's package) makes the load; the figures are wrk's.
2. The same mix while three strangers loop on the most expensive anonymous page, as fast as
   they are answered (the page is chosen by timing each candidate once, at the documented
   limits): the mix's p99 and errors, and what the strangers got.
3. Slow clients: three trickle request bodies and three trickle headers, a byte a second,
   while /healthz is timed; then a body announced at 10 GB and one streamed without end.
4. Twenty simultaneous saves of one revision; then a burst of saves during which the server is
   killed and restarted.

Addresses: every request comes from 127.0.0.1, so the server runs as it would behind a
reverse proxy (BEHIND_PROXY=true) and each simulated client sends its own X-Forwarded-For:
the mix as 50 addresses, each stranger as one more. Limits per address (the CPU budget
among them) see 53 clients, as they would in production.

`--server sync` runs the server as it was before (gunicorn's sync workers, WSGI), for
comparison.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, HTTPRedirectHandler, Request, build_opener, urlopen

from bench import free_port

ROOT = Path(__file__).resolve().parents[1]
LUA = r"""
local live_body = os.getenv("LIVE_BODY")
local share_path = os.getenv("SHARE_PATH")
local counter = 0
setup = function(thread)
  thread:set("id", counter)
  counter = counter + 1
end
local n = 0
request = function()
  n = n + 1
  -- 50 visitors: two wrk threads, 25 addresses each, taking turns.
  local address = "10.1." .. id .. "." .. (n % 25)
  if n % 2 == 0 then
    return wrk.format("POST", "/editor/", {
      ["Content-Type"] = "application/json",
      ["X-Form-Encoding"] = "json",
      ["HX-Request"] = "true",
      ["X-CSRFToken"] = os.getenv("CSRF_TOKEN"),
      ["Cookie"] = os.getenv("COOKIE"),
      ["Accept-Encoding"] = "gzip",
      ["X-Forwarded-For"] = address,
    }, live_body)
  end
  return wrk.format("GET", share_path, {["Accept-Encoding"] = "gzip", ["X-Forwarded-For"] = address})
end
done = function(summary, latency, requests)
  io.write(string.format("non-200 responses: %d\n", summary.errors.status))
end
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument(
        "--participants",
        type=int,
        default=0,
        help="size of the strangers' scenario (default: the documented limits)",
    )
    parser.add_argument("--server", choices=["asgi", "sync"], default="asgi")
    parser.add_argument("--mix-only", action="store_true", help="only the usual mix, alone")
    parser.add_argument(
        "--strangers-only",
        action="store_true",
        help="the usual mix alone and with strangers; no slow clients, saves or restart",
    )
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
        "RATE_LIMIT_DB": str(work / "ratelimits.sqlite3"),
        "RATE_LIMIT_SAVE": "100000",
        "RATE_LIMIT_API": "100000",
        "BEHIND_PROXY": "true",
    }
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [python, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    workers = os.environ.get("WORKERS") or str((os.cpu_count() or 1) + 1)
    served = ["--config", "gunicorn.conf.py"]
    if args.server == "sync":
        served = ["calculator.wsgi", "--worker-class", "sync", "--timeout", "30"]

    options = ["--workers", workers, "--log-level", "warning"]

    def start() -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [python, "-m", "gunicorn", *served, "--bind", f"127.0.0.1:{port}", *options],
            cwd=ROOT,
            env={**env, "WORKERS": workers},
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
        from calculator.editor.scenario import document_data

        data = document_data(twenty_people(), "default")
        visitor = Visitor(base, "10.0.0.1")
        share_path = visitor.save(data)
        mix = Mix(base, args.clients, args.seconds, work, visitor, json.dumps(data), share_path)
        print(
            f"gunicorn, {workers} {args.server} workers; {args.clients} clients "
            f"({args.clients} addresses) for {args.seconds} s: live recalculation of a "
            "20-participant scenario and its share page, half each"
        )
        alone = mix.run()
        print(f"  alone: {alone}")
        if args.mix_only:
            return
        hostile = heaviest_page(base, args.participants)
        strangers = [Stranger(hostile, base, f"203.0.113.{n + 1}") for n in range(3)]
        for stranger in strangers:
            stranger.start()
        beside = mix.run()
        for stranger in strangers:
            stranger.stop()
        print(f"  with three strangers looping on {hostile.name}: {beside}")
        for stranger in strangers:
            print(f"    stranger {stranger.address}: {stranger.summary()}")
        if args.strangers_only:
            return
        slow_clients(base, port)
        concurrent_saves(visitor, share_path, data)
        server = restart_mid_save(server, start, visitor, data)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


class NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


class Visitor:
    """A browser at one address: its cookies and CSRF token."""

    def __init__(self, base: str, address: str) -> None:
        self.base, self.address = base, address
        self.cookies = HTTPCookieProcessor()
        self.opener = build_opener(self.cookies)
        self.direct = build_opener(self.cookies, NoRedirect())
        self.opener.open(self.request("/editor/"), timeout=30).read()
        self.token = next(c.value for c in self.cookies.cookiejar if c.name == "csrftoken")
        self.cookie = "; ".join(f"{c.name}={c.value}" for c in self.cookies.cookiejar)

    def request(
        self, path: str, body: bytes | None = None, headers: dict[str, str] | None = None
    ) -> Request:
        sent = {"X-Forwarded-For": self.address, **(headers or {})}
        if body is not None:
            sent["X-CSRFToken"] = getattr(self, "token", "")
        return Request(f"{self.base}{path}", data=body, headers=sent)

    def save(self, data: dict[str, str], json_form: bool = False) -> str:
        """Save a scenario; its share path."""
        if json_form:
            request = self.request(
                "/editor/",
                json.dumps({**data, "action": "save"}).encode(),
                {"Content-Type": "application/json", "X-Form-Encoding": "json"},
            )
        else:
            request = self.request("/editor/", urlencode({**data, "action": "save"}).encode())
        with self.opener.open(request, timeout=600) as response:
            response.read()
            return re.search(r"/s/[^/]+/", response.geturl()).group(0)


@dataclass
class Mix:
    base: str
    clients: int
    seconds: int
    work: Path
    visitor: Visitor
    live_body: str
    share_path: str

    def run(self) -> str:
        lua = self.work / "mix.lua"
        lua.write_text(LUA)
        options = ["--latency", "--timeout", "10s", "-s", str(lua)]
        result = subprocess.run(
            [
                "wrk",
                "-t",
                "2",
                "-c",
                str(self.clients),
                "-d",
                f"{self.seconds}s",
                *options,
                self.base,
            ],
            env={
                **os.environ,
                "LIVE_BODY": self.live_body,
                "CSRF_TOKEN": self.visitor.token,
                "COOKIE": self.visitor.cookie,
                "SHARE_PATH": self.share_path,
            },
            capture_output=True,
            text=True,
            check=True,
        )
        return wrk_figures(result.stdout)


def wrk_figures(output: str) -> str:
    def ms(text: str) -> float:
        number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
        return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    percent = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)", output, re.M))
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)
    non_200 = int(re.search(r"non-200 responses: (\d+)", output).group(1))
    socket_errors = re.search(r"Socket errors: (.*)", output)
    errors = f"{non_200} non-200"
    errors += f", socket errors {socket_errors.group(1)}" if socket_errors else ", 0 socket errors"
    return (
        f"{float(rate):.0f} requests/s, p50 {ms(percent['50']):.0f} ms, "
        f"p90 {ms(percent['90']):.0f} ms, p99 {ms(percent['99']):.0f} ms; {errors}"
    )


# -- Strangers on the heaviest page --------------------------------------------------------


@dataclass
class Page:
    name: str
    send: Callable[[Visitor], tuple[int, float]]  # (status, the server's own ms)


def heaviest_page(base: str, participants: int) -> Page:
    """Every anonymous page that prices a large scenario, at the documented limits (10,000
    participants; 2 MB bodies), timed once each; the slowest."""
    from calculator.editor.scenario import EDITOR_ROWS, document_data
    from calculator.models import SavedScenario

    def everyone_publishing(n: int) -> dict[str, Any]:
        return {
            "name": f"{n:,} people all publishing",
            "model": "video_ssm",
            "participants": [
                {"name": f"P{i}", "media": "video", "endpoint": "webrtc", "join": 0}
                | {"leave": 3600, "publish": 0}
                for i in range(n)
            ],
        }

    limit = int(os.environ.get("MAX_DOCUMENT_BYTES", 2_000_000))
    document = everyone_publishing(participants or 10_000)
    # The editor's form, as JSON, for as many people as it shows (and fit in a body).
    people = min(participants or 10_000, EDITOR_ROWS)
    while len(json.dumps(document_data(everyone_publishing(people), "default"))) > limit:
        people -= 250
    form = document_data(everyone_publishing(people), "default")
    form_body = json.dumps(form).encode()
    owner = Visitor(base, "10.0.0.2")
    share = owner.save(form, json_form=True)
    # What is saved may be as large as the rules allow, whatever the editor shows.
    saved = SavedScenario.objects.get(share_key=share.split("/")[2])
    saved.document = document
    saved.save()
    json_form = {
        "Content-Type": "application/json",
        "X-Form-Encoding": "json",
        "HX-Request": "true",
    }

    def post(
        path: str, body: bytes, headers: dict[str, str]
    ) -> Callable[[Visitor], tuple[int, float]]:
        return lambda visitor: timed(visitor, visitor.request(path, body, headers))

    def get(path: str) -> Callable[[Visitor], tuple[int, float]]:
        return lambda visitor: timed(visitor, visitor.request(path))

    document_text = json.dumps(document)
    pages = [
        Page(
            f"POST /editor/ (live update, {people:,} people)",
            post("/editor/", form_body, json_form),
        ),
        Page(
            f"POST /import/ ({len(document['participants']):,} people, pasted)",
            post("/import/", urlencode({"text": document_text}).encode(), {}),
        ),
        Page(
            f"POST /api/estimate ({len(document['participants']):,} people)",
            post("/api/estimate", document_text.encode(), {"Content-Type": "application/json"}),
        ),
        Page(f"GET {share} (share page, {people:,} people)", get(share)),
        Page(f"GET {share}print/ (print view, {people:,} people)", get(f"{share}print/")),
    ]
    print("the heaviest anonymous pages at the documented limits (each once, the server's time):")
    timings = []
    for page in pages:
        status, server_ms = page.send(Visitor(base, "10.0.0.3"))
        print(f"  {page.name}: {status}, {server_ms / 1000:.2f} s")
        timings.append((server_ms, page))
    return max(timings, key=lambda pair: pair[0])[1]


def timed(visitor: Visitor, request: Request) -> tuple[int, float]:
    try:
        with visitor.direct.open(request, timeout=600) as response:
            response.read()
            status, headers = response.status, response.headers
    except HTTPError as error:
        error.read()
        status, headers = error.code, error.headers
    timing = headers.get("Server-Timing") or "dur=0"
    return status, float(timing.split("dur=", 1)[1])


class Stranger(threading.Thread):
    """One address looping on a page as fast as it is answered, Retry-After or not."""

    def __init__(self, page: Page, base: str, address: str) -> None:
        super().__init__(daemon=True)
        self.page, self.base, self.address = page, base, address
        self.statuses: Counter[int | str] = Counter()
        self.served_ms: list[float] = []
        self.stopping = threading.Event()
        self.visitor: Visitor | None = None

    def run(self) -> None:
        self.visitor = Visitor(self.base, self.address)
        while not self.stopping.is_set():
            try:
                status, server_ms = self.page.send(self.visitor)
            except OSError as error:
                self.statuses[type(error).__name__] += 1
                continue
            self.statuses[status] += 1
            if status == 200:
                self.served_ms.append(server_ms)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=600)

    def summary(self) -> str:
        answered = ", ".join(
            f"{count} x {status}" for status, count in sorted(self.statuses.items(), key=str)
        )
        served = sum(self.served_ms) / 1000
        return f"{answered}; {served:.1f} s of server time served to it"


# -- Slow clients ---------------------------------------------------------------------------


def slow_clients(base: str, port: int) -> None:
    """Three clients trickle bodies and three trickle headers, a byte a second, while
    /healthz is asked ten times; then bodies too large to take."""
    stop = threading.Event()

    def trickle(head: bytes) -> None:
        try:
            with socket.create_connection(("127.0.0.1", port)) as connection:
                connection.sendall(head)
                while not stop.wait(1):
                    connection.sendall(b"x")
        except OSError:
            pass  # cut off by the server

    body = b"POST /api/estimate HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000\r\n\r\n"
    headers = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
    threads = [threading.Thread(target=trickle, args=(body,), daemon=True) for _ in range(3)]
    threads += [threading.Thread(target=trickle, args=(headers,), daemon=True) for _ in range(3)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    waits = []
    for _ in range(10):
        start = time.perf_counter()
        try:
            urlopen(f"{base}/healthz", timeout=60).read()
            waits.append((time.perf_counter() - start) * 1000)
        except OSError:
            waits.append(float("inf"))
    stop.set()
    print(
        f"slow clients (3 trickling bodies, 3 trickling headers): /healthz answered in "
        f"median {statistics.median(waits):.0f} ms, at most {max(waits):.0f} ms (10 requests)"
    )
    for thread in threads:
        thread.join(timeout=5)
    print(f"  a body announced at 10 GB: {oversized(port, announced=True)}")
    print(f"  a body streamed without end (chunked): {oversized(port, announced=False)}")


def oversized(port: int, announced: bool) -> str:
    """Send a large body until the server answers or closes; what it answered, when, and how
    much it had been sent by then."""
    start = time.perf_counter()
    sent = 0
    with socket.create_connection(("127.0.0.1", port)) as connection:
        length = b"Content-Length: 10000000000" if announced else b"Transfer-Encoding: chunked"
        connection.sendall(
            b"POST /api/estimate HTTP/1.1\r\nHost: 127.0.0.1\r\n" + length + b"\r\n\r\n"
        )
        connection.settimeout(0.001)
        chunk = b"x" * 65536
        framed = chunk if announced else b"10000\r\n" + chunk + b"\r\n"
        answer = b""
        while sent < 200_000_000 and time.perf_counter() - start < 60:
            try:
                answer = connection.recv(4096)
                break
            except TimeoutError:
                pass
            except OSError:
                break
            try:
                connection.sendall(framed)
                sent += len(chunk)
            except OSError:
                break
        connection.settimeout(5)
        with contextlib.suppress(OSError):
            answer = answer or connection.recv(4096)
    status = answer.split(b"\r\n", 1)[0].decode(errors="replace") or "no answer"
    return (
        f"{status!r} after {(time.perf_counter() - start) * 1000:.0f} ms, "
        f"{sent / 1_000_000:.1f} MB sent by then"
    )


# -- Saves ------------------------------------------------------------------------------------


def restart_mid_save(server, start, visitor: Visitor, data: dict[str, str]):  # type: ignore[no-untyped-def]
    """Save new scenarios from 10 threads; kill the server (SIGKILL, every worker) in the
    middle and start it again. Every save that was answered must be there, intact."""
    from billing.engine import parse_scenario
    from calculator.models import SavedScenario

    answered: list[str] = []
    failed = 0
    stop = time.monotonic() + 8

    def keep_saving(n: int) -> None:
        nonlocal failed
        body = urlencode({**data, "action": "save"}).encode()
        address = {"X-Forwarded-For": f"10.2.0.{n}"}  # ten people saving, not one
        while time.monotonic() < stop:
            try:
                visitor.direct.open(visitor.request("/editor/", body, address), timeout=5)
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
    threads = [threading.Thread(target=keep_saving, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    time.sleep(2)
    os.killpg(server.pid, signal.SIGKILL)
    server.wait()
    time.sleep(0.5)
    server = start()
    wait_for(visitor.base)
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


def concurrent_saves(visitor: Visitor, share_path: str, data: dict[str, str]) -> None:
    """Twenty saves of the same scenario at once, each from the same revision: one may win."""
    edit = f"{share_path}edit/"
    html = visitor.opener.open(visitor.request(edit), timeout=30).read().decode()
    revision = re.search(r'name="revision" value="(\d+)"', html).group(1)
    outcomes: list[str] = []

    def save(n: int) -> None:
        body = {**data, "revision": revision, "action": "save", "name": f"Save {n}"}
        try:
            response = visitor.opener.open(visitor.request(edit, urlencode(body).encode()))
            page = response.read().decode()
            outcomes.append("refused" if "Not saved" in page else "saved")
        except Exception as error:
            outcomes.append(f"error {getattr(error, 'code', error)}")

    threads = [threading.Thread(target=save, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    page = urlopen(f"{visitor.base}{share_path}").read().decode()
    name = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1).strip()
    print(
        f"20 concurrent saves of one revision: {outcomes.count('saved')} saved, "
        f"{outcomes.count('refused')} refused as stale, {len(outcomes) - outcomes.count('saved') - outcomes.count('refused')} other; "
        f"the share page shows “{name}”"
    )


def wait_for(base: str) -> None:
    for _ in range(300):
        try:
            urlopen(f"{base}/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("the server did not start")


if __name__ == "__main__":
    main()
