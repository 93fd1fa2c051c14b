"""The rules of a demande, as plain functions: priority, statuses and their transitions, service-level targets."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    NEW = "nouvelle", _("Nouvelle")
    ASSIGNED = "attribuee", _("En cours – attribuée")
    PLANNED = "planifiee", _("En cours – planifiée")
    WAITING = "en_attente", _("En attente – commune")
    SOLVED = "resolue", _("Résolue")
    CLOSED = "close", pgettext_lazy("statut", "Close")  # with a context: Django's own catalogue says « Fermer »


OPEN_STATUSES = frozenset({Status.NEW, Status.ASSIGNED, Status.PLANNED, Status.WAITING})

# Where each status may go next; going back from Résolue or Close to En cours is a reopening.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset({Status.ASSIGNED, Status.PLANNED, Status.WAITING, Status.SOLVED}),
    Status.ASSIGNED: frozenset({Status.PLANNED, Status.WAITING, Status.SOLVED}),
    Status.PLANNED: frozenset({Status.ASSIGNED, Status.WAITING, Status.SOLVED}),
    Status.WAITING: frozenset({Status.ASSIGNED, Status.PLANNED, Status.SOLVED}),
    Status.SOLVED: frozenset({Status.CLOSED, Status.ASSIGNED}),
    Status.CLOSED: frozenset({Status.ASSIGNED}),
}


def can_move(current: str, target: str) -> bool:
    """Whether a demande in status ``current`` may go to ``target``."""
    return target in TRANSITIONS.get(current, frozenset())


class Level(models.IntegerChoices):
    """Urgency and impact, 1 to 5, as in GLPI."""

    VERY_LOW = 1, _("Très basse")
    LOW = 2, _("Basse")
    MEDIUM = 3, _("Moyenne")
    HIGH = 4, _("Haute")
    VERY_HIGH = 5, _("Très haute")


class Priority(models.IntegerChoices):
    P1 = 1, _("P1 – critique")
    P2 = 2, _("P2 – haute")
    P3 = 3, _("P3 – normale")
    P4 = 4, _("P4 – basse")


def priority(urgency: int, impact: int) -> int:
    """The priority from the urgency × impact matrix: a whole town hall blocked and urgent is P1."""
    score = urgency + impact
    if score >= 9:
        return Priority.P1
    if score >= 7:
        return Priority.P2
    if score >= 5:
        return Priority.P3
    return Priority.P4


@dataclass(frozen=True)
class Target:
    """Business minutes to take a demande in charge (TTO) and to resolve it (TTR)."""

    take_charge: int
    resolve: int


DAY = 7 * 60  # a working day of the default calendar
DEFAULT_TARGETS: dict[int, Target] = {
    Priority.P1: Target(take_charge=60, resolve=4 * 60),
    Priority.P2: Target(take_charge=4 * 60, resolve=DAY),
    Priority.P3: Target(take_charge=DAY, resolve=3 * DAY),
    Priority.P4: Target(take_charge=DAY, resolve=10 * DAY),
}
