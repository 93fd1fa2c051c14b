"""Provisioning a commune: clone of the template when it is current, migrations (and a warning) otherwise."""

from __future__ import annotations

import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_exists

from mutualise.models import AuditEntry
from tenants import provisioning
from tenants.models import Commune
from tenants.setup import add_commune

ARBORAS = {
    "insee_code": "34011",
    "name": "Arboras",
    "siren": "213400112",
    "departement": "34",
    "postal_codes": ["34150"],
    "population": 104,
}


def tables_of(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s", [schema])
        return {row[0] for row in cursor.fetchall()}


def test_template_is_kept_current_by_migrate(db):
    assert provisioning.template_is_current()


def test_provisioning_clones_the_template(db):
    result = add_commune(**ARBORAS)
    assert result.method == "clone"
    schema = result.commune.schema_name
    assert schema == "commune_34011"
    assert {"informatique_asset", "mutualise_exemple_note", "django_migrations"} <= tables_of(schema)
    assert provisioning.applied_migrations(schema) >= provisioning.expected_tenant_migrations()
    assert result.commune.domains.get().domain == "arboras.localhost"
    assert AuditEntry.objects.filter(action="commune.creee", commune=result.commune).exists()


def test_cloned_schema_starts_empty_and_apart(commune):
    from plugins.informatique.models import Asset

    connection.set_tenant(commune)
    Asset.objects.create(name="PC de Gignac", kind="pc")
    result = add_commune(**ARBORAS)
    connection.set_tenant(result.commune)
    assert Asset.objects.count() == 0


def test_without_a_current_template_it_migrates_and_says_so(db, caplog):
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER SCHEMA "{provisioning.template_schema()}" RENAME TO "_modele_ancien"')
    with caplog.at_level(logging.WARNING, logger="tenants.provisioning"):
        result = add_commune(**ARBORAS)
    assert result.method == "migrations"
    assert "schéma modèle" in caplog.text and "Arboras" in caplog.text
    assert "informatique_asset" in tables_of("commune_34011")


def test_provisioning_an_existing_schema_does_nothing(commune):
    assert provisioning.provision(commune).method == "existing"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("insee_code", "3411"),
        ("insee_code", "34 11"),
        ("insee_code", "x'; DROP SCHEMA public; --"),
        ("siren", "213400113"),
        ("siren", "21340011"),
        ("siren", "ABCDEFGHI"),
    ],
)
def test_invalid_identifiers_write_nothing(db, field, value):
    before = Commune.objects.count()
    with pytest.raises(ValidationError) as error:
        add_commune(**{**ARBORAS, field: value})
    assert field in error.value.message_dict
    assert Commune.objects.count() == before
    assert not schema_exists("commune_34011")


def test_schema_name_comes_from_the_insee_code_only(db):
    result = add_commune(**{**ARBORAS, "name": 'Arboras"; DROP SCHEMA public CASCADE; --'})
    assert result.commune.schema_name == "commune_34011"


def test_corsican_codes_make_lower_case_schema_names(db):
    result = add_commune(insee_code="2A004", name="Ajaccio", siren="212000046", departement="2A")
    assert result.commune.schema_name == "commune_2a004"
    assert schema_exists("commune_2a004")


def catalogue_of(schema: str) -> dict[str, list]:
    """What a schema is made of, as pg_catalog says, with its own name left out of the definitions."""
    queries = {
        "columns": """SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull, a.attidentity,
                   a.attgenerated, pg_get_expr(d.adbin, d.adrelid), a.attcollation, a.attstorage
                   FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                   LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
                   WHERE c.relnamespace = %(ns)s::regnamespace ORDER BY 1, a.attnum""",
        "constraints": """SELECT c.relname, con.conname, con.contype, pg_get_constraintdef(con.oid), con.condeferrable,
                   con.condeferred, con.convalidated FROM pg_constraint con JOIN pg_class c ON c.oid = con.conrelid
                   WHERE c.relnamespace = %(ns)s::regnamespace ORDER BY 1, 2""",
        "indexes": "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %(ns)s ORDER BY 1",
        "relations": "SELECT relname, relkind FROM pg_class WHERE relnamespace = %(ns)s::regnamespace ORDER BY 1",
        "sequences": """SELECT sequencename, data_type, start_value, min_value, max_value, increment_by, cycle,
                   cache_size, last_value FROM pg_sequences WHERE schemaname = %(ns)s ORDER BY 1""",
    }
    found = {}
    with connection.cursor() as cursor:
        for what, sql in queries.items():
            cursor.execute(sql, {"ns": schema})
            found[what] = [
                tuple(value.replace(f"{schema}.", "") if isinstance(value, str) else value for value in row)
                for row in cursor.fetchall()
            ]
        cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations ORDER BY id')
        found["migrations"] = cursor.fetchall()
    return found


def test_the_clone_is_the_template_object_for_object(db):
    """Same columns, constraints and indexes under the same names (those Django's migrations will alter), same
    identities and sequence positions, same rows: a commune created today migrates like the template tomorrow."""
    template = catalogue_of(provisioning.template_schema())
    result = add_commune(**ARBORAS)
    assert result.method == "clone"
    clone = catalogue_of(result.commune.schema_name)
    for what in template:
        assert clone[what] == template[what], what
    names = {name for _table, name, *_rest in clone["constraints"]}
    assert "achats_one_need_per_answer" in names  # a model's named constraint keeps its name
    connection.set_tenant(result.commune)
    from plugins.informatique.models import Asset

    assert Asset.objects.create(name="Poste de l'accueil", kind="pc").pk == 1


def test_a_template_with_objects_the_copy_does_not_know_is_cloned_the_slow_way(db, caplog):
    with connection.cursor() as cursor:
        cursor.execute(
            f'CREATE VIEW "{provisioning.template_schema()}".postes AS SELECT name FROM '
            f'"{provisioning.template_schema()}".informatique_asset'
        )
    with caplog.at_level(logging.INFO, logger="tenants.provisioning"):
        result = add_commune(**ARBORAS)
    assert result.method == "clone"
    assert "clone_schema()" in caplog.text and "postes" in caplog.text
    assert {"informatique_asset", "postes"} <= tables_of("commune_34011")
