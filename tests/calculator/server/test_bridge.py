"""Django's sync handler under the ASGI server (calculator/server/bridge.py): a request's
sync work in one call to a kept thread, answered as Django's ASGI handler answers it."""

import asyncio
import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

from calculator.server.bridge import PIECE, SyncApp, Threads, environ
from calculator.server.serving import Admission
from tests.calculator.server.test_serving import LIMIT, serve

SCOPE = {
    "type": "http",
    "http_version": "1.1",
    "method": "POST",
    "scheme": "https",
    "path": "/app/s/été/",
    "root_path": "/app",
    "query_string": b"k=1&k=2",
    "headers": [
        (b"host", b"example.com"),
        (b"content-type", b"application/json"),
        (b"content-length", b"999"),
        (b"cookie", b"a=1; "),
        (b"cookie", b"b=2"),
        (b"accept", b"text/html"),
        (b"accept", b"application/json"),
        (b"x_forwarded_for", b"6.6.6.6"),
    ],
    "client": ("10.0.0.7", 41000),
    "server": ("example.com", 443),
}


def test_the_environ_reads_an_asgi_request_as_django_s_asgi_handler_does():
    got = environ(SCOPE, b"{}")
    assert got["REQUEST_METHOD"] == "POST"
    assert (got["SCRIPT_NAME"], got["PATH_INFO"]) == ("/app", "/s/été/".encode().decode("latin1"))
    assert got["QUERY_STRING"] == "k=1&k=2"
    assert got["wsgi.url_scheme"] == "https"
    assert (got["SERVER_NAME"], got["SERVER_PORT"]) == ("example.com", "443")
    assert got["REMOTE_ADDR"] == "10.0.0.7"
    assert got["CONTENT_TYPE"] == "application/json"
    assert got["HTTP_COOKIE"] == "a=1; b=2"
    assert got["HTTP_ACCEPT"] == "text/html,application/json"
    # The body's length is what arrived, not what a header claimed.
    assert got["CONTENT_LENGTH"] == "2"
    assert got["wsgi.input"].read() == b"{}"
    # A name with an underscore would pass for its dashed namesake: dropped.
    assert "HTTP_X_FORWARDED_FOR" not in got


@pytest.fixture
def both():
    """The app as make serve builds it, and the same without the bridge."""

    def admission(**extra):
        return Admission(
            get_asgi_application(),
            max_bytes=LIMIT,
            timeout=5,
            document_bytes=LIMIT,
            slots=2,
            **extra,
        )

    return admission(sync_app=SyncApp(get_wsgi_application())), admission()


@pytest.mark.django_db(transaction=True)
def test_requests_are_answered_as_django_s_asgi_handler_answers_them(both, default_card_installed):
    bridged, plain = both
    people = [{"join": 0, "leave": 600, "publish": 0}, {"join": 30, "leave": 400}]
    document = {"model": "video_ssm", "participants": people}
    body = json.dumps(document).encode()
    answers = [serve(app, chunks=[body[:10], body[10:]]) for app in both]
    assert answers[0][0] == answers[1][0] == 200
    assert json.loads(answers[0][1]) == json.loads(answers[1][1])
    # Pages, refusals and missing pages alike.
    for method, path, chunks in (
        ("GET", "/", ()),
        ("GET", "/rules/", ()),
        ("POST", "/api/estimate", [b"{not json"]),
        ("GET", "/no/such/page/", ()),
    ):
        status, page, _ = serve(bridged, method=method, path=path, chunks=chunks)
        assert status == serve(plain, method=method, path=path, chunks=chunks)[0]
        assert page
    assert bridged.sync_app.threads.made == 1  # every one of them in the bridge's thread


def run(app, scope, body=b"", send=None, receive=None):
    sent = []

    async def keep(message):
        sent.append(message)

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, app(scope, body, send or keep, receive)).result()
    return sent


