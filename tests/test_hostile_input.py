"""Hostile input: spoofed hosts, SQL and schema names where identifiers go, odd login payloads.

Each gets a clear 4xx answer in French, never a 500, and changes nothing.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.utils.html import escape

from mutualise.accounts.models import User
from tenants.models import Commune, Subscription

SPOOFED_HOSTS = [
    "commune_34114.localhost",
    "public.localhost",
    "_modele_commune.localhost",
    "gignac.localhost.evil.example",
    "gignac.localhost@evil.example",
    "evil.example#gignac.localhost",
    "gignac.localhost:80:80",
    "../gignac.localhost",
    "'; DROP SCHEMA public CASCADE; --",
    "gignac.localhost'--",
    "x" * 300 + ".localhost",
    "gignac\x00.localhost",
    "gignac .localhost",
    "xn--gignac-9ua.localhost",
    "gignac.localhost%2e",
    "[::1]:8000",
    "127.0.0.1",
]


def counts() -> tuple:
    return (User.objects.count(), Commune.objects.count(), Subscription.objects.count())


@pytest.mark.parametrize("host", SPOOFED_HOSTS)
def test_spoofed_hosts_get_a_french_4xx(commune, community_admin, host):
    before = counts()
    client = Client(HTTP_HOST=host)
    client.force_login(community_admin)
    response = client.get("/")
    assert response.status_code in (400, 404)
    body = response.content.decode(errors="replace")
    assert "Adresse inconnue" in body or "Requête invalide" in body
    assert "Gignac" not in body
    assert counts() == before
    assert connection.schema_name == "public"


def test_forwarded_host_headers_are_ignored(commune, community_admin, client_on):
    response = client_on(None, community_admin).get("/", HTTP_X_FORWARDED_HOST=commune.host)
    assert response.wsgi_request.commune is None  # still the console: the Host header alone decides


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/exemple/notes/1%20OR%201=1/",
        "/api/v1/exemple/notes/'%3B%20DROP%20TABLE%20mutualise_exemple_note%3B--/",
        "/api/v1/exemple/notes/99999999999999999999999/",
        "/api/v1/exemple/notes/-1/",
        "/api/v1/exemple/notes/%00/",
        "/compte/jetons/99999999999999999999999/revoquer/",
        "/fichiers/..%2f..%2fsecret_key",
        "/fichiers/%00",
        "/services/commune_34239/",
        "/services/../admin/",
    ],
)
def test_identifiers_made_of_sql_or_paths_get_4xx(commune, commune_agent, client_on, path):
    Subscription.objects.create(commune=commune, service="exemple", start_date="2020-01-01")
    client = client_on(commune, commune_agent)
    before = counts()
    for method in ("get", "post", "delete"):
        response = getattr(client, method)(path)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)
    assert counts() == before


@pytest.mark.parametrize(
    "payload",
    [
        {"username": "a" * 100_000, "password": "x"},
        {"username": "agent@gignac.test\x00", "password": "x"},
        {"username": "agent@gignac.test", "password": "x" * 1_000_000},
        {"username": "\u202eagent@gignac.test", "password": "\u0000"},
        {"username": ["a", "b"], "password": ["c", "d"]},
        {"username": "' OR '1'='1", "password": "' OR '1'='1"},
        {"username": "commune_34114", "password": "public"},
        {},
    ],
)
def test_odd_login_payloads_are_refused_in_french(commune, commune_agent, payload):
    before = counts()
    client = Client(HTTP_HOST=commune.host)
    response = client.post("/connexion/", payload)
    assert response.status_code in (200, 400, 403, 429)
    body = response.content.decode()
    assert any(text in body for text in ("incorrect", "obligatoire", "caractères", "valide", "Requête", "nul"))
    assert client.get("/").status_code == 302  # not signed in
    assert counts() == before


def test_login_as_json_or_oversized_body_is_a_4xx(commune):
    client = Client(HTTP_HOST=commune.host)
    assert client.post("/connexion/", '{"username": "x"}', content_type="application/json").status_code == 200
    huge = client.post("/connexion/", {"username": "x", "password": "y" * 3_000_000})
    assert huge.status_code == 400
    assert "Requête invalide" in huge.content.decode()


# -- Uploads, imports, exports, free text, identifiers, dates ---------------------------------------------------------


@pytest.fixture
def demande(commune, commune_agent):
    import datetime

    from django_tenants.utils import schema_context

    from mutualise.demandes import services
    from tenants.subscriptions import enable_service

    enable_service(commune, "informatique", start=datetime.date(2024, 1, 1))
    with schema_context(commune.schema_name):
        return services.create(
            commune,
            service="informatique",
            kind="incident",
            category="impression",
            title="Le copieur ne scanne plus",
            description="Depuis ce matin.",
            requester=commune_agent,
        )


def thread_size(commune, demande) -> tuple[int, int]:
    from django_tenants.utils import schema_context

    with schema_context(commune.schema_name):
        return demande.messages.count(), demande.attachments.count()


@pytest.mark.parametrize(
    ("name", "content", "error"),
    [
        ("../../../etc/passwd", b"root:x:0:0", "sans extension"),
        ("..\\..\\windows\\win.ini", b"[boot]", "Type de fichier refusé (.ini)"),
        ("facture.pdf.exe", b"MZ", "Type de fichier refusé (.exe)"),
        ("photo.png.php", b"<?php system($_GET['c']);", "Type de fichier refusé (.php)"),
        ("page.html", b"<script>alert(1)</script>", "Type de fichier refusé (.html)"),
        ("dessin.svg", b"<svg onload=alert(1)>", "Type de fichier refusé (.svg)"),
        (".htaccess", b"Options +ExecCGI", "Type de fichier refusé"),
        ("vide.pdf", b"", "vide"),
        ("enorme.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024), "trop volumineux"),
    ],
)
def test_hostile_uploads_are_refused_and_nothing_is_written(
    commune, commune_agent, client_on, demande, name, content, error
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = thread_size(commune, demande)
    response = client_on(commune, commune_agent).post(
        f"/demandes/{demande.pk}/", {"body": "voir pièce jointe", "attachment": SimpleUploadedFile(name, content)}
    )
    assert response.status_code == 400 and error in response.content.decode()
    assert thread_size(commune, demande) == before


def test_a_path_in_an_accepted_file_name_is_dropped(commune, commune_agent, client_on, demande, settings, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_tenants.utils import schema_context

    settings.MEDIA_ROOT = tmp_path
    client_on(commune, commune_agent).post(
        f"/demandes/{demande.pk}/",
        {"body": "la photo", "attachment": SimpleUploadedFile("../../../commune_34239/photo.png", b"\x89PNG")},
    )
    with schema_context(commune.schema_name):
        attachment = demande.attachments.get()
    assert attachment.name == "photo.png"
    stored = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert len(stored) == 1 and stored[0].is_relative_to(tmp_path / commune.schema_name)


XSS = [
    "<script>alert('xss')</script>",
    '"><img src=x onerror=alert(1)>',
    "<svg/onload=alert(1)>",
    "javascript:alert(1)//</textarea><script>alert(2)</script>",
    "{{ 7|add:7 }}{% debug %}",
]


@pytest.mark.parametrize("payload", XSS)
def test_free_text_is_shown_back_escaped(commune, commune_agent, client_on, payload):
    import datetime

    from tenants.subscriptions import enable_service

    enable_service(commune, "informatique", start=datetime.date(2024, 1, 1))
    client = client_on(commune, commune_agent)
    response = client.post(
        "/demandes/nouvelle/informatique/",
        {
            "kind": "incident",
            "category": "impression",
            "title": payload[:200],
            "description": payload,
            "urgency": 3,
            "impact": 3,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"]).content.decode()
    client.post(response["Location"], {"body": payload})
    page += client.get(response["Location"]).content.decode() + client.get("/demandes/").content.decode()
    for raw in ("<script>alert", "<img src=x", "<svg/onload", "</textarea><script>"):
        assert raw not in page
    assert escape(payload) in page  # shown back as text


@pytest.mark.parametrize(
    ("content", "error"),
    [
        (b"", "vide"),
        (b'Nom;Type;Num\xe9ro de s\xe9rie\n"PC accueil;Ordinateur;ABC\n', "guillemet ouvert"),  # truncated, Latin-1
        (b"\x00\x01\x02\x03binary\xff\xfe", ""),
        (b"PK\x03\x04not really a spreadsheet", ""),
        (b"Nom;Date d'achat\n" + b"PC;01/02/2020\n" * 3 + b"PC;31/02/2020\n", "Ligne 5"),
        (b"=cmd|' /C calc'!A0;Ordinateur\n", ""),
    ],
)
def test_malformed_inventory_imports_write_nothing(commune, commune_agent, client_on, content, error):
    import datetime

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django_tenants.utils import schema_context

    from mutualise.accounts.models import CommuneMembership, CommuneRole
    from plugins.informatique.models import Asset
    from tenants.subscriptions import enable_service

    enable_service(commune, "informatique", start=datetime.date(2024, 1, 1))
    CommuneMembership.objects.filter(user=commune_agent).update(role=CommuneRole.REFERENT)
    response = client_on(commune, commune_agent).post(
        "/services/informatique/inventaire/import/", {"file": SimpleUploadedFile("inventaire.csv", content)}
    )
    body = response.content.decode()
    assert response.status_code == 400, body[:1000]
    assert error in body
    with schema_context(commune.schema_name):
        assert Asset.objects.count() == 0


@pytest.mark.parametrize("content", [b"PK\x03\x04truncated", b"PK\x05\x06" + b"\x00" * 18, b"PK" + b"\xff" * 100])
def test_truncated_xlsx_is_a_french_import_error(content):
    from mutualise.imports import ImportFailed, read_table

    with pytest.raises(ImportFailed) as refused:
        read_table(content, "prix.xlsx")
    assert any(
        "XLSX" in message or "lisible" in message or "classeur" in message for _, message in refused.value.errors
    )


@pytest.mark.parametrize("cell", ['=HYPERLINK("http://evil")', "+33 6 12", "-2+3", "@SUM(A1:A2)", "\t=1+1", "\r=1"])
def test_exported_cells_never_start_a_formula(commune, commune_agent, client_on, cell):
    import datetime
    import io

    import openpyxl
    from django_tenants.utils import schema_context

    from plugins.informatique.models import Asset
    from tenants.subscriptions import enable_service

    enable_service(commune, "informatique", start=datetime.date(2024, 1, 1))
    with schema_context(commune.schema_name):
        Asset.objects.create(name=cell, kind=Asset.Kind.PC)
    client = client_on(commune, commune_agent)
    response = client.get("/services/informatique/inventaire/export/excel/")
    body = (b"".join(response.streaming_content) if response.streaming else response.content).decode("utf-8-sig")
    assert f";{cell}" not in body and not any(line.startswith(cell) for line in body.splitlines())
    xlsx = client.get("/services/informatique/inventaire/export/xlsx/")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = [c.value for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert all(not v.lstrip("\t\r").startswith(("=", "+", "-", "@")) or v.startswith("'") for v in values)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("siren", "12345678", "9 chiffres"),
        ("siren", "123456789", "clé de contrôle"),
        ("siren", "2434OO694", "9 chiffres"),
        ("insee_code", "3411", "5 caractères"),
        ("insee_code", "2C004", "5 caractères"),
        ("insee_code", "34 114", "5 caractères"),
        ("insee_code", "'; --", "5 caractères"),
    ],
)
def test_invalid_siren_and_insee_codes_are_refused_in_french(db, field, value, message):
    from django.core.exceptions import ValidationError

    from tenants.setup import add_commune

    fields = {"insee_code": "34999", "name": "Nulle-Part", "siren": "213401144", "departement": "34", field: value}
    before = counts()
    with pytest.raises(ValidationError) as refused:
        add_commune(**fields)
    assert message in " ".join(refused.value.messages)
    assert counts() == before and connection.schema_name == "public"


@pytest.mark.parametrize(
    ("start", "end"),
    [
        ("31/02/2026", "01/03/2027"),
        ("01/01/0000", "01/01/2027"),
        ("99/99/9999", "01/01/2027"),
        ("2026-13-01", "2027-01-01"),
        ("01/01/2027", "01/01/2026"),
        ("01/01/1800", "01/01/2400"),
    ],
)
def test_dates_out_of_range_are_form_errors(commune, commune_agent, client_on, start, end):
    import datetime

    from django_tenants.utils import schema_context

    from mutualise.accounts.models import CommuneMembership, CommuneRole
    from plugins.informatique.models import Contract
    from tenants.subscriptions import enable_service

    enable_service(commune, "informatique", start=datetime.date(2024, 1, 1))
    CommuneMembership.objects.filter(user=commune_agent).update(role=CommuneRole.REFERENT)
    response = client_on(commune, commune_agent).post(
        "/services/informatique/contrats/nouveau/",
        {
            "kind": "maintenance",
            "supplier": "Copieurs du Sud",
            "subject": "Maintenance du copieur",
            "start_date": start,
            "end_date": end,
            "notice_months": 3,
            "renewal_months": 12,
            "annual_amount": "1 200,00",
        },
    )
    assert response.status_code in (200, 400)
    assert "date" in response.content.decode().lower()
    with schema_context(commune.schema_name):
        assert Contract.objects.count() == 0
