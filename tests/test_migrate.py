"""``mutualise migrate``: up-to-date commune schemas are skipped after one check, the others are migrated."""

from __future__ import annotations

import io

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.migration_executors.standard import StandardExecutor
from django_tenants.utils import schema_context

from mutualise.management.commands import migrate as mutualise_migrate
from plugins.informatique.models import Asset
from tenants import provisioning
from tenants.models import Commune

GIGNAC_SCHEMA, SAINT_ANDRE_SCHEMA = "commune_34114", "commune_34239"


class Executed(list):
    """The schemas django-tenants' executor was run for, in order. With ``run`` false it only records them."""

    run = False


@pytest.fixture
def executed(monkeypatch) -> Executed:
    original = StandardExecutor.run_migrations
    calls = Executed()

    def run_migrations(self, tenants=None):
        calls.extend(tenants or [])
        if calls.run:
            original(self, tenants=tenants)

    monkeypatch.setattr(StandardExecutor, "run_migrations", run_migrations)
    return calls


@pytest.fixture
def refreshed(monkeypatch):
    """How many times the command refreshed the commune template (recorded, not run)."""
    calls: list[int] = []
    monkeypatch.setattr(mutualise_migrate, "refresh_template", lambda verbosity=1: calls.append(verbosity))
    return calls


def migrate(*args, **options) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("migrate", *args, interactive=False, verbosity=1, stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def forget(schema: str, app: str, name: str | None = None) -> None:
    """Delete the record of ``app``'s migrations (or of one of them) in ``schema``, as if never applied."""
    with connection.cursor() as cursor:
        cursor.execute(
            f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND (%s::text IS NULL OR name = %s)',
            [app, name, name],
        )


def tables_of(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def test_nothing_to_apply_migrates_only_the_public_schema(db, executed, refreshed):
    out, err = migrate()
    assert executed == ["public"]
    assert refreshed == []
    assert "2 schémas à jour, 0 à migrer" in out
    assert err == ""


def test_the_check_is_one_statement_per_batch_of_schemas(db, monkeypatch):
    from mutualise import schemas as batches

    schemas = [GIGNAC_SCHEMA, SAINT_ANDRE_SCHEMA, provisioning.template_schema()]
    expected = provisioning.expected_tenant_migrations()
    with connection.cursor():
        pass  # connection and search path ready: count only the check's own statements
    with CaptureQueriesContext(connection) as queries:
        assert mutualise_migrate.schemas_to_migrate(schemas, expected) == ([], [])
    assert len(queries) == 2  # the catalogue, then the three schemas' records in one statement
    forget(SAINT_ANDRE_SCHEMA, "informatique")
    monkeypatch.setattr(batches, "RELATIONS_PER_STATEMENT", 2)  # a table and its primary key: one schema a statement
    with CaptureQueriesContext(connection) as queries:
        assert mutualise_migrate.schemas_to_migrate(schemas, expected) == ([], [SAINT_ANDRE_SCHEMA])
    assert len(queries) == 4


def test_a_schema_missing_a_migration_record_is_the_only_one_migrated(db, executed, refreshed):
    forget(SAINT_ANDRE_SCHEMA, "informatique")
    out, _ = migrate()
    assert executed == ["public", SAINT_ANDRE_SCHEMA]
    assert f"1 schémas à jour, 1 à migrer ({SAINT_ANDRE_SCHEMA})" in out
    assert refreshed == []


def test_shared_apps_migrations_do_not_send_communes_to_the_executor(db, executed, refreshed):
    # migrate records them in commune schemas too, but they do nothing there (the tenant router skips them).
    forget(GIGNAC_SCHEMA, "accounts")
    forget(provisioning.template_schema(), "accounts")
    migrate()
    assert executed == ["public"]
    assert refreshed == []


def test_a_missing_migration_is_applied_for_real(db, executed):
    """Drop a service's tables and records in one commune: ``migrate`` recreates them there, and only there."""
    executed.run = True
    informatique = [
        model._meta.db_table for model in apps.get_app_config("informatique").get_models(include_auto_created=True)
    ]
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE " + ", ".join(f'"{GIGNAC_SCHEMA}"."{table}"' for table in informatique) + " CASCADE")
    forget(GIGNAC_SCHEMA, "informatique")
    assert not set(informatique) & tables_of(GIGNAC_SCHEMA)

    migrate(tenant=True)  # commune schemas only: the public one is not this test's business

    assert executed == [GIGNAC_SCHEMA]
    assert set(informatique) <= tables_of(GIGNAC_SCHEMA)
    assert provisioning.applied_migrations(GIGNAC_SCHEMA) >= provisioning.expected_tenant_migrations()
    with schema_context(GIGNAC_SCHEMA):
        assert list(Asset.objects.all()) == []  # selects every column of the model: the table is whole
    executed.clear()
    executed.run = False
    migrate(tenant=True)
    assert executed == []


def test_a_schema_without_migration_table_is_migrated(db, executed, refreshed):
    commune = Commune.objects.create(
        insee_code="34011", name="Arboras", siren="213400112", slug="arboras", departement="34"
    )
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{commune.schema_name}"')
    migrate()
    assert executed == ["public", commune.schema_name]


def test_a_commune_without_schema_is_reported_not_migrated(db, executed, refreshed):
    commune = Commune.objects.create(
        insee_code="34011", name="Arboras", siren="213400112", slug="arboras", departement="34"
    )
    out, err = migrate()
    assert executed == ["public"]
    assert commune.schema_name in err and "mutualise provision" in err
    assert "2 schémas à jour, 0 à migrer" in out


def test_a_template_behind_is_refreshed(db, executed, refreshed):
    forget(provisioning.template_schema(), "juridique")
    out, _ = migrate()
    assert executed == ["public"]
    assert refreshed == [1]
    assert "Schéma modèle" in out


def test_a_missing_template_is_created(db, executed, refreshed):
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{provisioning.template_schema()}" RENAME TO "_modele_ancien"')
    migrate()
    assert refreshed == [1]


@pytest.mark.parametrize(
    ("args", "options"),
    [((), {"prune": True}), (("informatique", "0001_initial"), {}), ((), {"run_syncdb": True})],
)
def test_options_that_need_every_schema_fall_back_to_migrate_schemas(db, executed, refreshed, args, options):
    migrate(*args, **options)
    assert executed[0] == "public"
    assert sorted(executed[1:]) == [GIGNAC_SCHEMA, SAINT_ANDRE_SCHEMA]
    assert refreshed == [1]


def test_one_schema_is_migrated_as_migrate_schemas_does(db, executed, refreshed):
    migrate(schema_name=GIGNAC_SCHEMA)
    assert executed == [GIGNAC_SCHEMA]
    assert refreshed == []
