"""Reading the communes' fiscal figures across schemas: a UNION ALL over the subscribing communes, in batches.

Each function reads every commune's schema through :func:`mutualise.schemas.union_all`: one statement per batch of
a hundred or so schemas (the batch sized from the table's indexes), so a handful of statements whatever the number
of communes, and never one statement that fills PostgreSQL's shared lock table. Schema names are quoted
identifiers (they come from INSEE codes, never from typed text); INSEE codes and populations are bound parameters.
A commune's page only ever receives aggregates from :func:`territory_aggregates`: the other communes' rows never
reach the page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from django.db import models

from mutualise import schemas
from plugins.fiscal import rules
from plugins.fiscal.models import FiscalBase, Local, Signalement
from plugins.fiscal.rules import Aggregate


def _read(communes: Sequence, model: type[models.Model], branch: str) -> list[tuple]:
    """Rows of ``branch`` in every commune's schema, each starting with the INSEE code and the population.

    ``branch`` is what follows ``SELECT insee, population,``; it reads the table of ``model`` as ``{table}``, and
    groups, if it does, within the commune.
    """
    select = f"SELECT %s::varchar, %s::integer, {branch.format(table='{schema}.' + model._meta.db_table)}"
    pairs = [(commune.schema_name, [commune.insee_code, commune.population or 0]) for commune in communes]
    return schemas.union_all(select, pairs, relations=schemas.relations_of(model))


BASE_COLUMNS = ("year", "tax", "base", "rate", "product", "articles")


def territory_rows(communes: Sequence) -> list[dict]:
    """Every REI row of ``communes`` (``insee``, ``population``, ``year``, ``tax``, ``base``, ``rate``, ``product``,
    ``articles``), by commune, newest year first, then tax: for the community's pages."""
    rows = _read(communes, FiscalBase, f"{', '.join(BASE_COLUMNS)} FROM {{table}}")
    names = ("insee", "population", *BASE_COLUMNS)
    result = [dict(zip(names, row, strict=True)) for row in rows]
    result.sort(key=lambda r: (r["insee"], -r["year"], r["tax"]))
    return result


def territory_aggregates(communes: Sequence) -> dict[tuple[int, str], Aggregate]:
    """Per (year, tax): how many communes, mean and median rate, the territory's rate (products over bases) and the
    median base per inhabitant over ``communes`` (:func:`plugins.fiscal.rules.aggregate`)."""
    groups: dict[tuple[int, str], list[dict]] = defaultdict(list)
    for row in territory_rows(communes):
        groups[row["year"], row["tax"]].append(row)
    return {key: rules.aggregate(rows) for key, rows in groups.items()}


def category_counts(communes: Sequence) -> dict[str, dict[int, int]]:
    """Dwellings per cadastral category, per commune (INSEE code)."""
    rows = _read(
        communes,
        Local,
        "category, count(*) FROM {table} WHERE affectation = 'H' AND category IS NOT NULL GROUP BY category",
    )
    result: dict[str, dict[int, int]] = {}
    for insee, _population, category, count in rows:
        result.setdefault(insee, {})[category] = count
    return result


def signalement_totals(communes: Sequence) -> dict[str, dict[str, Decimal | int]]:
    """Per commune with signalements: locals flagged, accepted, and the base and product gained."""
    rows = _read(
        communes,
        Signalement,
        "count(*), count(*) FILTER (WHERE status = 'accepte'),"
        " coalesce(sum(base_gain) FILTER (WHERE status = 'accepte'), 0),"
        " coalesce(sum(product_gain) FILTER (WHERE status = 'accepte'), 0)"
        " FROM {table} HAVING count(*) > 0",
    )
    return {
        insee: {"flagged": flagged, "accepted": accepted, "base_gain": base, "product_gain": product}
        for insee, _population, flagged, accepted, base, product in rows
    }
