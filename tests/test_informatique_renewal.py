"""Informatique renewal plan: replacement years, warranty and OS support flags, forecasts per commune and across."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from mutualise.accounts.models import ServiceMembership
from plugins.informatique import os_support, rules
from plugins.informatique.models import Asset
from tenants.subscriptions import enable_service
from tests.conftest import make_user

D = datetime.date


@pytest.fixture
def informatique(commune):
    return enable_service(commune, "informatique", start=D(2020, 1, 1))


def test_replacement_year_is_purchase_year_plus_lifetime(settings):
    assert rules.replacement_year("pc", D(2021, 3, 15)) == 2026
    assert rules.replacement_year("portable", D(2021, 3, 15)) == 2025
    assert rules.replacement_year("reseau", D(2021, 3, 15)) == 2029
    assert rules.replacement_year("pc", None) is None
    settings.INFORMATIQUE_LIFETIMES = {"pc": 7}
    assert rules.replacement_year("pc", D(2021, 3, 15)) == 2028
    assert rules.replacement_year("serveur", D(2021, 3, 15)) == 2027  # the other defaults stay
    assert rules.lifetimes()["pc"] == 7


@pytest.mark.parametrize(
    ("name", "version", "end"),
    [
        ("Microsoft Windows 10 Professionnel", "22H2", D(2025, 10, 14)),
        ("Windows 10 Pro", "", D(2025, 10, 14)),
        ("Windows 10 Entreprise LTSC 2021", "21H2", D(2027, 1, 12)),
        ("Microsoft Windows 11 Professionnel", "23H2", D(2025, 11, 11)),
        ("Microsoft Windows 11 Entreprise", "23H2", D(2026, 11, 10)),
        ("Windows 11 Pro", "10.0.22621", D(2024, 10, 8)),
        ("Windows 11 Famille", "21H2", D(2023, 10, 10)),
        ("Windows 11 Pro", "24H2", D(2026, 10, 13)),
        ("Windows 11 Éducation", "24H2", D(2027, 10, 12)),
        ("Microsoft Windows Server 2016 Standard", "", D(2027, 1, 12)),
        ("Windows Server 2012 R2", "", D(2023, 10, 10)),
        ("Windows 7 Professionnel", "SP1", D(2020, 1, 14)),
        ("Windows 8.1", "", D(2023, 1, 10)),
        ("Ubuntu 22.04.4 LTS", "", D(2027, 6, 1)),
        ("Windows 11 Pro", "", None),  # feature update unknown: no flag rather than a wrong one
        ("DSM", "7.2", None),
        ("", "", None),
    ],
)
def test_end_of_os_support(name, version, end):
    assert os_support.end_of_support(name, version) == end


def test_flags_on_a_given_day():
    assert rules.unsupported_os("Windows 10 Pro", "22H2", D(2025, 10, 15))
    assert not rules.unsupported_os("Windows 10 Pro", "22H2", D(2025, 10, 14))
    assert rules.out_of_warranty(D(2026, 1, 1), D(2026, 1, 2))
    assert not rules.out_of_warranty(None, D(2026, 1, 2))


def test_forecast_counts_overdue_devices_in_the_first_year_and_prices_unknown_values():
    groups = [
        rules.FleetGroup("pc", 2018, 3, valued=1, value=Decimal("700")),  # due 2023: overdue
        rules.FleetGroup("pc", 2022, 2),  # due 2027
        rules.FleetGroup("reseau", 2025, 1),  # due 2033: beyond the horizon
    ]
    plan = rules.forecast(groups, 2026, 6, lifetime_table={"pc": 5, "reseau": 8}, cost_table={"pc": Decimal("900")})
    assert [r.year for r in plan] == [2026, 2027, 2028, 2029, 2030, 2031]
    assert (plan[0].count, plan[0].overdue, plan[0].cost) == (3, 3, Decimal("2500"))
    assert (plan[1].count, plan[1].cost) == (2, Decimal("1800"))
    assert sum(r.count for r in plan) == 5


def test_groups_of_devices():
    assets = [
        Asset(kind="pc", purchase_date=D(2022, 1, 1), purchase_value=Decimal("800")),
        Asset(kind="pc", purchase_date=D(2022, 6, 1)),
        Asset(kind="pc"),
    ]
    assert rules.groups_of(assets) == [rules.FleetGroup("pc", 2022, 2, 1, Decimal("800"))]


def add_fleet(commune, year: int):
    with schema_context(commune.schema_name):
        Asset.objects.bulk_create(
            [
                Asset(name="PC accueil", kind="pc", purchase_date=D(year - 6, 5, 1), purchase_value=Decimal("750")),
                Asset(
                    name="PC secrétariat",
                    kind="pc",
                    purchase_date=D(year - 2, 5, 1),
                    os_name="Windows 10 Pro",
                    os_version="22H2",
                    warranty_end=D(year - 1, 5, 1),
                ),
                Asset(name="Vieux PC", kind="pc", purchase_date=D(2010, 1, 1), status=Asset.Status.RETIRED),
                Asset(name="Switch", kind="reseau"),
            ]
        )


def test_the_commune_plan_has_an_accessible_chart_and_its_table(commune, commune_agent, informatique, client_on):
    year = timezone.localdate().year
    add_fleet(commune, year)
    body = client_on(commune, commune_agent).get("/services/informatique/renouvellement/").content.decode()
    assert '<svg class="chart" role="img" aria-labelledby="prevision-title prevision-desc"' in body
    assert '<title id="prevision-title">Coût estimé des renouvellements par année — Gignac</title>' in body
    assert f"{year} : 1 équipement(s), 750,00" in body  # the description repeats the figures
    assert "<caption>Renouvellements prévus par année (données du graphique)</caption>" in body
    assert "Vieux PC" not in body  # retired
    assert "1 équipement hors garantie" in body and "1 équipement sur un système qui n'est plus mis à jour" in body
    assert "1 équipement sans date d'achat" in body
    assert "Plus mis à jour depuis le 14/10/2025" in body
    assert 'x="12,' not in body  # SVG coordinates are never localised


def test_forecast_exports(commune, commune_agent, informatique, client_on):
    from openpyxl import load_workbook

    year = timezone.localdate().year
    add_fleet(commune, year)
    client = client_on(commune, commune_agent)
    text = client.get("/services/informatique/renouvellement/export/excel/").content.decode("utf-8-sig")
    assert text.splitlines()[0] == "Année;Équipements à remplacer;Dont déjà en retard;Coût estimé HT"
    assert text.splitlines()[1] == f"{year};1;1;750,00"
    assert text.splitlines()[4] == f"{year + 3};1;0;900"  # the PC without value costs the type's default
    rows = list(
        load_workbook(
            io.BytesIO(client.get("/services/informatique/renouvellement/export/xlsx/").content)
        ).active.values
    )
    assert rows[1][:3] == (year, 1, 1)
    assets = client.get("/services/informatique/renouvellement/equipements/export/csv/").content.decode()
    assert "PC secrétariat,PC fixe,," in assets and ",2025-10-14,true" in assets
    assert client.get("/services/informatique/renouvellement/export/pdf/").status_code == 404


def test_the_community_forecast_reads_every_commune_in_one_query(commune, other_commune, informatique, client_on):
    year = timezone.localdate().year
    agent = make_user("technicien@cc.test")
    ServiceMembership.objects.create(user=agent, service="informatique", role="agent")
    client = client_on(None, agent)
    add_fleet(commune, year)
    add_fleet(other_commune, year)
    client.get("/services/informatique/renouvellement/")
    with CaptureQueriesContext(connection) as one:
        body = client.get("/services/informatique/renouvellement/").content.decode()
    assert "Gignac" in body and "Saint-André" not in body  # Saint-André does not subscribe yet
    enable_service(other_commune, "informatique", start=D(2020, 1, 1))
    client.get("/services/informatique/renouvellement/")
    with CaptureQueriesContext(connection) as two:
        body = client.get("/services/informatique/renouvellement/").content.decode()
    assert "Saint-André-de-Sangonis" in body
    assert len(two) == len(one)
    reads = [q["sql"] for q in two.captured_queries if "informatique_asset" in q["sql"]]
    assert len(reads) == 1 and " UNION ALL " in reads[0] and '"commune_34239".informatique_asset' in reads[0]
    assert 'role="img"' in body and "toutes communes" in body
    text = client.get("/services/informatique/renouvellement/export/excel/").content.decode("utf-8-sig")
    assert f"Gignac;34114;{year};1;1;750,00" in text and f"Saint-André-de-Sangonis;34239;{year + 3};1;0;900" in text


def test_many_communes_are_read_in_statements_of_a_few_schemas(commune, other_commune, informatique, monkeypatch):
    from mutualise import schemas
    from plugins.informatique import fleet

    year = timezone.localdate().year
    enable_service(other_commune, "informatique", start=D(2020, 1, 1))
    add_fleet(commune, year)
    add_fleet(other_commune, year)
    communes = [commune, other_commune]
    whole = fleet.fleet_groups(communes)
    monkeypatch.setattr(schemas, "RELATIONS_PER_STATEMENT", 1)  # as a thousand communes would be split by fifty
    with CaptureQueriesContext(connection) as split:
        assert fleet.fleet_groups(communes) == whole
    assert len([q for q in split.captured_queries if "informatique_asset" in q["sql"]]) == 2
    assert whole["34114"] and whole["34239"]


def test_a_commune_agent_cannot_see_the_community_forecast(commune, commune_agent, client_on):
    assert client_on(None, commune_agent).get("/services/informatique/renouvellement/").status_code == 403


def test_the_service_sets_lifetimes_and_costs_for_the_instance(commune, commune_agent, informatique, client_on):
    from mutualise.models import AuditEntry
    from plugins.informatique.reglages.models import DeviceType, instance_tables

    agent = make_user("technicien@cc.test")
    ServiceMembership.objects.create(user=agent, service="informatique", role="responsable")
    console = client_on(None, agent)
    page = console.get("/services/informatique/reglages/")
    assert page.status_code == 200 and 'value="5"' in page.content.decode()
    lifetimes, costs = instance_tables()
    data = {f"years_{k}": v for k, v in lifetimes.items()} | {f"cost_{k}": str(v) for k, v in costs.items()}
    bad = console.post("/services/informatique/reglages/", data | {"years_pc": "0", "cost_portable": "cher"})
    body = bad.content.decode()
    assert bad.status_code == 400 and "supérieure ou égale à 1" in body and "Saisissez un nombre." in body
    assert not DeviceType.objects.exists()
    assert (
        console.post("/services/informatique/reglages/", data | {"years_pc": "7", "cost_pc": "1 000"}).status_code
        == 302
    )
    assert DeviceType.objects.get(kind="pc").lifetime_years == 7 and DeviceType.objects.count() == 1
    entry = AuditEntry.objects.get(action="informatique.reglages.modifies")
    assert entry.after == {"pc": {"annees": 7, "cout": "1000"}}
    year = timezone.localdate().year
    add_fleet(commune, year)
    body = client_on(commune, commune_agent).get("/services/informatique/renouvellement/").content.decode()
    assert f"{year} : 0 équipement(s)" in body  # the 6-year-old PC is due next year now
    assert client_on(commune, commune_agent).post("/services/informatique/reglages/", data).status_code in (403, 404)
