"""Demandes across many communes, for ``bench/cross_commune.py``: filling the instance, then measuring the agents'
queue and a per-service count three ways.

    python -m benchsite.cross_worker fill --per-commune 50 --seed 1
    python -m benchsite.cross_worker measure --loads 300 --aggregates 100 --seed 2

``fill`` puts ``--per-commune`` demandes in every commune's schema (``COPY``, rows drawn in Python with the services'
own request types and the product's service-level deadlines) and their rows in the public index (one
``INSERT … SELECT`` per schema, the product's ``index_values`` written in SQL), then checks a sample of communes with
the product's ``mutualise.demandes.indexing.check_commune``: the index must be exact.

``measure`` loads the console's queue page (``/file/``, the product's view through Django's whole handler, signed in
as an administrator or as the agent of two services) with filters and pages drawn at random, and for the same
filters builds the same page by a loop over every commune's schema and by one ``UNION ALL`` across the schemas; the
three, in an order rotated at each load, must give the same rows and the same count. Likewise for the number of
demandes of one service per commune and status. Each prints ``BENCH_JSON={...}``.
"""

from __future__ import annotations

import argparse
import datetime
import heapq
import json
import math
import random
import re
import time

import django

PAGE_SIZE = 50  # the queue view's
# How demandes spread over the services (shares of the total), and over statuses by age.
SERVICE_WEIGHTS = {
    "informatique": 40,
    "juridique": 12,
    "rh": 12,
    "marches": 10,
    "urbanisme": 9,
    "amenagement": 7,
    "achats": 5,
    "fiscal": 5,
}
LEVEL_WEIGHTS = [(1, 5), (2, 20), (3, 45), (4, 22), (5, 8)]  # urgency and impact, 1 to 5
ADMIN, AGENT = "dgs@bench.test", "agent@bench.test"
AGENT_SERVICES = ("informatique", "marches")


def _weighted(rng: random.Random, pairs) -> object:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights)[0]


# -- Filling ------------------------------------------------------------------------------------------------------------


def _demande_rows(rng: random.Random, count: int, now: datetime.datetime, kinds: dict, agents: dict, requester: int):
    """``count`` demandes of one commune: services, kinds, priorities and ages as a help desk sees them; most old ones
    closed, some open ones past their deadline."""
    from mutualise.demandes import levels, rules
    from mutualise.demandes.rules import Status
    from mutualise.demandes.sla import add_business_minutes

    calendar = levels.calendar()

    services = [s for s in SERVICE_WEIGHTS if kinds.get(s)]
    for number in range(count):
        service = rng.choices(services, [SERVICE_WEIGHTS[s] for s in services])[0]
        kind = rng.choice(kinds[service])
        category = rng.choice(kind.categories)[0] if kind.categories else ""
        urgency, impact = _weighted(rng, LEVEL_WEIGHTS), _weighted(rng, LEVEL_WEIGHTS)
        level = rules.priority(urgency, impact) if kind.uses_priority_matrix else rules.Priority.P3
        age = datetime.timedelta(days=min(730.0, rng.expovariate(1 / 60)), microseconds=rng.randrange(10**6))
        created = now - age
        target = levels.target_for(service, level, created.date())  # the service's targets, as on opening
        take_due = add_business_minutes(created, target.take_charge, calendar)
        resolve_due = add_business_minutes(created, target.resolve, calendar)
        open_share = 0.85 if age.days < 3 else 0.5 if age.days < 10 else 0.15 if age.days < 30 else 0.03
        if rng.random() < open_share:
            status = _weighted(
                rng, [(Status.NEW, 25), (Status.ASSIGNED, 40), (Status.PLANNED, 15), (Status.WAITING, 20)]
            )
        else:
            status = _weighted(rng, [(Status.SOLVED, 30), (Status.CLOSED, 70)])
        taken = solved = closed = assignee = None
        if status != Status.NEW:
            # Taken in charge within 0.1 to 1.3 × the allowed time: about one in four too late.
            taken = min(now, created + (take_due - created) * rng.uniform(0.1, 1.3))
            assignee = rng.choice(agents[service])
        if status in (Status.SOLVED, Status.CLOSED):
            solved = min(now, created + (resolve_due - created) * rng.uniform(0.2, 1.3))
            solved = max(solved, taken)
            if status == Status.CLOSED:
                closed = min(now, solved + datetime.timedelta(days=rng.uniform(0, 8)))
        yield (
            service,
            kind.code,
            category,
            f"{kind.label} n° {number + 1}",
            "Demande créée pour la mesure des performances.",
            requester,
            urgency,
            impact,
            level,
            str(status),
            assignee,
            created,
            taken,
            solved,
            closed,
            target.take_charge,
            target.resolve,
            take_due,
            resolve_due,
            now,
        )


