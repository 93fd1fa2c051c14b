"""Tenancy overhead: the same one-query view served by gunicorn through three stacks, loaded by wrk in turns.

    .venv/bin/python bench/tenancy_overhead.py [--rounds 20] [--seconds 3] [--modes persistent,pool]

(usually run by ``bench/run.py``). Variants, all on the same throw-away database (``mutualise init`` of the
CC Vallée de l'Hérault, plus a ``bench_marker`` table in Gignac's schema and in the public one) and the same
middleware stack but for the tenancy:

- ``ours``: the product's settings, our ``TenantMiddleware`` (host → commune from the in-memory directory);
- ``stock``: django-tenants' ``TenantMainMiddleware`` in its place (a domain query per request; for a commune's host
  it needs no public tenant row);
- ``plain``: Django's own PostgreSQL backend and no tenant middleware, the connection's search path fixed to
  Gignac's schema when it opens: the no-tenancy baseline;
- ``plain_again``: the same as ``plain`` in a second server: two servers doing exactly the same work, whose ratio
  shows how precisely this run, on this machine, can compare two variants;
- with the pool only, ``ours_tenantsbackend``: ours on django-tenants' own database backend instead of the
  product's (``mutualise.postgresql_backend``, which skips the ``SET search_path`` a pooled connection already on the
  commune's path does not need): what that saves.

The view (``bench/benchsite/views.py``) reads the marker with one ``SELECT``. Each variant runs in its own gunicorn
(2 workers × 4 threads) on 127.0.0.1; all are started together and loaded one at a time by ``wrk``, in an order
rotated every round, so that a busy moment of the machine hits every variant alike. Ratios to ``plain`` are taken
within a round, then their median (and range) is reported, for requests/s and for the CPU time the server's
processes (gunicorn's and their PostgreSQL backends') spent per request. In-process (``benchsite.queries``,
interleaved passes): SQL statements per request, Python calls per request, CPU µs per request. ``--modes``: the
product's default database connections (persistent, ``CONN_MAX_AGE=60``) and/or psycopg's pool
(``MUTUALISE_DB_POOL=1``).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg
import requests
from common import (
    BENCH_ROOT,
    RESULTS,
    backend_pids,
    cpu_seconds,
    cpu_spent,
    free_port,
    machine,
    median_interval,
    process_tree,
    product_env,
    rotations,
    run_product,
    run_worker,
    start_gunicorn,
    stop_gunicorn,
    summary,
    throwaway_database,
)
from psycopg import sql

EPCI = "243400694"  # CC Vallée de l'Hérault, 28 communes
INSEE, SCHEMA, HOST = "34114", "commune_34114", "gignac.localhost"
MARKER = f"MARQUEUR-{INSEE}"
# plain_again: a second, identical no-tenancy server, whose ratio to plain is the run's own error.
VARIANTS = ("ours", "stock", "plain", "plain_again")
POOL_VARIANTS = ("ours", "ours_tenantsbackend", "stock", "plain", "plain_again")  # also ours on the stock backend
LABELS = {
    "ours": "(a) our TenantMiddleware",
    "ours_tenantsbackend": "(a′) ours on django-tenants' backend (a SET per pooled request)",
    "stock": "(b) django-tenants TenantMainMiddleware",
    "plain": "(c) plain Django, no tenancy",
    "plain_again": "(c′) the same as (c), a second server: the run's own error",
}
WORKERS, THREADS = 2, 4
GOAL_RATIO = 0.97


def put_markers(database_url: str) -> None:
    """A ``bench_marker`` table in Gignac's schema and in the public one, each naming its schema: an answer read from
    the wrong schema shows the wrong marker."""
    with psycopg.connect(database_url, autocommit=True) as conn:
        for schema, marker in ((SCHEMA, MARKER), ("public", "MARQUEUR-PUBLIC")):
            table = sql.Identifier(schema, "bench_marker")
            conn.execute(sql.SQL("CREATE TABLE {} (id serial PRIMARY KEY, name text NOT NULL)").format(table))
            conn.execute(sql.SQL("INSERT INTO {} (name) VALUES (%s)").format(table), [marker])


def wrk(port: int, seconds: float, connections: int) -> dict:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    command = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds:g}s",
        "--timeout=10s",
        "-s",
        str(BENCH_ROOT / "wrk_report.lua"),
        "-H",
        f"Host: {HOST}:{port}",
        f"http://127.0.0.1:{port}/",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((x for x in result.stdout.splitlines() if x.startswith("WRK_JSON=")), None)
    if result.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    data = json.loads(line.split("=", 1)[1])
    errors = sum(data["errors"].values())
    return {
        "requests": data["requests"],
        "errors": errors,
        "rps": round(data["requests"] / (data["duration_us"] / 1e6), 1),
        "p50_ms": round(data["p50_us"] / 1000, 2),
        "p99_ms": round(data["p99_us"] / 1000, 2),
    }


def loaded(server, port: int, application_name: str, database_url: str, seconds: float, connections: int) -> dict:
    """One wrk run on one server, with the CPU time its processes (gunicorn's and PostgreSQL's) spent meanwhile."""
    processes = process_tree(server.pid)
    before = cpu_seconds(processes + backend_pids(database_url, application_name))
    measured = wrk(port, seconds, connections)
    # Backends opened during the run (the pool growing, a connection renewed) count in full.
    after = cpu_seconds(processes + backend_pids(database_url, application_name))
    spent = cpu_spent(before, after)
    measured["server_cpu_ms_per_request"] = round(spent * 1000 / max(measured["requests"], 1), 3)
    return measured


def wait_until_serving(server: subprocess.Popen, port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn on port {port} exited with status {server.returncode}")
        try:
            answer = requests.get(f"http://127.0.0.1:{port}/", headers={"Host": f"{HOST}:{port}"}, timeout=30)
            if answer.status_code == 200 and answer.json().get("marker") == MARKER:
                return
            if answer.status_code != 503:
                raise RuntimeError(f"port {port}: status {answer.status_code}: {answer.text[:300]}")
        except requests.RequestException:
            pass  # still booting
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn on port {port} did not serve within {timeout:.0f} s")


def measure_mode(
    mode: str, database_url: str, data_dir: Path, rounds: int, seconds: float, connections: int, in_process_passes: int
) -> dict:
    """Start the servers of one connection mode, count their statements, then load them in turns."""
    variants = POOL_VARIANTS if mode == "pool" else VARIANTS
    servers: dict[str, tuple[subprocess.Popen, int]] = {}
    envs = {
        variant: product_env(
            database_url,
            data_dir,
            "localhost:8000",
            pool=mode == "pool",
            DJANGO_SETTINGS_MODULE=f"benchsite.settings_{variant}",
            BENCH_SCHEMA=SCHEMA,
            BENCH_APPLICATION_NAME=f"bench-{mode}-{variant}",
        )
        for variant in variants
    }
    result: dict = {"mode": mode, "variants": {}}
    try:
        for variant in variants:
            port = free_port()
            log = data_dir / f"gunicorn-{mode}-{variant}.log"
            servers[variant] = (start_gunicorn(port, WORKERS, THREADS, envs[variant], data_dir, log), port)
        for server, port in servers.values():
            wait_until_serving(server, port)

        # In-process measures, in interleaved passes: statements and calls from the first, CPU time the best of all.
        passes: dict[str, list[dict]] = {variant: [] for variant in variants}
        for _, order in rotations(variants, in_process_passes):
            for variant in order:
                passes[variant].append(
                    run_worker(
                        "queries",
                        ["--host", f"{HOST}:8000", "--expect", MARKER, "--requests", "200"],
                        {**envs[variant], "BENCH_APPLICATION_NAME": "bench-queries"},
                        data_dir,
                    )
                )
        for variant in variants:
            counts = passes[variant][0]
            counts["cpu_us_per_request_passes"] = [p["cpu_us_per_request"] for p in passes[variant]]
            counts["cpu_us_per_request"] = min(counts["cpu_us_per_request_passes"])
            result["variants"][variant] = {"label": LABELS[variant], "statements": counts, "rounds": []}

        for variant in variants:  # warm every worker thread and connection; not recorded
            wrk(servers[variant][1], 2, connections)
        for index, order in rotations(variants, rounds):
            line = []
            for variant in order:
                server, port = servers[variant]
                measured = loaded(server, port, f"bench-{mode}-{variant}", database_url, seconds, connections)
                measured["round"] = index
                result["variants"][variant]["rounds"].append(measured)
                line.append(f"{variant} {measured['rps']:.0f}/s {measured['server_cpu_ms_per_request']:.2f} ms")
            print(f"    [{mode}] round {index + 1}/{rounds}: {', '.join(line)}", flush=True)

        for variant in servers:
            log_text = (data_dir / f"gunicorn-{mode}-{variant}.log").read_text(errors="replace")
            result["variants"][variant]["server"] = {
                "worker_boots": log_text.count("Booting worker"),
                "tracebacks_logged": log_text.count("Traceback"),
            }
    finally:
        for server, _ in servers.values():
            stop_gunicorn(server)

    plain = {r["round"]: r for r in result["variants"]["plain"]["rounds"]}
    for data in result["variants"].values():
        rows = data["rounds"]
        data["rps"] = summary([r["rps"] for r in rows], 1)
        data["p50_ms"] = summary([r["p50_ms"] for r in rows], 2)
        data["p99_ms"] = summary([r["p99_ms"] for r in rows], 2)
        data["server_cpu_ms_per_request"] = summary([r["server_cpu_ms_per_request"] for r in rows], 3)
        data["errors"] = sum(r["errors"] for r in rows)
        ratios = [r["rps"] / plain[r["round"]]["rps"] for r in rows]
        data["ratio_to_plain"] = summary(ratios, 3)
        low, high = median_interval(ratios)
        data["ratio_to_plain"]["median_90ci"] = [round(low, 3), round(high, 3)]
        cpu = [
            r["server_cpu_ms_per_request"] / plain[r["round"]]["server_cpu_ms_per_request"]
            for r in rows
            if plain[r["round"]]["server_cpu_ms_per_request"]
        ]
        data["cpu_ratio_to_plain"] = summary(cpu, 3)
    baseline = result["variants"]["plain"]["statements"]
    for data in result["variants"].values():
        counts = data["statements"]
        data["extra_statements_per_request"] = round(counts["sent_mean"] - baseline["sent_mean"], 3)
        data["python_calls_ratio_to_plain"] = round(
            counts["python_calls_per_request"] / baseline["python_calls_per_request"], 3
        )
        data["cpu_us_ratio_to_plain"] = round(counts["cpu_us_per_request"] / baseline["cpu_us_per_request"], 3)
    ours = result["variants"]["ours"]
    resolution = [q for q in ours["statements"]["typical"]["sent"] if "tenants_" in q]
    control = result["variants"]["plain_again"]["ratio_to_plain"]
    result["goals"] = {
        "no_statement_for_resolution_once_warm": not resolution,
        "extra_statements_per_request": ours["extra_statements_per_request"],
        "throughput_ratio_at_least_0_97": ours["ratio_to_plain"]["median"] >= GOAL_RATIO,
        # What the noise allows to say: the whole 90 % interval of the median above the goal, or below it.
        "throughput_verdict": (
            "met"
            if ours["ratio_to_plain"]["median_90ci"][0] >= GOAL_RATIO
            else "missed"
            if ours["ratio_to_plain"]["median_90ci"][1] < GOAL_RATIO
            else "not resolved by this run (the interval spans 0.97)"
        ),
        # The same figure for two identical servers: what this run can tell apart.
        "identical_servers_ratio": control["median"],
        "identical_servers_90ci": control["median_90ci"],
    }
    return result


def run(
    rounds: int = 8,
    seconds: float = 5,
    connections: int = 16,
    modes: tuple[str, ...] = ("persistent", "pool"),
    in_process_passes: int = 3,
):
    config = {
        "rounds": rounds,
        "seconds_per_run": seconds,
        "wrk": {"threads": 1, "connections": connections},
        "gunicorn": {"workers": WORKERS, "threads": THREADS},
        "epci": EPCI,
        "commune": {"insee": INSEE, "schema": SCHEMA, "host": HOST},
        "modes": list(modes),
        "in_process_passes": in_process_passes,
    }
    report = {"config": config, "modes": {}}
    with tempfile.TemporaryDirectory(prefix="mutualise-bench-tenancy-") as tmp, throwaway_database("tenancy") as db:
        name, url = db
        data_dir = Path(tmp)
        env = product_env(url, data_dir, "localhost:8000")
        print(f"  database {name}: migrate, init --epci {EPCI} …", flush=True)
        run_product(["migrate", "--verbosity=0"], env, data_dir)
        run_product(["init", "--epci", EPCI, "--no-migrate"], env, data_dir)
        put_markers(url)
        for mode in modes:
            print(f"  mode {mode}: gunicorn {WORKERS}×{THREADS}, {rounds} rounds of {seconds:g} s …", flush=True)
            report["modes"][mode] = measure_mode(mode, url, data_dir, rounds, seconds, connections, in_process_passes)
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--modes", default="persistent,pool")
    parser.add_argument("--passes", type=int, default=3, help="interleaved passes of the in-process measures")
    parser.add_argument("--output", type=Path, default=RESULTS / "tenancy_overhead.json")
    args = parser.parse_args(argv)
    report = {
        "machine": machine(),
        **run(args.rounds, args.seconds, args.connections, tuple(args.modes.split(",")), args.passes),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for mode, data in report["modes"].items():
        for variant, row in data["variants"].items():
            print(
                f"{mode:10} {variant:6} {row['rps']['median']:8.1f} req/s  p50 {row['p50_ms']['median']} ms  "
                f"p99 {row['p99_ms']['median']} ms  ratio {row['ratio_to_plain']['median']}  "
                f"cpu {row['server_cpu_ms_per_request']['median']} ms/req (ratio {row['cpu_ratio_to_plain']['median']})  "
                f"statements {row['statements']['sent_mean']}"
            )
    print(f"Written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
