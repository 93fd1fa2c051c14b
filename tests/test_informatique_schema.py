"""Informatique schéma directeur: actions per commune and year, French errors, the service's view of all communes."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from mutualise.accounts.models import CommuneMembership, ServiceMembership
from plugins.informatique.models import SchemaAction
from tenants.subscriptions import enable_service
from tests.conftest import make_user

D = datetime.date
VALID = {
    "year": "2027",
    "title": "Migration des postes vers Windows 11",
    "category": "parc",
    "status": "prevue",
    "estimated_cost": "12 500",
    "actual_cost": "",
    "description": "Six postes de la mairie et deux de l'école.",
}


@pytest.fixture
def informatique(commune):
    return enable_service(commune, "informatique", start=D(2020, 1, 1))


def test_an_action_is_added_listed_and_realised(commune, commune_agent, informatique, client_on):
    client = client_on(commune, commune_agent)
    assert client.post("/services/informatique/schema-directeur/nouvelle/", VALID).status_code == 302
    with schema_context(commune.schema_name):
        action = SchemaAction.objects.get()
    assert action.estimated_cost == Decimal("12500") and action.spent == 0
    body = client.get("/services/informatique/schema-directeur/").content.decode()
    assert "Migration des postes vers Windows 11" in body and "<h3>2027</h3>" in body
    done = {**VALID, "status": "realisee", "actual_cost": "11 980,40"}
    assert client.post(f"/services/informatique/schema-directeur/{action.pk}/", done).status_code == 302
    with schema_context(commune.schema_name):
        assert SchemaAction.objects.get().spent == Decimal("11980.40")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"year": "1999"}, "year", "Indiquez une année entre 2000 et 2100."),
        ({"actual_cost": "100"}, "actual_cost", "Le coût réalisé ne s’indique que pour une action réalisée."),
        ({"estimated_cost": "-5"}, "estimated_cost", "supérieure ou égale à 0"),
        ({"title": ""}, "title", "Ce champ est obligatoire."),
        ({"status": "rêvée"}, "status", "Sélectionnez un choix valide."),
    ],
)
def test_french_errors(commune, commune_agent, informatique, client_on, changes, field, message):
    response = client_on(commune, commune_agent).post(
        "/services/informatique/schema-directeur/nouvelle/", {**VALID, **changes}
    )
    body = response.content.decode().replace("&#x27;", "’").replace("'", "’")
    assert response.status_code == 400 and message in body and f'id="id_{field}_error"' in body
    with schema_context(commune.schema_name):
        assert not SchemaAction.objects.exists()


def test_delete_after_confirmation(commune, commune_agent, informatique, client_on):
    with schema_context(commune.schema_name):
        pk = SchemaAction.objects.create(title="Sauvegarde externalisée", category="sauvegarde", year=2026).pk
    client = client_on(commune, commune_agent)
    assert (
        "Supprimer définitivement"
        in client.get(f"/services/informatique/schema-directeur/{pk}/supprimer/").content.decode()
    )
    assert client.post(f"/services/informatique/schema-directeur/{pk}/supprimer/").status_code == 302
    with schema_context(commune.schema_name):
        assert not SchemaAction.objects.exists()


def test_the_service_sees_every_commune_in_one_query(commune, other_commune, informatique, client_on):
    enable_service(other_commune, "informatique", start=D(2020, 1, 1))
    with schema_context(commune.schema_name):
        SchemaAction.objects.create(title="Pare-feu de la mairie", category="securite", year=2026, status="engagee")
    with schema_context(other_commune.schema_name):
        pk = SchemaAction.objects.create(
            title="Wi-Fi de l'école", category="reseau", year=2027, estimated_cost=Decimal("3200")
        ).pk
    agent = make_user("technicien@cc.test")
    ServiceMembership.objects.create(user=agent, service="informatique", role="agent")
    client = client_on(None, agent)
    client.get("/services/informatique/schemas-directeurs/")
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/services/informatique/schemas-directeurs/").content.decode()
    assert "Pare-feu de la mairie" in body and "Wi-Fi de l&#x27;école" in body
    assert f"services/informatique/schema-directeur/{pk}/" in body and "Saint-André-de-Sangonis" in body
    reads = [q["sql"] for q in queries.captured_queries if "informatique_schemaaction" in q["sql"]]
    assert len(reads) == 1 and " UNION ALL " in reads[0]
    filtered = client.get("/services/informatique/schemas-directeurs/?year=2027").content.decode()
    assert "Pare-feu de la mairie" not in filtered and "Wi-Fi" in filtered
    filtered = client.get("/services/informatique/schemas-directeurs/?status=engagee").content.decode()
    assert "Pare-feu de la mairie" in filtered and "Wi-Fi" not in filtered
    bad = client.get("/services/informatique/schemas-directeurs/?year=deux-mille")
    assert bad.status_code == 400 and "Saisissez un nombre entier." in bad.content.decode()


def test_actions_stay_in_their_commune(commune, other_commune, informatique, client_on):
    enable_service(other_commune, "informatique", start=D(2020, 1, 1))
    with schema_context(commune.schema_name):
        pk = SchemaAction.objects.create(title="Projet confidentiel", category="autre", year=2026).pk
    referent = make_user("referent@saint-andre.test")
    CommuneMembership.objects.create(user=referent, commune=other_commune, role="referent")
    client = client_on(other_commune, referent)
    assert "Projet confidentiel" not in client.get("/services/informatique/schema-directeur/").content.decode()
    assert client.get(f"/services/informatique/schema-directeur/{pk}/").status_code == 404
    assert client.post(f"/services/informatique/schema-directeur/{pk}/supprimer/").status_code == 404
