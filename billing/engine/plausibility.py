"""Values the rules allow but people rarely mean: a call longer than a day, a billion
sessions a month, a rate of many dollars a minute. They are priced as given; a warning beside
the field asks whether they are right (a typo such as 25:00:00 for 25:00 costs a quote)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from .errors import Problem
from .meters import Meter
from .ratecard import RateCard, RateCardOverride
from .scenario import Scenario
from .timefmt import clock

LONG_INTERVAL = 24 * 3600  # seconds: a leg, conference, recording or monitoring of over a day
MANY_SESSIONS = 100_000_000  # a month: some 40 sessions a second, day and night
HIGH_RATE = Decimal(1)  # a minute, in the card's currency
MAX_WARNINGS = 20


@dataclass(frozen=True, slots=True)
class Doubt(Problem):
    """A warning: its message in full, and `brief`, for beside a narrow field."""

    brief: str = ""


def warnings(scenario: Scenario, card: RateCard | None = None) -> list[Doubt]:
    """What looks unlikely in a valid scenario, each by its path; at most MAX_WARNINGS."""
    found: list[Doubt] = []

    def warn(path: str, message: str) -> bool:
        brief = BRIEF[path.rsplit(".", 1)[-1] if "." in path else path]
        found.append(Doubt(path, message, brief))
        return len(found) < MAX_WARNINGS

    if scenario.sessions_per_month > MANY_SESSIONS and not warn(
        "sessions_per_month",
        f"{scenario.sessions_per_month:,} sessions a month is over "
        f"{MANY_SESSIONS // 1_000_000:,} million (about 40 a second, day and night): "
        "is that right?",
    ):
        return found
    for i, p in enumerate(scenario.participants):
        if p.leave - p.join > LONG_INTERVAL and not warn(
            f"participants[{i}].leave", _long(p.leave - p.join, "connected")
        ):
            return found
    for i, g in enumerate(scenario.groups):
        # Members' connections grow or shrink evenly from the first to the last.
        longest = max(g.leave[0] - g.join[0], g.leave[1] - g.join[1])
        if longest > LONG_INTERVAL and not warn(
            f"groups[{i}].leave", _long(longest, "members connected")
        ):
            return found
    for key, intervals in (
        ("conferences", scenario.conferences),
        ("recordings", scenario.recordings),
        ("monitoring", scenario.monitoring),
    ):
        for i, interval in enumerate(intervals):
            if interval.end - interval.start > LONG_INTERVAL and not warn(
                f"{key}[{i}].end", _long(interval.end - interval.start, "running")
            ):
                return found
    if card is not None and isinstance(scenario.rate_card, RateCardOverride):
        currency = card.currency
        for meter, price in scenario.rate_card.prices.items():
            if price.rate > HIGH_RATE and not warn(
                f"rate_card.rates.{meter}",
                f"{price.rate:f} {currency} a minute is over {HIGH_RATE} {currency}: "
                "is that right?",
            ):
                return found
    return found


# What the field's own note says (the full message is with the results).
BRIEF = {
    "sessions_per_month": "over 100 million: right?",
    "leave": "over a day: right?",
    "end": "over a day: right?",
}
BRIEF.update({key: f"over {HIGH_RATE} a minute: right?" for key in Meter})


def _long(seconds: Decimal, what: str) -> str:
    return f"{what} for {clock(seconds)}, more than a day: is that right? (times are h:mm:ss)"
