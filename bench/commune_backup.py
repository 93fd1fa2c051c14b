#!/usr/bin/env python3
"""One commune's backup and restore at scale: ``mutualise commune export|restore`` against pg_dump and pg_restore.

The instance is grown to 1,000 real communes (as ``migrate_scale.py`` does: the national referential's EPCIs in
SIREN order, schemas made by the product's provisioning); its first commune gets demandes with their messages, index
rows and attached files, and assets (``benchsite.backup_worker``). Each round, in turns: our export (schema, public
rows, files and checksums in one archive) against ``pg_dump`` of the commune's schema alone, then our restore (after
our delete) against ``pg_restore`` of that dump; each restore is checked row for row. The baseline does less (no
public rows, no files, no checksums), so the ratio says what the archive's completeness costs, with 1,000 schemas in
the database's catalogue.

    python bench/commune_backup.py [--scale 1000] [--rounds 5] [--demandes 2000]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

from common import RESULTS, grow, machine, product_env, run_product, run_worker, summary, throwaway_database


def run(scale: int = 1000, rounds: int = 5, demandes: int = 2000, jobs: int = 2) -> dict:
    report: dict = {"config": {"scale": scale, "rounds": rounds, "demandes": demandes}}
    with tempfile.TemporaryDirectory(prefix="mutualise-bench-backup-") as tmp, throwaway_database("backup") as db:
        name, url = db
        data_dir = Path(tmp)
        env = product_env(url, data_dir, "localhost:8000", DJANGO_SETTINGS_MODULE="mutualise.settings")
        print(f"  database {name}: migrate, then {scale} communes …", flush=True)
        run_product(["migrate", "--verbosity=0"], env, data_dir)
        report["instance"] = grow(scale, env, data_dir, jobs)
        print(f"  {rounds} rounds of export and restore …", flush=True)
        raw = run_worker("backup_worker", ["--rounds", str(rounds), "--demandes", str(demandes)], env, data_dir)
    report.update({k: v for k, v in raw.items() if k != "rounds"})
    report["rounds"] = raw["rounds"]
    for step in ("export", "restore"):
        ours = [r[f"{step}_ours"] for r in raw["rounds"]]
        pg = [r[f"{step}_pg"] for r in raw["rounds"]]
        report[step] = {
            "ours_seconds": summary(ours, 3),
            "pg_seconds": summary(pg, 3),
            "ratio": summary([o / p for o, p in zip(ours, pg, strict=True)], 2),
        }
    report["delete_seconds"] = summary([r["delete_ours"] for r in raw["rounds"]], 3)
    report["archive_bytes"] = raw["rounds"][-1]["archive_bytes"]
    report["dump_bytes"] = raw["rounds"][-1]["dump_bytes"]
    return report


def markdown(report: dict) -> list[str]:
    """The section of the report for this benchmark."""
    c = report["commune"]
    lines = [
        "## Per-commune backup and restore",
        "",
        f"{report['communes_in_instance']:,} communes in the database; {c['name']} ({c['insee_code']}): {c['rows']:,} "
        f"rows in {report['tables']} tables, archive {report['archive_bytes'] / 1e6:.1f} MB, schema dump "
        f"{report['dump_bytes'] / 1e6:.1f} MB; {len(report['rounds'])} rounds, order alternating.",
        "",
        "| step | ours median s (p95) | pg_dump / pg_restore median s | ratio median (range) |",
        "|---|---:|---:|---:|",
    ]
    for step in ("export", "restore"):
        r = report[step]
        lines.append(
            f"| {step} | {r['ours_seconds']['median']} ({r['ours_seconds']['p95']}) | {r['pg_seconds']['median']} | "
            f"{r['ratio']['median']} ({r['ratio']['min']}–{r['ratio']['max']}) |"
        )
    lines += ["", f"Delete (export, check, drop): median {report['delete_seconds']['median']} s.", ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--demandes", type=int, default=2000)
    parser.add_argument("--output", type=Path, default=RESULTS / "commune_backup.json")
    args = parser.parse_args(argv)
    report = {"machine": machine(), **run(args.scale, args.rounds, args.demandes)}
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    args.output.with_suffix(".md").write_text("\n".join(markdown(report)) + "\n")
    print("\n".join(markdown(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
