"""Work across communes at 1,000 communes: the agents' queue and a per-service count, from the public index of
demandes vs a loop over the communes' schemas vs one ``UNION ALL`` across them.

    .venv/bin/python bench/cross_commune.py [--communes 1000] [--per-commune 50] [--loads 300] [--aggregates 100]

(usually run by ``bench/run.py``). In a throw-away database brought up by ``mutualise migrate``, the instance is grown
to ``--communes`` real communes as in ``migrate_scale.py`` (commune rows in bulk, schemas by the product's
provisioning), then ``benchsite.cross_worker fill`` puts ``--per-commune`` demandes in every schema, with their rows in
the public index (services, kinds, priorities, ages, statuses and missed deadlines drawn as a help desk sees them;
the index checked with the product's own ``check_commune`` on a sample).

``benchsite.cross_worker measure`` then loads the console's queue page (``/file/``: the product's view, through
Django's whole handler and middleware, signed in as an administrator who sees the 8 services or as the agent of two)
``--loads`` times, with filters (service, commune, status, priority, deadline passed) and pages (50 rows each, mostly
the first) drawn at random; for each, the same page (rows and count) is built by one query per commune's schema,
merged, and by one ``UNION ALL`` statement, in an order rotated at each load; the three must agree. Then the number of
demandes of one service per commune and status, the same three ways, ``--aggregates`` times. Reported: p50, p95 and
p99 of each path, and the ratios of the baselines to the index. Goal: the queue page from the index, p95 ≤ 20 ms.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from common import RESULTS, grow, machine, percentile, product_env, run_product, run_worker, throwaway_database

GOAL_MS = 20.0
PATHS = ("index", "loop", "union")


def spread(values: list[float]) -> dict:
    """count, p50, p95, p99, max of ``values`` (ms)."""
    return {
        "count": len(values),
        "p50": round(statistics.median(values), 2),
        "p95": round(percentile(values, 0.95), 2),
        "p99": round(percentile(values, 0.99), 2),
        "max": round(max(values), 2),
    }


def ratios(times: dict[str, list[float]]) -> dict:
    """Each baseline's time over the index's, per load (the same filters, the same minute), then their median."""
    return {
        path: round(statistics.median(b / a for a, b in zip(times["index"], times[path], strict=True)), 1)
        for path in PATHS[1:]
    }


def run(
    communes: int = 1000,
    per_commune: int = 50,
    loads: int = 300,
    aggregates: int = 100,
    jobs: int = 2,
) -> dict:
    report: dict = {
        "config": {
            "communes": communes,
            "per_commune": per_commune,
            "loads": loads,
            "aggregates": aggregates,
            "page_size": 50,
        }
    }
    with tempfile.TemporaryDirectory(prefix="mutualise-bench-cross-") as tmp, throwaway_database("cross") as db:
        name, url = db
        data_dir = Path(tmp)
        env = product_env(url, data_dir, "localhost:8000", DJANGO_SETTINGS_MODULE="mutualise.settings")
        print(f"  database {name}: migrate, {communes} communes …", flush=True)
        run_product(["migrate", "--verbosity=0"], env, data_dir)
        report["instance"] = grow(communes, env, data_dir, jobs)
        print(f"  {per_commune} demandes per commune …", flush=True)
        report["data"] = run_worker("cross_worker", ["fill", "--per-commune", str(per_commune)], env, data_dir)
        print(f"  {loads} queue pages and {aggregates} counts, three ways …", flush=True)
        raw = run_worker(
            "cross_worker", ["measure", "--loads", str(loads), "--aggregates", str(aggregates)], env, data_dir
        )
    queue, counts = raw["queue_ms"], raw["aggregate_ms"]
    report["queue"] = {
        **{path: spread(queue[path]) for path in PATHS},
        "index_sql": spread(raw["queue_index_sql_ms"]),
        "baseline_over_index": ratios(queue),
        "rows_per_page_mean": raw["rows_per_page_mean"],
        "mismatches": raw["queue_mismatch_count"],
        "mismatch_examples": raw["queue_mismatches"],
        "samples": raw["samples"],
        "all": queue,
    }
    report["aggregate"] = {
        **{path: spread(counts[path]) for path in PATHS},
        "baseline_over_index": ratios(counts),
        "mismatches": raw["aggregate_mismatches"],
        "all": counts,
    }
    report["union"] = {
        "failure": raw["union_failure"],
        "schemas_per_statement": raw["union_schemas_per_statement"],
        "locks_per_schema": raw["locks_per_schema"],
        "lock_table_slots": raw["lock_table_slots"],
    }
    report["database"] = name
    report["goal"] = {
        "ms": GOAL_MS,
        "queue_index_p95_met": report["queue"]["index"]["p95"] <= GOAL_MS,
        "paths_agree": not raw["queue_mismatch_count"] and not raw["aggregate_mismatches"],
    }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--communes", type=int, default=1000)
    parser.add_argument("--per-commune", type=int, default=50)
    parser.add_argument("--loads", type=int, default=300)
    parser.add_argument("--aggregates", type=int, default=100)
    parser.add_argument("--jobs", type=int, default=2, help="parallel processes making the schemas")
    parser.add_argument("--output", type=Path, default=RESULTS / "cross_commune.json")
    args = parser.parse_args(argv)
    report = {
        "machine": machine(),
        **run(args.communes, args.per_commune, args.loads, args.aggregates, args.jobs),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for what in ("queue", "aggregate"):
        row = report[what]
        print(
            f"{what:9} "
            + ", ".join(f"{p} p50 {row[p]['p50']} ms p95 {row[p]['p95']} ms" for p in PATHS)
            + f"; baseline ÷ index {row['baseline_over_index']}"
        )
    print(f"Goal p95 ≤ {GOAL_MS:g} ms: {'met' if report['goal']['queue_index_p95_met'] else 'missed'}")
    print(f"Written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
