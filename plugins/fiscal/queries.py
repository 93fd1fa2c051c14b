"""Reading the communes' fiscal figures across schemas in one query: a UNION ALL over the subscribing communes.

Schema names are quoted identifiers (they come from INSEE codes, never from typed text); populations are bound
parameters. A commune's page only ever receives aggregates from :func:`territory_aggregates`, computed by
PostgreSQL: the other communes' rows never reach the page.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from django.db import connection

from plugins.fiscal.models import FiscalBase, Local
from plugins.fiscal.rules import Aggregate


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _union(communes: Sequence, table: str, columns: str) -> tuple[str, list]:
    parts, params = [], []
    for commune in communes:
        parts.append(
            f"SELECT %s::varchar AS insee, %s::integer AS population, {columns} FROM {_q(commune.schema_name)}.{_q(table)}"
        )
        params += [commune.insee_code, commune.population or 0]
    return " UNION ALL ".join(parts), params


def territory_rows(communes: Sequence) -> list[dict]:
    """Every REI row of ``communes`` (``insee``, ``population``, ``year``, ``tax``, ``base``, ``rate``, ``product``,
    ``articles``), for the community's pages: one query whatever the number of communes."""
    if not communes:
        return []
    union, params = _union(communes, FiscalBase._meta.db_table, "year, tax, base, rate, product, articles")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({union}) AS t ORDER BY insee, year DESC, tax", params)
        names = [c.name for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def territory_aggregates(communes: Sequence) -> dict[tuple[int, str], Aggregate]:
    """Per (year, tax): how many communes, mean and median rate, the territory's rate (products over bases) and the
    median base per inhabitant, computed in the database over ``communes``."""
    if not communes:
        return {}
    union, params = _union(communes, FiscalBase._meta.db_table, "year, tax, base, rate, product")
    query = f"""
        SELECT year, tax, count(*),
               round(avg(rate), 3),
               round(percentile_cont(0.5) WITHIN GROUP (ORDER BY rate)::numeric, 3),
               round(sum(product) FILTER (WHERE base IS NOT NULL)
                     / nullif(sum(base) FILTER (WHERE product IS NOT NULL), 0) * 100, 3),
               round(percentile_cont(0.5) WITHIN GROUP (ORDER BY base / nullif(population, 0))::numeric, 2)
        FROM ({union}) AS t GROUP BY year, tax"""
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {
            (year, tax): Aggregate(count, mean, median, weighted, per_head)
            for year, tax, count, mean, median, weighted, per_head in cursor.fetchall()
        }


def category_counts(communes: Sequence) -> dict[str, dict[int, int]]:
    """Dwellings per cadastral category, per commune (INSEE code), in one query."""
    if not communes:
        return {}
    union, params = _union(communes, Local._meta.db_table, "affectation, category")
    query = (
        f"SELECT insee, category, count(*) FROM ({union}) AS t "
        "WHERE affectation = 'H' AND category IS NOT NULL GROUP BY insee, category"
    )
    result: dict[str, dict[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        for insee, category, count in cursor.fetchall():
            result.setdefault(insee, {})[category] = count
    return result


def signalement_totals(communes: Sequence) -> dict[str, dict[str, Decimal | int]]:
    """Per commune: locals flagged, accepted, and the base and product gained, in one query."""
    if not communes:
        return {}
    union, params = _union(communes, "fiscal_signalement", "status, base_gain, product_gain")
    query = f"""
        SELECT insee, count(*), count(*) FILTER (WHERE status = 'accepte'),
               coalesce(sum(base_gain) FILTER (WHERE status = 'accepte'), 0),
               coalesce(sum(product_gain) FILTER (WHERE status = 'accepte'), 0)
        FROM ({union}) AS t GROUP BY insee"""
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        return {
            insee: {"flagged": flagged, "accepted": accepted, "base_gain": base, "product_gain": product}
            for insee, flagged, accepted, base, product in cursor.fetchall()
        }
