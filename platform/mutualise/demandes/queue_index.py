"""The agents' queue, read from the public index of demandes: its filters, its count and one page.

The console's most used page. Built by the ORM, its two statements cost more to compose than to run (1.3 ms of
Python a page, against 1.9 ms for PostgreSQL, at 1,000 communes): they are written here once, from the models'
metadata, as ``mutualise.access.rights_of`` writes its own, and every value is a parameter.
"""

from __future__ import annotations

import datetime
import functools
from collections import namedtuple
from collections.abc import Collection
from dataclasses import dataclass

from django.db import connection

from mutualise.accounts.models import User
from mutualise.models import DemandeIndex, DemandeTally
from mutualise.schemas import column_of, table_of
from tenants.models import Commune

PAGE_SIZE = 50
# Deadline, then priority, then date: the queue's order (served by the index's "demande_queue_*" indexes).
ORDER = ("due_at", "priority", "created_at")
COLUMNS = (
    "demande_id",
    "title",
    "service",
    "status",
    "priority",
    "due_at",
    "take_charge_breached",
    "resolve_breached",
    "commune__name",
    "commune__insee_code",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__email",
)
QueueRow = namedtuple("QueueRow", COLUMNS)


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows: the demandes of these services, and of these statuses (``None``: all), priority,
    commune (INSEE code), assignee and deadline (passed before ``due_before``) when given."""

    services: Collection[str]
    statuses: Collection[str] | None = None
    priority: int | None = None
    commune: str | None = None
    assignee_id: int | None = None
    due_before: datetime.datetime | None = None

    @property
    def by_tally(self) -> bool:
        """Whether the tally can count these demandes: by service, status and priority only."""
        return self.commune is None and self.assignee_id is None and self.due_before is None


@functools.cache
def _sql() -> dict[str, str]:
    """The statements' pieces, from the models' metadata."""
    index, communes, users, tally = (table_of(m) for m in (DemandeIndex, Commune, User, DemandeTally))
    d = functools.partial(column_of, DemandeIndex)
    order = ", ".join(d(name) for name in ORDER)
    return {
        "services": f"{d('service')} = ANY(%s)",
        "statuses": f"{d('status')} = ANY(%s)",
        "priority": f"{d('priority')} = %s",
        "commune": f"{d('commune')} = (SELECT {column_of(Commune, 'id')} FROM {communes} "
        f"WHERE {column_of(Commune, 'insee_code')} = %s)",
        "assignee": f"{d('assignee')} = %s",
        "due_before": f"{d('due_at')} < %s",
        "count": f"SELECT count(*) FROM {index} WHERE ",
        "tally": f"SELECT coalesce(sum({column_of(DemandeTally, 'demandes')}), 0) FROM {tally} "
        f"WHERE {column_of(DemandeTally, 'service')} = ANY(%s) "
        f"AND (%s::text[] IS NULL OR {column_of(DemandeTally, 'status')} = ANY(%s::text[])) "
        f"AND (%s::integer IS NULL OR {column_of(DemandeTally, 'priority')} = %s::integer)",
        # The page's rows chosen on the index's own columns, then only they joined to their commune and agent:
        # joining every row before the page, then sorting them whole, made page 40 cost ten times page 1.
        "page": "SELECT "
        + ", ".join(f"q.{d(name)}" for name in COLUMNS[:8])
        + f", c.{column_of(Commune, 'name')}, c.{column_of(Commune, 'insee_code')}, u.{column_of(User, 'first_name')}, "
        f"u.{column_of(User, 'last_name')}, u.{column_of(User, 'email')} "
        f"FROM {index} q JOIN {communes} c ON c.{column_of(Commune, 'id')} = q.{d('commune')} "
        f"LEFT JOIN {users} u ON u.{column_of(User, 'id')} = q.{d('assignee')} "
        f"WHERE q.{d('id')} IN (SELECT {d('id')} FROM {index} WHERE {{where}} ORDER BY {order} LIMIT %s OFFSET %s) "
        f"ORDER BY " + ", ".join(f"q.{d(name)}" for name in ORDER),
    }


def _where(filters: QueueFilters) -> tuple[str, list]:
    sql = _sql()
    conditions, params = [sql["services"]], [list(filters.services)]
    for name, value in (
        ("statuses", None if filters.statuses is None else list(filters.statuses)),
        ("priority", filters.priority),
        ("commune", filters.commune),
        ("assignee", filters.assignee_id),
        ("due_before", filters.due_before),
    ):
        if value is not None:
            conditions.append(sql[name])
            params.append(value)
    return " AND ".join(conditions), params


def count(filters: QueueFilters) -> int:
    """How many demandes the queue holds for ``filters``: from the tally when it can tell, else from the rows."""
    with connection.cursor() as cursor:
        if filters.by_tally:
            statuses = None if filters.statuses is None else list(filters.statuses)
            params = [list(filters.services), statuses, statuses, filters.priority, filters.priority]
            cursor.execute(_sql()["tally"], params)
        else:
            where, params = _where(filters)
            cursor.execute(_sql()["count"] + where, params)
        return int(cursor.fetchone()[0])  # sum() of bigints is numeric


def page(filters: QueueFilters, offset: int, limit: int = PAGE_SIZE) -> list[QueueRow]:
    """The ``limit`` demandes after the first ``offset`` in the queue's order, with their commune and agent."""
    where, params = _where(filters)
    with connection.cursor() as cursor:
        cursor.execute(_sql()["page"].format(where=where), [*params, limit, offset])
        return [QueueRow._make(row) for row in cursor.fetchall()]
