"""Building and altering a many-commune instance for ``bench/migrate_scale.py``.

    python -m benchsite.scale_worker rows --communes 1000       # commune and domain rows, up to that many
    python -m benchsite.scale_worker schemas --job 0 --jobs 2   # clone the template for communes without schema
    python -m benchsite.scale_worker behind --schema S --app A  # drop app A's tables and records in schema S
    python -m benchsite.scale_worker check --schema S --app A   # A's tables and records are back in S

The communes are real ones: the national referential's EPCIs in SIREN order, whole, until there are enough, the last
one cut. Rows are created in bulk (one version bump of the host directory at the end); schemas are clones of the
template (``tenants.provisioning.clone_template``, what ``provision`` does once it has checked the template), in
``--jobs`` parallel processes. Each prints ``BENCH_JSON={...}``.
"""

from __future__ import annotations

import argparse
import json
import time

import django


def rows(target: int) -> dict:
    from django.conf import settings
    from django.db import transaction

    from mutualise.referential import POPULATION_YEAR, all_epcis
    from tenants import resolution
    from tenants.models import Commune, Domain, schema_name_for, slug_for
    from tenants.provisioning import _ensure_clone_function, template_is_current

    if not template_is_current():
        raise SystemExit("the commune template is missing or behind: run `mutualise migrate` first")
    _ensure_clone_function()  # before parallel clones: two processes must not both create it
    existing = set(Commune.objects.values_list("insee_code", flat=True))
    slugs = set(Commune.objects.values_list("slug", flat=True))
    wanted = target - len(existing)
    new, epcis = [], []
    for epci in all_epcis().values():
        if len(new) >= wanted:
            break
        fresh = [c for c in epci.communes if c.insee_code not in existing][: wanted - len(new)]
        if fresh:
            epcis.append(epci.siren)
            new.extend(fresh)
    host = settings.MUTUALISE_BASE_DOMAIN.split(":")[0]
    communes = []
    for item in new:
        slug = slug_for(item.name)
        slug = slug if slug not in slugs else f"{slug}-{item.insee_code.lower()}"
        slugs.add(slug)
        communes.append(
            Commune(
                insee_code=item.insee_code,
                schema_name=schema_name_for(item.insee_code),
                name=item.name,
                siren=item.siren,
                slug=slug,
                departement=item.departement,
                postal_codes=list(item.postal_codes),
                population=item.population,
                population_year=POPULATION_YEAR,
            )
        )
    with transaction.atomic():
        created = Commune.objects.bulk_create(communes, batch_size=500)
        Domain.objects.bulk_create(
            [Domain(tenant=c, domain=f"{c.slug}.{host}", is_primary=True) for c in created], batch_size=500
        )
        resolution.changed()
    return {
        "schemas": [c.schema_name for c in created],
        "created": len(created),
        "total": Commune.objects.count(),
        "epcis": epcis,
        "departements": sorted({c.departement for c in created}),
    }


def schemas(job: int, jobs: int) -> dict:
    from django.db import connection, transaction

    from tenants.models import Commune
    from tenants.provisioning import clone_template

    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace")
        present = {row[0] for row in cursor.fetchall()}
    # Shared out over every commune, then the existing ones left: the jobs start at different moments and must
    # not see different lists.
    names = sorted(Commune.objects.values_list("schema_name", flat=True))
    mine = [name for name in names[job::jobs] if name not in present]
    started = time.perf_counter()
    for name in mine:
        with transaction.atomic():
            clone_template(name)
    return {"cloned": len(mine), "seconds": round(time.perf_counter() - started, 2)}


def _tables(app: str) -> list[str]:
    from django.apps import apps

    return [model._meta.db_table for model in apps.get_app_config(app).get_models(include_auto_created=True)]


def behind(schema: str, app: str) -> dict:
    """Put ``schema`` one service behind: ``app``'s tables dropped and its migrations unrecorded."""
    from django.db import connection

    tables = _tables(app)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE " + ", ".join(f'"{schema}"."{t}"' for t in tables) + " CASCADE")
        cursor.execute(f'DELETE FROM "{schema}".django_migrations WHERE app = %s', [app])
    return {"schema": schema, "app": app, "dropped": tables}


def check(schema: str, app: str) -> dict:
    from django.db import connection

    from tenants.provisioning import applied_migrations, expected_tenant_migrations

    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
        present = {row[0] for row in cursor.fetchall()}
    missing_tables = sorted(set(_tables(app)) - present)
    missing_migrations = sorted(f"{a}.{n}" for a, n in expected_tenant_migrations() - applied_migrations(schema))
    return {"schema": schema, "missing_tables": missing_tables, "missing_migrations": missing_migrations}


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("rows").add_argument("--communes", type=int, required=True)
    jobs = sub.add_parser("schemas")
    jobs.add_argument("--job", type=int, default=0)
    jobs.add_argument("--jobs", type=int, default=1)
    for name in ("behind", "check"):
        one = sub.add_parser(name)
        one.add_argument("--schema", required=True)
        one.add_argument("--app", required=True)
    args = parser.parse_args()
    django.setup()
    if args.command == "rows":
        result = rows(args.communes)
    elif args.command == "schemas":
        result = schemas(args.job, args.jobs)
    elif args.command == "behind":
        result = behind(args.schema, args.app)
    else:
        result = check(args.schema, args.app)
    print("BENCH_JSON=" + json.dumps(result))


if __name__ == "__main__":
    main()
