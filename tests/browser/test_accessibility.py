"""Accessibility of every main page, in Chromium: axe-core, 320 px without horizontal scroll, the skip link.

And, since a page without its stylesheet or its script is broken for everyone: every resource the page loads.

Each page is opened as the person who uses it (anonymous, an agent of Gignac, the community administrator) and a
full-page screenshot of it is saved in artefacts/screenshots/ (``<page>.png`` at 1280 px, ``<page>-320.png``).

A check that fails today because of a known defect of a page is marked ``xfail(strict=True)`` in ``KNOWN_DEFECTS``
with what to change: once the page is fixed the test passes, the strict mark makes the suite fail, and the entry is
to be removed.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.browser.conftest import ADMIN, AGENT, REFERENT, screenshot, serious_violations

GIGNAC = "34114"


@dataclass(frozen=True)
class MainPage:
    name: str  # also the screenshot's file name
    host: str | None  # a commune's slug, or None for the console
    path: str  # "{service}": a service Gignac subscribes to in the demo
    user: str | None = None
    status: int = 200


PAGES = [
    MainPage("connexion-commune", "gignac", "/connexion/"),
    MainPage("connexion-console", None, "/connexion/"),
    MainPage("mot-de-passe-oublie", "gignac", "/mot-de-passe/oubli/"),
    MainPage("tableau-de-bord-commune", "gignac", "/", AGENT),
    MainPage("service-commune", "gignac", "/services/{service}/", AGENT),
    MainPage("jetons-api", "gignac", "/compte/jetons/", AGENT),
    MainPage("console", None, "/", ADMIN),
    MainPage("service-console", None, "/services/{service}/", ADMIN),
    MainPage("adresse-inconnue", "commune-inconnue", "/", status=404),
    MainPage("demandes-commune", "gignac", "/demandes/", AGENT),
    MainPage("profil-commune", "gignac", "/compte/", AGENT),
    MainPage("mot-de-passe-commune", "gignac", "/compte/mot-de-passe/", AGENT),
    MainPage("utilisateurs-commune", "gignac", "/commune/utilisateurs/", REFERENT),
    MainPage("console-communes", None, "/communes/", ADMIN),
    MainPage("console-souscriptions", None, "/souscriptions/", ADMIN),
    MainPage("console-demandes-souscription", None, "/demandes/", ADMIN),
    MainPage("console-file", None, "/file/", ADMIN),
    MainPage("console-journal", None, "/journal/", ADMIN),
    MainPage("console-niveaux-de-service", None, "/niveaux-de-service/", ADMIN),
    MainPage("console-niveaux-de-service-modifier", None, "/niveaux-de-service/{service}/", ADMIN),
    MainPage("console-horaires", None, "/niveaux-de-service/horaires/", ADMIN),
    MainPage("console-utilisateurs", None, "/utilisateurs/", ADMIN),
    MainPage("console-inviter", None, "/utilisateurs/inviter/", ADMIN),
    MainPage("console-profil", None, "/compte/", ADMIN),
]

KNOWN_DEFECTS: dict[tuple[str, str], str] = {}


def pages_for(check: str) -> list:
    return [
        pytest.param(
            page,
            id=page.name,
            marks=[pytest.mark.xfail(strict=True, reason=KNOWN_DEFECTS[check, page.name])]
            if (check, page.name) in KNOWN_DEFECTS
            else [],
        )
        for page in PAGES
    ]


@pytest.fixture(scope="package")
def gignac_service(demo_site) -> str:
    """A service Gignac subscribes to in the demo: Informatique if it does, else the first one."""
    services = demo_site.subscriptions(GIGNAC)
    assert services, "Gignac subscribes to no service in the demo"
    return "informatique" if "informatique" in services else services[0]


def watch(page, problems: list[str]) -> None:
    """Note in ``problems`` every request of ``page`` that fails (but the page itself) and every script error."""

    def on_response(response) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            problems.append(f"HTTP {response.status} for the {response.request.resource_type} {response.url}")

    page.on("response", on_response)
    page.on("requestfailed", lambda request: problems.append(f"{request.url} failed: {request.failure}"))
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))


@pytest.fixture
def open_main_page(demo_site, new_page, gignac_service):
    """``open_main_page(main_page, width=1280)``: that page, opened by its person, checked to have loaded."""

    def open_(main: MainPage, width: int = 1280, height: int = 800, problems: list[str] | None = None):
        """``problems``, if given, receives the page's failed requests and script errors."""
        host = demo_site.commune(main.host) if main.host else demo_site.url
        page = new_page(host if main.user else None, main.user, width=width, height=height)
        if problems is not None:
            watch(page, problems)
        response = page.goto(host + main.path.format(service=gignac_service))
        assert response.status == main.status, f"{page.url}: HTTP {response.status}"
        assert "/connexion/" in main.path or "/connexion/" not in page.url, f"{main.name}: sent to {page.url}"
        return page

    return open_


@pytest.mark.parametrize("main", pages_for("axe"))
def test_no_serious_accessibility_violation(main, open_main_page):
    page = open_main_page(main)
    screenshot(page, main.name)
    violations = serious_violations(page)
    assert violations == [], f"{main.name} ({page.url}):\n" + "\n".join(violations)


@pytest.mark.parametrize("main", pages_for("320px"))
def test_no_horizontal_scroll_at_320_px(main, open_main_page):
    page = open_main_page(main, width=320, height=640)
    screenshot(page, f"{main.name}-320")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 320, f"{main.name} ({page.url}) is {width} px wide at 320 px"


@pytest.mark.parametrize("main", pages_for("axe-320px"))
def test_no_serious_accessibility_violation_at_320_px(main, open_main_page):
    page = open_main_page(main, width=320, height=640)
    violations = serious_violations(page)
    assert violations == [], f"{main.name} ({page.url}) at 320 px:\n" + "\n".join(violations)


@pytest.mark.parametrize("main", pages_for("skip-link"))
def test_skip_link_shows_on_first_tab(main, open_main_page):
    page = open_main_page(main)
    page.keyboard.press("Tab")
    focused = page.evaluate(
        """() => {
            const element = document.activeElement, box = element.getBoundingClientRect();
            return {text: element.textContent.trim(), href: element.getAttribute("href"),
                    left: box.left, top: box.top, right: box.right, bottom: box.bottom};
        }"""
    )
    assert focused["text"] == "Aller au contenu" and focused["href"] == "#contenu", f"first Tab focuses {focused}"
    viewport = page.viewport_size
    inside = 0 <= focused["left"] < focused["right"] <= viewport["width"] and 0 <= focused["top"] < focused["bottom"]
    assert inside and focused["bottom"] <= viewport["height"], f"the focused skip link is off screen: {focused}"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu", "the skip link does not move the focus to <main>"


@pytest.mark.parametrize("main", pages_for("resources"))
def test_every_resource_of_the_page_loads(main, open_main_page):
    problems: list[str] = []
    page = open_main_page(main, problems=problems)
    page.wait_for_load_state("load")
    unapplied = page.evaluate(
        "[...document.querySelectorAll('link[rel=stylesheet]')].filter(link => !link.sheet).map(link => link.href)"
    )
    problems += [f"stylesheet not applied: {href}" for href in unapplied]
    assert problems == [], f"{main.name} ({page.url}):\n" + "\n".join(problems)
