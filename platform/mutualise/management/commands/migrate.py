"""``mutualise migrate``: django-tenants' ``migrate_schemas``, skipping the commune schemas that have nothing to apply.

Stock ``migrate_schemas`` runs Django's whole ``migrate`` in every commune's schema, one after the other, each on a
new connection: about a tenth of a second per commune even when there is nothing to apply. Here, one query per 200
schemas (:func:`mutualise.schemas.union_all`) reads how many of the expected migrations every commune schema (and
the commune template) has recorded, after one query of the catalogue, and django-tenants' executor runs only for the schemas that lack one. The public schema is
migrated as before, and then the template is brought up to date if it is behind.

Then the constraints and indexes of the commune schemas that stand under another name than the template's (schemas
made by django-tenants' ``clone_schema()``, which renamed unique constraints) get the template's name back
(:func:`names_unlike_template`, one query of the catalogue; :func:`rename_like_template`), so that a later migration
that removes or alters one by name finds it.

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
from dataclasses import dataclass

from django.db import DatabaseError, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.management.commands import SyncCommon
from django_tenants.management.commands.migrate_schemas import GET_EXECUTOR_FUNCTION, MigrateSchemasCommand
from django_tenants.utils import (
    get_public_schema_name,
    get_tenant_migration_order,
    get_tenant_model,
    has_multi_type_tenants,
)

from mutualise.schemas import quoted, relations_of, union_all
from tenants.provisioning import expected_tenant_migrations, refresh_template, template_schema

SHOWN = 10  # schemas named in the summary, at most
# How long a rename waits for its table (ALTER TABLE … RENAME CONSTRAINT locks it whole): a commune busy beyond that
# keeps its old names until the next run rather than holding up the queries queued behind the rename.
RENAME_LOCK_TIMEOUT = "5s"

_CONSTRAINT_TYPES = "('p', 'u', 'x', 'f', 'c')"  # primary key, unique, exclusion, foreign key, check
# The communes' constraints and plain indexes that match one of the template's under another name. Cheap when every
# name is the template's: one pass over pg_constraint and one over pg_class's indexes (grouped by name, a few hundred
# groups) find the names the template's schema lacks; only the tables that hold one, in the communes, and the
# template's tables of the same names get their definitions written. Definitions are compared without their schema
# (a foreign key to the same schema's table names it); an index's from " USING " (its name and table left out).
# Kinds: "c" + the constraint type, "i" + whether the index is unique. A definition must be held once by the
# template's table and once by the commune's, and the template's name be free in the commune (on the table for a
# constraint, in the schema for an index or a constraint that has one). When no name differs, the definitions'
# branches are not run at all (EXISTS (SELECT FROM odd) is evaluated once). Catalogue only: pg_get_constraintdef()
# and pg_get_indexdef() read the system caches, without locking any table.
_NAMES_UNLIKE_TEMPLATE_SQL = f"""
WITH template AS MATERIALIZED (
  SELECT oid, quote_ident(nspname) || '.' AS prefix FROM pg_namespace WHERE nspname = %(template)s
), communes AS MATERIALIZED (
  SELECT n.oid, n.nspname, quote_ident(n.nspname) || '.' AS prefix
    FROM unnest(%(schemas)s::text[]) AS s(name) JOIN pg_namespace n ON n.nspname = s.name
), schemas AS MATERIALIZED (
  SELECT oid, prefix FROM template UNION ALL SELECT oid, prefix FROM communes
), odd_names AS MATERIALIZED (
  SELECT 'c' AS what, conname AS name FROM pg_constraint
   WHERE connamespace IN (SELECT oid FROM schemas) AND contype IN {_CONSTRAINT_TYPES}
   GROUP BY conname HAVING NOT bool_or(connamespace = (SELECT oid FROM template))
  UNION ALL
  SELECT 'i', relname FROM pg_class WHERE relnamespace IN (SELECT oid FROM schemas) AND relkind = 'i'
   GROUP BY relname HAVING NOT bool_or(relnamespace = (SELECT oid FROM template))
), odd AS MATERIALIZED (
  SELECT con.connamespace AS ns, con.conrelid AS relid
    FROM odd_names o JOIN pg_constraint con ON con.conname = o.name
   WHERE o.what = 'c' AND con.connamespace IN (SELECT oid FROM communes) AND con.contype IN {_CONSTRAINT_TYPES}
  UNION
  SELECT i.relnamespace, x.indrelid FROM odd_names o JOIN pg_class i ON i.relname = o.name
    JOIN pg_index x ON x.indexrelid = i.oid
   WHERE o.what = 'i' AND i.relnamespace IN (SELECT oid FROM communes)
), tables AS MATERIALIZED (
  SELECT n.oid AS ns, n.prefix, c.oid AS relid, c.relname FROM odd JOIN pg_class c ON c.oid = odd.relid
    JOIN communes n ON n.oid = odd.ns
  UNION ALL
  SELECT t.oid, t.prefix, c.oid, c.relname FROM template t JOIN pg_class c ON c.relnamespace = t.oid
   WHERE EXISTS (SELECT FROM odd) AND c.relname IN (SELECT c.relname FROM odd JOIN pg_class c ON c.oid = odd.relid)
), definitions AS MATERIALIZED (
  SELECT t.ns, t.relid, t.relname, 'c' || con.contype::text AS kind, con.conname AS name,
         replace(pg_get_constraintdef(con.oid), t.prefix, '') AS definition
    FROM tables t JOIN pg_constraint con ON con.conrelid = t.relid
   WHERE EXISTS (SELECT FROM odd) AND con.contype IN {_CONSTRAINT_TYPES}
  UNION ALL
  SELECT t.ns, t.relid, t.relname, 'i' || x.indisunique::int::text, i.relname,
         replace(substr(pg_get_indexdef(x.indexrelid), strpos(pg_get_indexdef(x.indexrelid), ' USING ')), t.prefix, '')
    FROM tables t JOIN pg_index x ON x.indrelid = t.relid JOIN pg_class i ON i.oid = x.indexrelid
   WHERE EXISTS (SELECT FROM odd)
     AND NOT EXISTS (SELECT FROM pg_constraint con WHERE con.conindid = x.indexrelid AND con.conrelid = t.relid
                     AND con.contype IN ('p', 'u', 'x'))
), counted AS (
  SELECT ns, relid, relname, kind, name,
         count(*) OVER in_schema AS here,
         count(*) FILTER (WHERE ns = (SELECT oid FROM template)) OVER in_any AS in_template,
         min(name) FILTER (WHERE ns = (SELECT oid FROM template)) OVER in_any AS template_name
    FROM definitions
  WINDOW in_schema AS (PARTITION BY ns, relname, kind, definition), in_any AS (PARTITION BY relname, kind, definition)
)
SELECT n.nspname, c.relname, c.kind LIKE 'c%%', c.name, c.template_name
  FROM counted c JOIN communes n ON n.oid = c.ns
 WHERE c.here = 1 AND c.in_template = 1 AND c.name <> c.template_name
   AND NOT EXISTS (SELECT FROM pg_constraint con WHERE con.conrelid = c.relid AND con.conname = c.template_name)
   AND NOT (c.kind IN ('cp', 'cu', 'cx', 'i0', 'i1')
            AND EXISTS (SELECT FROM pg_class r WHERE r.relnamespace = c.ns AND r.relname = c.template_name))
 ORDER BY 1, 2, 3 DESC, 4
