"""Benchmarks: `python -m bench` (engine, then web), `python -m bench.load` (load test)."""


def free_port() -> int:
    """A loopback port nothing listens on now, for the server under test."""
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
