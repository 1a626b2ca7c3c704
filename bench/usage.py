"""A month of call records, as issue 16 measures it: 1,000,000 records in 250,000 sessions
(about 65 MB of CSV), made the same for every run (a fixed seed)."""

from __future__ import annotations

import gzip
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.request import Request, urlopen

from bench import free_port

ROOT = Path(__file__).resolve().parents[1]

HEADER = "session,kind,name,start,end,media,endpoint,publish\n"
MONTH_START = 1_793_520_000  # 2026-11-01T00:00:00Z, in seconds since 1970
MONTH = 30 * 86400


def write_usage_file(path: Path, sessions: int = 250_000, seed: int = 16) -> int:
    """Sessions of 2 to 6 participants (4 records a session on average, a few recorded): calls and meetings
    through the month, lasting 1 to 60 minutes; some recorded, some dialled in over SIP or
    the phone network. Gzipped if the name ends in .gz. Returns the number of records."""
    rng = random.Random(seed)
    lines = [HEADER]
    records = 0
    for number in range(sessions):
        start = MONTH_START + rng.randrange(MONTH)
        length = rng.randrange(60, 3600)
        people = rng.choice((2, 3, 4, 5, 6))
        video = rng.random() < 0.6
        recorded = people == 2 and rng.random() < 0.5
        key = f"c{number:07d}"
        for k in range(people):
            join = start + (0 if k < 2 else rng.randrange(length // 2))
            leave = start + length - (0 if k < 2 else rng.randrange(length // 4))
            endpoint = rng.choice(("webrtc", "webrtc", "client", "sip", "pstn"))
            publish = join if (video and k < 2) else ""
            media = "video" if video else "voice"
            lines.append(f"{key},,Caller {k + 1},{join},{leave},{media},{endpoint},{publish}\n")
            records += 1
        if recorded:
            lines.append(f"{key},recording,,{start},{start + length},,,\n")
            records += 1
    data = "".join(lines).encode()
    path.write_bytes(gzip.compress(data, compresslevel=6) if path.suffix == ".gz" else data)
    return records


def _pyarrow_read(path: Path) -> float:
    import pyarrow.csv

    start = time.perf_counter()
    pyarrow.csv.read_csv(str(path))
    return time.perf_counter() - start


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def _peak_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM), in MB."""
    for line in (Path("/proc") / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def main() -> None:
    """POST /api/usage of a 1,000,000-record file to the server as `make serve` runs it (one
    worker), plain and gzipped: its time against pyarrow's own read of the same file in the
    same run, and the worker's peak memory (issue 16's targets)."""
    folder = Path(tempfile.mkdtemp(prefix="bench-usage-"))
    os.environ.update(
        DEBUG="false",
        SECRET_KEY="bench-only",
        DATABASE_URL=f"sqlite:///{folder}/bench.sqlite3",
        RATE_LIMIT_DB=f"{folder}/ratelimits.sqlite3",
        CPU_BUDGET="0",
        DJANGO_SETTINGS_MODULE="calculator.settings",
        WORKERS="1",
        # Timed one after another: a heavy lane's rest after each request (a fair share for
        # everybody else when one client sends heavy work back to back) would be timed too.
        HEAVY_LANE_REST_PERCENT="0",
        STATIC_ROOT=str(folder / "static"),
        COMPRESS_STATIC="true",
    )
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], check=True, cwd=ROOT)
    subprocess.run([*manage, "collectstatic", "-v", "0", "--noinput"], check=True, cwd=ROOT)
    plain, zipped = folder / "month.csv", folder / "month.csv.gz"
    records = write_usage_file(plain)
    zipped.write_bytes(gzip.compress(plain.read_bytes(), compresslevel=6))
    size = plain.stat().st_size / 1e6
    print(
        f"\nUsage file: {records:,} records in 250,000 sessions, {size:.1f} MB of CSV "
        f"({zipped.stat().st_size / 1e6:.1f} MB gzipped)"
    )
    port = free_port()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--config",
            "gunicorn.conf.py",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=os.environ.copy(),
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urlopen(f"{base}/healthz", timeout=1).read()
                break
            except OSError:
                time.sleep(0.1)
        print(
            "  POST /api/usage?model=video_ppm, median of 3 (targets: at most 10 s, at most "
            "10x pyarrow's read, worker's peak memory at most 1.5 GB)"
        )
        for path, kind in ((plain, "text/csv"), (zipped, "application/gzip")):
            times, reads, served = [], [], []
            for _ in range(3):
                reads.append(_pyarrow_read(path))
                with path.open("rb") as body:
                    request = Request(
                        f"{base}/api/usage?model=video_ppm",
                        data=body,
                        method="POST",
                        headers={
                            "Content-Type": kind,
                            "Content-Length": str(path.stat().st_size),
                        },
                    )
                    start = time.perf_counter()
                    with urlopen(request, timeout=120) as response:
                        result = json.loads(response.read())
                        timing = response.headers.get("Server-Timing", "")
                    times.append(time.perf_counter() - start)
                    served.append(float(timing.split("dur=")[1]) / 1000 if "dur=" in timing else 0)
                assert result["records"] == records, result
            taken, read = statistics.median(times), statistics.median(reads)
            print(
                f"    {path.name:<14} {taken:6.2f} s ({min(times):.2f}-{max(times):.2f}); "
                f"pyarrow's read alone {read:.2f} s: {taken / read:.1f}x; the app's own part "
                f"(Server-Timing: after the body arrived) {statistics.median(served):.2f} s"
            )
        peak = max(_peak_mb(pid) for pid in _children(server.pid))
        print(f"    the worker's peak memory over these runs: {peak:,.0f} MB")
        in_browser(base, plain)
    finally:
        server.terminate()
        server.wait(timeout=20)


# Page-side clocks: the first upload progress, the first pricing progress, the longest task
# that held the page's thread (a frozen page would show one as long as the work).
CLOCKS = """
window.__marks = {}; window.__longest = 0;
new PerformanceObserver(function (list) {
  list.getEntries().forEach(function (e) { window.__longest = Math.max(window.__longest, e.duration); });
}).observe({entryTypes: ["longtask"]});
"""


def in_browser(base: str, path: Path) -> None:
    """The usage page in Chromium (where installed): the file chosen and sent, the time to
    the first sign of progress, to the pricing's first progress and to the report, and the
    longest task the page's thread ran meanwhile (target: progress within 1 s, no freeze)."""
    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        print("  (no Chromium at /usr/bin/chromium: the page's progress is not measured)")
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium), args=["--no-sandbox"])
        # The clocks are evaluated script, which the site's Content Security Policy forbids.
        page = browser.new_page(bypass_csp=True)
        page.add_init_script(CLOCKS)
        page.goto(f"{base}/usage/")
        page.set_input_files("#usage-file", str(path))
        page.select_option("#usage-model", "video_ppm")
        start = time.perf_counter()
        page.click("[data-submit]")
        page.wait_for_function("document.querySelector('[data-upload]').value > 0", polling=10)
        uploading = time.perf_counter() - start
        page.wait_for_function(
            "/reading|pricing/.test(document.querySelector('[data-pricing-text]').textContent)",
            polling=10,
            timeout=60_000,
        )
        pricing = time.perf_counter() - start
        longest = page.evaluate("window.__longest")  # the usage page's, while it waits
        page.wait_for_url("**/u/*/", timeout=120_000)
        done = time.perf_counter() - start
        browser.close()
    print(
        f"  the usage page in Chromium, the same file (target: progress within 1 s): first "
        f"upload progress {uploading * 1000:.0f} ms, the pricing's first progress "
        f"{pricing:.2f} s, the report {done:.2f} s; the longest task on the page's thread "
        f"{longest:.0f} ms"
    )


if __name__ == "__main__":
    main()
