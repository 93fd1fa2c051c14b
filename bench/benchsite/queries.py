"""SQL statements per request of one variant of the tenancy benchmark, counted in-process.

    DJANGO_SETTINGS_MODULE=benchsite.settings_ours python -m benchsite.queries --host gignac.localhost --requests 200

Requests go through Django's WSGI handler exactly as gunicorn calls it (same signals, so the same connection
handling between requests). Two counts per request:

- ``captured``: what Django's ``CaptureQueriesContext`` sees (the statements of Django's cursor wrapper);
- ``sent``: every statement psycopg sends to the server, counted by wrapping ``psycopg.Cursor.execute``: it would add
  what the wrapper does not see (a pool's health check, a statement on a raw cursor).

Then, the wrapper removed, two measures of the work of a request that the machine's load hardly blurs: the Python
(and C) function calls it makes (median of 21 requests, counted with ``sys.setprofile``), and this process's CPU
time per request (best of 5 runs of 300); and the wall time of the tenant middleware alone (called 2,000 times on
one request; best of 5). Prints one line ``BENCH_JSON={...}``.
"""

from __future__ import annotations

import argparse
import collections
import io
import json
import sys
import time

import django
import psycopg

SENT: list[str] = []
_ORIGINAL_EXECUTE = psycopg.Cursor.execute


def _count_sent(on: bool) -> None:
    """Wrap (or unwrap) ``psycopg.Cursor.execute`` so as to record every statement sent."""

    def execute(self, query, *args, **kwargs):
        text = query if isinstance(query, str) else getattr(query, "as_string", lambda _: repr(query))(self)
        SENT.append(text if isinstance(text, str) else text.decode())
        return _ORIGINAL_EXECUTE(self, query, *args, **kwargs)

    psycopg.Cursor.execute = execute if on else _ORIGINAL_EXECUTE


def python_calls(function) -> int:
    """How many Python and C functions one call of ``function`` makes: a measure of work that no load can blur."""
    calls = 0

    def profile(frame, event, arg):
        nonlocal calls
        if event in ("call", "c_call"):
            calls += 1

    sys.setprofile(profile)
    try:
        function()
    finally:
        sys.setprofile(None)
    return calls


def cpu_microseconds(function, repeat: int = 5, number: int = 300) -> float:
    """CPU time of this process per call of ``function``: the best of ``repeat`` runs of ``number`` calls."""
    best = float("inf")
    for _ in range(repeat):
        started = time.process_time()
        for _ in range(number):
            function()
        best = min(best, (time.process_time() - started) / number)
    return best * 1e6


def tenant_middleware_microseconds(host: str) -> dict | None:
    """Wall time of the tenant middleware alone (the one of ``MIDDLEWARE`` named ``Tenant…``), per request: best of
    5 runs; ``None`` without one."""
    import timeit

    from django.conf import settings
    from django.test import RequestFactory
    from django.utils.module_loading import import_string

    name = next((path for path in settings.MIDDLEWARE if path.rsplit(".", 1)[1].startswith("Tenant")), None)
    if name is None:
        return None
    request = RequestFactory().get("/", HTTP_HOST=host)
    middleware = import_string(name)(lambda request: None)
    middleware(request)  # warm: the directory loaded, the connection on the commune's schema
    number = 2000
    spent = min(timeit.repeat(lambda: middleware(request), number=number, repeat=5)) / number
    empty = min(timeit.repeat(lambda: (lambda request: None)(request), number=number, repeat=5)) / number
    return {"middleware": name, "us_per_request": round((spent - empty) * 1e6, 1)}


def environ(host: str, path: str) -> dict:
    return {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": host.split(":")[0],
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": host,
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--host", required=True)
    parser.add_argument("--path", default="/")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--expect", default="", help="text every answer must contain")
    args = parser.parse_args()

    _count_sent(True)
    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    handler = WSGIHandler()

    def request() -> tuple[int, list[str], list[str]]:
        status = []
        reset_queries()  # request_started resets the log too: capture from an empty log
        del SENT[:]
        with CaptureQueriesContext(connection) as captured:
            sent_before = len(SENT)  # entering may open the connection: not part of the request
            body = b"".join(handler(environ(args.host, args.path), lambda s, h, e=None: status.append(s)))
        if not status[0].startswith("200") or args.expect.encode() not in body:
            raise SystemExit(f"unexpected answer {status[0]}: {body[:300]!r}")
        return len(captured.captured_queries), [q["sql"] for q in captured.captured_queries], SENT[sent_before:]

    for _ in range(args.warmup):
        request()
    captured_counts, sent_counts = collections.Counter(), collections.Counter()
    examples: dict[int, dict] = {}
    started = time.perf_counter()
    for _ in range(args.requests):
        n_captured, captured_sql, sent_sql = request()
        captured_counts[n_captured] += 1
        sent_counts[len(sent_sql)] += 1
        examples.setdefault(len(sent_sql), {"captured": captured_sql, "sent": sent_sql})
    elapsed = time.perf_counter() - started
    typical = sent_counts.most_common(1)[0][0]

    _count_sent(False)  # the rest measures the request alone

    def plain_request() -> None:
        status = []
        body = b"".join(handler(environ(args.host, args.path), lambda s, h, e=None: status.append(s)))
        if not status[0].startswith("200") or args.expect.encode() not in body:
            raise SystemExit(f"unexpected answer {status[0]}: {body[:300]!r}")

    calls = sorted(python_calls(plain_request) for _ in range(21))
    middleware_us = tenant_middleware_microseconds(args.host)
    result = {
        "requests": args.requests,
        "seconds": round(elapsed, 3),
        "captured": {str(k): v for k, v in sorted(captured_counts.items())},
        "sent": {str(k): v for k, v in sorted(sent_counts.items())},
        "captured_mean": round(sum(k * v for k, v in captured_counts.items()) / args.requests, 3),
        "sent_mean": round(sum(k * v for k, v in sent_counts.items()) / args.requests, 3),
        "typical": examples[typical],
        "python_calls_per_request": calls[len(calls) // 2],
        "cpu_us_per_request": round(cpu_microseconds(plain_request), 1),
        "tenant_middleware": middleware_us,
        "other_examples": {str(k): v for k, v in examples.items() if k != typical},
    }
    print("BENCH_JSON=" + json.dumps(result))


if __name__ == "__main__":
    main()
