"""``mutualise init --epci <SIREN>``: the intercommunality and its communes, from the national referential."""

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from tenants.setup import InitError, initialise


class Command(BaseCommand):
    help = "Initialise l'instance pour un EPCI (par son SIREN) : l'intercommunalité et toutes ses communes membres."

    def add_arguments(self, parser):
        parser.add_argument("--epci", required=True, help="SIREN de l'EPCI (9 chiffres), par exemple 243400694.")
        parser.add_argument("--no-migrate", action="store_true", help="Ne pas appliquer les migrations d'abord.")

    def handle(self, *args, epci: str, no_migrate: bool = False, verbosity: int = 1, **options):
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=max(verbosity - 1, 0))
        try:
            result = initialise(epci)
        except InitError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(f"{result.intercommunality.name} (SIREN {result.intercommunality.siren})"))
        self.stdout.write(
            f"  communes créées : {len(result.created)}, mises à jour : {len(result.updated)}, "
            f"inchangées : {len(result.unchanged)}"
        )
        for outcome in result.provisioned:
            method = "clonage du schéma modèle" if outcome.method == "clone" else "migrations"
            self.stdout.write(f"  schéma {outcome.commune.schema_name} créé par {method} en {outcome.seconds:.2f} s")
