"""Service levels per service and priority: dated targets, the calendar of the services, the console page, and the
periodic check of deadlines — on the real database and schemas."""

from __future__ import annotations

import datetime
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import schema_context

from mutualise.accounts.models import ServiceMembership
from mutualise.demandes import levels, services
from mutualise.demandes.models import Demande
from mutualise.demandes.notifications import check_deadlines, flag_breaches
from mutualise.demandes.rules import DEFAULT_TARGETS, Status, Target
from mutualise.demandes.sla import add_business_minutes, holiday_subdivision
from mutualise.models import AuditEntry, DemandeIndex, ServiceCalendar, ServiceLevel
from tenants.subscriptions import disable_service, enable_service
from tests.conftest import make_user

JAN_2026, JAN_2027 = datetime.date(2026, 1, 1), datetime.date(2027, 1, 1)


@pytest.fixture(autouse=True)
def _fresh_levels():
    """Each test reads the service levels of its own transaction."""
    levels.reset()
    yield
    levels.reset()


@pytest.fixture
def informatique(commune):
    return enable_service(commune, "informatique", start=datetime.date(2020, 1, 1))


@pytest.fixture
def technicien(db):
    user = make_user("technicien@cc.test")
    ServiceMembership.objects.create(user=user, service="informatique", role="agent")
    return user


@pytest.fixture
def chef(db):
    user = make_user("chef@cc.test")
    ServiceMembership.objects.create(user=user, service="informatique", role="responsable")
    return user


def add_level(service: str, priority: int, take_charge: int, resolve: int, valid_from: datetime.date) -> None:
    ServiceLevel.objects.create(
        service=service,
        priority=priority,
        take_charge_minutes=take_charge,
        resolve_minutes=resolve,
        valid_from=valid_from,
    )
    levels.changed()


def open_incident(commune, requester, service="informatique", kind="incident", **fields):
    with schema_context(commune.schema_name):
        return services.create(
            commune,
            service=service,
            kind=kind,
            title="Le copieur ne scanne plus",
            description="Depuis ce matin.",
            requester=requester,
            **fields,
        )


# -- target_for ------------------------------------------------------------------------------------------------------


def test_the_target_in_force_is_the_latest_on_or_before_the_date(db):
    add_level("informatique", 2, 120, 600, JAN_2026)
    add_level("informatique", 2, 60, 300, JAN_2027)
    assert levels.target_for("informatique", 2, datetime.date(2025, 12, 31)) == DEFAULT_TARGETS[2]
    assert levels.target_for("informatique", 2, JAN_2026) == Target(120, 600)
    assert levels.target_for("informatique", 2, datetime.date(2026, 12, 31)) == Target(120, 600)
    assert levels.target_for("informatique", 2, JAN_2027) == Target(60, 300)
    assert levels.target_for("informatique", 3, JAN_2027) == DEFAULT_TARGETS[3]  # a priority without a row
    assert levels.target_for("juridique", 2, JAN_2027) == DEFAULT_TARGETS[2]  # a service without any


def test_targets_are_read_from_memory_and_a_change_is_seen_at_once(db, settings):
    add_level("informatique", 1, 30, 120, JAN_2026)
    levels.target_for("informatique", 1)  # warm
    with CaptureQueriesContext(connection) as queries:
        for _ in range(500):
            levels.target_for("informatique", 1)
            levels.calendar()
    assert len(queries) == 0
    add_level("informatique", 1, 15, 60, JAN_2026 + timedelta(days=1))  # this process: seen at once
    assert levels.target_for("informatique", 1) == Target(15, 60)

    # Another process's change: the row and the version move in the database, this process's copy does not.
    ServiceLevel.objects.filter(service="informatique", priority=1).update(take_charge_minutes=45)
    ServiceCalendar.objects.filter(pk=1).update(version=ServiceCalendar.objects.get(pk=1).version + 1)
    settings.MUTUALISE_TENANT_CACHE_CHECK_SECONDS = 3600
    assert levels.target_for("informatique", 1).take_charge == 15  # not checked yet
    settings.MUTUALISE_TENANT_CACHE_CHECK_SECONDS = 0
    assert levels.target_for("informatique", 1).take_charge == 45


