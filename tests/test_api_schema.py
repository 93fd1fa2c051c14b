"""The API's OpenAPI schemas, and the API fuzzed against them with Schemathesis.

Each space has its own API (the commune's on its host, the community's on the base domain) and so its own schema.
Both are generated without a warning, then every operation of each is called with at least 50 generated requests
(valid ones and invalid ones: NUL bytes, huge strings, odd Unicode, wrong types), authenticated with a token bound
to that space, through the real WSGI application on the real PostgreSQL. Checks: never a 5xx, and every response
(status code, content type, body) is the one the schema describes. A stateful run then chains the operations along
the links Schemathesis infers (a demande created, then read, then written to).
"""

from __future__ import annotations

import datetime
import io
import json

import hypothesis
import pytest
import schemathesis
from django.conf import settings
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.db import close_old_connections, transaction
from django_tenants.utils import schema_context
from hypothesis import HealthCheck
from schemathesis.config import SchemathesisConfig
from schemathesis.generation import GenerationMode

from mutualise.accounts.models import CommuneMembership, ServiceMembership
from mutualise.accounts.tokens import issue_token
from mutualise.wsgi import application
from tenants.models import Subscription
from tests.conftest import make_user

EXAMPLES = 50  # per operation, each generation mode (valid and invalid requests) included
STATEFUL_SCENARIOS, STATEFUL_STEPS = 20, 10  # chains of up to 10 calls: kept short for the suite's time

FUZZ = hypothesis.settings(
    max_examples=EXAMPLES,
    derandomize=True,  # the same requests on every run: a failure here fails again on the next run
    database=None,  # nothing written into the repository
    deadline=None,  # a request is a database round trip: its time varies with the machine's load
    # The schema fixture (one token, one database transaction) is shared by the examples on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

SETTINGS = {  # Schemathesis' configuration, the space's address and token added by Space.load
    "generation": {"mode": "all", "max-examples": EXAMPLES, "allow-x00": True, "codec": "utf-8"},
    "checks": {
        "not_a_server_error": {"enabled": True},
        "status_code_conformance": {"enabled": True},
        "content_type_conformance": {"enabled": True},
        "response_schema_conformance": {"enabled": True},
        "response_headers_conformance": {"enabled": True},
        # Left out, on purpose. Positive data rejected: the product checks data against the database (the
        # commune's subscriptions, a type of demande among its service's types, a referenced record that
        # exists), which no schema states; those answers are French 400s, checked by the schema above.
        "positive_data_acceptance": {"enabled": False},
        # Negative data accepted: DRF reads "12" as 12 and 12 as "12", as Django's forms do. Invalid text
        # (NUL, lone surrogates, too long) is refused: see test_hostile_text_is_refused_in_french.
        "negative_data_rejection": {"enabled": False},
    },
}


@pytest.fixture
def _requests_in_the_test_transaction():
    """Requests go through the real WSGI handler, which closes the connection at the end of each request (as a
    server does); the test's transaction must survive them, as it does for Django's test client."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _subscribe(commune, *slugs: str) -> None:
    for slug in slugs:
        Subscription.objects.get_or_create(
            commune=commune, service=slug, defaults={"start_date": datetime.date(2020, 1, 1)}
        )


class Space:
    """A space's API as a client sees it: its address and a token bound to it."""

    def __init__(self, host: str, token: str):
        self.base_url = f"http://{host}"
        self.headers = {"Authorization": f"Bearer {token}"}

    def load(self) -> schemathesis.BaseSchema:
        # Given as configuration, the token is known to Schemathesis as the API's authentication: its
        # ignored_auth check then also sends each request without it, or with a wrong one, and expects a 401.
        config = SchemathesisConfig.from_dict({**SETTINGS, "headers": self.headers})
        return schemathesis.openapi.from_wsgi(
            "/api/v1/schema/?format=json", application, config=config, base_url=self.base_url, headers=self.headers
        )


@pytest.fixture
def commune_space(commune, _requests_in_the_test_transaction) -> Space:
    """Gignac's API, for a référent of Gignac, the commune subscribing to every installed service."""
    _subscribe(commune, *settings.SERVICE_REGISTRY.slugs)
    user = make_user("referent-api@gignac.test")
    CommuneMembership.objects.create(user=user, commune=commune, role="referent")
    _, token = issue_token(user, "Fuzz", commune)
    return Space(commune.host, token)


@pytest.fixture
def community_space(commune, other_commune, _requests_in_the_test_transaction) -> Space:
    """The community's API, for an agent of every service, both communes subscribing."""
    for target in (commune, other_commune):
        _subscribe(target, *settings.SERVICE_REGISTRY.slugs)
    user = make_user("agent-api@cc.test")
    for slug in settings.SERVICE_REGISTRY.slugs:
        ServiceMembership.objects.create(user=user, service=slug, role="agent")
    _, token = issue_token(user, "Fuzz", None)
    return Space("localhost", token)


def fuzz_test(space: Space, strategy, counter: list[int]):
    """The Hypothesis test of one operation: each generated request is sent, then its response checked."""

    @FUZZ
    @hypothesis.given(case=strategy)
    def check(case):
        counter[0] += 1
        case.call_and_validate(base_url=space.base_url)  # through WSGI, the host comes from here

    return check


def fuzz(space: Space) -> dict[str, int]:
    """Every operation of the space's schema with ``EXAMPLES`` generated requests, valid and invalid ones mixed (plus
    the schema's own examples); returns the number of requests per operation, fails listing every failing one."""
    # Each operation's strategy is driven by Hypothesis here rather than through ``schema.parametrize()``, whose lazy
    # loading relies on a pytest internal (``Node._nodeid``) that pytest 9.2 no longer has.
    schema = space.load()
    calls: dict[str, int] = {}
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        strategies = [operation.as_strategy(generation_mode=mode) for mode in GenerationMode]
        strategies += schema.get_strategies_from_examples(operation)
        counter = [0]
        try:
            fuzz_test(space, hypothesis.strategies.one_of(strategies), counter)()
        except (Exception, BaseExceptionGroup) as error:  # every operation runs; the report lists each failing one
            failures.append(f"{operation.label}: {error}")
        calls[operation.label] = counter[0]
    assert not failures, "\n\n".join(failures)
    print(f"{space.base_url}: {len(calls)} operations, {sum(calls.values())} generated requests")  # shown with -s
    return calls


def test_commune_api_conforms_to_its_schema(commune_space):
    calls = fuzz(commune_space)
    assert {"GET /api/v1/demandes/", "POST /api/v1/demandes/", "POST /api/v1/demandes/{id}/messages/"} <= set(calls)
    assert min(calls.values()) >= EXAMPLES, calls


def test_community_api_conforms_to_its_schema(community_space):
    calls = fuzz(community_space)
    assert {"GET /api/v1/file/", "GET /api/v1/file/{id}/"} <= set(calls)
    assert min(calls.values()) >= EXAMPLES, calls


# -- The schemas themselves ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("urlconf", [settings.ROOT_URLCONF, settings.PUBLIC_SCHEMA_URLCONF])
def test_schema_generation_gives_no_warning(urlconf):
    out = io.StringIO()
    call_command("spectacular", "--validate", "--fail-on-warn", "--urlconf", urlconf, stdout=out)
    assert out.getvalue().startswith("openapi: 3")


def test_each_space_serves_its_own_schema(commune_space, community_space, client_on, commune):
    from django.test import Client

    commune_paths = set(
        Client(HTTP_HOST=commune.host, HTTP_AUTHORIZATION=commune_space.headers["Authorization"])
        .get("/api/v1/schema/", {"format": "json"})
        .json()["paths"]
    )
    community_paths = set(
        Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=community_space.headers["Authorization"])
        .get("/api/v1/schema/", {"format": "json"})
        .json()["paths"]
    )
    assert "/api/v1/demandes/" in commune_paths and "/api/v1/file/" not in commune_paths
    assert "/api/v1/file/" in community_paths and "/api/v1/demandes/" not in community_paths
    # a token is worth nothing on the other space, the schema included
    wrong = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=commune_space.headers["Authorization"])
    answer = wrong.get("/api/v1/schema/", {"format": "json"})
    assert answer.status_code == 401
    assert json.loads(answer.content) == {
        "detail": "Ce jeton d'API n'est pas valable pour cet espace.",
        "code": "authentication_failed",
    }


