"""How the app is served in production (`make serve`, gunicorn.conf.py): as ASGI, by uvicorn
workers under gunicorn.

Why: a sync worker reads a request itself, so a client that sends its body a byte at a time
holds that worker for as long as it likes; three such clients held every worker of the old
server (`/healthz` answered after 32 s). A uvicorn worker reads every connection on its event
loop; a request is given to Django only once its whole body is in, and Django's sync handler
runs it (middleware, view, template) in one call to a kept thread (bridge.py). A slow client holds a socket and a little memory,
never a worker. `python -m bench.load` measures it.

What this module adds to uvicorn (`Worker`, `Admission`):
- the proxy headers are left to Django's settings (`BEHIND_PROXY`) instead of uvicorn
  trusting any client on 127.0.0.1; no `Server` header;
- the body is read here, before Django sees the request: one over the limit is refused before
  it is stored, by its Content-Length at once or, streamed, as soon as it passes the limit
  (Django's ASGI handler would store a body of any size, in a temporary file past 2.5 MB); a
  body that takes longer than `REQUEST_BODY_TIMEOUT` seconds to arrive is refused too;
- turns: at most `slots` requests of a worker run at once, the others wait in order of
  arrival. Pricing is CPU work under one interpreter lock: forty requests sharing it in forty
  threads all finish late (and the event loop, starved of the lock, is slow to read and write
  everyone's sockets); one at a time, they finish in turn (`make loadtest`: 1 slot gave the
  best p99). A turn is given back as soon as the response starts, so a client slow to read
  its answer holds none, and after SLOT_TIME, so a request nobody could tell was heavy holds
  the queue up only that long;
- heavy work (`heavy_request`: a large body, or an address whose last requests took a lot of
  CPU) waits for one of the machine's heavy lanes instead, apart from everyone else's turns;
- and is done in a process of its own at a lower CPU priority (`HeavyProcess`), the worker
  only passing the request on and the answer back: see there why.
"""

from __future__ import annotations

import asyncio
import fcntl
import json
import os
import time
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import h11
from uvicorn_worker import UvicornWorker

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
# (Django's handler takes narrower types than it is given, so an app is any such callable.)
ASGIApp = Callable[..., Awaitable[None]]
# An app given the request's whole body (bridge.SyncApp: Django's sync handler).
BodyApp = Callable[[Scope, bytes, Send, Receive], Awaitable[None]]


class Worker(UvicornWorker):
    CONFIG_KWARGS = {
        "loop": "auto",
        "http": "auto",
        "proxy_headers": False,
        "server_header": False,
        "lifespan": "off",  # Django has no lifespan events
    }


class Refused(Exception):
    def __init__(self, status: int) -> None:
        self.status = status


