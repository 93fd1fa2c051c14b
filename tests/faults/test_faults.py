"""Faults, against real services: the broker down, a worker killed mid-task, PostgreSQL restarted under load.

The tests share one instance (see conftest) and run in this order: the broker comes up in the first.
"""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from collections import Counter

import requests

DEMANDE = {
    "service": "informatique",
    "kind": "incident",
    "category": "impression",
    "title": "Le copieur ne scanne plus",
    "description": "Depuis ce matin.",
}


def wait_until(condition, timeout: float = 60, step: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(step)
    return condition()


def outbox_rows(instance, demande_ids) -> list[tuple]:
    """(demande id, published, done) of the e-mail messages of these demandes."""
    rows = instance.sql(
        "SELECT (args->>2)::int, published_at IS NOT NULL, done_at IS NOT NULL FROM mutualise_outboxmessage "
        "WHERE task = 'mutualise.demandes.notify'"
    )
    return sorted(row for row in rows if row[0] in set(demande_ids))


def test_broker_down_the_users_work_goes_on_and_no_email_is_lost(instance):
    api = instance.api()
    created, durations = [], []
    for number in range(3):
        started = time.monotonic()
        response = api.post(
            f"{instance.gignac}/api/v1/demandes/", json={**DEMANDE, "title": f"Panne n° {number}"}, timeout=30
        )
        assert response.status_code == 201, response.text
        created.append(response.json()["id"])
        durations.append(round(time.monotonic() - started, 2))
    print(f"demandes created with the broker down in {durations} s")
    assert outbox_rows(instance, created) == [(pk, False, False) for pk in created]

    instance.start_broker()
    time.sleep(10)  # the relay leaves the youngest messages to the publication after their commit
    relayed = instance.mutualise("outbox", "--relay").stdout
    assert "0 tâche(s) en attente du courtier" in relayed
    done = wait_until(lambda: outbox_rows(instance, created) == [(pk, True, True) for pk in created])
    assert done, (outbox_rows(instance, created), instance.log("worker")[-3000:])
    ids = instance.sql(
        "SELECT id FROM mutualise_outboxmessage WHERE task = 'mutualise.demandes.notify' AND (args->>2)::int = ANY(%s)",
        [created],
    )
    log = instance.log("worker")
    for (message,) in ids:  # each e-mail went to the service's agent: one recipient
        assert re.search(rf"notify\[{message}\] succeeded in [0-9.]+s: 1\n", log), log[-3000:]


def test_a_worker_killed_mid_task_runs_it_again_and_its_effect_happens_once(instance):
    instance.start_broker()
    trace = instance.folder / "trace"
    trace.mkdir(mode=0o777)
    (trace / "pause").write_text("")
    instance.mutualise(
        "shell",
        "-c",
        "from django.db import transaction\n"
        "from django_tenants.utils import schema_context\n"
        "from mutualise import outbox\n"
        "from mutualise_exemple.tasks import slow_note\n"
        "with transaction.atomic(), schema_context('commune_34114'):\n"
        f"    print('MESSAGE=' + str(outbox.enqueue(slow_note, 'une seule fois', '{trace}').pk))\n",
    )
    first = wait_until(lambda: list(trace.glob("run-*")), timeout=60)
    assert len(first) == 1, instance.log("worker")[-3000:]
    os.kill(int(first[0].name.removeprefix("run-")), signal.SIGKILL)  # the process running the task
    (trace / "pause").unlink()

    def finished():
        rows = instance.sql("SELECT done_at FROM mutualise_outboxmessage WHERE task = 'mutualise_exemple.slow_note'")
        return len(rows) == 1 and rows[0][0] is not None

    done = wait_until(finished, timeout=90)
    assert done, instance.log("worker")[-3000:]
    runs = list(trace.glob("run-*"))
    assert len(runs) == 2 and all(run.read_text() == "commune_34114" for run in runs)
    notes = instance.sql("SELECT count(*) FROM commune_34114.mutualise_exemple_note WHERE text = 'une seule fois'")
    assert notes == [(1,)]
    assert "WorkerLostError" in instance.log("worker") or "signal 9" in instance.log("worker")


def sign_in(instance) -> requests.Session:
    """A person's session on Gignac's space, through the login page."""
    session = requests.Session()
    session.headers.update(instance.headers())
    page = session.get(f"{instance.gignac}/connexion/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
    response = session.post(
        f"{instance.gignac}/connexion/",
        data={"csrfmiddlewaretoken": token, "username": "agent@gignac.test", "password": "mot-de-passe-des-pannes"},
        headers={"Referer": f"http://gignac.localhost:{instance.port}/connexion/"},
        timeout=30,
        allow_redirects=False,
    )
    assert response.status_code == 302, response.text[:2000]
    return session


def test_postgresql_restarted_under_load_answers_503_then_recovers_with_nothing_half_written(instance):
    api, person = instance.api(), sign_in(instance)
    assert person.get(f"{instance.gignac}/demandes/", timeout=30).status_code == 200
    before = instance.sql("SELECT count(*) FROM commune_34114.demandes_demande")[0][0]
    outcomes: list[tuple[str, int, str, float]] = []
    created: list[int] = []
    stop = threading.Event()
    lock = threading.Lock()

    def load(kind: str) -> None:
        session = api if kind != "page" else person
        number = 0
        while not stop.is_set():
            number += 1
            try:
                if kind == "write":
                    response = session.post(
                        f"{instance.gignac}/api/v1/demandes/",
                        json={**DEMANDE, "title": f"Charge {number}"},
                        timeout=30,
                    )
                elif kind == "read":
                    response = session.get(f"{instance.gignac}/api/v1/demandes/", timeout=30)
                else:
                    response = session.get(f"{instance.gignac}/demandes/", timeout=30, allow_redirects=False)
            except requests.RequestException as error:  # the server itself must stay up
                with lock:
                    outcomes.append((kind, 0, repr(error), time.monotonic()))
                continue
            with lock:
                outcomes.append((kind, response.status_code, response.text[:500], time.monotonic()))
                if kind == "write" and response.status_code == 201:
                    created.append(response.json()["id"])

    threads = [threading.Thread(target=load, args=(kind,)) for kind in ("write", "write", "read", "page")]
    for thread in threads:
        thread.start()
    time.sleep(3)
    restarted_at = time.monotonic()
    instance.restart_postgresql()
    back_at = time.monotonic()
    time.sleep(8)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    statuses = Counter((kind, status) for kind, status, _, _ in outcomes)
    failed_at = [at for _, status, _, at in outcomes if status == 503]
    print(
        f"PostgreSQL restarted in {back_at - restarted_at:.2f} s under {len(outcomes)} requests: {dict(statuses)}; "
        f"503 from +{min(failed_at, default=restarted_at) - restarted_at:.2f} s to "
        f"+{max(failed_at, default=restarted_at) - restarted_at:.2f} s after the restart began"
    )
    assert {status for _, status in statuses} <= {200, 201, 503}, statuses
    unavailable = [(kind, body) for kind, status, body, _ in outcomes if status == 503]
    assert unavailable, f"no request met the restart: {statuses}"
    for kind, body in unavailable:
        if kind == "page":
            assert "Service momentanément indisponible" in body
        else:
            assert '"code":"service_indisponible"' in body.replace(" ", "")
    # recovered by itself: every request from 3 s after the restart on succeeded
    late = [(kind, status) for kind, status, _, at in outcomes if at > back_at + 3]
    assert late and all(status in (200, 201) for _, status in late), Counter(late)
    assert restarted_at < back_at
    # nothing half-written: each acknowledged demande is there, with its index row and its e-mail message
    rows = instance.sql("SELECT id FROM commune_34114.demandes_demande")
    assert {pk for pk in created} <= {row[0] for row in rows}
    total = instance.sql("SELECT count(*) FROM commune_34114.demandes_demande")[0][0]
    indexed = instance.sql(
        "SELECT count(*) FROM mutualise_demandeindex i JOIN tenants_commune c ON c.id = i.commune_id "
        "WHERE c.insee_code = '34114'"
    )[0][0]
    messages = instance.sql(
        "SELECT count(*) FROM mutualise_outboxmessage WHERE task = 'mutualise.demandes.notify' "
        "AND args->>0 = 'nouvelle' AND args->>1 = '34114'"
    )[0][0]
    assert total == indexed == messages and total - before >= len(created) > 0