def test_a_streamed_body_goes_out_in_pieces_and_is_closed_once_in_its_thread():
    seen = []

    class Streamed:
        streaming = True

        def __init__(self):
            self.closed = []

        def __iter__(self):
            seen.append(threading.current_thread().name)
            for n in range(40):
                yield bytes([n]) * 16384

        def close(self):
            self.closed.append(threading.current_thread().name)

    result = Streamed()

    def wsgi(environ, start_response):
        seen.append(threading.current_thread().name)
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return result

    sent = run(SyncApp(wsgi), {**SCOPE, "method": "GET"})
    assert sent[0] == {
        "type": "http.response.start",
        "status": 200,
        "headers": [(b"content-type", b"application/octet-stream")],
    }
    pieces = [m["body"] for m in sent[1:]]
    assert b"".join(pieces) == b"".join(bytes([n]) * 16384 for n in range(40))
    assert len(pieces) == -(-40 * 16384 // PIECE)  # pieces of about PIECE bytes
    assert [m.get("more_body", False) for m in sent[1:]] == [True] * (len(pieces) - 1) + [False]
    # Run, read and closed in the request's one thread, closed once.
    assert result.closed == seen[:1]
    assert set(seen) == set(result.closed)
    assert seen[0] != threading.current_thread().name


def test_a_response_is_closed_when_sending_fails_mid_stream():
    closed = []

    class Streamed:
        def __iter__(self):
            return iter([b"x" * PIECE] * 8)

        def close(self):
            closed.append(True)

    def wsgi(environ, start_response):
        start_response("200 OK", [])
        return Streamed()

    async def gone(message):
        if message["type"] == "http.response.body":
            raise OSError("the client went away")

    with pytest.raises(OSError, match="went away"):
        run(SyncApp(wsgi), SCOPE, send=gone)
    assert closed == [True]


def test_threads_are_kept_from_one_request_to_the_next_and_busy_ones_never_shared():
    names = []
    started = threading.Barrier(3)

    def wsgi(environ, start_response):
        names.append(threading.current_thread().name)
        if environ["PATH_INFO"] == "/together":
            started.wait(timeout=5)  # three requests at once: three threads
        start_response("200 OK", [])
        return _Whole(b"ok")

    app = SyncApp(wsgi, Threads(idle=2))

    async def requests():
        await app({**SCOPE, "path": "/one"}, b"", _discard)
        await app({**SCOPE, "path": "/two"}, b"", _discard)
        await asyncio.gather(
            *(app({**SCOPE, "path": "/together"}, b"", _discard) for _ in range(3))
        )
        await app({**SCOPE, "path": "/after"}, b"", _discard)

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, requests()).result()
    assert names[0] == names[1]  # one after the other: the same thread
    assert len(set(names[2:5])) == 3  # at once: one a thread
    assert names[5] in names[2:5]  # kept: at most two idle, and reused
    assert len(app.threads.waiting) == 2


class _Whole(list):
    """A response held in memory, as Django's HttpResponse reads to a WSGI server."""

    streaming = False

    def __init__(self, content):
        super().__init__([content])


async def _discard(message):
    return None


class Pieces:
    """A streamed response of `count` pieces of PIECE bytes that counts what was read of it
    and when it was closed."""

    streaming = True

    def __init__(self, count):
        self.count, self.read, self.closed = count, 0, []

    def __iter__(self):
        for _ in range(self.count):
            self.read += 1
            yield b"x" * PIECE

    def close(self):
        self.closed.append(threading.current_thread().name)


def streaming(result):
    def wsgi(environ, start_response):
        start_response("200 OK", [("Content-Type", "application/octet-stream")])
        return result

    return wsgi


def test_a_stream_stops_when_its_client_goes_away():
    # uvicorn's send says nothing once the client has gone; its receive says so.
    result = Pieces(50)
    sent = []
    away = None

    async def send(message):
        sent.append(message)
        if len(sent) == 3:  # the start and two pieces, then the client goes away
            away.set()

    async def receive():
        nonlocal away
        away = away or asyncio.Event()
        await away.wait()
        return {"type": "http.disconnect"}

    async def serve():
        nonlocal away
        away = asyncio.Event()
        await SyncApp(streaming(result))(SCOPE, b"", send, receive)

    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, serve()).result()
    assert result.read < 10  # not the other 40 pieces, read for nobody
    assert len(result.closed) == 1


def test_a_stream_is_closed_when_its_start_cannot_be_sent():
    result = Pieces(3)

    async def refused(message):
        raise RuntimeError("Illegal header value")

    with pytest.raises(RuntimeError, match="Illegal"):
        run(SyncApp(streaming(result)), SCOPE, send=refused)
    assert len(result.closed) == 1
    assert result.read == 0


@pytest.mark.django_db
def test_header_values_go_out_without_the_space_django_writes_before_a_cookie():
    # Django's WSGI handler writes Set-Cookie as " csrftoken=...": h11 refuses the space.
    scope = {**SCOPE, "method": "GET", "path": "/editor/", "root_path": ""}
    scope["headers"] = [(b"host", b"testserver")]
    sent = run(SyncApp(get_wsgi_application()), scope)
    headers = sent[0]["headers"]
    cookies = [value for name, value in headers if name == b"set-cookie"]
    assert cookies
    assert cookies[0].startswith(b"csrftoken=")
    assert all(value == value.strip() for _, value in headers)
