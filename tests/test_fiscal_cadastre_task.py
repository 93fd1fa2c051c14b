"""The cadastral import as a Celery worker runs it: outside any transaction, on committed data, on two connections.

The other tests of the import run it inside the test's transaction, where everything stays on one connection. Here
the task runs in a thread of its own, whose Django connection is a fresh one in autocommit, as a worker's: the
staging table is committed, the communes' tables are built on that connection and on a second, plain psycopg one,
each taking the next table from a shared queue, then swapped in. What a test commits (subscriptions, the communes'
locals, tables left behind) is removed at its end, so that the database is left as the session made it.

The thread synchronises the two connections: the second one takes the largest table first, and the first one starts
on its own table only once the second one has finished (committed or rolled back) — the order is always the same.
"""

from __future__ import annotations

import datetime
import threading
import uuid

import psycopg
import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import connection, connections
from django_tenants.utils import schema_context

from plugins.fiscal import cadastre, tasks
from tenants.models import Commune, Subscription
from tests.conftest import GIGNAC, SAINT_ANDRE
from tests.test_fiscal_cadastre import GIGNAC_ROWS, HEADER, OUTSIDE_ROW, SAINT_ANDRE_ROW, fiscal_local_of

# The session's communes and schemas; the test's own transaction is left unused (the task commits on its own).
pytestmark = pytest.mark.django_db

SCHEMAS = {GIGNAC: "commune_34114", SAINT_ANDRE: "commune_34239"}
# new tables, their indexes under temporary names, staging tables: in any schema
LEFTOVERS = (
    "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
    "WHERE c.relname = 'fiscal_local_new' OR c.relname LIKE 'fiscal\\_local\\_new\\_%' "
    "OR c.relname LIKE 'fiscal\\_stage\\_%' ORDER BY 1, 2"
)
NEW_TABLE_OF = "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = 'fiscal_local_new'"
WAIT_SECONDS = 30


def sql(query: str, params=None) -> list:
    """Run ``query`` on a committed connection of its own, outside the test's transaction."""
    with psycopg.connect(**connection.get_connection_params(), autocommit=True) as conn:
        cursor = conn.execute(query, params)
        return cursor.fetchall() if cursor.description else []


def outside(function, *args):
    """``function(*args)`` in a thread of its own: a fresh Django connection in autocommit, as a Celery worker's,
    closed at the end. Its result is returned and its exception raised here."""
    outcome: dict = {}

    def run() -> None:
        try:
            outcome["value"] = function(*args)
        except BaseException as error:  # raised again in the test's thread
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    assert not thread.is_alive(), "the import did not end"
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def locals_of(insee: str) -> list[tuple]:
    return sql(
        "SELECT local_id, parcel, affectation, category, year_built, rental_value::text, vacant, owner_name "
        f'FROM "{SCHEMAS[insee]}".fiscal_local ORDER BY 1'
    )


class TwoConnections:
    """The import's second connection watched: which tables it built, whether it was closed at the end."""

    def __init__(self, monkeypatch):
        self.workers: list[tuple[psycopg.Connection, int]] = []
        self.built: list[str] = []  # the commune whose table the second connection took first, at each attempt
        # at each attempt, whether the second connection's new table could be seen committed when it finished
        self.committed: list[bool] = []
        self.took = self.finished = threading.Event()
        monkeypatch.setattr(cadastre, "PARALLEL_FROM", 1)  # small files on two connections as well
        replace, work, run_builds = cadastre._replace, cadastre._work, cadastre._run_builds

        def watched_replace(*args, **kwargs):
            self.took, self.finished = threading.Event(), threading.Event()  # each attempt anew
            return replace(*args, **kwargs)

        def watched_work(worker, *args):
            self.workers.append((worker, worker.info.backend_pid))
            try:
                work(worker, *args)
            finally:
                self.finished.set()  # its transaction committed or rolled back

        def watched_run_builds(execute, pending, *, done, failed, report=None):
            if report is None:  # the second connection: it tells when it has taken its first table

                def execute_taken(statement, params):
                    if not self.took.is_set():
                        self.built.append(next(insee for insee, s in SCHEMAS.items() if s in statement))
                        self.took.set()
                    execute(statement, params)

                return run_builds(execute_taken, pending, done=done, failed=failed)
            assert self.took.wait(WAIT_SECONDS), "the second connection took no table"
            started = []

            def execute_after(statement, params):
                if not started:  # this connection's table built once the other's is committed or rolled back
                    started.append(True)
                    assert self.finished.wait(WAIT_SECONDS), "the second connection did not finish"
                    self.committed.append(bool(sql(NEW_TABLE_OF, [SCHEMAS[self.built[-1]]])))
                execute(statement, params)

            return run_builds(execute_after, pending, done=done, failed=failed, report=report)

        monkeypatch.setattr(cadastre, "_replace", watched_replace)
        monkeypatch.setattr(cadastre, "_work", watched_work)
        monkeypatch.setattr(cadastre, "_run_builds", watched_run_builds)

    def assert_closed(self) -> None:
        assert self.workers, "no second connection"
        pids = [pid for _worker, pid in self.workers]
        assert all(worker.closed for worker, _pid in self.workers)
        assert sql("SELECT pid FROM pg_stat_activity WHERE pid = ANY(%s)", [pids]) == []


