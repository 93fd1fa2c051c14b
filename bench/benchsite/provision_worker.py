"""Provisioning a commune, by clone of the template and by migrations, in turns: run by ``bench/provisioning_speed.py``.

    DJANGO_SETTINGS_MODULE=mutualise.settings python -m benchsite.provision_worker --rounds 10

Each round provisions two new communes (real ones, from the national referential, outside the instance): one through
``tenants.provisioning.provision(commune)`` (clone of the template), the other through ``provision(commune,
allow_clone=False)`` (every migration), the order alternating from one round to the next. A first, untimed pair warms
the process up (the migration graph is loaded once per process). Every schema made is checked: it has recorded every
expected tenant migration. Prints ``BENCH_JSON={...}``.
"""

from __future__ import annotations

import argparse
import json
import time

import django


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=10)
    args = parser.parse_args()
    django.setup()

    from django.db import connection

    from mutualise.referential import POPULATION_YEAR, all_epcis
    from tenants.models import Commune, schema_name_for, slug_for
    from tenants.provisioning import applied_migrations, expected_tenant_migrations, provision, template_is_current

    if not template_is_current():
        raise SystemExit("the commune template is missing or behind: run `mutualise migrate` first")
    taken = set(Commune.objects.values_list("insee_code", flat=True))
    slugs = set(Commune.objects.values_list("slug", flat=True))
    pool = (c for epci in all_epcis().values() for c in epci.communes if c.insee_code not in taken)

    def new_commune() -> Commune:
        item = next(pool)
        slug = slug_for(item.name)
        slug = slug if slug not in slugs else f"{slug}-{item.insee_code.lower()}"
        slugs.add(slug)
        return Commune.objects.create(
            insee_code=item.insee_code,
            name=item.name,
            siren=item.siren,
            slug=slug,
            departement=item.departement,
            postal_codes=list(item.postal_codes),
            population=item.population,
            population_year=POPULATION_YEAR,
        )

    expected = expected_tenant_migrations()

    def timed(method: str) -> dict:
        commune = new_commune()
        started = time.perf_counter()
        outcome = provision(commune, allow_clone=method == "clone")
        seconds = time.perf_counter() - started
        if outcome.method != method:
            raise SystemExit(f"{commune.insee_code}: provisioned by {outcome.method}, {method} asked for")
        schema = schema_name_for(commune.insee_code)
        if not applied_migrations(schema) >= expected:
            raise SystemExit(f"{schema}: migrations missing after {method}")
        connection.set_schema_to_public()
        return {"insee": commune.insee_code, "schema": schema, "seconds": round(seconds, 4)}

    warmup = {method: timed(method) for method in ("migrations", "clone")}
    rounds: dict[str, list[dict]] = {"clone": [], "migrations": []}
    for index in range(args.rounds):
        for method in ("clone", "migrations") if index % 2 == 0 else ("migrations", "clone"):
            rounds[method].append(timed(method))

    schema = rounds["clone"][0]["schema"] if rounds["clone"] else warmup["clone"]["schema"]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FILTER (WHERE relkind IN ('r', 'p')), count(*) FILTER (WHERE relkind = 'i'),"
            " count(*) FILTER (WHERE relkind = 'S')"
            " FROM pg_class WHERE relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = %s)",
            [schema],
        )
        tables, indexes, sequences = cursor.fetchone()
    from django.conf import settings

    result = {
        "warmup": warmup,
        "rounds": rounds,
        "schema_shape": {
            "tenant_apps": len(settings.TENANT_APPS),
            "services": settings.SERVICE_REGISTRY.slugs,
            "expected_migrations": len(expected),
            "tables": tables,
            "indexes": indexes,
            "sequences": sequences,
        },
    }
    print("BENCH_JSON=" + json.dumps(result))


if __name__ == "__main__":
    main()
