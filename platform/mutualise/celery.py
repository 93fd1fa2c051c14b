"""The Celery application. Each task carries the schema it was queued from (tenant-schemas-celery)."""

from __future__ import annotations

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mutualise.settings")

app = CeleryApp("mutualise")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_finalize.connect
def _schedule_service_tasks(sender, **kwargs) -> None:
    from mutualise.tasks import periodic_schedule

    sender.conf.beat_schedule = {**(sender.conf.beat_schedule or {}), **periodic_schedule()}