@pytest.fixture
def subscribed():
    """Both communes subscribe to the service, committed; at the end, their locals, subscriptions and any table an
    import left are removed, and the jobs' states forgotten."""
    jobs: list[tuple[str, str]] = []

    def subscribe() -> list[int]:
        return [
            Subscription.objects.create(
                commune=Commune.objects.get(insee_code=insee),
                service="fiscal",
                active=True,
                start_date=datetime.date(2020, 1, 1),
            ).id
            for insee in SCHEMAS
        ]

    subscriptions = outside(subscribe)
    try:
        yield jobs
    finally:
        for schema, table in sql(LEFTOVERS):
            sql(f'DROP TABLE IF EXISTS "{schema}"."{table}"')
        for schema in SCHEMAS.values():
            sql(f'TRUNCATE "{schema}".fiscal_local')
        sql("DELETE FROM tenants_subscription WHERE id = ANY(%s)", [subscriptions])
        for job, schema in jobs:
            with schema_context(schema):
                cache.delete(tasks._key(job))


def run_task(jobs: list, content: str, insee: str | None = None) -> dict:
    """The task run as a worker runs it, on the file ``content``: for the community (``insee`` None, from the public
    schema), or for the commune ``insee`` from its schema."""
    schema = SCHEMAS[insee] if insee else "public"

    def run() -> dict:
        from mutualise.files import CommuneFileStorage

        assert not connection.in_atomic_block
        with schema_context(schema):
            job = uuid.uuid4().hex
            jobs.append((job, schema))
            name = CommuneFileStorage().save(f"{tasks.UPLOAD_FOLDER}/{job}.csv", ContentFile(content.encode()))
            commune_id = Commune.objects.get(insee_code=insee).id if insee else None
            state = tasks.import_locals_task(job, name, commune_id)
            assert tasks.job_state(job) == state
            assert not CommuneFileStorage().exists(name)  # owners' personal data: the upload is deleted
            return state

    return outside(run)


def assert_as_the_template() -> None:
    """Each commune's table is the template's, object for object, and nothing is left beside it."""
    from tenants import provisioning

    template = outside(fiscal_local_of, provisioning.template_schema())
    # the parcel index keeps its operator class (the search by the start of a parcel uses it)
    assert "(parcel varchar_pattern_ops)" in dict(template["indexes"])["fiscal_local_parcel"]
    for schema in SCHEMAS.values():
        assert outside(fiscal_local_of, schema) == template
    assert sql(LEFTOVERS) == []


# Gignac's rows with plain amounts: read at the first attempt (a spreadsheet's "2 345,50" fails it, see below)
PLAIN_GIGNAC_ROWS = GIGNAC_ROWS.replace("2 345,50", "2345.5").replace("1 980", "1980")
EXPECTED_GIGNAC = [
    ("341140000001", "34114000AB0012", "H", 6, 1975, "2345.50", False, "MARTIN Josiane"),
    ("341140000002", "34114000AB0013", "H", 7, 2012, "1980.00", True, "ROUX Pierre"),
    ("341140000003", "34114000ZC0101", "P", None, None, "12000.00", False, 'SCI "LES OLIVIERS"'),
]
EXPECTED_SAINT_ANDRE = [("342390000001", "34239000AB0001", "H", 5, 1990, "3000.00", False, "FABRE Alain")]


