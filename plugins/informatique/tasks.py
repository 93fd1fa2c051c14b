"""Periodic work of the Informatique service, run by the platform in each subscribing commune's schema."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.template.loader import render_to_string
from django.utils import timezone

SERVICE = "informatique"


def reminder_recipients(commune) -> list:
    """The commune's référents and the service's agents who accept the service's e-mails."""
    from mutualise.accounts.models import CommuneMembership, ServiceMembership
    from mutualise.accounts.notifications import email_recipients

    referents = CommuneMembership.objects.filter(commune=commune, role="referent", user__is_active=True)
    agents = ServiceMembership.objects.filter(service=SERVICE, user__is_active=True)
    users = {m.user_id: m.user for m in [*referents.select_related("user"), *agents.select_related("user")]}
    return email_recipients(users.values(), SERVICE)


def due_reminders(contracts, today: datetime.date, days: tuple[int, ...], already: set[tuple]) -> list[tuple]:
    """``(contract, deadline, thresholds)`` for each contract whose next notice deadline is within a reminder.

    ``already`` holds the ``(contract id, deadline, days before)`` sent before. A contract entering several
    thresholds at once (created late, or the task did not run) gets one e-mail, recorded for all of them.
    """
    due = []
    for contract in contracts:
        deadline = contract.next_notice_deadline(today)
        if deadline is None:
            continue
        left = (deadline - today).days
        pending = [d for d in days if left <= d and (contract.pk, deadline, d) not in already]
        if pending:
            due.append((contract, deadline, pending))
    return due


@shared_task(name="informatique.contract_reminders")
def contract_reminders() -> int:
    """E-mail, N days before each date limite de dénonciation, the commune's référents and the service's agents.

    Runs in one commune's schema (the platform queues it only where the service is enabled, and it checks again).
    Each reminder is recorded, so it goes once per deadline and threshold; returns the number of e-mails sent.
    """
    from mutualise.services import is_service_enabled
    from plugins.informatique import rules
    from plugins.informatique.models import Contract, ContractReminder
    from tenants.models import Commune

    commune = Commune.objects.filter(schema_name=connection.schema_name).first()
    if commune is None or not is_service_enabled(commune, SERVICE):
        return 0
    today = timezone.localdate()
    days = rules.reminder_days()
    if not days:
        return 0
    already = set(ContractReminder.objects.values_list("contract_id", "deadline", "days_before"))
    due = due_reminders(Contract.objects.all(), today, days, already)
    if not due:
        return 0
    recipients = reminder_recipients(commune)
    url = f"{commune.url}services/{SERVICE}/contrats/"
    sent = 0
    for contract, deadline, thresholds in due:
        with transaction.atomic():
            # Recorded first: a crash after sending leaves no duplicate, at worst a reminder missing.
            ContractReminder.objects.bulk_create(
                [
                    ContractReminder(contract=contract, deadline=deadline, days_before=d, recipients=len(recipients))
                    for d in thresholds
                ],
                ignore_conflicts=True,
            )
            if recipients:
                context = {
                    "commune": commune,
                    "contract": contract,
                    "deadline": deadline,
                    "days_left": (deadline - today).days,
                    "end": rules.end_for_deadline(contract.term, deadline),
                    "url": url,
                }
                body = render_to_string("informatique/email_contract_reminder.txt", context)
                subject = (
                    f"[Informatique] {commune.name} — dénonciation avant le {deadline:%d/%m/%Y} : "
                    f"{contract.supplier} ({contract.subject})"
                )
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [u.email for u in recipients])
                sent += 1
    return sent
