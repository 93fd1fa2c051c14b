"""Creating a commune's schema with the tables of every installed service: one path for the CLI, admin and tests.

The fast path copies a template schema (``MUTUALISE_TEMPLATE_SCHEMA``) that is kept at the latest migrations of
every tenant app, with a script read from ``pg_catalog`` (:func:`clone_template`). When the template is missing or
behind, the commune is migrated from scratch instead, and a warning says so: never silently.
"""

from __future__ import annotations

import functools
import logging
import time
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.db.migrations.loader import MigrationLoader
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_exists

from mutualise.schemas import quoted
from tenants.models import Commune

logger = logging.getLogger(__name__)

Method = Literal["clone", "migrations", "existing"]


@dataclass(frozen=True)
class ProvisionResult:
    """How a commune's schema came to exist, and how long it took."""

    commune: Commune
    method: Method
    seconds: float


def template_schema() -> str:
    return settings.MUTUALISE_TEMPLATE_SCHEMA


@functools.cache
def expected_tenant_migrations() -> frozenset[tuple[str, str]]:
    """Every migration of the tenant apps, as (app label, name): what an up-to-date commune schema has applied."""
    from django.apps import apps

    labels = {config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS}
    loader = MigrationLoader(None, ignore_no_migrations=True)
    return frozenset(node for node in loader.graph.nodes if node[0] in labels)


def applied_migrations(schema: str) -> frozenset[tuple[str, str]]:
    """The migrations recorded as applied in ``schema`` (empty if it has no migration table)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".django_migrations'])
        if cursor.fetchone()[0] is None:
            return frozenset()
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')
        return frozenset(cursor.fetchall())


def template_is_current() -> bool:
    """Whether the template schema exists and has applied exactly the tenant-app migrations the code expects.

    Migrations of shared apps are recorded in every schema too (the router skips them); they are not compared.
    """
    connection.set_schema_to_public()
    if not schema_exists(template_schema()):
        return False
    expected = expected_tenant_migrations()
    labels = {app for app, _ in expected}
    return {m for m in applied_migrations(template_schema()) if m[0] in labels} == expected


def migrate_schema(schema: str, verbosity: int = 0) -> None:
    """Create ``schema`` if needed and apply every tenant migration to it."""
    connection.set_schema_to_public()
    if not schema_exists(schema):
        with connection.cursor() as cursor:
            cursor.execute(f'CREATE SCHEMA "{schema}"')
    call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=verbosity)
    connection.set_schema_to_public()


def refresh_template(verbosity: int = 0) -> None:
    """Bring the template schema to the latest migrations (creating it if needed)."""
    migrate_schema(template_schema(), verbosity=verbosity)


def _ensure_clone_function() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_proc WHERE proname = 'clone_schema'")
        if cursor.fetchone() is None:
            CloneSchema()._create_clone_schema_function()


# What the template may hold for the catalogue copy to reproduce it exactly; anything else (views, functions,
# triggers, types, sequences not behind an identity column, row security, grants, storage parameters, partitions)
# makes provisioning use django-tenants' clone_schema() instead, which copies more kinds of objects, more slowly.
_UNSUPPORTED_SQL = """
SELECT 'relation ' || relname FROM pg_class
 WHERE relnamespace = %(ns)s AND (relkind NOT IN ('r', 'i', 'S') OR relacl IS NOT NULL OR reloptions IS NOT NULL
       OR relrowsecurity OR relispartition)
UNION ALL
SELECT 'sequence ' || s.relname FROM pg_class s
 WHERE s.relnamespace = %(ns)s AND s.relkind = 'S'
   AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = s.oid AND d.deptype = 'i')
UNION ALL
SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = %(ns)s
UNION ALL
SELECT 'trigger ' || tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
 WHERE c.relnamespace = %(ns)s AND NOT t.tgisinternal
UNION ALL
SELECT 'type ' || typname FROM pg_type t
 WHERE typnamespace = %(ns)s AND typrelid = 0
   AND NOT EXISTS (SELECT 1 FROM pg_type e WHERE e.oid = t.typelem AND e.typrelid <> 0)
