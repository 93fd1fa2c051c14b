from celery import shared_task
from django.db import connection

from mutualise_exemple.models import Note


@shared_task
def count_notes():
    """Runs in one commune's schema; leaves a trace of where it ran."""
    Note.objects.create(text=f"tâche périodique dans {connection.schema_name}")


@shared_task(bind=True, name="mutualise_exemple.slow_note", acks_late=True)
def slow_note(self, text: str, trace_dir: str) -> str:
    """Writes a note, once per outbox message, leaving a file per run; held while ``trace_dir/pause`` exists."""
    import os
    import time
    from pathlib import Path

    from mutualise import outbox

    with outbox.once(self.request.id) as first:
        if not first:
            return "déjà fait"
        Note.objects.create(text=text)
        trace = Path(trace_dir)
        (trace / f"run-{os.getpid()}").write_text(connection.schema_name)
        while (trace / "pause").exists():
            time.sleep(0.1)
    return "fait"
