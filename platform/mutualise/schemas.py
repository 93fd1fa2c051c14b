"""Reading the same tables in many communes' schemas with a few statements: ``UNION ALL`` in batches of schemas.

A service's tables exist in every commune's schema. Switching schema commune after commune costs a query or more per
commune; one ``UNION ALL`` over every schema costs one statement but has a ceiling: PostgreSQL locks every table and
index a statement plans, in a lock table the whole server shares (``max_locks_per_transaction`` ×
``max_connections`` slots: 64 × 100 = 6,400 by default). A statement over a thousand schemas, at a few relations
each, fails with "out of shared memory", and makes other sessions of the server fail while it runs.

:func:`union_all` therefore runs one statement per batch of schemas, the batch sized from the relations each
branch locks (:func:`schemas_per_statement`), and returns the rows of every batch. Schema names are quoted by
psycopg's ``sql.Identifier``; everything else a branch needs is a bound parameter.

A statement's locks are released at the end of its transaction: in Django's autocommit (views, tasks) each batch
frees its slots before the next runs; inside ``transaction.atomic()`` the batches' locks add up until the commit.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models
from psycopg import sql

# Relations (tables and indexes) one statement may lock: a twentieth of the default lock table, so that a busy
# server runs a score of these statements at once. 400 is 50 schemas of a table with 7 indexes.
RELATIONS_PER_STATEMENT = 400
# Schemas per statement when the caller does not say how many relations a branch locks.
SCHEMAS_PER_STATEMENT = 50
# PostgreSQL's ceiling on bound parameters in one statement (a 16-bit count in the wire protocol).
MAX_PARAMETERS = 65535

SchemaSpec = str | tuple[str, Sequence[Any]]


def quoted(name: str) -> str:
    """``name`` (a schema, table, column, constraint or index) as a quoted SQL identifier, inner quotes doubled.

    For SQL written as text (DDL, scripts); statements with parameters use psycopg's ``sql.Identifier``.
    """
    return '"' + name.replace('"', '""') + '"'


def table_of(model: type[models.Model]) -> str:
    """The quoted table of ``model``: for statements written once from the models (session, rights, queue)."""
    return quoted(model._meta.db_table)


def column_of(model: type[models.Model], field: str) -> str:
    """The quoted column of ``model``'s ``field`` (a foreign key's ``…_id``)."""
    return quoted(model._meta.get_field(field).column)


def schemas_per_statement(relations: int | None = None) -> int:
    """How many schemas one statement may read when each branch locks ``relations`` tables and indexes.

    ``None`` gives :data:`SCHEMAS_PER_STATEMENT` (50); never fewer than one schema.
    """
    if relations is None:
        return SCHEMAS_PER_STATEMENT
    if relations < 1:
        raise ValueError("relations must be at least 1")
    return max(1, RELATIONS_PER_STATEMENT // relations)


def relations_of(*models_read: type[models.Model]) -> int:
    """The tables and indexes a branch reading the tables of ``models_read`` locks, counted from the models.

    The planner locks each table and every index on it. Counted: the table, its primary key, each unique field,
    each indexed field (foreign keys included), each ``Meta.indexes`` entry and each unique constraint or
    ``unique_together``; text fields that are indexed get a second (``varchar_pattern_ops``) index from Django.
    An index a migration dropped with SQL is still counted: the figure may be too high (smaller batches), never
    too low.
    """
    total = 0
    for model in models_read:
        meta = model._meta
        total += 1 + len(meta.indexes) + len(meta.unique_together)
        total += sum(1 for c in meta.constraints if isinstance(c, models.UniqueConstraint))
        for field in meta.local_concrete_fields:
            if not (field.primary_key or field.unique or field.db_index):
                continue
            total += 1
            target = field.target_field if field.is_relation else field
            if isinstance(target, models.CharField | models.TextField):
                total += 1
    return total


def batches(schemas: Sequence[SchemaSpec], size: int) -> Iterator[Sequence[SchemaSpec]]:
    """``schemas`` cut into consecutive runs of at most ``size``."""
    for start in range(0, len(schemas), size):
        yield schemas[start : start + size]


def union_all(
    branch: str | sql.Composable,
    schemas: Iterable[SchemaSpec],
    params: Sequence[Any] = (),
    *,
    relations: int | None = None,
    per_statement: int | None = None,
    prefix: str | sql.Composable = "",
    prefix_params: Sequence[Any] = (),
    using: str = DEFAULT_DB_ALIAS,
) -> list[tuple]:
    """Run ``branch`` in each of ``schemas`` as ``UNION ALL`` statements of a few schemas each; return every row.

    ``branch`` is SQL over one schema: ``{schema}`` stands for the quoted schema name (write tables as
    ``{schema}.fiscal_fiscalbase``); a literal brace is doubled, a literal percent sign written ``%%``.
    ``schemas`` holds schema names, or ``(schema name, parameters)`` pairs: each branch binds its schema's own
    parameters first, then ``params`` (the same for every branch), in the order of the ``%s`` placeholders.
    ``prefix`` comes before the branches in every statement (a ``WITH`` clause they share, sent once per statement
    rather than once per branch), its ``prefix_params`` bound before the branches'.

    Schemas per statement: ``per_statement`` if given, else :func:`schemas_per_statement` of ``relations`` (the
    tables and indexes one branch locks; see :func:`relations_of`), fewer if the parameters would pass PostgreSQL's
    limit. Rows come back batch after batch, each batch in the order PostgreSQL gives: a caller that needs an
    order sorts them, and a branch that groups must group within its schema (a grouping across schemas would be
    split between statements). No statement at all for no schema.
    """
    specs = [(spec, ()) if isinstance(spec, str) else (spec[0], tuple(spec[1])) for spec in schemas]
    if not specs:
        return []
    template = sql.SQL(branch) if isinstance(branch, str) else branch
    head = sql.SQL(prefix) if isinstance(prefix, str) else prefix
    shared = list(params)
    size = per_statement or schemas_per_statement(relations)
    per_branch = max(len(extra) for _, extra in specs) + len(shared)
    if per_branch:
        size = min(size, (MAX_PARAMETERS - len(prefix_params)) // per_branch)
    rows: list[tuple] = []
    with connections[using].cursor() as cursor:
        for batch in batches(specs, max(1, size)):
            branches = sql.SQL(" UNION ALL ").join(template.format(schema=sql.Identifier(name)) for name, _ in batch)
            query = head + branches if prefix else branches
            values = [*prefix_params, *(value for _, extra in batch for value in (*extra, *shared))]
            cursor.execute(query.as_string(cursor.connection), values)
            rows += cursor.fetchall()
    return rows
