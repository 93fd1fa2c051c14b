"""Fixtures on a real PostgreSQL: the intercommunality, two communes with their schemas, people, and clients.

The test database, its schemas and the commune template are created once per session; each test runs in a
transaction rolled back at its end.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client

from mutualise.accounts.models import CommuneMembership, CommuneRole, User
from mutualise.accounts.sessions import bind_session
from mutualise.referential import POPULATION_YEAR, get_epci
from tenants import resolution
from tenants.models import Commune, Intercommunality
from tenants.setup import add_commune

CCVH = "243400694"
GIGNAC, SAINT_ANDRE = "34114", "34239"
PASSWORD = "mot-de-passe-de-test"


def _referential_commune(insee_code: str):
    return next(c for c in get_epci(CCVH).communes if c.insee_code == insee_code)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """The session's data: CC Vallée de l'Hérault with two of its communes, schemas cloned from the template."""
    with django_db_blocker.unblock():
        Intercommunality.objects.create(
            name="CC Vallée de l'Hérault", siren=CCVH, nature="CC", base_domain="localhost:8000"
        )
        for code in (GIGNAC, SAINT_ANDRE):
            item = _referential_commune(code)
            add_commune(
                insee_code=item.insee_code,
                name=item.name,
                siren=item.siren,
                departement=item.departement,
                postal_codes=item.postal_codes,
                population=item.population,
                population_year=POPULATION_YEAR,
            )
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _fresh_state(request):
    """Every test starts on the public schema with a fresh host map, whatever the previous one did."""
    resolution.reset()
    if "django_db_setup" in request.fixturenames or "db" in request.fixturenames:
        connection.set_schema_to_public()
    yield
    resolution.reset()
    connection.set_schema_to_public()


@pytest.fixture
def intercommunality(db) -> Intercommunality:
    return Intercommunality.objects.get(siren=CCVH)


@pytest.fixture
def commune(db) -> Commune:
    """Gignac."""
    return Commune.objects.get(insee_code=GIGNAC)


@pytest.fixture
def other_commune(db) -> Commune:
    """Saint-André-de-Sangonis."""
    return Commune.objects.get(insee_code=SAINT_ANDRE)


def make_user(email: str, **fields) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, **fields)


@pytest.fixture
def commune_agent(commune) -> User:
    """An agent of Gignac."""
    user = make_user("agent@gignac.test", first_name="Julie", last_name="Agent")
    CommuneMembership.objects.create(user=user, commune=commune, role=CommuneRole.AGENT)
    return user


@pytest.fixture
def community_admin(db) -> User:
    return make_user("dgs@cc.test", is_staff=True, is_superuser=True)


def sign_in(client: Client, user: User, host: str) -> None:
    """Open a session for ``user`` on ``host``, as a login on that host's page would."""
    client.force_login(user)
    session = client.session
    bind_session(session, host)
    session.save()


def host_of(commune: Commune | None) -> str:
    return commune.host if commune is not None else "localhost"


@pytest.fixture
def client_on():
    """``client_on(commune_or_None, user=None)``: a browser-like client on that commune's host (or the console's)."""

    def make(commune: Commune | None, user: User | None = None) -> Client:
        client = Client(HTTP_HOST=host_of(commune))
        if user is not None:
            sign_in(client, user, host_of(commune))
        return client

    return make