class HeavyLanes:
    """A few lanes for the whole machine, one lock file each (flock: released by the kernel
    if a worker dies), for heavy work. After each request a lane rests `rest` times as long
    as the request held it (the time it may open again is written in its file), so heavy work
    that never stops still leaves the machine to everyone else part of the time."""

    def __init__(self, folder: Path, count: int, wait: float, rest: float = 0.0) -> None:
        self.paths = [folder / f"heavy-lane-{n}.lock" for n in range(count)]
        self.wait = wait
        self.rest = rest

    async def enter(self) -> Callable[[], None]:
        """Wait for a lane; the function that leaves it. Refused(503) after `wait` seconds."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait
        while True:
            for path in self.paths:
                path.parent.mkdir(parents=True, exist_ok=True)
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                if float(os.pread(fd, 32, 0) or b"0") > time.time():
                    os.close(fd)  # resting
                    continue
                return self._leaver(fd)
            if loop.time() > deadline:
                raise Refused(503)
            await asyncio.sleep(0.02)

    def _leaver(self, fd: int) -> Callable[[], None]:
        entered = time.time()
        left = False

        def leave() -> None:
            nonlocal left
            if left:  # once: the file's number may be reused
                return
            left = True
            now = time.time()
            os.pwrite(fd, f"{now + (now - entered) * self.rest:<32.3f}".encode(), 0)
            os.close(fd)  # closing the file unlocks it

        return leave


# Headers that describe one connection, not the request: never passed on.
HOP_BY_HOP = {
    b"connection",
    b"keep-alive",
    b"transfer-encoding",
    b"upgrade",
    b"te",
    b"trailer",
    b"proxy-connection",
    b"content-length",
}
# What the heavy process is told of the client, by the workers alone (a client's own are
# dropped before anything is passed on).
CLIENT_HEADER = b"x-calculator-client"
SCHEME_HEADER = b"x-calculator-scheme"


class HeavyProcess:
    """Heavy work done in a process of its own, at a lower CPU priority (`make serve` starts
    it beside the workers, gunicorn.conf.py): the worker that admitted the request passes it
    on over a Unix socket and the answer back, waiting on its event loop.

    Why: a worker runs a heavy request in a thread beside the requests it admits after it,
    and in one interpreter they take turns holding its lock; a third of everyone's
    connections are a worker's, and those waited behind a stranger's second of work (`make
    loadtest`: the usual mix's p99 went from about 0.45 s alone to 0.8-1.1 s with three
    strangers on the heaviest page). In a process of its own, niced, heavy work gets the CPU
    that the others leave, and the workers' interpreters are the others' alone."""

    def __init__(self, path: str) -> None:
        self.path = path

    async def relay(self, scope: Scope, body: bytes, send: Send) -> bool:
        """Pass the request on and its answer back; False, having sent nothing, if the heavy
        process cannot be reached (the worker then does the work itself)."""
        try:
            reader, writer = await asyncio.open_unix_connection(self.path)
        except OSError:
            return False
        try:
            connection = h11.Connection(h11.CLIENT)
            target = scope.get("raw_path") or scope["path"].encode()
            if scope.get("query_string"):
                target += b"?" + scope["query_string"]
            client = (scope.get("client") or ("", 0))[0]
            headers = [
                (name, value)
                for name, value in scope["headers"]
                if name.lower() not in HOP_BY_HOP
                and name.lower() not in (CLIENT_HEADER, SCHEME_HEADER)
            ]
            headers += [
                (b"content-length", str(len(body)).encode()),
                (CLIENT_HEADER, client.encode()),
                (SCHEME_HEADER, scope.get("scheme", "http").encode()),
                (b"connection", b"close"),
            ]
            request = h11.Request(method=scope["method"], target=target, headers=headers)
            writer.write(connection.send(request) or b"")
            writer.write(connection.send(h11.Data(data=body)) or b"")
            writer.write(connection.send(h11.EndOfMessage()) or b"")
            await writer.drain()
            started = False
            while True:
                event = connection.next_event()
                if event is h11.NEED_DATA:
                    data = await reader.read(65536)
                    connection.receive_data(data)
                    if not data and not started:
                        return False
                    continue
                if isinstance(event, h11.Response):
                    kept = [(n, v) for n, v in event.headers if n.lower() not in HOP_BY_HOP]
                    start = {"type": "http.response.start", "status": event.status_code}
                    await send({**start, "headers": kept})
                    started = True
                elif isinstance(event, h11.Data):
                    chunk = bytes(event.data)
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                elif isinstance(event, h11.EndOfMessage | h11.ConnectionClosed):
                    await send({"type": "http.response.body", "body": b"", "more_body": False})
                    return True
        except (OSError, h11.ProtocolError):
            return False
        finally:
            writer.close()


class FromWorkers:
    """The heavy process's door: only the workers reach its socket, so the client's address
    and scheme they pass on are taken as given."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope["headers"])
            if CLIENT_HEADER in headers:
                scope["client"] = (headers[CLIENT_HEADER].decode("latin-1"), 0)
            if SCHEME_HEADER in headers:
                scope["scheme"] = headers[SCHEME_HEADER].decode("latin-1")

        async def marked(message: Message) -> None:
            # The answer says where it was worked out (for the tests and for anyone timing).
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"x-calculator-lane", b"heavy")]
            await send(message)

        await self.app(scope, receive, marked if scope["type"] == "http" else send)


