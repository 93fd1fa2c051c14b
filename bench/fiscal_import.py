"""Cadastral locals import: the product's streamed COPY vs Django ``bulk_create`` vs a raw COPY, in the same run.

    /tmp/venv/bin/python bench/fiscal_import.py [--rows 1000000] [--bulk-rows 200000] [--rounds 2]

In a throw-away database (``DATABASE_URL``'s server, default ``postgres://postgres@127.0.0.1:5432/postgres``),
migrated and initialised for CC Vallée de l'Hérault (28 communes, all subscribing to the Observatoire fiscal), it
writes a realistic instance-wide MAJIC-like extract (``;``, UTF-8 with BOM, decimal commas, owners' names and
addresses; rows spread over the communes by population) and measures, in rows per second:

- ``product``: ``fiscal.import_locals`` (the Celery task, run inline): the file's bytes sent to ``COPY`` into an
  all-text staging table, every row checked and counted per commune in SQL, then each commune's table built anew
  (``INSERT … SELECT`` converting in SQL, then its indexes) on two connections at once and swapped in by one
  transaction; the task's own split (loading, checking, replacing, of which building indexes) is kept, and the
  communes' tables are checked against the template's afterwards (names, definitions, owner, grants);
- ``raw_copy``: the same file sent as is to ``COPY … (FORMAT csv)`` into an all-text temporary table: no check, no
  routing, the ceiling of what PostgreSQL ingests;
- ``bulk_create``: ``csv.DictReader`` and ``Local.objects.bulk_create`` per commune schema (batches of 2,000), on
  the first ``--bulk-rows`` rows (it is slow; the rate is what compares).

``raw_copy`` and ``product`` alternate for ``--rounds`` rounds (the machines are shared: the best round of each is
reported, and every round is kept). Results: ``bench/results/fiscal_import.json`` and ``.md``, with the load average
at start and end. Goal: product ≥ 200,000 rows/s end to end.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import json
import os
import platform
import random
import secrets
import sys
import tempfile
import time
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/postgres"
GOAL_ROWS_PER_SECOND = 200_000
CCVH = "243400694"

STREETS = (
    "rue de la République",
    "avenue de Lodève",
    "chemin des Vignes",
    "place de la Mairie",
    "rue du Pont",
    "impasse des Oliviers",
    "route de Montpellier",
    "rue de l'Église",
    "chemin de la Garrigue",
    "grand'rue",
)
SURNAMES = (
    "MARTIN",
    "BERNARD",
    "ROUX",
    "FABRE",
    "VIDAL",
    "DURAND",
    "GARCIA",
    "MOREAU",
    "BONNET",
    "ARNAUD",
    "GUIRAUD",
    "CAZALS",
    "PUECH",
    "SALLES",
    "MOLINIER",
)
FIRST = ("Jean", "Marie", "Pierre", "Josiane", "Michel", "Sylvie", "Alain", "Christine", "Éric", "Nathalie")
HEADER = [
    "idlocal",
    "idpar",
    "adresse",
    "ccoaff",
    "dcapec",
    "stoth",
    "jannath",
    "dvltrt",
    "ccthp",
    "vacant depuis",
    "exonération",
    "jandeb",
    "janimp",
    "ddenom",
    "adresse du propriétaire",
]


def generate(path: Path, rows: int, communes: list[tuple[str, int]], seed: int = 26) -> None:
    """A MAJIC-like extract of ``rows`` locals, spread over ``communes`` (INSEE code, population)."""
    rng = random.Random(seed)
    total = sum(p for _, p in communes)
    with open(path, "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADER)
        written = 0
        for index, (insee, population) in enumerate(communes):
            share = rows - written if index == len(communes) - 1 else round(rows * population / total)
            for n in range(share):
                section = rng.choice("ABCDEFGHK") + rng.choice("ABCDEFGHIJ")
                parcel = f"{insee}000{section}{rng.randint(1, 3000):04d}"
                dwelling = rng.random() < 0.82
                built = rng.choice((0, rng.randint(1850, 2025)))
                vacant = rng.random() < 0.07
                exonerated = rng.random() < 0.03
                value = rng.randint(600, 9000) + rng.randint(0, 99) / 100
                writer.writerow(
                    [
                        f"{insee[:2]}{insee[2:]}{n:07d}",
                        parcel,
                        f"{rng.randint(1, 120)} {rng.choice(STREETS)}",
                        "H" if dwelling else rng.choice("PLSA"),
                        rng.choice("3445556666778") if dwelling else "",
                        rng.randint(18, 240),
                        built,
                        f"{value:.2f}".replace(".", ","),
                        "V" if vacant else rng.choice("PPPL"),
                        rng.randint(2012, 2025) if vacant else "",
                        "NC" if exonerated else "",
                        rng.randint(2010, 2024) if exonerated else "",
                        rng.randint(2012, 2030) if exonerated else "",
                        f"{rng.choice(SURNAMES)} {rng.choice(FIRST)}",
                        f"{rng.randint(1, 80)} {rng.choice(STREETS)} {rng.randint(34000, 34990)}",
                    ]
                )
            written += share


def setup_django(database_url: str, data_dir: str) -> None:
    os.environ.update(
        DATABASE_URL=database_url,
        DJANGO_SETTINGS_MODULE="mutualise.settings",
        MUTUALISE_DATA_DIR=data_dir,
        MUTUALISE_BASE_DOMAIN="localhost:8000",
    )
    for name in ("CELERY_BROKER_URL", "MUTUALISE_CACHE_URL", "MUTUALISE_DB_POOL"):
        os.environ.pop(name, None)
    import django

    django.setup()


def measure_product(path: Path) -> tuple[float, dict]:
    from django.core.files import File

    from mutualise.files import CommuneFileStorage
    from plugins.fiscal.tasks import import_locals_task, new_job

    job = new_job()
    with open(path, "rb") as handle:
        name = CommuneFileStorage().save(f"fiscal-imports/{job}.csv", File(handle))
    started = time.perf_counter()
    state = import_locals_task.apply(args=(job, name, None)).get()
    seconds = time.perf_counter() - started
    if state["status"] != "termine":
        raise RuntimeError(f"product import failed: {state.get('errors', [])[:5]}")
    return seconds, state


def check_tables(schemas: list[str]) -> None:
    """Each commune's table, built anew and swapped in by the import, has the template's constraints and indexes under
    the same names, owner and grants, and nothing is left beside it."""
    from django.conf import settings
    from django.db import connection

    def shape(schema: str) -> list:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %(t)s::regclass "
                "UNION ALL SELECT indexname, replace(indexdef, %(s)s, '') FROM pg_indexes WHERE schemaname = %(n)s "
                "AND tablename = 'fiscal_local' UNION ALL SELECT pg_get_userbyid(relowner), relacl::text FROM pg_class "
                "WHERE oid = %(t)s::regclass ORDER BY 1",
                {"t": f'"{schema}".fiscal_local', "s": f"{schema}.", "n": schema},
            )
            return cursor.fetchall()

    template = shape(settings.MUTUALISE_TEMPLATE_SCHEMA)
    for schema in schemas:
        if shape(schema) != template:
            raise RuntimeError(f"{schema}.fiscal_local differs from the template's: {shape(schema)} / {template}")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relname = 'fiscal_local_new' OR relname LIKE 'fiscal_stage%'"
        )
        if cursor.fetchall():
            raise RuntimeError("tables left by the import")


def measure_raw_copy(path: Path) -> float:
    from django.db import connection, transaction

    columns = ", ".join(f'"c{i}" text' for i in range(len(HEADER)))
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMPORARY TABLE raw_locals ({columns}) ON COMMIT DROP")
        with (
            open(path, "rb") as handle,
            cursor.copy("COPY raw_locals FROM STDIN (FORMAT csv, DELIMITER ';', HEADER true, ENCODING 'UTF8')") as copy,
        ):
            handle.read(3)  # the BOM
            while chunk := handle.read(1 << 20):
                copy.write(chunk)
    return time.perf_counter() - started


def measure_bulk_create(path: Path, limit: int, schemas: dict[str, str]) -> tuple[float, int]:
    from decimal import Decimal

    from django.db import transaction
    from django_tenants.utils import schema_context

    from plugins.fiscal.models import Local

    def number(text):
        return int(text) if text and text != "0" else None

    started = time.perf_counter()
    per_commune: dict[str, list] = {}
    count = 0
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle, delimiter=";"):
            if count >= limit:
                break
            count += 1
            per_commune.setdefault(row["idpar"][:5], []).append(
                Local(
                    local_id=row["idlocal"],
                    parcel=row["idpar"],
                    address=row["adresse"],
                    affectation=row["ccoaff"],
                    category=number(row["dcapec"]),
                    surface=number(row["stoth"]),
                    year_built=number(row["jannath"]),
                    rental_value=Decimal(row["dvltrt"].replace(",", ".")),
                    vacant=row["ccthp"] == "V",
                    vacant_since=number(row["vacant depuis"]),
                    exoneration=row["exonération"],
                    exoneration_start=number(row["jandeb"]),
                    exoneration_end=number(row["janimp"]),
                    owner_name=row["ddenom"],
                    owner_address=row["adresse du propriétaire"],
                )
            )
    with transaction.atomic():
        for insee, objects in per_commune.items():
            with schema_context(schemas[insee]):
                Local.objects.all().delete()
                Local.objects.bulk_create(objects, batch_size=2000)
    return time.perf_counter() - started, count


def markdown(result: dict) -> str:
    m = result["measures"]
    lines = [
        "# Import des locaux cadastraux (COPY)",
        "",
        f"Fichier : {result['rows']:,} lignes, {result['file_mb']} Mo, {result['communes']} communes. "
        f"Machine : {result['machine']['nproc']} cœurs, Python {result['machine']['python']}, "
        f"{result['machine']['postgres']}.".replace(",", " "),
        "",
        "| méthode | lignes | secondes | lignes/s | rapport au produit |",
        "|---|---:|---:|---:|---:|",
    ]
    for name in ("product", "raw_copy", "bulk_create"):
        x = m[name]
        lines.append(
            f"| {name} | {x['rows']:,} | {x['seconds']:.2f} | {x['rows_per_second']:,.0f} | "
            f"{x['rows_per_second'] / m['product']['rows_per_second']:.2f} |".replace(",", " ")
        )
    product = m["product"]
    machine = result["machine"]
    lines += [
        "",
        f"Produit, meilleur tour : chargement {product['loading_seconds']:.2f} s, vérification "
        f"{product['checking_seconds']:.2f} s, remplacement des tables {product['replacing_seconds']:.2f} s "
        f"(dont reconstruction des index {product['indexing_seconds']:.2f} s).",
        f"Charge moyenne (1, 5, 15 min) : {machine['loadavg_start']} au début, {machine['loadavg_end']} à la fin.",
        "",
        "| tour | COPY brut (s) | produit (s) | chargement | vérification | remplacement | charge |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for number, r in enumerate(result["rounds"], 1):
        lines.append(
            f"| {number} | {r['raw_copy_seconds']:.2f} | {r['product_seconds']:.2f} | {r['loading_seconds']:.2f} | "
            f"{r['checking_seconds']:.2f} | {r['replacing_seconds']:.2f} | {r['loadavg'][0]} |"
        )
    goal = result["goal"]
    lines += [
        "",
        f"Objectif : {goal['rows_per_second']:,} lignes/s de bout en bout — "
        f"{'atteint' if goal['met'] else 'non atteint'}.".replace(",", " "),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--bulk-rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=2, help="raw COPY and product, alternated")
    parser.add_argument("--keep", action="store_true", help="keep the database (its name is printed)")
    args = parser.parse_args(argv)
    server = os.environ.get("DATABASE_URL", DEFAULT_URL)
    name = f"mutualise_bench_fiscal_{secrets.token_hex(4)}"
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    with psycopg.connect(server, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    database_url = server.rsplit("/", 1)[0] + "/" + name
    print(f"database {name}", flush=True)
    try:
        with tempfile.TemporaryDirectory(prefix="mutualise-bench-fiscal-") as tmp:
            setup_django(database_url, tmp)
            from django.core.management import call_command
            from django.db import connection

            from tenants.models import Commune, Subscription
            from tenants.setup import initialise

            call_command("migrate", interactive=False, verbosity=0)
            initialise(CCVH)
            communes = list(Commune.objects.order_by("insee_code"))
            for commune in communes:
                Subscription.objects.get_or_create(
                    commune=commune, service="fiscal", active=True, defaults={"start_date": datetime.date(2020, 1, 1)}
                )
            path = Path(tmp) / "locaux.csv"
            print(f"generating {args.rows:,} rows …", flush=True)
            generate(path, args.rows, [(c.insee_code, c.population or 100) for c in communes])
            size_mb = round(path.stat().st_size / 1e6, 1)
            measures = {}
            rounds = []
            for number in range(1, args.rounds + 1):
                print(f"round {number}: raw COPY …", flush=True)
                raw_seconds = measure_raw_copy(path)
                print(f"round {number}: product import (task, inline) …", flush=True)
                seconds, state = measure_product(path)
                rounds.append(
                    {
                        "raw_copy_seconds": round(raw_seconds, 3),
                        "product_seconds": round(seconds, 3),
                        "loading_seconds": state["seconds"][0],
                        "checking_seconds": state["seconds"][1],
                        "replacing_seconds": state["seconds"][2],
                        "indexing_seconds": state["seconds"][3],
                        "loadavg": [round(x, 2) for x in os.getloadavg()],
                    }
                )
                print(rounds[-1], flush=True)
            check_tables([c.schema_name for c in communes])
            best = min(rounds, key=lambda r: r["product_seconds"])
            measures["raw_copy"] = {"rows": args.rows, "seconds": min(r["raw_copy_seconds"] for r in rounds)}
            measures["product"] = {
                "rows": state["rows"],
                "seconds": best["product_seconds"],
                "loading_seconds": best["loading_seconds"],
                "checking_seconds": best["checking_seconds"],
                "replacing_seconds": best["replacing_seconds"],
                "indexing_seconds": best["indexing_seconds"],
            }
            print(f"bulk_create on {args.bulk_rows:,} rows …", flush=True)
            seconds, count = measure_bulk_create(path, args.bulk_rows, {c.insee_code: c.schema_name for c in communes})
            measures["bulk_create"] = {"rows": count, "seconds": round(seconds, 3)}
            for x in measures.values():
                x["rows_per_second"] = round(x["rows"] / x["seconds"])
            with connection.cursor() as cursor:
                cursor.execute("SHOW server_version")
                pg_version = cursor.fetchone()[0]
            connection.close()
    finally:
        if not args.keep:
            with psycopg.connect(server, autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    product = measures["product"]["rows_per_second"]
    result = {
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "rows": args.rows,
        "file_mb": size_mb,
        "communes": len(communes),
        "machine": {
            "nproc": os.cpu_count(),
            "python": platform.python_version(),
            "postgres": f"PostgreSQL {pg_version}",
            "loadavg_start": load_at_start,
            "loadavg_end": [round(x, 2) for x in os.getloadavg()],
        },
        "measures": measures,
        "rounds": rounds,
        "ratios": {
            "product_over_bulk_create": round(product / measures["bulk_create"]["rows_per_second"], 2),
            "product_over_raw_copy": round(product / measures["raw_copy"]["rows_per_second"], 2),
        },
        "goal": {"rows_per_second": GOAL_ROWS_PER_SECOND, "met": product >= GOAL_ROWS_PER_SECOND},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "fiscal_import.json").write_text(json.dumps(result, indent=2, ensure_ascii=False))
    (RESULTS / "fiscal_import.md").write_text(markdown(result))
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
