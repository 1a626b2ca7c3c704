"""`make bench`: how fast the engine prices large scenarios, against a floor measured in the same run.

The floor is the time Python takes just to sort the participants' (join, leave) pairs: any
engine that looks at each interval once costs at least about that much.
"""

from __future__ import annotations

import argparse
import importlib
import random
import time
from collections.abc import Callable
from decimal import Decimal

from billing.engine import Model, Participant, RateCard, Scenario, price, read_rate_card

SIZES = (10, 1_000, 10_000, 100_000)
PRESENTERS = 5

# The sample card the app installs (its migration holds the rates), read without Django.
_SAMPLE = importlib.import_module("billing.migrations.0002_default_rate_card")
CARD = read_rate_card(
    {
        "rates": _SAMPLE.SAMPLE_RATES,
        "tiers": {
            meter: [{"up_to": up_to, "rate": rate} for up_to, rate in tiers]
            for meter, tiers in _SAMPLE.SAMPLE_TIERS.items()
        },
    }
)


def scenario(model: Model, n: int, seed: int = 7) -> Scenario:
    """A large session: joins spread over 30 minutes, stays of 5 to 60 minutes.

    Under the subscribed-minutes model every subscription is rounded on its own, so the work
    grows with subscribers x publishers; the scenario is a webinar of 5 presenters whom
    everyone else watches, which is how sessions of thousands are run.
    """
    rng = random.Random(seed)
    people = []
    for i in range(n):
        join = Decimal(rng.randrange(0, 1800))
        leave = join + rng.randrange(300, 3600)
        if model is Model.VIDEO_SSM:
            presenter = i < PRESENTERS
            publish = join if presenter else None
            subscribes = not presenter
        else:
            publish = join + rng.randrange(0, 60) if i % 3 == 0 else None
            subscribes = True
        people.append(
            Participant(
                name=f"P{i}",
                join=join,
                leave=leave,
                media="video" if i % 2 else "voice",
                endpoint="sip" if i % 10 == 0 else "webrtc",
                publish=publish,
                subscribes=subscribes,
            )
        )
    return Scenario(model=model, participants=tuple(people), sessions_per_month=1000)


def best_of(repeat: int, work: Callable[[], object]) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="*", default=list(SIZES))
    args = parser.parse_args()
    card: RateCard = CARD
    print("Engine: time to price a parsed scenario, best of several runs")
    print(f"{'model':<16} {'participants':>12} {'engine ms':>10} {'sort ms':>9} {'x floor':>8}")
    by_model: dict[Model, dict[int, float]] = {}
    for model in Model:
        for n in args.sizes:
            s = scenario(model, n)
            repeat = 7 if n <= 10_000 else 5
            pairs = [(p.join, p.leave) for p in s.participants]
            floor = best_of(repeat, lambda pairs=pairs: sorted(pairs))
            engine = best_of(repeat, lambda s=s: price(s, card))
            by_model.setdefault(model, {})[n] = engine
            print(
                f"{model:<16} {n:>12,} {engine * 1000:>10.2f} {floor * 1000:>9.2f} {engine / floor:>8.2f}"
            )
    if 10_000 in args.sizes and 100_000 in args.sizes:
        print("\nGrowth from 10,000 to 100,000 participants (target: at most 12x)")
        for model, times in by_model.items():
            print(f"{model:<16} {times[100_000] / times[10_000]:>6.2f}x")


if __name__ == "__main__":
    main()
    # The web figures need Django set up with production-like settings: their own process.
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "bench.web"], check=True)
