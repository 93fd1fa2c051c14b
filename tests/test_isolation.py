"""Tenant isolation, proven route by route.

Every route of both URL configurations is requested by every kind of person, on the commune they belong to and on
another one, with the route's service enabled and disabled. The expected outcome comes from the route's declared
access policy through the table below, written independently of the code that enforces it. A route that declares
no policy fails the suite, so a new route is covered the day it is written.
"""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.urls import resolve
from django_tenants.utils import schema_context
from mutualise_exemple.models import Note

from mutualise.access import Policy, policy_of
from mutualise.accounts.models import CommuneMembership, ServiceMembership
from mutualise.accounts.tokens import issue_token
from mutualise.plugins import get_registry
from tenants.models import Subscription
from tests.conftest import make_user, sign_in
from tests.routes import all_routes, resolves_to_itself, urlconf_of

ROLES = (
    "anonyme",
    "lecteur",
    "agent",
    "referent",
    "agent_du_service",
    "agent_d_un_autre_service",
    "admin",
    "sans_role",
)
ALLOW, LOGIN, FORBIDDEN = "autorisé", "connexion", "interdit"
COMMUNE_ROLES = {"lecteur", "agent", "referent"}


def expected(policy: Policy, role: str, *, space: str, own: bool, enabled: bool, service: str | None) -> str:
    """What each person may do, by policy. ``own``: the host is the commune the person belongs to."""
    if policy is Policy.PUBLIC:
        return ALLOW
    if role == "anonyme":
        return LOGIN
    if space == "community":
        allowed = {
            Policy.SPACE: {"admin", "agent_du_service", "agent_d_un_autre_service"},
            Policy.PERSONAL: {"admin", "agent_du_service", "agent_d_un_autre_service"},
            Policy.SERVICE: {"admin", "agent_du_service"},
            Policy.REFERENT: {"admin"},
            Policy.ADMIN: {"admin"},
        }[policy]
        return ALLOW if role in allowed else FORBIDDEN
    if service is not None and not enabled:
        return FORBIDDEN  # a service the commune does not subscribe to is closed, whoever asks
    members = COMMUNE_ROLES if own else set()
    allowed = {
        # the other service stays enabled everywhere: its agents may enter every commune's space
        Policy.SPACE: members | {"admin", "agent_d_un_autre_service"} | ({"agent_du_service"} if enabled else set()),
        Policy.PERSONAL: members | {"admin", "agent_d_un_autre_service"} | ({"agent_du_service"} if enabled else set()),
        Policy.SERVICE: members | {"admin", "agent_du_service"},
        Policy.REFERENT: ({"referent"} if own else set()) | {"admin"},
        Policy.ADMIN: {"admin"},
    }[policy]
    return ALLOW if role in allowed else FORBIDDEN


def outcome_of(response) -> str:
    """What the access layer did: refused (and how), or let the view answer (whatever the view then said)."""
    assert response.status_code < 500, response.content[:2000]
    refused = getattr(response, "access_outcome", None)
    if refused == "login":
        assert response.status_code in (302, 401) and (
            response.status_code == 401 or response["Location"].startswith("/connexion/")
        )
        return LOGIN
    if refused == "forbidden":
        assert response.status_code == 403
        return FORBIDDEN
    return ALLOW


def service_of_route(route) -> str | None:
    return next((ns for ns in route.namespaces if ns in get_registry()), None)


def other_service(slug: str) -> str:
    return "urbanisme" if slug != "urbanisme" else "informatique"


@pytest.fixture
def people(commune):
    users = {
        "lecteur": make_user("lecteur@gignac.test"),
        "agent": make_user("agent-matrice@gignac.test"),
        "referent": make_user("referent@gignac.test"),
        "admin": make_user("admin@cc.test", is_staff=True),
        "sans_role": make_user("personne@ailleurs.test"),
    }
    for role in COMMUNE_ROLES:
        CommuneMembership.objects.create(user=users[role], commune=commune, role=role)
    for slug in get_registry().slugs:
        user = make_user(f"agent-{slug}@cc.test")
        ServiceMembership.objects.create(user=user, service=slug, role="agent")
        users[f"service:{slug}"] = user
    return users


def person(people: dict, role: str, service: str):
    if role == "agent_du_service":
        return people[f"service:{service}"]
    if role == "agent_d_un_autre_service":
        return people[f"service:{other_service(service)}"]
    return people.get(role)


