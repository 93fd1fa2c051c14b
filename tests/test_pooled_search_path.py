"""The product's database backend on psycopg's pool: a commune's request never runs on another commune's schema.

A pool of one connection, so that every "request" below gets the same physical connection back: the backend skips
the ``SET search_path`` when that connection is already on the wanted path, and must set it again whenever the path
in force may be another (a transaction rolled back, a connection returned aborted or broken, a statement that changed
the path behind django-tenants' back). Each commune's schema holds a table naming it; a request reads it.
"""

from __future__ import annotations

import contextlib

import psycopg
import pytest
from django.db import DatabaseError, connection, connections

from mutualise.postgresql_backend.base import DatabaseWrapper, remembered_search_path

# The default connection's test transaction is not used; the mark makes the session set the test database up.
pytestmark = pytest.mark.django_db

GIGNAC, SAINT_ANDRE = "commune_34114", "commune_34239"
PROBE = "commune_probe"


@contextlib.contextmanager
def pooled_wrapper(django_db_blocker, pool: dict):
    """A wrapper of the product's backend on its own psycopg pool (``pool``: the pool's options), and a probe table
    in two schemas."""
    settings = {
        **connection.settings_dict,
        "CONN_MAX_AGE": 0,
        "OPTIONS": {**connection.settings_dict["OPTIONS"], "pool": pool},
    }
    wrapper = DatabaseWrapper(settings, alias="pooled_search_path")
    connections["pooled_search_path"] = wrapper  # Django's connection signals look it up by its alias
    with django_db_blocker.unblock():
        try:
            with wrapper.cursor() as cursor:
                for schema in (GIGNAC, SAINT_ANDRE):
                    cursor.execute(f'CREATE TABLE "{schema}".{PROBE} (commune text)')
                    cursor.execute(f'INSERT INTO "{schema}".{PROBE} VALUES (%s)', [schema])
            wrapper.close()
            yield wrapper
        finally:
            wrapper.close()
            with wrapper.cursor() as cursor:
                for schema in (GIGNAC, SAINT_ANDRE):
                    cursor.execute(f'DROP TABLE IF EXISTS "{schema}".{PROBE}')
            wrapper.close()
            wrapper.close_pool()
            del connections["pooled_search_path"]


@pytest.fixture
def pooled(django_db_setup, django_db_blocker):
    """The product's backend on a pool of one connection."""
    with pooled_wrapper(django_db_blocker, {"min_size": 1, "max_size": 1}) as wrapper:
        yield wrapper


class Sent:
    """The statements the backend sends on the raw connection itself (where django-tenants runs its ``SET``)."""

    def __init__(self):
        self.statements: list[str] = []

    def watch(self, raw) -> None:
        """Record what ``raw``'s cursors execute, from now on (the same connection object is handed out again)."""
        if getattr(raw.cursor_factory, "records", None) is self:
            return
        base, sent = raw.cursor_factory, self

        class Recording(base):
            records = sent

            def execute(self, query, *args, **kwargs):
                sent.statements.append(query if isinstance(query, str) else query.as_string(self))
                return super().execute(query, *args, **kwargs)

        raw.cursor_factory = Recording

    def sets(self) -> int:
        return sum(s.startswith("SET search_path") for s in self.statements)


def request(wrapper: DatabaseWrapper, schema: str, sent: Sent | None = None) -> list[str]:
    """What a request on ``schema``'s host does: the schema switched only if it changed (as ``TenantMiddleware``),
    one query, and the connection handed back to the pool at the end."""
    if wrapper.schema_name != schema:
        wrapper.set_schema(schema)
    wrapper.ensure_connection()
    if sent is not None:
        sent.watch(wrapper.connection)
    try:
        with wrapper.cursor() as cursor:
            cursor.execute(f"SELECT commune FROM {PROBE}")
            return [row[0] for row in cursor.fetchall()]
    finally:
        wrapper.close()


def path_in_force(wrapper: DatabaseWrapper) -> str:
    """The session's search path, read on the psycopg connection itself (so that the backend does not set it)."""
    wrapper.ensure_connection()
    with wrapper.connection.cursor() as cursor:
        cursor.execute("SHOW search_path")
        return cursor.fetchone()[0]


def test_two_communes_alternating_on_one_pooled_connection(pooled):
    sent = Sent()
    raw_connections = set()
    for schema in (GIGNAC, GIGNAC, SAINT_ANDRE, GIGNAC, SAINT_ANDRE, SAINT_ANDRE, GIGNAC):
        assert request(pooled, schema, sent) == [schema]
        pooled.ensure_connection()
        raw_connections.add(id(pooled.connection))
        assert remembered_search_path(pooled.connection) == [schema, "public"]
        pooled.close()
    assert len(raw_connections) == 1  # the same physical connection every time
    # A SET for the first request and for each change of commune; none when the connection is already there.
    assert sent.sets() == 5
    assert sent.statements.count(f"SELECT commune FROM {PROBE}") == 7


