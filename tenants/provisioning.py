"""Creating a commune's schema with the tables of every installed service: one path for the CLI, admin and tests.

The fast path clones a template schema (``MUTUALISE_TEMPLATE_SCHEMA``) that is kept at the latest migrations of
every tenant app. When the template is missing or behind, the commune is migrated from scratch instead, and a
warning says so: never silently.
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


def clone_template(schema: str) -> None:
    """Copy the template schema (tables, sequences, migration records) into a new schema ``schema``."""
    connection.set_schema_to_public()
    _ensure_clone_function()
    with connection.cursor() as cursor:
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
