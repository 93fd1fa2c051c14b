"""ProConnect login (OpenID Connect), against a real provider started by the test.

oidc-provider-mock runs a genuine OpenID provider (discovery, JWKS, authorization code flow, RS256 ID tokens) in a
thread. Each test drives the whole flow: Django's test client asks our login route, ``requests`` plays the browser
at the provider (whose authorization form takes the subject; the claims are set beforehand through its API), and the
client brings the code back to our callback, whose backend then talks to the provider's token and userinfo
endpoints for real.
"""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from django.test import Client
from oidc_provider_mock import run_server_in_thread

from mutualise.accounts.models import CommuneMembership, CommuneRole, ServiceMembership, User
from mutualise.accounts.oidc import ENDPOINTS, discover
from mutualise.accounts.sessions import SESSION_HOST_KEY
from mutualise.models import AuditEntry
from mutualise.settings import oidc_settings
from tests.conftest import CCVH, PASSWORD

# The mock's own calls to deprecated authlib functions: not ours to fix.
pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning:authlib.*")

GIGNAC_SIRET = "21340114400019"  # SIREN 213401144 (Gignac) followed by an establishment number


@pytest.fixture(scope="module")
def provider():
    """The issuer URL of an OpenID provider running for this module."""
    with run_server_in_thread() as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def proconnect(settings, provider):
    """ProConnect switched on, with the very settings MUTUALISE_OIDC_* would give (discovery included)."""
    for name, value in oidc_settings("mutualise-test", "secret-de-test", provider).items():
        setattr(settings, name, value)
    # ProConnect releases each claim under a scope of its name; the mock follows OpenID Connect's standard scopes,
    # where given_name comes with "profile" (usual_name, siret and siren, non-standard, come with any scope).
    settings.OIDC_RP_SCOPES += " profile"
    # The mock signs with its only key and names none in the token header; ProConnect names it (``kid``).
    settings.OIDC_VERIFY_KID = False
    return provider


