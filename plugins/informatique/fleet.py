"""Figures across the communes subscribing to the service, each read with one ``UNION ALL`` over their schemas.

The tables of a plugin live in every commune's schema. Rather than switching schema commune after commune (a query
or more per commune), these functions read every schema through :func:`mutualise.schemas.union_all`: one statement
per 200 communes for these tables (one for the 28 of a communauté de communes, 5 for a thousand).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from decimal import Decimal

from django.db import models

from mutualise import schemas
from plugins.informatique import rules
from plugins.informatique.models import Asset, Contract, SchemaAction


def union_all(communes: Sequence, branch: str, model: type[models.Model], params: Sequence = ()) -> list[tuple]:
    """Run ``branch`` in every commune's schema (:func:`mutualise.schemas.union_all`, a few dozen schemas per
    statement); return the rows, each starting with the INSEE code.

    ``branch`` reads the table of ``model`` as ``{schema}.<table>``; its first ``%s`` is the commune's INSEE code,
    the next ones ``params``. ``branch`` must give rows per commune (a grouping across communes would be split
    between statements).
    """
    pairs = [(commune.schema_name, [commune.insee_code]) for commune in communes]
    return schemas.union_all(branch, pairs, params, relations=schemas.relations_of(model))


ACTIVE_FLEET = (
    "SELECT %s::text, kind, EXTRACT(YEAR FROM purchase_date)::int, count(*), count(purchase_value),"
    " coalesce(sum(purchase_value), 0) FROM {schema}.informatique_asset"
    " WHERE status <> 'reforme' AND purchase_date IS NOT NULL GROUP BY kind, EXTRACT(YEAR FROM purchase_date)"
)


def fleet_groups(communes: Sequence) -> dict[str, list[rules.FleetGroup]]:
    """Devices in use per commune (INSEE code), grouped by type and purchase year: one statement."""
    groups: dict[str, list[rules.FleetGroup]] = {c.insee_code: [] for c in communes}
    for code, kind, year, count, valued, value in union_all(communes, ACTIVE_FLEET, Asset):
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
    "SELECT %s::text, count(*), count(purchase_date),"
    " coalesce(sum(%s::date - purchase_date) FILTER (WHERE purchase_date IS NOT NULL), 0)"
    " FROM {schema}.informatique_asset WHERE status <> 'reforme'"
)


def fleet_summary(communes: Sequence, on: datetime.date) -> dict[str, tuple[int, int, int]]:
    """Per commune: devices in use, those with a purchase date, and the sum of their ages in days on ``on``."""
    return {
        code: (int(total), int(dated), int(days))
        for code, total, dated, days in union_all(communes, FLEET_SUMMARY, Asset, [on])
    }


SCHEMA_ACTIONS = (
    "SELECT %s::text, id, year, category, title, status, estimated_cost, actual_cost FROM {schema}.informatique_schemaaction"
    " WHERE (%s::int IS NULL OR year = %s::int) AND (%s::text = '' OR status = %s::text)"
)


def schema_actions(communes: Sequence, year: int | None = None, status: str = "") -> list[tuple]:
    """Every commune's schéma directeur actions, optionally of one year and one status: one statement.

    Rows: (INSEE code, id, year, category, title, status, estimated cost, actual cost).
    """
    return union_all(communes, SCHEMA_ACTIONS, SchemaAction, [year, year, status, status])


CONTRACTS = (
    "SELECT %s::text, start_date, end_date, tacit_renewal, renewal_months, notice_months, denounced_on, annual_amount"
    " FROM {schema}.informatique_contract WHERE annual_amount IS NOT NULL AND start_date <= %s::date"
)
REALISED_ACTIONS = (
    "SELECT %s::text, coalesce(sum(coalesce(actual_cost, estimated_cost)), 0) FROM {schema}.informatique_schemaaction"
    " WHERE status = 'realisee' AND year = %s::int"
)


def spending(communes: Sequence, year: int) -> dict[str, tuple[Decimal, Decimal]]:
    """Per commune: contracts' amounts falling in ``year`` (pro rata) and realised schéma directeur costs.

    Two statements whatever the number of communes.
    """
    contracts = {c.insee_code: Decimal("0") for c in communes}
    for code, start, end, tacit, renewal, notice, denounced, amount in union_all(
        communes, CONTRACTS, Contract, [datetime.date(year, 12, 31)]
    ):
        term = rules.Term(end, tacit, renewal, notice, denounced)
        contracts[code] += rules.cost_in_year(term, start, amount, year)
    actions = {code: Decimal(total) for code, total in union_all(communes, REALISED_ACTIONS, SchemaAction, [year])}
    return {code: (contracts[code], actions.get(code, Decimal("0"))) for code in contracts}


CONTRACT_ROWS = (
    "SELECT %s::text, id, kind, supplier, subject, start_date, end_date, tacit_renewal, renewal_months, notice_months,"
    " denounced_on, annual_amount FROM {schema}.informatique_contract"
)


def contracts(communes: Sequence) -> list[tuple]:
    """Every commune's contracts in one statement: (INSEE code, id, kind, supplier, subject, start, end, tacit
    renewal, renewal months, notice months, denounced on, annual amount)."""
    return union_all(communes, CONTRACT_ROWS, Contract)
