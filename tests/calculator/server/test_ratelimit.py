"""Counters shared by every worker of the machine, sliding windows, and each address's share
of the CPU."""

import multiprocessing

import pytest
from django.test import Client

from calculator.server.ratelimit import SqliteCounters, seconds_until_under


def _count_to(path: str, key: str, times: int) -> None:
    store = SqliteCounters(path)
    for _ in range(times):
        store.add(key, 1, 60)


def test_several_processes_counting_one_key_lose_no_count(tmp_path):
    path = str(tmp_path / "counters.sqlite3")
    processes = [
        multiprocessing.get_context("fork").Process(target=_count_to, args=(path, "k", 300))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    assert SqliteCounters(path).get_many(["k"]) == [1200]


def test_a_counter_starts_again_once_it_has_expired(tmp_path, monkeypatch):
    store = SqliteCounters(tmp_path / "c.sqlite3")
    clock = [1000.0]
    monkeypatch.setattr("calculator.server.ratelimit.time.time", lambda: clock[0])
    assert store.add("k", 5, 60) == 5
    assert store.add("k", 2, 60) == 7
    clock[0] += 61
    assert store.get_many(["k"]) == [0]
    assert store.add("k", 1, 60) == 1


def test_a_counter_in_the_cache_counts_the_same_way(settings):
    from calculator.server.ratelimit import CacheCounters

    store = CacheCounters()
    assert store.add("k", 3, 60) == 3
    assert store.add("k", 4, 60) == 7
    assert store.get_many(["k", "other"]) == [7, 0]
    store.delete("k")
    assert store.get_many(["k"]) == [0]


@pytest.mark.parametrize(
    ("now", "current", "previous", "wait"),
    [
        (30, 4, 10, None),  # 4 + 10 x 0.5 = 9: under 10
        (30, 5, 10, 1),  # 5 + 5 = 10: over until a little more has slid out
        (15, 0, 20, 15),  # 20 x (1 - f) < 10 once f > 0.5, at 30 s
        (30, 10, 0, 30),  # this window's 10 slide out from the start of the next one
        (30, 20, 0, 60),  # ...and 20 by the middle of the next one
        (0, 0, 10, 1),  # a streak that ended at the window's edge still counts whole
    ],
)
def test_a_sliding_window_counts_what_is_left_of_the_previous_one(now, current, previous, wait):
    assert seconds_until_under(10, 60, now, current, previous) == wait


@pytest.mark.django_db
def test_the_api_limit_holds_for_all_workers_together(settings):
    """Each worker process sees the same file: what one counted, the others see."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api": (3, 60)}
    body = {"model": "sip_mediaserver", "participants": [{"join": 0, "leave": 60}]}
    client = Client()
    statuses = [
        client.post("/api/estimate", body, content_type="application/json").status_code
        for _ in range(2)
    ]
    # Another worker's count, made in another process on the same file.
    process = multiprocessing.get_context("fork").Process(
        target=_count_to, args=(str(settings.RATE_LIMIT_DB), _api_key(), 1)
    )
    process.start()
    process.join(timeout=60)
    statuses.append(client.post("/api/estimate", body, content_type="application/json").status_code)
    assert statuses == [200, 200, 429]


def _api_key() -> str:
    import time

    return f"ratelimit:api:127.0.0.1:{int(time.time() // 60)}"


@pytest.mark.django_db
def test_an_address_that_has_spent_its_cpu_share_waits_and_others_do_not(settings):
    settings.TRUST_X_FORWARDED_FOR = True
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "cpu": (1, 60)}  # one millisecond
    hungry, other = Client(HTTP_X_FORWARDED_FOR="203.0.113.7"), Client()
    assert hungry.get("/editor/?template=all-hands").status_code == 200
    refused = hungry.get("/editor/?template=all-hands")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert "used its share" in refused.content.decode()
    api = hungry.post("/api/estimate", {"model": "video_ppm"}, content_type="application/json")
    assert api.status_code == 429
    assert "computing time" in api.json()["error"]
    assert hungry.get("/healthz").status_code == 200  # load balancers always get an answer
    assert other.get("/editor/?template=all-hands").status_code == 200


@pytest.mark.django_db
def test_a_counter_store_that_fails_lets_requests_through(settings, tmp_path, caplog):
    settings.RATE_LIMIT_DB = tmp_path / "not-a-folder"
    (tmp_path / "not-a-folder").write_text("a file where the store would make its folder")
    settings.RATE_LIMIT_DB = tmp_path / "not-a-folder" / "counters.sqlite3"
    assert Client().get("/editor/?template=ivr-only").status_code == 200
    assert "rate-limit counters unavailable" in caplog.text


@pytest.mark.django_db
def test_a_request_that_took_much_cpu_marks_its_address_heavy(settings):
    from calculator.server.ratelimit import heavy_marks

    settings.HEAVY_REQUEST = (1, 60)  # a millisecond: any page
    assert not heavy_marks("127.0.0.1").counted_lately()
    Client().get("/editor/?template=all-hands")
    assert heavy_marks("127.0.0.1").counted_lately()
    Client().get("/healthz")
    assert not heavy_marks("192.0.2.1").counted_lately()
