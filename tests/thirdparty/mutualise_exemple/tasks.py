from celery import shared_task
from django.db import connection

from mutualise_exemple.models import Note


@shared_task
def count_notes():
    """Runs in one commune's schema; leaves a trace of where it ran."""
    Note.objects.create(text=f"tâche périodique dans {connection.schema_name}")