UNION ALL
SELECT 'inheritance ' || c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE c.relnamespace = %(ns)s
UNION ALL
SELECT 'statistics ' || stxname FROM pg_statistic_ext WHERE stxnamespace = %(ns)s
UNION ALL
SELECT 'column grant ' || attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
 WHERE c.relnamespace = %(ns)s AND a.attacl IS NOT NULL
UNION ALL
SELECT 'rule ' || rulename FROM pg_rewrite r JOIN pg_class c ON c.oid = r.ev_class WHERE c.relnamespace = %(ns)s
"""


def _copy_script(cursor, source: str, target: str) -> str | None:
    """The SQL that makes ``target`` a copy of schema ``source``, read from ``pg_catalog``; ``None`` if it cannot.

    Tables keep their columns, defaults and identities (``LIKE … INCLUDING``), then get their rows, their
    constraints and indexes under the template's own names (``pg_get_constraintdef``, ``pg_get_indexdef``; what
    Django's migrations name and later alter), foreign keys last, and their identity sequences where the template's
    stand. Definitions are read with the search path on ``source`` alone, so that its own tables are named without
    their schema and resolve to ``target``'s when the script runs with the search path on ``target``; tables of other
    schemas (``public``) stay qualified.
    """
    cursor.execute("SELECT oid FROM pg_namespace WHERE nspname = %s", [source])
    namespace = cursor.fetchone()[0]
    cursor.execute(_UNSUPPORTED_SQL, {"ns": namespace})
    unsupported = [row[0] for row in cursor.fetchall()]
    if unsupported:
        logger.info("Copie du schéma %s par clone_schema() : %s", source, ", ".join(unsupported[:5]))
        return None
    cursor.execute("SELECT set_config('search_path', %s, true)", [quoted(source)])
    cursor.execute(
        "SELECT c.relname, obj_description(c.oid, 'pg_class'),"
        " array_agg(quote_ident(a.attname) ORDER BY a.attnum) FILTER (WHERE a.attgenerated = '')"
        " FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        " WHERE c.relnamespace = %s AND c.relkind = 'r' GROUP BY c.oid ORDER BY c.oid",
        [namespace],
    )
    tables = cursor.fetchall()
    cursor.execute(
        "SELECT c.relname, con.conname, pg_get_constraintdef(con.oid) FROM pg_constraint con"
        " JOIN pg_class c ON c.oid = con.conrelid WHERE c.relnamespace = %s"
        " ORDER BY con.contype = 'f', con.oid",
        [namespace],
    )
    constraints = cursor.fetchall()
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid), c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid"
        " WHERE c.relnamespace = %s AND NOT EXISTS (SELECT 1 FROM pg_constraint con"
        " WHERE con.conindid = i.indexrelid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x'))"
        " ORDER BY i.indexrelid",
        [namespace],
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT t.relname, quote_ident(a.attname), a.attidentity, s.relname, q.seqstart, q.seqincrement, q.seqmin, q.seqmax, q.seqcache, q.seqcycle, pg_sequence_last_value(s.oid)"
        " FROM pg_depend d JOIN pg_class s ON s.oid = d.objid JOIN pg_sequence q ON q.seqrelid = s.oid"
        " JOIN pg_class t ON t.oid = d.refobjid JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = d.refobjsubid"
        " WHERE d.deptype = 'i' AND d.classid = 'pg_class'::regclass AND s.relnamespace = %s ORDER BY s.oid",
        [namespace],
    )
    identities = cursor.fetchall()
    filled: set[str] = set()
    if tables:
        cursor.execute(
            " UNION ALL ".join(
                f"(SELECT %s FROM {quoted(source)}.{quoted(name)} LIMIT 1)" for name, _comment, _columns in tables
            ),
            [name for name, _comment, _columns in tables],
        )
        filled = {row[0] for row in cursor.fetchall()}

    src, dst = quoted(source), quoted(target)
    like = "INCLUDING DEFAULTS INCLUDING GENERATED INCLUDING STORAGE INCLUDING COMPRESSION"
    script = [f"CREATE SCHEMA {dst}", f"SELECT set_config('search_path', '{dst.replace(chr(39), chr(39) * 2)}', true)"]
    for name, comment, columns in tables:
        script.append(f"CREATE TABLE {dst}.{quoted(name)} (LIKE {src}.{quoted(name)} {like} INCLUDING COMMENTS)")
        if comment is not None:
            script.append(f"COMMENT ON TABLE {dst}.{quoted(name)} IS {_literal(comment)}")
        if name in filled:
            listed = ", ".join(columns)
            script.append(f"INSERT INTO {dst}.{quoted(name)} ({listed}) SELECT {listed} FROM {src}.{quoted(name)}")
    for table, name, definition in constraints:
        script.append(f"ALTER TABLE {dst}.{quoted(table)} ADD CONSTRAINT {quoted(name)} {definition}")
    for definition, table in indexes:
        # pg_get_indexdef() names the table with its schema whatever the search path: name the target's instead.
        on_source = f" ON {_identifier(cursor, source)}.{_identifier(cursor, table)} USING "
        if on_source not in definition:
            logger.info("Copie du schéma %s par clone_schema() : index « %s » non reconnu", source, definition)
            return None
        script.append(definition.replace(on_source, f" ON {dst}.{quoted(table)} USING ", 1))
    # Identities as pg_dump writes them: the template's sequence name and options (its type is the column's), then,
    # where the template's rows were copied, its position.
    for table, column, kind, sequence, start, increment, minimum, maximum, cache, cycle, last in identities:
        generated = "ALWAYS" if kind == "a" else "BY DEFAULT"
        script.append(
            f"ALTER TABLE {dst}.{quoted(table)} ALTER COLUMN {column} ADD GENERATED {generated} AS IDENTITY"
            f" (SEQUENCE NAME {dst}.{quoted(sequence)} START WITH {int(start)} INCREMENT BY {int(increment)}"
            f" MINVALUE {int(minimum)} MAXVALUE {int(maximum)} CACHE {int(cache)} {'' if cycle else 'NO '}CYCLE)"
        )
        if last is not None and table in filled:  # an empty table's numbering starts afresh in every commune
            script.append(f"SELECT setval({_literal(f'{dst}.{quoted(sequence)}')}, {int(last)})")
    return ";\n".join(script)


def _identifier(cursor, name: str) -> str:
    """``name`` quoted as PostgreSQL quotes it in the definitions it writes (only when needed)."""
    cursor.execute("SELECT quote_ident(%s)", [name])
    return cursor.fetchone()[0]


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def clone_template(schema: str) -> None:
    """Create schema ``schema`` as a copy of the template: tables, constraints, indexes, identities and rows.

    The copy is written from ``pg_catalog`` in one script (a few dozen milliseconds, whatever the number of
    communes), or, if the template holds objects that script does not reproduce, by django-tenants'
    ``clone_schema()``, whose reads of ``information_schema`` slow down as communes are added (and which renames
    unique constraints). All in one transaction: the search paths the copy sets are local to it.
    """
    connection.set_schema_to_public()
    with transaction.atomic(), connection.cursor() as cursor:
        script = _copy_script(cursor, template_schema(), schema)
        if script is not None:
            cursor.execute(script)
            return
        _ensure_clone_function()
        cursor.execute("SELECT clone_schema(%s, %s, 'DATA')", [template_schema(), schema])


def provision(commune: Commune, *, allow_clone: bool = True) -> ProvisionResult:
    """Create the schema of ``commune`` with every installed service's tables; do nothing if it exists.

    Clones the template when it is current; otherwise logs a warning and runs the migrations.
    """
    started = time.perf_counter()
    schema = commune.schema_name
    connection.set_schema_to_public()
    if schema_exists(schema):
        return ProvisionResult(commune, "existing", time.perf_counter() - started)
    if allow_clone and template_is_current():
        with transaction.atomic():
            clone_template(schema)
        method: Method = "clone"
    else:
        logger.warning(
            "Le schéma modèle « %s » est absent ou en retard sur les migrations : la commune %s (%s) est créée "
            "en appliquant les migrations, ce qui est plus lent. « mutualise migrate » remet le modèle à jour.",
            template_schema(),
            commune.name,
            commune.insee_code,
        )
        migrate_schema(schema)
        method = "migrations"
    connection.set_schema_to_public()
    seconds = time.perf_counter() - started
    logger.info("Commune %s (%s) provisionnée par %s en %.2f s", commune.name, schema, method, seconds)
    return ProvisionResult(commune, method, seconds)