def test_set_targets_checks_in_french_and_audits(db, community_admin):
    today = timezone.localdate()
    good = {1: Target(60, 240), 2: Target(120, 480), 3: Target(420, 1260), 4: Target(420, 4200)}
    with pytest.raises(ValidationError, match="ne peut pas être passée"):
        levels.set_targets("informatique", today - timedelta(days=1), good, actor=community_admin)
    with pytest.raises(ValidationError, match="plus court que celui de prise en charge"):
        levels.set_targets("informatique", today, {**good, 2: Target(480, 120)}, actor=community_admin)
    with pytest.raises(ValidationError, match="manquants pour P4"):
        levels.set_targets("informatique", today, {k: v for k, v in good.items() if k != 4}, actor=community_admin)
    assert not ServiceLevel.objects.exists() and not AuditEntry.objects.filter(service="informatique").exists()
    levels.set_targets("informatique", today, good, actor=community_admin, reason="Convention 2026")
    assert levels.target_for("informatique", 2) == Target(120, 480)
    entry = AuditEntry.objects.get(action="niveaux_service.modifies")
    assert entry.service == "informatique" and entry.actor == community_admin and entry.reason == "Convention 2026"
    assert entry.before["P2"] == {"prise_en_charge": "4 h", "resolution": "1 j"}
    assert entry.after["P2"] == {"prise_en_charge": "2 h", "resolution": "1 j 1 h"}


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("4 h", 240),
        ("4h", 240),
        ("2 j", 840),
        ("2 jours", 840),
        ("1 h 30", 90),
        ("1h30", 90),
        ("1,5 j", 630),
        ("90 min", 90),
        ("1 j 2 h", 540),
        (" 3 H ", 180),
    ],
)
def test_durations_as_people_write_them(text, minutes):
    assert levels.parse_duration(text) == minutes


@pytest.mark.parametrize("text", ["", "4", "quatre heures", "4 h puis 2", "0 h", "-1 h", "400 j"])
def test_durations_refused_in_french(text):
    with pytest.raises(ValidationError) as error:
        levels.parse_duration(text)
    assert any(word in str(error.value) for word in ("délai", "Délai"))


def test_durations_read_back():
    assert [levels.format_minutes(m) for m in (60, 420, 1260, 540, 90, 4200)] == [
        "1 h",
        "1 j",
        "3 j",
        "1 j 2 h",
        "1 h 30 min",
        "10 j",
    ]


# -- The demande keeps the target of its creation --------------------------------------------------------------------


def test_a_demande_keeps_the_target_in_force_when_it_was_opened(commune, commune_agent, technicien, informatique):
    today = timezone.localdate()
    add_level("informatique", 3, 30, 180, today)
    demande = open_incident(commune, commune_agent)  # urgency and impact 3: P3
    calendar = levels.calendar()
    assert (demande.priority, demande.take_charge_minutes, demande.resolve_minutes) == (3, 30, 180)
    assert demande.take_charge_due == add_business_minutes(demande.created_at, 30, calendar)
    assert demande.resolve_due == add_business_minutes(demande.created_at, 180, calendar)
    row = DemandeIndex.objects.get(demande_id=demande.pk)
    assert row.due_at == demande.take_charge_due  # what the reminders and the queue read

    ServiceLevel.objects.filter(service="informatique").update(take_charge_minutes=600, resolve_minutes=6000)
    levels.changed()
    assert levels.target_for("informatique", 3).resolve == 6000
    with schema_context(commune.schema_name):
        services.move(commune, demande, Status.WAITING, by=technicien)
        demande = services.move(commune, demande, Status.ASSIGNED, by=technicien)  # the deadline is recomputed…
        demande.refresh_from_db()
    assert demande.resolve_minutes == 180
    waited = demande.resolve_due - add_business_minutes(demande.created_at, 180, calendar)
    assert timedelta(0) <= waited < timedelta(minutes=5)  # …from the target of its creation, not the new one
    later = open_incident(commune, commune_agent)
    assert (later.take_charge_minutes, later.resolve_minutes) == (600, 6000)


