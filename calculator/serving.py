"""How the app is served in production (`make serve`, gunicorn.conf.py): as ASGI, by uvicorn
workers under gunicorn.

Why: a sync worker reads a request itself, so a client that sends its body a byte at a time
holds that worker for as long as it likes; three such clients held every worker of the old
server (`/healthz` answered after 32 s). A uvicorn worker reads every connection on its event
loop, and Django reads the body asynchronously, before any thread is given to the request;
then each request's sync code (middleware and view) runs in a thread of its own. A slow client
holds a socket and a little memory, never a worker. `python -m bench.load` measures it.

What this module adds to uvicorn:
- `Worker`: uvicorn's gunicorn worker, with the proxy headers left to Django's settings
  (`BEHIND_PROXY`) instead of uvicorn trusting any client on 127.0.0.1, and no `Server` header.
- `LimitRequestBody`: Django's ASGI handler stores a body of any size (in a temporary file past
  2.5 MB) before a view can refuse it; this refuses a body over the limit before it is stored,
  by its Content-Length at once or, streamed, as soon as it goes past the limit, and a body
  that takes longer than `REQUEST_BODY_TIMEOUT` seconds to arrive.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from uvicorn_worker import UvicornWorker

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class Worker(UvicornWorker):
    CONFIG_KWARGS = {
        "loop": "auto",
        "http": "auto",
        "proxy_headers": False,
        "server_header": False,
        "lifespan": "off",  # Django has no lifespan events
    }


class LimitRequestBody:
    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float, document_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.document_bytes = document_bytes  # the limit people are told of

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await self.refuse(scope, send, 413)
            return

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        received = 0
        body_done = False
        refused: int | None = None
        started = False

        async def limited_receive() -> Message:
            nonlocal received, body_done, refused
            if body_done:  # Django listens for a disconnect while the view runs: no limit
                return await receive()
            try:
                async with asyncio.timeout_at(deadline):
                    message = await receive()
            except TimeoutError:
                refused = 408
                return {"type": "http.disconnect"}
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    refused = 413
                    return {"type": "http.disconnect"}
                body_done = not message.get("more_body", False)
            return message

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, limited_receive, watched_send)
        # Told of a "disconnect", Django dropped what it had read and answered nothing.
        if refused is not None and not started:
            await self.refuse(scope, send, refused)

    async def refuse(self, scope: Scope, send: Send, status: int) -> None:
        megabytes = f"{self.document_bytes / 1_000_000:g}"
        message = (
            f"The request is over {megabytes} MB, the most the calculator takes."
            if status == 413
            else f"The request's body took more than {self.timeout:g} seconds to arrive."
        )
        if scope["path"].startswith("/api/"):
            body = json.dumps({"error": message, "problems": [{"path": "", "message": message}]})
            content_type = b"application/json"
        else:
            body, content_type = message, b"text/plain; charset=utf-8"
        data = body.encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", content_type),
                    (b"content-length", str(len(data)).encode()),
                    # The rest of the body is never read: this connection ends here.
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})
