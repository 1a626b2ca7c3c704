"""The engine against a deliberately naive second implementation that walks the session
second by second, for small whole-second scenarios of every model."""

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from billing.engine import Meter, parse_scenario, price, read_rate_card
from tests.conftest import FLAT_RATES, flat_card

SECONDS = 300


def rounded(seconds: int, increment: int, minimum: int) -> int:
    if seconds == 0:
        return 0
    whole = 0
    while whole < seconds:  # step up an increment at a time: no division to get wrong
        whole += increment
    return max(minimum, whole)


def active(start: int, end: int, t: int) -> bool:
    """Second t (the second from t to t + 1) lies within [start, end)."""
    return start <= t < end


def naive(
    document: dict, increment: int, minimum: int, rounding: str = "interval"
) -> dict[Meter, int]:
    """A session's billed seconds per meter: each interval rounded on its own, or (`rounding`
    session) each meter's exact seconds rounded once, or (month) exact."""
    parts, whole = naive_parts(document)
    totals: dict[Meter, int] = {}
    for meter, seconds in parts.items():
        if rounding == "interval":
            totals[meter] = sum(rounded(s, increment, minimum) for s in seconds)
        elif rounding == "session":
            totals[meter] = rounded(sum(seconds), increment, minimum)
        else:
            totals[meter] = sum(seconds)
    for meter, seconds in whole.items():
        totals[meter] = totals.get(meter, 0) + seconds
    return totals


def naive_parts(document: dict) -> tuple[dict[Meter, list[int]], dict[Meter, int]]:
    """The exact seconds of each billed interval, by meter; and what bills in whole minutes
    the card never rounds (video_ppm_per_minute's participant minutes)."""
    people = document["participants"]
    parts: dict[Meter, list[int]] = {}
    totals: dict[Meter, int] = {}

    def add(meter: Meter, seconds: int) -> None:
        if seconds:
            parts.setdefault(meter, []).append(seconds)

    def count(start: int, end: int, also=lambda t: True) -> int:
        return sum(1 for t in range(SECONDS) if active(start, end, t) and also(t))

    model = document["model"]
    if model == "sip_mediaserver":
        for p in people:
            add(
                Meter.VIDEO_CALL if p["media"] == "video" else Meter.VOICE_CALL,
                count(p["join"], p["leave"]),
            )
        for c in document["conferences"]:
            add(
                Meter.VIDEO_CALL if c["media"] == "video" else Meter.VOICE_CALL,
                count(c["start"], c["end"]),
            )
    elif model == "video_ppm":
        start = None
        for t in range(SECONDS + 1):
            publishing = any(p["publish"] is not None and p["publish"] <= t for p in people)
            joined = sum(1 for p in people if p["join"] <= t)
            if publishing or joined >= 2:
                start = t
                break
        if start is not None:
            for p in people:
                add(Meter.PARTICIPANT, count(p["join"], p["leave"], lambda t, s=start: t >= s))
    elif model == "video_ppm_per_minute":
        # Minute by minute: a minute with a second someone publishes in bills the most
        # connected at one second of it, in whole minutes, never rounded by the card.
        for start in range(0, SECONDS + 60, 60):
            seconds = range(start, start + 60)
            if not any(
                p["publish"] is not None and active(p["publish"], p["leave"], t)
                for p in people
                for t in seconds
            ):
                continue
            most = max(sum(1 for p in people if active(p["join"], p["leave"], t)) for t in seconds)
            if most:
                totals[Meter.PARTICIPANT] = totals.get(Meter.PARTICIPANT, 0) + 60 * most
    else:
        for i, s in enumerate(people):
            if not s["subscribes"]:
                continue
            for j, p in enumerate(people):
                if i == j or p["publish"] is None:
                    continue
                both = count(
                    s["join"], s["leave"], lambda t, p=p: active(p["publish"], p["leave"], t)
                )
                for _ in range(p["streams"]):
                    add(Meter.SUBSCRIBED, both)
    if model != "sip_mediaserver":
        for p in people:
            if p["endpoint"] == "sip":
                add(Meter.SIP_INTERCONNECT, count(p["join"], p["leave"]))
    for r in document["recordings"]:
        add(Meter.RECORDING, count(r["start"], r["end"]))
    for m in document["monitoring"]:
        add(Meter.MONITORING, count(m["start"], m["end"]))
    for a in document.get("addons", []):
        add(a["meter"], count(a["start"], a["end"]))
    return parts, totals


moments = st.integers(0, SECONDS)


@st.composite
def participant(draw):
    a, b = sorted((draw(moments), draw(moments)))
    publish = draw(st.one_of(st.none(), st.integers(a, b)))
    return {
        "join": a,
        "leave": b,
        "publish": publish,
        "media": draw(st.sampled_from(["voice", "video"])),
        "endpoint": draw(st.sampled_from(["sip", "webrtc", "client"])),
        "streams": draw(st.integers(1, 2)),
        "subscribes": draw(st.booleans()),
    }


@st.composite
def interval(draw, media=False):
    a, b = sorted((draw(moments), draw(moments)))
    return {
        "start": a,
        "end": b,
        **({"media": draw(st.sampled_from(["voice", "video"]))} if media else {}),
    }


ADDONS = {
    "archive_minutes": {"label": "Archive", "rate": "0.0100"},
    "connector_minutes": {"label": "Connector", "rate": "0.0060"},
}


