"""mutualise.schemas: one UNION ALL per batch of schemas, with quoted names, parameters per schema and bounded locks."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mutualise import schemas

# Schema names a commune never gets, to check the quoting: a quote, a space, capitals, a dot, a keyword.
ODD = ['test "cite"', "Test Majuscules", "test.point", "select", "test-tiret"]


@pytest.fixture
def many_schemas(db) -> list[str]:
    """Twelve schemas holding a table ``t`` of one row each, created in the test's transaction (rolled back)."""
    names = [f"test_union_{n:02}" for n in range(7)] + ODD
    with connection.cursor() as cursor:
        for position, name in enumerate(names):
            quoted = connection.ops.quote_name(name.replace('"', '""'))
            cursor.execute(f"CREATE SCHEMA {quoted}")
            cursor.execute(f"CREATE TABLE {quoted}.t (n integer PRIMARY KEY, label text)")
            cursor.execute(f"INSERT INTO {quoted}.t VALUES (%s, %s)", [position, name])
    return names


def test_rows_of_every_schema_in_batches(many_schemas):
    with CaptureQueriesContext(connection) as captured:
        rows = schemas.union_all("SELECT n, label FROM {schema}.t", many_schemas, per_statement=5)
    assert sorted(rows) == [(n, name) for n, name in enumerate(many_schemas)]
    reads = [q["sql"] for q in captured.captured_queries if '".t' in q["sql"]]
    assert len(reads) == 3  # 12 schemas, 5 per statement
    assert [r.count(" UNION ALL ") for r in reads] == [4, 4, 1]


def test_odd_schema_names_are_quoted(many_schemas):
    rows = schemas.union_all("SELECT label FROM {schema}.t", ODD)
    assert sorted(label for (label,) in rows) == sorted(ODD)
    with CaptureQueriesContext(connection) as captured:
        schemas.union_all("SELECT label FROM {schema}.t", ['test "cite"'])
    assert captured.captured_queries[0]["sql"] == 'SELECT label FROM "test ""cite""".t'


def test_parameters_of_each_schema_then_shared_ones(many_schemas):
    pairs = [(name, [name.upper(), n * 10]) for n, name in enumerate(many_schemas)]
    rows = schemas.union_all(
        "SELECT %s::text, %s::integer + n, label FROM {schema}.t WHERE n >= %s::integer AND label <> %s::text",
        pairs,
        [2, "select"],
        per_statement=4,
    )
    expected = [(name.upper(), n * 10 + n, name) for n, name in enumerate(many_schemas) if n >= 2 and name != "select"]
    assert sorted(rows) == sorted(expected)


def test_a_prefix_shared_by_the_branches_of_each_statement(many_schemas):
    with CaptureQueriesContext(connection) as captured:
        rows = schemas.union_all(
            "SELECT label FROM {schema}.t WHERE n IN (SELECT * FROM wanted) AND n < %s::integer",
            many_schemas,
            [9],
            per_statement=5,
            prefix="WITH wanted AS MATERIALIZED (SELECT unnest(%s::integer[])) ",
            prefix_params=[[1, 3, 8, 9, 11]],
        )
    assert sorted(rows) == sorted((many_schemas[n],) for n in (1, 3, 8))
    assert len(captured) == 3 and all(q["sql"].startswith("WITH wanted") for q in captured.captured_queries)


def test_a_literal_percent_sign_and_no_schema(many_schemas):
    rows = schemas.union_all("SELECT label FROM {schema}.t WHERE label LIKE 'test\\_union\\_0%%'", many_schemas)
    assert len(rows) == 7
    with CaptureQueriesContext(connection) as captured:
        assert schemas.union_all("SELECT 1 FROM {schema}.t", []) == []
    assert len(captured) == 0


def test_batch_size_from_the_relations_each_branch_locks(many_schemas):
    assert schemas.schemas_per_statement() == 50
    assert schemas.schemas_per_statement(8) == 50 and schemas.schemas_per_statement(2) == 200
    assert schemas.schemas_per_statement(1000) == 1
    with pytest.raises(ValueError):
        schemas.schemas_per_statement(0)
    with CaptureQueriesContext(connection) as captured:
        schemas.union_all("SELECT n FROM {schema}.t", many_schemas, relations=schemas.RELATIONS_PER_STATEMENT // 3)
    assert len(captured) == 4  # 3 schemas per statement
    # Bound parameters never pass PostgreSQL's limit, whatever the batch size asked.
    wide = [(name, list(range(30_000))) for name in many_schemas]
    branch = "SELECT n FROM {schema}.t WHERE n = ANY(ARRAY[" + ", ".join(["%s::integer"] * 30_000) + "])"
    with CaptureQueriesContext(connection) as captured:
        assert len(schemas.union_all(branch, wide, per_statement=50)) == len(many_schemas)
    assert len(captured) == 6  # two schemas' 60,000 parameters per statement


def locked_relations(branch: str, schema: str) -> int:
    """Relations of ``schema`` that the branch locks, read from pg_locks inside the test's transaction."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM ({branch.format(schema=connection.ops.quote_name(schema))}) AS b")
        cursor.execute(
            "SELECT count(DISTINCT l.relation) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
            " JOIN pg_namespace s ON s.oid = c.relnamespace"
            " WHERE l.locktype = 'relation' AND l.pid = pg_backend_pid() AND s.nspname = %s",
            [schema],
        )
        return cursor.fetchone()[0]


@pytest.mark.parametrize(
    "label", ["fiscal.FiscalBase", "fiscal.Local", "fiscal.Signalement", "informatique.Asset", "informatique.Contract"]
)
def test_relations_counted_from_the_model_are_those_postgresql_locks(commune, label):
    model = apps.get_model(label)
    locked = locked_relations(f"SELECT * FROM {{schema}}.{model._meta.db_table}", commune.schema_name)
    # fiscal's migration 0003 drops the varchar_pattern_ops twin of Local's primary key, which the model cannot
    # tell: counted from the model, one relation too many there, which only makes batches smaller. Never fewer.
    dropped_by_migrations = {"fiscal.Local": 1}
    assert schemas.relations_of(model) == locked + dropped_by_migrations.get(label, 0)
