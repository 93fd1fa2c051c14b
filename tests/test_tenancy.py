"""Tenant resolution by host: exact, case-insensitive, port-blind, French 404 for the unknown, no query once warm."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from tenants import resolution
from tenants.models import DirectoryVersion, Domain
from tests.conftest import sign_in


@pytest.mark.parametrize(
    "host", ["inconnue.localhost", "gignac.autre-domaine.fr", "evil.example:8000", "localhost.evil"]
)
def test_unknown_host_gets_a_french_404_page(db, client_on, host):
    response = client_on(None).get("/", HTTP_HOST=host)
    assert response.status_code == 404
    assert "Adresse inconnue" in response.content.decode()
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "host", ["gignac.localhost", "GIGNAC.LOCALHOST", "Gignac.Localhost:8000", "gignac.localhost:1234"]
)
def test_host_matching_ignores_case_and_port(commune, commune_agent, client_on, host):
    response = client_on(commune, commune_agent).get("/", HTTP_HOST=host)
    assert response.status_code == 200
    assert response.wsgi_request.commune == commune
    assert "Commune de Gignac" in response.content.decode()


def test_each_host_reaches_its_own_schema(commune, other_commune, community_admin, client_on):
    for target in (commune, other_commune):
        response = client_on(target, community_admin).get("/")
        assert response.status_code == 200
        assert response.wsgi_request.tenant.schema_name == target.schema_name
    response = client_on(None, community_admin).get("/")
    assert response.wsgi_request.commune is None
    assert response.wsgi_request.tenant.schema_name == "public"


def test_resolution_costs_no_query_once_warm(commune):
    resolution.resolve(commune.host)  # warm
    with CaptureQueriesContext(connection) as queries:
        for _ in range(50):
            assert resolution.resolve(commune.host.upper() + ":8000") == commune
            assert resolution.resolve("inconnue.localhost") is None
    assert len(queries) == 0


def test_a_warm_request_spends_no_query_on_its_tenant(commune, client_on):
    client = client_on(commune)
    client.get("/sante/")  # warm the host map and the connection's schema
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/sante/")
    assert response.status_code == 200
    assert [q["sql"] for q in queries] == []


def test_a_new_domain_is_served_at_once(commune, commune_agent, client_on):
    resolution.resolve(commune.host)  # the map is warm and does not know the new host yet
    Domain.objects.create(tenant=commune, domain="mairie-gignac.localhost", is_primary=False)
    client = client_on(None)
    sign_in(client, commune_agent, "mairie-gignac.localhost")
    response = client.get("/", HTTP_HOST="mairie-gignac.localhost")
    assert response.status_code == 200
    assert response.wsgi_request.commune == commune


def test_other_processes_reload_when_the_version_moves(commune, settings):
    settings.MUTUALISE_TENANT_CACHE_CHECK_SECONDS = 0
    resolution.resolve(commune.host)
    with CaptureQueriesContext(connection) as unchanged:
        resolution.resolve(commune.host)
    assert len(unchanged) == 1  # the version check, and nothing else
    DirectoryVersion.objects.update(version=F("version") + 1)  # what another process's change leaves behind
    with CaptureQueriesContext(connection) as reloaded:
        assert resolution.resolve(commune.host) == commune
    assert len(reloaded) == 3  # version, domains with their communes, the instance's name


def test_a_change_bumps_the_version_in_the_same_transaction(commune):
    before = DirectoryVersion.objects.get().version
    Domain.objects.create(tenant=commune, domain="autre.localhost", is_primary=False)
    assert DirectoryVersion.objects.get().version == before + 1


def test_community_console_is_on_the_base_domain(intercommunality, commune, other_commune, community_admin, client_on):
    response = client_on(None, community_admin).get("/communes/")
    body = response.content.decode()
    assert response.status_code == 200
    assert "CC Vallée de l&#x27;Hérault" in body or "CC Vallée de l'Hérault" in body
    assert "Gignac" in body and "Saint-André-de-Sangonis" in body


def test_a_warm_commune_page_spends_no_statement_on_tenancy(commune, commune_agent, client_on):
    client = client_on(commune, commune_agent)
    client.get("/")
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/").status_code == 200
    statements = [q["sql"] for q in queries]
    assert not [s for s in statements if "search_path" in s or "tenants_domain" in s or "tenants_commune" in s]
    # session, user, the user's rights, the commune's services, its pending requests, its recent activity
    assert len(statements) == 6, statements
