"""Provisioning a commune with every installed service: clone of the template vs migrations, in turns.

    .venv/bin/python bench/provisioning_speed.py [--rounds 10]

(usually run by ``bench/run.py``). In a throw-away database brought up by ``mutualise migrate`` (public schema and
commune template), one process (``benchsite.provision_worker``) provisions, each round, one new commune by
``tenants.provisioning.provision`` (clone) and one by ``provision(..., allow_clone=False)`` (migrations), alternating
which goes first; a first untimed pair warms it up. Reported: median and p95 of each, their ratio, and the shape of a
commune's schema. Goal: ≤ 1 s.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from common import RESULTS, machine, product_env, run_product, run_worker, summary, throwaway_database

GOAL_SECONDS = 1.0


def run(rounds: int = 10) -> dict:
    with tempfile.TemporaryDirectory(prefix="mutualise-bench-provision-") as tmp, throwaway_database("provision") as db:
        name, url = db
        data_dir = Path(tmp)
        env = product_env(url, data_dir, "localhost:8000", DJANGO_SETTINGS_MODULE="mutualise.settings")
        print(f"  database {name}: migrate, then {rounds} rounds of clone + migrations …", flush=True)
        run_product(["migrate", "--verbosity=0"], env, data_dir)
        raw = run_worker("provision_worker", ["--rounds", str(rounds)], env, data_dir)
    result = {"config": {"rounds": rounds}, "schema_shape": raw["schema_shape"], "warmup": raw["warmup"]}
    for method in ("clone", "migrations"):
        result[method] = summary([r["seconds"] for r in raw["rounds"][method]], 3)
        result[method]["all"] = [r["seconds"] for r in raw["rounds"][method]]
    result["migrations_over_clone"] = round(result["migrations"]["median"] / result["clone"]["median"], 1)
    result["goal"] = {"seconds": GOAL_SECONDS, "clone_p95_met": result["clone"]["p95"] <= GOAL_SECONDS}
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--output", type=Path, default=RESULTS / "provisioning_speed.json")
    args = parser.parse_args(argv)
    report = {"machine": machine(), **run(args.rounds)}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for method in ("clone", "migrations"):
        row = report[method]
        print(f"{method:10} median {row['median']} s  p95 {row['p95']} s  (n={row['count']})")
    print(f"Written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