class Admission:
    """The body read and checked, then the request admitted to a slot of its worker, or to a
    heavy lane (see the module's docstring), and served by `sync_app` (Django's handler in one
    call to a thread, calculator/server/bridge.py) when given, else by `app` (Django's ASGI
    handler, which also serves the usage files streamed in)."""

    # Load balancers' checks and static files (WhiteNoise, from memory) never wait behind work.
    UNQUEUED = ("/healthz",)
    UNQUEUED_PREFIXES = ("/static/",)
    # Usage files: streamed, to their own limit (settings.USAGE_MAX_BYTES).
    STREAMED = ("/api/usage", "/usage/")
    SLOT_TIME = 0.25  # seconds

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        timeout: float,
        document_bytes: int,
        slots: int,
        heavy: Callable[[Scope, int], bool] | None = None,
        lanes: HeavyLanes | None = None,
        process: HeavyProcess | None = None,
        sync_app: BodyApp | None = None,
    ) -> None:
        self.app = app
        self.sync_app = sync_app
        self.process = process
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.document_bytes = document_bytes  # the limit people are told of
        self.slots = asyncio.Semaphore(slots) if slots > 0 else None
        self.heavy, self.lanes = heavy, lanes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] in self.STREAMED and scope["method"] == "POST":
            await self.streamed(scope, receive, send)
            return
        try:
            body = await self.read_body(scope, receive)
            leave = await self.enter(scope, len(body))
        except Refused as refused:
            await self.refuse(scope, send, refused.status)
            return
        except ConnectionAbortedError:  # the client went away
            return

        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()  # Django listens for a disconnect while the view runs

        async def leaving_send(message: Message) -> None:
            nonlocal leave
            if message["type"] == "http.response.start" and leave is not None:
                left, leave = leave, None
                left()  # the work is done: a client slow to read its answer holds nothing
            await send(message)

        try:
            if not (
                self.process is not None
                and scope.get("calculator.heavy")
                and await self.process.relay(scope, body, leaving_send)
            ):
                if self.sync_app is not None:
                    await self.sync_app(scope, body, leaving_send, receive)
                else:
                    await self.app(scope, replay, leaving_send)
        finally:
            if leave is not None:
                leave()

    async def streamed(self, scope: Scope, receive: Receive, send: Send) -> None:
        """A usage file: its body passed on as it arrives (Django spools it to disk), up to
        its own limit; the request takes a heavy lane (it is heavy work) in this worker."""
        from django.conf import settings

        limit = settings.USAGE_MAX_BYTES
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            await self.refuse(scope, send, 413, limit)
            return
        leave = await self.lanes.enter() if self.lanes is not None else None
        size = 0
        started = False
        over = False

        async def counted() -> Message:
            nonlocal size, over
            async with asyncio.timeout(settings.USAGE_BODY_TIMEOUT):
                message = await receive()
            size += len(message.get("body", b""))
            if size > limit:
                over = True
                return {"type": "http.disconnect"}
            return message

        async def marked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counted, marked)
        except TimeoutError:
            if not started:
                await self.refuse(scope, send, 408)
            return
        finally:
            if leave is not None:
                leave()
        if over and not started:
            await self.refuse(scope, send, 413, limit)

    async def enter(self, scope: Scope, size: int) -> Callable[[], None] | None:
        """Wait for this request's turn: a lane if it is heavy, else a slot of this worker;
        the function that gives it back."""
        if scope["path"] in self.UNQUEUED or scope["path"].startswith(self.UNQUEUED_PREFIXES):
            return None
        if self.lanes is not None and self.heavy is not None and self.heavy(scope, size):
            scope["calculator.heavy"] = True
            return await self.lanes.enter()
        if self.slots is None:
            return None
        slots = self.slots
        await slots.acquire()
        held = True

        def leave() -> None:
            nonlocal held
            if held:
                held = False
                slots.release()

        # A request still running after SLOT_TIME gives its slot to the next one and goes on
        # beside it: work nobody could tell was heavy holds the queue up only that long.
        asyncio.get_running_loop().call_later(self.SLOT_TIME, leave)
        return leave

    async def read_body(self, scope: Scope, receive: Receive) -> bytes:
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            raise Refused(413)
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        raise ConnectionAbortedError
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > self.max_bytes:
                        raise Refused(413)
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise Refused(408) from None

    async def refuse(self, scope: Scope, send: Send, status: int, limit: int = 0) -> None:
        megabytes = f"{(limit or self.document_bytes) / 1_000_000:g}"
        most = "a usage file may be" if limit else "the calculator takes"
        message = {
            413: f"The request is over {megabytes} MB, the most {most}.",
            408: f"The request's body took more than {self.timeout:g} seconds to arrive.",
            503: "The calculator is busy with large scenarios just now: try again in 10 seconds.",
        }[status]
        if scope["path"].startswith("/api/"):
            body = json.dumps({"error": message, "problems": [{"path": "", "message": message}]})
            content_type = b"application/json"
        else:
            body, content_type = message, b"text/plain; charset=utf-8"
        data = body.encode()
        headers = [
            (b"content-type", content_type),
            (b"content-length", str(len(data)).encode()),
        ]
        if status == 503:
            headers.append((b"retry-after", b"10"))
        else:
            headers.append((b"connection", b"close"))  # the rest of the body is never read
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})


def heavy_request(scope: Scope, size: int) -> bool:
    """Whether a request is heavy work: a large body (a large scenario), or an address that
    has just had a request take a lot of CPU (a GET of a large saved scenario's pages...)."""
    from django.conf import settings

    from calculator.server.ratelimit import address, heavy_marks

    if size >= settings.HEAVY_BODY:
        return True
    headers = dict(scope["headers"])
    forwarded = headers.get(b"x-forwarded-for", b"").decode("latin-1")
    client = scope.get("client") or ("", 0)
    return heavy_marks(address(forwarded, client[0])).counted_lately()
