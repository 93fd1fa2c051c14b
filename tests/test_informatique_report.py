"""Informatique dashboard cards, bilan section and activity units, from real demandes, assets and contracts."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from mutualise.demandes import services
from mutualise.demandes.models import Demande
from mutualise.demandes.rules import Status
from mutualise.models import DemandeIndex
from plugins.informatique import report, rules
from plugins.informatique.models import Asset, Contract, SchemaAction
from tenants.subscriptions import enable_service
from tests.conftest import make_user

D = datetime.date
UTC = datetime.UTC


@pytest.fixture
def informatique(commune):
    return enable_service(commune, "informatique", start=D(2020, 1, 1))


def at(day: int, hour: int = 10):
    return datetime.datetime(2026, 3, day, hour, tzinfo=UTC)


def test_sla_outcome():
    now = at(20)
    assert rules.sla_outcome(at(2), at(3), at(2, 12), at(4), now) is True
    assert rules.sla_outcome(at(2, 13), at(3), at(2, 12), at(4), now) is False  # taken late
    assert rules.sla_outcome(at(2), at(5), at(2, 12), at(4), now) is False  # solved late
    assert rules.sla_outcome(None, None, at(21), at(25), now) is None  # open, not late yet
    assert rules.sla_outcome(at(2), None, at(2, 12), at(4), now) is False  # open and already late
    assert rules.share_met([True, True, False, None]) == 66.7
    assert rules.share_met([None]) is None


def open_demandes(commune, requester, agent):
    """Three demandes: one solved, one open, one solved late (its deadline moved back)."""
    with schema_context(commune.schema_name):
        made = []
        for title, category in (
            ("Imprimante bloquée", "impression"),
            ("Messagerie lente", "messagerie"),
            ("Poste de l'accueil", "poste"),
        ):
            made.append(
                services.create(
                    commune,
                    service="informatique",
                    kind="incident",
                    title=title,
                    description="Constat de la mairie.",
                    requester=requester,
                    category=category,
                    urgency=4,
                    impact=3,
                )
            )
        services.assign(commune, made[0], agent, by=agent)
        services.move(commune, made[0], Status.SOLVED, by=agent)
        services.add_time(commune, made[0], agent=agent, date=timezone.localdate(), minutes=90)
        late = made[2]
        past = timezone.now() - datetime.timedelta(days=3)
        Demande.objects.filter(pk=late.pk).update(take_charge_due=past, resolve_due=past)
        late.refresh_from_db()
        services.move(commune, late, Status.SOLVED, by=agent)
        return made


def test_dashboard_cards(commune, commune_agent, informatique, client_on):
    agent = make_user("technicien@cc.test")
    open_demandes(commune, commune_agent, agent)
    today = timezone.localdate()
    with schema_context(commune.schema_name):
        Asset.objects.create(name="Vieux PC", kind="pc", purchase_date=D(today.year - 7, 1, 1))
        Asset.objects.create(name="PC neuf", kind="pc", purchase_date=today)
    client = client_on(commune, commune_agent)
    home = client.get("/").content.decode()
    assert 'hx-get="/services/informatique/tableau-de-bord/demandes/"' in home
    assert 'hx-get="/services/informatique/tableau-de-bord/renouvellement/"' in home
    card = client.get("/services/informatique/tableau-de-bord/demandes/").content.decode()
    assert "1 demande en cours." in card and "50" in card and "(3 demandes)" in card
    card = client.get("/services/informatique/tableau-de-bord/renouvellement/").content.decode()
    assert f"1 équipement à renouveler en {today.year}" in card and "dont 1 déjà en retard" in card


def test_bilan_section(commune, other_commune, commune_agent, informatique):
    agent = make_user("technicien@cc.test")
    open_demandes(commune, commune_agent, agent)
    year = timezone.localdate().year
    with schema_context(commune.schema_name):
        Asset.objects.create(name="PC", kind="pc", purchase_date=D(year - 4, 1, 1))
        Asset.objects.create(name="Portable", kind="portable", purchase_date=D(year - 2, 1, 1))
        Asset.objects.create(name="Réformé", kind="pc", purchase_date=D(2000, 1, 1), status="reforme")
        Contract.objects.create(
            kind="maintenance",
            supplier="Info34",
            subject="Maintenance",
            start_date=D(year - 1, 1, 1),
            end_date=D(year - 1, 12, 31),
            tacit_renewal=True,
            renewal_months=12,
            notice_months=2,
            annual_amount=Decimal("1200"),
        )
        SchemaAction.objects.create(
            title="Sauvegarde",
            category="sauvegarde",
            year=year,
            status="realisee",
            estimated_cost=Decimal("800"),
            actual_cost=Decimal("750"),
        )
        SchemaAction.objects.create(title="Wi-Fi", category="reseau", year=year, estimated_cost=Decimal("3000"))
    section = report.bilan_section(year, [commune, other_commune])
    figures = {i.label: i.value for i in section.indicators}
    assert figures["Communes adhérentes"] == 2
    assert figures["Demandes reçues"] == 3
    assert figures["Demandes — Impression"] == 1 and figures["Demandes — Messagerie"] == 1
    assert figures["Demandes — P2 – haute"] == 3
    assert figures["Niveaux de service respectés"] == 50.0
    assert "Délai moyen de résolution" in figures
    assert figures["Équipements gérés"] == 2
    assert 2.5 < figures["Âge moyen du parc"] < 4.5
    assert figures["Dépenses — contrats"] == Decimal("1200.00")
    assert figures["Dépenses — schéma directeur réalisé"] == Decimal("750")
    assert figures["Dépenses totales"] == Decimal("1950.00")
    gignac = {i.label: i.value for i in section.per_commune["34114"]}
    assert gignac["Demandes reçues"] == 3 and gignac["Équipements gérés"] == 2
    other = {i.label: i.value for i in section.per_commune["34239"]}
    assert other["Demandes reçues"] == 0 and other["Équipements gérés"] == 0


def test_contract_costs_pro_rata():
    term = rules.Term(D(2026, 6, 30), notice_months=1)
    assert rules.cost_in_year(term, D(2026, 1, 1), Decimal("365"), 2026) == Decimal("181.00")
    assert rules.cost_in_year(term, D(2026, 1, 1), Decimal("365"), 2027) == 0
    renewing = rules.Term(D(2026, 6, 30), tacit_renewal=True, renewal_months=12, notice_months=1)
    assert rules.cost_in_year(renewing, D(2026, 1, 1), Decimal("365"), 2030) == Decimal("365.00")
    denounced = rules.Term(D(2026, 6, 30), True, 12, 1, denounced_on=D(2027, 5, 1))
    assert rules.final_end(denounced) == D(2027, 6, 30)
    assert rules.next_notice_deadline(denounced, D(2027, 1, 1)) is None
    late = rules.Term(D(2026, 6, 30), True, 12, 1, denounced_on=D(2027, 6, 15))  # after the 31/05 deadline
    assert rules.final_end(late) == D(2028, 6, 30)


def test_activity_units(commune, commune_agent, informatique):
    agent = make_user("technicien@cc.test")
    open_demandes(commune, commune_agent, agent)
    today = timezone.localdate()
    with schema_context(commune.schema_name):
        Asset.objects.create(name="PC", kind="pc")
        units = {u.code: u.quantity for u in report.activity_units(today.replace(day=1), today)}
    assert units == {"equipements_geres": 1, "demandes": 3, "heures_intervention": Decimal("1.50")}
    assert DemandeIndex.objects.filter(service="informatique").count() == 3
