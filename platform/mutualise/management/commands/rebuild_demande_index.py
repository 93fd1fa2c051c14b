"""``mutualise rebuild_demande_index [--check]``: compare the public index of demandes with every commune's schema,
and its tally with the index."""

from django.core.management.base import BaseCommand, CommandError

from mutualise.demandes.indexing import check_commune
from mutualise.models import DemandeTally
from tenants.models import Commune


class Command(BaseCommand):
    help = (
        "Vérifie l'index public des demandes contre le schéma de chaque commune, et son décompte par service, statut "
        "et priorité, puis les répare (sauf --check)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--check", action="store_true", help="Signaler les différences sans rien modifier.")

    def handle(self, *args, check: bool, **options):
        differences = 0
        for commune in Commune.objects.order_by("insee_code"):
            report = check_commune(commune, repair=not check)
            if not report.clean:
                differences += 1
                self.stdout.write(
                    f"{commune.name} ({commune.insee_code}) : {len(report.missing)} absente(s) de l'index, "
                    f"{len(report.stale)} différente(s), {len(report.orphaned)} sans demande"
                    + ("" if check else " — corrigé")
                )
        # The tally is kept by the database with the index; it is counted again all the same, as the index is checked.
        if not DemandeTally.is_exact():
            differences += 1
            self.stdout.write(
                "Le décompte des demandes par service, statut et priorité diffère de l'index"
                + ("" if check else " — recompté")
            )
            if not check:
                DemandeTally.recount()
        if not differences:
            self.stdout.write(self.style.SUCCESS("L'index des demandes est conforme aux schémas des communes."))
        elif check:
            raise CommandError(f"{differences} différence(s) : l'index est à reconstruire.")
