"""Celery tasks of the Observatoire fiscal: the import of a cadastral extract, with its progress in the cache.

The progress moves with the bytes of the file sent to PostgreSQL's COPY (phase ``lecture``), then through the
checks (``vérification``) and the replacement of the communes' tables (``enregistrement``, by rows written).

The progress of a job is kept in the cache under a key that django-tenants prefixes with the schema of the
connection, so a commune's page can only ever read its own jobs; the community's jobs live under the public schema.
"""

from __future__ import annotations

import logging
import uuid

from celery import shared_task
from django.core.cache import cache
from django.db import connection

from mutualise.files import CommuneFileStorage
from mutualise.imports import ImportFailed

logger = logging.getLogger(__name__)

PROGRESS_TTL = 24 * 3600
UPLOAD_FOLDER = "fiscal-imports"


def _key(job: str) -> str:
    return f"fiscal:import:{job}"


def new_job() -> str:
    """A fresh job identifier, registered as queued."""
    job = uuid.uuid4().hex
    cache.set(_key(job), {"status": "attente", "progress": 0.0}, PROGRESS_TTL)
    return job


def job_state(job: str) -> dict | None:
    """The state of ``job`` in the space of the connection: ``status`` (attente, en_cours, termine, echec),
    ``progress`` (0–1) and ``phase`` while it runs, then the result or the errors; ``None`` for a job unknown here."""
    return cache.get(_key(job))


def _set(job: str, **state) -> None:
    cache.set(_key(job), state, PROGRESS_TTL)


@shared_task(name="fiscal.import_locals")
def import_locals_task(job: str, name: str, commune_id: int | None) -> dict:
    """Import the uploaded cadastral extract ``name`` (in the space's file storage), then delete the file.

    ``commune_id``: the commune importing for itself (only its rows are kept), or ``None`` for the community, which
    writes to every commune subscribing to the service. The task runs in the schema it was queued from.
    """
    from mutualise.services import communes_with_service
    from plugins.fiscal import cadastre
    from tenants.models import Commune

    storage = CommuneFileStorage()
    if commune_id is None:
        if connection.schema_name != "public":
            raise RuntimeError("Un import de la communauté doit partir de l'espace de la communauté.")
        communes = list(communes_with_service("fiscal"))
    else:
        communes = list(Commune.objects.filter(id=commune_id))
        if not communes or communes[0].schema_name != connection.schema_name:
            raise RuntimeError("L'import d'une commune doit partir du schéma de cette commune.")
    _set(job, status="en_cours", progress=0.0, phase="lecture")
    try:
        result = cadastre.import_locals(
            storage.path(name),
            communes,
            progress=lambda share, phase: _set(job, status="en_cours", progress=share, phase=phase),
        )
    except ImportFailed as failure:
        state = {"status": "echec", "progress": 1.0, "errors": failure.errors}
    except Exception:
        logger.exception("Import cadastral %s en échec", job)
        state = {"status": "echec", "progress": 1.0, "errors": [(0, "Erreur inattendue : l'import est annulé.")]}
    else:
        state = {
            "status": "termine",
            "progress": 1.0,
            "rows": result.rows,
            "per_commune": result.per_commune,
            "skipped_rows": result.skipped_rows,
            "skipped_communes": result.skipped_communes,
            # loading (COPY), checking, replacing the tables (of which rebuilding their indexes)
            "seconds": [
                round(result.seconds_loading, 2),
                round(result.seconds_checking, 2),
                round(result.seconds_replacing, 2),
                round(result.seconds_indexing, 2),
            ],
        }
    finally:
        storage.delete(name)  # owners' personal data: the upload is not kept once read
    _set(job, **state)
    return state
