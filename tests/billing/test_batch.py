"""A usage file's sessions priced together (billing/engine/batch.py) against each session's
own scenario document priced alone: every session of a random file bills exactly the seconds
its document does, under every model, increment, minimum and rounding; the month is the
estimate of those documents, one session each."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.engine import Model, meter_usage, parse_scenario, price, price_estimate
from billing.engine import batch as batch_module
from billing.engine.batch import meter_sessions, month_period
from billing.engine.estimate import Estimate, Item
from billing.engine.report import session_costs
from billing.engine.usagefile import read_usage, session_document
from tests.billing.test_naive_reference import ADDONS, TIERS
from tests.conftest import FLAT_RATES, flat_card

EPOCH = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)
KINDS = ["", "participant", "conference", "recording", "monitoring", *sorted(ADDONS)]


@st.composite
def record(draw, session: str, places: int):
    """A record of a session: times in seconds from a start the session shares (up to
    `places` decimal places), kinds of every sort."""
    unit = Decimal(1).scaleb(-places)
    start = draw(st.integers(0, 400)) * unit
    end = start + draw(st.integers(0, 300)) * unit
    kind = draw(st.sampled_from(KINDS))
    publish = None
    if kind in ("", "participant"):
        publish = draw(st.one_of(st.none(), st.integers(0, int((end - start) / unit))))
        publish = None if publish is None else start + publish * unit
    return {
        "session": session,
        "kind": kind,
        "start": start,
        "end": end,
        "publish": publish,
        "media": draw(st.sampled_from(["", "voice", "video"])),
        "endpoint": draw(st.sampled_from(["", "sip", "webrtc"])),
        "streams": draw(st.sampled_from(["", "1", "2"])),
        "subscribes": draw(st.sampled_from(["", "true", "no"])),
    }


@st.composite
def usage_file(draw):
    places = draw(st.sampled_from([0, 0, 1, 3]))
    records = []
    for number in range(draw(st.integers(1, 5))):
        # Each session somewhere in the month, its times given from the file's own zero.
        offset = draw(st.integers(0, 10**6))
        for item in draw(st.lists(record(f"s{number}", places), min_size=1, max_size=6)):
            item["start"] += offset
            item["end"] += offset
            if item["publish"] is not None:
                item["publish"] += offset
            records.append(item)
    order = draw(st.permutations(range(len(records))))
    return [records[k] for k in order], draw(st.booleans())


def as_csv(records: list[dict], dated: bool) -> bytes:
    def when(value: Decimal | None) -> str:
        if value is None:
            return ""
        if not dated:
            return f"{value:f}"
        moment = EPOCH + datetime.timedelta(microseconds=int(value * 10**6))
        return moment.isoformat()

    out = io.StringIO()
    writer = csv.writer(out)
    columns = [
        "session",
        "kind",
        "start",
        "end",
        "publish",
        "media",
        "endpoint",
        "streams",
        "subscribes",
    ]
    writer.writerow([c.upper() if c == "session" else c for c in columns])
    for r in records:
        writer.writerow([when(r[c]) if c in ("start", "end", "publish") else r[c] for c in columns])
    return out.getvalue().encode()


@settings(max_examples=250, deadline=None)
@given(
    usage_file(),
    st.sampled_from(list(Model)),
    st.sampled_from([1, 6, 60]),
    st.sampled_from([0, 30, 60]),
    st.sampled_from(["interval", "session", "month"]),
    st.dictionaries(
        st.sampled_from(["voice_call_minutes", "participant_minutes", "subscribed_minutes"]),
        st.sampled_from(["graduated", "volume"]),
    ),
    # The per-minute model's sessions a few at a time, as a large file's are.
    st.sampled_from([1, 3, 20, 4_000_000]),
)
def test_every_session_of_a_file_prices_as_its_own_document(
    generated, model, increment, minimum, rounding, modes, block
):
    kept, batch_module.MINUTES_PER_BLOCK = batch_module.MINUTES_PER_BLOCK, block
    try:
        check_file(generated, model, increment, minimum, rounding, modes)
    finally:
        batch_module.MINUTES_PER_BLOCK = kept


def check_file(generated, model, increment, minimum, rounding, modes):
    records, dated = generated
    rates = dict(FLAT_RATES)
    for meter in modes:
        rates[meter] = TIERS[0]["rate"]
    card = flat_card(
        rates=rates,
        tiers={meter: TIERS for meter in modes},
        tier_modes=modes,
        increment_seconds=increment,
        minimum_seconds=minimum,
        rounding=rounding,
        addons=ADDONS,
        monthly_minimum="0.05",
    )
    read = read_usage(as_csv(records, dated), addons=ADDONS)
    assert read.records == len(records)
    batch = meter_sessions(read.sessions, model, card)
    scenarios = []
    costs = session_costs(batch, card)
    for k in range(read.sessions.count):
        scenario = parse_scenario(session_document(read, k, model))
        scenarios.append(scenario)
        assert batch.of(k) == dict(meter_usage(scenario, card).seconds), read.keys[k]
        # Its cost alone: the document's per-session total, to the millionth.
        alone = price(scenario, card).per_session.total
        assert Decimal(int(costs[k])).scaleb(-6) == alone
    month = month_period(batch, card)
    estimate = price_estimate(Estimate(tuple(Item(s, 1) for s in scenarios)), card).month
    assert [(line.meter, line.seconds, line.amount) for line in month.lines] == [
        (d.line.meter, d.line.seconds, d.line.amount) for d in estimate.lines
    ]
    assert month.total == estimate.net_total


def test_a_file_read_in_many_blocks_at_once_reads_as_in_one(monkeypatch):
    from billing.engine import usagefile
    from billing.engine.errors import ScenarioError

    rows = "".join(f"s{n % 40},{n % 7},{n % 7 + 60 + n % 3}.5\n" for n in range(3000))
    body = ("session,start,end\n" + rows).encode()
    whole = read_usage(body)
    monkeypatch.setattr(usagefile, "BLOCK_BYTES", 256)
    blocks = read_usage(body)
    assert blocks.keys == whole.keys
    assert blocks.sessions.scale == whole.sessions.scale == 10
    for column in ("session", "join", "leave", "publish"):
        assert (getattr(blocks.sessions, column) == getattr(whole.sessions, column)).all()
    # Problems from blocks read two at a time: still the first 100 by line.
    bad = ("session,start,end\n" + "".join(f"s{n},9,{n % 2}\n" for n in range(500))).encode()
    try:
        read_usage(bad)
    except ScenarioError as error:
        lines = [p.path for p in error.problems if p.path]
    assert lines == [f"line {n}" for n in range(2, 102)]


@pytest.mark.parametrize(
    "values",
    [
        [],
        [1, 2, 3],
        [2**62, 2**62],  # past int64 together: summed in Python's integers
        [-(2**62), -(2**62), 5],
        [2**40] * 1000,
    ],
)
def test_a_months_seconds_are_summed_exactly_however_large(values):
    assert batch_module._exact_sum(np.array(values, dtype=np.int64)) == sum(values)