@st.composite
def addon(draw):
    return {**draw(interval()), "meter": draw(st.sampled_from(sorted(ADDONS)))}


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["sip_mediaserver", "video_ppm", "video_ppm_per_minute", "video_ssm"]),
    st.lists(participant(), max_size=5),
    st.lists(interval(media=True), max_size=2),
    st.lists(interval(), max_size=2),
    st.lists(interval(), max_size=2),
    st.sampled_from([1, 6, 30, 60]),
    st.sampled_from([0, 30, 60]),
    st.sampled_from(["interval", "session", "month"]),
    st.lists(addon(), max_size=3),
)
def test_the_engine_agrees_with_a_second_by_second_walk(
    model, people, conferences, recordings, monitoring, increment, minimum, rounding, addons
):
    document = {
        "model": model,
        "participants": people,
        "conferences": conferences,
        "recordings": recordings,
        "monitoring": monitoring,
        "addons": addons,
    }
    card = flat_card(
        increment_seconds=increment, minimum_seconds=minimum, rounding=rounding, addons=ADDONS
    )
    quote = price(parse_scenario(document), card)
    assert quote.usage.seconds == naive(document, increment, minimum, rounding)
    assert sum(line.amount for line in quote.per_session.lines) == quote.per_session.total
    assert sum(line.amount for line in quote.monthly.lines) == quote.monthly.total
    assert all(isinstance(line.amount, Decimal) for line in quote.monthly.lines)


TIERS = [
    {"up_to": "50", "rate": "0.0050"},
    {"up_to": "500", "rate": "0.0040"},
    {"up_to": None, "rate": "0.0030"},
]


def cents(value: Fraction) -> Decimal:
    """Half up to the cent, by hand."""
    return Decimal(int(value * 100 + Fraction(1, 2))) / 100


def naive_month(document, card_document, increment, minimum) -> Decimal:
    """A month's total the long way: the naive meters' seconds x sessions (under month
    rounding, the exact ones rounded once), each meter priced by walking its tiers
    (graduated) or finding the tier reached (volume), then the fees, then the minimum."""
    sessions = document["sessions_per_month"]
    rounding = card_document.get("rounding", "interval")
    month = {m: s * sessions for m, s in naive(document, increment, minimum, rounding).items()}
    if rounding == "month":
        parts, whole = naive_parts(document)
        month = {m: rounded(sum(s) * sessions, increment, minimum) for m, s in parts.items()}
        for meter, seconds in whole.items():
            month[meter] = month.get(meter, 0) + seconds * sessions
    total = Decimal(0)
    for meter, seconds in month.items():
        minutes = Fraction(seconds, 60)
        if not minutes:
            continue
        tiers = card_document["tiers"].get(str(meter))
        if not tiers:
            rate = card_document["rates"].get(str(meter)) or ADDONS[meter]["rate"]
            total += cents(minutes * Fraction(rate))
        elif card_document["tier_modes"].get(str(meter)) == "volume":
            reached = next(
                t for t in tiers if t["up_to"] is None or minutes <= Fraction(t["up_to"])
            )
            total += cents(minutes * Fraction(reached["rate"]))
        else:
            floor = Fraction(0)
            for tier in tiers:
                top = minutes if tier["up_to"] is None else min(minutes, Fraction(tier["up_to"]))
                if top > floor:
                    total += cents((top - floor) * Fraction(tier["rate"]))
                if tier["up_to"] is None or minutes <= Fraction(tier["up_to"]):
                    break
                floor = Fraction(tier["up_to"])
    for key, count in document["fees"].items():
        fee = card_document["fees"][key]
        times = sessions if fee["per"] == "session" else 1
        total += cents(count * Fraction(fee["price"]) * times)
    least = card_document.get("monthly_minimum")
    return max(total, cents(Fraction(least))) if least is not None else total


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["sip_mediaserver", "video_ppm", "video_ppm_per_minute", "video_ssm"]),
    st.lists(participant(), max_size=4),
    st.lists(interval(), max_size=1),
    st.integers(0, 400),
    st.sampled_from([1, 30, 60]),
    st.dictionaries(
        st.sampled_from(["voice_call_minutes", "participant_minutes", "subscribed_minutes"]),
        st.sampled_from(["graduated", "volume"]),
    ),
    st.one_of(st.none(), st.sampled_from(["0", "0.50", "3", "12.345"])),
    st.fixed_dictionaries({"device": st.integers(0, 30), "setup": st.integers(0, 3)}),
    st.sampled_from(["interval", "session", "month"]),
    st.sampled_from([0, 60]),
    st.lists(addon(), max_size=2),
)
def test_a_month_with_deal_terms_agrees_with_the_long_way(
    model, people, recordings, sessions, increment, modes, least, counts, rounding, minimum, addons
):
    document = {
        "model": model,
        "sessions_per_month": sessions,
        "participants": people,
        "conferences": [],
        "recordings": recordings,
        "monitoring": [],
        "fees": counts,
        "addons": addons,
    }
    card_document = {
        "rates": dict(FLAT_RATES),
        "tiers": {meter: TIERS for meter in modes},
        "tier_modes": modes,
        "increment_seconds": increment,
        "minimum_seconds": minimum,
        "rounding": rounding,
        "addons": ADDONS,
        "fees": {
            "device": {"label": "Device", "per": "month", "price": "2.00"},
            "setup": {"label": "Set-up", "per": "session", "price": "0.0010"},
        },
    }
    if least is not None:
        card_document["monthly_minimum"] = least
    rates = dict(card_document["rates"])
    for meter in modes:
        rates[meter] = TIERS[0]["rate"]  # a meter with tiers: its rate is its first tier's
    card = read_rate_card({**card_document, "rates": rates})
    quote = price(parse_scenario(document), card)
    assert quote.monthly.total == naive_month(
        document, {**card_document, "rates": rates}, increment, minimum
    )