def set_enabled(commune, slug: str, enabled: bool) -> None:
    Subscription.objects.filter(commune=commune, service=slug).delete()
    if enabled:
        Subscription.objects.create(commune=commune, service=slug, start_date=datetime.date(2020, 1, 1))


def test_every_route_declares_an_access_policy():
    undeclared = []
    for route in all_routes():
        path = route.path()
        assert resolves_to_itself(route, path), (route.name, path)
        if policy_of(resolve(path, urlconf_of(route))) is None:
            undeclared.append(f"{route.space} {route.name} ({path})")
    assert undeclared == [], "routes sans politique d'accès déclarée"


def test_isolation_matrix(commune, other_commune, people):
    with schema_context(commune.schema_name):
        note_id = str(Note.objects.create(text="note de Gignac").pk)
    clients: dict[tuple, Client] = {}

    def client(role: str, service: str, host: str) -> Client:
        user = person(people, role, service)
        key = (getattr(user, "pk", None), host)
        if key not in clients:
            clients[key] = Client(HTTP_HOST=host)
            if user is not None:
                sign_in(clients[key], user, host)
        return clients[key]

    checked, failures = 0, []
    for route in all_routes():
        path = route.path(pk=note_id, object_id=note_id)
        policy = policy_of(resolve(path, urlconf_of(route)))
        slug = service_of_route(route)
        service = slug or "exemple"
        if route.space == "commune":
            places = [(target, enabled) for target in (commune, other_commune) for enabled in (True, False)]
        else:
            places = [(None, True)]
        for target, enabled in places:
            if target is not None:
                set_enabled(target, service, enabled)
                set_enabled(target, other_service(service), True)
            host = target.host if target is not None else "localhost"
            for role in ROLES:
                want = expected(policy, role, space=route.space, own=target == commune, enabled=enabled, service=slug)
                got = outcome_of(client(role, service, host).get(path))
                checked += 1
                if got != want:
                    failures.append(
                        f"{route.space} {route.name} {host} service={'oui' if enabled else 'non'} "
                        f"{role}: {got}, attendu {want}"
                    )
    assert not failures, "\n".join(failures)
    assert checked > 1000


def test_lecteur_reads_but_does_not_write(commune, people, client_on):
    set_enabled(commune, "exemple", True)
    lecteur = client_on(commune, people["lecteur"])
    assert lecteur.get("/api/v1/exemple/notes/").status_code == 200
    assert lecteur.post("/api/v1/exemple/notes/", {"text": "x"}, content_type="application/json").status_code == 403
    agent = client_on(commune, people["agent"])
    assert agent.post("/api/v1/exemple/notes/", {"text": "x"}, content_type="application/json").status_code == 201
    # a lecteur still manages their own API tokens
    assert lecteur.post("/compte/jetons/", {"name": "Tableur"}).status_code == 200


# -- Commune A's data, asked for on commune B's host -------------------------------------------------------------


@pytest.fixture
def two_communes_with_data(commune, other_commune, people):
    marker_a, marker_b = f"MARQUEUR-A-{uuid.uuid4().hex}", f"MARQUEUR-B-{uuid.uuid4().hex}"
    ids = {}
    for target, marker in ((commune, marker_a), (other_commune, marker_b)):
        set_enabled(target, "exemple", True)
        with schema_context(target.schema_name):
            note = Note(text=marker)
            note.attachment.save(f"{marker}.txt", ContentFile(marker.encode()), save=False)
            note.save()
            ids[target.insee_code] = (note.pk, note.attachment.name)
    agent_b = make_user("agent@saint-andre.test")
    CommuneMembership.objects.create(user=agent_b, commune=other_commune, role="agent")
    return {"marker_a": marker_a, "marker_b": marker_b, "ids": ids, "agent_b": agent_b}


def commune_get_paths(note_ids, file_names) -> list[tuple[str, bool]]:
    paths = []
    for route in all_routes():
        if route.space != "commune":
            continue
        for note_id in note_ids:
            for file_name in file_names:
                paths.append((route.path(pk=str(note_id), name=file_name), route.is_api))
    return sorted(set(paths))