def proconnect_login(client: Client, provider: str, *, sub: str, claims: dict, deny: bool = False):
    """Sign in through the provider as ``sub`` with ``claims``; the answer of our callback."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302
    authorize_url = start["Location"]
    assert authorize_url.startswith(f"{provider}/oauth2/authorize?")
    requests.put(f"{provider}/users/{sub}", json=claims, timeout=10).raise_for_status()
    form = {"action": "deny"} if deny else {"sub": sub}
    answer = requests.post(authorize_url, data=form, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    callback = urlsplit(answer.headers["Location"])
    # The redirect URI was built from the host the person came from.
    assert (
        f"{callback.scheme}://{callback.netloc}{callback.path}"
        == f"http://{client.defaults['HTTP_HOST']}/oidc/callback/"
    )
    return client.get(callback.path, dict(parse_qsl(callback.query)))


def signed_in_user(client: Client) -> User | None:
    response = client.get("/sante/")
    user = response.wsgi_request.user
    return user if user.is_authenticated else None


def marie(**claims) -> dict:
    return {"email": "Marie.Dupont@gignac.fr", "given_name": "Marie", "usual_name": "Dupont", **claims}


def test_first_login_creates_an_agent_of_the_commune_of_the_siret(proconnect, commune):
    assert GIGNAC_SIRET[:9] == commune.siren == "213401144"
    client = Client(HTTP_HOST="gignac.localhost")
    response = proconnect_login(client, proconnect, sub="marie", claims=marie(siret=GIGNAC_SIRET))

    assert response.status_code == 302 and response["Location"] == "/"
    user = User.objects.get(email__iexact="marie.dupont@gignac.fr")
    assert (user.first_name, user.last_name, user.has_usable_password()) == ("Marie", "Dupont", False)
    assert CommuneMembership.objects.get(user=user).commune == commune
    assert CommuneMembership.objects.get(user=user).role == CommuneRole.AGENT
    assert signed_in_user(client) == user
    assert client.session[SESSION_HOST_KEY] == "gignac.localhost"  # the user_logged_in signal ran
    home = client.get("/")
    assert home.status_code == 200 and "Commune de Gignac" in home.content.decode()
    actions = set(AuditEntry.objects.filter(actor=user).values_list("action", flat=True))
    assert {"connexion", "connexion.oidc"} <= actions
    entry = AuditEntry.objects.get(actor=user, action="connexion.oidc")
    assert entry.after == {"siren": "213401144", "commune": "Gignac", "role": "agent"}


def test_a_second_login_reuses_the_account_and_keeps_its_role(proconnect, commune):
    proconnect_login(Client(HTTP_HOST="gignac.localhost"), proconnect, sub="marie", claims=marie(siret=GIGNAC_SIRET))
    user = User.objects.get(email__iexact="marie.dupont@gignac.fr")
    CommuneMembership.objects.filter(user=user).update(role=CommuneRole.REFERENT)

    client = Client(HTTP_HOST="gignac.localhost")
    claims = marie(email="MARIE.DUPONT@GIGNAC.FR", siren="213401144")  # same address, other case; siren claim
    response = proconnect_login(client, proconnect, sub="marie-2", claims=claims)

    assert response.status_code == 302
    assert User.objects.filter(email__iexact="marie.dupont@gignac.fr").count() == 1
    assert signed_in_user(client) == user
    assert CommuneMembership.objects.get(user=user).role == CommuneRole.REFERENT  # never downgraded


@pytest.mark.parametrize(
    ("claim", "value", "logged"),
    [("siret", "99999999900012", "aucun rôle"), ("siren", CCVH, "intercommunalité")],
    ids=["siren-inconnu", "intercommunalite"],
)
def test_an_organisation_that_is_no_commune_gives_no_role_and_no_session(
    proconnect, commune, caplog, claim, value, logged
):
    client = Client(HTTP_HOST="gignac.localhost")
    with caplog.at_level(logging.INFO, logger="mutualise"):
        response = proconnect_login(
            client, proconnect, sub="paul", claims={"email": "paul@ailleurs.fr", "usual_name": "Martin", claim: value}
        )

    assert response.status_code == 302 and response["Location"] == "/connexion/"
    user = User.objects.get(email="paul@ailleurs.fr")
    assert not CommuneMembership.objects.filter(user=user).exists()
    assert logged in caplog.text
    assert signed_in_user(client) is None
    assert "Ce compte n&#x27;a pas accès à cet espace" in client.get("/connexion/").content.decode()


def test_an_agent_of_the_intercommunality_signs_in_on_the_console(proconnect, commune):
    paul = User.objects.create_user(email="paul@cc-vallee-herault.fr")
    ServiceMembership.objects.create(user=paul, service="informatique", role="agent")
    client = Client(HTTP_HOST="localhost")
    response = proconnect_login(
        client, proconnect, sub="paul", claims={"email": "paul@cc-vallee-herault.fr", "siren": CCVH}
    )
    assert response.status_code == 302
    assert signed_in_user(client) == paul and client.session[SESSION_HOST_KEY] == "localhost"
    assert not CommuneMembership.objects.filter(user=paul).exists()
    # The session belongs to the console's host: on a commune's host the person is not signed in.
    assert signed_in_user(Client(HTTP_HOST="gignac.localhost")) is None


def test_an_unreachable_provider_leaves_the_local_login_working(settings, commune_agent):
    for name, value in oidc_settings("mutualise-test", "secret", "http://127.0.0.1:9").items():
        setattr(settings, name, value)
    client = Client(HTTP_HOST="gignac.localhost")
    response = client.get("/oidc/authenticate/")
    assert response.status_code == 302 and response["Location"] == "/connexion/"
    assert "ProConnect est momentanément indisponible" in client.get("/connexion/").content.decode()
    assert client.post("/connexion/", {"username": commune_agent.email, "password": PASSWORD}).status_code == 302
    assert signed_in_user(client) == commune_agent


def test_a_refusal_at_the_provider_returns_to_the_login_page(proconnect, commune):
    client = Client(HTTP_HOST="gignac.localhost")
    response = proconnect_login(client, proconnect, sub="marie", claims=marie(siret=GIGNAC_SIRET), deny=True)

    assert response.status_code == 302 and response["Location"] == "/connexion/"
    assert "La connexion avec ProConnect n&#x27;a pas abouti." in client.get("/connexion/").content.decode()
    assert signed_in_user(client) is None
    assert not User.objects.filter(email__iexact="marie.dupont@gignac.fr").exists()


def test_a_deactivated_account_is_refused_and_granted_nothing(proconnect, commune):
    User.objects.create_user(email="marie.dupont@gignac.fr", is_active=False)
    client = Client(HTTP_HOST="gignac.localhost")
    response = proconnect_login(client, proconnect, sub="marie", claims=marie(siret=GIGNAC_SIRET))

    assert response.status_code == 302 and response["Location"] == "/connexion/"
    assert signed_in_user(client) is None
    assert not CommuneMembership.objects.filter(user__email="marie.dupont@gignac.fr").exists()


def test_a_token_from_another_issuer_is_refused(proconnect, settings, commune, caplog):
    for setting, name in ENDPOINTS.items():  # the same provider, configured by hand under another issuer's name
        setattr(settings, setting, discover(proconnect)[name])
    settings.MUTUALISE_OIDC_ISSUER = "https://autre-fournisseur.example"
    client = Client(HTTP_HOST="gignac.localhost")
    response = proconnect_login(client, proconnect, sub="marie", claims=marie(siret=GIGNAC_SIRET))

    assert response.status_code == 302 and response["Location"] == "/connexion/"
    assert "autre émetteur" in caplog.text
    assert signed_in_user(client) is None
    assert not User.objects.filter(email__iexact="marie.dupont@gignac.fr").exists()


def test_the_local_login_stays_next_to_proconnect(proconnect, commune_agent):
    client = Client(HTTP_HOST="gignac.localhost")
    page = client.get("/connexion/").content.decode()
    assert "S'identifier avec ProConnect" in page and 'href="/oidc/authenticate/"' in page

    response = client.post("/connexion/", {"username": commune_agent.email, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user(client) == commune_agent


def test_without_configuration_proconnect_is_absent(commune_agent):
    client = Client(HTTP_HOST="gignac.localhost")
    page = client.get("/connexion/").content.decode()
    assert "ProConnect" not in page
    for path in ("/oidc/authenticate/", "/oidc/callback/", "/oidc/logout/"):
        assert client.get(path).status_code == 404
    response = client.post("/connexion/", {"username": commune_agent.email, "password": PASSWORD})
    assert response.status_code == 302
    assert signed_in_user(client) == commune_agent
