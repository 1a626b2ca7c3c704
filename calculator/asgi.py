"""The app as `make serve` runs it: ASGI under uvicorn workers (see calculator/serving.py)."""

import os
import warnings
from pathlib import Path

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "calculator.settings")
django_application = get_asgi_application()

from django.conf import settings  # noqa: E402

from calculator.serving import Admission, HeavyLanes, heavy_request  # noqa: E402

# WhiteNoise sends static files as sync iterators, which Django reads in a thread under ASGI:
# right for files from the page cache, and said once per worker as a warning otherwise.
warnings.filterwarnings(
    "ignore", "StreamingHttpResponse must consume synchronous iterators", Warning
)

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
)