def test_commune_a_data_never_shows_on_commune_b(commune, other_commune, two_communes_with_data, people):
    data = two_communes_with_data
    a_id, a_file = data["ids"][commune.insee_code]
    b_id, b_file = data["ids"][other_commune.insee_code]
    guesses = {a_id, b_id, 1, 2, 3}
    paths = commune_get_paths(guesses, {a_file, b_file})

    b_agent = Client(HTTP_HOST=other_commune.host)
    sign_in(b_agent, data["agent_b"], other_commune.host)
    a_agent = Client(HTTP_HOST=commune.host)
    sign_in(a_agent, people["agent"], commune.host)
    replayed = Client(HTTP_HOST=other_commune.host)  # A's session cookie, copied onto B's host
    replayed.cookies = a_agent.cookies
    _, a_token = issue_token(people["agent"], "jeton de Gignac", commune)
    token_on_b = Client(HTTP_HOST=other_commune.host, HTTP_AUTHORIZATION=f"Bearer {a_token}")

    seen_b = 0
    for path, _is_api in paths:
        for label, visitor in (("agent de B", b_agent), ("cookie de A rejoué", replayed), ("jeton de A", token_on_b)):
            response = visitor.get(path)
            raw = b"".join(response.streaming_content) if response.streaming else response.content
            body = raw.decode(errors="replace")
            assert data["marker_a"] not in body, f"{label} voit une donnée de A sur {path}"
            assert response.status_code < 500, path
            seen_b += data["marker_b"] in body
    assert seen_b > 0, "B's own data was never shown: the check above could not have failed"


def test_replayed_session_gets_the_login_page(commune, other_commune, people, client_on):
    a_agent = client_on(commune, people["agent"])
    assert a_agent.get("/").status_code == 200
    replayed = Client(HTTP_HOST=other_commune.host)
    replayed.cookies = a_agent.cookies
    response = replayed.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/connexion/")


def test_token_works_only_on_its_own_space(commune, other_commune, people, two_communes_with_data):
    _, token = issue_token(people["agent"], "jeton", commune)
    own = Client(HTTP_HOST=commune.host, HTTP_AUTHORIZATION=f"Bearer {token}")
    listed = own.get("/api/v1/exemple/notes/")
    assert listed.status_code == 200 and two_communes_with_data["marker_a"] in listed.content.decode()
    for host in (other_commune.host, "localhost"):
        response = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {token}").get("/api/v1/exemple/notes/")
        assert response.status_code in (401, 404)
        assert two_communes_with_data["marker_a"] not in response.content.decode()


def test_files_are_served_only_on_their_commune(commune, other_commune, two_communes_with_data, people):
    a_id, a_file = two_communes_with_data["ids"][commune.insee_code]
    a_agent = Client(HTTP_HOST=commune.host)
    sign_in(a_agent, people["agent"], commune.host)
    own = a_agent.get(f"/fichiers/{a_file}")
    assert own.status_code == 200
    assert two_communes_with_data["marker_a"].encode() in b"".join(own.streaming_content)
    assert own["Content-Disposition"].startswith("attachment")
    b_agent = Client(HTTP_HOST=other_commune.host)
    sign_in(b_agent, two_communes_with_data["agent_b"], other_commune.host)
    for name in (
        a_file,
        f"../{commune.schema_name}/{a_file}",
        f"../../{commune.schema_name}/{a_file}",
        f"/{a_file}",
        f"%2e%2e/{commune.schema_name}/{a_file}",
    ):
        response = b_agent.get(f"/fichiers/{name}")
        assert response.status_code == 404, name
        assert two_communes_with_data["marker_a"].encode() not in response.content


def test_exports_contain_only_the_commune_s_rows(commune, other_commune, two_communes_with_data, people, client_on):
    response = client_on(other_commune, two_communes_with_data["agent_b"]).get("/services/exemple/export.csv")
    body = response.content.decode("utf-8-sig")
    assert response.status_code == 200
    assert two_communes_with_data["marker_b"] in body
    assert two_communes_with_data["marker_a"] not in body


def test_cache_keys_are_per_commune(commune, other_commune):
    with schema_context(commune.schema_name):
        cache.set("tableau-de-bord", "données de Gignac")
        assert cache.get("tableau-de-bord") == "données de Gignac"
    with schema_context(other_commune.schema_name):
        assert cache.get("tableau-de-bord") is None
        cache.set("tableau-de-bord", "données de Saint-André")
    with schema_context(commune.schema_name):
        assert cache.get("tableau-de-bord") == "données de Gignac"
    assert connection.schema_name == "public"
