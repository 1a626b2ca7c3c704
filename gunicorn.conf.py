"""gunicorn's settings for the app as `make serve` runs it (and `make loadtest`, `make bench`,
the serving tests): ASGI under uvicorn workers, which read slow clients on their event loop
instead of holding a worker for them (calculator/serving.py). The address, the worker count
and the logs are given on the command line."""

import os

wsgi_app = "calculator.asgi:application"
worker_class = "calculator.serving.Worker"
# Pricing is CPU work: one worker a core and one spare.
workers = int(os.environ.get("WORKERS") or (os.cpu_count() or 1) + 1)
timeout = 30
graceful_timeout = 20
