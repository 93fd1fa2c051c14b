"""Observatoire fiscal: REI imports (both forms), indicators, anomaly rules, signalements and fiscal secrecy."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from mutualise.accounts.models import CommuneMembership, ServiceMembership
from mutualise.models import AuditEntry
from mutualise.templatetags.mutualise import euros, percent
from plugins.fiscal import anomalies, queries, rules
from plugins.fiscal.models import FiscalBase, Local, Permit, Signalement
from tenants.subscriptions import enable_service
from tests.conftest import make_user

WIDE = (
    "\ufeffDEP;DIR;COM;LIBCOM;Q02;E11;E12;E12VOTE;E13;E14\r\n"
    "34;0;114;GIGNAC;243400694;7 654 321;47,85;47,85;3 662 593;4 210\r\n"
    "34;0;239;SAINT-ANDRE-DE-SANGONIS;243400694;6 012 000;44,10;44,10;2 651 292;3 800\r\n"
    "34;0;999;COMMUNE HORS INSTANCE;243400000;100;10;10;10;1\r\n"
    "30;0;189;NIMES;243000643;100;10;10;10;1\r\n"
)
LONG = (
    "\ufeffannee;idcom;libcom;var;varlib;categorie;dispositif_fiscal;destinataire;valeur;dep;reg;population\r\n"
    "2024;34114;Gignac;E11;FB COMMUNE BASE NETTE;Base;Taxe foncière sur les propriétés bâties;Commune;7654321;34;76;6713\r\n"
    "2024;34114;Gignac;E12;FB COMMUNE TAUX NET;Taux;Taxe foncière sur les propriétés bâties;Commune;47,85;34;76;6713\r\n"
    "2024;34114;Gignac;E13;FB COMMUNE MONTANT REEL;Produit;Taxe foncière sur les propriétés bâties;Commune;3662593;34;76;6713\r\n"
    "2024;34114;Gignac;E31;FB GFP BASE NETTE;Base;Taxe foncière sur les propriétés bâties;GFP;7654321;34;76;6713\r\n"
    "2024;34114;Gignac;XNB1;Base nette FNB;Base;Taxe foncière sur les propriétés non bâties;Commune;160000;34;76;6713\r\n"
    "2024;34114;Gignac;XNB2;Taux voté FNB;Taux;Taxe foncière sur les propriétés non bâties;Commune;92,3;34;76;6713\r\n"
    "2024;34114;Gignac;XTH1;Base nette THRS;Base;Taxe d'habitation sur les résidences secondaires;Commune;1050000;34;76;6713\r\n"
    "2024;34114;Gignac;XTH3;Exonérations THRS;Exoneration;Taxe d'habitation sur les résidences secondaires;Commune;1;34;76;6713\r\n"
    "2024;30189;Nîmes;E11;FB COMMUNE BASE NETTE;Base;Taxe foncière sur les propriétés bâties;Commune;1;30;76;148000\r\n"
)


@pytest.fixture
def fiscal(commune, other_commune):
    enable_service(commune, "fiscal", start=datetime.date(2020, 1, 1))
    enable_service(other_commune, "fiscal", start=datetime.date(2020, 1, 1))


@pytest.fixture
def fiscal_agent(db):
    user = make_user("analyste@cc.test")
    ServiceMembership.objects.create(user=user, service="fiscal", role="agent")
    return user


@pytest.fixture
def referent(commune):
    user = make_user("maire@gignac.test")
    CommuneMembership.objects.create(user=user, commune=commune, role="referent")
    return user


def upload(client, content: str | bytes, url="/services/fiscal/rei/import/", **extra):
    data = content.encode("utf-8") if isinstance(content, str) else content
    return client.post(url, {"file": SimpleUploadedFile("rei.csv", data), **extra})


def bases(commune) -> dict:
    with schema_context(commune.schema_name):
        return {(b.year, b.tax): b for b in FiscalBase.objects.all()}


# -- REI ----------------------------------------------------------------------------------------------------------


def test_the_service_imports_a_wide_rei_file_into_each_commune_schema(
    commune, other_commune, fiscal, fiscal_agent, client_on
):
    client = client_on(None, fiscal_agent)
    response = upload(client, WIDE, year="2025")
    assert response.status_code == 302, response.content.decode()[-2000:]
    gignac, saint_andre = bases(commune)[2025, "tfpb"], bases(other_commune)[2025, "tfpb"]
    assert (gignac.base, gignac.rate, gignac.voted_rate, gignac.product, gignac.articles) == (
        Decimal("7654321"),
        Decimal("47.850"),
        Decimal("47.850"),
        Decimal("3662593"),
        4210,
    )
    assert saint_andre.base == Decimal("6012000") and gignac.source == "rei"
    page = client.get("/services/fiscal/").content.decode()
    assert "2 ligne(s) de 2 autre(s) commune(s) écartée(s)" in page


def test_the_other_taxes_of_a_coded_wide_file(commune, other_commune, fiscal, fiscal_agent, client_on):
    coded = (
        "DEP;DIR;COM;LIBCOM;E11;E12;B12;B12VOTE;B22;B32;H12;H12VOTE;H32\r\n"
        "34;0;114;GIGNAC;7 654 321;47,85;92,30;92,30;1,5;3,2;17,10;17,60;2,5\r\n"
        "34;0;239;SAINT-ANDRE-DE-SANGONIS;6 012 000;44,10;88,00;;;;15,00;15,00;\r\n"
    )
    assert upload(client_on(None, fiscal_agent), coded, year="2025").status_code == 302
    rows = bases(commune)
    assert (rows[2025, "tfpnb"].rate, rows[2025, "tfpnb"].voted_rate, rows[2025, "tfpnb"].base) == (
        Decimal("92.300"),
        Decimal("92.300"),
        None,
    )
    assert (rows[2025, "thrs"].rate, rows[2025, "thrs"].voted_rate) == (Decimal("17.100"), Decimal("17.600"))
    assert set(rows) == {(2025, "tfpb"), (2025, "tfpnb"), (2025, "thrs")}  # syndicats' and GFP's rates left out
    assert bases(other_commune)[2025, "tfpnb"].voted_rate is None


LABELLED = (
    "EXERCICE;DEPARTEMENT;DIRECTION;COMMUNE;Libellé commune;FB - COMMUNE / BASE NETTE;FB - COMMUNE / TAUX NET;"
    "FNB - COMMUNE / BASE NETTE;FNB - COMMUNE / TAUX NET;FNB - COMMUNE / TAUX VOTÉ;FNB - COMMUNE / MONTANT REEL;"
    "FNB - GFP / BASE NETTE;TH - COMMUNE / TAUX NET;TH - COMMUNE / BASE NETTE THS;TH - COMMUNE / MONTANT RÉEL THS;"
    "TH - COMMUNE / MONTANT REEL;FB - TEOM / TAUX PLEIN - TAUX NET;FB - TEOM / TAUX PLEIN - BASE NETTE;"
    "FB - TEOM / MONTANT RÉEL TOTAL;FB - TEOM / NOMBRE D'ARTICLES;FB - TEOM / TAUX REDUIT A - TAUX NET\r\n"
    "2024;34;0;114;GIGNAC;7 654 321;47,85;160 000;92,30;92,30;147 680;160 000;17,10;1 050 000;179 550;999 999;"
    "11,50;6 900 000;793 500;3 950;8,00\r\n"
)


def test_the_other_taxes_under_their_long_labels(commune, fiscal, referent, client_on):
    assert upload(client_on(commune, referent), LABELLED).status_code == 302
    rows = bases(commune)
    tfpnb, thrs, teom = rows[2024, "tfpnb"], rows[2024, "thrs"], rows[2024, "teom"]
    assert (tfpnb.base, tfpnb.rate, tfpnb.voted_rate, tfpnb.product) == (
        Decimal("160000"),
        Decimal("92.300"),
        Decimal("92.300"),
        Decimal("147680"),
    )
    # The THRS product is the "THS" one, not the taxe d'habitation's total of the years before 2023.
    assert (thrs.base, thrs.rate, thrs.product) == (Decimal("1050000"), Decimal("17.100"), Decimal("179550"))
    assert (teom.base, teom.rate, teom.product, teom.articles) == (
        Decimal("6900000"),
        Decimal("11.500"),
        Decimal("793500"),
        3950,
    )
    assert rows[2024, "tfpb"].base == Decimal("7654321")


def test_a_commune_imports_only_its_own_rows_from_a_comma_file(commune, other_commune, fiscal, referent, client_on):
    comma = "ANNEE,DEP,COM,E11,E12,E13,E14\n2025,34,114,7654321,47.85,3662593,4210\n2025,34,239,1,1,1,1\n"
    response = upload(client_on(commune, referent), comma)
    assert response.status_code == 302
    assert bases(commune)[2025, "tfpb"].rate == Decimal("47.850")
    assert bases(other_commune) == {}


def test_the_ofgl_long_file(commune, other_commune, fiscal, fiscal_agent, client_on):
    response = upload(client_on(None, fiscal_agent), LONG)
    assert response.status_code == 302
    rows = bases(commune)
    assert (rows[2024, "tfpb"].base, rows[2024, "tfpb"].rate, rows[2024, "tfpb"].product) == (
        Decimal("7654321"),
        Decimal("47.850"),
        Decimal("3662593"),
    )
    assert rows[2024, "tfpnb"].base == Decimal("160000") and rows[2024, "tfpnb"].voted_rate == Decimal("92.300")
    assert rows[2024, "thrs"].base == Decimal("1050000") and rows[2024, "tfpb"].source == "ofgl"
    assert set(rows) == {(2024, "tfpb"), (2024, "tfpnb"), (2024, "thrs")}  # the GFP and exonération rows left out


def test_a_long_file_without_bom_with_commas(commune, fiscal, fiscal_agent, client_on):
    text = LONG.lstrip("\ufeff").replace(";", "|").replace(",", ".").replace("|", ",").replace("\r\n", "\n")
    text = text.replace("Taxe d'habitation", "THRS")  # no comma inside the cells any more: nothing to quote
    assert upload(client_on(None, fiscal_agent), text).status_code == 302
    assert bases(commune)[2024, "tfpb"].rate == Decimal("47.850")


def test_one_bad_line_and_nothing_is_written(commune, other_commune, fiscal, fiscal_agent, client_on):
    bad = WIDE + "34;0;114;GIGNAC;243400694;beaucoup;47,85;47,85;1;1\r\n34;0;ABC;X;1;1;1;1;1;1\r\n"
    bad += "34;0;010;ANIANE;243400694;1;1;1;1;2,5\r\n"
    response = upload(client_on(None, fiscal_agent), bad, year="2025")
    body = response.content.decode()
    assert response.status_code == 400
    assert "3 erreurs : rien n'a été importé." in body
    assert "Ligne 6 : nombre illisible « beaucoup »" in body
    assert "Ligne 7 : code commune illisible" in body
    assert "Ligne 8 : nombre d&#x27;articles illisible « 2,5 »" in body
    assert bases(commune) == {} and bases(other_commune) == {}


def test_a_wide_file_needs_its_year(commune, fiscal, fiscal_agent, client_on):
    response = upload(client_on(None, fiscal_agent), WIDE)
    assert response.status_code == 400 and "ne donne pas l&#x27;année" in response.content.decode()


def test_a_lecteur_cannot_import(commune, fiscal, client_on):
    lecteur = make_user("elu@gignac.test")
    CommuneMembership.objects.create(user=lecteur, commune=commune, role="lecteur")
    assert upload(client_on(commune, lecteur), WIDE, year="2025").status_code == 403


# -- Indicators ---------------------------------------------------------------------------------------------------


def test_indicator_functions():
    assert rules.per_inhabitant(Decimal("7654321"), 6713) == Decimal("1140.22")
    assert rules.per_inhabitant(Decimal(1), 0) is None
    assert rules.evolution(Decimal(1100), Decimal(1000)) == Decimal("0.1")
    # 2024: +3.9 % of revaluation; a base that grew by exactly that did not grow in volume
    assert rules.evolution_net_of_revaluation(Decimal(1039), Decimal(1000), 2024) == 0
    assert rules.evolution_net_of_revaluation(Decimal(1100), Decimal(1000), 2026).quantize(
        Decimal("0.0001")
    ) == Decimal("0.0913")
    assert rules.evolution_net_of_revaluation(Decimal(1), Decimal(1), 2019) is None  # unknown coefficient
    assert rules.average_rental_value(Decimal(1000), 3) == Decimal("333.33")
    assert rules.share_of_categories({5: 60, 6: 30, 7: 8, 8: 2}) == Decimal("0.1")
    assert rules.rate_gap(Decimal("47.85"), Decimal("45")) == Decimal("2.85")
    aggregate = rules.aggregate(
        [
            {"rate": Decimal(40), "base": Decimal(1000), "product": Decimal(400), "population": 10},
            {"rate": Decimal(50), "base": Decimal(3000), "product": Decimal(1500), "population": 10},
            {"rate": Decimal(60), "base": None, "product": None, "population": 10},
        ]
    )
    assert (aggregate.communes, aggregate.mean_rate, aggregate.median_rate) == (3, Decimal(50), Decimal(50))
    assert aggregate.weighted_rate == Decimal("47.500") and aggregate.median_base_per_inhabitant == Decimal(200)
    [current, previous] = rules.tax_indicators(
        [
            {"year": 2025, "tax": "tfpb", "base": Decimal(1017), "rate": Decimal(40), "product": None, "articles": 3},
            {"year": 2024, "tax": "tfpb", "base": Decimal(1000), "rate": Decimal(40), "product": None, "articles": 3},
        ],
        100,
    )
    assert current.year == 2025 and current.evolution_net == 0 and previous.evolution is None


def test_the_territory_aggregates_read_in_batches_match_the_rules(commune, other_commune, fiscal, monkeypatch):
    from mutualise import schemas

    figures = {commune: (Decimal(1000), Decimal(40)), other_commune: (Decimal(3000), Decimal(50))}
    for target, (base, rate) in figures.items():
        with schema_context(target.schema_name):
            FiscalBase.objects.create(year=2025, tax="tfpb", base=base, rate=rate, product=base * rate / 100)
    expected = rules.aggregate(
        [
            {"rate": rate, "base": base, "product": base * rate / 100, "population": c.population}
            for c, (base, rate) in figures.items()
        ]
    )
    assert queries.territory_aggregates([commune, other_commune])[2025, "tfpb"] == expected
    monkeypatch.setattr(schemas, "RELATIONS_PER_STATEMENT", 1)  # one schema per statement
    assert queries.territory_aggregates([commune, other_commune])[2025, "tfpb"] == expected
    assert expected.communes == 2 and expected.mean_rate == Decimal(45)


def test_a_commune_sees_the_territory_only_as_aggregates(commune, other_commune, fiscal, commune_agent, client_on):
    with schema_context(other_commune.schema_name):
        FiscalBase.objects.create(year=2025, tax="tfpb", base=Decimal(6012345), rate=Decimal("44.1"), product=1)
    with schema_context(commune.schema_name):
        FiscalBase.objects.create(year=2025, tax="tfpb", base=Decimal(7654321), rate=Decimal("47.85"), product=2)
        FiscalBase.objects.create(year=2024, tax="tfpb", base=Decimal(7400000), rate=Decimal("47.85"), product=2)
    page = client_on(commune, commune_agent).get("/services/fiscal/").content.decode()
    assert euros(Decimal(7654321), 0) in page and 'role="img"' in page and "<title" in page
    assert percent(Decimal("45.975")) in page  # the mean of 47.85 and 44.1
    assert "6012345" not in page.replace("\u202f", "").replace("\xa0", "") and "Saint-André" not in page


# -- Anomalies, signalements, secrecy -----------------------------------------------------------------------------


def local(local_id, **fields):
    values = {"parcel": "34114000AB0001", "affectation": "H", "category": 5, "rental_value": Decimal(3000)}
    return Local(local_id=local_id, **{**values, **fields})


@pytest.fixture
def gignac_locals(commune, fiscal):
    with schema_context(commune.schema_name):
        Local.objects.bulk_create(
            [
                local("0000001", category=7, year_built=2015, owner_name="DUPONT Jean", address="1 rue du Pont"),
                local("0000002", category=8, year_built=1890),
                local("0000003", vacant=True, vacant_since=2019, category=6),
                local("0000004", exoneration="NC", exoneration_start=2015, exoneration_end=2023),
                local("0000005", parcel="34114000AC0010", year_built=1990),
                local("0000006", affectation="P", category=7, year_built=2020),
            ]
        )
        FiscalBase.objects.create(year=2025, tax="tfpb", base=1, rate=Decimal("47.85"), product=1)
        Permit.objects.create(
            reference="PC03411423X0042",
            parcel="34114000AC0010",
            address="chemin neuf",
            granted_on=datetime.date(2023, 3, 1),
            completed_on=datetime.date(2024, 6, 1),
        )
        Permit.objects.create(
            reference="PC03411425X0001", parcel="34114000AC0011", completed_on=datetime.date(2026, 9, 1)
        )


def test_the_anomaly_rules(commune, gignac_locals):
    with schema_context(commune.schema_name):
        assert anomalies.detect(datetime.date(2026, 11, 26)) == 4
        found = {(s.rule, s.local_id or s.permit_reference) for s in Signalement.objects.all()}
        assert found == {
            ("categorie_recente", "0000001"),
            ("vacance_longue", "0000003"),
            ("exoneration_expiree", "0000004"),
            ("construction_non_taxee", "PC03411423X0042"),
        }
        assert "mal classé" in Signalement.objects.get(local_id="0000001").reason
        assert anomalies.detect(datetime.date(2026, 11, 26)) == 0  # already flagged
        Signalement.objects.all().delete()
        anomalies.save_settings({"vacance_longue": (True, 10), "categorie_recente": (False, 25)})
        found = {s.rule for s in Signalement.objects.all()}
        anomalies.detect(datetime.date(2026, 11, 26))
        found = {s.rule for s in Signalement.objects.all()}
        assert found == {"exoneration_expiree", "construction_non_taxee"}


def test_an_accepted_signalement_records_its_gains(commune, gignac_locals):
    with schema_context(commune.schema_name):
        anomalies.detect(datetime.date(2026, 11, 26))
        item = Signalement.objects.get(local_id="0000001")
        anomalies.record_outcome(item, "accepte", Decimal(4000), datetime.date(2026, 11, 20))
        item.refresh_from_db()
        # VL +1 000 € → TFPB base +500 € (half the VL) → product at 47.85 %
        assert (item.base_gain, item.product_gain) == (Decimal("500.00"), Decimal("239.25"))
        anomalies.record_outcome(item, "rejete", None, None)
        item.refresh_from_db()
        assert item.base_gain is None


def test_the_ccid_list_is_exported_and_audited(commune, gignac_locals, referent, client_on):
    from openpyxl import load_workbook

    client = client_on(commune, referent)
    assert client.post("/services/fiscal/signalements/detecter/").status_code == 302
    response = client.get("/services/fiscal/signalements/export/xlsx/")
    assert response.status_code == 200
    rows = list(load_workbook(io.BytesIO(response.content)).active.values)
    assert rows[0][:7] == (
        "Identifiant du local",
        "Adresse",
        "Parcelle",
        "Catégorie actuelle",
        "VL actuelle (€)",
        "Motif",
        "Action proposée",
    )
    first = next(r for r in rows if r[0] == "0000001")
    assert first[1:4] == ("1 rue du Pont", "34114000AB0001", 7) and "reclassement" in first[6]
    entry = AuditEntry.objects.get(action="export", service="fiscal")
    assert entry.commune == commune and entry.actor == referent
    assert client.get("/services/fiscal/signalements/export/pdf/").status_code == 404


def test_cadastral_data_is_kept_to_referents_and_the_service(
    commune, other_commune, gignac_locals, commune_agent, referent, fiscal_agent, client_on
):
    for path in (
        "/services/fiscal/locaux/",
        "/services/fiscal/signalements/",
        "/services/fiscal/signalements/export/xlsx/",
        "/services/fiscal/locaux/import/",
        "/api/v1/fiscal/signalements/",
    ):
        assert client_on(commune, commune_agent).get(path).status_code == 403, path
    assert "DUPONT Jean" in client_on(commune, referent).get("/services/fiscal/locaux/").content.decode()
    assert "DUPONT Jean" in client_on(commune, fiscal_agent).get("/services/fiscal/locaux/").content.decode()
    # the agent still sees the bases and indicators
    assert client_on(commune, commune_agent).get("/services/fiscal/").status_code == 200
    # another commune's référent sees their own (empty) table, never Gignac's rows
    referent_b = make_user("maire@saint-andre.test")
    CommuneMembership.objects.create(user=referent_b, commune=other_commune, role="referent")
    page = client_on(other_commune, referent_b).get("/services/fiscal/locaux/").content.decode()
    assert "Aucun local importé" in page and "DUPONT" not in page
    assert client_on(commune, referent_b).get("/services/fiscal/locaux/").status_code in (302, 403)


def test_the_api(commune, other_commune, fiscal, referent, fiscal_agent, commune_agent, client_on):
    with schema_context(commune.schema_name):
        FiscalBase.objects.create(year=2025, tax="tfpb", base=Decimal(1000), rate=Decimal(40), product=400)
    own = client_on(commune, commune_agent).get("/api/v1/fiscal/bases/").json()
    assert (
        [(r["year"], r["tax"], r["base"]) for r in own["results"] if True] == [(2025, "tfpb", "1000")]
        if isinstance(own, dict)
        else [(r["year"], r["tax"], r["base"]) for r in own] == [(2025, "tfpb", "1000")]
    )
    assert client_on(commune, referent).get("/api/v1/fiscal/signalements/").status_code == 200
    territory = client_on(None, fiscal_agent).get("/api/v1/fiscal/territoire/").json()
    assert [(r["insee"], r["base"]) for r in territory] == [("34114", "1000")]


def test_the_community_page_reads_the_communes_in_batches(
    commune, other_commune, fiscal, fiscal_agent, client_on, django_assert_max_num_queries, monkeypatch
):
    from mutualise import schemas

    for target in (commune, other_commune):
        with schema_context(target.schema_name):
            FiscalBase.objects.create(year=2025, tax="tfpb", base=Decimal(1000), rate=Decimal(40), product=400)
    client = client_on(None, fiscal_agent)
    client.get("/services/fiscal/")
    with django_assert_max_num_queries(12) as whole:
        page = client.get("/services/fiscal/").content.decode()
    assert "Gignac" in page and "Saint-André-de-Sangonis" in page
    # One schema per statement, as a thousand communes are read a hundred or so at a time: one statement more per
    # table read across the communes (REI rows, locals, signalements) for the second batch, nothing per commune.
    monkeypatch.setattr(schemas, "RELATIONS_PER_STATEMENT", 1)
    with CaptureQueriesContext(connection) as split:
        again = client.get("/services/fiscal/").content.decode()
    assert again.count("Saint-André-de-Sangonis") == page.count("Saint-André-de-Sangonis")
    assert len(split) == len(whole) + 3


def test_demo_data_is_plausible_and_idempotent(commune, fiscal, referent, client_on):
    from plugins.fiscal import demo

    with schema_context(commune.schema_name):
        demo.create(commune)
        counts = (FiscalBase.objects.count(), Local.objects.count(), Signalement.objects.count())
        demo.create(commune)
        assert (FiscalBase.objects.count(), Local.objects.count(), Signalement.objects.count()) == counts
        tfpb = FiscalBase.objects.get(year=2026, tax="tfpb")
        assert 800 < tfpb.base / commune.population < 1800 and 40 < tfpb.rate < 55
        assert 40 <= counts[1] <= 400 and counts[2] > 0
        assert Signalement.objects.filter(status="accepte").exclude(product_gain=None).exists()
    page = client_on(commune, referent).get("/services/fiscal/")
    assert page.status_code == 200 and "(fictif)" not in page.content.decode()
    card = client_on(commune, referent).get("/services/fiscal/tableau-de-bord/").content.decode()
    assert "Foncier bâti 2026" in card and "signalé" in card


def test_permits_entered_or_imported(commune, fiscal, referent, client_on):
    client = client_on(commune, referent)
    response = client.post(
        "/services/fiscal/permis/ajouter/",
        {"reference": "PC0341142500001", "parcel": "34114000ab0001", "completed_on": "01/06/2025"},
    )
    assert response.status_code == 302
    bad = client.post("/services/fiscal/permis/ajouter/", {"reference": "PC2", "parcel": "123"})
    assert bad.status_code == 400 and "14 caractères" in bad.content.decode()
    content = "Numéro;Parcelle;Adresse;DAACT le\r\nPC0341142500002;34114000AB0002;lot 2;01/02/2025\r\nPC3;123;x;\r\n"
    response = client.post(
        "/services/fiscal/permis/import/", {"file": SimpleUploadedFile("permis.csv", content.encode())}
    )
    assert response.status_code == 400 and "Ligne 3 : parcelle illisible" in response.content.decode()
    ok = content.split("PC3")[0]
    assert (
        client.post("/services/fiscal/permis/import/", {"file": SimpleUploadedFile("p.csv", ok.encode())}).status_code
        == 302
    )
    with schema_context(commune.schema_name):
        assert set(Permit.objects.values_list("parcel", flat=True)) == {"34114000AB0001", "34114000AB0002"}


def test_rule_settings_form(commune, gignac_locals, referent, client_on):
    client = client_on(commune, referent)
    form = {"vacance_longue-seuil": "10", "vacance_longue-active": "on", "categorie_recente-seuil": "25"}
    form |= {"construction_non_taxee-seuil": "12", "exoneration_expiree-seuil": "0", "exoneration_expiree-active": "on"}
    assert client.post("/services/fiscal/signalements/regles/", form).status_code == 302
    with schema_context(commune.schema_name):
        chosen = {s.rule.code: (s.enabled, s.threshold) for s in anomalies.settings()}
    assert chosen["vacance_longue"] == (True, 10) and chosen["categorie_recente"] == (False, 25)
    assert chosen["construction_non_taxee"] == (False, 12)
    client.post("/services/fiscal/signalements/regles/", {**form, "vacance_longue-seuil": "-1"})
    with schema_context(commune.schema_name):
        assert {s.rule.code: s.threshold for s in anomalies.settings()}["vacance_longue"] == 10


def test_bilan_section_and_activity_units(commune, other_commune, gignac_locals):
    from plugins.fiscal import report

    with schema_context(commune.schema_name):
        anomalies.detect(datetime.date(2026, 11, 26))
        item = Signalement.objects.get(local_id="0000001")
        anomalies.record_outcome(item, "accepte", Decimal(4000), datetime.date(2026, 11, 20))
        units = {
            u.code: u.quantity for u in report.activity_units(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))
        }
    assert units == {"bases_analysees": Decimal(0), "locaux_signales": Decimal(4)}
    section = report.bilan_section(2026, [commune, other_commune])
    figures = {i.label: i.value for i in section.indicators}
    assert figures["Locaux signalés"] == 4 and figures["Signalements acceptés"] == 1
    assert figures["Produit gagné"] == Decimal("239.25")
    assert {i.label: i.value for i in section.per_commune["34114"]}["Locaux signalés"] == 4
    assert "34239" not in section.per_commune
