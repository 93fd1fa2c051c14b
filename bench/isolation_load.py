"""Tenant isolation under concurrency: many signed-in clients of different communes hit one production server.

Run it from anywhere, with the project's virtualenv (PostgreSQL reachable through DATABASE_URL, by default
postgres://postgres@127.0.0.1:5432/postgres; the user must be allowed to create databases):

    .venv/bin/python bench/isolation_load.py --clients 20 --communes 10 --seconds 60

What it does, in order (everything it creates is removed at the end, even on failure or Ctrl+C):

1. creates a fresh database on that server (``mutualise_bench_isolation_<random>``, or ``--database``), runs
   ``mutualise migrate`` and ``mutualise init --epci 243400694`` (CC Vallée de l'Hérault, 28 communes), then,
   through the product's own functions in a ``mutualise shell -c`` subprocess: puts an informatique asset named
   ``MARQUEUR-<insee>`` in every commune's schema, and for the first ``--communes`` communes enables the
   ``informatique`` service and creates one user with an ``agent`` role in that commune only;
2. starts ``gunicorn mutualise.wsgi`` (2 workers, 4 threads each, psycopg's pool on) on a free local port;
3. signs each client in through the real login page of its commune's host (clients are spread round-robin);
4. for ``--seconds``, each client thread requests its commune's dashboard (``/``) and informatique page
   (``/services/informatique/``) and checks every answer: 200, its own commune's name, user and marker, and no
   other commune's name, user or marker. One request in ``--replay-every`` replays the client's session cookie
   on another commune's host (or the console's): it must be sent to the login page (or get a 403), never served;
5. prints the totals and writes them as JSON to ``--output`` (default ``bench/results/isolation_load.json``);
6. stops gunicorn and drops the database.

Exit status: 0 when every request was answered as expected; 1 if any mismatch (a possible isolation breach) or
error (transport failure, unexpected status) occurred; 2 if the set-up itself failed.
"""

from __future__ import annotations

import argparse
import html
import json
import math
import os
import platform
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import requests
from psycopg import sql

EPCI = "243400694"  # Communauté de communes Vallée de l'Hérault: 28 communes
SERVICE = "informatique"
DASHBOARD_PATH = "/"
SERVICE_PATH = f"/services/{SERVICE}/"
LOGIN_PATH = "/connexion/"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_ROOT = Path(__file__).resolve().parent
REQUEST_TIMEOUT = 30  # seconds; also bounds how long the load loop can overrun --seconds

# Any marker or bench user of any commune, wherever it shows up in a page: the pages must show exactly their own.
MARKER_RE = re.compile(r"MARQUEUR-[0-9A-Z]{5}")
EMAIL_DOMAIN = "bench.invalid"
EMAIL_RE = re.compile(r"bench-agent-[0-9a-z]{5}@" + re.escape(EMAIL_DOMAIN))

# Runs inside `mutualise shell -c` against the bench database, through the product's own functions. Parameters come
# in environment variables (no quoting games); the result comes back as one tagged JSON line on stdout.
SETUP_CODE = """
import json, os
from django_tenants.utils import schema_context
from mutualise.accounts.models import CommuneMembership, CommuneRole, User
from plugins.informatique.models import Asset
from tenants.models import Commune
from tenants.subscriptions import enable_service

count = int(os.environ["BENCH_COMMUNES"])
password = os.environ["BENCH_PASSWORD"]
communes = list(Commune.objects.order_by("insee_code"))
if len(communes) < count:
    raise SystemExit(f"only {len(communes)} communes, {count} asked for")

# A marker in every commune's schema, served or not: a leak from any of them shows up in the pages.
for commune in communes:
    with schema_context(commune.schema_name):
        Asset.objects.create(name=f"MARQUEUR-{commune.insee_code}", kind=Asset.Kind.PC, site="Bench")

served = []
for commune in communes[:count]:
    enable_service(commune, os.environ["BENCH_SERVICE"], reason="bench isolation_load")
    user = User.objects.create_user(f"bench-agent-{commune.insee_code.lower()}@bench.invalid", password)
    CommuneMembership.objects.create(user=user, commune=commune, role=CommuneRole.AGENT)
    with schema_context(commune.schema_name):
        markers = list(Asset.objects.filter(name__startswith="MARQUEUR-").values_list("name", flat=True))
    assert markers == [f"MARQUEUR-{commune.insee_code}"], (commune.schema_name, markers)
    served.append({
        "insee": commune.insee_code,
        "name": commune.name,
        "host": commune.domains.get(is_primary=True).domain,
        "email": user.email,
    })
print("BENCH_SETUP_JSON=" + json.dumps({"served": served, "all_names": [c.name for c in communes]}))
"""


