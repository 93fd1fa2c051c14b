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


def names_in(schema: str, table: str) -> set[tuple[str, str]]:
    """The constraints and indexes of ``schema``'s ``table``: (name, "constraint <type>" or "index")."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT con.conname, 'constraint ' || con.contype::text FROM pg_constraint con"
            " WHERE con.conrelid = to_regclass(%(table)s)"
            " UNION ALL SELECT i.relname, 'index' FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " WHERE x.indrelid = to_regclass(%(table)s)",
            {"table": f'"{schema}"."{table}"'},
        )
        return set(cursor.fetchall())


def rename(statement: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(statement)


def test_names_that_clone_schema_gave_are_given_back_the_templates(db, executed, refreshed):
    """django-tenants' clone_schema() named a unique constraint (and its index) after its columns; the index here
    stands for any index a commune holds under a name the template's lacks."""
    rename(
        f'ALTER TABLE "{GIGNAC_SCHEMA}".achats_need'
        " RENAME CONSTRAINT achats_one_need_per_answer TO achats_need_answer_id_article_id_key"
    )
    rename(f'ALTER INDEX "{GIGNAC_SCHEMA}".demandes_demande_status_a2693fb2 RENAME TO demandes_demande_status_idx')
    assert ("achats_one_need_per_answer", "index") not in names_in(GIGNAC_SCHEMA, "achats_need")

    out, err = migrate()

    assert names_in(GIGNAC_SCHEMA, "achats_need") == names_in(provisioning.template_schema(), "achats_need")
    assert {("achats_one_need_per_answer", "constraint u"), ("achats_one_need_per_answer", "index")} <= names_in(
        GIGNAC_SCHEMA, "achats_need"
    )
    assert names_in(GIGNAC_SCHEMA, "demandes_demande") == names_in(provisioning.template_schema(), "demandes_demande")
    assert "2 renommé(s) comme dans le schéma modèle, dans 1 schéma(s)" in out
    assert "achats_need.achats_need_answer_id_article_id_key → achats_one_need_per_answer" in out
    assert "index demandes_demande.demandes_demande_status_idx → demandes_demande_status_a2693fb2" in out
    assert err == ""
    assert executed == ["public"]  # nothing to migrate: the names are checked all the same

    out, _ = migrate()
    assert "Noms des contraintes et index : ceux du schéma modèle partout" in out
    assert "renommé" not in out


def locks_in(schemas: list[str]) -> set[tuple[str, str]]:
    """The locks this connection holds on tables and indexes of ``schemas``: (relation, mode)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT l.relation::regclass::text, l.mode FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE l.pid = pg_backend_pid() AND n.nspname = ANY (%s)",
            [schemas],
        )
        return set(cursor.fetchall())


def test_names_are_compared_in_one_query_of_the_catalogue_that_locks_no_table(db):
    schemas = [GIGNAC_SCHEMA, SAINT_ANDRE_SCHEMA]
    everything = [*schemas, provisioning.template_schema()]
    with connection.cursor():
        pass
    before = locks_in(everything)
    with CaptureQueriesContext(connection) as queries:
        assert mutualise_migrate.names_unlike_template(schemas, provisioning.template_schema()) == []
    assert len(queries) == 1
    rename(f'ALTER INDEX "{SAINT_ANDRE_SCHEMA}".demandes_demande_status_a2693fb2 RENAME TO demandes_demande_status_idx')
    before = locks_in(everything)  # the rename's own, held until the test's transaction ends
    assert mutualise_migrate.names_unlike_template(schemas, provisioning.template_schema()) == [
        mutualise_migrate.Rename(
            SAINT_ANDRE_SCHEMA,
            "demandes_demande",
            False,
            "demandes_demande_status_idx",
            "demandes_demande_status_a2693fb2",
        )
    ]
    assert locks_in(everything) == before  # the definitions were written without locking a table


def test_an_ambiguous_match_is_left_alone(db, executed, refreshed):
    # Two indexes on the same column in the commune, neither under the template's name: which one is it?
    rename(f'ALTER INDEX "{GIGNAC_SCHEMA}".demandes_demande_status_a2693fb2 RENAME TO demandes_demande_status_idx')
    rename(f'CREATE INDEX demandes_demande_status_idx1 ON "{GIGNAC_SCHEMA}".demandes_demande (status)')
    out, _ = migrate()
    assert {("demandes_demande_status_idx", "index"), ("demandes_demande_status_idx1", "index")} <= names_in(
        GIGNAC_SCHEMA, "demandes_demande"
    )
    assert "ceux du schéma modèle partout" in out


def all_names(schema: str) -> set[tuple[str, str, str]]:
    """Every constraint and index of ``schema``: (table, name, "constraint <type>" or "index")."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname, con.conname, 'constraint ' || con.contype::text FROM pg_constraint con"
            " JOIN pg_class c ON c.oid = con.conrelid WHERE c.relnamespace = to_regnamespace(%(schema)s)"
            " UNION ALL SELECT t.relname, i.relname, 'index' FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_class t ON t.oid = x.indrelid WHERE t.relnamespace = to_regnamespace(%(schema)s)",
            {"schema": f'"{schema}"'},
        )
        return set(cursor.fetchall())


def test_a_commune_made_by_clone_schema_gets_every_name_of_the_template(db, executed, refreshed):
    commune = Commune.objects.create(
        insee_code="34011", name="Arboras", siren="213400112", slug="arboras", departement="34"
    )
    provisioning._ensure_clone_function()
    with connection.cursor() as cursor:
        cursor.execute("SELECT clone_schema(%s, %s, 'DATA')", [provisioning.template_schema(), commune.schema_name])
    template = all_names(provisioning.template_schema())
    assert all_names(commune.schema_name) != template
    assert ("fiscal_fiscalbase", "fiscal_fiscalbase_year_tax_key", "constraint u") in all_names(commune.schema_name)

    out, _ = migrate()

    assert all_names(commune.schema_name) == template
    assert "fiscal_fiscalbase.fiscal_fiscalbase_year_tax_key → fiscal_base_unique_year_tax" in out
