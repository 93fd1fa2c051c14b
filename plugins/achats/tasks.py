"""Reminders to the communes that have not answered an open census: once a day at most per commune."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.core.mail import send_mail
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone

from mutualise.accounts.models import CommuneMembership
from mutualise.accounts.notifications import email_recipients
from mutualise.services import is_service_enabled
from plugins.achats.coordination.models import Groupement, Member

logger = logging.getLogger(__name__)
SERVICE = "achats"


def remind(commune, today: datetime.date | None = None) -> list[int]:
    """Remind ``commune`` of every open census it has not answered; return the groupements it was reminded of.

    Nothing for a commune where the service is disabled, for a census closed or past its deadline, or when the
    commune was already reminded today. The day is marked before the e-mail goes, so two runs never send twice.
    """
    today = today or timezone.localdate()
    if not is_service_enabled(commune, SERVICE, today):
        return []
    waiting = Member.objects.filter(
        commune=commune,
        answered_at__isnull=True,
        groupement__status=Groupement.Status.RECENSEMENT,
        groupement__deadline__gte=today,
    ).select_related("groupement")
    reminded = []
    for member in waiting:
        claimed = Member.objects.filter(pk=member.pk).exclude(last_reminder_on=today).update(last_reminder_on=today)
        if claimed:
            reminded.append(member.groupement)
    if not reminded:
        return []
    people = [
        m.user
        for m in CommuneMembership.objects.filter(commune=commune, role__in=["referent", "agent"]).select_related(
            "user"
        )
    ]
    recipients = email_recipients(people, SERVICE)
    if recipients:
        body = render_to_string(
            "achats/email_reminder.txt", {"commune": commune, "groupements": reminded, "url": commune.url}
        )
        send_mail(
            f"[Groupements d'achats] {commune.name} — réponse attendue au recensement des besoins",
            body,
            None,
            [user.email for user in recipients],
        )
    return [g.pk for g in reminded]


@shared_task(name="achats.remind_census")
def remind_census() -> list[int]:
    """The periodic task: runs in one commune's schema (the platform runs it where the service is enabled)."""
    from tenants.models import Commune

    commune = Commune.objects.filter(schema_name=connection.schema_name).first()
    if commune is None:
        logger.warning("Relance des recensements hors d'un schéma de commune (%s) : ignorée", connection.schema_name)
        return []
    return remind(commune)


@shared_task(name="achats.census_opened", acks_late=True)
def notify_census_opened(groupement_id: int) -> int:
    """Tell each invited commune (service enabled) that the census is open; returns how many communes were told.

    The référents and agents of all the communes are read in one query.
    """
    from mutualise.services import communes_with_service

    groupement = Groupement.objects.get(pk=groupement_id)
    enabled = set(communes_with_service(SERVICE).values_list("id", flat=True))
    communes = {
        m.commune_id: m.commune for m in groupement.members.select_related("commune") if m.commune_id in enabled
    }
    people: dict[int, list] = {}
    for membership in CommuneMembership.objects.filter(
        commune_id__in=communes, role__in=["referent", "agent"]
    ).select_related("user"):
        people.setdefault(membership.commune_id, []).append(membership.user)
    told = 0
    for commune_id, commune in communes.items():
        recipients = email_recipients(people.get(commune_id, []), SERVICE)
        if not recipients:
            continue
        body = render_to_string(
            "achats/email_census_opened.txt",
            {"commune": commune, "groupement": groupement, "url": commune.url},
        )
        send_mail(
            f"[Groupements d'achats] Recensement ouvert : {groupement.title}",
            body,
            None,
            [user.email for user in recipients],
        )
        told += 1
    return told
