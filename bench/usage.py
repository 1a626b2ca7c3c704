"""A month of call records, as issue 16 measures it: 1,000,000 records in 250,000 sessions
(about 65 MB of CSV), made the same for every run (a fixed seed)."""

from __future__ import annotations

import gzip
import random
from pathlib import Path

HEADER = "session,kind,name,start,end,media,endpoint,publish\n"
MONTH_START = 1_793_520_000  # 2026-11-01T00:00:00Z, in seconds since 1970
MONTH = 30 * 86400


def write_usage_file(path: Path, sessions: int = 250_000, seed: int = 16) -> int:
    """Sessions of 2 to 6 participants (4 records a session on average): calls and meetings
    through the month, lasting 1 to 60 minutes; some recorded, some dialled in over SIP or
    the phone network. Gzipped if the name ends in .gz. Returns the number of records."""
    rng = random.Random(seed)
    lines = [HEADER]
    records = 0
    for number in range(sessions):
        start = MONTH_START + rng.randrange(MONTH)
        length = rng.randrange(60, 3600)
        people = rng.choice((2, 2, 3, 3, 4, 5, 6)) if number % 10 else 2
        video = rng.random() < 0.6
        recorded = people == 2 and rng.random() < 0.5
        key = f"c{number:07d}"
        for k in range(people - (1 if recorded else 0)):
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