def test_a_service_without_levels_uses_the_defaults(commune, commune_agent, informatique):
    add_level("juridique", 3, 10, 20, JAN_2026)  # another service's table changes nothing here
    demande = open_incident(commune, commune_agent)
    assert (demande.take_charge_minutes, demande.resolve_minutes) == (DEFAULT_TARGETS[3].take_charge, 3 * 7 * 60)


def test_missed_deadlines_are_flagged_when_taken_late(commune, commune_agent, technicien, informatique):
    demande = open_incident(commune, commune_agent)
    past = timezone.now() - timedelta(hours=1)
    with schema_context(commune.schema_name):
        Demande.objects.filter(pk=demande.pk).update(take_charge_due=past)
        services.assign(commune, Demande.objects.get(pk=demande.pk), technicien, by=technicien)
    row = DemandeIndex.objects.get(demande_id=demande.pk)
    assert row.take_charge_breached and not row.resolve_breached


# -- The calendar of the services ------------------------------------------------------------------------------------


def test_the_calendar_is_instance_data(db, community_admin):
    calendar = levels.calendar()
    assert calendar.timezone == "Europe/Paris" and calendar.subdivision is None  # Hérault: the national days
    assert calendar.is_working_day(datetime.date(2026, 4, 3))
    assert [(p[0].isoformat("minutes"), p[1].isoformat("minutes")) for p in calendar.hours[0]] == [
        ("08:30", "12:00"),
        ("13:30", "17:00"),
    ]
    assert 5 not in calendar.hours
    levels.set_calendar(
        {str(d): [["09:00", "12:00"]] for d in range(5)}, departement="57", actor=community_admin, reason="Moselle"
    )
    calendar = levels.calendar()
    assert calendar.hours[2] == ((datetime.time(9), datetime.time(12)),)
    assert not calendar.is_working_day(datetime.date(2026, 4, 3))  # Vendredi saint, in Moselle
    assert not levels.calendar().is_working_day(datetime.date(2026, 4, 6))  # lundi de Pâques, everywhere
    assert AuditEntry.objects.filter(action="calendrier.modifie", reason="Moselle").exists()
    with pytest.raises(ValidationError, match="finir après son début"):
        levels.set_calendar({"0": [["17:00", "08:30"]]}, departement="", actor=community_admin)


@pytest.mark.parametrize(
    ("departement", "expected"),
    [("34", None), ("57", "57"), ("67", "6AE"), ("68", "6AE"), ("971", "971"), ("2A", None), ("", None)],
)
def test_local_public_holidays(departement, expected):
    assert holiday_subdivision(departement) == expected


# -- The console page ------------------------------------------------------------------------------------------------


def level_post(**overrides) -> dict:
    data = {"valid_from": timezone.localdate().strftime("%d/%m/%Y"), "reason": "Nouvelle convention"}
    for level, (take, resolve) in {1: ("1 h", "4 h"), 2: ("2 h", "1 j"), 3: ("1 j", "3 j"), 4: ("1 j", "10 j")}.items():
        data[f"p{level}_take_charge"], data[f"p{level}_resolve"] = take, resolve
    return {**data, **overrides}


def test_the_console_page_lists_and_changes_the_targets(db, community_admin, client_on):
    console = client_on(None, community_admin)
    listing = console.get("/niveaux-de-service/").content.decode()
    assert "Niveaux de service" in listing and "Informatique" in listing and "délais par défaut" in listing
    assert "08:30–12:00" in listing
    form = console.get("/niveaux-de-service/informatique/")
    assert form.status_code == 200 and 'value="4 h"' in form.content.decode()  # P1 resolution, in force today
    assert "1 j = 7 h ouvrées" in form.content.decode()

    refused = console.post(
        "/niveaux-de-service/informatique/", level_post(p2_take_charge="1 j", p2_resolve="2 h", p3_resolve="trois")
    )
    page = refused.content.decode()
    assert refused.status_code == 400
    assert "le délai de résolution ne peut pas être plus court que celui de prise en charge" in page
    assert "Délai non compris : « trois »" in page
    assert 'aria-describedby="id_p2_resolve_error"' in page and 'aria-invalid="true"' in page
    past = console.post(
        "/niveaux-de-service/informatique/",
        level_post(valid_from=(timezone.localdate() - timedelta(days=3)).isoformat()),
    )
    assert past.status_code == 400 and "ne peut pas être passée" in past.content.decode()
    assert not ServiceLevel.objects.exists() and not AuditEntry.objects.filter(action="niveaux_service.modifies")

    soon = timezone.localdate() + timedelta(days=10)
    done = console.post(
        "/niveaux-de-service/informatique/", level_post(valid_from=soon.isoformat(), p2_take_charge="1 h 30")
    )
    assert done.status_code == 302 and done["Location"] == "/niveaux-de-service/"
    assert levels.target_for("informatique", 2, soon) == Target(90, 420)
    assert levels.target_for("informatique", 2) == DEFAULT_TARGETS[2]  # not yet in force
    entry = AuditEntry.objects.get(action="niveaux_service.modifies")
    assert entry.actor == community_admin and entry.after["P2"]["prise_en_charge"] == "1 h 30 min"
    listing = console.get("/niveaux-de-service/").content.decode()
    assert f"changement prévu le {soon:%d/%m/%Y}" in listing


