"""Serving as `make serve` does (gunicorn.conf.py: uvicorn workers, ASGI): slow clients hold no
worker, oversized bodies are cut off unread, limits hold across workers, and the access log
keeps no edit token."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.error import HTTPError
from urllib.request import Request, urlopen

import pytest
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

from calculator.server.bridge import SyncApp
from calculator.server.serving import Admission

ROOT = Path(__file__).resolve().parents[3]
LIMIT = 2_064_000


def serve(app, method="POST", path="/api/estimate", headers=(), chunks=(), wait_forever=False):
    """Run one request through an ASGI app; (status, body, bytes the app took in)."""
    sent: list[dict] = []
    taken = 0
    done = False

    async def receive():
        nonlocal taken, done
        if wait_forever or done:  # as a server does until the client goes away
            await asyncio.Event().wait()
        if not remaining:
            done = True
            return {"type": "http.request", "body": b"", "more_body": False}
        chunk = remaining.pop(0)
        done = not remaining
        taken += len(chunk)
        return {"type": "http.request", "body": chunk, "more_body": bool(remaining)}

    async def send(message):
        sent.append(message)

    remaining = list(chunks)
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
        "client": ("127.0.0.1", 5000),
        "server": ("testserver", 80),
    }
    # In a thread of its own: the browser tests leave an event loop running in this one.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, app(scope, receive, send)).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], body, taken


@pytest.fixture
def app():
    """As calculator/asgi.py builds it: Django's sync handler in a thread, usage files to its
    ASGI handler as they arrive."""
    return Admission(
        get_asgi_application(),
        max_bytes=LIMIT,
        timeout=5,
        document_bytes=2_000_000,
        slots=2,
        sync_app=SyncApp(get_wsgi_application()),
    )


def test_a_body_announced_over_the_limit_is_refused_before_a_byte_is_read(app):
    status, body, taken = serve(
        app, headers=[(b"content-length", b"10000000000")], chunks=[b"x" * 65536] * 4
    )
    assert status == 413
    assert taken == 0
    assert json.loads(body)["error"] == "The request is over 2 MB, the most the calculator takes."


def test_a_streamed_body_is_cut_off_as_soon_as_it_passes_the_limit(app):
    chunk = b"x" * 65536
    status, body, taken = serve(app, path="/import/", chunks=[chunk] * 320)  # 21 MB
    assert status == 413
    assert taken <= LIMIT + len(chunk)
    assert body.decode() == "The request is over 2 MB, the most the calculator takes."


def test_a_body_that_does_not_arrive_in_time_is_refused():
    app = Admission(
        get_asgi_application(), max_bytes=LIMIT, timeout=0.2, document_bytes=2_000_000, slots=2
    )
    status, body, _ = serve(app, wait_forever=True)
    assert status == 408
    assert "took more than 0.2 seconds" in json.loads(body)["error"]


def test_a_body_within_the_limit_reaches_the_app(app):
    status, body, taken = serve(app, chunks=[b"not json"])
    assert (status, taken) == (400, 8)
    assert "problems" in json.loads(body)


@pytest.mark.django_db(transaction=True)
def test_a_usage_file_is_passed_on_as_it_arrives_past_the_documents_limit(
    app, default_card_installed
):
    # 3 MB of records in 64 KB pieces: over a document's 2 MB, within a usage file's limit.
    rows = b"".join(b"s%d,%d,%d\n" % (n, n % 500, n % 500 + 60) for n in range(200_000))
    body = b"session,start,end\n" + rows
    chunks = [body[k : k + 65536] for k in range(0, len(body), 65536)]
    status, answer, taken = serve(app, path="/api/usage", chunks=chunks)
    assert status == 200, answer[:300]
    assert taken == len(body) > LIMIT
    assert json.loads(answer)["sessions"] == 200_000


def test_a_usage_file_over_its_own_limit_is_refused(app, settings):
    settings.USAGE_MAX_BYTES = 100_000
    status, body, taken = serve(
        app, path="/api/usage", headers=[(b"content-length", b"200000")], chunks=[b"x" * 200_000]
    )
    assert (status, taken) == (413, 0)
    assert json.loads(body)["error"] == "The request is over 0.1 MB, the most a usage file may be."
    chunk = b"x" * 65536
    status, body, taken = serve(app, path="/api/usage", chunks=[chunk] * 40)
    assert status == 413
    assert taken <= 100_000 + len(chunk)


# -- A real server, as make serve runs it -----------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    yield from served(tmp_path_factory, RATE_LIMIT_API="10")


@pytest.fixture(scope="module")
def unlimited_server(tmp_path_factory):
    yield from served(tmp_path_factory, RATE_LIMIT_API="100000")


def served(tmp_path_factory, **settings: str):
    """gunicorn as make serve runs it, on a port of its own: (base URL, port, access log)."""
    work = tmp_path_factory.mktemp("served")
    port = _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
        "DEBUG": "false",
        "SECRET_KEY": "served-test-" + "x" * 50,
        "DATABASE_URL": f"sqlite:///{work}/db.sqlite3",
        "RATE_LIMIT_DB": str(work / "counters.sqlite3"),
        "WORKERS": "2",
        "COMPRESS_STATIC": "false",
        **settings,
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    log = work / "access.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(log),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            assert process.poll() is None, "the server exited while starting"
            try:
                urlopen(f"{base}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        yield base, port, log
    finally:
        process.terminate()
        process.wait(timeout=30)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_clients_trickling_requests_do_not_hold_the_workers(server):
    base, port, _ = server
    stop = threading.Event()

    def trickle(head: bytes) -> None:
        with socket.create_connection(("127.0.0.1", port)) as connection:
            connection.sendall(head)
            while not stop.wait(0.5):
                connection.sendall(b"x")

    body = b"POST /api/estimate HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
    headers = b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: "
    # Five slow clients for two workers: a sync worker would be held by each.
    threads = [threading.Thread(target=trickle, args=(body,)) for _ in range(3)]
    threads += [threading.Thread(target=trickle, args=(headers,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(1)
        # A liveness check, not a speed one: the 10 s only keeps a held server from hanging
        # the suite (the sync workers answered after their 30 s timeout killed them).
        with urlopen(f"{base}/healthz", timeout=10) as response:
            assert response.read() == b"ok"
    finally:
        stop.set()
        for thread in threads:
            thread.join()


def estimate_body(people: int) -> bytes:
    participants = [{"join": 0, "leave": 600, "publish": 0} for _ in range(people)]
    return json.dumps({"model": "video_ssm", "participants": participants}).encode()


def test_heavy_work_is_done_in_the_heavy_process_and_light_work_in_the_worker(
    unlimited_server,
):
    base, _, _ = unlimited_server

    def post(body: bytes):
        request = Request(
            f"{base}/api/estimate",
            data=body,
            headers={"Content-Type": "application/json", "Connection": "close"},
        )
        with urlopen(request, timeout=60) as response:
            return response.status, response.headers.get("x-calculator-lane"), response.read()

    heavy_body = estimate_body(2500)  # over HEAVY_BODY (64 KB)
    assert len(heavy_body) >= 64_000
    status, lane, answer = post(heavy_body)
    assert (status, lane) == (200, "heavy")
    assert json.loads(answer)["monthly"]["total"]
    status, lane, _ = post(estimate_body(2))
    assert (status, lane) == (200, None)


def test_the_api_limit_holds_across_the_workers(server):
    base, _, _ = server
    body = json.dumps({"model": "sip_mediaserver", "participants": [{"join": 0, "leave": 60}]})

    def call(_: int) -> int:
        request = Request(
            f"{base}/api/estimate",
            data=body.encode(),
            headers={"Content-Type": "application/json", "Connection": "close"},
        )
        try:
            with urlopen(request, timeout=30) as response:
                return response.status
        except HTTPError as error:
            return error.code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(call, range(30)))
    # 10 a minute from one address, whichever of the two workers answered.
    assert statuses.count(200) == 10
    assert statuses.count(429) == 20


def test_the_access_log_keeps_no_edit_token(server):
    base, _, log = server
    token = "Zm9yLXRlc3RzLW5vdC1hLXJlYWwtdG9rZW4"
    url = f"{base}/s/no-such-scenario/edit/{token}/"
    with pytest.raises(HTTPError) as refused:
        urlopen(Request(url, headers={"Referer": url}), timeout=10).read()
    assert refused.value.code == 404
    time.sleep(0.5)  # the access log is written after the response
    text = log.read_text()
    assert "/s/no-such-scenario/edit/[redacted]/" in text
    assert token not in text


# -- Turns: one request at a time a worker, heavy work in a lane of its own -------------------


def concurrency(make_app, requests):
    """Run requests (path, body size) at once through an Admission around an app that takes
    a while; the most that ran at the same time."""
    running = peak = 0

    async def slow_app(scope, receive, send):
        nonlocal running, peak
        await receive()
        running += 1
        peak = max(peak, running)
        await asyncio.sleep(0.05)
        running -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    app = make_app(slow_app)

    async def one(path, size):
        sent = []
        body = [b"x" * size]

        async def receive():
            if body:
                return {"type": "http.request", "body": body.pop(), "more_body": False}
            await asyncio.Event().wait()

        async def send(message):
            sent.append(message)

        scope = {"type": "http", "path": path, "headers": [], "client": ("127.0.0.1", 1)}
        await app(scope, receive, send)
        return sent[0]["status"]

    async def all_at_once():
        return await asyncio.gather(*(one(path, size) for path, size in requests))

    with ThreadPoolExecutor(1) as thread:
        statuses = thread.submit(asyncio.run, all_at_once()).result()
    assert set(statuses) == {200}
    return peak


def test_a_worker_runs_one_request_at_a_time_and_health_checks_never_wait():
    def make(app):
        return Admission(app, max_bytes=LIMIT, timeout=5, document_bytes=LIMIT, slots=1)

    assert concurrency(make, [("/editor/", 10)] * 4) == 1
    assert concurrency(make, [("/editor/", 10)] + [("/healthz", 0)] * 3) == 4
    assert concurrency(make, [("/editor/", 10)] + [("/static/css/app.css", 0)] * 3) == 4


def test_heavy_requests_take_turns_in_one_lane_for_the_machine(tmp_path):
    from calculator.server.serving import HeavyLanes

    def make(app):
        return Admission(
            app,
            max_bytes=LIMIT,
            timeout=5,
            document_bytes=LIMIT,
            slots=0,  # light requests unlimited: only the lane holds heavy ones back
            heavy=lambda scope, size: size >= 1000,
            lanes=HeavyLanes(tmp_path, count=1, wait=30),
        )

    assert concurrency(make, [("/import/", 5000)] * 3) == 1
    assert concurrency(make, [("/import/", 5000)] + [("/editor/", 10)] * 3) == 4


def test_a_request_is_marked_heavy_by_its_size_or_its_address_s_last_heavy_request(settings):
    from calculator.server.ratelimit import heavy_marks
    from calculator.server.serving import heavy_request

    scope = {"headers": [], "client": ("192.0.2.5", 1)}
    assert not heavy_request(scope, 1000)
    assert heavy_request(scope, settings.HEAVY_BODY)
    heavy_marks("192.0.2.5").add()
    assert heavy_request(scope, 1000)
    assert not heavy_request({"headers": [], "client": ("192.0.2.6", 1)}, 1000)


def test_a_heavy_lane_rests_after_each_request(tmp_path):
    from calculator.server.serving import HeavyLanes, Refused

    async def twice(lanes):
        leave = await lanes.enter()
        await asyncio.sleep(0.05)
        leave()
        try:
            (await lanes.enter())()
        except Refused as refused:
            return refused.status
        return 200

    def run(lanes):
        with ThreadPoolExecutor(1) as thread:
            return thread.submit(asyncio.run, twice(lanes)).result()

    # Resting a thousand times as long as it worked: closed for the next 50 s at least.
    assert run(HeavyLanes(tmp_path / "resting", 1, wait=0.3, rest=1000)) == 503
    assert run(HeavyLanes(tmp_path / "not", 1, wait=0.3, rest=0)) == 200


# -- Heavy work in a process of its own ------------------------------------------------------


def test_the_worker_does_heavy_work_itself_when_the_heavy_process_is_gone(tmp_path):
    from calculator.server.serving import HeavyLanes, HeavyProcess

    app = Admission(
        get_asgi_application(),
        max_bytes=LIMIT,
        timeout=5,
        document_bytes=LIMIT,
        slots=1,
        heavy=lambda scope, size: True,
        lanes=HeavyLanes(tmp_path, count=1, wait=5),
        process=HeavyProcess(str(tmp_path / "nobody-listens.sock")),
    )
    status, body, _ = serve(app, chunks=[b"not json"])
    assert status == 400
    assert "problems" in json.loads(body)


def test_the_heavy_process_takes_the_client_from_the_workers_alone():
    from calculator.server.serving import CLIENT_HEADER, SCHEME_HEADER, FromWorkers

    seen = {}

    async def app(scope, receive, send):
        seen.update(client=scope["client"], scheme=scope["scheme"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    headers = [(CLIENT_HEADER, b"198.51.100.7"), (SCHEME_HEADER, b"https")]
    status, _, _ = serve(FromWorkers(app), headers=headers)
    assert status == 204
    assert seen == {"client": ("198.51.100.7", 0), "scheme": "https"}
