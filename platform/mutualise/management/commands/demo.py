"""``mutualise demo``: CC Vallée de l'Hérault with a realistic mix of subscriptions, demo users and data, served."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tenants.utils import schema_context

from mutualise.accounts.models import CommuneMembership, CommuneRole, ServiceMembership, ServiceRole, User
from mutualise.plugins import get_registry
from mutualise.services import enabled_services
from tenants.models import Commune
from tenants.setup import initialise
from tenants.subscriptions import enable_service

DEMO_EPCI = "243400694"  # Communauté de communes Vallée de l'Hérault
DEMO_PASSWORD = "mutualise-demo"
DEMO_DOMAIN = "demo.mutualise.test"
SERVICES_START = datetime.date(2016, 9, 1)
# Communes of CC Vallée de l'Hérault that take part in no service (its bilan: 26 communes out of 28 engaged).
NOT_ENGAGED = {"34011", "34125"}  # Arboras, Lagamas
# Share of the engaged communes subscribing to each service, in INSEE order: a plausible, stable mix.
SERVICE_SHARE = {
    "informatique": 0.85,
    "juridique": 0.6,
    "rh": 0.5,
    "marches": 0.7,
    "achats": 0.9,
    "fiscal": 1.0,
    "amenagement": 0.3,
    "urbanisme": 0.45,
}
DEMO_COMMUNE = "34114"  # Gignac


def demo_subscriptions(communes: list[Commune], services: list[str]) -> dict[str, list[str]]:
    """Which services each commune subscribes to in the demo: every engaged commune has at least one."""
    engaged = [c for c in communes if c.insee_code not in NOT_ENGAGED]
    plan: dict[str, list[str]] = {c.insee_code: [] for c in communes}
    for offset, slug in enumerate(services):
        share = SERVICE_SHARE.get(slug, 0.5)
        for index, commune in enumerate(engaged):
            # Spread each service over different communes rather than always the first ones.
            if ((index + offset * 7) % len(engaged)) < round(share * len(engaged)):
                plan[commune.insee_code].append(slug)
    for commune in engaged:
        if not plan[commune.insee_code]:
            plan[commune.insee_code].append(services[0])
    return plan


class Command(BaseCommand):
    help = "Installe la démonstration (CC Vallée de l'Hérault, 28 communes), affiche les adresses et les comptes, puis sert le site."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Préparer la démonstration sans lancer le serveur.")
        parser.add_argument("--addr", default="0.0.0.0", help="Adresse d'écoute du serveur (0.0.0.0 par défaut).")

    def handle(self, *args, no_serve: bool, addr: str, **options):
        self.stdout.write("Préparation de la démonstration…")
        call_command("migrate", interactive=False, verbosity=0)
        result = initialise(DEMO_EPCI)
        registry = get_registry()
        communes = list(Commune.objects.order_by("insee_code"))
        plan = demo_subscriptions(communes, registry.slugs)
        for commune in communes:
            for slug in plan[commune.insee_code]:
                enable_service(
                    commune,
                    slug,
                    start=SERVICES_START,
                    convention_reference=f"CONV-2016-{slug.upper()}",
                    reason="Démonstration",
                )
        logins = self._users(communes, registry.slugs)
        for commune in communes:
            services = sorted(enabled_services(commune))
            with schema_context(commune.schema_name):
                for slug in services:
                    registry.call(slug, "mutualise_demo_data", commune=commune)

        engaged = sum(1 for c in communes if plan[c.insee_code])
        base = settings.MUTUALISE_BASE_DOMAIN
        scheme = settings.MUTUALISE_URL_SCHEME
        gignac = next(c for c in communes if c.insee_code == DEMO_COMMUNE)
        self.stdout.write(
            self.style.SUCCESS(
                f"\n{result.intercommunality.name} : {len(communes)} communes, {engaged} engagées dans au moins 1 service."
            )
        )
        self.stdout.write(f"\nConsole de la communauté : {scheme}://{base}/")
        self.stdout.write(f"Espace d'une commune     : {gignac.url}   (chaque commune : {scheme}://<commune>.{base}/)")
        self.stdout.write(f"\nComptes (mot de passe commun : {DEMO_PASSWORD}) :")
        for email, description in logins:
            self.stdout.write(f"  {email:<42} {description}")
        if no_serve:
            return
        port = base.split(":")[1] if ":" in base else "8000"
        self.stdout.write(f"\nServeur sur {scheme}://{base}/ — Ctrl+C pour arrêter.\n")
        call_command("runserver", f"{addr}:{port}", use_reloader=False, use_threading=True)

    def _users(self, communes: list[Commune], services: list[str]) -> list[tuple[str, str]]:
        gignac = next(c for c in communes if c.insee_code == DEMO_COMMUNE)
        logins = []

        def user(local: str, first: str, last: str, **flags) -> User:
            email = f"{local}@{DEMO_DOMAIN}"
            account, created = User.objects.get_or_create(
                email=email, defaults={"first_name": first, "last_name": last, **flags}
            )
            if created:
                account.set_password(DEMO_PASSWORD)
                account.save(update_fields=["password"])
            return account

        user("admin", "Claire", "Dumas", is_staff=True, is_superuser=True)
        logins.append((f"admin@{DEMO_DOMAIN}", "administratrice de la communauté (console, administration)"))
        for role, first, last in (
            (CommuneRole.REFERENT, "Sophie", "Martin"),
            (CommuneRole.AGENT, "Julien", "Roux"),
            (CommuneRole.LECTEUR, "Henri", "Vidal"),
        ):
            account = user(f"{role}.gignac", first, last)
            CommuneMembership.objects.get_or_create(user=account, commune=gignac, defaults={"role": role})
            logins.append((account.email, f"{role.label} — {gignac.name}"))
        # A responsable and an agent for every service, so that each service's pages can be tried as its people.
        for slug in services:
            for role in (ServiceRole.RESPONSABLE, ServiceRole.AGENT):
                account = user(f"{role}.{slug}", role.label.split()[0], slug.capitalize())
                ServiceMembership.objects.get_or_create(user=account, service=slug, defaults={"role": role})
                logins.append((account.email, f"{role.label} — {get_registry().get(slug).label}"))
        return logins
