"""The community console: communes, the subscription matrix (htmx and without JavaScript), requests, the journal."""

from __future__ import annotations

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from mutualise.accounts.models import CommuneMembership
from mutualise.models import AuditEntry
from mutualise.services import is_service_enabled
from tenants.models import Subscription, SubscriptionRequest
from tenants.subscriptions import enable_service
from tests.conftest import make_user

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_communes_list_and_page(commune, other_commune, community_admin, client_on):
    enable_service(commune, "informatique", start=datetime.date(2016, 9, 1), convention_reference="CONV-2016-12")
    client = client_on(None, community_admin)
    listing = client.get("/communes/").content.decode()
    assert "Gignac" in listing and "Saint-André-de-Sangonis" in listing and "Informatique" in listing
    assert "1 commune sur 2 engagée dans au moins 1 service" in listing
    page = client.get("/communes/34114/").content.decode()
    assert "213401144" in page and "01/09/2016" in page and "CONV-2016-12" in page
    assert client.get("/communes/99999/").status_code == 404


def test_matrix_costs_the_same_queries_whatever_the_number_of_communes(commune, community_admin, client_on):
    client = client_on(None, community_admin)
    client.get("/souscriptions/")
    with CaptureQueriesContext(connection) as two_communes:
        response = client.get("/souscriptions/")
    assert response.status_code == 200
    from tenants.setup import add_commune

    for code, name, siren in (("34010", "Aniane", "213400104"), ("34011", "Arboras", "213400112")):
        add_commune(insee_code=code, name=name, siren=siren, departement="34")
    client.get("/souscriptions/")  # this process reloads its directory of communes once
    with CaptureQueriesContext(connection) as four_communes:
        body = client.get("/souscriptions/").content.decode()
    assert "Arboras" in body
    assert len(four_communes) == len(two_communes)