def test_a_rolled_back_transaction_does_not_leave_a_path_believed(pooled):
    assert request(pooled, GIGNAC) == [GIGNAC]
    # Saint-André's path set inside a transaction that is then rolled back: PostgreSQL reverts the SET.
    pooled.set_schema(SAINT_ANDRE)
    pooled.set_autocommit(False)
    with pooled.cursor() as cursor:
        cursor.execute(f"SELECT commune FROM {PROBE}")
        assert cursor.fetchall() == [(SAINT_ANDRE,)]
        with pytest.raises(DatabaseError):
            cursor.execute("SELECT 1 / 0")
    pooled.rollback()
    pooled.set_autocommit(True)
    assert path_in_force(pooled) == f"{GIGNAC}, public"  # the path set for good before, not Saint-André's
    assert remembered_search_path(pooled.connection) is None
    pooled.close()
    assert request(pooled, SAINT_ANDRE) == [SAINT_ANDRE]
    assert request(pooled, GIGNAC) == [GIGNAC]


def test_a_committed_transaction_keeps_its_path(pooled):
    pooled.set_schema(SAINT_ANDRE)
    pooled.set_autocommit(False)
    with pooled.cursor() as cursor:
        cursor.execute(f"SELECT commune FROM {PROBE}")
    pooled.commit()
    pooled.set_autocommit(True)
    pooled.close()  # idle, committed: the path is in force for good
    sent = Sent()
    assert request(pooled, SAINT_ANDRE, sent) == [SAINT_ANDRE]
    assert sent.sets() == 0
    assert request(pooled, GIGNAC, sent) == [GIGNAC]
    assert sent.sets() == 1


def test_a_connection_returned_in_an_aborted_transaction_forgets_its_path(pooled):
    assert request(pooled, GIGNAC) == [GIGNAC]
    pooled.set_schema(SAINT_ANDRE)
    pooled.set_autocommit(False)
    with pooled.cursor() as cursor, pytest.raises(DatabaseError):
        cursor.execute("SELECT 1 / 0")
    raw = pooled.connection
    assert raw.info.transaction_status == psycopg.pq.TransactionStatus.INERROR
    pooled.close()  # back to the pool aborted: the pool rolls it back, the SET with it
    assert remembered_search_path(raw) is None
    assert request(pooled, SAINT_ANDRE) == [SAINT_ANDRE]
    assert request(pooled, GIGNAC) == [GIGNAC]


def test_a_path_changed_behind_django_tenants_back_is_set_again(pooled):
    assert request(pooled, GIGNAC) == [GIGNAC]
    with pooled.cursor() as cursor:
        cursor.execute("SET search_path = public")
    assert remembered_search_path(pooled.connection) is None
    pooled.close()
    assert request(pooled, GIGNAC) == [GIGNAC]
    with pooled.cursor() as cursor:
        cursor.execute("SELECT set_config('search_path', %s, false)", [SAINT_ANDRE])
    pooled.close()
    assert request(pooled, GIGNAC) == [GIGNAC]


def test_a_broken_connection_is_replaced_and_set_again(pooled, django_db_blocker):
    assert request(pooled, GIGNAC) == [GIGNAC]
    pooled.ensure_connection()
    broken = pooled.connection
    with psycopg.connect(**pooled.get_connection_params(), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", [broken.info.backend_pid])
    with pytest.raises(DatabaseError), pooled.cursor() as cursor:
        cursor.execute(f"SELECT commune FROM {PROBE}")
    pooled.close()
    assert remembered_search_path(broken) is None
    assert request(pooled, GIGNAC) == [GIGNAC]
    pooled.ensure_connection()
    assert pooled.connection is not broken
    pooled.close()


def test_the_product_uses_this_backend():
    assert type(connections["default"]).__module__ == "mutualise.postgresql_backend.base"


def test_a_pool_that_resets_its_connections_sets_the_path_on_every_request(django_db_setup, django_db_blocker):
    # A reset function may change the session (DISCARD ALL, RESET search_path…): nothing is remembered then.
    resets = []
    with pooled_wrapper(django_db_blocker, {"min_size": 1, "max_size": 1, "reset": resets.append}) as wrapper:
        sent = Sent()
        for _ in range(3):
            assert request(wrapper, GIGNAC, sent) == [GIGNAC]
        wrapper.ensure_connection()
        assert remembered_search_path(wrapper.connection) is None
        wrapper.close()
        assert sent.sets() == 3
    assert resets  # the pool did call it
