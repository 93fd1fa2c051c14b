"""Figures across the communes subscribing to the service, each read in one SQL statement for all of them.

The tables of a plugin live in every commune's schema. Rather than switching schema commune after commune (a query
or more per commune), these functions build one ``UNION ALL`` over the schemas, each identifier quoted by psycopg.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.db import connection
from psycopg import sql

from plugins.informatique import rules

# Schemas per statement. PostgreSQL locks every table and index a statement reads, in a lock table the whole server
# shares (max_locks_per_transaction × max_connections: 6,400 by default); one statement over a thousand schemas would
# fill it. A few statements of 50 schemas stay far below, whatever the number of communes.
SCHEMAS_PER_STATEMENT = 50


def union_all(communes: Sequence, branch: str, params: Sequence = ()) -> list[tuple]:
    """Run ``branch`` once per commune, as one ``UNION ALL`` statement per 50 communes; return the rows, each starting
    with the INSEE code.

    ``branch`` is SQL text where ``{code}`` is the commune's INSEE code (a literal) and ``{asset}``, ``{contract}``,
    ``{action}`` are the commune's tables; ``params`` are bound once per branch, in order. ``branch`` must give rows
    per commune (a grouping across communes would be split between statements).
    """
    template = sql.SQL(branch)
    rows: list[tuple] = []
    with connection.cursor() as cursor:
        for start in range(0, len(communes), SCHEMAS_PER_STATEMENT):
            batch = communes[start : start + SCHEMAS_PER_STATEMENT]
            parts = [
                template.format(
                    code=sql.Literal(commune.insee_code),
                    asset=sql.Identifier(commune.schema_name, "informatique_asset"),
                    contract=sql.Identifier(commune.schema_name, "informatique_contract"),
                    action=sql.Identifier(commune.schema_name, "informatique_schemaaction"),
                )
                for commune in batch
            ]
            query = sql.SQL(" UNION ALL ").join(parts)
            cursor.execute(query.as_string(cursor.connection), list(params) * len(batch))
            rows += cursor.fetchall()
    return rows


ACTIVE_FLEET = (
    "SELECT {code}, kind, EXTRACT(YEAR FROM purchase_date)::int, count(*), count(purchase_value),"
    " coalesce(sum(purchase_value), 0) FROM {asset}"
    " WHERE status <> 'reforme' AND purchase_date IS NOT NULL GROUP BY kind, EXTRACT(YEAR FROM purchase_date)"
)


def fleet_groups(communes: Sequence) -> dict[str, list[rules.FleetGroup]]:
    """Devices in use per commune (INSEE code), grouped by type and purchase year: one statement."""
    groups: dict[str, list[rules.FleetGroup]] = {c.insee_code: [] for c in communes}
    for code, kind, year, count, valued, value in union_all(communes, ACTIVE_FLEET):
        groups[code].append(rules.FleetGroup(kind, int(year), int(count), int(valued), Decimal(value)))
    return groups


def forecast_by_commune(communes: Sequence, first_year: int, years: int = 6) -> dict[str, list[rules.YearForecast]]:
    """The renewal forecast of each commune, from one statement over every schema."""
    from plugins.informatique.reglages.models import instance_tables

    lifetimes, costs = instance_tables()
    return {
        code: rules.forecast(groups, first_year, years, lifetime_table=lifetimes, cost_table=costs)
        for code, groups in fleet_groups(communes).items()
    }


FLEET_SUMMARY = (
    "SELECT {code}, count(*), count(purchase_date),"
    " coalesce(sum(%s::date - purchase_date) FILTER (WHERE purchase_date IS NOT NULL), 0)"
    " FROM {asset} WHERE status <> 'reforme'"
)


def fleet_summary(communes: Sequence, on: datetime.date) -> dict[str, tuple[int, int, int]]:
    """Per commune: devices in use, those with a purchase date, and the sum of their ages in days on ``on``."""
    return {
        code: (int(total), int(dated), int(days))
        for code, total, dated, days in union_all(communes, FLEET_SUMMARY, [on])
    }


SCHEMA_ACTIONS = (
    "SELECT {code}, id, year, category, title, status, estimated_cost, actual_cost FROM {action}"
    " WHERE (%s::int IS NULL OR year = %s::int) AND (%s::text = '' OR status = %s::text)"
)


def schema_actions(communes: Sequence, year: int | None = None, status: str = "") -> list[tuple]:
    """Every commune's schéma directeur actions, optionally of one year and one status: one statement.

    Rows: (INSEE code, id, year, category, title, status, estimated cost, actual cost).
    """
    return union_all(communes, SCHEMA_ACTIONS, [year, year, status, status])


CONTRACTS = (
    "SELECT {code}, start_date, end_date, tacit_renewal, renewal_months, notice_months, denounced_on, annual_amount"
    " FROM {contract} WHERE annual_amount IS NOT NULL AND start_date <= %s::date"
)
REALISED_ACTIONS = (
    "SELECT {code}, coalesce(sum(coalesce(actual_cost, estimated_cost)), 0) FROM {action}"
    " WHERE status = 'realisee' AND year = %s::int"
)


def spending(communes: Sequence, year: int) -> dict[str, tuple[Decimal, Decimal]]:
    """Per commune: contracts' amounts falling in ``year`` (pro rata) and realised schéma directeur costs.

    Two statements whatever the number of communes.
    """
    contracts = {c.insee_code: Decimal("0") for c in communes}
    for code, start, end, tacit, renewal, notice, denounced, amount in union_all(
        communes, CONTRACTS, [datetime.date(year, 12, 31)]
    ):
        term = rules.Term(end, tacit, renewal, notice, denounced)
        contracts[code] += rules.cost_in_year(term, start, amount, year)
    actions = {code: Decimal(total) for code, total in union_all(communes, REALISED_ACTIONS, [year])}
    return {code: (contracts[code], actions.get(code, Decimal("0"))) for code in contracts}


CONTRACT_ROWS = (
    "SELECT {code}, id, kind, supplier, subject, start_date, end_date, tacit_renewal, renewal_months, notice_months,"
    " denounced_on, annual_amount FROM {contract}"
)


def contracts(communes: Sequence) -> list[tuple]:
    """Every commune's contracts in one statement: (INSEE code, id, kind, supplier, subject, start, end, tacit
    renewal, renewal months, notice months, denounced on, annual amount)."""
    return union_all(communes, CONTRACT_ROWS)
