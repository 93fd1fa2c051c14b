"""Cadastral locals imported with PostgreSQL COPY through the Celery task (inline), on the real database."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from mutualise.accounts.models import CommuneMembership, ServiceMembership
from mutualise.files import CommuneFileStorage
from plugins.fiscal import cadastre
from plugins.fiscal.models import Local
from tenants.subscriptions import enable_service
from tests.conftest import make_user

HEADER = (
    "idlocal;idpar;adresse;ccoaff;dcapec;stoth;jannath;dvltrt;ccthp;vacant depuis;jandeb;janimp;exonération;ddenom\r\n"
)
GIGNAC_ROWS = (
    "341140000001;34114000AB0012;3 rue de la République;H;6;85;1975;2 345,50;P;;;;;MARTIN Josiane\r\n"
    '341140000002;34114000AB0013;"5 chemin des Vignes; bâtiment B";H;7;120;2012;1 980;V;2019;;;;ROUX Pierre\r\n'
    '341140000003;34114000ZC0101;route de Montpellier;P;;300;0;12000.00;L;;2020;2024;NC;SCI "LES OLIVIERS"\r\n'
)
SAINT_ANDRE_ROW = "342390000001;34239000AB0001;1 place de la Mairie;H;5;90;1990;3000;P;;;;;FABRE Alain\r\n"
OUTSIDE_ROW = "300070000001;30007000AB0001;ailleurs;H;5;90;1990;3000;P;;;;;X\r\n"


@pytest.fixture
def fiscal(commune, other_commune):
    enable_service(commune, "fiscal", start=datetime.date(2020, 1, 1))
    enable_service(other_commune, "fiscal", start=datetime.date(2020, 1, 1))


@pytest.fixture
def referent(commune):
    user = make_user("maire@gignac.test")
    CommuneMembership.objects.create(user=user, commune=commune, role="referent")
    return user


@pytest.fixture
def fiscal_agent(db):
    user = make_user("analyste@cc.test")
    ServiceMembership.objects.create(user=user, service="fiscal", role="agent")
    return user


def send(client, content: str | bytes, django_capture_on_commit_callbacks):
    data = content.encode("utf-8") if isinstance(content, str) else content
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/services/fiscal/locaux/import/", {"file": SimpleUploadedFile("locaux.csv", data)})
    assert response.status_code == 302, response.content.decode()[-1500:]
    return client.get(response["Location"]), response["Location"]


def rows(commune) -> dict[str, Local]:
    with schema_context(commune.schema_name):
        return {local.local_id: local for local in Local.objects.all()}


def test_a_commune_imports_its_extract_through_the_task(
    commune, other_commune, fiscal, referent, client_on, django_capture_on_commit_callbacks
):
    client = client_on(commune, referent)
    content = "\ufeff" + HEADER + GIGNAC_ROWS + SAINT_ANDRE_ROW + OUTSIDE_ROW
    page, location = send(client, content, django_capture_on_commit_callbacks)
    body = page.content.decode()
    assert "Import terminé : 3 locaux enregistrés." in body
    assert "2 lignes d'autres communes écartées." in body
    assert 'value="100"' in body and "hx-get" not in body  # finished: the bar stops polling
    bar = client.get(location, HTTP_HX_REQUEST="true").content.decode()
    assert bar.lstrip().startswith('<div id="progression"') and "<html" not in bar
    locals_ = rows(commune)
    first, second, third = locals_["341140000001"], locals_["341140000002"], locals_["341140000003"]
    assert (first.rental_value, first.category, first.year_built, first.vacant) == (Decimal("2345.50"), 6, 1975, False)
    assert (second.address, second.vacant, second.vacant_since) == ("5 chemin des Vignes; bâtiment B", True, 2019)
    assert (third.category, third.year_built, third.rental_value) == (None, None, Decimal("12000.00"))
    assert (third.exoneration, third.exoneration_start, third.exoneration_end) == ("NC", 2020, 2024)
    assert third.owner_name == 'SCI "LES OLIVIERS"' and third.affectation == "P"
    assert rows(other_commune) == {}
    # the upload is not kept: owners' personal data
    with schema_context(commune.schema_name):
        assert (
            not CommuneFileStorage().exists("fiscal-imports") or not CommuneFileStorage().listdir("fiscal-imports")[1]
        )
    # a new extract replaces the table
    send(
        client, HEADER + SAINT_ANDRE_ROW + GIGNAC_ROWS.splitlines(keepends=True)[0], django_capture_on_commit_callbacks
    )
    assert set(rows(commune)) == {"341140000001"}


def test_a_comma_file_without_bom(commune, fiscal, referent, client_on, django_capture_on_commit_callbacks):
    content = 'idlocal,idpar,ccoaff,dcapec,dvltrt\n341140000009,34114000AB0099,H,8,"1234,5"\n'
    page, _ = send(client_on(commune, referent), content, django_capture_on_commit_callbacks)
    assert "Import terminé : 1 local enregistré." in page.content.decode()
    assert rows(commune)["341140000009"].rental_value == Decimal("1234.50")


def test_the_community_imports_an_instance_wide_extract(
    commune, other_commune, fiscal, fiscal_agent, client_on, django_capture_on_commit_callbacks
):
    page, _ = send(
        client_on(None, fiscal_agent),
        HEADER + GIGNAC_ROWS + SAINT_ANDRE_ROW + OUTSIDE_ROW,
        django_capture_on_commit_callbacks,
    )
    assert "Import terminé : 4 locaux enregistrés." in page.content.decode()
    assert len(rows(commune)) == 3 and set(rows(other_commune)) == {"342390000001"}


def test_invalid_rows_and_nothing_is_written(commune, fiscal, referent, client_on, django_capture_on_commit_callbacks):
    client = client_on(commune, referent)
    send(client, HEADER + GIGNAC_ROWS, django_capture_on_commit_callbacks)
    bad = (
        HEADER
        + GIGNAC_ROWS.replace(";6;85;", ";9;85;")
        + (
            "341140000004;3411400AB0012;x;H;5;1;1990;1;P;;;;;X\r\n"
            "341140000005;34114000AB0014;x;H;5;1;19xx;1;P;;;;;X\r\n"
            "341140000006;34114000AB0015;x;H;5;1;1990;douze;P;;;;;X\r\n"
            "341140000001;34114000AB0016;x;H;5;1;1990;1;P;;;;;X\r\n"
            "341140000007;34114000AB0017;x;H;5\r\n"
        )
    )
    page, _ = send(client, bad, django_capture_on_commit_callbacks)
    body = page.content.decode()
    assert "L'import a échoué : rien n'a été enregistré." in body
    for expected in (
        "Ligne 2 : catégorie « 9 » hors de 1 à 8",
        "Ligne 5 : parcelle illisible « 3411400AB0012 »",
        "Ligne 6 : année illisible « 19xx »",
        "Ligne 7 : nombre illisible « douze »",
        "Ligne 8 : identifiant du local « 341140000001 » en double",
        "Ligne 9 : 5 valeurs pour 14 colonnes.",
    ):
        assert expected in body, expected
    assert len(rows(commune)) == 3  # the previous extract is intact


def test_errors_are_capped(commune, fiscal, tmp_path):
    path = tmp_path / "locaux.csv"
    path.write_text(HEADER + "".join(f"3411400{n:05d};34114000AB0001;x;H;9;1;1990;1;P;;;;;X\r\n" for n in range(500)))
    with schema_context(commune.schema_name), pytest.raises(cadastre.ImportFailed) as failure:
        cadastre.import_locals(str(path), [commune])
    assert len(failure.value.errors) == cadastre.MAX_ERRORS + 1
    assert "arrêtée après 100 erreurs" in failure.value.errors[-1][1]


def test_a_file_missing_a_required_column(commune, fiscal, referent, client_on, django_capture_on_commit_callbacks):
    page, _ = send(client_on(commune, referent), "idlocal;adresse\r\n1;x\r\n", django_capture_on_commit_callbacks)
    assert "Colonne(s) introuvable(s) dans la première ligne : parcelle, affectation." in page.content.decode()


def test_a_commune_agent_without_the_role_cannot_import(commune, fiscal, commune_agent, client_on):
    client = client_on(commune, commune_agent)
    assert client.get("/services/fiscal/locaux/import/").status_code == 403
    response = client.post("/services/fiscal/locaux/import/", {"file": SimpleUploadedFile("l.csv", HEADER.encode())})
    assert response.status_code == 403


def test_a_job_is_read_only_in_its_own_space(
    commune, other_commune, fiscal, referent, client_on, django_capture_on_commit_callbacks
):
    _, location = send(client_on(commune, referent), HEADER + GIGNAC_ROWS, django_capture_on_commit_callbacks)
    referent_b = make_user("maire@saint-andre.test")
    CommuneMembership.objects.create(user=referent_b, commune=other_commune, role="referent")
    assert client_on(other_commune, referent_b).get(location).status_code == 404


def test_a_large_import_rebuilds_the_same_indexes(commune, fiscal, tmp_path, monkeypatch):
    from django.db import connection

    def indexes():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = %s AND tablename = 'fiscal_local'",
                [commune.schema_name],
            )
            return sorted(cursor.fetchall())

    before = indexes()
    assert any(name.endswith("_pkey") for name, _ in before) and len(before) >= 2
    monkeypatch.setattr(cadastre, "REBUILD_INDEXES_FROM", 1)
    path = tmp_path / "locaux.csv"
    path.write_text(HEADER + GIGNAC_ROWS)
    with schema_context(commune.schema_name):
        result = cadastre.import_locals(str(path), [commune])
        assert result.rows == 3 and Local.objects.filter(parcel="34114000AB0013").count() == 1
    assert indexes() == before
