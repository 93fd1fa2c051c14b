"""Demandes: opened by a commune, handled by a service, indexed in the public schema in the same transaction."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import override_settings
from django_tenants.utils import schema_context

from mutualise.accounts.models import ServiceMembership
from mutualise.demandes import services
from mutualise.demandes.models import Demande
from mutualise.demandes.rules import Priority, Status, priority
from mutualise.models import DemandeIndex
from tenants.subscriptions import enable_service
from tests.conftest import make_user


@pytest.fixture
def technicien(db):
    user = make_user("technicien@cc.test")
    ServiceMembership.objects.create(user=user, service="informatique", role="agent")
    return user


@pytest.fixture
def informatique(commune):
    return enable_service(commune, "informatique", start=datetime.date(2020, 1, 1))


def open_incident(commune, requester, **fields):
    with schema_context(commune.schema_name):
        return services.create(
            commune,
            service="informatique",
            kind="incident",
            category="impression",
            title="Le copieur ne scanne plus",
            description="Depuis ce matin.",
            requester=requester,
            **fields,
        )


def index_row(commune, n: int, **fields) -> DemandeIndex:
    """Row ``n`` of the public index, written directly as the queue reads it: an open P3 informatique incident,
    opened ``n`` minutes ago, unless ``fields`` say otherwise."""
    from django.utils import timezone

    values = {
        "service": "informatique",
        "kind": "incident",
        "title": f"Demande {n:03d}",
        "status": "nouvelle",
        "priority": 3,
        "created_at": timezone.now() - datetime.timedelta(minutes=n),
    }
    return DemandeIndex(commune=commune, demande_id=n, **{**values, **fields})


@pytest.mark.parametrize(("urgency", "impact", "expected"), [(5, 5, 1), (4, 4, 2), (5, 2, 2), (3, 3, 3), (1, 2, 4)])
def test_priority_matrix(urgency, impact, expected):
    assert priority(urgency, impact) == expected


def test_a_demande_and_its_index_row_are_written_together(commune, commune_agent, informatique):
    demande = open_incident(commune, commune_agent, urgency=5, impact=4)
    assert demande.priority == Priority.P1 and demande.status == Status.NEW
    assert demande.take_charge_due < demande.resolve_due
    row = DemandeIndex.objects.get(commune=commune, demande_id=demande.pk)
    assert (row.service, row.status, row.priority, row.due_at) == (
        "informatique",
        "nouvelle",
        1,
        demande.take_charge_due,
    )
    with schema_context(commune.schema_name):
        assert Demande.objects.filter(pk=demande.pk).exists()
    assert not connection.schema_name.startswith("commune")


def test_a_failure_writes_neither_the_demande_nor_its_row(commune, commune_agent, informatique):
    with pytest.raises(RuntimeError), transaction.atomic(), schema_context(commune.schema_name):
        services.create(
            commune,
            service="informatique",
            kind="demande",
            title="Nouveau poste",
            description="Pour l'accueil.",
            requester=commune_agent,
        )
        raise RuntimeError("panne au milieu")
    assert not DemandeIndex.objects.exists()
    with schema_context(commune.schema_name):
        assert not Demande.objects.exists()


def test_bad_input_is_refused_in_french(commune, commune_agent, informatique):
    with schema_context(commune.schema_name):
        with pytest.raises(ValidationError, match="type de demande"):
            services.create(
                commune, service="informatique", kind="inconnu", title="x", description="y", requester=commune_agent
            )
        with pytest.raises(ValidationError, match="catégorie"):
            services.create(
                commune,
                service="informatique",
                kind="incident",
                category="cuisine",
                title="x",
                description="y",
                requester=commune_agent,
            )
        with pytest.raises(ValidationError, match="ne souscrit pas"):
            services.create(
                commune, service="rh", kind="formation", title="x", description="y", requester=commune_agent
            )
    assert not DemandeIndex.objects.exists()


def test_the_life_of_a_demande(commune, commune_agent, technicien, informatique):
    demande = open_incident(commune, commune_agent)
    with schema_context(commune.schema_name):
        demande = services.assign(commune, demande, technicien, by=technicien)
        assert demande.status == Status.ASSIGNED and demande.taken_at is not None
        services.add_message(commune, demande, author=technicien, body="Quel modèle ?", internal=False)
        services.add_message(commune, demande, author=technicien, body="Voir le contrat", internal=True)
        demande = services.move(commune, demande, Status.WAITING, by=technicien)
        row = DemandeIndex.objects.get(demande_id=demande.pk)
        assert row.status == "en_attente" and row.resolve_due is None  # the clock is stopped
        services.add_message(commune, demande, author=commune_agent, body="Un Kyocera", from_commune=True)
        demande.refresh_from_db()
        assert demande.status == Status.ASSIGNED and demande.resolve_due is not None
        services.add_time(commune, demande, agent=technicien, date=datetime.date(2026, 11, 26), minutes=45)
        demande = services.move(commune, demande, Status.SOLVED, by=technicien)
        with pytest.raises(ValidationError, match="ne peut pas passer"):
            services.move(commune, demande, Status.PLANNED, by=technicien)
        demande = services.move(commune, demande, Status.ASSIGNED, by=commune_agent)  # reopened
        assert demande.solved_at is None
        assert [c.after for c in demande.status_changes.all()] == [
            "nouvelle",
            "attribuee",
            "en_attente",
            "attribuee",
            "resolue",
            "attribuee",
        ]
        assert demande.messages.filter(internal=True).count() == 1
    assert DemandeIndex.objects.get(demande_id=demande.pk).status == "attribuee"


def test_time_entries_are_checked(commune, commune_agent, technicien, informatique):
    demande = open_incident(commune, commune_agent)
    with schema_context(commune.schema_name):
        for minutes in (0, 24 * 60 + 1):
            with pytest.raises(ValidationError):
                services.add_time(commune, demande, agent=technicien, date=datetime.date(2026, 11, 26), minutes=minutes)


# -- Pages ----------------------------------------------------------------------------------------------------------


def test_a_commune_opens_a_demande_and_the_agent_handles_it(
    commune, commune_agent, technicien, informatique, client_on
):
    mairie = client_on(commune, commune_agent)
    form = mairie.get("/demandes/nouvelle/informatique/")
    assert form.status_code == 200 and "Nouvelle demande — Informatique" in form.content.decode()
    created = mairie.post(
        "/demandes/nouvelle/informatique/",
        {
            "kind": "incident",
            "category": "impression",
            "title": "Copieur en panne",
            "description": "Bourrage.",
            "urgency": "5",
            "impact": "4",
        },
    )
    assert created.status_code == 302
    demande_id = int(created["Location"].rstrip("/").rsplit("/", 1)[1])

    console = client_on(None, technicien)
    listing = console.get("/file/").content.decode()
    assert "Copieur en panne" in listing and "Gignac" in listing and "P1" in listing
    detail_url = f"/file/34114/{demande_id}/"
    console.post(detail_url, {"action": "take"})
    console.post(detail_url, {"action": "message", "body": "Je passe à 14 h.", "internal": ""})
    console.post(detail_url, {"action": "message", "body": "Contrat Kyocera à vérifier", "internal": "on"})
    bad = console.post(detail_url, {"action": "time", "date": "26/11/2026", "minutes": "0"})
    assert bad.status_code == 400 and "supérieure ou égale à 1" in bad.content.decode()
    console.post(detail_url, {"action": "time", "date": "26/11/2026", "minutes": "30"})
    console.post(detail_url, {"action": "status", "status": "resolue"})

    page = mairie.get(f"/demandes/{demande_id}/").content.decode()
    assert "Je passe à 14 h." in page and "Résolue" in page
    assert "Contrat Kyocera" not in page  # internal notes stay with the service


def test_agents_see_only_their_services_demandes(commune, commune_agent, technicien, informatique, client_on):
    enable_service(commune, "rh", start=datetime.date(2020, 1, 1))
    open_incident(commune, commune_agent)
    with schema_context(commune.schema_name):
        services.create(
            commune,
            service="rh",
            kind="formation",
            title="Formation CACES",
            description="Pour 2 agents",
            requester=commune_agent,
        )
    juriste = make_user("rh@cc.test")
    ServiceMembership.objects.create(user=juriste, service="rh", role="agent")
    assert "Le copieur" not in client_on(None, juriste).get("/file/").content.decode()
    assert "Formation CACES" in client_on(None, juriste).get("/file/").content.decode()
    row = DemandeIndex.objects.get(service="informatique")
    assert client_on(None, juriste).get(f"/file/34114/{row.demande_id}/").status_code == 404
    assert "Formation CACES" not in client_on(None, technicien).get("/file/").content.decode()


def test_the_index_is_checked_and_rebuilt_from_the_schemas(commune, commune_agent, informatique, capsys):
    from django.core.management import CommandError, call_command

    first = open_incident(commune, commune_agent)
    second = open_incident(commune, commune_agent)
    DemandeIndex.objects.filter(demande_id=first.pk).delete()  # lost
    DemandeIndex.objects.filter(demande_id=second.pk).update(title="ancien titre")  # out of date
    DemandeIndex.objects.create(
        commune=commune,
        demande_id=999,
        service="informatique",
        kind="incident",
        title="fantôme",
        status="nouvelle",
        priority=3,
        created_at=first.created_at,
    )
    with pytest.raises(CommandError):
        call_command("rebuild_demande_index", check=True)
    assert "1 absente(s) de l'index, 1 différente(s), 1 sans demande" in capsys.readouterr().out
    assert DemandeIndex.objects.filter(title="fantôme").exists()  # --check changes nothing
    call_command("rebuild_demande_index")
    call_command("rebuild_demande_index", check=True)
    assert "conforme" in capsys.readouterr().out
    assert sorted(DemandeIndex.objects.values_list("demande_id", flat=True)) == sorted([first.pk, second.pk])


def test_the_tally_follows_every_write_of_the_index(commune, other_commune, commune_agent, informatique, capsys):
    """Created, moved, reprioritised, deleted one by one or in bulk, a commune's rows all removed, the index emptied:
    the tally by service, status and priority stays what counting the index gives."""
    from django.core.management import CommandError, call_command

    from mutualise.models import DemandeTally

    def tally():
        return {(t.service, t.status, t.priority): t.demandes for t in DemandeTally.objects.exclude(demandes=0)}

    first = open_incident(commune, commune_agent, urgency=5, impact=4)  # P1
    open_incident(commune, commune_agent)
    assert tally() == {("informatique", "nouvelle", 1): 1, ("informatique", "nouvelle", 3): 1}
    with schema_context(commune.schema_name):
        services.move(commune, first, Status.ASSIGNED, by=commune_agent)
    assert tally() == {("informatique", "attribuee", 1): 1, ("informatique", "nouvelle", 3): 1}
    DemandeIndex.objects.update(priority=2)  # every row in one statement
    assert tally() == {("informatique", "attribuee", 2): 1, ("informatique", "nouvelle", 2): 1}
    DemandeIndex.objects.update(take_charge_breached=True)  # no key changes: nothing added
    assert tally() == {("informatique", "attribuee", 2): 1, ("informatique", "nouvelle", 2): 1}
    DemandeIndex.objects.bulk_create(
        index_row(other_commune, n, service="rh", kind="formation", status="close", priority=4) for n in range(5)
    )
    assert tally()[("rh", "close", 4)] == 5 and DemandeTally.is_exact()
    DemandeIndex.objects.filter(commune=other_commune, demande_id__lt=2).delete()
    assert tally()[("rh", "close", 4)] == 3 and DemandeTally.is_exact()
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the test's transaction holds deferred checks
        cursor.execute("TRUNCATE mutualise_demandeindex")
    assert tally() == {}

    # a tally gone wrong (written by hand): found by the check, counted again by the rebuild
    open_incident(commune, commune_agent)
    DemandeTally.objects.update(demandes=7)
    with pytest.raises(CommandError):
        call_command("rebuild_demande_index", check=True)
    assert "décompte des demandes" in capsys.readouterr().out
    call_command("rebuild_demande_index")  # the index rebuilt from the schema (three demandes), the tally recounted
    assert tally() == {("informatique", "attribuee", 1): 1, ("informatique", "nouvelle", 3): 2}
    call_command("rebuild_demande_index", check=True)


def test_the_queue_counts_from_the_tally_or_the_rows(commune, other_commune, community_admin, client_on):
    """The count shown is the same whether it comes from the tally (service, status, priority) or from the rows."""
    from mutualise.models import DemandeTally

    now = datetime.datetime(2026, 1, 5, 9, tzinfo=datetime.UTC)
    DemandeIndex.objects.bulk_create(
        index_row(
            (commune, other_commune)[n % 2],
            n,
            service=("informatique", "rh")[n % 3 == 0],
            status=("nouvelle", "close", "attribuee")[n % 3],
            priority=1 + n % 4,
            due_at=now,
        )
        for n in range(60)
    )
    console = client_on(None, community_admin)
    cases = [
        ({}, lambda r: r.status in ("nouvelle", "attribuee")),
        ({"status": "toutes"}, lambda r: True),
        ({"status": "close", "service": "rh"}, lambda r: r.status == "close" and r.service == "rh"),
        ({"priority": "2", "status": "toutes"}, lambda r: r.priority == 2),
        ({"commune": commune.insee_code}, lambda r: r.commune_id == commune.pk and r.status != "close"),
    ]
    rows = list(DemandeIndex.objects.all())
    for query, keep in cases:
        expected = sum(1 for r in rows if keep(r))
        html = console.get("/file/", query).content.decode()
        assert f"{expected} demande" in html, query
    DemandeTally.objects.update(demandes=0)  # the tally is what the unnarrowed count reads
    assert "0 demande" in console.get("/file/", {"status": "toutes"}).content.decode()


def test_the_queue_statements_agree_with_the_orm_for_every_filter(commune, other_commune, technicien):
    """Every combination of the queue's filters: the same count and the same page as the ORM's reading of the index."""
    import itertools

    from django.utils import timezone

    from mutualise.demandes import queue_index

    now = timezone.now()
    DemandeIndex.objects.bulk_create(
        index_row(
            (commune, other_commune)[n % 2],
            n,
            service=("informatique", "rh", "juridique")[n % 3],
            status=("nouvelle", "close", "attribuee", "resolue")[n % 4],
            priority=1 + n % 4,
            assignee=technicien if n % 5 == 0 else None,
            due_at=None if n % 7 == 0 else now + datetime.timedelta(hours=n % 11 - 5),
            created_at=now - datetime.timedelta(minutes=n),
        )
        for n in range(130)
    )
    choices = {
        "services": [["informatique", "rh", "juridique"], ["rh"], []],
        "statuses": [None, ["close"], ["nouvelle", "attribuee"]],
        "priority": [None, 2],
        "commune": [None, other_commune.insee_code, "99999"],
        "assignee_id": [None, technicien.pk],
        "due_before": [None, now],
    }
    for values in itertools.product(*choices.values()):
        filters = queue_index.QueueFilters(**dict(zip(choices, values, strict=True)))
        rows = DemandeIndex.objects.filter(service__in=filters.services)
        if filters.statuses is not None:
            rows = rows.filter(status__in=filters.statuses)
        if filters.priority is not None:
            rows = rows.filter(priority=filters.priority)
        if filters.commune is not None:
            rows = rows.filter(commune__insee_code=filters.commune)
        if filters.assignee_id is not None:
            rows = rows.filter(assignee_id=filters.assignee_id)
        if filters.due_before is not None:
            rows = rows.filter(due_at__lt=filters.due_before)
        expected = list(rows.order_by(*queue_index.ORDER).values_list("demande_id", "commune__insee_code"))
        assert queue_index.count(filters) == len(expected), filters
        for offset in (0, 7):
            got = queue_index.page(filters, offset=offset, limit=10)
            assert [(r.demande_id, r.commune__insee_code) for r in got] == expected[offset : offset + 10], filters


def test_attachments_are_checked_and_internal_ones_stay_with_the_service(
    commune, commune_agent, technicien, informatique, client_on
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    demande = open_incident(commune, commune_agent)
    mairie = client_on(commune, commune_agent)
    for name, content, error in (
        ("facture.pdf.exe", b"MZ", "Type de fichier refusé (.exe)"),
        ("vide.pdf", b"", "vide"),
        ("sans-extension", b"x", "sans extension"),
    ):
        refused = mairie.post(
            f"/demandes/{demande.pk}/", {"body": "voir pièce", "attachment": SimpleUploadedFile(name, content)}
        )
        assert refused.status_code == 400 and error in refused.content.decode(), name
    mairie.post(
        f"/demandes/{demande.pk}/",
        {"body": "La photo", "attachment": SimpleUploadedFile("../../photo.png", b"\x89PNG-commune")},
    )
    console = client_on(None, technicien)
    console.post(
        f"/file/34114/{demande.pk}/",
        {
            "action": "message",
            "body": "Devis",
            "internal": "on",
            "attachment": SimpleUploadedFile("devis.pdf", b"%PDF-interne"),
        },
    )
    with schema_context(commune.schema_name):
        photo, devis = demande.attachments.order_by("pk")
    assert photo.name == "photo.png" and photo.file.name.startswith("demandes/")
    own = mairie.get(f"/demandes/{demande.pk}/pieces/{photo.pk}/")
    assert own.status_code == 200 and b"".join(own.streaming_content) == b"\x89PNG-commune"
    assert mairie.get(f"/demandes/{demande.pk}/pieces/{devis.pk}/").status_code == 404  # internal
    assert "devis.pdf" not in mairie.get(f"/demandes/{demande.pk}/").content.decode()
    agent_copy = console.get(f"/file/34114/{demande.pk}/pieces/{devis.pk}/")
    assert agent_copy.status_code == 200 and b"".join(agent_copy.streaming_content) == b"%PDF-interne"
    # the commune's whole folder stays closed to the service's agents
    assert client_on(commune, technicien).get(f"/fichiers/{photo.file.name}").status_code == 404


def test_the_api_for_the_commune_and_for_the_agents(commune, other_commune, commune_agent, technicien, informatique):
    from django.test import Client

    from mutualise.accounts.tokens import issue_token

    _, commune_token = issue_token(commune_agent, "mairie", commune)
    _, agent_token = issue_token(technicien, "technicien", None)
    mairie = Client(HTTP_HOST=commune.host, HTTP_AUTHORIZATION=f"Bearer {commune_token}")
    created = mairie.post(
        "/api/v1/demandes/",
        {
            "service": "informatique",
            "kind": "incident",
            "category": "reseau",
            "title": "Plus d'internet",
            "description": "Box éteinte",
            "urgency": 5,
            "impact": 5,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["priority"] == 1 and created.json()["status"] == "nouvelle"
    refused = mairie.post(
        "/api/v1/demandes/",
        {"service": "rh", "kind": "formation", "title": "x", "description": "y"},
        content_type="application/json",
    )
    assert refused.status_code == 400 and "ne souscrit pas" in refused.content.decode()
    pk = created.json()["id"]
    assert (
        mairie.post(
            f"/api/v1/demandes/{pk}/messages/", {"body": "Toujours en panne"}, content_type="application/json"
        ).status_code
        == 201
    )
    assert [m["body"] for m in mairie.get(f"/api/v1/demandes/{pk}/messages/").json()] == ["Toujours en panne"]

    console = Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {agent_token}")
    queue = console.get("/api/v1/file/").json()["results"]
    assert [(r["commune"], r["title"], r["priority"]) for r in queue] == [("34114", "Plus d'internet", 1)]
    assert console.get("/api/v1/file/", {"commune": "34239"}).json()["results"] == []
    # a token works only on its own space
    assert (
        Client(HTTP_HOST=other_commune.host, HTTP_AUTHORIZATION=f"Bearer {commune_token}")
        .get("/api/v1/demandes/")
        .status_code
        == 401
    )
    assert (
        Client(HTTP_HOST=commune.host, HTTP_AUTHORIZATION=f"Bearer {agent_token}").get("/api/v1/demandes/").status_code
        == 401
    )


def test_emails_go_out_after_commit_to_those_who_did_not_mute_them(
    commune, commune_agent, technicien, informatique, django_capture_on_commit_callbacks, mailoutbox
):
    from mutualise.accounts.notifications import save_preferences

    muted = make_user("sieste@cc.test")
    ServiceMembership.objects.create(user=muted, service="informatique", role="agent")
    save_preferences(muted, {"informatique": False})
    with django_capture_on_commit_callbacks(execute=True):
        demande = open_incident(commune, commune_agent)
        assert mailoutbox == []  # nothing before the commit
    assert [m.to for m in mailoutbox] == [[technicien.email]]
    assert "Gignac" in mailoutbox[0].subject and "Le copieur ne scanne plus" in mailoutbox[0].subject
    assert "http://localhost:8000/file/34114/" in mailoutbox[0].body
    with django_capture_on_commit_callbacks(execute=True), schema_context(commune.schema_name):
        services.add_message(commune, demande, author=technicien, body="Note", internal=True)
        services.add_message(commune, demande, author=technicien, body="Je m'en occupe")
    assert [m.to for m in mailoutbox[1:]] == [[commune_agent.email]]  # the internal note e-mails nobody
    assert "http://gignac.localhost:8000/demandes/" in mailoutbox[1].body


def test_deadlines_are_reminded_then_escalated_once(commune, commune_agent, technicien, informatique, mailoutbox):
    from datetime import timedelta

    from django.utils import timezone

    from mutualise.demandes.notifications import check_deadlines

    chef = make_user("chef@cc.test")
    ServiceMembership.objects.create(user=chef, service="informatique", role="responsable")
    soon, late = open_incident(commune, commune_agent), open_incident(commune, commune_agent)
    now = timezone.now()
    DemandeIndex.objects.filter(demande_id=soon.pk).update(due_at=now + timedelta(minutes=30))
    DemandeIndex.objects.filter(demande_id=late.pk).update(due_at=now - timedelta(minutes=5))
    mailoutbox.clear()
    assert check_deadlines() == {"rappels": 1, "escalades": 1, "depassements": 0}
    assert check_deadlines() == {"rappels": 0, "escalades": 0, "depassements": 0}  # once per deadline
    subjects = sorted(m.subject for m in mailoutbox)
    assert subjects[0].startswith("[Échéance dépassée]") and subjects[1].startswith("[Échéance proche]")
    escalation = next(m for m in mailoutbox if "dépassée" in m.subject)
    assert escalation.to == [chef.email]
    from tenants.subscriptions import disable_service

    disable_service(commune, "informatique")
    DemandeIndex.objects.update(reminded_for=None, escalated_for=None)
    assert check_deadlines() == {"rappels": 0, "escalades": 0, "depassements": 0}  # a disabled service: nothing


def test_the_queue_filters_show_each_agent_their_own_services_and_choices(technicien, client_on):
    """The filter form's HTML is kept between pages: never another person's services, never another query's choice."""
    juriste = make_user("juridique@cc.test")
    ServiceMembership.objects.create(user=juriste, service="juridique", role="agent")
    for _ in range(2):  # the second time from what was kept
        technician_page = client_on(None, technicien).get("/file/", {"status": "toutes"}).content.decode()
        lawyer_page = client_on(None, juriste).get("/file/", {"status": "toutes"}).content.decode()
        assert 'value="informatique"' in technician_page and 'value="juridique"' not in technician_page
        assert 'value="juridique"' in lawyer_page and 'value="informatique"' not in lawyer_page
    closed = client_on(None, technicien).get("/file/", {"status": "close"}).content.decode()
    assert '<option value="close" selected>' in closed
    assert '<option value="toutes" selected>' not in closed
    wrong = client_on(None, technicien).get("/file/", {"priority": "9"}).content.decode()
    assert 'class="error"' in wrong
    assert "astérisque" not in closed  # no field of the filters is required: no note on required fields