"""


@dataclass(frozen=True)
class Rename:
    """A constraint (or an index) of a commune's table to give the name the template's has."""

    schema: str
    table: str
    constraint: bool  # else a plain index (a constraint's own index follows its constraint's name)
    old: str
    new: str

    def statement(self) -> str:
        if self.constraint:
            return f"ALTER TABLE {quoted(self.schema)}.{quoted(self.table)} RENAME CONSTRAINT {quoted(self.old)} TO {quoted(self.new)}"
        return f"ALTER INDEX {quoted(self.schema)}.{quoted(self.old)} RENAME TO {quoted(self.new)}"

    def __str__(self) -> str:
        return f"{'' if self.constraint else 'index '}{self.table}.{self.old} → {self.new}"


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


def names_unlike_template(schemas: list[str], template: str, database: str = "default") -> list[Rename]:
    """The constraints and plain indexes of ``schemas`` that match one of ``template``'s under another name.

    A constraint (primary key, unique, exclusion, foreign key, check) matches when it is of the same type, on the
    table of the same name, with the same definition (``pg_get_constraintdef``), and an index when its definition
    is the same (``pg_get_indexdef``, names aside); only where the template's table and the commune's each hold that
    definition once, and the template's name is free in the commune. One query of the catalogue for every schema,
    which locks no table; when every name is the template's, it compares names only.
    """
    if not schemas:
        return []
    with connections[database].cursor() as cursor:
        cursor.execute(_NAMES_UNLIKE_TEMPLATE_SQL, {"template": template, "schemas": list(schemas)})
        return [Rename(*row) for row in cursor.fetchall()]


def rename_like_template(renames: list[Rename], database: str = "default") -> tuple[list[str], dict[str, str]]:
    """Apply ``renames``, one transaction per schema; return the schemas done and, by schema, the errors met.

    A schema whose tables stay locked beyond :data:`RENAME_LOCK_TIMEOUT` (or whose rename fails) keeps its old
    names; the next ``mutualise migrate`` tries again.
    """
    by_schema: dict[str, list[Rename]] = {}
    for rename in renames:
        by_schema.setdefault(rename.schema, []).append(rename)
    done: list[str] = []
    failed: dict[str, str] = {}
    for schema, items in by_schema.items():
        try:
            with transaction.atomic(using=database), connections[database].cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{RENAME_LOCK_TIMEOUT}'")
                for rename in items:
                    cursor.execute(rename.statement())
        except DatabaseError as error:
            failed[schema] = str(error).strip()
        else:
            done.append(schema)
    return done, failed


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
        self._rename_like_template(
            [name for name in communes if name not in missing], template, verbosity, options.get("database")
        )

    def _rename_like_template(self, schemas: list[str], template: str, verbosity: int, database: str | None) -> None:
        """Give the communes' constraints and indexes the template's names where they match under other ones.

        Only here, where every commune has just been brought to the template's migrations: a commune at an older
        migration (a target given to the command) could take a name the template got from a later one.
        """
        database = database or "default"
        started = time.perf_counter()
        renames = names_unlike_template(schemas, template, database=database)
        checked_in = time.perf_counter() - started
        if not renames:
            if verbosity >= 1:
                self.stdout.write(
                    f"Noms des contraintes et index : ceux du schéma modèle partout [vérifié en {checked_in:.2f} s]"
                )
            return
        done, failed = rename_like_template(renames, database=database)
        if verbosity >= 1:
            renamed = [rename for rename in renames if rename.schema in done]
            self.stdout.write(
                f"Noms des contraintes et index : {len(renamed)} renommé(s) comme dans le schéma modèle,"
                f" dans {len(done)} schéma(s) [vérifié en {checked_in:.2f} s]"
            )
            for schema in done:
                self.stdout.write(f"  {schema} : " + ", ".join(str(r) for r in renamed if r.schema == schema))
        for schema, error in failed.items():
            self.stderr.write(
                f"Noms des contraintes et index de {schema} non renommés ({error}) : « mutualise migrate » réessaiera."
            )

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
