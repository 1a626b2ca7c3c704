"""Django's sync handler under the ASGI server: each request's sync work in one call to a
thread kept for the next request.

Why: the app's middleware and views are sync. Under Django's ASGI handler a request crosses
from the event loop to a thread and back at every turn between the handler's async core and
that sync code (the chain of middleware, the view, the template's rendering, the request's
signals: six crossings, each a wait for the interpreter lock), and runs in a thread made for
it and joined by another made after it (asgiref's ThreadSensitiveContext). Served here, in
one call, the same requests took less server time in the same process (`make bench`, the
two ways in turn): the health check 0.15 ms against 0.48, the 20-person live update 5.9 ms
against 6.6, the 10,000-attendee webinar's 7.2-7.6 ms against 8.2-8.6.

A usage file's upload, which Django's ASGI handler reads as it arrives and answers with an
async stream of progress, is left to that handler (`Admission.STREAMED`).
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from calculator.server.serving import Message, Receive, Scope, Send

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

# A streamed response (a static file, a download) is sent in pieces of about this size, each
# read in the request's thread.
PIECE = 256 * 1024


class Threads:
    """Threads for requests' sync work, kept from one request to the next: a request takes an
    idle one, or a new one when all are busy (requests run beside each other as before, one a
    thread), and gives it back when done; at most `idle` wait."""

    def __init__(self, idle: int = 4) -> None:
        self.waiting: list[ThreadPoolExecutor] = []
        self.most = idle
        self.made = 0

    def take(self) -> ThreadPoolExecutor:
        if self.waiting:
            return self.waiting.pop()
        self.made += 1
        return ThreadPoolExecutor(1, f"request-{self.made}")

    def give_back(self, thread: ThreadPoolExecutor) -> None:
        if len(self.waiting) < self.most:
            self.waiting.append(thread)
        else:
            thread.shutdown(wait=False)  # its thread ends once idle


class SyncApp:
    """A WSGI application (Django's handler) served to an ASGI server, with the request's
    whole body already read: the handler runs in one call to a kept thread; a response in
    memory comes back whole, a streamed one in pieces of about PIECE bytes."""

    def __init__(self, app: WSGIApp, threads: Threads | None = None) -> None:
        self.app = app
        self.threads = threads or Threads()

    async def __call__(
        self, scope: Scope, body: bytes, send: Send, receive: Receive | None = None
    ) -> None:
        """Serve one request; `receive` (the body already read) tells when the client goes
        away, which stops a streamed response."""
        thread = self.threads.take()
        pending: Future[Any] | None = None
        stream: _Stream | None = None

        async def in_thread(work: Callable[..., Any], *args: Any) -> Any:
            nonlocal pending
            pending = thread.submit(work, *args)
            return await asyncio.wrap_future(pending)

        try:
            start, content, stream = await in_thread(self.run, scope, body)
            await send(start)
            if stream is None:
                await send({"type": "http.response.body", "body": content})
                return
            gone = asyncio.ensure_future(_gone(receive)) if receive is not None else None
            try:
                more = True
                while more and not (gone is not None and gone.done()):
                    piece, more = await in_thread(stream.read)
                    await send({"type": "http.response.body", "body": piece, "more_body": more})
            finally:
                if gone is not None:
                    gone.cancel()
        finally:
            if pending is not None and not pending.done():
                # Cancelled while its thread works (the server stopping): the thread is not
                # given back, and what the work leaves open is closed there when it ends.
                pending.add_done_callback(lambda done: _close_after(done, stream))
                thread.shutdown(wait=False)
            else:
                try:
                    if stream is not None:  # once, in the request's thread (no-op if all read)
                        await asyncio.wrap_future(thread.submit(stream.close))
                finally:
                    self.threads.give_back(thread)

    def run(self, scope: Scope, body: bytes) -> tuple[Message, bytes, _Stream | None]:
        """The response's start, and its body: whole, or a stream to read in pieces."""
        said: list[Any] = []

        def start_response(
            status: str, headers: list[tuple[str, str]], exc_info: Any = None
        ) -> Any:
            said[:] = [status, headers]
            return None

        result = self.app(environ(scope, body), start_response)
        status, headers = said
        start: Message = {
            "type": "http.response.start",
            "status": int(status.split(" ", 1)[0]),
            # (Django writes a cookie's header as " name=value": servers refuse the space.)
            "headers": [
                (k.lower().encode("latin1"), v.strip().encode("latin1")) for k, v in headers
            ],
        }
        if getattr(result, "streaming", True):
            return start, b"", _Stream(result)
        try:
            return start, b"".join(result), None
        finally:
            _close(result)  # Django's request_finished, in this thread


class _Stream:
    """A streamed response's body, read in pieces of about PIECE bytes in its request's
    thread; the last piece closes it."""

    def __init__(self, result: Iterable[bytes]) -> None:
        self.result: Iterable[bytes] | None = result
        self.iterator: Iterator[bytes] = iter(result)

    def read(self) -> tuple[bytes, bool]:
        """The next piece, and whether more follow."""
        gathered: list[bytes] = []
        size = 0
        try:
            for chunk in self.iterator:
                gathered.append(chunk)
                size += len(chunk)
                if size >= PIECE:
                    return b"".join(gathered), True
        except BaseException:
            self.close()
            raise
        self.close()
        return b"".join(gathered), False

    def close(self) -> None:
        result, self.result = self.result, None
        _close(result)  # once: Django's request_finished, in this thread


async def _gone(receive: Receive) -> None:
    """Until the client goes away (the request's body has been read)."""
    while (await receive())["type"] != "http.disconnect":
        pass


def _close_after(done: Future[Any], stream: _Stream | None) -> None:
    """Close what a request's work left open when the request was cancelled under it."""
    if stream is None and not done.cancelled() and done.exception() is None:
        result = done.result()
        if len(result) == 3 and isinstance(result[2], _Stream):
            stream = result[2]
    if stream is not None:
        stream.close()


def _close(result: object) -> None:
    close = getattr(result, "close", None)
    if close is not None:
        close()


def environ(scope: Scope, body: bytes) -> dict[str, Any]:
    """The WSGI environ of an ASGI request whose body has been read: its headers as Django's
    ASGI handler reads them (repeated ones joined by commas, cookies by semicolons), except
    that a header whose name holds an underscore is dropped, as gunicorn and Django's own
    server drop them (it would pass for its dashed namesake: X_Forwarded_For for
    X-Forwarded-For). The body's length is what arrived, whatever the headers said."""
    root = scope.get("root_path", "")
    path = scope["path"]
    if root and path.startswith(root):
        path = path[len(root) :]
    server = scope.get("server") or ("localhost", 80)
    result: dict[str, Any] = {
        "REQUEST_METHOD": scope["method"],
        "SCRIPT_NAME": root.encode("utf-8").decode("latin1"),
        "PATH_INFO": path.encode("utf-8").decode("latin1"),
        "QUERY_STRING": scope.get("query_string", b"").decode("latin1"),
        "SERVER_PROTOCOL": f"HTTP/{scope.get('http_version', '1.1')}",
        "SERVER_NAME": server[0],
        "SERVER_PORT": str(server[1] if server[1] is not None else 80),
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scope.get("scheme", "http"),
        "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if scope.get("client"):
        result["REMOTE_ADDR"] = scope["client"][0]
        result["REMOTE_PORT"] = str(scope["client"][1])
    for raw_name, raw_value in scope.get("headers", []):
        name = raw_name.decode("latin1").lower()
        if "_" in name:
            continue
        if name == "content-length":
            continue
        key = "CONTENT_TYPE" if name == "content-type" else f"HTTP_{name.upper().replace('-', '_')}"
        value = raw_value.decode("latin1")
        if key == "HTTP_COOKIE":
            value = value.rstrip("; ")
            if key in result:
                value = f"{result[key]}; {value}"
        elif key in result:
            value = f"{result[key]},{value}"
        result[key] = value
    result["CONTENT_LENGTH"] = str(len(body))
    return result
