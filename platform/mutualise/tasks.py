"""Platform tasks: the periodic tasks of the services, run once per commune where the service is enabled."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context

from mutualise.plugins import get_registry
from mutualise.services import communes_with_service

logger = logging.getLogger(__name__)


@shared_task(name="mutualise.run_service_task")
def run_service_task(service: str, task: str) -> list[str]:
    """Queue ``task`` once in the schema of each commune subscribing to ``service``; return their INSEE codes.

    A commune where the service is disabled gets nothing: its periodic work stops with the subscription.
    """
    if service not in get_registry():
        logger.warning("Tâche périodique %s ignorée : le service %s n'est pas installé", task, service)
        return []
    periodic = import_string(task)
    done = []
    for commune in communes_with_service(service):
        # tenant-schemas-celery records the connection's schema in the message: the task runs there.
        with schema_context(commune.schema_name):
            periodic.apply_async()
        done.append(commune.insee_code)
    return done


def periodic_schedule() -> dict[str, dict]:
    """The beat schedule built from every service's ``mutualise_periodic_tasks``."""
    schedule = {}
    for service, tasks in get_registry().call_each("mutualise_periodic_tasks"):
        for periodic in tasks:
            import_string(periodic.task)  # registered in this process, wherever the plugin defines it
            schedule[f"{service.slug}:{periodic.name}"] = {
                "task": "mutualise.run_service_task",
                "schedule": periodic.schedule,
                "args": (service.slug, periodic.task),
            }
    return schedule
