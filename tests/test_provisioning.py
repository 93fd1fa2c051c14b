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
