"""Page weight and live-update speed, measured the way a browser meets the app.

Run by `make bench` in its own process: it collects static files into a temporary folder and
serves them as production does (WhiteNoise, compressed, hashed names), DEBUG off.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.request import Request, urlopen

from bench import free_port

STATIC_ROOT = tempfile.mkdtemp(prefix="bench-static-")
os.environ.update(
    DEBUG="false",
    SECRET_KEY="bench-only",
    COMPRESS_STATIC="true",
    STATIC_ROOT=STATIC_ROOT,
    DATABASE_URL=f"sqlite:///{STATIC_ROOT}/bench.sqlite3",
    # One client sending hundreds of live updates a minute: timed, not rationed.
    RATE_LIMIT_DB=f"{STATIC_ROOT}/ratelimits.sqlite3",
    CPU_BUDGET="0",
    DJANGO_SETTINGS_MODULE="calculator.settings",
)

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402

from bench import urls as bench_urls  # noqa: E402
from billing.engine import Model  # noqa: E402
from billing.engine.timefmt import clock  # noqa: E402
from calculator.editor.presets import BY_SLUG  # noqa: E402
from calculator.editor.scenario import document_data  # noqa: E402

ENCODINGS = {"HTTP_ACCEPT_ENCODING": "br, gzip"}


def twenty_people() -> dict[str, object]:
    """The 20-participant template (the start page's team all-hands)."""
    return BY_SLUG["all-hands"].document


def keystrokes() -> list[str]:
    """Live-update bodies of the 20-participant scenario, each with one leave time changed."""
    data = document_data(twenty_people(), "default")
    bodies = []
    for n in range(60):
        row = n % 20
        changed = {**data, f"p-{row}-leave": clock(Decimal(2400 + 7 * n))}
        bodies.append(json.dumps(changed))
    return bodies


def typing_pause() -> int:
    """The milliseconds the editor waits for typing to stop before a live update."""
    template = Path(__file__).resolve().parents[1] / "templates" / "editor.html"
    found = re.search(r"typed delay:(\d+)ms", template.read_text())
    assert found, "the editor's hx-trigger names no typing pause"
    return int(found[1])


def first_load(client: Client) -> list[tuple[str, int, int, str]]:
    """Every resource the editor's first load fetches: (url, raw bytes, sent bytes, encoding)."""
    page = client.get("/editor/?template=video-meeting", **ENCODINGS)
    html = _body(page)
    fetched = [
        (
            "/editor/?template=video-meeting",
            len(html),
            len(page.content),
            page.get("Content-Encoding", "none"),
        )
    ]
    for url in re.findall(r'(?:src|href)="(/static/[^"]+)"', html.decode()):
        response = client.get(url, **ENCODINGS)
        assert response.status_code == 200, url
        sent = b"".join(response.streaming_content) if response.streaming else response.content
        encoding = response.get("Content-Encoding", "none")
        raw = len(_decode(sent, encoding))
        fetched.append((url, raw, len(sent), encoding))
    return fetched


def _body(response: HttpResponse) -> bytes:
    return _decode(response.content, response.get("Content-Encoding", ""))


def _decode(data: bytes, encoding: str) -> bytes:
    if encoding == "gzip":
        return gzip.decompress(data)
    if encoding == "br":
        import brotli

        return brotli.decompress(data)
    return data


def timings(live: Callable[[], object], minimal: Callable[[], object], repeat: int) -> str:
    """The live update's median time against the minimal view's, measured two ways: each in
    a loop of its own (the minimal view then runs with everything it touches in the CPU's
    caches), and taking turns (both meet the machine in the same state, as on a server that
    serves a mix; on a shared 2-core machine speed also drifts from minute to minute)."""
    alone_live, alone_minimal = (_median(send, repeat) for send in (live, minimal))
    turns: tuple[list[float], list[float]] = ([], [])
    for _ in range(repeat):
        for send, times in ((live, turns[0]), (minimal, turns[1])):
            times.append(_seconds(send))
    mixed_live, mixed_minimal = (statistics.median(times) for times in turns)
    return (
        f"each alone: live update {alone_live * 1000:.2f} ms, minimal view "
        f"{alone_minimal * 1000:.2f} ms, ratio {alone_live / alone_minimal:.1f}x; "
        f"in turn: {mixed_live * 1000:.2f} ms, {mixed_minimal * 1000:.2f} ms, "
        f"ratio {mixed_live / mixed_minimal:.1f}x"
    )


def _median(send: Callable[[], object], repeat: int) -> float:
    for _ in range(5):
        send()
    return statistics.median(_seconds(send) for _ in range(repeat))


def _seconds(send: Callable[[], object]) -> float:
    start = time.perf_counter()
    send()
    return time.perf_counter() - start


def main() -> None:
    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    client = Client()
    print("\nFirst load of the editor, cold cache (target: at most 500 KB sent)")
    total_sent = 0
    for url, raw, sent, encoding in first_load(client):
        total_sent += sent
        print(
            f"  {url[:60]:<62} {raw / 1024:>8.1f} KB raw {sent / 1024:>8.1f} KB sent ({encoding})"
        )
    print(f"  {'total':<62} {'':>15} {total_sent / 1024:>8.1f} KB sent")

    # Sent as the page sends a live update: htmx, the form's fields as one JSON object; each
    # request differs from the last in one field, as when someone types.
    bodies = keystrokes()
    typed = itertools.cycle(bodies)

    def post(**extra: str) -> HttpResponse:
        return client.post(
            "/editor/",
            next(typed),
            content_type="application/json",
            HTTP_HX_REQUEST="true",
            HTTP_X_FORM_ENCODING="json",
            **extra,
        )

    live = post()
    if live.status_code != 200 or b'data-total="session"' not in live.content:
        raise SystemExit(f"live update failed: {live.content[:500]!r}")
    sent = post(**ENCODINGS)
    print(
        "\nLive update of a 20-participant scenario (target: under 40 KB; at most 5x a minimal view)"
    )
    print(
        f"  response: {len(live.content) / 1024:.1f} KB raw, {len(sent.content) / 1024:.1f} KB sent "
        f"({sent.get('Content-Encoding', 'none')})"
    )
    print(f"  in process (test client), {timings(post, lambda: client.get('/healthz'), 300)}")
    floors(client, live.content, typed)
    large_groups(client)
    over_http(bodies)


# A webinar of a million: a presenter publishing, 999,999 attendees as one group.
MILLION = {
    "name": "Webinar of a million",
    "participants": [{"name": "Presenter", "join": 0, "leave": 3600, "publish": 0}],
    "groups": [{"name": "Audience", "count": 999_999, "join": [0, 600], "leave": [2700, 3600]}],
}


def leave_ranges() -> list[str]:
    """Live-update bodies of the 10,000-attendee webinar, each with its group's last leave
    changed, as when someone types a new leave range."""
    data = document_data(BY_SLUG["webinar-10k"].document, "default")
    return [json.dumps({**data, "g-0-leave_to": clock(Decimal(3600 + 7 * n))}) for n in range(60)]


def large_groups(client: Client) -> None:
    """Sessions of a million attendees as groups (issue 14's targets): the API's time for a
    webinar of a million under each model, and the 10,000-attendee template's editor page."""
    print("\nGroups: a webinar of 1,000,000 (one presenter publishing, 999,999 attendees)")
    print("  POST /api/estimate, in process, median of 5 (target: at most 1 s under each model)")
    for model in Model:
        body = json.dumps({**MILLION, "model": str(model)})
        times = []
        for _ in range(5):
            start = time.perf_counter()
            response = client.post("/api/estimate", body, content_type="application/json")
            times.append(time.perf_counter() - start)
            assert response.status_code == 200, response.content[:300]
        print(
            f"    {model:<16} {statistics.median(times) * 1000:7.0f} ms "
            f"({min(times) * 1000:.0f}-{max(times) * 1000:.0f}), document {len(body)} bytes"
        )
    page = client.get("/editor/?template=webinar-10k", **ENCODINGS)
    html = _body(page)
    print(
        f"  the 10,000-attendee webinar's editor page (target: at most 100 KB): "
        f"{len(html) / 1024:.1f} KB raw, {len(page.content) / 1024:.1f} KB sent"
    )


def floors(client: Client, results: bytes, typed: Iterator[str]) -> None:
    """The live update beside two views that do less (bench/urls.py), all in turn with the
    minimal view: one that only receives the request and sends the results, one that also
    prices the scenario under the three models. What is left of five times the minimal view
    for the editor's own work (reading the form, charts, tables, HTML) is plain from them."""
    bench_urls.RESPONSE = results
    bench_urls.DOCUMENT = twenty_people()

    def send(url: str) -> Callable[[], object]:
        return lambda: client.post(
            url,
            next(typed),
            content_type="application/json",
            HTTP_HX_REQUEST="true",
            HTTP_X_FORM_ENCODING="json",
            **ENCODINGS,
        )

    views = {
        "minimal view": lambda: client.get("/healthz"),
        "receive the update, send its results": send("/bench/floor/receive/"),
        "... and price the three models": send("/bench/floor/price/"),
        "the live update": send("/editor/"),
    }
    times: dict[str, list[float]] = {name: [] for name in views}
    with override_settings(ROOT_URLCONF="bench.urls"):
        for view in views.values():
            for _ in range(5):
                view()
        for _ in range(300):
            for name, view in views.items():
                times[name].append(_seconds(view))
    minimal = statistics.median(times["minimal view"])
    print("  floors, in process and in turn (median; ratio to the minimal view):")
    for name, taken in times.items():
        median = statistics.median(taken)
        print(f"    {name:<40} {median * 1000:6.2f} ms {median / minimal:5.1f}x")


def over_http(bodies: list[str]) -> None:
    """The same two requests over loopback to the server as `make serve` runs it
    (gunicorn.conf.py: a uvicorn worker, ASGI), with one worker: the server time a browser
    waits for, HTTP handling included for both. `BENCH_SERVER=sync` times gunicorn's sync
    worker (WSGI) instead, as the app was served before."""
    port = free_port()
    served = ["--config", "gunicorn.conf.py"]
    if os.environ.get("BENCH_SERVER") == "sync":
        served = ["calculator.wsgi", "--worker-class", "sync"]
    options = ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *served, "--workers", "1", *options],
        cwd=Path(__file__).resolve().parents[1],
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                raise SystemExit("gunicorn exited while starting")
            try:
                urlopen(f"{base}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        token, cookie = csrf(base)
        typed = itertools.cycle([body.encode() for body in bodies])
        headers = {
            "Content-Type": "application/json",
            "X-Form-Encoding": "json",
            "HX-Request": "true",
            "X-CSRFToken": token,
            "Cookie": cookie,
            "Accept-Encoding": "gzip, br",  # as a browser sends it
        }

        def live() -> float:
            request = Request(f"{base}/editor/", data=next(typed), method="POST", headers=headers)
            with urlopen(request, timeout=5) as response:
                response.read()
                return server_time(response.headers["Server-Timing"])

        def minimal() -> float:
            with urlopen(f"{base}/healthz", timeout=5) as response:
                response.read()
                return server_time(response.headers["Server-Timing"])

        kind = "sync" if os.environ.get("BENCH_SERVER") == "sync" else "uvicorn"
        print(f"  over HTTP (gunicorn, 1 {kind} worker), {timings(live, minimal, 300)}")
        # The server's own time for each (its Server-Timing header): no socket, no client.
        said: tuple[list[float], list[float]] = ([], [])
        for _ in range(300):
            said[0].append(live())
            said[1].append(minimal())
        inside_live, inside_minimal = (statistics.median(times) for times in said)
        print(
            f"  the server's own time (Server-Timing, in turn): live update {inside_live:.2f} ms, "
            f"minimal view {inside_minimal:.2f} ms, ratio {inside_live / inside_minimal:.1f}x"
        )
        ranges = itertools.cycle([body.encode() for body in leave_ranges()])

        def webinar() -> float:
            request = Request(f"{base}/editor/", data=next(ranges), method="POST", headers=headers)
            with urlopen(request, timeout=10) as response:
                response.read()
                return server_time(response.headers["Server-Timing"])

        for _ in range(10):
            webinar()
        served_10k = [webinar() for _ in range(100)]
        print(
            f"  the 10,000-attendee webinar, its leave range changed (target: at most 10 ms): "
            f"server time {statistics.median(served_10k):.2f} ms "
            f"({min(served_10k):.2f}-{max(served_10k):.2f})"
        )
        in_browser(base)
    finally:
        server.terminate()
        server.wait(timeout=10)


# Page-side clocks: when a field was typed in, when the new results (totals, tables) were on
# the page, when the timeline chart had been redrawn.
CLOCKS = """
window.__typed = []; window.__total = []; window.__charted = [];
document.addEventListener("input", () => window.__typed.push(performance.now()), true);
document.addEventListener("click", (event) => {
  if (event.target.closest("button")) window.__typed.push(performance.now());
}, true);
document.addEventListener("DOMContentLoaded", () => {
  window.__results = document.getElementById("results");
  new MutationObserver(() => {
    const results = document.getElementById("results");
    if (results && results !== window.__results) {
      window.__results = results;
      requestAnimationFrame(() => window.__total.push(performance.now()));
    }
  }).observe(document.body, {childList: true, subtree: true});
});
window.addEventListener("load", () => {
  const react = window.Plotly.react;
  window.Plotly.react = function (el, ...rest) {
    return react.call(this, el, ...rest).then((drawn) => {
      if (el.dataset.figure === "fig-timeline") window.__charted.push(performance.now());
      return drawn;
    });
  };
});
"""


def in_browser(base: str) -> None:
    """What a person sees in Chromium (headless, software-drawn): from typing a leave time to
    the new total on screen, and to the timeline redrawn. Skipped without Chromium."""
    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(chromium):
        print(f"  in a browser: skipped, no Chromium at {chromium} (apt-get install chromium)")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium)
        # The page's CSP forbids evaluating strings; the clocks below are the bench's, not the page's.
        # A window tall enough to show every chart: charts off the screen wait to be redrawn
        # until they are scrolled to, and here every one is redrawn on every change.
        page = browser.new_page(viewport={"width": 1280, "height": 4000}, bypass_csp=True)
        page.add_init_script(CLOCKS)
        page.goto(f"{base}/editor/?template=all-hands")
        page.wait_for_selector("[data-figure=fig-timeline] .main-svg")
        totals, charts = [], []
        for n in range(12):
            page.evaluate("window.__typed = []; window.__total = []; window.__charted = []")
            page.fill("#id_p-1-leave", clock(Decimal(2000 + 7 * n)))
            page.wait_for_function("window.__total.length && window.__charted.length")
            page.wait_for_timeout(300)
            typed, total, charted = page.evaluate(
                "[window.__typed.at(-1), window.__total[0], window.__charted.at(-1)]"
            )
            totals.append(total - typed)
            charts.append(charted - typed)
        chosen = discrete(page)
        ranged = leave_range(browser, base)
        added, served = large_editor(page)
        browser.close()
    print(
        f"  in a browser (headless Chromium, 1280 x 4000 px, every chart on screen, 20 "
        f"participants): typing a leave time to "
        f"the new total on screen {statistics.median(totals):.0f} ms, to the timeline redrawn "
        f"{statistics.median(charts):.0f} ms (of which {typing_pause()} ms is the pause the page "
        "waits for typing to stop)"
    )
    print(
        f"  the 10,000-attendee webinar (a group): typing its last leave to the new total on "
        f"screen {statistics.median(ranged):.0f} ms ({min(ranged):.0f}-{max(ranged):.0f}; "
        f"target: at most 300 ms median)"
    )
    print(
        f"  a select, a checkbox or a button (a participant's media, whether they subscribe, "
        f"adding a recording) to the new total on screen {statistics.median(chosen):.0f} ms "
        f"({min(chosen):.0f}-{max(chosen):.0f})"
    )
    print(
        f"  a large scenario in the browser: adding a row to 1,000 participants, click to the "
        f"new row's first field focused {statistics.median(added):.0f} ms (the server's part "
        f"{statistics.median(served):.0f} ms)"
    )