def test_enabling_through_htmx_updates_cell_counts_and_headline(commune, community_admin, client_on):
    client = client_on(None, community_admin)
    form = client.get("/souscriptions/34114/informatique/", **HTMX)
    assert form.status_code == 200 and "Activer le service" in form.content.decode()
    assert "<html" not in form.content.decode()  # a partial, not the page
    response = client.post(
        "/souscriptions/34114/informatique/",
        {"start_date": "2026-01-01", "convention_reference": "CONV-2026-01", "note": "Délibération du 12/12/2025"},
        **HTMX,
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="cell-34114-informatique" hx-swap-oob="true"' in body and "01/01/2026" in body
    assert 'id="count-informatique"' in body and 'id="headline" hx-swap-oob="true"' in body
    assert "1 commune sur 2 engagée" in body
    assert is_service_enabled(commune, "informatique")
    entry = AuditEntry.objects.get(action="souscription.activee", commune=commune)
    assert entry.actor == community_admin and entry.after["convention_reference"] == "CONV-2026-01"


def test_disabling_without_javascript(commune, community_admin, client_on):
    enable_service(commune, "informatique", start=datetime.date(2020, 1, 1), convention_reference="C")
    client = client_on(None, community_admin)
    page = client.get("/souscriptions/34114/informatique/")
    assert "<html" in page.content.decode() and "Désactiver le service" in page.content.decode()
    response = client.post("/souscriptions/34114/informatique/", {"end_date": "31/12/2025", "reason": "Fin"})
    assert response.status_code == 302 and response["Location"] == "/souscriptions/"
    assert not is_service_enabled(commune, "informatique")
    ended = Subscription.objects.get(commune=commune, service="informatique")
    assert ended.end_date == datetime.date(2025, 12, 31) and not ended.active


def test_bad_input_shows_what_to_fix_and_changes_nothing(commune, community_admin, client_on):
    enable_service(commune, "rh", start=datetime.date(2020, 6, 1), convention_reference="C")
    client = client_on(None, community_admin)
    missing = client.post("/souscriptions/34114/informatique/", {"start_date": "pas une date"})
    assert missing.status_code == 400
    body = missing.content.decode()
    assert "Saisissez une date valide" in body and "Ce champ est obligatoire" in body
    early = client.post("/souscriptions/34114/rh/", {"end_date": "2019-01-01", "reason": "x"})
    assert early.status_code == 400 and "ne peut pas précéder" in early.content.decode()
    assert not is_service_enabled(commune, "informatique") and is_service_enabled(commune, "rh")
    assert client.get("/souscriptions/34114/inconnu/").status_code == 404
    assert client.get("/souscriptions/00000/rh/").status_code == 404


def test_a_commune_asks_and_the_console_accepts(commune, commune_agent, community_admin, client_on):
    commune_client = client_on(commune, commune_agent)
    home = commune_client.get("/").content.decode()
    assert 'action="/demander/informatique/"' in home
    commune_client.post("/demander/informatique/", {"message": "Notre serveur est en fin de vie."})
    assert "Demande transmise le" in commune_client.get("/").content.decode()
    commune_client.post("/demander/informatique/")  # twice: still one request
    item = SubscriptionRequest.objects.get()
    assert item.requested_by == commune_agent and item.message == "Notre serveur est en fin de vie."

    console = client_on(None, community_admin)
    assert "1 demande de souscription attend une réponse" in console.get("/").content.decode()
    refused = console.post(f"/demandes/{item.pk}/", {"decision": "accepter"})
    assert refused.status_code == 400 and "référence de la convention" in refused.content.decode()
    console.post(
        f"/demandes/{item.pk}/",
        {
            "decision": "accepter",
            "start_date": "2026-01-01",
            "convention_reference": "CONV-2026-07",
            "note": "Bienvenue",
        },
    )
    item.refresh_from_db()
    assert item.status == "acceptee" and item.decided_by == community_admin
    assert is_service_enabled(commune, "informatique")
    assert 'href="/services/informatique/"' in commune_client.get("/").content.decode()


def test_a_lecteur_cannot_ask_for_a_service(commune, client_on):
    lecteur = make_user("elu@gignac.test")
    CommuneMembership.objects.create(user=lecteur, commune=commune, role="lecteur")
    assert client_on(commune, lecteur).post("/demander/informatique/").status_code == 403
    assert not SubscriptionRequest.objects.exists()


def test_declining_keeps_the_service_off(commune, commune_agent, community_admin, client_on):
    client_on(commune, commune_agent).post("/demander/rh/")
    item = SubscriptionRequest.objects.get()
    client_on(None, community_admin).post(f"/demandes/{item.pk}/", {"decision": "refuser", "note": "Pas en 2026"})
    item.refresh_from_db()
    assert item.status == "refusee" and not is_service_enabled(commune, "rh")
    assert AuditEntry.objects.filter(action="souscription.demande_refusee", reason="Pas en 2026").exists()


def test_journal_filters_and_exports_for_excel(commune, other_commune, community_admin, client_on):
    enable_service(commune, "informatique", convention_reference="A", actor=community_admin, reason="=HYPERLINK(1)")
    enable_service(other_commune, "rh", convention_reference="B", actor=community_admin)
    client = client_on(None, community_admin)
    filtered = client.get("/journal/", {"commune": "34114", "service": "informatique"}).content.decode()
    assert "Service activé" in filtered and "<td>Saint-André-de-Sangonis</td>" not in filtered
    partial = client.get("/journal/", {"commune": "34239"}, **HTMX).content.decode()
    assert "<html" not in partial and "Saint-André-de-Sangonis" in partial
    export = client.get("/journal/export.csv", {"commune": "34114"})
    assert export["Content-Type"] == "text/csv; charset=utf-8"
    raw = export.content
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert text.splitlines()[0] == "Date;Auteur;Action;Commune;Service;Objet;Motif"
    assert "Gignac" in text and "Saint-André" not in text
    assert "'=HYPERLINK(1)" in text  # neutralised for the spreadsheet
    assert AuditEntry.objects.filter(action="export").exists()
    bad = client.get("/journal/", {"start": "31/02/2026", "commune": "nope"})
    assert bad.status_code == 200 and "Aucune entrée" in bad.content.decode()


def test_console_pages_are_for_administrators(commune, commune_agent, client_on):
    agent = make_user("technicien@cc.test")
    from mutualise.accounts.models import ServiceMembership

    ServiceMembership.objects.create(user=agent, service="informatique", role="agent")
    client = client_on(None, agent)
    home = client.get("/").content.decode()
    assert "Informatique" in home and "Assistance juridique" not in home  # their own services only
    for path in ("/communes/", "/souscriptions/", "/demandes/", "/journal/", "/journal/export.csv"):
        assert client.get(path).status_code == 403, path
