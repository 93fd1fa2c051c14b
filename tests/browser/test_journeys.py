"""What a person does on the demo, in Chromium: sign in and out, the commune's dashboard, a service, the console."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from mutualise.management.commands.demo import DEMO_DOMAIN
from mutualise.plugins import get_registry
from tests.browser.conftest import ADMIN, AGENT, login, screenshot

GIGNAC = "34114"


def test_login_and_logout_on_a_commune_host(demo_site, page):
    gignac = demo_site.commune("gignac")
    page.goto(f"{gignac}/")
    expect(page).to_have_url(re.compile(r"/connexion/\?next=/$"))  # signed out: sent to the login page
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page).to_have_title(re.compile(r"^Connexion — Gignac — "))
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion")

    login(page, gignac, AGENT)
    expect(page).to_have_url(f"{gignac}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Commune de Gignac")
    expect(page.get_by_text("Espace de la commune de Gignac")).to_be_visible()

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(f"{gignac}/connexion/")
    page.goto(f"{gignac}/")
    expect(page).to_have_url(re.compile(r"/connexion/\?next=/$"))


def test_a_wrong_password_is_refused_in_french(demo_site, page):
    gignac = demo_site.commune("gignac")
    login(page, gignac, f"lecteur.gignac@{DEMO_DOMAIN}", "pas-le-bon-mot-de-passe")
    expect(page).to_have_url(f"{gignac}/connexion/")
    expect(page.get_by_role("alert")).to_contain_text("Adresse e-mail ou mot de passe incorrect")
    expect(page.get_by_role("button", name="Se déconnecter")).to_have_count(0)
    screenshot(page, "connexion-mot-de-passe-incorrect")


def test_the_dashboard_lists_subscribed_and_other_services(demo_site, new_page):
    gignac = demo_site.commune("gignac")
    page = new_page(gignac, AGENT)
    page.goto(f"{gignac}/")
    subscribed_region = page.get_by_role("region", name="Vos services")
    others_region = page.get_by_role("region", name="Services non souscrits")
    subscribed = subscribed_region.get_by_role("heading", level=3).all_inner_texts()
    others = others_region.get_by_role("heading", level=3).all_inner_texts()

    registry = get_registry()
    mine = demo_site.subscriptions(GIGNAC)
    offered = [slug for (slug,) in demo_site.sql("SELECT DISTINCT service FROM tenants_subscription")]
    assert sorted(subscribed) == sorted(registry.get(slug).label for slug in mine)
    assert sorted(others) == sorted(registry.get(slug).label for slug in offered if slug not in mine)
    assert subscribed and others  # the demo gives Gignac some services, not all
    for label in subscribed:  # each one leads to its page (its cards may add links of their own)
        expect(subscribed_region.get_by_role("link", name=label, exact=True)).to_have_count(1)
    expect(others_region.get_by_text("Non souscrit", exact=True)).to_have_count(len(others))


def test_a_service_card_opens_the_service_page(demo_site, new_page):
    gignac = demo_site.commune("gignac")
    page = new_page(gignac, AGENT)
    page.goto(f"{gignac}/")
    card = page.get_by_role("region", name="Vos services").get_by_role("link").first
    label = card.inner_text()
    card.click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(gignac)}/services/[a-z0-9_-]+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(label)
    expect(page).to_have_title(re.compile(rf"^{re.escape(label)} — Gignac — "))


def test_the_console_home_shows_the_engagement_headline(demo_site, new_page):
    page = new_page(demo_site.url, ADMIN)
    page.goto(f"{demo_site.url}/")
    expect(page.get_by_text("Console de la communauté")).to_be_visible()
    # The demo: CC Vallée de l'Hérault, 26 of its 28 communes in at least one service.
    expect(page.get_by_text(re.compile(r"^\d+ communes sur \d+ engagées"))).to_have_text(
        "26 communes sur 28 engagées dans au moins 1 service"
    )


def test_toggling_a_subscription_changes_the_commune_s_menu(demo_site, new_page):
    registry = get_registry()
    mine = demo_site.subscriptions(GIGNAC)
    slug = next(s for s in registry.slugs if s not in mine)  # a service Gignac does not have yet
    label = registry.get(slug).label
    gignac = demo_site.commune("gignac")
    agent = new_page(gignac, AGENT)
    agent.goto(f"{gignac}/")
    services_menu = agent.get_by_role("navigation", name="Services")
    expect(services_menu.get_by_role("link", name=label, exact=True)).to_have_count(0)

    console = new_page(demo_site.url, ADMIN)
    console.goto(f"{demo_site.url}/souscriptions/")
    headline = console.locator("#headline")
    cell = console.locator(f"#cell-{GIGNAC}-{slug} a")
    expect(cell).to_contain_text("Non")
    cell.click()  # htmx opens the form in the panel, without leaving the page
    panel = console.locator("#panneau")
    expect(panel.get_by_role("heading", level=2)).to_have_text(f"{label} — Gignac")
    panel.get_by_label("Référence de la convention").fill("CONV-2026-NAV")
    panel.get_by_role("button", name="Activer le service").click()
    expect(panel.get_by_role("status")).to_contain_text(f"{label} activé pour Gignac")
    expect(console.locator(f"#cell-{GIGNAC}-{slug} a")).to_contain_text("Souscrit")
    expect(console).to_have_url(f"{demo_site.url}/souscriptions/")  # no reload: the cell and counts were swapped
    expect(headline).to_contain_text("engagées dans au moins 1 service")
    screenshot(console, "console-souscriptions-apres-activation")

    agent.reload()
    expect(services_menu.get_by_role("link", name=label, exact=True)).to_have_count(1)
    assert slug in demo_site.subscriptions(GIGNAC)


def test_inviting_a_person_who_then_joins_the_commune(demo_site, new_page, browser):
    console = new_page(demo_site.url, ADMIN)
    console.goto(f"{demo_site.url}/utilisateurs/inviter/")
    email = "nouvelle.secretaire@gignac.test"
    console.get_by_label("Adresse e-mail").fill(email)
    form = console.locator("main form")
    for select in form.locator("select").all():
        name = select.get_attribute("name") or ""
        if "commune" in name and "role" not in name:
            select.select_option(label="Gignac")
        elif "commune" in name and "role" in name:
            select.select_option(value="agent")
    form.get_by_role("button").last.click()
    expect(console.get_by_role("status").or_(console.locator(".message--success")).first).to_be_visible()

    # The e-mail goes to the server's console output (the demo's e-mail backend): take the link from there.
    links = re.findall(r"http://gignac\.localhost:\d+/invitation/\S+", demo_site.log.read_text())
    assert links, "no invitation link in the server's output"
    context = browser.new_context()
    newcomer = context.new_page()
    newcomer.goto(links[-1])
    password = "Un-mot-de-passe-solide-2026"
    for field in newcomer.locator("input[type=password]").all():
        field.fill(password)
    newcomer.locator("main form").get_by_role("button").last.click()
    expect(newcomer.get_by_role("heading", level=1)).to_have_text("Commune de Gignac")
    screenshot(newcomer, "invitation-acceptee")
    context.close()
