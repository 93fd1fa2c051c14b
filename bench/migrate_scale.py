"""Migrations with nothing to apply, at 100 and 1,000 communes: stock ``migrate_schemas`` vs ``mutualise migrate``.

    .venv/bin/python bench/migrate_scale.py [--scales 100,1000] [--stock-rounds 5,3] [--ours-rounds 5,5]

(usually run by ``bench/run.py``). In a throw-away database brought up by ``mutualise migrate``, the instance is
grown to each scale with real communes: the national referential's EPCIs in SIREN order, whole, until there are
enough, the last one cut (``benchsite.scale_worker``: commune and domain rows in bulk). Their schemas are made by
the product's provisioning (the commune template copied, two processes at once).

At each scale, ``mutualise migrate_schemas --noinput`` (django-tenants' command, as shipped) and ``mutualise migrate
--noinput`` (ours) run as separate processes, in turns, the order alternating; wall-clock time of the whole command,
process start included, after one untimed run of ours. Every run must succeed; ours must report every commune up to
date. At the largest scale, one commune is then put one service behind (its ``informatique`` tables dropped, its
migrations unrecorded) and ``mutualise migrate`` must bring it back, alone. Last, at each scale, provisioning (clone
and migrations, as in ``provisioning_speed.py``) is timed again, with that many schemas in the database (the
communes it adds count towards the next scale). Goal: ours ≤ 10 s at 1,000 communes.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path

from common import RESULTS, grow, machine, product_env, run_product, run_worker, summary, throwaway_database

GOAL_SECONDS = 10.0
UP_TO_DATE = re.compile(r"Communes : (\d+) schémas à jour, (\d+) à migrer")


def ours(env: dict, cwd: Path, scale: int) -> float:
    out, seconds = run_product(["migrate", "--noinput"], env, cwd)
    match = UP_TO_DATE.search(out)
    if not match or (int(match[1]), int(match[2])) != (scale, 0):
        raise RuntimeError(f"`mutualise migrate` did not find {scale} communes up to date:\n{out[-2000:]}")
    return seconds


def stock(env: dict, cwd: Path, scale: int) -> float:
    out, seconds = run_product(["migrate_schemas", "--noinput"], env, cwd)
    migrated = out.count("=== Starting migration")
    if migrated != scale + 1:  # the public schema and every commune
        raise RuntimeError(f"`migrate_schemas` migrated {migrated} schemas, {scale + 1} expected:\n{out[-2000:]}")
    return seconds


def behind_probe(env: dict, cwd: Path, scale: int) -> dict:
    """One commune a service behind: ours must migrate it, and it alone."""
    target = "commune_" + _first_insee(env, cwd)
    dropped = run_worker("scale_worker", ["behind", "--schema", target, "--app", "informatique"], env, cwd)
    out, seconds = run_product(["migrate", "--noinput"], env, cwd)
    match = UP_TO_DATE.search(out)
    after = run_worker("scale_worker", ["check", "--schema", target, "--app", "informatique"], env, cwd)
    ok = (
        bool(match)
        and (int(match[1]), int(match[2])) == (scale - 1, 1)
        and out.count("=== Starting migration") == 2  # public, then that commune
        and not after["missing_tables"]
        and not after["missing_migrations"]
    )
    if not ok:
        raise RuntimeError(f"the commune put behind was not migrated back as expected: {after}\n{out[-3000:]}")
    return {"schema": target, "dropped_tables": dropped["dropped"], "seconds": round(seconds, 2), "restored": True}


def _first_insee(env: dict, cwd: Path) -> str:
    code = "from tenants.models import Commune; print('INSEE=' + Commune.objects.order_by('insee_code')[0].insee_code)"
    out, _ = run_product(["shell", "-c", code], env, cwd)
    return next(x for x in out.splitlines() if x.startswith("INSEE=")).split("=", 1)[1].lower()


def run(
    scales: tuple[int, ...] = (100, 1000),
    stock_rounds: tuple[int, ...] = (5, 3),
    ours_rounds: tuple[int, ...] = (5, 5),
    jobs: int = 2,
    provision_rounds: int = 3,
) -> dict:
    report: dict = {
        "config": {
            "scales": list(scales),
            "stock_rounds": list(stock_rounds),
            "ours_rounds": list(ours_rounds),
            "clone_jobs": jobs,
            "commands": {"stock": "mutualise migrate_schemas --noinput", "ours": "mutualise migrate --noinput"},
        },
        "scales": {},
    }
    with tempfile.TemporaryDirectory(prefix="mutualise-bench-migrate-") as tmp, throwaway_database("migrate") as db:
        name, url = db
        data_dir = Path(tmp)
        env = product_env(url, data_dir, "localhost:8000", DJANGO_SETTINGS_MODULE="mutualise.settings")
        print(f"  database {name}: migrate …", flush=True)
        run_product(["migrate", "--verbosity=0"], env, data_dir)
        for scale, n_stock, n_ours in zip(scales, stock_rounds, ours_rounds, strict=True):
            print(f"  growing to {scale} communes …", flush=True)
            made = grow(scale, env, data_dir, jobs)
            ours(env, data_dir, scale)  # untimed: warms the caches both commands read
            times: dict[str, list[float]] = {"stock": [], "ours": []}
            for index in range(max(n_stock, n_ours)):
                order = ("stock", "ours") if index % 2 == 0 else ("ours", "stock")
                for variant in order:
                    if len(times[variant]) >= (n_stock if variant == "stock" else n_ours):
                        continue
                    seconds = (stock if variant == "stock" else ours)(env, data_dir, scale)
                    times[variant].append(round(seconds, 2))
                    print(f"    {scale} communes, {variant}: {seconds:.1f} s", flush=True)
            row = {
                "instance": made,
                "stock": {**summary(times["stock"], 2), "all": times["stock"]},
                "ours": {**summary(times["ours"], 2), "all": times["ours"]},
            }
            row["speedup"] = round(row["stock"]["median"] / row["ours"]["median"], 1)
            report["scales"][str(scale)] = row
            if scale == max(scales):
                print(f"    {scale} communes, one put behind …", flush=True)
                report["one_commune_behind"] = behind_probe(env, data_dir, scale)
            if provision_rounds:  # after the migrations: it adds communes, which the next scale counts
                print(f"    {scale} communes: provisioning, {provision_rounds} rounds …", flush=True)
                raw = run_worker("provision_worker", ["--rounds", str(provision_rounds)], env, data_dir)
                row["provisioning"] = {m: summary([r["seconds"] for r in raw["rounds"][m]], 3) for m in raw["rounds"]}
        report["database"] = name
    at = report["scales"].get("1000")
    report["goal"] = {
        "seconds": GOAL_SECONDS,
        "ours_at_1000_p95_met": at["ours"]["p95"] <= GOAL_SECONDS if at else None,
    }
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scales", default="100,1000")
    parser.add_argument("--stock-rounds", default="5,3")
    parser.add_argument("--ours-rounds", default="5,5")
    parser.add_argument("--jobs", type=int, default=2, help="parallel processes cloning schemas")
    parser.add_argument("--provision-rounds", type=int, default=3, help="provisioning rounds at each scale")
    parser.add_argument("--output", type=Path, default=RESULTS / "migrate_scale.json")
    args = parser.parse_args(argv)

    def ints(text: str) -> tuple[int, ...]:
        return tuple(int(x) for x in text.split(","))

    report = {
        "machine": machine(),
        **run(
            ints(args.scales),
            ints(args.stock_rounds),
            ints(args.ours_rounds),
            args.jobs,
            args.provision_rounds,
        ),
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    for scale, row in report["scales"].items():
        print(
            f"{scale:>5} communes: stock median {row['stock']['median']} s, ours median {row['ours']['median']} s "
            f"(p95 {row['ours']['p95']} s), ×{row['speedup']}"
        )
    print(f"Written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