# -- Set-up -----------------------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20, help="concurrent client threads (default 20)")
    parser.add_argument(
        "--communes", type=int, default=10, help="communes the clients are spread over (2-28, default 10)"
    )
    parser.add_argument("--seconds", type=float, default=60, help="duration of the load, 1-600 (default 60)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2)")
    parser.add_argument("--threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument(
        "--replay-every", type=int, default=20, help="one request in N replays the session on another host (default 20)"
    )
    parser.add_argument("--database", help="name of the bench database to create (default: a fresh random name)")
    parser.add_argument(
        "--output", type=Path, default=BENCH_ROOT / "results" / "isolation_load.json", help="where to write the JSON"
    )
    args = parser.parse_args(argv)
    if not 2 <= args.communes <= 28:
        parser.error("--communes must be between 2 and 28 (the EPCI has 28 communes; replays need two)")
    if args.clients < 1 or not 1 <= args.seconds <= 600:
        parser.error("--clients must be positive and --seconds between 1 and 600")
    if args.replay_every < 2:
        parser.error("--replay-every must be at least 2")
    return args


def machine_info() -> dict:
    cpu_model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu_model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": cpu_model,
        "python": platform.python_version(),
        "platform": platform.platform(),
        # The client threads share the machine with the server: a busy machine lowers req/s, not correctness.
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def database_urls(name: str) -> tuple[str, str]:
    """(URL of the server's existing database, to create/drop from; URL of the bench database)."""
    admin = os.environ.get("DATABASE_URL", "").strip() or DEFAULT_DATABASE_URL
    parts = urlsplit(admin)
    return admin, urlunsplit(parts._replace(path=f"/{name}"))


def create_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists:
            # Never clobber: it may be another run's (random names make this unlikely unless --database is given).
            raise RuntimeError(f"database {name!r} already exists; drop it or pass another --database")
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as conn:
        # FORCE (PostgreSQL 13+): a worker that outlived SIGTERM must not keep the database alive.
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def product_env(database_url: str, data_dir: Path, base_domain: str) -> dict[str, str]:
    """The environment of every product process: only what the bench decides, nothing inherited from the shell.

    Inherited MUTUALISE_* / CELERY_* variables (a Redis cache, a broker, a plugin list, DEBUG…) would make runs
    incomparable, so they are dropped.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MUTUALISE_", "CELERY_", "DJANGO_"))}
    env.update(
        DATABASE_URL=database_url,
        MUTUALISE_DATA_DIR=str(data_dir),
        MUTUALISE_BASE_DOMAIN=base_domain,
        MUTUALISE_DB_POOL="1",
        MUTUALISE_LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def run_mutualise(args: list[str], env: dict[str, str], cwd: Path) -> str:
    """Run a ``mutualise`` management command (same interpreter as this script); return its stdout."""
    command = [sys.executable, "-m", "mutualise.cli", *args]
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=900)
    if result.returncode != 0:
        raise RuntimeError(f"`mutualise {args[0]}` failed ({result.returncode}):\n{result.stdout}\n{result.stderr}")
    return result.stdout


def free_port() -> int:
    # The port is needed before `init` (it is part of the base domain); the tiny race until gunicorn binds is fine.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(port: int, workers: int, threads: int, env: dict[str, str], cwd: Path, log: Path):
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        # The product's own settings (connections spread over the workers, keep-alive 30 s as behind a proxy).
        "--config=python:mutualise.gunicorn_conf",
        "mutualise.wsgi",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        f"--threads={threads}",
        "--graceful-timeout=10",
    ]
    log_file = log.open("w")
    try:
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=log_file, stderr=subprocess.STDOUT)
    finally:
        log_file.close()  # the child has its own descriptor


def wait_until_ready(server: subprocess.Popen, port: int, base_domain: str, timeout: float = 60) -> None:
    """Poll the console's health route until it answers 200 (it does not touch the database)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with status {server.returncode} before answering")
        try:
            answer = requests.get(f"http://127.0.0.1:{port}/sante/", headers={"Host": base_domain}, timeout=2)
            if answer.status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s")


def stop_gunicorn(server: subprocess.Popen) -> None:
    if server.poll() is not None:
        return
    server.terminate()  # SIGTERM to the master only: it stops its own workers
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=10)


