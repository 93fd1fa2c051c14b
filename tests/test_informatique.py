"""Informatique: the inventory imported from GLPI or a spreadsheet (all or nothing), and exported three ways."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from mutualise.accounts.models import CommuneMembership
from mutualise.models import AuditEntry
from plugins.informatique.models import Asset
from tenants.subscriptions import enable_service
from tests.conftest import make_user

GLPI_EXPORT = (
    "\ufeffNom;Statut;Fabricant;Numéro de série;Type;Modèle;Système d'exploitation - Nom;"
    "Système d'exploitation - Version;Lieu;Numéro d'inventaire;Adresse IP;Adresse MAC;Date d'achat;"
    "Date de fin de garantie;Valeur\r\n"
    "PC-ACCUEIL;En production;Dell Inc.;7XK2Q33;Desktop;OptiPlex 7010;Windows 11 Pro;23H2;Mairie;"
    "34114-001;192.168.1.20;AA:BB:CC:DD:EE:01;15/03/2021;15/03/2026;749,90\r\n"
    "NAS;En stock;Synology;2260Q;Serveur;DS224+;DSM;7.2;Mairie;34114-002;;;2023-02-10;;1 234,50 €\r\n"
)


@pytest.fixture
def informatique(commune):
    return enable_service(commune, "informatique", start=datetime.date(2020, 1, 1))


def upload(client, content: str | bytes, name="inventaire.csv"):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post("/services/informatique/inventaire/import/", {"file": SimpleUploadedFile(name, data)})


def test_a_glpi_export_is_imported(commune, commune_agent, informatique, client_on):
    response = upload(client_on(commune, commune_agent), GLPI_EXPORT)
    assert response.status_code == 302
    with schema_context(commune.schema_name):
        pc = Asset.objects.get(inventory_number="34114-001")
        nas = Asset.objects.get(inventory_number="34114-002")
    assert (pc.kind, pc.status, pc.os_name, pc.ip_address) == ("pc", "service", "Windows 11 Pro", "192.168.1.20")
    assert pc.purchase_date == datetime.date(2021, 3, 15) and pc.purchase_value == Decimal("749.90")
    assert pc.mac_address == "aa:bb:cc:dd:ee:01"
    assert (nas.kind, nas.status, nas.purchase_value) == ("serveur", "stock", Decimal("1234.50"))


def test_a_spreadsheet_in_windows_1252_with_commas(commune, commune_agent, informatique, client_on):
    content = "Nom,Type,Lieu,Numéro d'inventaire\r\nPortable élu,Portable,École,INV-9\r\n".encode("cp1252")
    assert upload(client_on(commune, commune_agent), content).status_code == 302
    with schema_context(commune.schema_name):
        assert Asset.objects.get(inventory_number="INV-9").site == "École"


def test_one_bad_line_and_nothing_is_imported(commune, commune_agent, informatique, client_on):
    bad = GLPI_EXPORT + (
        "IMPRIMANTE;En production;HP;X;Cafetière;;;;;34114-003;;;;;\r\n"
        "PC-2;En production;;;PC;;;;;34114-004;999.1.1.1;;;;\r\n"
        "PC-3;En production;;;PC;;;;;34114-005;;ZZ:ZZ;;;\r\n"
        "PC-4;En production;;;PC;;;;;34114-006;;;31/02/2024;;\r\n"
        "PC-5;En production;;;PC;;;;;34114-001;;;;;\r\n"
        ";En production;;;PC;;;;;;;;;;\r\n"
        "PC-6;En production;;;PC;;;;;34114-007;;;;;douze euros\r\n"
    )
    response = upload(client_on(commune, commune_agent), bad)
    body = response.content.decode()
    assert response.status_code == 400
    assert "7 erreurs : rien n'a été importé." in body
    for expected in (
        "Ligne 4 : type inconnu « Cafetière »",
        "Ligne 5 : ",
        "n&#x27;est pas une adresse IP",
        "Ligne 6 : adresse MAC illisible",
        "Ligne 7 : date illisible « 31/02/2024 »",
        "Ligne 8 : même numéro que la ligne 2",
        "Ligne 9 : le nom est obligatoire",
        "Ligne 10 : nombre illisible « douze euros »",
    ):
        assert expected in body, expected
    with schema_context(commune.schema_name):
        assert Asset.objects.count() == 0


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "Le fichier soumis est vide"),
        (b"\x00\x01\x02PK", "pas un fichier texte"),
        ("Libellé;Quantité\r\nx;1\r\n".encode(), "Colonne « Nom » introuvable"),
        (b"Nom;Type\r\nPC;PC;en trop;encore\r\n", "4 valeurs pour 2 colonnes"),
    ],
)
def test_unreadable_files_get_a_french_message(commune, commune_agent, informatique, client_on, content, message):
    response = upload(client_on(commune, commune_agent), content)
    assert response.status_code == 400 and message in response.content.decode()


def test_importing_again_updates_instead_of_duplicating(commune, commune_agent, informatique, client_on):
    client = client_on(commune, commune_agent)
    upload(client, GLPI_EXPORT)
    upload(client, GLPI_EXPORT.replace("Mairie;34114-001", "École;34114-001"))
    with schema_context(commune.schema_name):
        assert Asset.objects.count() == 2
        assert Asset.objects.get(inventory_number="34114-001").site == "École"


def test_a_lecteur_cannot_import(commune, informatique, client_on):
    lecteur = make_user("elu@gignac.test")
    CommuneMembership.objects.create(user=lecteur, commune=commune, role="lecteur")
    assert upload(client_on(commune, lecteur), GLPI_EXPORT).status_code == 403


def test_exports_for_excel_standard_and_xlsx(commune, commune_agent, informatique, client_on):
    from openpyxl import load_workbook

    client = client_on(commune, commune_agent)
    upload(client, GLPI_EXPORT.replace("PC-ACCUEIL", '=HYPERLINK("http://x")'))
    excel = client.get("/services/informatique/inventaire/export/excel/")
    text = excel.content.decode("utf-8-sig")
    assert excel.content.startswith(b"\xef\xbb\xbf") and text.startswith("Nom;Type;Lieu")
    assert "15/03/2021" in text and "749,90" in text and "'=HYPERLINK" in text
    standard = client.get("/services/informatique/inventaire/export/csv/").content.decode()
    assert standard.startswith("Nom,Type") and "2021-03-15" in standard and "749.90" in standard
    xlsx = client.get("/services/informatique/inventaire/export/xlsx/")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    rows = list(sheet.values)
    assert rows[0][0] == "Nom" and len(rows) == 3
    first = next(r for r in rows[1:] if r[6] == "34114-001")
    assert first[0] == '\'=HYPERLINK("http://x")'  # text, not a formula
    assert first[14] == datetime.datetime(2021, 3, 15)
    assert client.get("/services/informatique/inventaire/export/pdf/").status_code == 404
    assert AuditEntry.objects.filter(action="export", service="informatique").count() == 3


def test_the_dashboard_card_loads_from_the_service(commune, commune_agent, informatique, client_on):
    client = client_on(commune, commune_agent)
    upload(client, GLPI_EXPORT)
    home = client.get("/").content.decode()
    assert 'hx-get="/services/informatique/tableau-de-bord/"' in home and 'hx-trigger="load"' in home
    card = client.get("/services/informatique/tableau-de-bord/", HTTP_HX_REQUEST="true").content.decode()
    assert "2 équipements suivis, dont 1 hors garantie." in card
