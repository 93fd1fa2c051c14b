"""Enabling and disabling a service: pages, API, menus, tasks and bilan follow; data and history are kept."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context
from mutualise_exemple import plugin as exemple_plugin
from mutualise_exemple.models import Note

from mutualise.bilan import bilan_sections
from mutualise.models import AuditEntry
from mutualise.services import enabled_services, is_service_enabled
from mutualise.tasks import run_service_task
from tenants.models import Subscription
from tenants.subscriptions import disable_service, enable_service


@pytest.fixture
def gignac_exemple(commune, community_admin):
    return enable_service(
        commune,
        "exemple",
        start=datetime.date(2020, 1, 1),
        convention_reference="CONV-1",
        actor=community_admin,
        reason="Adhésion votée",
    )


def test_disabled_service_pages_answer_service_non_souscrit(commune, commune_agent, client_on):
    response = client_on(commune, commune_agent).get("/services/informatique/")
    assert response.status_code == 403
    body = response.content.decode()
    assert "Service non souscrit" in body
    assert "Informatique" in body and "Gignac" in body


def test_disabled_service_api_answers_json_403(commune, commune_agent, client_on):
    response = client_on(commune, commune_agent).get("/api/v1/exemple/notes/")
    assert response.status_code == 403
    assert response.json()["code"] == "service_non_souscrit"
    assert "n'est pas souscrit" in response.json()["detail"]


def test_enabled_service_pages_and_api_work(gignac_exemple, commune, commune_agent, client_on):
    client = client_on(commune, commune_agent)
    assert client.get("/services/exemple/").status_code == 200
    created = client.post("/api/v1/exemple/notes/", {"text": "première note"}, content_type="application/json")
    assert created.status_code == 201
    assert client.get("/api/v1/exemple/notes/").json()["results"] == [
        {"id": created.json()["id"], "text": "première note"}
    ]


def test_enabled_for_one_commune_only(gignac_exemple, commune, other_commune, community_admin, client_on):
    assert client_on(commune, community_admin).get("/services/exemple/").status_code == 200
    assert client_on(other_commune, community_admin).get("/services/exemple/").status_code == 403


def test_disabling_keeps_the_data_and_enabling_restores_it(gignac_exemple, commune, commune_agent, client_on):
    client = client_on(commune, commune_agent)
    client.post("/api/v1/exemple/notes/", {"text": "à garder"}, content_type="application/json")
    disable_service(commune, "exemple", reason="Fin de convention")
    assert client.get("/services/exemple/").status_code == 403
    with schema_context(commune.schema_name):
        assert Note.objects.filter(text="à garder").exists()
    enable_service(commune, "exemple", reason="Nouvelle convention")
    response = client.get("/services/exemple/")
    assert response.status_code == 200
    assert "à garder" in response.content.decode()


def test_menu_shows_enabled_services_only(commune, commune_agent, client_on):
    client = client_on(commune, commune_agent)
    assert 'href="/services/exemple/"' not in client.get("/").content.decode()
    enable_service(commune, "exemple")
    body = client.get("/").content.decode()
    assert 'href="/services/exemple/"' in body


def test_one_query_answers_which_services_are_enabled(gignac_exemple, commune, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert enabled_services(commune) == {"exemple"}


def test_dates_bound_a_subscription(commune):
    today = timezone.localdate()
    enable_service(commune, "informatique", start=today + datetime.timedelta(days=10))
    assert not is_service_enabled(commune, "informatique")
    assert is_service_enabled(commune, "informatique", on=today + datetime.timedelta(days=10))


def test_history_and_audit_are_kept(gignac_exemple, commune, community_admin):
    disable_service(
        commune, "exemple", end=datetime.date(2024, 12, 31), actor=community_admin, reason="Fin de convention"
    )
    enable_service(commune, "exemple", start=datetime.date(2025, 1, 1), actor=community_admin, reason="Reprise")
    history = list(Subscription.objects.filter(commune=commune, service="exemple").order_by("start_date"))
    assert [(s.active, s.start_date, s.end_date) for s in history] == [
        (False, datetime.date(2020, 1, 1), datetime.date(2024, 12, 31)),
        (True, datetime.date(2025, 1, 1), None),
    ]
    entries = list(AuditEntry.objects.filter(commune=commune, service="exemple").order_by("id"))
    assert [e.action for e in entries] == [
        "souscription.activee",
        "souscription.desactivee",
        "souscription.activee",
    ]
    closing = entries[1]
    assert closing.actor == community_admin and closing.reason == "Fin de convention"
    assert closing.before["active"] is True and closing.after["active"] is False
    assert closing.after["end_date"] == "2024-12-31"


def test_enabling_twice_changes_nothing(gignac_exemple, commune):
    assert enable_service(commune, "exemple") == gignac_exemple
    assert Subscription.objects.filter(commune=commune, service="exemple").count() == 1


def test_unknown_service_cannot_be_enabled(commune):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        enable_service(commune, "inexistant")


def test_plugin_hears_enable_and_disable_after_commit(commune, django_capture_on_commit_callbacks):
    exemple_plugin.events.clear()
    with django_capture_on_commit_callbacks(execute=True):
        enable_service(commune, "exemple")
        assert exemple_plugin.events == []  # nothing before commit
    with django_capture_on_commit_callbacks(execute=True):
        disable_service(commune, "exemple")
    assert exemple_plugin.events == [("enabled", "34114"), ("disabled", "34114")]


def test_periodic_tasks_run_only_where_the_service_is_enabled(gignac_exemple, commune, other_commune):
    ran = run_service_task("exemple", "mutualise_exemple.tasks.count_notes")
    assert ran == ["34114"]
    with schema_context(commune.schema_name):
        assert list(Note.objects.values_list("text", flat=True)) == ["tâche périodique dans commune_34114"]
    with schema_context(other_commune.schema_name):
        assert Note.objects.count() == 0
    assert connection.schema_name == "public"


def test_bilan_sections_leave_out_communes_that_did_not_subscribe(gignac_exemple, commune, other_commune):
    year = timezone.localdate().year
    by_service = {b.service.slug: b for b in bilan_sections(year)}
    assert "informatique" not in by_service  # nobody subscribes to it
    exemple = by_service["exemple"]
    assert [c.insee_code for c in exemple.communes] == ["34114"]
    assert set(exemple.section.per_commune) == {"34114"}
    assert "exemple" not in {b.service.slug for b in bilan_sections(2019)}  # before the subscription started


def test_navigation_entries_can_be_limited_to_roles(commune, commune_agent, client_on, monkeypatch):
    from mutualise.contract import NavEntry
    from mutualise.plugins import get_registry

    enable_service(commune, "exemple")
    impl = next(i for i in get_registry().pm.hook.mutualise_navigation.get_hookimpls() if i.plugin_name == "exemple")
    monkeypatch.setattr(
        impl,
        "function",
        lambda request, space: [
            NavEntry(label="Pour tous", url_name="index"),
            NavEntry(label="Réservé aux référents", url_name="index", roles=frozenset({"referent"})),
        ],
    )
    body = client_on(commune, commune_agent).get("/").content.decode()
    assert "Pour tous" in body and "Réservé aux référents" not in body
    from mutualise.accounts.models import CommuneMembership
    from tests.conftest import make_user

    referent = make_user("referente@gignac.test")
    CommuneMembership.objects.create(user=referent, commune=commune, role="referent")
    assert "Réservé aux référents" in client_on(commune, referent).get("/").content.decode()