def leave_range(browser: Any, base: str) -> list[float]:
    """The 10,000-attendee webinar: milliseconds from typing its group's last leave to the
    new total on screen, twelve times."""
    page = browser.new_page(viewport={"width": 1280, "height": 4000}, bypass_csp=True)
    page.add_init_script(CLOCKS)
    page.goto(f"{base}/editor/?template=webinar-10k")
    page.wait_for_selector("[data-figure=fig-timeline] .main-svg")
    taken = []
    for n in range(12):
        page.evaluate("window.__typed = []; window.__total = []")
        page.fill("#id_g-0-leave_to", clock(Decimal(3600 + 7 * (n + 1))))
        page.wait_for_function("window.__total.length")
        page.wait_for_timeout(300)
        typed, total = page.evaluate("[window.__typed.at(-1), window.__total[0]]")
        taken.append(total - typed)
    page.close()
    return taken


def discrete(page: Any) -> list[float]:
    """Milliseconds from choosing (a select, a checkbox, a button) to the new total on screen,
    four of each, in turn."""
    chosen = []
    for n in range(12):
        page.evaluate("window.__typed = []; window.__total = []")
        if n % 3 == 0:
            page.select_option("#id_p-1-media", "voice" if n % 2 == 0 else "video")
        elif n % 3 == 1:
            page.click("#id_p-2-subscribes")
        else:
            page.click("#add-r")
        page.wait_for_function("window.__total.length")
        page.wait_for_timeout(300)
        typed, total = page.evaluate("[window.__typed.at(-1), window.__total[0]]")
        chosen.append(total - typed)
    return chosen


