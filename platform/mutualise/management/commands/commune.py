"""``mutualise commune export|restore|delete``: one commune's data as one archive, and its offboarding.

- ``mutualise commune export 34114 [-o fichier.tar.gz]``: the schema's data, the commune's public rows and its files;
- ``mutualise commune restore fichier.tar.gz``: rebuild it, on this instance or another one of the same version;
- ``mutualise commune delete 34114 [--archives DOSSIER] [--noinput]``: export first, then remove the schema, the
  rows and the files (offboarding under the GDPR); audited.
"""

from __future__ import annotations

import datetime
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from tenants.models import Commune
from tenants.portability import PortabilityError, delete_commune, export_commune, restore_commune


def _commune(insee_code: str) -> Commune:
    commune = Commune.objects.filter(insee_code=insee_code).first()
    if commune is None:
        raise CommandError(f"Aucune commune de code INSEE « {insee_code} » sur cette instance.")
    return commune


class Command(BaseCommand):
    help = "Exporte, restaure ou supprime les données d'une commune (une archive .tar.gz par commune)."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="{export,restore,delete}")
        export = actions.add_parser("export", help="Écrire l'archive d'une commune.")
        export.add_argument("insee_code", help="Code INSEE de la commune.")
        export.add_argument("-o", "--output", type=Path, help="Fichier à écrire (par défaut dans le dossier courant).")
        restore = actions.add_parser("restore", help="Recréer une commune à partir de son archive.")
        restore.add_argument("archive", type=Path, help="Archive écrite par « mutualise commune export ».")
        delete = actions.add_parser("delete", help="Exporter puis supprimer une commune (schéma, lignes, fichiers).")
        delete.add_argument("insee_code", help="Code INSEE de la commune.")
        delete.add_argument(
            "--archives",
            type=Path,
            default=None,
            help="Dossier où écrire l'archive avant suppression (par défaut <MUTUALISE_DATA_DIR>/archives).",
        )
        delete.add_argument("--noinput", "--no-input", action="store_false", dest="interactive")

    def handle(self, *args, action: str, **options):
        try:
            getattr(self, f"_{action}")(**options)
        except PortabilityError as error:
            raise CommandError(str(error)) from None

    def _export(self, insee_code: str, output: Path | None, **options) -> None:
        commune = _commune(insee_code)
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = output or Path.cwd() / f"commune-{commune.insee_code}-{stamp}.tar.gz"
        summary = export_commune(commune, path)
        self.stdout.write(
            f"{commune.name} ({commune.insee_code}) exportée dans {summary.path} : {summary.rows} lignes dans "
            f"{len(summary.tables)} tables, {sum(summary.public_rows.values())} lignes communes, "
            f"{summary.files} fichiers (SHA-256 {summary.sha256})."
        )

    def _restore(self, archive: Path, **options) -> None:
        commune = restore_commune(archive)
        self.stdout.write(f"{commune.name} ({commune.insee_code}) restaurée : {commune.url}")

    def _delete(self, insee_code: str, archives: Path | None, interactive: bool, **options) -> None:
        commune = _commune(insee_code)
        if interactive:
            answer = input(
                f"Supprimer définitivement {commune.name} ({commune.insee_code}) : son schéma, ses données et ses "
                "fichiers, après export ? Tapez le code INSEE pour confirmer : "
            )
            if answer.strip() != commune.insee_code:
                raise CommandError("Suppression annulée.")
        summary = delete_commune(commune, archives or Path(settings.DATA_DIR) / "archives")
        self.stdout.write(
            f"{summary.name} ({summary.insee_code}) supprimée ; son archive : {summary.path} (SHA-256 {summary.sha256})."
        )