def test_the_note_on_required_fields_is_shown_only_when_a_field_is_required():
    from django.template.loader import render_to_string

    from mutualise.demandes.forms import MessageForm, QueueFilterForm

    assert "astérisque" in render_to_string("mutualise/form_fields.html", {"form": MessageForm()})
    assert "astérisque" not in render_to_string("mutualise/form_fields.html", {"form": QueueFilterForm(services=[])})


def test_the_queue_pages_follow_deadline_priority_and_date_across_communes(
    commune, other_commune, community_admin, client_on
):
    """Each page holds the next 50 demandes in the queue's order (deadline, then priority, then date), whatever their
    commune, and shows each with its own commune and agent: the page's rows are chosen first, then joined."""
    import re

    from django.utils import timezone

    now = timezone.now()
    agent = make_user("agent@cc.test", first_name="Camille", last_name="Roux")
    rows = [
        index_row(
            (commune, other_commune)[n % 2],
            n,
            status="nouvelle" if n % 5 else "attribuee",
            priority=1 + n % 4,
            assignee=agent if n % 3 == 0 else None,
            # three demandes share each deadline: the priority, then the date decide between them
            due_at=now + datetime.timedelta(hours=n // 3),
            created_at=now - datetime.timedelta(minutes=n),
        )
        for n in range(120)
    ]
    DemandeIndex.objects.bulk_create(rows)
    expected = sorted(rows, key=lambda r: (r.due_at, r.priority, r.created_at))
    console = client_on(None, community_admin)
    shown = []
    for page in (1, 2, 3):
        html = console.get("/file/", {"service": "informatique", "page": page}).content.decode()
        assert "120 demandes" in html
        shown += re.findall(r'<a href="/file/(\d{5})/(\d+)/">(Demande \d{3})</a>', html)
        if page == 1:
            assert "Camille Roux" in html and other_commune.name in html
    assert shown == [(r.commune.insee_code, str(r.demande_id), r.title) for r in expected]
    # the API's pages too (the same order, then the row's id)
    api = []
    for page in (1, 2, 3):
        answer = console.get("/api/v1/file/", {"service": "informatique", "page": page}).json()
        assert answer["count"] == 120
        api += [(row["commune"], row["demande_id"], row["title"]) for row in answer["results"]]
    assert api == [(r.commune.insee_code, r.demande_id, r.title) for r in expected]


@override_settings(ROOT_URLCONF="mutualise.urls_community")  # the console's routes, as on its host
def test_queue_rows_link_each_demande_and_show_it_in_french():
    from types import SimpleNamespace

    from django.urls import reverse
    from django.utils import timezone

    from mutualise.demandes.views import queue_rows

    due = datetime.datetime(2026, 3, 1, 8, 30, tzinfo=datetime.UTC)
    row = SimpleNamespace(
        demande_id=42,
        title="Le copieur ne scanne plus",
        service="informatique",
        status="nouvelle",
        priority=2,
        due_at=due,
        take_charge_breached=False,
        resolve_breached=True,
        commune__insee_code="2A004",
        commune__name="Ajaccio",
        assignee__first_name=None,
        assignee__last_name=None,
        assignee__email="tech@cc.test",
    )
    [shown] = queue_rows([row], {"informatique": "Informatique"}, now=due + datetime.timedelta(hours=1))
    assert shown["url"] == reverse("queue_detail", args=["2A004", 42]) == "/file/2A004/42/"
    assert shown["due"] == timezone.localtime(due).strftime("%d/%m/%Y %H:%M") == "01/03/2026 09:30"  # Paris, winter
    assert shown["late"] and shown["breached"]
    assert shown["assignee"] == "tech@cc.test" and shown["service"] == "Informatique"
    assert shown["status"] == str(dict(Status.choices)["nouvelle"])
