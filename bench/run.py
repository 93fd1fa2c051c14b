"""Every benchmark of the product's speed and scale, each against a baseline measured in the same run.

    .venv/bin/python bench/run.py            # the full run (about 1 h 30 on 2 cores)
    .venv/bin/python bench/run.py --quick    # fewer rounds (about 45 minutes): a smoke test, noisier figures
    .venv/bin/python bench/run.py --only tenancy,provisioning

Needs: the project's virtualenv, a PostgreSQL server named by ``DATABASE_URL`` (default
``postgres://postgres@127.0.0.1:5432/postgres``; the user must be allowed to create databases), ``wrk`` (the HTTP
load generator), and ``pg_dump``/``pg_restore`` of the server's major version (the baseline of ``backup``). Each
benchmark works in its own throw-away database, dropped at the end whatever happens.

1. ``tenancy``: the same one-query view through our tenant middleware, django-tenants' and no tenancy at all
   (``bench/tenancy_overhead.py``);
2. ``provisioning``: a commune's schema by clone of the template vs by migrations (``bench/provisioning_speed.py``);
3. ``migrate``: ``migrate_schemas`` vs ``mutualise migrate`` with nothing to apply, at 100 and 1,000 communes
   (``bench/migrate_scale.py``);
4. ``cross``: the agents' queue and a per-service count across 1,000 communes with 50 demandes each, from the public
   index vs a loop over the schemas vs one ``UNION ALL`` (``bench/cross_commune.py``);
5. ``backup``: one commune's export and restore (``mutualise commune``) with 1,000 communes in the database, vs
   ``pg_dump``/``pg_restore`` of its schema (``bench/commune_backup.py``);
6. ``fiscal``: the cadastral import of a million-row file, vs a raw ``COPY`` of the same file and Django's
   ``bulk_create`` (``bench/fiscal_import.py``, in its own process: it sets Django up in-process).

Writes ``bench/results/report.json`` (everything, machine included) and ``bench/results/report.md`` (the tables).
Figures are medians over rounds interleaved with their baseline; read ratios, not absolute numbers, on a shared
machine.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import commune_backup
import cross_commune
import fiscal_import
import migrate_scale
import provisioning_speed
import tenancy_overhead
from common import RESULTS, machine

BENCHMARKS = ("tenancy", "provisioning", "migrate", "cross", "backup", "fiscal")
SETTINGS = {
    "full": {
        "tenancy": {
            "rounds": 24,
            "seconds": 3,
            "connections": 16,
            "modes": ("persistent", "pool"),
            "in_process_passes": 3,
        },
        "provisioning": {"rounds": 10},
        "migrate": {
            "scales": (100, 1000),
            "stock_rounds": (5, 3),
            "ours_rounds": (5, 5),
            "provision_rounds": 5,
        },
        "cross": {"communes": 1000, "per_commune": 50, "loads": 300, "aggregates": 100},
        "backup": {"scale": 1000, "rounds": 5, "demandes": 2000},
        "fiscal": {"rows": 1_000_000, "bulk_rows": 50_000, "rounds": 3},
    },
    "quick": {
        "tenancy": {
            "rounds": 4,
            "seconds": 3,
            "connections": 16,
            "modes": ("persistent", "pool"),
            "in_process_passes": 2,
        },
        "provisioning": {"rounds": 3},
        "migrate": {
            "scales": (100, 1000),
            "stock_rounds": (1, 1),
            "ours_rounds": (3, 3),
            "provision_rounds": 1,
        },
        "cross": {"communes": 1000, "per_commune": 50, "loads": 90, "aggregates": 24},
        "backup": {"scale": 1000, "rounds": 3, "demandes": 2000},
        "fiscal": {"rows": 1_000_000, "bulk_rows": 20_000, "rounds": 2},
    },
}


def yes(flag: bool | None) -> str:
    return "—" if flag is None else ("**met**" if flag else "**missed**")


def markdown(report: dict) -> str:
    m = report["machine"]
    lines = [
        "# Mutualise benchmarks",
        "",
        f"Command: `{report['command']}` ({report['profile']} profile), {report['started']} → "
        f"{report['finished']} ({report['seconds'] / 60:.0f} min).",
        "",
        f"Machine: {m['nproc']} CPU ({m['cpu_model']}), {m['ram_gib']} GiB RAM, Python {m['python']}, "
        f"PostgreSQL {m['postgresql']} ({', '.join(f'{k} {v}' for k, v in m.get('postgresql_settings', {}).items())}), "
        f"{m['platform']}. Load average at start {m['loadavg_at_start']}, at end {m.get('loadavg_at_end')} "
        "(the machine is shared: absolute figures move, ratios to the same-run baseline are what to read).",
        "",
    ]
    if "tenancy" in report:
        t = report["tenancy"]
        c = t["config"]
        lines += [
            "## 1. Tenancy overhead",
            "",
            f"One-query view, gunicorn {c['gunicorn']['workers']} workers × {c['gunicorn']['threads']} threads per "
            f"variant, wrk {c['wrk']['connections']} connections, {c['rounds']} rounds × {c['seconds_per_run']:g} s "
            "per variant, order rotated each round. Ratios are taken within each round, then their median, its 90 % bootstrap "
            "interval [ ] and their range ( ).",
            "",
        ]
        for mode, data in t["modes"].items():
            lines += [
                f"### Connections: {mode}"
                + (" (product default, `CONN_MAX_AGE=60`)" if mode == "persistent" else " (`MUTUALISE_DB_POOL=1`)"),
                "",
                "Under load (wrk, interleaved rounds):",
                "",
                "| variant | req/s | p50 ms | p99 ms | req/s ÷ (c) [90 % interval] (range) | server CPU ms/req | ÷ (c) "
                "| errors |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for row in data["variants"].values():
                r, cpu = row["ratio_to_plain"], row["cpu_ratio_to_plain"]
                lines.append(
                    f"| {row['label']} | {row['rps']['median']:.0f} | {row['p50_ms']['median']} | "
                    f"{row['p99_ms']['median']} | **{r['median']:.3f}** [{r['median_90ci'][0]:.2f}–"
                    f"{r['median_90ci'][1]:.2f}] ({r['min']:.2f}–{r['max']:.2f}) | "
                    f"{row['server_cpu_ms_per_request']['median']} | {cpu['median']:.3f} ({cpu['min']:.2f}–"
                    f"{cpu['max']:.2f}) | {row['errors']} |"
                )
            lines += [
                "",
                "In-process, one request at a time through Django's WSGI handler (statements and calls do not depend on "
                f"the machine's load; CPU time: best of {t['config']['in_process_passes']} interleaved passes):",
                "",
                "| variant | SQL statements/req (captured / sent) | + vs (c) | Python calls/req | ÷ (c) | CPU µs/req | ÷ (c) "
                "| tenant middleware µs/req |",
                "|---|---:|---:|---:|---:|---:|---:|---:|",
            ]
            for row in data["variants"].values():
                q = row["statements"]
                lines.append(
                    f"| {row['label']} | {q['captured_mean']} / {q['sent_mean']} | {row['extra_statements_per_request']:+g} "
                    f"| {q['python_calls_per_request']} | {row['python_calls_ratio_to_plain']:.3f} | "
                    f"{q['cpu_us_per_request']} | {row['cpu_us_ratio_to_plain']:.3f} | "
                    f"{q['tenant_middleware']['us_per_request'] if q.get('tenant_middleware') else '—'} |"
                )
            goals = data["goals"]
            lines += [
                "",
                f"Goals: no SQL statement for tenant resolution once warm: "
                f"{yes(goals['no_statement_for_resolution_once_warm'])} (statements added by the tenancy: "
                f"{goals['extra_statements_per_request']:+g} per request); throughput ≥ 0.97 × no tenancy (median "
                f"of per-round ratios): {yes(goals['throughput_ratio_at_least_0_97'])}; with the noise of this run "
                f"(90 % bootstrap interval of that median): {goals['throughput_verdict']}. Two identical servers, (c′) "
                f"against (c), measured {goals['identical_servers_ratio']:.3f} [{goals['identical_servers_90ci'][0]:.2f}–"
                f"{goals['identical_servers_90ci'][1]:.2f}] in the same rounds.",
                "",
                "Statements of a typical request (as sent to PostgreSQL):",
                "",
            ]
            for name, row in data["variants"].items():
                sent = row["statements"]["typical"]["sent"]
                lines.append(f"- {name}: " + "; ".join(f"`{s[:90]}{'…' if len(s) > 90 else ''}`" for s in sent))
                for count, example in row["statements"].get("other_examples", {}).items():
                    n = row["statements"]["sent"][count]
                    extra = [s for s in example["sent"] if s not in sent]
                    lines.append(
                        f"  - {n} of {row['statements']['requests']} requests sent {count}, adding: "
                        + "; ".join(f"`{s[:90]}{'…' if len(s) > 90 else ''}`" for s in extra)
                    )
            lines.append("")
    if "provisioning" in report:
        p = report["provisioning"]
        shape = p["schema_shape"]
        lines += [
            "## 2. Provisioning a commune",
            "",
            f"`tenants.provisioning.provision` with every installed service ({len(shape['services'])} services, "
            f"{shape['tenant_apps']} tenant apps, {shape['expected_migrations']} migrations; the schema has "
            f"{shape['tables']} tables, {shape['indexes']} indexes), {p['config']['rounds']} rounds of each, alternating.",
            "",
            "| method | median s | p95 s | min s | max s | n |",
            "|---|---:|---:|---:|---:|---:|",
        ]
        for method in ("clone", "migrations"):
            row = p[method]
            lines.append(
                f"| {method} | {row['median']} | {row['p95']} | {row['min']} | {row['max']} | {row['count']} |"
            )
        lines += [
            "",
            f"Migrations take {p['migrations_over_clone']} × the clone's time. Goal ≤ {p['goal']['seconds']:g} s "
            f"(clone, p95): {yes(p['goal']['clone_p95_met'])}. First, untimed pair: clone "
            f"{p['warmup']['clone']['seconds']} s, migrations {p['warmup']['migrations']['seconds']} s.",
            "",
        ]
    if "migrate" in report:
        g = report["migrate"]
        lines += [
            "## 3. Migrations with nothing to apply",
            "",
            "Wall-clock time of the whole command (process start included), rounds interleaved.",
            "",
            "| communes | `migrate_schemas` median s (p95, n) | `mutualise migrate` median s (p95, n) | speed-up |",
            "|---:|---:|---:|---:|",
        ]
        for scale, row in g["scales"].items():
            lines.append(
                f"| {int(scale):,} | {row['stock']['median']} ({row['stock']['p95']}, {row['stock']['count']}) | "
                f"{row['ours']['median']} ({row['ours']['p95']}, {row['ours']['count']}) | ×{row['speedup']} |"
            )
        lines += [
            "",
            f"Goal ≤ {g['goal']['seconds']:g} s at 1,000 communes (p95): {yes(g['goal']['ours_at_1000_p95_met'])}.",
            "",
        ]
        for scale, row in g["scales"].items():
            made = row["instance"]
            lines.append(
                f"- {int(scale):,} communes: {made['created']} added from {len(made['epcis'])} EPCIs "
                f"(départements {', '.join(made['departements'])}), schemas made in "
                f"{made['seconds']} s."
            )
        behind = g["one_commune_behind"]
        lines += [
            f"- One commune put behind at {max(int(s) for s in g['scales']):,} communes ({behind['schema']}: "
            f"{', '.join(behind['dropped_tables'])} dropped, its migrations unrecorded): `mutualise migrate` migrated "
            f"it alone and restored it in {behind['seconds']} s.",
        ]
        for scale, row in g["scales"].items():
            if at := row.get("provisioning"):
                lines.append(
                    f"- Provisioning with {int(scale):,} communes in the database: clone median {at['clone']['median']} s "
                    f"(p95 {at['clone']['p95']}), migrations median {at['migrations']['median']} s "
                    f"(p95 {at['migrations']['p95']}), n = {at['clone']['count']}."
                )
        lines.append("")
    if "cross" in report:
        lines += cross_markdown(report["cross"])
    if "backup" in report:
        lines += commune_backup.markdown(report["backup"])
    if "fiscal" in report:
        table = fiscal_import.markdown(report["fiscal"]).partition("\n\n")[2]  # without its own title
        lines += ["### 6. Cadastral import (Observatoire fiscal)", "", table]
    if report.get("failures"):
        lines += ["## Failures", ""] + [f"- {name}: {error}" for name, error in report["failures"].items()] + [""]
    return "\n".join(lines)


def cross_markdown(x: dict) -> list[str]:
    c, data, q, a = x["config"], x["data"], x["queue"], x["aggregate"]
    lines = [
        "## 4. Work across communes",
        "",
        f"{data['communes']:,} communes, {data['demandes']:,} demandes ({c['per_commune']} each; open "
        f"{data['open']:,}, past their deadline {data['late']:,}; take-charge deadline missed {data['take_charge_breached']:,},"
        f" resolution deadline missed {data['resolve_breached']:,}). {q['index']['count']} page loads of the "
        "console's queue (50 rows, filters and pages drawn at random), each built three ways in an order rotated at "
        f"each load; {a['index']['count']} counts of one service's demandes per commune and status. Times in ms.",
        "",
        "| what | path | p50 | p95 | p99 | max | ÷ index (median per load) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    names = {
        "index": "public index (the product)",
        "loop": "one query per schema",
        "union": "`UNION ALL` across the schemas",
    }
    for what, row in (("queue page", q), ("per-service count", a)):
        for path in ("index", "loop", "union"):
            r = row[path]
            ratio = "1" if path == "index" else f"×{row['baseline_over_index'][path]}"
            label = names[path] + (
                " — whole page, view and template" if what == "queue page" and path == "index" else ""
            )
            lines.append(f"| {what} | {label} | {r['p50']} | {r['p95']} | {r['p99']} | {r['max']} | {ratio} |")
    s = q["index_sql"]
    u = x["union"]
    lines += [
        "",
        f"The `UNION ALL` runs in statements of {u['schemas_per_statement']} schemas, merged: PostgreSQL locks every "
        f"table and index a statement reads while it plans it ({u['locks_per_schema']} relations per schema here), in "
        f"a lock table the whole server shares ({u['lock_table_slots']:,} slots with these settings); one statement "
        f"over {data['communes']:,} schemas would need {u['locks_per_schema'] * data['communes']:,}, and fail with "
        "“out of shared memory” (making other sessions fail meanwhile).",
    ]
    if failure := u["failure"]:
        lines.append(f"It failed even so, and was split further: “{failure['error']}”.")
    lines += [
        "",
        f"Of the queue page from the index, the SQL of the index (count and page): p50 {s['p50']} ms, p95 {s['p95']} ms, "
        f"p99 {s['p99']} ms. The loop and the `UNION ALL` are measured on the query and the assembly of the page alone "
        "(no template): the comparison favours them.",
        "",
        f"The three paths gave the same rows and counts: {yes(x['goal']['paths_agree'])} "
        f"({q['mismatches']} queue pages and {len(a['mismatches'])} counts differed). Goal: the queue page from the "
        f"index, p95 ≤ {x['goal']['ms']:g} ms: {yes(x['goal']['queue_index_p95_met'])}.",
        "",
    ]
    return lines


def run_fiscal(rows: int, bulk_rows: int, rounds: int) -> dict:
    """``bench/fiscal_import.py`` in its own process; its result, as it writes it to ``results/fiscal_import.json``."""
    script = Path(__file__).with_name("fiscal_import.py")
    command = [sys.executable, str(script), "--rows", str(rows), "--bulk-rows", str(bulk_rows), "--rounds", str(rounds)]
    subprocess.run(command, check=True, timeout=3600)
    return json.loads((RESULTS / "fiscal_import.json").read_text())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds: a smoke test")
    parser.add_argument("--only", default=",".join(BENCHMARKS), help=f"comma-separated subset of {BENCHMARKS}")
    parser.add_argument("--output", type=Path, default=RESULTS, help="folder of report.json and report.md")
    args = parser.parse_args(argv)
    only = [name for name in args.only.split(",") if name]
    if unknown := set(only) - set(BENCHMARKS):
        parser.error(f"unknown benchmarks: {', '.join(sorted(unknown))}")
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # clean-ups (databases, servers) run on SIGTERM too
    os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")

    profile = "quick" if args.quick else "full"
    settings = SETTINGS[profile]
    started = time.time()
    report: dict = {
        "command": " ".join(["python", "bench/run.py", *(argv if argv is not None else sys.argv[1:])]),
        "profile": profile,
        "settings": settings,
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z", time.localtime(started)),
        "machine": machine(),
        "failures": {},
    }
    runners = {
        "tenancy": lambda: tenancy_overhead.run(**settings["tenancy"]),
        "provisioning": lambda: provisioning_speed.run(**settings["provisioning"]),
        "migrate": lambda: migrate_scale.run(**settings["migrate"]),
        "cross": lambda: cross_commune.run(**settings["cross"]),
        "backup": lambda: commune_backup.run(**settings["backup"]),
        "fiscal": lambda: run_fiscal(**settings["fiscal"]),
    }
    for name in only:
        print(f"== {name}", flush=True)
        step = time.perf_counter()
        try:
            report[name] = runners[name]()
        except Exception as exc:  # one benchmark failing must not lose the others' figures
            report["failures"][name] = f"{type(exc).__name__}: {exc}"
            print(f"   FAILED: {exc}", file=sys.stderr, flush=True)
        print(f"   ({time.perf_counter() - step:.0f} s)", flush=True)
    report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
    report["finished"] = time.strftime("%Y-%m-%d %H:%M:%S %Z")
    report["seconds"] = round(time.time() - started)

    args.output.mkdir(parents=True, exist_ok=True)
    (args.output / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (args.output / "report.md").write_text(markdown(report))
    print(markdown(report))
    print(f"Written to {args.output / 'report.md'} and report.json")
    return 1 if report["failures"] else 0


if __name__ == "__main__":
    sys.exit(main())
