"""Browser tests: the demo served by a real server, used through Debian's Chromium as a person would.

Once per session: a database of its own (``<test database>_navigateur``, or ``MUTUALISE_BROWSER_DATABASE``, dropped
and created again) on the same PostgreSQL server as the rest of the suite, filled by ``mutualise demo --no-serve``
in a subprocess, then served by gunicorn on a free port of 127.0.0.1. The console is http://localhost:<port>/ and
each commune http://<commune>.localhost:<port>/ (Chromium sends every ``*.localhost`` name to the loopback by
itself). The server runs the product's own settings (``mutualise.settings``), not the test settings: no test
plugin, real password hashing, DEBUG off.

Nothing here uses pytest-django's database fixtures or its ``live_server``: the suite's test database (and the
commune schemas its session fixtures create) is never touched.

Playwright's synchronous API leaves its event loop marked as running in the main thread for as long as it is
started, and Django then refuses database calls from that thread (``SynchronousOnlyOperation``). So the browser is
package-scoped: started for the first browser test, stopped after the last one, before the rest of the suite runs.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import pytest
from django.db import connection

from mutualise.management.commands.demo import DEMO_DOMAIN, DEMO_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "artefacts" / "screenshots"
CHROMIUM = os.environ.get("MUTUALISE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
HERE = Path(__file__).resolve().parent
FAILED = pytest.StashKey[bool]()

ADMIN = f"admin@{DEMO_DOMAIN}"
AGENT = f"agent.gignac@{DEMO_DOMAIN}"
REFERENT = f"referent.gignac@{DEMO_DOMAIN}"

if not Path(CHROMIUM).exists() and os.environ.get("CI"):
    raise RuntimeError(f"CI needs Chromium at {CHROMIUM} for the browser tests (apt-get install chromium)")


def pytest_collection_modifyitems(config, items):
    """Without Chromium (outside CI), skip the browser tests with a message rather than fail them."""
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM} (apt-get install chromium, or set MUTUALISE_CHROMIUM)")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(skip)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A failed browser test gets the end of the server's log in its report, and screenshots (see ``new_page``)."""
    report = yield
    if report.failed and HERE in item.path.parents:
        item.stash[FAILED] = True
        site = getattr(item, "funcargs", {}).get("demo_site")
        if site is not None and site.log.exists():
            report.sections.append(("gunicorn (end of its log)", "\n".join(site.log.read_text().splitlines()[-40:])))
    return report


# -- The demo, served -----------------------------------------------------------------------------------------------


def _server_settings() -> dict:
    """The connection settings of the suite's PostgreSQL server (``DATABASE_URL``'s, or the embedded one)."""
    db = connection.settings_dict
    settings = {"user": db["USER"], "host": db["HOST"] or "127.0.0.1", "port": str(db["PORT"] or "5432")}
    if db.get("PASSWORD"):
        settings["password"] = db["PASSWORD"]
    return settings


@dataclass(frozen=True)
class Site:
    """The demo served on ``port``: ``site.url`` is the console's base URL, ``site.commune("gignac")`` a commune's."""

    port: int
    database: str
    log: Path

    @property
    def url(self) -> str:
        return f"http://localhost:{self.port}"

    def commune(self, slug: str) -> str:
        return f"http://{slug}.localhost:{self.port}"

    def sql(self, query: str, params=()) -> list[tuple]:
        """Read the demo's database (to compare what a page shows with what is stored)."""
        with psycopg.connect(dbname=self.database, autocommit=True, **_server_settings()) as conn:
            return conn.execute(query, params).fetchall()

    def subscriptions(self, insee_code: str) -> list[str]:
        """The services the commune ``insee_code`` subscribes to today, by slug."""
        rows = self.sql(
            "SELECT s.service FROM tenants_subscription s JOIN tenants_commune c ON c.id = s.commune_id"
            " WHERE c.insee_code = %s AND s.active AND s.start_date <= current_date"
            " AND (s.end_date IS NULL OR s.end_date >= current_date) ORDER BY s.service",
            [insee_code],
        )
        return [slug for (slug,) in rows]


def _admin_sql(*statements: str) -> None:
    server = _server_settings()
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as conn:
        for statement in statements:
            conn.execute(statement)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(url: str, host: str, process: subprocess.Popen, log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers={"Host": host}), timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the demo server did not answer on {url}:\n{log.read_text()[-5000:]}")


