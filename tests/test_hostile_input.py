"""Hostile input: spoofed hosts, SQL and schema names where identifiers go, odd login payloads.

Each gets a clear 4xx answer in French, never a 500, and changes nothing.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

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
