"""Real servers that a test starts for itself: a Redis on a free port, and waiting for a port to answer."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        time.sleep(0.1)
    raise TimeoutError(f"nothing answers on 127.0.0.1:{port}")


@contextlib.contextmanager
def redis_server(port: int, folder: Path) -> Iterator[str]:
    """A Redis server of its own on ``port`` (nothing kept on disk); yields its URL and stops it at the end."""
    process = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(folder),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def forget_broker_connections(app) -> None:
    """Drop the Celery application's pooled broker connections, so that the next task opens one to its current
    ``broker_url`` (tests change it at run time)."""
    import kombu.pools

    kombu.pools.reset()
    app._pool = None  # Celery has no public call for this
    app.amqp._producer_pool = None
