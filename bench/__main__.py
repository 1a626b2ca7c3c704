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
    print("Engine: time to price a parsed scenario, best of 15 runs")
    print(
        f"{'model':<22} {'participants':>12} {'engine ms':>10} {'sort ms':>9} {'x floor':>8} "
        f"{'µs each':>8}"
    )
    alone: dict[Model, dict[int, tuple[float, float]]] = {}
    for model in Model:
        for n in args.sizes:
            s = scenario(model, n)
            # Best of many: this machine slows down by half for seconds at a time.
            repeat = 15
            pairs = [(p.join, p.leave) for p in s.participants]
            floor = best_of(repeat, lambda pairs=pairs: sorted(pairs))
            engine = best_of(repeat, lambda s=s: price(s, card))
            alone.setdefault(model, {})[n] = (engine, floor)
            print(
                f"{model:<22} {n:>12,} {engine * 1000:>10.2f} {floor * 1000:>9.2f} "
                f"{engine / floor:>8.2f} {engine * 1e6 / n:>8.2f}"
            )
    if 10_000 in args.sizes and 100_000 in args.sizes:
        growth(card, alone)


def growth(card: RateCard, alone: dict[Model, dict[int, tuple[float, float]]]) -> None:
    """100,000 participants against 10,000, measured two ways: each size's runs back to back
    (above: the 10,000 then run with the session's records in the CPU's caches), and the two
    sizes' runs taken in turn (both meet the machine, caches included, in the same state). The
    sort floor's own growth is printed beside: at 10,000 a session's records fit in this
    machine's 32 MB cache and at 100,000 they do not, so every pass over them costs more."""
    print("\nGrowth from 10,000 to 100,000 participants (target: at most 12x)")
    print(f"{'':<22} {'each size alone':>26} {'in turn, best of 9':>26}")
    print(f"{'model':<22} {'engine':>12} {'sort floor':>13} {'engine':>12} {'sort floor':>13}")
    for model in Model:
        runs = alone[model]
        small, large = scenario(model, 10_000), scenario(model, 100_000)
        pairs = [[(p.join, p.leave) for p in s.participants] for s in (small, large)]
        engine, floor = [9e9, 9e9], [9e9, 9e9]
        for _ in range(9):
            for k, s in enumerate((small, large)):
                engine[k] = min(engine[k], best_of(1, lambda s=s: price(s, card)))
                floor[k] = min(floor[k], best_of(1, lambda k=k, pairs=pairs: sorted(pairs[k])))
        print(
            f"{model:<22} {runs[100_000][0] / runs[10_000][0]:>11.2f}x "
            f"{runs[100_000][1] / runs[10_000][1]:>12.2f}x "
            f"{engine[1] / engine[0]:>11.2f}x {floor[1] / floor[0]:>12.2f}x"
        )


if __name__ == "__main__":
    main()
    # The web figures need Django set up with production-like settings: their own process.
    import subprocess
    import sys

    subprocess.run([sys.executable, "-m", "bench.web"], check=True)
    subprocess.run([sys.executable, "-m", "bench.usage"], check=True)
    subprocess.run([sys.executable, "-m", "bench.limits"], check=True)