DEMANDE_COLUMNS = (
    "service, kind, category, title, description, requester_id, urgency, impact, priority, status, assignee_id, "
    "created_at, taken_at, solved_at, closed_at, take_charge_minutes, resolve_minutes, take_charge_due, resolve_due, "
    "updated_at"
)


def fill(per_commune: int, seed: int, check: int) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone
    from django_tenants.utils import schema_context

    from mutualise.accounts.models import ServiceMembership, User
    from mutualise.demandes import indexing
    from mutualise.demandes.models import Demande
    from mutualise.demandes.rules import OPEN_STATUSES
    from mutualise.demandes.services import breaches, request_types
    from mutualise.models import DemandeIndex
    from tenants.models import Commune

    started = time.perf_counter()
    kinds = {slug: list(request_types(slug).values()) for slug in SERVICE_WEIGHTS}

    def person(email: str, **fields) -> User:
        return User.objects.filter(email=email).first() or User.objects.create_user(email=email, **fields)

    requester = person("demandeur@bench.test", first_name="Dominique", last_name="Mairie")
    person(ADMIN, is_staff=True, is_superuser=True)
    agent = person(AGENT, first_name="Camille", last_name="Agent")
    agents: dict[str, list[int]] = {}
    for slug in SERVICE_WEIGHTS:
        team = [agent] if slug in AGENT_SERVICES else []
        team += [person(f"{slug}{i}@bench.test", last_name=f"{slug} {i}") for i in range(3)]
        for member in team:
            ServiceMembership.objects.get_or_create(user=member, service=slug, defaults={"role": "agent"})
        agents[slug] = [member.pk for member in team]
    communes = list(Commune.objects.order_by("insee_code"))
    now = timezone.now()
    demande_table, index_table = Demande._meta.db_table, DemandeIndex._meta.db_table
    open_list = ", ".join(f"'{s}'" for s in sorted(OPEN_STATUSES))
    raw = connection.cursor().cursor  # psycopg's own cursor, for COPY
    for start in range(0, len(communes), 50):
        with transaction.atomic():
            for commune in communes[start : start + 50]:
                rng = random.Random(f"{seed}-{commune.insee_code}")
                schema = commune.schema_name
                # Drawn before the COPY: the service levels may be read from the database, on this connection.
                rows = list(_demande_rows(rng, per_commune, now, kinds, agents, requester.pk))
                with raw.copy(f'COPY "{schema}".{demande_table} ({DEMANDE_COLUMNS}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
                # mutualise.demandes.services.index_values, in SQL: due_at is the next deadline of an open demande;
                # a deadline is missed when the demande was taken in charge (solved) after it, or is still open.
                raw.execute(
                    f"INSERT INTO public.{index_table} (commune_id, demande_id, service, kind, category, title, status,"
                    " priority, assignee_id, created_at, taken_at, solved_at, take_charge_due, resolve_due, due_at,"
                    " take_charge_breached, resolve_breached)"
                    " SELECT %(commune)s, id, service, kind, category, title, status, priority, assignee_id,"
                    " created_at, taken_at, solved_at, take_charge_due, resolve_due,"
                    f" CASE WHEN status IN ({open_list}) THEN CASE WHEN taken_at IS NULL"
                    " THEN take_charge_due ELSE resolve_due END END,"
                    " coalesce(coalesce(taken_at, solved_at, CASE WHEN status IN"
                    f" ({open_list}) THEN %(now)s END) > take_charge_due, false),"
                    f" coalesce(coalesce(solved_at, CASE WHEN status IN ({open_list}) THEN %(now)s END) > resolve_due,"
                    " false)"
                    f' FROM "{schema}".{demande_table}',
                    {"commune": commune.pk, "now": now},
                )
    filled = time.perf_counter() - started
    connection.cursor().execute(f"VACUUM ANALYZE public.{index_table}")  # as autovacuum would, on a live instance
    sample = random.Random(seed).sample(communes, min(check, len(communes)))
    unclean = [c.insee_code for c in sample if not indexing.check_commune(c, repair=False).clean]
    for commune in sample:  # the flags of missed deadlines, which check_commune leaves out, against the product's
        flags = {
            row[0]: row[1:]
            for row in DemandeIndex.objects.filter(commune=commune).values_list(
                "demande_id", "take_charge_breached", "resolve_breached"
            )
        }
        with schema_context(commune.schema_name):
            for demande in Demande.objects.all():
                wanted = breaches(demande, now)
                if flags[demande.pk] != (wanted["take_charge_breached"], wanted["resolve_breached"]):
                    unclean.append(f"{commune.insee_code}/{demande.pk}")
    if unclean:
        raise SystemExit(f"the index differs from the schemas for {unclean[:20]}")
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT service, status, count(*) FROM public.{index_table} GROUP BY 1, 2")
        spread = cursor.fetchall()
        cursor.execute(f"SELECT priority, count(*) FROM public.{index_table} GROUP BY 1 ORDER BY 1")
        priorities = dict(cursor.fetchall())
        cursor.execute(
            "SELECT count(*) FILTER (WHERE due_at < now()), count(*) FILTER (WHERE take_charge_breached),"
            f" count(*) FILTER (WHERE resolve_breached) FROM public.{index_table}"
        )
        late, take_charge_breached, resolve_breached = cursor.fetchone()
    by_service: dict[str, int] = {}
    by_status: dict[str, int] = {}
    for service, status, n in spread:
        by_service[service] = by_service.get(service, 0) + n
        by_status[status] = by_status.get(status, 0) + n
    return {
        "communes": len(communes),
        "per_commune": per_commune,
        "demandes": sum(by_service.values()),
        "seconds": round(filled, 1),
        "by_service": dict(sorted(by_service.items(), key=lambda x: -x[1])),
        "by_status": by_status,
        "by_priority": {f"P{k}": v for k, v in priorities.items()},
        "open": sum(v for k, v in by_status.items() if k in OPEN_STATUSES),
        "late": late,
        "take_charge_breached": take_charge_breached,
        "resolve_breached": resolve_breached,
        "index_checked_communes": len(sample),
    }


# -- Measuring ----------------------------------------------------------------------------------------------------------


class Cross:
    """The same page of the queue (or the same counts) built from every commune's schema, one query each or one
    ``UNION ALL``: what the product would have to do without its public index."""

    def __init__(self):
        from django.db import connection

        from mutualise.demandes.models import Demande
        from mutualise.demandes.rules import OPEN_STATUSES
        from tenants.models import Commune

        self.connection = connection
        self.table = Demande._meta.db_table
        self.communes = {c.insee_code: (c.schema_name, c.name) for c in Commune.objects.order_by("insee_code")}
        self.open = sorted(str(s) for s in OPEN_STATUSES)
        self.chunk: int | None = None  # schemas per UNION ALL statement; None: all in one

    def _select(self, insee: str, schema: str, filters: dict, services: list[str]) -> str:
        due = (
            "CASE WHEN status = ANY(%(open)s) THEN CASE WHEN taken_at IS NULL THEN take_charge_due"
            " ELSE resolve_due END END"
        )
        where = ["service = ANY(%(services)s)"]
        if filters.get("service"):
            where.append("service = %(service)s")
        status = filters.get("status")
        if not status:
            where.append("status = ANY(%(open)s)")
        elif status != "toutes":
            where.append("status = %(status)s")
        if filters.get("priority"):
            where.append("priority = %(priority)s")
        if filters.get("late"):
            where.append(f"{due} < %(now)s")
        return (
            f"SELECT '{insee}' AS insee, id, title, service, status, priority, assignee_id, created_at, {due} AS due_at"
            f' FROM "{schema}".{self.table} WHERE {" AND ".join(where)}'
        )

    def _params(self, filters: dict, services: list[str], now) -> dict:
        return {
            "open": self.open,
            "services": services,
            "service": filters.get("service"),
            "status": filters.get("status"),
            "priority": int(filters["priority"]) if filters.get("priority") else None,
            "now": now,
        }

    def _targets(self, filters: dict) -> list[tuple[str, str]]:
        if filters.get("commune"):
            return [(filters["commune"], self.communes[filters["commune"]][0])]
        return [(insee, schema) for insee, (schema, _) in self.communes.items()]

    @staticmethod
    def _key(row):
        # ORDER BY due_at, priority, created_at in PostgreSQL: NULL deadlines last.
        return (row[8] is None, row[8] or 0, row[5], row[7])

    def _names(self, rows) -> list[tuple]:
        """What the page shows besides the demande: the commune's name (known) and the assignee's (one query)."""
        people = {r[6] for r in rows if r[6] is not None}
        names = {}
        if people:
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id, first_name, last_name, email FROM accounts_user WHERE id = ANY(%s)", [list(people)]
                )
                names = {row[0]: row[1:] for row in cursor.fetchall()}
        return [(self.communes[r[0]][1], names.get(r[6])) for r in rows]

    def queue_loop(self, filters: dict, services: list[str], page: int, now) -> tuple[int, list]:
        """One query per schema (its first ``page × 50`` rows and its count), merged."""
        params = self._params(filters, services, now)
        runs, total = [], 0
        with self.connection.cursor() as cursor:
            for insee, schema in self._targets(filters):
                cursor.execute(
                    self._select(insee, schema, filters, services).replace(" FROM ", ", count(*) OVER () FROM ", 1)
                    + " ORDER BY due_at, priority, created_at LIMIT %(limit)s",
                    {**params, "limit": page * PAGE_SIZE},
                )
                rows = cursor.fetchall()
                if rows:
                    total += rows[0][-1]
                    runs.append(rows)
        page = min(page, max(1, math.ceil(total / PAGE_SIZE)))
        merged = list(heapq.merge(*runs, key=self._key))[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
        self._names(merged)
        return total, [(r[0], r[1]) for r in merged]

    def queue_union(self, filters: dict, services: list[str], page: int, now) -> tuple[int, list]:
        """``UNION ALL`` of every schema's rows, sorted, cut and counted by PostgreSQL: one statement, or one per
        ``self.chunk`` schemas (merged here) when the server cannot lock every table at once."""
        params = self._params(filters, services, now)
        targets = self._targets(filters)
        if self.chunk and len(targets) > self.chunk:
            runs, total = [], 0
            with self.connection.cursor() as cursor:
                for start in range(0, len(targets), self.chunk):
                    union = " UNION ALL ".join(
                        self._select(i, s, filters, services) for i, s in targets[start : start + self.chunk]
                    )
                    cursor.execute(
                        f"SELECT *, count(*) OVER () FROM ({union}) AS every ORDER BY due_at, priority, created_at"
                        " LIMIT %(limit)s",
                        {**params, "limit": page * PAGE_SIZE},
                    )
                    rows = cursor.fetchall()
                    if rows:
                        total += rows[0][-1]
                        runs.append(rows)
            page = min(page, max(1, math.ceil(total / PAGE_SIZE)))
            rows = list(heapq.merge(*runs, key=self._key))[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
            self._names(rows)
            return total, [(r[0], r[1]) for r in rows]
        union = " UNION ALL ".join(self._select(i, s, filters, services) for i, s in targets)
        sql = (
            f"SELECT *, count(*) OVER () FROM ({union}) AS every ORDER BY due_at, priority, created_at"
            " LIMIT %(limit)s OFFSET %(offset)s"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, {**params, "limit": PAGE_SIZE, "offset": (page - 1) * PAGE_SIZE})
            rows = cursor.fetchall()
            if not rows and page > 1:  # past the last page: the paginator shows the last one
                cursor.execute(f"SELECT count(*) FROM ({union}) AS every", params)
                total = cursor.fetchone()[0]
                last = max(1, math.ceil(total / PAGE_SIZE))
                cursor.execute(sql, {**params, "limit": PAGE_SIZE, "offset": (last - 1) * PAGE_SIZE})
                rows = cursor.fetchall()
        total = rows[0][-1] if rows else 0
        self._names(rows)
        return total, [(r[0], r[1]) for r in rows]

    def counts_loop(self, service: str) -> dict:
        counts = {}
        with self.connection.cursor() as cursor:
            for insee, (schema, _) in self.communes.items():
                cursor.execute(
                    f'SELECT status, count(*) FROM "{schema}".{self.table} WHERE service = %s GROUP BY status',
                    [service],
                )
                counts.update({(insee, status): n for status, n in cursor.fetchall()})
        return counts

    def counts_union(self, service: str) -> dict:
        every = list(self.communes.items())
        size = self.chunk or len(every)
        counts = {}
        with self.connection.cursor() as cursor:
            for start in range(0, len(every), size):
                union = " UNION ALL ".join(
                    f"SELECT '{insee}' AS insee, status FROM \"{schema}\".{self.table} WHERE service = %(service)s"
                    for insee, (schema, _) in every[start : start + size]
                )
                cursor.execute(
                    f"SELECT insee, status, count(*) FROM ({union}) AS every GROUP BY 1, 2", {"service": service}
                )
                counts.update({(insee, status): n for insee, status, n in cursor.fetchall()})
        return counts


def counts_index(service: str) -> dict:
    """The number of demandes of ``service`` per commune and status, from the public index.

    Grouped by the commune's id on the index (service, commune, status) alone, an index-only scan; the communes'
    codes from one query of the communes (joining them in the count made PostgreSQL read the rows instead).
    """
    from django.db.models import Count

    from mutualise.models import DemandeIndex
    from tenants.models import Commune

    rows = DemandeIndex.objects.filter(service=service).values_list("commune_id", "status").annotate(n=Count("*"))
    codes = dict(Commune.objects.order_by().values_list("id", "insee_code"))
    return {(codes[commune], status): n for commune, status, n in rows.order_by()}


def lock_arithmetic(cross: Cross) -> dict:
    """The relations one schema's demandes table brings into a statement's locks, and the server's lock table."""
    with cross.connection.cursor() as cursor:
        schema = next(iter(cross.communes.values()))[0]
        cursor.execute(
            "SELECT 1 + count(*) FROM pg_indexes WHERE schemaname = %s AND tablename = %s", [schema, cross.table]
        )
        per_schema = cursor.fetchone()[0]
        cursor.execute(
            "SELECT current_setting('max_locks_per_transaction')::int * (current_setting('max_connections')::int"
            " + current_setting('max_prepared_transactions')::int)"
        )
        slots = cursor.fetchone()[0]
    return {"locks_per_schema": per_schema, "lock_table_slots": slots}


LINK = re.compile(r'href="/file/([0-9AB]{5})/(\d+)/"')
COUNT = re.compile(r"<p>([\d\s\u202f\xa0.]+) demandes?</p>")


def draw_filters(rng: random.Random, services: list[str], communes: list[str]) -> tuple[dict, int]:
    """Filters an agent would use, and a page: mostly the first ones."""
    from mutualise.demandes.rules import Status

    filters: dict = {}
    if rng.random() < 0.5:
        filters["service"] = rng.choice(services)
    if rng.random() < 0.1:
        filters["commune"] = rng.choice(communes)
    draw = rng.random()
    if draw < 0.2:
        filters["status"] = rng.choice([str(s) for s in Status])
    elif draw < 0.3:
        filters["status"] = "toutes"
    if rng.random() < 0.3:
        filters["priority"] = str(rng.randint(1, 4))
    if rng.random() < 0.25:
        filters["late"] = "on"
    page = 1 if rng.random() < 0.6 else rng.choice([2, 3, 4, 6, 10, 20, 40])
    return filters, page


def measure(loads: int, aggregates: int, seed: int, warmup: int, union_schemas: int) -> dict:
    from urllib.parse import urlencode

    from django.conf import settings
    from django.db import DatabaseError, connection
    from django.test import Client
    from django.utils import timezone

    from mutualise.accounts.models import User
    from mutualise.accounts.sessions import bind_session
    from mutualise.plugins import get_registry

    host = settings.MUTUALISE_BASE_DOMAIN
    cross = Cross()
    # PostgreSQL locks every table and index a statement reads while it plans it, in a lock table shared by the whole
    # server (max_locks_per_transaction × max_connections slots: 6,400 by default). One UNION ALL over 1,000 schemas
    # would take 8,000 (the demandes table and its 7 indexes in each): it fails, and makes other sessions fail too.
    cross.chunk = union_schemas or None
    every_service = [s.slug for s in get_registry()]
    clients = {}
    for email, services in ((ADMIN, every_service), (AGENT, list(AGENT_SERVICES))):
        client = Client(HTTP_HOST=host)
        client.force_login(User.objects.get(email=email))
        session = client.session
        bind_session(session, host)
        session.save()
        clients[email] = (client, services)

    sql_seconds: list[float] = []

    def timed_sql(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if "demandeindex" in sql or "demandetally" in sql:  # the index, and the tally of its count
                sql_seconds.append(time.perf_counter() - started)

    def index_page(who: str, filters: dict, page: int, now) -> tuple[int, list, float]:
        client, _ = clients[who]
        sql_seconds.clear()
        with connection.execute_wrapper(timed_sql):
            response = client.get("/file/?" + urlencode({**filters, "page": page}))
        if response.status_code != 200:
            raise SystemExit(f"the queue answered {response.status_code}")
        html = response.content.decode()
        count = int(re.sub(r"\D", "", COUNT.search(html)[1]))
        return count, [(insee, int(pk)) for insee, pk in LINK.findall(html)], sum(sql_seconds)

    union_failure = None

    def union_page(filters: dict, services: list[str], page: int, now):
        """The UNION ALL page; if the server cannot lock every table in one statement (``max_locks_per_transaction``),
        it is recorded, and the statement split in as few as will do."""
        nonlocal union_failure
        while True:
            try:
                return cross.queue_union(filters, services, page, now)
            except DatabaseError as error:
                if "max_locks_per_transaction" not in str(error) and "shared memory" not in str(error):
                    raise
                if union_failure is None:
                    union_failure = {"error": str(error).strip().splitlines()[0], "schemas": len(cross.communes)}
                cross.chunk = (cross.chunk or len(cross.communes)) // 2
                union_failure["schemas_per_statement"] = cross.chunk

    rng = random.Random(seed)
    insee_codes = list(cross.communes)
    plan = []
    for _ in range(warmup + loads):
        who = rng.choice([ADMIN, AGENT])
        filters, page = draw_filters(rng, clients[who][1], insee_codes)
        plan.append((who, filters, page))

    paths = ("index", "loop", "union")
    times: dict[str, list[float]] = {p: [] for p in paths}
    index_sql: list[float] = []
    mismatches, samples, rows_seen = [], [], 0
    for number, (who, filters, page) in enumerate(plan):
        now = timezone.now()
        results = {}
        order = paths[number % 3 :] + paths[: number % 3]
        for path in order:
            started = time.perf_counter()
            if path == "index":
                count, rows, sql = index_page(who, filters, page, now)
            elif path == "loop":
                count, rows = cross.queue_loop(filters, clients[who][1], page, now)
            else:
                count, rows = union_page(filters, clients[who][1], page, now)
            elapsed = time.perf_counter() - started
            results[path] = (count, [tuple(r) for r in rows])
            if number >= warmup:
                times[path].append(elapsed * 1000)
                if path == "index":
                    index_sql.append(sql * 1000)
        if number >= warmup:
            rows_seen += len(results["index"][1])
            if len(samples) < 8:
                samples.append({"user": who, "filters": filters, "page": page, "count": results["index"][0]})
        if not (results["index"] == results["loop"] == results["union"]):
            mismatches.append(
                {
                    "filters": filters,
                    "page": page,
                    "counts": {p: results[p][0] for p in paths},
                    "first_rows": {p: results[p][1][:3] for p in paths},
                }
            )

    services = [s for s in SERVICE_WEIGHTS if s in every_service]
    aggregate_times: dict[str, list[float]] = {p: [] for p in paths}
    aggregate_mismatches = []
    for number in range(aggregates + 2):
        service = services[number % len(services)]
        order = paths[number % 3 :] + paths[: number % 3]
        results = {}
        for path in order:
            started = time.perf_counter()
            results[path] = (
                counts_index(service)
                if path == "index"
                else cross.counts_loop(service)
                if path == "loop"
                else cross.counts_union(service)
            )
            if number >= 2:
                aggregate_times[path].append((time.perf_counter() - started) * 1000)
        if not (results["index"] == results["loop"] == results["union"]):
            aggregate_mismatches.append(service)

    return {
        "loads": loads,
        "aggregates": aggregates,
        "warmup": warmup,
        "communes": len(cross.communes),
        "queue_ms": times,
        "queue_index_sql_ms": index_sql,
        "rows_per_page_mean": round(rows_seen / max(1, loads), 1),
        "queue_mismatches": mismatches[:10],
        "queue_mismatch_count": len(mismatches),
        "aggregate_ms": aggregate_times,
        "aggregate_mismatches": aggregate_mismatches,
        "union_failure": union_failure,
        "union_schemas_per_statement": cross.chunk or len(cross.communes),
        **lock_arithmetic(cross),
        "samples": samples,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    one = sub.add_parser("fill")
    one.add_argument("--per-commune", type=int, default=50)
    one.add_argument("--seed", type=int, default=1)
    one.add_argument("--check", type=int, default=10, help="communes whose index is checked by the product")
    two = sub.add_parser("measure")
    two.add_argument("--loads", type=int, default=300)
    two.add_argument("--aggregates", type=int, default=100)
    two.add_argument("--warmup", type=int, default=6)
    two.add_argument("--seed", type=int, default=2)
    two.add_argument("--union-schemas", type=int, default=50, help="schemas per UNION ALL statement (0: all)")
    args = parser.parse_args()
    django.setup()
    if args.command == "fill":
        result = fill(args.per_commune, args.seed, args.check)
    else:
        result = measure(args.loads, args.aggregates, args.seed, args.warmup, args.union_schemas)
    print("BENCH_JSON=" + json.dumps(result, default=str))


if __name__ == "__main__":
    main()
