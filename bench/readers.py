"""Which columnar reader should read usage files (issue 16)? Each candidate reads the same
file of 1,000,000 records (250,000 sessions), plain and gzipped, in a process of its own:
the median of three reads and the process's peak memory.

The candidates are not the app's dependencies (yet): install them into any virtualenv and run
it there, `pip install pyarrow polars duckdb && python -m bench.readers`. A candidate that is
not installed is skipped.
"""

from __future__ import annotations

import csv
import gzip
import random
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HEADER = [
    *("session", "kind", "name", "start", "end", "media", "endpoint"),
    *("direction", "publish", "streams", "subscribes"),
]

READ = r"""
import resource, statistics, sys, time
which, path = sys.argv[1], sys.argv[2]

def run():
    if which == "pyarrow":
        import pyarrow.csv as pc
        return pc.read_csv(path).num_rows
    if which == "pyarrow, in batches":
        import pyarrow.csv as pc
        with pc.open_csv(path) as reader:
            return sum(batch.num_rows for batch in reader)
    if which == "polars":
        import polars as pl
        return pl.read_csv(path).height
    if which == "duckdb, to arrow":
        import duckdb
        return duckdb.sql(f"select * from read_csv('{path}')").arrow().read_all().num_rows
    if which == "csv (stdlib)":
        import csv, gzip
        opened = gzip.open(path, "rt", newline="") if path.endswith(".gz") else open(path, newline="")
        with opened as f:
            return sum(1 for _ in csv.reader(f)) - 1

times = []
for _ in range(3):
    start = time.perf_counter()
    rows = run()
    times.append(time.perf_counter() - start)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"{statistics.median(times):.2f} {min(times):.2f} {max(times):.2f} {peak:.0f} {rows}")
"""
READERS = {
    "pyarrow": "pyarrow",
    "pyarrow, in batches": "pyarrow",
    "polars": "polars",
    "duckdb, to arrow": "duckdb",
    "csv (stdlib)": "csv",
}


def write_usage(path: Path, sessions: int = 250_000, seed: int = 7) -> None:
    """Four records a session (three participants and a recording, monitoring or a fourth
    participant), times in seconds, as docs/usage files give them."""
    pick = random.Random(seed)
    with path.open("w", newline="") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for s in range(sessions):
            session = f"call-{s:07d}-{pick.randrange(16**6):06x}"
            base, length = pick.randrange(0, 2_500_000), pick.randrange(30, 3600)
            for k in range(4):
                start = base + pick.randrange(0, 60)
                end = start + pick.randrange(10, length)
                kind = "participant"
                if k == 3:
                    kind = pick.choice(["recording", "monitoring", "participant"])
                media = pick.choice(["voice", "video"])
                endpoint = pick.choice(["sip", "webrtc", "pstn", "client"])
                publish = start if k == 0 else ""
                row = [session, kind, f"p{k}", start, end, media, endpoint]
                out.writerow([*row, "originating", publish, 1, "true"])


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="bench-readers-"))
    try:
        plain = folder / "usage.csv"
        write_usage(plain)
        packed = folder / "usage.csv.gz"
        with plain.open("rb") as source, gzip.open(packed, "wb", compresslevel=6) as target:
            shutil.copyfileobj(source, target)
        mb = plain.stat().st_size / 1e6
        print(f"1,000,000 records, {mb:.0f} MB ({packed.stat().st_size / 1e6:.0f} MB gzipped)")
        print(f"{'reader':<22}{'file':<6}{'median s':>9}{'range':>13}{'peak MB':>9}")
        for name, module in READERS.items():
            found = (
                module == "csv"
                or subprocess.run(
                    [sys.executable, "-c", f"import {module}"], capture_output=True
                ).returncode
                == 0
            )
            if not found:
                print(f"{name:<22}not installed")
                continue
            for path in (plain, packed):
                answer = subprocess.run(
                    [sys.executable, "-c", READ, name, str(path)],
                    capture_output=True,
                    text=True,
                )
                if answer.returncode:
                    print(f"{name:<22}{path.suffix:<6}failed: {answer.stderr.strip()[-200:]}")
                    continue
                median, low, high, peak, _ = answer.stdout.split()
                print(f"{name:<22}{path.suffix:<6}{median:>9}{f'{low}-{high}':>13}{peak:>9}")
    finally:
        shutil.rmtree(folder)


if __name__ == "__main__":
    main()
