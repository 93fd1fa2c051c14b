"""``mutualise init --epci``: the intercommunality and its communes from the national referential, idempotent."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django_tenants.utils import schema_exists

from mutualise.models import AuditEntry
from mutualise.referential import all_epcis, get_epci
from tenants.models import Commune, Domain, Intercommunality

CCVH = "243400694"


def snapshot() -> tuple:
    return (
        sorted(Commune.objects.values_list("insee_code", "name", "siren", "slug", "population", "schema_name")),
        sorted(Domain.objects.values_list("domain", "tenant__insee_code", "is_primary")),
        list(Intercommunality.objects.values_list("siren", "name", "base_domain")),
        AuditEntry.objects.count(),
    )


def test_referential_is_shipped_whole():
    epcis = all_epcis()
    assert len(epcis) == 1255
    assert sum(len(e.communes) for e in epcis.values()) == 34871
    ccvh = get_epci(CCVH)
    assert ccvh.name == "CC Vallée de l'Hérault" and ccvh.nature == "CC" and ccvh.tax_regime == "FPU"
    assert len(ccvh.communes) == 28


def test_init_creates_every_member_commune_with_its_schema_and_domain(intercommunality, capsys):
    call_command("init", epci=CCVH, no_migrate=True)
    communes = Commune.objects.all()
    assert communes.count() == 28
    assert {c.insee_code for c in communes} == {c.insee_code for c in get_epci(CCVH).communes}
    sangonis = Commune.objects.get(insee_code="34239")
    assert sangonis.slug == "saint-andre-de-sangonis"
    assert sangonis.domains.get().domain == "saint-andre-de-sangonis.localhost"
    assert Commune.objects.get(insee_code="34261").slug == "saint-guilhem-le-desert"
    assert all(schema_exists(c.schema_name) for c in communes)
    out = capsys.readouterr().out
    assert "communes créées : 26" in out and "clonage du schéma modèle" in out


def test_init_twice_changes_nothing(intercommunality, capsys):
    call_command("init", epci=CCVH, no_migrate=True)
    before = snapshot()
    call_command("init", epci=CCVH, no_migrate=True)
    assert snapshot() == before
    assert "communes créées : 0, mises à jour : 0, inchangées : 28" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("siren", "message"),
    [
        ("", "9 chiffres"),
        ("24340069", "9 chiffres"),
        ("ABCDEFGHI", "9 chiffres"),
        ("243400695", "clé de contrôle"),
        ("213401144", "Aucun EPCI"),
        ("200000172", "déjà celle de"),
    ],
)
def test_bad_siren_is_a_clear_error_and_writes_nothing(intercommunality, siren, message):
    before = snapshot()
    with pytest.raises(CommandError, match=message):
        call_command("init", epci=siren, no_migrate=True)
    assert snapshot() == before