# -- Load -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Commune:
    insee: str
    name: str
    host: str  # without the port, as stored in the Domain table
    email: str
    marker: str


@dataclass
class Stats:
    """One client's results; merged once the threads are done (no lock on the hot path)."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: {"page": [], "replay": []})
    mismatches: int = 0
    errors: int = 0
    failures: list[dict] = field(default_factory=list)

    def fail(self, kind: str, problem: str, **details) -> None:
        if kind == "mismatch":
            self.mismatches += 1
        else:
            self.errors += 1
        if len(self.failures) < 20:
            self.failures.append({"kind": kind, "problem": problem, **details})


def name_forms(name: str) -> set[str]:
    # Django escapes ' as &#x27; (as html.escape does); look for both spellings.
    return {name, html.escape(name)}


def check_page(body: str, path: str, own: Commune, foreign_names: list[str]) -> list[str]:
    """What is wrong with a 200 page of ``own``'s space, if anything: each item is an isolation mismatch."""
    problems = []
    if not any(form in body for form in name_forms(own.name)):
        problems.append(f"own commune name {own.name!r} missing")
    # Remove the own name first, so that a foreign name contained in it ("Pouget" in "Le Pouget") is not reported.
    rest = body
    for form in name_forms(own.name):
        rest = rest.replace(form, "")
    leaked = sorted({n for n in foreign_names if any(form in rest for form in name_forms(n))})
    if leaked:
        problems.append(f"other communes' names: {leaked}")
    emails = set(EMAIL_RE.findall(body))
    if emails != {own.email}:
        problems.append(f"users shown {sorted(emails)}, expected [{own.email!r}]")
    markers = set(MARKER_RE.findall(body))
    expected = {own.marker} if path == SERVICE_PATH else set()
    if markers != expected:
        problems.append(f"markers {sorted(markers)}, expected {sorted(expected)}")
    return problems


class Client:
    """One signed-in person of one commune, with its own HTTP session (cookies, keep-alive connection)."""

    def __init__(self, index: int, commune: Commune, others: list[Commune], context: dict):
        self.index = index
        self.commune = commune
        self.others = others  # other communes, whose hosts the session cookie is replayed on
        self.port = context["port"]
        self.password = context["password"]
        self.console_host = context["console_host"]
        self.foreign_names = [n for n in context["all_names"] if n != commune.name]
        self.replay_every = context["replay_every"]
        self.session = requests.Session()
        self.stats = Stats()
        self.requests = 0
        self.random = random.Random(index)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def host(self, host: str) -> str:
        return f"{host}:{self.port}"

    def login(self) -> None:
        """Sign in through the login page, as a browser would; raise if it does not work."""
        host = self.host(self.commune.host)
        form = self.session.get(self.url(LOGIN_PATH), headers={"Host": host}, timeout=REQUEST_TIMEOUT)
        token = self.session.cookies.get("csrftoken")
        if form.status_code != 200 or not token:
            raise RuntimeError(f"login page of {host}: status {form.status_code}, CSRF cookie {bool(token)}")
        answer = self.session.post(
            self.url(LOGIN_PATH),
            data={"username": self.commune.email, "password": self.password, "csrfmiddlewaretoken": token, "next": ""},
            headers={"Host": host, "Referer": f"http://{host}{LOGIN_PATH}"},
            allow_redirects=False,
            timeout=REQUEST_TIMEOUT,
        )
        if answer.status_code != 302 or not self.session.cookies.get("sessionid"):
            raise RuntimeError(f"login on {host} for {self.commune.email}: status {answer.status_code}, no session")

    def run(self, go: threading.Event, stop: threading.Event, deadline: list[float]) -> None:
        go.wait()
        paths = (DASHBOARD_PATH, SERVICE_PATH)
        while not stop.is_set() and time.monotonic() < deadline[0]:
            self.requests += 1
            if self.requests % self.replay_every == 0:
                self.replay()
            else:
                self.own_page(paths[self.requests % 2])

    def own_page(self, path: str) -> None:
        host = self.host(self.commune.host)
        details = {"client": self.index, "host": host, "path": path}
        started = time.perf_counter()
        try:
            answer = self.session.get(
                self.url(path), headers={"Host": host}, allow_redirects=False, timeout=REQUEST_TIMEOUT
            )
        except requests.RequestException as exc:
            self.stats.fail("error", f"{type(exc).__name__}: {exc}", **details)
            return
        finally:
            self.stats.latencies["page"].append(time.perf_counter() - started)
        if answer.status_code != 200:
            # A lost session (redirect to login) or a server error: not a leak, but the run is not clean.
            location = answer.headers.get("Location", "")
            self.stats.fail("error", f"status {answer.status_code} {location}".strip(), **details)
            return
        problems = check_page(answer.text, path, self.commune, self.foreign_names)
        if problems:
            self.stats.fail("mismatch", "; ".join(problems), **details)

    def replay(self) -> None:
        """Send this session's cookie to another space, as a stolen or copied cookie would be: it must not work."""
        target = self.random.choice([*(c.host for c in self.others), self.console_host])
        path = self.random.choice((DASHBOARD_PATH, SERVICE_PATH))
        host = self.host(target)
        details = {"client": self.index, "host": host, "path": path, "session_of": self.commune.host}
        cookie = f"sessionid={self.session.cookies.get('sessionid')}"
        started = time.perf_counter()
        try:
            # Outside the session: its cookie jar would (rightly) not send the cookie to another host.
            answer = requests.get(
                self.url(path),
                headers={"Host": host, "Cookie": cookie},
                allow_redirects=False,
                timeout=REQUEST_TIMEOUT,
            )
        except requests.RequestException as exc:
            self.stats.fail("error", f"{type(exc).__name__}: {exc}", **details)
            return
        finally:
            self.stats.latencies["replay"].append(time.perf_counter() - started)
        location = urlsplit(answer.headers.get("Location", ""))
        if (answer.status_code == 302 and location.path == LOGIN_PATH) or answer.status_code == 403:
            leaked = set(MARKER_RE.findall(answer.text)) | set(EMAIL_RE.findall(answer.text))
            if leaked:
                self.stats.fail("mismatch", f"refusal page shows {sorted(leaked)}", **details)
        elif answer.status_code in (200, 301, 302):
            # Served, or sent somewhere other than the login page: the session was honoured on a foreign host.
            self.stats.fail("mismatch", f"replayed session got {answer.status_code} {location.path}".strip(), **details)
        else:
            self.stats.fail("error", f"replay got status {answer.status_code}", **details)


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile, in milliseconds."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return round(ordered[rank] * 1000, 2)


