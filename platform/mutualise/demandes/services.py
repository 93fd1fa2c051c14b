"""What happens to a demande, each step in one transaction with its row in the public index.

Every function here runs in the schema of the demande's commune (the caller sets it); the index table lives in the
public schema, which is on every commune's search path, so both rows are written by the same transaction.
"""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mutualise import audit
from mutualise.demandes import levels, notifications, rules
from mutualise.demandes.forms import check_upload
from mutualise.demandes.models import Attachment, Demande, Message, StatusChange, TimeEntry
from mutualise.demandes.rules import Status
from mutualise.demandes.sla import add_business_minutes, deadline_with_pauses
from mutualise.models import DemandeIndex
from mutualise.plugins import get_registry
from mutualise.services import is_service_enabled


def request_types(service: str) -> dict:
    """The kinds of demande ``service`` accepts, by code."""
    return {t.code: t for t in get_registry().call(service, "mutualise_request_types") or []}


def pauses(demande: Demande) -> list[tuple[datetime.datetime, datetime.datetime | None]]:
    """The periods the demande spent waiting on the commune (the last one may still be open)."""
    periods, started = [], None
    for change in demande.status_changes.all():
        if change.after == Status.WAITING and started is None:
            started = change.at
        elif change.after != Status.WAITING and started is not None:
            periods.append((started, change.at))
            started = None
    if started is not None:
        periods.append((started, None))
    return periods


INDEXED_FIELDS = (
    "service",
    "kind",
    "category",
    "title",
    "status",
    "priority",
    "assignee_id",
    "created_at",
    "taken_at",
    "solved_at",
    "take_charge_due",
    "resolve_due",
    "due_at",
)


def breaches(demande: Demande, now: datetime.datetime | None = None) -> dict[str, bool]:
    """Which deadlines the demande missed: taken in charge (or solved) after the first, solved after the second;
    an open demande past a deadline has missed it already."""
    now = now or timezone.now()
    is_open = demande.status in rules.OPEN_STATUSES
    taken = demande.taken_at or demande.solved_at or (now if is_open else None)
    solved = demande.solved_at or (now if is_open else None)
    return {
        "take_charge_breached": bool(demande.take_charge_due and taken and taken > demande.take_charge_due),
        "resolve_breached": bool(demande.resolve_due and solved and solved > demande.resolve_due),
    }


def index_values(demande: Demande) -> dict:
    """What the public index holds about ``demande``; ``due_at`` is its next deadline, while it is open."""
    if demande.status not in rules.OPEN_STATUSES:
        due = None
    elif demande.taken_at is None:
        due = demande.take_charge_due
    else:
        due = demande.resolve_due
    values = {name: getattr(demande, name) for name in INDEXED_FIELDS if name != "due_at"}
    return {**values, "due_at": due, **breaches(demande)}


def index(commune, demande: Demande) -> None:
    """Write the demande's row of the public index (same transaction as the caller's)."""
    DemandeIndex.objects.update_or_create(commune=commune, demande_id=demande.pk, defaults=index_values(demande))


def kept_target(demande: Demande) -> rules.Target:
    """The targets the demande was opened with (for a row that lacks them, those in force on its opening day)."""
    if demande.take_charge_minutes and demande.resolve_minutes:
        return rules.Target(take_charge=demande.take_charge_minutes, resolve=demande.resolve_minutes)
    return levels.target_for(demande.service, demande.priority, timezone.localdate(demande.created_at))


def _record(demande: Demande, before: str, by) -> None:
    StatusChange.objects.create(demande=demande, before=before, after=demande.status, by=by)


@transaction.atomic
def create(
    commune,
    *,
    service: str,
    kind: str,
    title: str,
    description: str,
    requester,
    urgency: int = 3,
    impact: int = 3,
    category: str = "",
) -> Demande:
    """Open a demande from ``commune`` to ``service``; deadlines come from the service's targets in force today,
    counted in the intercommunality's business hours. The demande keeps those targets for good."""
    if not is_service_enabled(commune, service):
        raise ValidationError("La commune ne souscrit pas à ce service.")
    kinds = request_types(service)
    if kind not in kinds:
        raise ValidationError({"kind": "Ce type de demande n'existe pas pour ce service."})
    if category and category not in dict(kinds[kind].categories):
        raise ValidationError({"category": "Cette catégorie n'existe pas pour ce type de demande."})
    level = rules.priority(urgency, impact) if kinds[kind].uses_priority_matrix else rules.Priority.P3
    now = timezone.now()
    target, calendar = levels.target_for(service, level, timezone.localdate(now)), levels.calendar()
    demande = Demande(
        service=service,
        kind=kind,
        category=category,
        title=title.strip(),
        description=description.strip(),
        requester=requester,
        urgency=urgency,
        impact=impact,
        priority=level,
        created_at=now,
        take_charge_minutes=target.take_charge,
        resolve_minutes=target.resolve,
        take_charge_due=add_business_minutes(now, target.take_charge, calendar),
        resolve_due=add_business_minutes(now, target.resolve, calendar),
    )
    demande.full_clean()
    demande.save()
    _record(demande, "", requester)
    index(commune, demande)
    notifications.queue("nouvelle", commune, demande.pk)
    audit.record("demande.creee", actor=requester, commune=commune, service=service, target=str(demande))
    return demande


