"""The app as `make serve` runs it: ASGI under uvicorn workers (see calculator/serving.py)."""

import os
import sys
from pathlib import Path

from django.core.asgi import get_asgi_application
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calculator.settings")
django_application = get_asgi_application()
# Requests are served by Django's sync handler, each in one call to a kept thread (see
# calculator/server/bridge.py); usage files streamed in by its ASGI handler.
django_sync = get_wsgi_application()

from django.conf import settings  # noqa: E402

from calculator.server.bridge import SyncApp  # noqa: E402
from calculator.server.serving import (  # noqa: E402
    Admission,
    FromWorkers,
    HeavyLanes,
    HeavyProcess,
    heavy_request,
)

# How often a thread holding the interpreter lets another run: a request admitted beside
# longer work waits for it in slices this long (Python's default is 5 ms; make loadtest).
sys.setswitchinterval(settings.SWITCH_INTERVAL_MS / 1000)

application = Admission(
    django_application,
    max_bytes=settings.MAX_REQUEST_BYTES,
    timeout=settings.REQUEST_BODY_TIMEOUT,
    document_bytes=settings.MAX_DOCUMENT_BYTES,
    slots=settings.WORKER_SLOTS,
    heavy=heavy_request,
    lanes=HeavyLanes(
        Path(settings.RATE_LIMIT_DB).parent,
        settings.HEAVY_LANES,
        wait=settings.HEAVY_LANE_WAIT,
        rest=settings.HEAVY_LANE_REST,
    ),
    process=HeavyProcess(settings.HEAVY_SOCKET) if settings.HEAVY_SOCKET else None,
    sync_app=SyncApp(django_sync),
)

# What the heavy process serves (gunicorn.conf.py starts it): the app, for requests the
# workers pass on; their turns and lanes were taken in the worker.
heavy_application = FromWorkers(
    Admission(
        django_application,
        max_bytes=settings.MAX_REQUEST_BYTES,
        timeout=settings.REQUEST_BODY_TIMEOUT,
        document_bytes=settings.MAX_DOCUMENT_BYTES,
        slots=0,
        sync_app=SyncApp(django_sync),
    )
)
