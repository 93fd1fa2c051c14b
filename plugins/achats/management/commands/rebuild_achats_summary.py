"""``mutualise rebuild_achats_summary [--check]``: compare the public summary of the answers with every schema."""

from django.core.management.base import BaseCommand, CommandError

from plugins.achats.indexing import check_commune
from tenants.models import Commune


class Command(BaseCommand):
    help = (
        "Vérifie le récapitulatif public des réponses aux groupements d'achats contre le schéma de chaque commune "
        "et le répare (sauf --check)."
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
                    f"{commune.name} ({commune.insee_code}) : {len(report.members)} réponse(s) et "
                    f"{len(report.needs)} besoin(s) différents" + ("" if check else " — corrigé")
                )
        if not differences:
            self.stdout.write(self.style.SUCCESS("Le récapitulatif des groupements est conforme aux schémas."))
        elif check:
            raise CommandError(f"{differences} commune(s) avec un récapitulatif à reconstruire.")
