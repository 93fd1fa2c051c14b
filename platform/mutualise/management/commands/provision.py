"""``mutualise provision [INSEE…]``: create the missing schemas of communes (all of them by default)."""

from django.core.management.base import BaseCommand, CommandError

from tenants.models import Commune
from tenants.provisioning import provision


class Command(BaseCommand):
    help = "Crée le schéma des communes qui n'en ont pas encore (toutes, ou celles dont on donne le code INSEE)."

    def add_arguments(self, parser):
        parser.add_argument("insee_codes", nargs="*", help="Codes INSEE des communes.")
        parser.add_argument(
            "--migrations",
            action="store_true",
            help="Appliquer les migrations au lieu de cloner le schéma modèle.",
        )

    def handle(self, *args, insee_codes, migrations: bool, **options):
        communes = Commune.objects.order_by("insee_code")
        if insee_codes:
            communes = communes.filter(insee_code__in=insee_codes)
            missing = set(insee_codes) - {c.insee_code for c in communes}
            if missing:
                raise CommandError(f"Communes inconnues de l'instance : {', '.join(sorted(missing))}")
        for commune in communes:
            outcome = provision(commune, allow_clone=not migrations)
            if outcome.method == "existing":
                self.stdout.write(f"{commune.name} ({commune.schema_name}) : schéma déjà présent")
            else:
                self.stdout.write(
                    f"{commune.name} ({commune.schema_name}) : créé par {outcome.method} en {outcome.seconds:.2f} s"
                )
