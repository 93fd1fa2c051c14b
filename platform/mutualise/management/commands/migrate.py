"""``mutualise migrate``: django-tenants' ``migrate_schemas``, skipping the commune schemas that have nothing to apply.

Stock ``migrate_schemas`` runs Django's whole ``migrate`` in every commune's schema, one after the other, each on a
new connection: about a tenth of a second per commune even when there is nothing to apply. Here, one query per 200
schemas (:func:`mutualise.schemas.union_all`) reads how many of the expected migrations every commune schema (and
the commune template) has recorded, after one query of the catalogue, and django-tenants' executor runs only for the schemas that lack one. The public schema is
migrated as before, and then the template is brought up to date if it is behind.

"Expected" is what :func:`tenants.provisioning.expected_tenant_migrations` says, the same test as for the template:
every migration of the tenant apps. Shared apps' migrations are left out: ``migrate`` records them in a commune's
schema too, but their operations do nothing there (the tenant router), so a deployment that only changes shared
apps does not visit the communes; the record is written the next time the schema is migrated. A commune whose schema
does not exist is not migrated (``migrate_schemas`` would stop on it): a warning names it, and ``mutualise
provision`` creates it.

With a schema (``--schema``), a target migration, ``--prune``, ``--run-syncdb`` or multi-type tenants, the command
is stock ``migrate_schemas`` (followed, as always, by the template's refresh).
"""

from __future__ import annotations

import time

from django.db import connections
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.management.commands import SyncCommon
from django_tenants.management.commands.migrate_schemas import GET_EXECUTOR_FUNCTION, MigrateSchemasCommand
from django_tenants.utils import (
    get_public_schema_name,
    get_tenant_migration_order,
    get_tenant_model,
    has_multi_type_tenants,
)

from mutualise.schemas import relations_of, union_all
from tenants.provisioning import expected_tenant_migrations, refresh_template, template_schema

SHOWN = 10  # schemas named in the summary, at most


def schemas_to_migrate(
    schemas: list[str], expected: frozenset[tuple[str, str]], database: str = "default"
) -> tuple[list[str], list[str]]:
    """Split ``schemas`` into those lacking a schema and those lacking a migration; the others are up to date.

    The catalogue in one statement (which schemas, and which migration tables, exist), then a ``UNION ALL``
    counting, in each migration table, the distinct expected migrations recorded: one statement per 200 schemas,
    so that a thousand communes or more do not fill PostgreSQL's shared lock table.
    """
    if not schemas:
        return [], []
    with connections[database].cursor() as cursor:
        cursor.execute(
            "SELECT s.name, n.oid IS NOT NULL, t.oid IS NOT NULL"
            " FROM unnest(%s::text[]) AS s(name)"
            " LEFT JOIN pg_namespace n ON n.nspname = s.name"
            " LEFT JOIN pg_class t ON t.relnamespace = n.oid AND t.relname = 'django_migrations'"
            " AND t.relkind IN ('r', 'p')",
            [list(schemas)],
        )
        catalogue = {name: (has_schema, has_table) for name, has_schema, has_table in cursor.fetchall()}
        with_table = [name for name in schemas if catalogue[name][1]]
        recorded: dict[str, int] = {}
        if with_table:
            apps, names = zip(*sorted(expected), strict=True) if expected else ((), ())
            rows = union_all(
                "SELECT %s::text, count(DISTINCT (app, name)) FROM {schema}.django_migrations"
                " WHERE (app, name) IN (SELECT * FROM expected)",
                [(name, [name]) for name in with_table],
                relations=relations_of(MigrationRecorder.Migration),
                prefix="WITH expected AS MATERIALIZED (SELECT * FROM unnest(%s::text[], %s::text[])) ",
                prefix_params=[list(apps), list(names)],
                using=database,
            )
            recorded = dict(rows)
    missing = [name for name in schemas if not catalogue[name][0]]
    stale = [name for name in schemas if catalogue[name][0] and recorded.get(name, 0) != len(expected)]
    return missing, stale


def _names(schemas: list[str]) -> str:
    shown = ", ".join(schemas[:SHOWN])
    return shown + (f"… (+{len(schemas) - SHOWN})" if len(schemas) > SHOWN else "")


class Command(MigrateSchemasCommand):
    help = "Applique les migrations au schéma public, à chaque commune et au schéma modèle des communes."

    def handle(self, *args, **options):
        verbosity = int(options.get("verbosity", 1))
        if not self._can_skip(options):
            super().handle(*args, **options)
            if self.sync_tenant and not options.get("schema_name"):
                refresh_template(verbosity=verbosity)
            return

        SyncCommon.handle(self, *args, **options)
        public = get_public_schema_name()
        executor = GET_EXECUTOR_FUNCTION(codename=self.executor)(self.args, self.options)
        if self.sync_public:
            executor.run_migrations(tenants=[public])
        if not self.sync_tenant:
            return

        tenants = get_tenant_model().objects.exclude(schema_name=public)
        if (order := get_tenant_migration_order()) is not None:
            tenants = tenants.order_by(*order)
        communes = list(tenants.values_list("schema_name", flat=True))
        template = template_schema()
        started = time.perf_counter()
        missing, stale = schemas_to_migrate(
            [*communes, template], expected_tenant_migrations(), database=options.get("database") or "default"
        )
        checked_in = time.perf_counter() - started
        template_behind = template in missing or template in stale
        missing = [name for name in missing if name != template]
        stale = [name for name in stale if name != template]

        if verbosity >= 1:
            self.stdout.write(
                f"Communes : {len(communes) - len(stale) - len(missing)} schémas à jour, {len(stale)} à migrer"
                + (f" ({_names(stale)})" if stale else "")
                + f" [vérifié en {checked_in:.2f} s]"
            )
        if missing:
            self.stderr.write(
                f"{len(missing)} commune(s) sans schéma, non migrée(s) : {_names(missing)}. "
                "« mutualise provision » crée les schémas manquants."
            )
        if stale:
            executor.run_migrations(tenants=stale)
        if template_behind:
            if verbosity >= 1:
                self.stdout.write(f"Schéma modèle « {template} » en retard : mise à jour.")
            refresh_template(verbosity=verbosity)

    @staticmethod
    def _can_skip(options) -> bool:
        """Whether the schemas that have every expected migration may be left out (else: stock ``migrate_schemas``)."""
        return not (
            options.get("schema_name")
            or options.get("migration_name")  # a target may be behind what is applied: every schema must see it
            or options.get("prune")
            or options.get("run_syncdb")  # apps without migrations are not tracked by django_migrations
            or has_multi_type_tenants()
        )