def test_who_may_see_and_change_the_targets(db, technicien, chef, client_on):
    juriste = make_user("juriste@cc.test")
    ServiceMembership.objects.create(user=juriste, service="juridique", role="responsable")
    agent = client_on(None, technicien)
    listing = agent.get("/niveaux-de-service/").content.decode()
    assert "Informatique" in listing and "Assistance juridique" not in listing and "Modifier" not in listing
    assert agent.get("/niveaux-de-service/informatique/").status_code == 403  # an agent reads, does not change
    assert agent.post("/niveaux-de-service/informatique/", level_post()).status_code == 403
    assert client_on(None, chef).get("/niveaux-de-service/informatique/").status_code == 200
    assert client_on(None, juriste).post("/niveaux-de-service/informatique/", level_post()).status_code == 404
    assert client_on(None, chef).get("/niveaux-de-service/horaires/").status_code == 403  # administrators only
    assert not ServiceLevel.objects.exists()


def test_the_console_changes_the_opening_hours(db, community_admin, client_on):
    console = client_on(None, community_admin)
    form = console.get("/niveaux-de-service/horaires/")
    assert form.status_code == 200 and 'value="08:30-12:00, 13:30-17:00"' in form.content.decode()
    bad = console.post("/niveaux-de-service/horaires/", {"day0": "17:00-08:30", "day1": "matin", "day2": "8-midi"})
    page = bad.content.decode()
    assert bad.status_code == 400 and "Une période doit finir après son début" in page and "HH:MM-HH:MM" in page
    assert "Heures non comprises : « 08:00–midi »" in page
    closed = console.post("/niveaux-de-service/horaires/", {})
    assert closed.status_code == 400 and "au moins une période" in closed.content.decode()
    assert not AuditEntry.objects.filter(action="calendrier.modifie").exists()
    done = console.post(
        "/niveaux-de-service/horaires/",
        {f"day{d}": "8h00-12h00, 14:00-17:30" for d in range(5)} | {"departement": "67", "reason": "Horaires d'été"},
    )
    assert done.status_code == 302
    calendar = levels.calendar()
    assert calendar.hours[4] == ((datetime.time(8), datetime.time(12)), (datetime.time(14), datetime.time(17, 30)))
    assert calendar.subdivision == "6AE"
    assert AuditEntry.objects.get(action="calendrier.modifie").reason == "Horaires d'été"


# -- The periodic check ----------------------------------------------------------------------------------------------