@transaction.atomic
def assign(commune, demande: Demande, agent, *, by) -> Demande:
    """Give the demande to ``agent`` (an agent of its service); a new demande is then taken in charge."""
    demande = Demande.objects.select_for_update().get(pk=demande.pk)
    before = demande.status
    demande.assignee = agent
    if demande.status == Status.NEW:
        demande.status = Status.ASSIGNED
    if demande.taken_at is None:
        demande.taken_at = timezone.now()
    demande.save()
    if demande.status != before:
        _record(demande, before, by)
    index(commune, demande)
    audit.record(
        "demande.attribuee",
        actor=by,
        commune=commune,
        service=demande.service,
        target=str(demande),
        after={"agent": agent.email},
    )
    return demande


@transaction.atomic
def move(commune, demande: Demande, target: str, *, by) -> Demande:
    """Change the demande's status if the transition is allowed.

    The clocks pause while the demande waits on the commune: its deadlines are pushed back by the time waited (the
    taking in charge too, if the demande was put on hold before being taken in charge).
    """
    demande = Demande.objects.select_for_update().get(pk=demande.pk)
    if not rules.can_move(demande.status, target):
        raise ValidationError(
            f"Une demande « {Status(demande.status).label} » ne peut pas passer à « {Status(target).label} »."
        )
    before, now, taken_before = demande.status, timezone.now(), demande.taken_at
    demande.status = target
    if target in (Status.ASSIGNED, Status.PLANNED) and demande.taken_at is None:
        demande.taken_at = now
    if target == Status.SOLVED:
        demande.solved_at = now
    elif target == Status.CLOSED:
        demande.closed_at = now
    elif before in (Status.SOLVED, Status.CLOSED):  # reopened
        demande.solved_at = demande.closed_at = None
    demande.save()
    _record(demande, before, by)
    notifications.queue("statut", commune, demande.pk, author_id=getattr(by, "pk", None))
    if before == Status.WAITING or target == Status.WAITING:
        kept, calendar, waited = kept_target(demande), levels.calendar(), pauses(demande)
        dues = {"resolve_due": deadline_with_pauses(demande.created_at, kept.resolve, calendar, waited)}
        if taken_before is None:
            dues["take_charge_due"] = deadline_with_pauses(demande.created_at, kept.take_charge, calendar, waited)
        Demande.objects.filter(pk=demande.pk).update(**dues)
        for name, value in dues.items():
            setattr(demande, name, value)
    index(commune, demande)
    audit.record(
        "demande.statut",
        actor=by,
        commune=commune,
        service=demande.service,
        target=str(demande),
        before={"statut": before},
        after={"statut": target},
    )
    return demande


@transaction.atomic
def add_message(
    commune,
    demande: Demande,
    *,
    author,
    body: str,
    internal: bool = False,
    from_commune: bool = False,
    attachment=None,
) -> Message:
    """Add to the thread, with an optional file (checked by ``forms.check_upload``, kept in the commune's storage).

    The commune answering a demande that waits on it starts the clock again.
    """
    message = Message(demande=demande, author=author, body=body.strip(), internal=internal and not from_commune)
    message.full_clean()
    message.save()
    if attachment is not None:
        name = check_upload(attachment.name, attachment.size)
        stored = Attachment(demande=demande, message=message, name=name, size=attachment.size, uploaded_by=author)
        stored.file.save(name, attachment, save=False)
        stored.save()
    notifications.queue("message", commune, demande.pk, author_id=author.pk, internal=message.internal)
    if from_commune and demande.status == Status.WAITING:
        move(commune, demande, Status.ASSIGNED, by=author)
    else:
        Demande.objects.filter(pk=demande.pk).update(updated_at=timezone.now())
    return message


@transaction.atomic
def add_time(commune, demande: Demande, *, agent, date: datetime.date, minutes: int, note: str = "") -> TimeEntry:
    """Record time an agent spent on the demande."""
    entry = TimeEntry(demande=demande, agent=agent, date=date, minutes=minutes, note=note.strip())
    entry.full_clean()
    entry.save()
    return entry
