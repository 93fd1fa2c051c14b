"""The outbox: a task is queued with the change that calls for it, waits while the broker is down, acts once."""

from __future__ import annotations

import datetime
import time

import pytest
import redis
from django.db import transaction
from django_tenants.utils import schema_context

from mutualise import outbox
from mutualise.accounts.models import ServiceMembership
from mutualise.celery import app
from mutualise.demandes import services
from mutualise.demandes.notifications import notify
from mutualise.models import OutboxMessage
from tenants.subscriptions import enable_service
from tests.conftest import make_user
from tests.servers import forget_broker_connections, free_port, redis_server


@pytest.fixture
def technicien(db):
    user = make_user("technicien@cc.test")
    ServiceMembership.objects.create(user=user, service="informatique", role="agent")
    return user


def open_demande(commune, requester):
    enable_service(commune, "informatique", start=datetime.date(2024, 1, 1))
    with schema_context(commune.schema_name):
        return services.create(
            commune,
            service="informatique",
            kind="incident",
            category="impression",
            title="Le copieur ne scanne plus",
            description="Depuis ce matin.",
            requester=requester,
        )


def test_a_change_rolled_back_takes_its_message_with_it(commune, commune_agent, technicien):
    with pytest.raises(RuntimeError), transaction.atomic():
        open_demande(commune, commune_agent)
        assert OutboxMessage.objects.count() == 1
        raise RuntimeError("annulé")
    assert OutboxMessage.objects.count() == 0


def test_a_message_goes_after_commit_and_acts_once(
    commune, commune_agent, technicien, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        open_demande(commune, commune_agent)
    message = OutboxMessage.objects.get()
    assert message.task == "mutualise.demandes.notify" and message.schema == commune.schema_name
    assert message.published_at and message.done_at and message.attempts == 1
    assert [m.to for m in mailoutbox] == [["technicien@cc.test"]]
    # delivered again (a worker lost after the effect, a relay after a lost acknowledgement): nothing more
    assert notify.apply(args=message.args, kwargs=message.kwargs, task_id=str(message.pk)).get() == 0
    assert len(mailoutbox) == 1


@pytest.fixture
def broker_down(tmp_path, monkeypatch):
    """A broker address where nothing listens yet; the application really tries to reach it."""
    monkeypatch.setattr(outbox, "_paused_until", 0.0)  # restored after: the pause stays with this test
    port = free_port()
    previous = (app.conf.broker_url, app.conf.task_always_eager)
    app.conf.broker_url, app.conf.task_always_eager = f"redis://127.0.0.1:{port}/0", False
    forget_broker_connections(app)
    try:
        yield port
    finally:
        app.conf.broker_url, app.conf.task_always_eager = previous
        forget_broker_connections(app)


def test_broker_down_the_action_succeeds_and_the_message_waits_for_it(
    commune, commune_agent, technicien, broker_down, tmp_path, django_capture_on_commit_callbacks, monkeypatch
):
    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        demande = open_demande(commune, commune_agent)
    assert demande.pk and time.monotonic() - started < 5  # the user is not kept waiting
    message = OutboxMessage.objects.get()
    assert message.published_at is None and message.attempts == 1 and message.last_error
    assert outbox.pending() == 1
    # the next changes do not try again at once: their messages wait for the relay
    with django_capture_on_commit_callbacks(execute=True), schema_context(commune.schema_name):
        services.add_message(commune, demande, author=commune_agent, body="Toujours en panne", from_commune=True)
    assert OutboxMessage.objects.filter(attempts=0).count() == 1 and outbox.pending() == 2

    monkeypatch.setattr(outbox, "RELAY_GRACE", datetime.timedelta(0))
    with redis_server(broker_down, tmp_path) as url:
        assert outbox.relay() == 2
        message.refresh_from_db()
        assert message.published_at is not None and message.attempts == 2
        queued = redis.Redis.from_url(url).lrange("celery", 0, -1)
        assert len(queued) == 2 and any(str(message.pk).encode() in item for item in queued)
        assert outbox.relay() == 0  # nothing twice
    assert outbox.pending() == 0