def large_editor(page: Any) -> tuple[list[float], list[float]]:
    """Bulk add to 1,000 participants, then add one row at a time: milliseconds from the
    click to the new row's first field focused, and the server's own time for each."""
    page.fill("#id_bulk-count", "980")
    page.click("#bulk-add")  # a group of 980 ...
    page.wait_for_selector("#id_g-0-name", timeout=120_000)
    page.click("button[value='write-out:g:0']")  # ... written out as rows
    page.wait_for_selector("#id_p-999-name", timeout=120_000)
    page.wait_for_timeout(1000)
    added, served = [], []
    for n in range(1000, 1005):
        with page.expect_response(lambda r: r.request.method == "POST") as response:
            start = time.perf_counter()
            page.click("#add-participant")
            page.wait_for_function(
                f"document.activeElement && document.activeElement.id === 'id_p-{n}-name'",
                timeout=120_000,
            )
            added.append((time.perf_counter() - start) * 1000)
        served.append(server_time(response.value.headers["server-timing"]))
        page.wait_for_timeout(300)
    return added, served


def server_time(header: str) -> float:
    """Milliseconds from `Server-Timing: app;dur=1.234`."""
    return float(header.split("dur=", 1)[1])


def csrf(base: str) -> tuple[str, str]:
    with urlopen(f"{base}/editor/", timeout=5) as response:
        cookie = response.headers["Set-Cookie"].split(";", 1)[0]
    return cookie.split("=", 1)[1], cookie


if __name__ == "__main__":
    sys.exit(main())