@pytest.fixture(scope="session")
def demo_site(tmp_path_factory):
    """The demo (CC Vallée de l'Hérault, its demo accounts) in its own database, served by gunicorn: a ``Site``."""
    name = os.environ.get("MUTUALISE_BROWSER_DATABASE") or f"{connection.settings_dict['TEST']['NAME']}_navigateur"
    port = _free_port()
    folder = tmp_path_factory.mktemp("navigateur")
    server = _server_settings()
    host = quote(server["host"], safe="")
    env = {
        key: value
        for key, value in os.environ.items()
        # The product's defaults, whatever this shell points the suite at.
        if not key.startswith(("MUTUALISE_", "CELERY_", "DJANGO_"))
    }
    password = f":{quote(server['password'], safe='')}" if "password" in server else ""
    env.update(
        DJANGO_SETTINGS_MODULE="mutualise.settings",
        DATABASE_URL=f"postgres://{quote(server['user'], safe='')}{password}@{host}:{server['port']}/{name}",
        MUTUALISE_BASE_DOMAIN=f"localhost:{port}",
        MUTUALISE_DATA_DIR=str(folder / "data"),
        MUTUALISE_LOG_LEVEL="WARNING",
    )
    _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    process = None
    try:
        demo = subprocess.run(
            [sys.executable, "-m", "mutualise.cli", "demo", "--no-serve"],
            env=env,
            cwd=folder,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert demo.returncode == 0, f"mutualise demo failed:\n{demo.stdout}\n{demo.stderr}"
        log = folder / "gunicorn.log"
        with log.open("w") as output:
            process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--config=python:mutualise.gunicorn_conf",  # the production settings
                    "mutualise.wsgi",
                    f"--bind=127.0.0.1:{port}",
                    "--workers=1",
                    "--threads=8",
                    "--access-logfile=-",
                ],
                env=env,
                cwd=folder,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        site = Site(port, name, log)
        _wait_for(f"http://127.0.0.1:{port}/sante/", f"localhost:{port}", process, log)
        yield site
    finally:
        if process is not None:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        _admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- The browser ----------------------------------------------------------------------------------------------------


@pytest.fixture(scope="package")
def browser():
    """Debian's Chromium, headless, once for all the browser tests (see the module's docstring for the scope)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def login(page, host: str, email: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the real login page of ``host`` (a base URL such as ``site.commune("gignac")``)."""
    page.goto(f"{host}/connexion/")
    page.get_by_label("Adresse e-mail", exact=True).fill(email)
    page.get_by_label("Mot de passe", exact=True).fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()


@pytest.fixture(scope="package")
def signed_in_states(browser, demo_site):
    """``state(host, email)``: the cookies of a session opened through the login page, once per person and host."""
    states: dict[tuple[str, str], dict] = {}

    def state(host: str, email: str) -> dict:
        if (host, email) not in states:
            context = browser.new_context(locale="fr-FR")
            try:
                page = context.new_page()
                login(page, host, email)
                assert "/connexion/" not in page.url, f"{email} could not sign in on {host}"
                states[host, email] = context.storage_state()
            finally:
                context.close()
        return states[host, email]

    return state


@pytest.fixture
def new_page(request, browser, signed_in_states):
    """``new_page(host=None, email=None, width=1280)``: a page in a fresh browser context, signed in on ``host``.

    Contexts are closed at the end of the test; if it failed, each open page is saved first as
    ``artefacts/screenshots/echec-<test>-<n>.png``.
    """
    contexts = []

    def make(host: str | None = None, email: str | None = None, width: int = 1280, height: int = 800):
        state = signed_in_states(host, email) if email else None
        context = browser.new_context(locale="fr-FR", viewport={"width": width, "height": height}, storage_state=state)
        context.set_default_timeout(30_000)
        contexts.append(context)
        return context.new_page()

    yield make
    failed = request.node.stash.get(FAILED, False)
    for number, context in enumerate(contexts, 1):
        if failed:
            for page in context.pages:
                with contextlib.suppress(Exception):  # a page that cannot be drawn must not hide the failure
                    screenshot(page, f"echec-{request.node.name}-{number}")
        context.close()


@pytest.fixture
def page(new_page):
    """An anonymous page (no cookie), 1280 × 800."""
    return new_page()


def screenshot(page, name: str) -> Path:
    """Save a full-page PNG of ``page`` as ``artefacts/screenshots/<name>.png`` (ignored by git)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{re.sub(r'[^a-z0-9-]+', '-', name.lower())}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def serious_violations(page) -> list[str]:
    """The axe-core violations of impact "serious" or "critical" on ``page``, one readable line each.

    axe-core comes inside the axe-playwright-python package and is injected into the page: nothing is fetched.
    """
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page).response
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} — "
        + ", ".join(" ".join(map(str, node["target"])) for node in violation["nodes"][:5])
        for violation in results["violations"]
        if violation["impact"] in {"serious", "critical"}
    ]
