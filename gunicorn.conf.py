"""gunicorn's settings for the app as `make serve` runs it (and `make loadtest`, `make bench`,
the serving tests): ASGI under uvicorn workers, which read slow clients on their event loop
instead of holding a worker for them (calculator/serving.py). The address, the worker count
and the logs are given on the command line."""

import os

wsgi_app = "calculator.asgi:application"
worker_class = "calculator.server.serving.Worker"
# Pricing is CPU work: one worker a core and one spare.
workers = int(os.environ.get("WORKERS") or (os.cpu_count() or 1) + 1)
timeout = 30
graceful_timeout = 20


# Heavy work in a process of its own, niced (calculator/serving.py, HeavyProcess): started
# before the workers, which find it by HEAVY_SOCKET; HEAVY_PROCESS=false does without.
def on_starting(server):  # type: ignore[no-untyped-def]
    import subprocess
    import sys
    import tempfile

    if os.environ.get("HEAVY_PROCESS", "true").lower() in ("0", "false", "no", "off"):
        return
    folder = tempfile.mkdtemp(prefix="calculator-heavy-")  # 0700: this user's alone
    socket = os.path.join(folder, "heavy.sock")
    nice = int(os.environ.get("HEAVY_NICE") or 10)
    server.heavy_process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "calculator.asgi:heavy_application",
            "--uds",
            socket,
            "--lifespan",
            "off",
            "--no-server-header",
            "--no-proxy-headers",
            "--no-access-log",
            "--log-level",
            "warning",
            "--timeout-keep-alive",
            "1",
        ],
        preexec_fn=lambda: os.nice(nice),
    )
    # The workers start once it listens (they would do heavy work themselves until then).
    import time

    for _ in range(300):
        if os.path.exists(socket) or server.heavy_process.poll() is not None:
            break
        time.sleep(0.1)
    if os.path.exists(socket):
        os.environ["HEAVY_SOCKET"] = socket
    else:
        server.log.error("the heavy process did not start: workers do heavy work themselves")


def on_exit(server):  # type: ignore[no-untyped-def]
    process = getattr(server, "heavy_process", None)
    if process is not None:
        process.terminate()
        process.wait(timeout=20)