def latency_summary(values: list[float]) -> dict:
    return {
        "count": len(values),
        "p50_ms": percentile(values, 0.50),
        "p95_ms": percentile(values, 0.95),
        "p99_ms": percentile(values, 0.99),
        "max_ms": round(max(values) * 1000, 2) if values else None,
    }


def run_load(args: argparse.Namespace, communes: list[Commune], context: dict) -> dict:
    clients = [
        Client(i, communes[i % len(communes)], [c for c in communes if c != communes[i % len(communes)]], context)
        for i in range(args.clients)
    ]
    # Sign in one after another: password hashing is slow on purpose, and it is not what is measured.
    login_started = time.perf_counter()
    for client in clients:
        client.login()
    login_seconds = time.perf_counter() - login_started
    for client in clients:
        # The first clients' kept-alive connections idled through the other logins, past gunicorn's keep-alive
        # (2 s): reusing one just as the server closes it gets a reset. Start the load on fresh connections.
        client.session.close()

    go, stop = threading.Event(), threading.Event()
    deadline = [0.0]
    threads = [
        threading.Thread(target=c.run, args=(go, stop, deadline), name=f"client-{c.index}", daemon=True)
        for c in clients
    ]
    for thread in threads:
        thread.start()
    started = time.monotonic()
    deadline[0] = started + args.seconds
    go.set()
    try:
        for thread in threads:
            # Timed joins keep the main thread responsive to Ctrl+C / SIGTERM.
            while thread.is_alive():
                thread.join(timeout=0.5)
    finally:
        stop.set()
    elapsed = time.monotonic() - started

    pages = [x for c in clients for x in c.stats.latencies["page"]]
    replays = [x for c in clients for x in c.stats.latencies["replay"]]
    total = len(pages) + len(replays)
    return {
        "requests": total,
        "mismatches": sum(c.stats.mismatches for c in clients),
        "errors": sum(c.stats.errors for c in clients),
        "requests_per_second": round(total / elapsed, 1) if elapsed else None,
        "elapsed_seconds": round(elapsed, 2),
        "latency_ms": latency_summary(pages + replays),
        "own_pages": latency_summary(pages),
        "cross_host_replays": latency_summary(replays),
        "logins": {"count": len(clients), "seconds": round(login_seconds, 2)},
        "failures_sample": [f for c in clients for f in c.stats.failures][:50],
    }


