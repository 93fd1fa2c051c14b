"""Informatique contracts: notice deadlines with tacit renewal, French form errors, reminders, isolation, exports."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone
from django_tenants.utils import schema_context

from mutualise.accounts.models import CommuneMembership, ServiceMembership
from mutualise.tasks import run_service_task
from plugins.informatique import rules
from plugins.informatique.models import Contract, ContractReminder
from plugins.informatique.tasks import due_reminders
from tenants.subscriptions import enable_service
from tests.conftest import make_user

D = datetime.date
TASK = "plugins.informatique.tasks.contract_reminders"


@pytest.fixture
def informatique(commune):
    return enable_service(commune, "informatique", start=D(2020, 1, 1))


# -- Rules ----------------------------------------------------------------------------------------------------------


def test_months_are_added_within_the_month():
    assert rules.add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert rules.add_months(D(2028, 1, 31), 1) == D(2028, 2, 29)
    assert rules.add_months(D(2026, 3, 31), -3) == D(2025, 12, 31)
    assert rules.months_between(D(2024, 1, 1), D(2026, 12, 31)) == 35
    assert rules.months_between(D(2024, 1, 1), D(2027, 1, 1)) == 36


def test_notice_deadline_rolls_forward_with_tacit_renewal():
    term = rules.Term(end_date=D(2026, 12, 31), tacit_renewal=True, renewal_months=12, notice_months=3)
    assert rules.next_notice_deadline(term, D(2026, 1, 15)) == D(2026, 9, 30)
    assert rules.next_end_date(term, D(2026, 1, 15)) == D(2026, 12, 31)
    assert rules.next_notice_deadline(term, D(2026, 9, 30)) == D(2026, 9, 30)  # the last day is still in time
    # The deadline passed: the contract will be renewed, the next deadline is the following year's.
    assert rules.next_notice_deadline(term, D(2026, 10, 1)) == D(2027, 9, 30)
    assert rules.next_end_date(term, D(2026, 10, 1)) == D(2026, 12, 31)
    assert rules.next_end_date(term, D(2027, 1, 1)) == D(2027, 12, 31)
    assert rules.next_notice_deadline(term, D(2031, 11, 2)) == D(2032, 9, 30)
    assert rules.end_for_deadline(term, D(2027, 9, 30)) == D(2027, 12, 31)


def test_renewal_periods_keep_the_end_of_month():
    term = rules.Term(end_date=D(2025, 2, 28), tacit_renewal=True, renewal_months=6, notice_months=1)
    assert rules.next_end_date(term, D(2025, 3, 1)) == D(2025, 8, 28)
    term = rules.Term(end_date=D(2025, 8, 31), tacit_renewal=True, renewal_months=6, notice_months=2)
    assert rules.next_end_date(term, D(2025, 9, 1)) == D(2026, 2, 28)
    assert rules.next_end_date(term, D(2026, 3, 1)) == D(2026, 8, 31)  # counted from the initial end: 31 again
    assert rules.next_notice_deadline(term, D(2026, 1, 1)) == D(2026, 6, 30)


def test_without_tacit_renewal_the_contract_ends():
    term = rules.Term(end_date=D(2026, 6, 30), notice_months=2)
    assert rules.next_notice_deadline(term, D(2026, 1, 1)) == D(2026, 4, 30)
    assert rules.next_notice_deadline(term, D(2026, 5, 1)) is None
    assert rules.next_end_date(term, D(2027, 1, 1)) == D(2026, 6, 30)
    assert rules.next_notice_deadline(rules.Term(end_date=D(2026, 6, 30)), D(2026, 6, 30)) == D(2026, 6, 30)


def test_reminder_days_come_from_the_setting(settings):
    assert rules.reminder_days() == (60, 15)
    settings.INFORMATIQUE_CONTRACT_REMINDER_DAYS = [7, 90, 30]
    assert rules.reminder_days() == (90, 30, 7)


def test_a_contract_entering_two_thresholds_at_once_gets_one_reminder():
    contract = Contract(pk=1, end_date=D(2026, 12, 31), notice_months=3)
    today = D(2026, 9, 20)  # 10 days before 30/09
    assert due_reminders([contract], today, (60, 15), set()) == [(contract, D(2026, 9, 30), [60, 15])]
    assert due_reminders([contract], today, (60, 15), {(1, D(2026, 9, 30), 60), (1, D(2026, 9, 30), 15)}) == []
    assert due_reminders([contract], D(2026, 7, 1), (60, 15), set()) == []  # 91 days before


# -- Pages ----------------------------------------------------------------------------------------------------------

VALID = {
    "kind": "copieur",
    "supplier": "Burotic Hérault",
    "reference": "LOC-2024-17",
    "subject": "Location du copieur de la mairie",
    "start_date": "2024-01-01",
    "end_date": "31/12/2028",
    "tacit_renewal": "on",
    "renewal_months": "12",
    "notice_months": "3",
    "annual_amount": "2 460,50",
}


def post(client, data, path="/services/informatique/contrats/nouveau/"):
    return client.post(path, data)


def test_a_contract_is_created_listed_and_edited(commune, commune_agent, informatique, client_on):
    client = client_on(commune, commune_agent)
    response = post(client, VALID)
    assert response.status_code == 302
    with schema_context(commune.schema_name):
        contract = Contract.objects.get()
    assert contract.annual_amount == Decimal("2460.50") and contract.end_date == D(2028, 12, 31)
    body = client.get("/services/informatique/contrats/").content.decode()
    assert "Location du copieur de la mairie" in body and "30/09/2028" in body and "460,50" in body
    response = post(client, {**VALID, "notice_months": "6"}, f"/services/informatique/contrats/{contract.pk}/")
    assert response.status_code == 302
    with schema_context(commune.schema_name):
        assert Contract.objects.get().notice_months == 6


def test_contracts_are_sorted_by_deadline_and_flagged_when_near(commune, commune_agent, informatique, client_on):
    today = timezone.localdate()
    with schema_context(commune.schema_name):
        Contract.objects.create(
            kind="licence",
            supplier="Loin",
            subject="Licences bureautiques",
            start_date=D(2020, 1, 1),
            end_date=rules.add_months(today, 24),
        )
        Contract.objects.create(
            kind="telephonie",
            supplier="Proche",
            subject="Lignes de la mairie",
            start_date=D(2020, 1, 1),
            end_date=today + datetime.timedelta(days=40),
        )
    body = client_on(commune, commune_agent).get("/services/informatique/contrats/").content.decode()
    assert body.index("Lignes de la mairie") < body.index("Licences bureautiques")
    assert 'class="late"' in body and "(dans 40 jours)" in body


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"end_date": "2023-12-31"}, "end_date", "La date de fin doit être postérieure à la date de début."),
        ({"end_date": "2024-06-30", "notice_months": "6"}, "notice_months", "plus court que la durée du contrat"),
        ({"renewal_months": ""}, "renewal_months", "Indiquez la durée de reconduction"),
        ({"renewal_months": "3", "notice_months": "3"}, "notice_months", "plus court que la durée de reconduction"),
        ({"tacit_renewal": ""}, "renewal_months", "Sans tacite reconduction, laissez la durée de reconduction vide"),
        ({"start_date": "31/02/2024"}, "start_date", "Saisissez une date valide."),
        ({"annual_amount": "beaucoup"}, "annual_amount", "Saisissez un nombre."),
        ({"supplier": ""}, "supplier", "Ce champ est obligatoire."),
        ({"notice_months": "500"}, "notice_months", "Au plus 120 mois."),
    ],
)
def test_inconsistent_contracts_get_french_errors(
    commune, commune_agent, informatique, client_on, changes, field, message
):
    response = post(client_on(commune, commune_agent), {**VALID, **changes})
    assert response.status_code == 400
    assert message.replace("'", "&#x27;") in response.content.decode()
    assert f'id="id_{field}_error"' in response.content.decode()
    with schema_context(commune.schema_name):
        assert not Contract.objects.exists()


def test_deleting_asks_for_confirmation(commune, commune_agent, informatique, client_on):
    client = client_on(commune, commune_agent)
    post(client, VALID)
    with schema_context(commune.schema_name):
        pk = Contract.objects.get().pk
    page = client.get(f"/services/informatique/contrats/{pk}/supprimer/")
    assert page.status_code == 200 and "Supprimer définitivement" in page.content.decode()
    with schema_context(commune.schema_name):
        assert Contract.objects.exists()
    assert client.post(f"/services/informatique/contrats/{pk}/supprimer/").status_code == 302
    with schema_context(commune.schema_name):
        assert not Contract.objects.exists()


def test_a_lecteur_reads_but_cannot_write(commune, informatique, client_on):
    lecteur = make_user("elu@gignac.test")
    CommuneMembership.objects.create(user=lecteur, commune=commune, role="lecteur")
    client = client_on(commune, lecteur)
    assert client.get("/services/informatique/contrats/").status_code == 200
    assert post(client, VALID).status_code == 403


def test_contracts_stay_in_their_commune(commune, other_commune, informatique, client_on):
    enable_service(other_commune, "informatique", start=D(2020, 1, 1))
    with schema_context(commune.schema_name):
        pk = Contract.objects.create(
            kind="maintenance",
            supplier="Secret",
            subject="Maintenance de Gignac",
            start_date=D(2024, 1, 1),
            end_date=D(2027, 1, 1),
        ).pk
    agent = make_user("agent@saint-andre.test")
    CommuneMembership.objects.create(user=agent, commune=other_commune, role="referent")
    client = client_on(other_commune, agent)
    assert "Maintenance de Gignac" not in client.get("/services/informatique/contrats/").content.decode()
    assert client.get(f"/services/informatique/contrats/{pk}/").status_code == 404
    assert client.post(f"/services/informatique/contrats/{pk}/supprimer/").status_code == 404
    assert "Secret" not in client.get("/services/informatique/contrats/export/excel/").content.decode("utf-8-sig")
    # and the Gignac page refuses the agent of Saint-André
    assert client_on(commune, agent).get("/services/informatique/contrats/").status_code == 403
    with schema_context(commune.schema_name):
        assert Contract.objects.filter(pk=pk).exists()


def test_contract_exports(commune, commune_agent, informatique, client_on):
    from openpyxl import load_workbook

    client = client_on(commune, commune_agent)
    post(client, VALID)
    text = client.get("/services/informatique/contrats/export/excel/").content.decode("utf-8-sig")
    assert text.startswith("Type;Fournisseur;Référence;Objet")
    assert "Copieur en location;Burotic Hérault;LOC-2024-17" in text and "2460,50" in text and ";oui;12;3;" in text
    standard = client.get("/services/informatique/contrats/export/csv/").content.decode()
    assert "2024-01-01" in standard and "2460.50" in standard
    rows = list(
        load_workbook(io.BytesIO(client.get("/services/informatique/contrats/export/xlsx/").content)).active.values
    )
    assert rows[0][0] == "Type" and rows[1][1] == "Burotic Hérault" and rows[1][4] == datetime.datetime(2024, 1, 1)
    assert client.get("/services/informatique/contrats/export/pdf/").status_code == 404


# -- Reminders ------------------------------------------------------------------------------------------------------


def test_reminders_go_once_and_only_where_the_service_is_enabled(commune, other_commune, informatique):
    referent = make_user("referente@gignac.test")
    CommuneMembership.objects.create(user=referent, commune=commune, role="referent")
    technician = make_user("technicien@cc.test")
    ServiceMembership.objects.create(user=technician, service="informatique", role="agent")
    other_referent = make_user("referent@saint-andre.test")
    CommuneMembership.objects.create(user=other_referent, commune=other_commune, role="referent")
    end = timezone.localdate() + datetime.timedelta(days=10)  # no notice: the deadline is the end, in 10 days
    for place in (commune, other_commune):  # Saint-André has a contract but no subscription
        with schema_context(place.schema_name):
            Contract.objects.create(
                kind="licence",
                supplier="Éditeur",
                subject=f"Licences {place.name}",
                start_date=D(2023, 1, 1),
                end_date=end,
                tacit_renewal=True,
                renewal_months=12,
            )
    mail.outbox.clear()
    assert run_service_task("informatique", TASK) == ["34114"]
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert set(message.to) == {"referente@gignac.test", "technicien@cc.test"}
    assert "Gignac" in message.subject and end.strftime("%d/%m/%Y") in message.body
    assert "reconduit tacitement" in message.body
    run_service_task("informatique", TASK)
    assert len(mail.outbox) == 1  # recorded: not sent twice
    with schema_context(commune.schema_name):
        assert set(ContractReminder.objects.values_list("days_before", flat=True)) == {60, 15}
    with schema_context(other_commune.schema_name):
        assert not ContractReminder.objects.exists()


def test_the_reminder_task_is_scheduled():
    from mutualise.tasks import periodic_schedule

    schedule = periodic_schedule()
    assert schedule["informatique:rappels-contrats"]["args"] == ("informatique", TASK)


@pytest.mark.parametrize(
    "path",
    [
        "/services/informatique/contrats/99999999999999999999999/",
        "/services/informatique/contrats/99999999999999999999999/supprimer/",
        "/services/informatique/schema-directeur/99999999999999999999999/",
        "/services/informatique/contrats/export/%00/",
        "/services/informatique/renouvellement/export/..%2f..%2fsecret_key/",
    ],
)
def test_hostile_identifiers_get_4xx(commune, commune_agent, informatique, client_on, path):
    client = client_on(commune, commune_agent)
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        assert 400 <= response.status_code < 500, (method, path, response.status_code)


def test_the_service_sees_every_commune_deadline_in_one_query(commune, other_commune, informatique, client_on):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    enable_service(other_commune, "informatique", start=D(2020, 1, 1))
    today = timezone.localdate()
    for place, days in ((commune, 30), (other_commune, 200)):
        with schema_context(place.schema_name):
            Contract.objects.create(
                kind="telephonie",
                supplier="Opérateur",
                subject=f"Lignes de {place.name}",
                start_date=D(2020, 1, 1),
                end_date=today + datetime.timedelta(days=days),
            )
    agent = make_user("technicien@cc.test")
    ServiceMembership.objects.create(user=agent, service="informatique", role="agent")
    client = client_on(None, agent)
    client.get("/services/informatique/contrats/")
    with CaptureQueriesContext(connection) as queries:
        body = client.get("/services/informatique/contrats/").content.decode()
    assert "Lignes de Gignac" in body and "Saint-André" not in body and "(dans 30 jours)" in body
    assert len([q for q in queries.captured_queries if "informatique_contract" in q["sql"]]) == 1
    body = client.get("/services/informatique/contrats/?days=365").content.decode()
    assert "Lignes de Saint-André-de-Sangonis" in body
    assert client.get("/services/informatique/contrats/?days=hier").status_code == 400
