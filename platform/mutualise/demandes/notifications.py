"""E-mails about demandes, sent by Celery after the change is committed, to those who did not mute the service."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db.models import Exists, F, OuterRef
from django.template.loader import render_to_string
from django.utils import timezone
from django_tenants.utils import schema_context

from mutualise import outbox
from mutualise.accounts.models import ServiceMembership, User
from mutualise.accounts.notifications import email_recipients
from mutualise.demandes.rules import OPEN_STATUSES
from mutualise.models import DemandeIndex
from mutualise.plugins import get_registry
from tenants.models import Commune, Subscription

logger = logging.getLogger(__name__)

REMIND_BEFORE = timedelta(hours=1)


def service_agents(service: str, *, responsables_only: bool = False) -> list[User]:
    memberships = ServiceMembership.objects.filter(service=service, user__is_active=True).select_related("user")
    if responsables_only:
        memberships = memberships.filter(role="responsable")
    return [m.user for m in memberships]


def queue(event: str, commune, demande_id: int, **extra) -> None:
    """Send the e-mails of ``event`` once the current transaction commits (never for a change rolled back).

    Through the outbox: the message is written with the change, so a broker down at that moment delays the
    e-mails but loses none.
    """
    outbox.enqueue(notify, event, commune.insee_code, demande_id, **extra)


def _send(recipients: list[User], subject: str, template: str, context: dict) -> int:
    if not recipients:
        return 0
    body = render_to_string(template, context)
    return send_mail(subject, body, None, [user.email for user in recipients])


@shared_task(name="mutualise.demandes.notify", bind=True, acks_late=True)
def notify(
    self, event: str, insee_code: str, demande_id: int, author_id: int | None = None, internal: bool = False
) -> int:
    """E-mail the people concerned by ``event`` (``nouvelle``, ``message``, ``statut``); returns how many got it.

    A message delivered again after it was done sends nothing (see ``mutualise.outbox.once``).
    """
    with outbox.once(self.request.id) as first:
        return _notify(event, insee_code, demande_id, author_id, internal) if first else 0


def _notify(event: str, insee_code: str, demande_id: int, author_id: int | None, internal: bool) -> int:
    from mutualise.demandes.models import Demande

    commune = Commune.objects.get(insee_code=insee_code)
    with schema_context(commune.schema_name):
        demande = Demande.objects.select_related("requester", "assignee").get(pk=demande_id)
        service = get_registry().get(demande.service)
        context = {
            "demande": demande,
            "commune": commune,
            "service": service,
            "event": event,
            "commune_url": f"{commune.url}demandes/{demande.pk}/",
            "queue_url": f"{console_url()}file/{commune.insee_code}/{demande.pk}/",
        }
        agents = [demande.assignee] if demande.assignee else service_agents(demande.service)
        if event == "nouvelle":
            recipients = agents
        elif event == "message":
            from_commune = author_id == demande.requester_id or author_id not in {a.pk for a in agents}
            recipients = [] if internal else ([*agents] if from_commune else [demande.requester])
        else:  # statut
            recipients = [demande.requester]
        recipients = [u for u in email_recipients(recipients, demande.service) if u.pk != author_id]
        subject = f"[{service.label}] {commune.name} — demande n° {demande.pk} : {demande.title}"
        return _send(recipients, subject, "demandes/email.txt", context)


def console_url() -> str:
    """The address of the community console."""
    return f"{settings.MUTUALISE_URL_SCHEME}://{settings.MUTUALISE_BASE_DOMAIN}/"


def _in_force_here():
    """Whether the index row's commune subscribes today to the row's service (a subquery, not a loop)."""
    return Exists(
        Subscription.objects.in_force().filter(commune_id=OuterRef("commune_id"), service=OuterRef("service"))
    )


def flag_breaches(now=None) -> int:
    """Mark the open demandes whose deadline has passed (two statements over the index); returns how many."""
    now = now or timezone.now()
    open_rows = DemandeIndex.objects.filter(status__in=OPEN_STATUSES)
    late_to_take = open_rows.filter(taken_at__isnull=True, take_charge_due__lt=now, take_charge_breached=False)
    late_to_solve = open_rows.filter(resolve_due__lt=now, resolve_breached=False)
    return late_to_take.update(take_charge_breached=True) + late_to_solve.update(resolve_breached=True)


@shared_task(name="mutualise.demandes.check_deadlines")
def check_deadlines() -> dict[str, int]:
    """Flag missed deadlines; remind the agents an hour before a deadline, and tell the service's responsables once
    it has passed.

    The deadlines were set from each service's targets when the demande was opened. Reads the public index (one
    query each), reminds and escalates only where the commune still subscribes to the service, and sends each
    reminder and escalation once per deadline.
    """
    now = timezone.now()
    counts = {"rappels": 0, "escalades": 0, "depassements": flag_breaches(now)}
    open_rows = (
        DemandeIndex.objects.filter(due_at__isnull=False).filter(_in_force_here()).select_related("commune", "assignee")
    )
    for row in open_rows.filter(due_at__lte=now + REMIND_BEFORE, due_at__gt=now).exclude(reminded_for=F("due_at")):
        recipients = email_recipients([row.assignee] if row.assignee else service_agents(row.service), row.service)
        counts["rappels"] += bool(
            _send(
                recipients,
                f"[Échéance proche] {row.commune.name} — {row.title}",
                "demandes/email_deadline.txt",
                {"row": row, "late": False},
            )
        )
        DemandeIndex.objects.filter(pk=row.pk).update(reminded_for=row.due_at)
    for row in open_rows.filter(due_at__lte=now).exclude(escalated_for=F("due_at")):
        recipients = email_recipients(service_agents(row.service, responsables_only=True), row.service)
        counts["escalades"] += bool(
            _send(
                recipients,
                f"[Échéance dépassée] {row.commune.name} — {row.title}",
                "demandes/email_deadline.txt",
                {"row": row, "late": True},
            )
        )
        DemandeIndex.objects.filter(pk=row.pk).update(escalated_for=row.due_at)
    return counts