def test_the_task_imports_two_communes_on_two_connections(subscribed, monkeypatch):
    watch = TwoConnections(monkeypatch)
    state = run_task(subscribed, HEADER + GIGNAC_ROWS + SAINT_ANDRE_ROW + OUTSIDE_ROW)
    assert state["status"] == "termine", state
    assert (state["rows"], state["per_commune"]) == (4, {"34114": 3, "34239": 1})
    assert (state["skipped_rows"], state["skipped_communes"]) == (1, ["30007"])
    assert locals_of(GIGNAC) == EXPECTED_GIGNAC and locals_of(SAINT_ANDRE) == EXPECTED_SAINT_ANDRE
    # the amounts written as spreadsheets do made the first attempt fail on the second connection: two attempts,
    # and in each the second connection took the largest table, Gignac's
    assert watch.built == [GIGNAC, GIGNAC] and watch.committed == [False, True]
    watch.assert_closed()
    assert_as_the_template()
    # a second extract replaces both tables again, with plain amounts: one attempt
    assert run_task(subscribed, HEADER + PLAIN_GIGNAC_ROWS + SAINT_ANDRE_ROW)["per_commune"] == {"34114": 3, "34239": 1}
    assert watch.built == [GIGNAC, GIGNAC, GIGNAC] and watch.committed == [False, True, True]
    assert locals_of(GIGNAC) == EXPECTED_GIGNAC and locals_of(SAINT_ANDRE) == EXPECTED_SAINT_ANDRE
    watch.assert_closed()
    assert_as_the_template()


@pytest.mark.parametrize(
    ("rows", "errors", "committed_beside"),
    [
        # a local id twice in Saint-André's table, built on this connection once the second one has committed
        # Gignac's new table: that one is dropped
        (
            PLAIN_GIGNAC_ROWS + SAINT_ANDRE_ROW + SAINT_ANDRE_ROW.replace("AB0001", "AB0002"),
            [(6, "identifiant du local « 342390000001 » en double (déjà ligne 5).")],
            [True],
        ),
        # a year found unreadable only by the insert, on the second connection (Gignac's table): at both attempts
        (
            PLAIN_GIGNAC_ROWS.replace(";1975;", ";19xx;") + SAINT_ANDRE_ROW,
            [(2, "année illisible « 19xx » (AAAA)")],
            [False, False],  # the second attempt too (with the other conversion of amounts)
        ),
        # a category out of range, refused by the rules' constraint on this connection, the second one's table
        # committed
        (
            PLAIN_GIGNAC_ROWS + SAINT_ANDRE_ROW.replace(";5;", ";0;"),
            [(5, "catégorie « 0 » hors de 1 à 8")],
            [True],
        ),
    ],
    ids=["duplicate-on-this-connection", "year-on-the-second-connection", "category-on-this-connection"],
)
def test_a_failing_file_keeps_both_communes_previous_extract(subscribed, monkeypatch, rows, errors, committed_beside):
    previous = HEADER + GIGNAC_ROWS + SAINT_ANDRE_ROW
    assert run_task(subscribed, previous)["status"] == "termine"
    watch = TwoConnections(monkeypatch)
    state = run_task(subscribed, HEADER + rows)
    assert (state["status"], state["errors"]) == ("echec", errors)
    assert watch.committed == committed_beside and watch.built == [GIGNAC] * len(committed_beside)
    assert locals_of(GIGNAC) == EXPECTED_GIGNAC and locals_of(SAINT_ANDRE) == EXPECTED_SAINT_ANDRE
    watch.assert_closed()
    assert_as_the_template()


def test_tables_left_by_an_interrupted_import_are_dropped_by_the_next(subscribed, caplog):
    """What an import stopped midway leaves, committed: a new table built by its second connection (with its
    primary key under its temporary name, and rows), a staging table. The next import, of one commune, drops them
    all, in the other commune's schema as well."""
    for schema in SCHEMAS.values():
        sql(f'CREATE TABLE "{schema}".fiscal_local_new (LIKE "{schema}".fiscal_local INCLUDING ALL EXCLUDING INDEXES)')
        sql(f'ALTER TABLE "{schema}".fiscal_local_new ADD CONSTRAINT fiscal_local_new_0 PRIMARY KEY (local_id)')
        sql(f"""INSERT INTO "{schema}".fiscal_local_new (local_id, parcel, affectation, address, rental_value, vacant,
            exoneration, owner_name, owner_address) VALUES ('1', '34114000AB0001', 'H', '', 0, false, '', '', '')""")
    sql("CREATE UNLOGGED TABLE public.fiscal_stage_0123456789ab (c1 text)")
    assert len(sql(LEFTOVERS)) == 5  # two tables and their keys' indexes, a staging table
    state = run_task(subscribed, HEADER + GIGNAC_ROWS, GIGNAC)
    assert (state["status"], state["per_commune"]) == ("termine", {"34114": 3})
    assert locals_of(GIGNAC) == EXPECTED_GIGNAC and locals_of(SAINT_ANDRE) == []
    assert_as_the_template()
    dropped = [r.getMessage() for r in caplog.records if "import interrompu" in r.getMessage()]
    assert len(dropped) == 3