# -- Main -------------------------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # SIGTERM (a CI timeout, `kill`) must run the clean-up too, as Ctrl+C does.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))

    database = args.database or f"mutualise_bench_isolation_{secrets.token_hex(4)}"
    admin_url, bench_url = database_urls(database)
    port = free_port()
    base_domain = f"localhost:{port}"
    password = secrets.token_urlsafe(16)
    server = None
    database_created = False
    report = {
        "config": {
            "clients": args.clients,
            "communes": args.communes,
            "seconds": args.seconds,
            "gunicorn": {"workers": args.workers, "threads": args.threads, "db_pool": True},
            "replay_every": args.replay_every,
            "epci": EPCI,
        },
        "machine": machine_info(),
    }
    with tempfile.TemporaryDirectory(prefix="mutualise-bench-") as tmp:
        data_dir = Path(tmp)
        env = product_env(bench_url, data_dir, base_domain)
        log = data_dir / "gunicorn.log"
        try:
            step = time.perf_counter()
            print(f"Creating database {database} …", flush=True)
            create_database(admin_url, database)
            database_created = True
            run_mutualise(["migrate", "--verbosity=0"], env, data_dir)
            run_mutualise(["init", "--epci", EPCI, "--no-migrate"], env, data_dir)
            setup_env = {
                **env,
                "BENCH_COMMUNES": str(args.communes),
                "BENCH_PASSWORD": password,
                "BENCH_SERVICE": SERVICE,
            }
            output = run_mutualise(["shell", "-c", SETUP_CODE], setup_env, data_dir)
            line = next(x for x in output.splitlines() if x.startswith("BENCH_SETUP_JSON="))
            setup = json.loads(line.split("=", 1)[1])
            communes = [Commune(**c, marker=f"MARQUEUR-{c['insee']}") for c in setup["served"]]
            print(f"  set up in {time.perf_counter() - step:.1f} s: {', '.join(c.name for c in communes)}", flush=True)

            print(f"Starting gunicorn on 127.0.0.1:{port} ({args.workers} workers × {args.threads} threads) …")
            server = start_gunicorn(port, args.workers, args.threads, env, data_dir, log)
            wait_until_ready(server, port, base_domain)

            print(f"Load: {args.clients} clients over {len(communes)} communes for {args.seconds:g} s …", flush=True)
            context = {
                "port": port,
                "password": password,
                "console_host": "localhost",
                "all_names": setup["all_names"],
                "replay_every": args.replay_every,
            }
            report["results"] = run_load(args, communes, context)
            server_log = log.read_text(errors="replace")
            report["server"] = {
                # More boots than workers means a worker died (crash, timeout) during the run.
                "worker_boots": server_log.count("Booting worker"),
                "tracebacks_logged": server_log.count("Traceback"),
            }
            report["machine"]["loadavg_at_end"] = [round(x, 2) for x in os.getloadavg()]
        except Exception as exc:
            print(f"\nSET-UP FAILED: {exc}", file=sys.stderr)
            if log.exists():
                print("--- gunicorn log (end) ---\n" + log.read_text(errors="replace")[-4000:], file=sys.stderr)
            return 2
        finally:
            if server is not None:
                stop_gunicorn(server)
            if database_created:
                drop_database(admin_url, database)
                print(f"Dropped database {database}.", flush=True)

    results = report["results"]
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    latency = results["latency_ms"]
    print(
        f"\nrequests {results['requests']}  mismatches {results['mismatches']}  errors {results['errors']}  "
        f"{results['requests_per_second']} req/s  p50 {latency['p50_ms']} ms  p95 {latency['p95_ms']} ms"
    )
    print(
        f"  own pages {results['own_pages']['count']}, cross-host replays {results['cross_host_replays']['count']}; "
        f"gunicorn worker boots {report['server']['worker_boots']}, tracebacks {report['server']['tracebacks_logged']}"
    )
    machine = report["machine"]
    print(f"  machine: {machine['nproc']} CPU, {machine['cpu_model']}, Python {machine['python']}")
    for failure in results["failures_sample"][:10]:
        print(f"  {failure['kind'].upper()}: {failure}")
    print(f"Written to {args.output}")
    return 0 if results["requests"] and not results["mismatches"] and not results["errors"] else 1


if __name__ == "__main__":
    sys.exit(main())