def test_a_disabled_service_is_neither_reminded_nor_escalated(
    commune, other_commune, commune_agent, technicien, chef, informatique, mailoutbox
):
    enable_service(other_commune, "informatique", start=datetime.date(2020, 1, 1))
    here_soon, here_late = open_incident(commune, commune_agent), open_incident(commune, commune_agent)
    with schema_context(other_commune.schema_name):
        there = [
            services.create(
                other_commune,
                service="informatique",
                kind="incident",
                title=f"Panne {n}",
                description="Écran noir",
                requester=commune_agent,
            )
            for n in range(2)
        ]
    disable_service(other_commune, "informatique", end=timezone.localdate() - timedelta(days=1))
    now = timezone.now()
    soon, late = now + timedelta(minutes=30), now - timedelta(minutes=5)
    for demande, due in ((here_soon, soon), (here_late, late)):
        DemandeIndex.objects.filter(commune=commune, demande_id=demande.pk).update(due_at=due)
    for demande, due in zip(there, (soon, late), strict=True):
        DemandeIndex.objects.filter(commune=other_commune, demande_id=demande.pk).update(due_at=due)
    mailoutbox.clear()

    counts = check_deadlines()
    assert (counts["rappels"], counts["escalades"]) == (1, 1)
    assert all("Gignac" in m.subject for m in mailoutbox) and len(mailoutbox) == 2
    untouched = DemandeIndex.objects.filter(commune=other_commune)
    assert list(untouched.values_list("reminded_for", "escalated_for")) == [(None, None), (None, None)]
    handled = DemandeIndex.objects.filter(commune=commune)
    assert handled.get(demande_id=here_soon.pk).reminded_for == soon
    assert handled.get(demande_id=here_late.pk).escalated_for == late
    again = check_deadlines()
    assert (again["rappels"], again["escalades"]) == (0, 0)
    assert len(mailoutbox) == 2


def test_breaches_are_flagged_from_each_service_s_own_deadlines(commune, commune_agent, informatique):
    enable_service(commune, "juridique", start=datetime.date(2020, 1, 1))
    add_level("informatique", 3, 60, 120, JAN_2026)
    fast = open_incident(commune, commune_agent)
    slow = open_incident(
        commune, commune_agent, service="juridique", kind=next(iter(services.request_types("juridique")))
    )
    fast_row = DemandeIndex.objects.get(commune=commune, demande_id=fast.pk, service="informatique")
    slow_row = DemandeIndex.objects.get(commune=commune, demande_id=slow.pk, service="juridique")
    # Between the informatique deadline (1 business hour) and the juridique one (a business day).
    moment = fast_row.take_charge_due + timedelta(seconds=1)
    assert moment < slow_row.take_charge_due
    assert flag_breaches(moment) == 1
    fast_row.refresh_from_db()
    slow_row.refresh_from_db()
    assert fast_row.take_charge_breached and not fast_row.resolve_breached
    assert not slow_row.take_charge_breached
    assert flag_breaches(moment) == 0  # once


def test_the_pages_show_the_service_level_and_missed_deadlines(
    commune, commune_agent, technicien, informatique, client_on
):
    add_level("informatique", 3, 30, 120, JAN_2026)
    demande = open_incident(commune, commune_agent)
    page = client_on(commune, commune_agent).get(f"/demandes/{demande.pk}/").content.decode()
    assert "prise en charge en 30 min, résolution en 2 h" in page
    form = client_on(commune, commune_agent).get("/demandes/nouvelle/informatique/").content.decode()
    assert "Délais du service" in form and "<td>30 min</td><td>2 h</td>" in form  # P3, for this service
    with schema_context(commune.schema_name):
        Demande.objects.filter(pk=demande.pk).update(resolve_due=timezone.now() - timedelta(minutes=1))
        services.move(commune, Demande.objects.get(pk=demande.pk), Status.SOLVED, by=technicien)
    row = DemandeIndex.objects.get(demande_id=demande.pk)
    assert row.resolve_breached and row.due_at is None
    queue = client_on(None, technicien).get("/file/", {"status": "toutes"}).content.decode()
    assert "délai non tenu" in queue


def test_waiting_before_being_taken_in_charge_pauses_that_clock_too(commune, commune_agent, technicien, informatique):
    demande = open_incident(commune, commune_agent)
    first_due = demande.take_charge_due
    with schema_context(commune.schema_name):
        demande = services.move(commune, demande, Status.WAITING, by=technicien)
        assert demande.take_charge_due is None and demande.resolve_due is None
        assert DemandeIndex.objects.get(demande_id=demande.pk).due_at is None  # nothing to remind while it waits
        assert flag_breaches(timezone.now() + timedelta(days=365)) == 0
        demande = services.move(commune, demande, Status.ASSIGNED, by=technicien)
    assert demande.take_charge_due >= first_due and demande.taken_at is not None
    assert not DemandeIndex.objects.get(demande_id=demande.pk).take_charge_breached
