"""``mutualise outbox [--relay]``: the tasks waiting for the broker, and handing them over now."""

from django.core.management.base import BaseCommand

from mutualise import outbox


class Command(BaseCommand):
    help = "Affiche les tâches en attente du courtier ; avec --relay, les lui transmet maintenant."

    def add_arguments(self, parser):
        parser.add_argument("--relay", action="store_true", help="Transmettre au courtier les tâches en attente.")

    def handle(self, *args, relay: bool, **options):
        if relay:
            sent = outbox.relay()
            self.stdout.write(f"{sent} tâche(s) transmise(s) au courtier.")
        self.stdout.write(f"{outbox.pending()} tâche(s) en attente du courtier.")
