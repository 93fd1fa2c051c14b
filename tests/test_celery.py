"""A real Celery worker on a real Redis broker: each task runs in the schema of the commune it was queued from."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from urllib.parse import quote

import psycopg
import pytest
import redis
from django.db import connection
from django_tenants.utils import schema_context

from mutualise.celery import app
from tests.servers import forget_broker_connections

REDIS_URL = os.environ.get("MUTUALISE_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


if not redis_available():
    if os.environ.get("CI"):
        raise RuntimeError(f"CI needs Redis at {REDIS_URL} for the Celery tests")
    pytest.skip(f"no Redis at {REDIS_URL} (set MUTUALISE_TEST_REDIS_URL)", allow_module_level=True)


def database_url() -> str:
    db = connection.settings_dict
    host = quote(db["HOST"] or "", safe="")
    port = f":{db['PORT']}" if db["PORT"] else ""
    return f"postgres://{db['USER']}@{host}{port}/{db['NAME']}"


def sql(query: str, params=()) -> list:
    """Run ``query`` on its own committed connection, outside the test's transaction."""
    db = connection.settings_dict
    with psycopg.connect(
        dbname=db["NAME"], user=db["USER"], host=db["HOST"] or None, port=db["PORT"] or None, autocommit=True
    ) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


@pytest.fixture
def worker(db, tmp_path):
    queue = f"test-{uuid.uuid4().hex[:8]}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "MUTUALISE_DATA_DIR": str(tmp_path),
    }
    log = tmp_path / "worker.log"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mutualise.celery",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        env=env,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        cwd=os.getcwd(),
    )
    deadline = time.monotonic() + 60
    while "ready" not in log.read_text() and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    assert "ready" in log.read_text(), log.read_text()
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = REDIS_URL, False
    forget_broker_connections(app)  # a producer made earlier would still point at the previous broker
    try:
        yield queue
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous
        forget_broker_connections(app)
        process.terminate()
        process.wait(timeout=30)


def test_tasks_run_in_the_schema_they_were_queued_from(worker, commune, other_commune):
    from mutualise_exemple.tasks import count_notes

    try:
        for target in (commune, other_commune):
            with schema_context(target.schema_name):
                count_notes.apply_async(queue=worker)
        deadline = time.monotonic() + 30
        found = {}
        while time.monotonic() < deadline and len(found) < 2:
            for target in (commune, other_commune):
                rows = sql(f'SELECT text FROM "{target.schema_name}".mutualise_exemple_note')
                if rows:
                    found[target.schema_name] = [r[0] for r in rows]
            time.sleep(0.2)
        assert found == {
            "commune_34114": ["tâche périodique dans commune_34114"],
            "commune_34239": ["tâche périodique dans commune_34239"],
        }
    finally:
        for target in (commune, other_commune):
            sql(f'DELETE FROM "{target.schema_name}".mutualise_exemple_note')
