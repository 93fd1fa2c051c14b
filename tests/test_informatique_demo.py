"""Informatique demo data: a fleet sized by population, contracts, schéma directeur, demandes with their index."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from mutualise.accounts.models import ServiceMembership
from mutualise.demandes.models import Demande, Message, TimeEntry
from mutualise.models import DemandeIndex
from plugins.informatique import demo
from plugins.informatique.models import Asset, Contract, SchemaAction
from tenants.subscriptions import enable_service
from tests.conftest import make_user


@pytest.mark.parametrize(("population", "low", "high"), [(107, 3, 4), (624, 3, 6), (6651, 38, 45), (1_000_000, 45, 45)])
def test_fleet_size_follows_population(population, low, high):
    assert low <= demo.fleet_size(population) <= high


def test_demo_data_of_a_commune(commune, commune_agent):
    enable_service(commune, "informatique", start=datetime.date(2016, 9, 1))
    technician = make_user("technicien@cc.test")
    ServiceMembership.objects.create(user=technician, service="informatique", role="agent")
    with schema_context(commune.schema_name):
        with CaptureQueriesContext(connection) as queries:
            demo.create(commune)
        assert len(queries) < 40  # bulk writes: a handful of statements whatever the size of the commune
        assert 38 <= Asset.objects.count() <= 45
        assert Contract.objects.count() >= 5 and SchemaAction.objects.count() >= 4
        demandes = list(Demande.objects.filter(service="informatique"))
        assert len(demandes) == len(demo.PATHS)
        assert {d.status for d in demandes} == {"nouvelle", "attribuee", "planifiee", "en_attente", "resolue", "close"}
        assert all(d.requester_id == commune_agent.pk for d in demandes)
        assert Message.objects.exists() and TimeEntry.objects.exists()
        assert all(d.created_at < d.solved_at for d in demandes if d.solved_at)
        ids = {d.pk: d for d in demandes}
        demo.create(commune)  # twice: nothing more
        assert Demande.objects.count() == len(demandes) and Asset.objects.count() <= 45
    rows = DemandeIndex.objects.filter(commune=commune, service="informatique")
    assert {r.demande_id for r in rows} == set(ids)
    for row in rows:
        assert (row.status, row.created_at) == (ids[row.demande_id].status, ids[row.demande_id].created_at)
    assert any(row.resolve_breached for row in rows) or any(not row.resolve_breached for row in rows)
