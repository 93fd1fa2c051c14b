"""Tasks queued with the change that calls for them: a transactional outbox.

``enqueue(task, …)`` writes an :class:`~mutualise.models.OutboxMessage` in the caller's transaction. After the
commit, the message is handed to the broker at once; if the broker is unreachable, the user's action has still
succeeded and the message waits in the table: :func:`relay` (every minute through Celery beat, or
``mutualise outbox``) hands over what is waiting once the broker is back. A change rolled back takes its message with
it; a committed change never loses its message.

Delivery is at least once (a worker lost mid-task gets the message again: ``acks_late`` and
``task_reject_on_worker_lost``). A task whose effect must happen once wraps it in :func:`once`, which records the
message as done in the same transaction as the effect.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from celery import shared_task
from django.db import connection, transaction
from django.utils import timezone

from mutualise.models import OutboxMessage

logger = logging.getLogger(__name__)

# A message younger than this is left to the publication that follows its commit.
RELAY_GRACE = timedelta(seconds=10)
RELAY_BATCH = 500


# After a failure, the publications that follow commits leave their messages to the relay for this long, so that
# a broker down costs one user one short wait, not every user a wait each.
PAUSE_AFTER_FAILURE = 30.0
CONNECT_TIMEOUT = 1.0
_paused_until = 0.0


def enqueue(task, *args, **kwargs) -> OutboxMessage:
    """Queue ``task(*args, **kwargs)`` to run, in the schema of the current connection, once this transaction commits.

    Arguments must be JSON-serialisable. Returns the message (its id is the task id).
    """
    message = OutboxMessage.objects.create(
        task=task.name, args=list(args), kwargs=kwargs, schema=connection.schema_name
    )
    transaction.on_commit(lambda: publish([message.pk], after_commit=True))
    return message


def publish(ids, *, after_commit: bool = False) -> int:
    """Hand the waiting messages ``ids`` to the broker; return how many went. A broker error leaves them waiting.

    One connection for the batch, with a short connection timeout: a broker down answers fast, and the user whose
    action committed the message is not kept waiting.
    """
    global _paused_until
    from mutualise.celery import app

    if after_commit and time.monotonic() < _paused_until:
        return 0
    messages = list(OutboxMessage.objects.filter(pk__in=list(ids), published_at__isnull=True).order_by("created_at"))
    if not messages:
        return 0
    sent = 0
    with app.connection_for_write(connect_timeout=CONNECT_TIMEOUT) as broker:
        for message in messages:
            try:
                app.tasks[message.task].apply_async(
                    args=message.args,
                    kwargs=message.kwargs,
                    task_id=str(message.pk),
                    headers={"_schema_name": message.schema},
                    connection=broker,
                    retry=False,
                )
            except Exception as error:  # noqa: BLE001 - whatever the broker's failure, the message waits for the relay
                logger.warning("Tâche %s en attente : le courtier est injoignable (%s)", message.task, error)
                OutboxMessage.objects.filter(pk=message.pk).update(
                    attempts=message.attempts + 1, last_error=str(error)[:2000]
                )
                _paused_until = time.monotonic() + PAUSE_AFTER_FAILURE
                break  # the broker is down: the others would fail the same way
            OutboxMessage.objects.filter(pk=message.pk).update(
                published_at=timezone.now(), attempts=message.attempts + 1
            )
            sent += 1
    if sent:
        _paused_until = 0.0
    return sent


def pending() -> int:
    """How many messages wait for the broker."""
    return OutboxMessage.objects.filter(published_at__isnull=True).count()


@shared_task(name="mutualise.outbox.relay")
def relay() -> int:
    """Hand over the messages still waiting (oldest first, by batches); return how many went."""
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                OutboxMessage.objects.filter(published_at__isnull=True, created_at__lte=timezone.now() - RELAY_GRACE)
                .order_by("created_at")
                .select_for_update(skip_locked=True)
                .values_list("pk", flat=True)[:RELAY_BATCH]
            )
            sent = publish(ids) if ids else 0
        total += sent
        if sent < RELAY_BATCH:
            return total


@contextmanager
def once(task_id: str | None) -> Iterator[bool]:
    """Run the block at most once for the message ``task_id``: yields ``False`` if its effect is already done.

    The block runs in a transaction that also records the message as done: if the worker dies before the commit,
    neither the effect nor the record remain, and the next delivery does it again. A task id that is not an outbox
    message (a task queued directly) always runs.
    """
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update().filter(pk=task_id).first() if _is_uuid(task_id) else None
        if message is not None and message.done_at is not None:
            logger.info("Tâche %s déjà effectuée : ignorée", task_id)
            yield False
            return
        yield True
        if message is not None:
            OutboxMessage.objects.filter(pk=message.pk).update(done_at=timezone.now())


def _is_uuid(value) -> bool:
    import uuid

    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
