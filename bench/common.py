"""What the benchmarks share: throw-away databases, product processes, gunicorn, the machine, simple statistics.

The helpers of ``isolation_load.py`` (database, environment, gunicorn) are reused from it, not copied; this module
adds what the other benchmarks need on top.
"""

from __future__ import annotations

import contextlib
import datetime
import json
import math
import os
import secrets
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import psycopg
from isolation_load import (  # noqa: F401  (re-exported for the other benchmarks)
    DEFAULT_DATABASE_URL,
    create_database,
    database_urls,
    drop_database,
    free_port,
    start_gunicorn,
    stop_gunicorn,
)
from isolation_load import machine_info as _machine_info
from isolation_load import product_env as _product_env

BENCH_ROOT = Path(__file__).resolve().parent
RESULTS = BENCH_ROOT / "results"


# -- Environment and processes ---------------------------------------------------------------------------------------


def product_env(database_url: str, data_dir: Path, base_domain: str, *, pool: bool = False, **extra: str) -> dict:
    """The environment of a product process (nothing inherited from ``MUTUALISE_*``, ``CELERY_*``, ``DJANGO_*``).

    As ``isolation_load.product_env``, with psycopg's pool only when asked for (the product's default is persistent
    connections), and ``bench/`` on the import path for the bench site (``benchsite``).
    """
    env = _product_env(database_url, data_dir, base_domain)
    if not pool:
        env.pop("MUTUALISE_DB_POOL", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH_ROOT), env.get("PYTHONPATH", "")]))
    env.update(extra)
    return env


def run_product(args: Sequence[str], env: dict, cwd: Path, *, timeout: float = 3600) -> tuple[str, float]:
    """Run ``mutualise <args>`` (same interpreter as the bench); return (stdout, wall-clock seconds)."""
    command = [sys.executable, "-m", "mutualise.cli", *args]
    started = time.perf_counter()
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    seconds = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(
            f"`mutualise {' '.join(args)}` failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        )
    return result.stdout, seconds


def run_worker(module: str, args: Sequence[str], env: dict, cwd: Path, *, timeout: float = 3600) -> dict:
    """Run ``python -m benchsite.<module> <args>`` and return the JSON it prints on its ``BENCH_JSON=`` line."""
    command = [sys.executable, "-m", f"benchsite.{module}", *args]
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(
            f"benchsite.{module} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
        )
    line = next((x for x in result.stdout.splitlines() if x.startswith("BENCH_JSON=")), None)
    if line is None:
        raise RuntimeError(f"benchsite.{module} printed no result:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return json.loads(line.split("=", 1)[1])


@contextlib.contextmanager
def throwaway_database(purpose: str) -> Iterator[tuple[str, str]]:
    """A fresh database ``mutualise_bench_<purpose>_<random>`` on the server of ``DATABASE_URL``, dropped at the end."""
    name = f"mutualise_bench_{purpose}_{secrets.token_hex(4)}"
    admin_url, url = database_urls(name)
    create_database(admin_url, name)
    try:
        yield name, url
    finally:
        drop_database(admin_url, name)


# -- A many-commune instance ---------------------------------------------------------------------------------------------


def grow(scale: int, env: dict, cwd: Path, jobs: int) -> dict:
    """Bring the instance to ``scale`` communes, schemas included; return what was made and how long it took.

    Commune and domain rows in bulk, then each schema made by the product's provisioning (``clone_template``: the
    template copied from ``pg_catalog``), ``jobs`` processes at once.
    """
    started = time.perf_counter()
    made = run_worker("scale_worker", ["rows", "--communes", str(scale)], env, cwd)
    command = [sys.executable, "-m", "benchsite.scale_worker", "schemas", "--jobs", str(jobs)]
    workers = [
        subprocess.Popen(
            [*command, "--job", str(job)], env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for job in range(jobs)
    ]
    cloned = 0
    for worker in workers:
        out, err = worker.communicate(timeout=7200)
        if worker.returncode != 0:
            raise RuntimeError(f"cloning failed:\n{err.decode(errors='replace')[-3000:]}")
        cloned += json.loads(out.decode().split("BENCH_JSON=", 1)[1])["cloned"]
    del made["schemas"]
    made.update(cloned=cloned, seconds=round(time.perf_counter() - started, 1))
    return made


# -- The machine -------------------------------------------------------------------------------------------------------


def machine() -> dict:
    """nproc, CPU model, RAM, Python, PostgreSQL server version, load average, date: named in every report."""
    info = _machine_info()
    try:
        pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
        info["ram_gib"] = round(pages * page_size / 2**30, 1)
    except (ValueError, OSError):
        info["ram_gib"] = None
    admin_url = os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    try:
        with psycopg.connect(admin_url) as conn:
            info["postgresql"] = conn.execute("SHOW server_version").fetchone()[0]
            info["postgresql_settings"] = dict(
                conn.execute(
                    "SELECT name, setting || coalesce(unit, '') FROM pg_settings"
                    " WHERE name IN ('shared_buffers', 'fsync', 'synchronous_commit', 'max_connections')"
                ).fetchall()
            )
    except psycopg.Error as exc:
        info["postgresql"] = f"unknown ({exc.__class__.__name__})"
    info["date"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    return info


# -- CPU time of processes ---------------------------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU time consumed so far by each of ``pids`` that still runs."""
    times = {}
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        times[pid] = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime (fields 14 and 15 of proc(5))
    return times


def cpu_spent(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two ``cpu_seconds`` readings: a process that has gone since is left out (its last
    moments are lost); one that appeared counts in full."""
    return sum(seconds - before.get(pid, 0.0) for pid, seconds in after.items())


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children (a gunicorn master and its workers)."""
    tree = [pid]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            if ppid == pid:
                tree.append(int(entry.name))
    return tree


def backend_pids(admin_url: str, application_name: str) -> list[int]:
    """The PostgreSQL server processes of the connections that gave this ``application_name``."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        rows = conn.execute("SELECT pid FROM pg_stat_activity WHERE application_name = %s", [application_name])
        return [row[0] for row in rows]


# -- Statistics --------------------------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (no interpolation: with few rounds, p95 is the largest or next-to-largest)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))]


def summary(values: Sequence[float], digits: int = 3) -> dict:
    """count, median, p95, min, max of ``values`` (rounded)."""
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "median": round(statistics.median(values), digits),
        "p95": round(percentile(values, 0.95), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
    }


def median_interval(values: Sequence[float], confidence: float = 0.90, resamples: int = 4000) -> tuple[float, float]:
    """A bootstrap interval of the median of ``values`` (percentile method, fixed seed: the same data give the same
    interval)."""
    import random

    generator = random.Random(0)
    medians = sorted(statistics.median(generator.choices(values, k=len(values))) for _ in range(resamples))
    tail = (1 - confidence) / 2
    return medians[int(tail * resamples)], medians[min(resamples - 1, int((1 - tail) * resamples))]


def rotations(variants: Sequence[str], rounds: int) -> Iterator[tuple[int, list[str]]]:
    """(round, order) with the order rotated each round, so that no variant always runs first or last."""
    for index in range(rounds):
        shift = index % len(variants)
        yield index, [*variants[shift:], *variants[:shift]]