def test_docs_page_uses_our_static_files_and_no_inline_script(commune, commune_agent, client_on):
    client = client_on(commune, commune_agent)
    page = client.get("/api/v1/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "<script>" not in html and "http" not in html.split("<body>")[1]
    script = client.get("/api/v1/docs/", {"script": ""})
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()
    assert client_on(commune).get("/api/v1/docs/")["Location"].startswith("/connexion/")


# -- Stateful: operations chained along the links inferred from the schema ----------------------------------------


def test_commune_api_stateful(commune_space):
    schema = commune_space.load()
    base_url = commune_space.base_url

    class Workflow(schema.as_state_machine()):
        def setup(self):
            # Each scenario starts from the same data, so that Hypothesis can replay and shrink it.
            self.savepoint = transaction.savepoint()

        def teardown(self):
            transaction.savepoint_rollback(self.savepoint)

        def get_call_kwargs(self, case):
            return {"base_url": base_url}  # through WSGI, the host comes from here

    Workflow.run(
        settings=hypothesis.settings(
            FUZZ,
            max_examples=STATEFUL_SCENARIOS,
            stateful_step_count=STATEFUL_STEPS,
            phases=[hypothesis.Phase.generate],
        ),
    )


# -- Hostile text, sent on purpose -----------------------------------------------------------------------------------

HOSTILE_TEXT = {
    "NUL": "Imprimante\x00en panne",
    "énorme": "x" * 1_000_000,
    "surrogate isolé": "Imprimante \udc00 en panne",
}


@pytest.mark.parametrize("kind", HOSTILE_TEXT)
def test_hostile_text_is_refused_in_french(commune, commune_space, kind):
    from django.test import Client

    from mutualise.demandes.models import Demande

    client = Client(HTTP_HOST=commune.host, HTTP_AUTHORIZATION=commune_space.headers["Authorization"])
    body = {"service": "informatique", "kind": "incident", "title": "Panne", "description": "Panne"}
    for field in ("title", "description"):
        payload = json.dumps({**body, field: HOSTILE_TEXT[kind]})
        answer = client.post("/api/v1/demandes/", payload, content_type="application/json")
        assert answer.status_code == 400, (field, answer.status_code, answer.content[:300])
        assert field in answer.json() or "detail" in answer.json()
    with schema_context(commune.schema_name):
        assert not Demande.objects.exists()


def test_odd_but_valid_unicode_is_kept_as_sent(commune, commune_space):
    from django.test import Client

    client = Client(HTTP_HOST=commune.host, HTTP_AUTHORIZATION=commune_space.headers["Authorization"])
    title = "\u202eenilno\u202c Île-de-France 👩🏽‍💻 e\u0301 \ufeff"
    answer = client.post(
        "/api/v1/demandes/",
        {"service": "informatique", "kind": "incident", "title": title, "description": "Texte"},
        content_type="application/json",
    )
    assert answer.status_code == 201, answer.content
    assert client.get(f"/api/v1/demandes/{answer.json()['id']}/").json()["title"] == title.strip()
