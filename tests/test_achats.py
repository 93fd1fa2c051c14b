"""Groupements d'achats: the life of a groupement, the communes' answers and their public summary, reminders,
price import, allocation and exports, on real schemas."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_tenants.utils import schema_context

from mutualise.accounts.models import CommuneMembership, ServiceMembership
from mutualise.accounts.tokens import issue_token
from mutualise.models import AuditEntry
from plugins.achats import rules, services, tasks
from plugins.achats.coordination.models import Article, Groupement, Member, NeedSummary
from plugins.achats.models import Answer, Need
from tenants.subscriptions import disable_service, enable_service
from tests.conftest import make_user

S = Groupement.Status
TODAY = datetime.date.today()


@pytest.fixture
def achats_agent(db):
    user = make_user("acheteur@cc.test")
    ServiceMembership.objects.create(user=user, service="achats", role="agent")
    return user


@pytest.fixture
def referent_b(other_commune):
    user = make_user("referent@saint-andre.test")
    CommuneMembership.objects.create(user=user, commune=other_commune, role="referent")
    return user


@pytest.fixture
def both_enabled(commune, other_commune):
    for target in (commune, other_commune):
        enable_service(target, "achats", start=datetime.date(2020, 1, 1))


def make_groupement(status=S.RECENSEMENT, deadline=None) -> Groupement:
    groupement = services.create_groupement(
        {
            "title": "Papier 2027",
            "category": "fournitures_bureau",
            "convention_text": "Convention constitutive.",
            "deadline": deadline or TODAY + datetime.timedelta(days=10),
        }
    )
    Article.objects.create(groupement=groupement, code="PA1", label="Ramette A4", unit="ramette", previous_price=5)
    Article.objects.create(groupement=groupement, code="PA2", label="Ramette A3", unit="ramette", previous_price=10)
    order = [S.PROJET, S.CONVENTION, S.RECENSEMENT, S.RECENSEMENT_CLOS, S.CONSULTATION]
    for target in order[1 : order.index(status) + 1]:
        if target == S.RECENSEMENT_CLOS:
            # a consultation needs an answer: the first member records one while the census is open
            member = groupement.members.select_related("commune").first()
            with schema_context(member.commune.schema_name):
                services.save_answer(member.commune, member, {f"q_{groupement.articles.first().pk}": "1"})
        services.change_status(groupement, target)
        groupement.refresh_from_db()
    return groupement


def articles(groupement):
    return list(groupement.articles.order_by("code"))


# -- Statuses ---------------------------------------------------------------------------------------------------


def test_transitions_are_guarded_with_reasons_and_audited(commune, both_enabled, other_commune):
    groupement = services.create_groupement(
        {"title": "Extincteurs", "convention_text": "", "deadline": TODAY + datetime.timedelta(days=5)}
    )
    facts = services.facts_of(groupement)
    [to_convention] = rules.transitions(groupement, facts, TODAY)
    assert not to_convention.allowed and "au moins un article" in to_convention.reason
    with pytest.raises(ValidationError, match="au moins un article"):
        services.change_status(groupement, S.CONVENTION)
    with pytest.raises(ValidationError, match="Passage impossible"):
        services.change_status(groupement, S.ATTRIBUE)

    Article.objects.create(groupement=groupement, code="EX1", label="Vérification", unit="extincteur")
    groupement.convention_text = "Convention."
    groupement.save()
    services.change_status(groupement, S.CONVENTION)
    groupement.refresh_from_db()
    assert groupement.status == S.CONVENTION
    # the communes where the service is enabled are invited when the convention goes out
    assert set(groupement.members.values_list("commune__insee_code", flat=True)) == {"34114", "34239"}
    entry = AuditEntry.objects.filter(action="achats.groupement.statut").first()
    assert entry.before == {"statut": "projet"} and entry.after == {"statut": "convention"}

    services.change_status(groupement, S.RECENSEMENT)
    services.change_status(groupement, S.RECENSEMENT_CLOS)
    groupement.refresh_from_db()
    with pytest.raises(ValidationError, match="Aucune commune n'a répondu"):
        services.change_status(groupement, S.CONSULTATION)


def test_award_needs_a_supplier_and_every_price(commune, both_enabled):
    groupement = make_groupement(S.CONSULTATION)
    reasons = {t.status: t.reason for t in rules.transitions(groupement, services.facts_of(groupement), TODAY)}
    assert "titulaire" in reasons[S.ATTRIBUE]
    services.award(groupement, supplier="Papeterie du Sud", siret="", costs=Decimal("100"), cost_key="parts_egales")
    reasons = {t.status: t.reason for t in rules.transitions(groupement, services.facts_of(groupement), TODAY)}
    assert "2 article(s) sans prix" in reasons[S.ATTRIBUE]
    groupement.articles.update(awarded_price=Decimal("4.5"))
    services.change_status(groupement, S.ATTRIBUE)
    groupement.refresh_from_db()
    assert groupement.status == S.ATTRIBUE and groupement.awarded_on == TODAY


# -- The commune's answer ---------------------------------------------------------------------------------------


def test_answers_save_as_they_go_and_the_summary_equals_the_schemas(
    commune, other_commune, both_enabled, commune_agent, referent_b, client_on
):
    groupement = make_groupement()
    a4, a3 = articles(groupement)
    url = f"/services/achats/groupements/{groupement.pk}/"
    gignac = client_on(commune, commune_agent)
    page = gignac.get(url)
    assert page.status_code == 200 and "Ramette A4" in page.content.decode()
    # one field at a time, as htmx posts them on change
    saved = gignac.post(url, {f"q_{a4.pk}": "1 200,5"}, HTTP_HX_REQUEST="true")
    assert saved.status_code == 200 and "Enregistré" in saved.content.decode()
    gignac.post(url, {f"v_{a4.pk}": "5 222,18"}, HTTP_HX_REQUEST="true")
    bad = gignac.post(url, {f"q_{a3.pk}": "beaucoup"}, HTTP_HX_REQUEST="true")
    assert "nombre illisible" in bad.content.decode()
    # the whole form, without JavaScript
    response = client_on(other_commune, referent_b).post(
        url,
        {
            "deliberation_date": "02/11/2026",
            "deliberation_number": "DEL-2026-40",
            f"q_{a4.pk}": "300",
            f"v_{a4.pk}": "1305",
            f"q_{a3.pk}": "20",
            f"v_{a3.pk}": "200,40",
        },
    )
    assert response.status_code == 302

    for target in (commune, other_commune):
        with schema_context(target.schema_name):
            in_schema = {
                (n.article_id, n.quantity, n.estimated_value)
                for n in Need.objects.filter(answer__groupement_id=groupement.pk)
            }
            answer = Answer.objects.get(groupement_id=groupement.pk)
        summary = {
            (n.article_id, n.quantity, n.estimated_value)
            for n in NeedSummary.objects.filter(groupement=groupement, commune=target)
        }
        assert in_schema == summary and in_schema
        member = Member.objects.get(groupement=groupement, commune=target)
        assert member.total_value == sum(v for _a, _q, v in in_schema)
        assert member.answered_at == answer.answered_at is not None
    assert Member.objects.get(groupement=groupement, commune=other_commune).deliberation_number == "DEL-2026-40"
    # saved field by field, each answer is audited once, when the commune first answers
    assert AuditEntry.objects.filter(action="achats.reponse", commune=commune).count() == 1
    assert (a4.pk, Decimal("1200.50"), Decimal("5222.18")) in {
        (n.article_id, n.quantity, n.estimated_value) for n in NeedSummary.objects.filter(commune=commune)
    }
    # nothing of a commune is written in another's schema
    with schema_context(other_commune.schema_name):
        assert not Need.objects.filter(quantity=Decimal("1200.50")).exists()


def test_a_closed_census_refuses_answers(commune, both_enabled, commune_agent, client_on):
    groupement = make_groupement()
    a4, _a3 = articles(groupement)
    services.change_status(groupement, S.RECENSEMENT_CLOS)
    client = client_on(commune, commune_agent)
    url = f"/services/achats/groupements/{groupement.pk}/"
    response = client.post(url, {f"q_{a4.pk}": "10"})
    assert response.status_code == 403
    assert "Le recensement des besoins est clos" in response.content.decode()
    htmx = client.post(url, {f"q_{a4.pk}": "10"}, HTTP_HX_REQUEST="true")
    assert "est clos" in htmx.content.decode()
    with schema_context(commune.schema_name):
        assert not Need.objects.exists()
    assert not NeedSummary.objects.exists()


def test_the_deadline_closes_the_census_even_if_the_status_is_open(commune, both_enabled, commune_agent, client_on):
    groupement = make_groupement()
    Groupement.objects.filter(pk=groupement.pk).update(deadline=TODAY - datetime.timedelta(days=1))
    a4, _a3 = articles(groupement)
    response = client_on(commune, commune_agent).post(
        f"/services/achats/groupements/{groupement.pk}/", {f"q_{a4.pk}": "10"}
    )
    assert response.status_code == 403 and "date limite du recensement" in response.content.decode()


def test_a_commune_without_the_service_does_not_see_the_campaign(
    commune, other_commune, commune_agent, referent_b, client_on
):
    enable_service(commune, "achats", start=datetime.date(2020, 1, 1))
    groupement = make_groupement()
    assert list(groupement.members.values_list("commune__insee_code", flat=True)) == ["34114"]
    b = client_on(other_commune, referent_b)
    assert b.get("/services/achats/").status_code == 403
    assert b.get(f"/services/achats/groupements/{groupement.pk}/").status_code == 403
    assert b.get("/api/v1/achats/groupements/").status_code == 403
    # enabled once the census is closed, it was not invited to this campaign: it does not see it either
    services.change_status(groupement, S.RECENSEMENT_CLOS)
    enable_service(other_commune, "achats", start=datetime.date(2020, 1, 1))
    assert b.get(f"/services/achats/groupements/{groupement.pk}/").status_code == 404
    assert "Papier 2027" not in b.get("/services/achats/").content.decode()
    assert "Papier 2027" in client_on(commune, commune_agent).get("/services/achats/").content.decode()


def test_the_deliberation_document_is_stored_in_the_commune_s_storage(
    commune, both_enabled, commune_agent, client_on, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    groupement = make_groupement()
    client = client_on(commune, commune_agent)
    url = f"/services/achats/groupements/{groupement.pk}/deliberation/"
    wrong = client.post(url, {"document": SimpleUploadedFile("x.exe", b"MZ")})
    assert wrong.status_code == 400 and "Format accepté" in wrong.content.decode()
    ok = client.post(url, {"document": SimpleUploadedFile("deliberation.pdf", b"%PDF-1.4 test")})
    assert ok.status_code == 302
    files = list((tmp_path / commune.schema_name).rglob("*.pdf"))
    assert len(files) == 1
    assert Member.objects.get(groupement=groupement, commune=commune).has_deliberation_file
    download = client.get(f"{url}document/")
    assert download.status_code == 200 and b"".join(download.streaming_content) == b"%PDF-1.4 test"


# -- Reminders --------------------------------------------------------------------------------------------------


def test_reminders_go_once_a_day_to_enabled_communes_that_have_not_answered(
    commune, other_commune, both_enabled, commune_agent, referent_b, django_capture_on_commit_callbacks
):
    groupement = make_groupement()
    a4, _a3 = articles(groupement)
    member_a = Member.objects.get(groupement=groupement, commune=commune)
    with schema_context(commune.schema_name):
        services.save_answer(commune, member_a, {f"q_{a4.pk}": "5"})
    mail.outbox.clear()
    assert tasks.remind(commune) == []  # answered
    assert tasks.remind(other_commune) == [groupement.pk]
    assert [m.to for m in mail.outbox] == [["referent@saint-andre.test"]]
    assert "Papier 2027" in mail.outbox[0].body
    assert tasks.remind(other_commune) == []  # once a day
    tomorrow = TODAY + datetime.timedelta(days=1)
    assert tasks.remind(other_commune, tomorrow) == [groupement.pk]
    # not after the census closes, nor where the service was disabled
    disable_service(other_commune, "achats", reason="Fin de l'adhésion")
    assert tasks.remind(other_commune, tomorrow + datetime.timedelta(days=1)) == []
    enable_service(other_commune, "achats", start=datetime.date(2020, 1, 1))
    services.change_status(groupement, S.RECENSEMENT_CLOS)
    assert tasks.remind(other_commune, tomorrow + datetime.timedelta(days=2)) == []


def test_the_periodic_task_runs_where_the_service_is_enabled(commune, other_commune, referent_b):
    from mutualise.tasks import run_service_task

    enable_service(other_commune, "achats", start=datetime.date(2020, 1, 1))
    groupement = make_groupement()
    mail.outbox.clear()
    assert run_service_task("achats", "plugins.achats.tasks.remind_census") == ["34239"]
    assert Member.objects.get(groupement=groupement, commune=other_commune).last_reminder_on == TODAY
    assert len(mail.outbox) == 1


# -- Allocation and savings -------------------------------------------------------------------------------------


def test_shares_add_up_to_the_cent():
    assert rules.split_exactly(Decimal("100"), {"a": 1, "b": 1, "c": 1}) == {
        "a": Decimal("33.34"),
        "b": Decimal("33.33"),
        "c": Decimal("33.33"),
    }
    populations = {"34114": 6505, "34239": 6302, "34022": 412, "34050": 1}
    for total in (Decimal("2400"), Decimal("0.05"), Decimal("1234.57"), Decimal("999999.99")):
        for key in ("population", "parts_egales", "quantites"):
            shares = rules.allocate_costs(
                total, key, populations=populations, amounts={k: Decimal(v) / 7 for k, v in populations.items()}
            )
            assert sum(shares.values()) == total, (total, key)
            assert all(share == share.quantize(Decimal("0.01")) and share >= 0 for share in shares.values())
    borne = rules.allocate_costs(Decimal("2400"), "communaute", populations=populations, amounts={})
    assert set(borne.values()) == {Decimal("0.00")}


def test_savings_compare_previous_and_awarded_prices():
    saving = rules.savings([(Decimal(100), Decimal("5"), Decimal("4.4")), (Decimal(3), None, Decimal("1"))])
    assert (saving.before, saving.after, saving.amount, saving.percent) == (
        Decimal("500.00"),
        Decimal("440.00"),
        Decimal("60.00"),
        Decimal("12.0"),
    )
    assert rules.savings([]).percent is None


# -- Price import -----------------------------------------------------------------------------------------------


def test_the_price_schedule_is_imported_all_or_nothing(commune, both_enabled, achats_agent, client_on):
    groupement = make_groupement(S.CONSULTATION)
    console = client_on(None, achats_agent)
    url = f"/services/achats/groupements/{groupement.pk}/prix/"
    bad = "Code;Prix unitaire HT\r\nPA1;4,10\r\nPA9;3\r\nPA2;douze\r\nPA1;4\r\n;2\r\n"
    response = console.post(url, {"file": SimpleUploadedFile("bpu.csv", bad.encode("utf-8"))})
    body = response.content.decode()
    assert response.status_code == 400
    assert "4 erreurs : rien n'a été importé." in body
    for expected in (
        "Ligne 3 : article « PA9 » inconnu",
        "Ligne 4 : nombre illisible « douze »",
        "Ligne 5 : article « PA1 » déjà donné ligne 2",
        "Ligne 6 : le code de l&#x27;article est vide",
    ):
        assert expected in body, expected
    assert not Article.objects.filter(groupement=groupement, awarded_price__isnull=False).exists()

    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["Code", "Désignation", "Prix unitaire"])
    workbook.active.append(["PA1", "Ramette A4", 4.35])
    workbook.active.append(["pa2", "Ramette A3", "8,90"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    ok = console.post(url, {"file": SimpleUploadedFile("bpu.xlsx", buffer.getvalue())})
    assert ok.status_code == 302
    prices = dict(Article.objects.filter(groupement=groupement).values_list("code", "awarded_price"))
    assert prices == {"PA1": Decimal("4.3500"), "PA2": Decimal("8.9000")}
    assert AuditEntry.objects.filter(action="achats.prix.importes").exists()


# -- Coordinator's pages, exports, API --------------------------------------------------------------------------


def answered_groupement(commune, other_commune):
    groupement = make_groupement()
    a4, a3 = articles(groupement)
    for target, quantity in ((commune, "100"), (other_commune, "50")):
        member = Member.objects.get(groupement=groupement, commune=target)
        with schema_context(target.schema_name):
            services.save_answer(
                target, member, {f"q_{a4.pk}": quantity, f"v_{a4.pk}": str(int(quantity) * 5), f"q_{a3.pk}": "0"}
            )
    return groupement


def test_the_coordinator_sees_the_aggregate_and_the_procedure(
    commune, other_commune, both_enabled, achats_agent, client_on
):
    groupement = make_groupement()
    a4, _a3 = articles(groupement)
    member = Member.objects.get(groupement=groupement, commune=commune)
    with schema_context(commune.schema_name):
        services.save_answer(commune, member, {f"q_{a4.pk}": "100", f"v_{a4.pk}": "95000"})
    page = client_on(None, achats_agent).get(f"/services/achats/groupements/{groupement.pk}/")
    body = page.content.decode()
    assert page.status_code == 200
    assert "1 / 2" in body and "Saint-André-de-Sangonis" in body and "En attente" in body
    assert "95\xa0000,00\xa0€" in body
    assert "avec publicité" in body and "R2121-1" in body
    assert "service désactivé" not in body
    disable_service(other_commune, "achats", reason="Fin de l'adhésion")
    page = client_on(None, achats_agent).get(f"/services/achats/groupements/{groupement.pk}/")
    assert "service désactivé" in page.content.decode()
    enable_service(other_commune, "achats", start=datetime.date(2020, 1, 1))
    assert 'hx-trigger="every 30s"' in body  # the aggregate reloads itself while the census is open
    member_b = Member.objects.get(groupement=groupement, commune=other_commune)
    with schema_context(other_commune.schema_name):
        services.save_answer(other_commune, member_b, {f"q_{a4.pk}": "20", f"v_{a4.pk}": "25000"})
    part = client_on(None, achats_agent).get(f"/services/achats/groupements/{groupement.pk}/synthese/")
    assert part.status_code == 200 and "<html" not in part.content.decode()
    assert "120\xa0000,00\xa0€" in part.content.decode() and "2 / 2" not in part.content.decode()
    assert "Saint-André-de-Sangonis" in part.content.decode()
    totals = {t.article.code: t for t in services.article_totals(groupement)}
    assert totals["PA1"].quantity == Decimal("120") and totals["PA1"].communes == 2


def test_exports_of_needs_and_allocation_statements(
    commune, other_commune, both_enabled, achats_agent, commune_agent, client_on
):
    from openpyxl import load_workbook

    groupement = answered_groupement(commune, other_commune)
    console = client_on(None, achats_agent)
    xlsx = console.get(f"/services/achats/groupements/{groupement.pk}/export/xlsx/")
    assert xlsx.status_code == 200
    rows = list(load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True))
    assert rows[0][:2] == ("Code INSEE", "Commune")
    assert {(r[0], r[3], r[6]) for r in rows[1:] if r[6]} == {("34114", "PA1", 100), ("34239", "PA1", 50)}
    own = client_on(commune, commune_agent).get(f"/services/achats/groupements/{groupement.pk}/export/xlsx/")
    own_rows = list(load_workbook(io.BytesIO(own.content)).active.iter_rows(values_only=True))
    assert [r[1] for r in own_rows[1:]] == ["PA1", "PA2"] and own_rows[1][4] == 100

    # awarded: each commune's share of the costs, and its statement as a PDF
    Groupement.objects.filter(pk=groupement.pk).update(status=S.CONSULTATION)
    groupement.refresh_from_db()
    services.award(groupement, supplier="Papeterie", siret="", costs=Decimal("1000"), cost_key="quantites")
    groupement.articles.update(awarded_price=Decimal("4"))
    services.change_status(groupement, S.ATTRIBUE)
    lines = services.allocation(groupement)
    assert sum(line["share"] for line in lines) == Decimal("1000.00")
    assert {line["commune"].insee_code: line["share"] for line in lines} == {
        "34114": Decimal("666.67"),
        "34239": Decimal("333.33"),
    }
    assert {line["commune"].insee_code: line["saving"].amount for line in lines} == {
        "34114": Decimal("100.00"),
        "34239": Decimal("50.00"),
    }
    pdf = console.get(f"/services/achats/groupements/{groupement.pk}/repartition/34239.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    mine = client_on(commune, commune_agent).get(f"/services/achats/groupements/{groupement.pk}/repartition.pdf")
    assert mine.status_code == 200 and mine["Content-Type"] == "application/pdf"
    assert AuditEntry.objects.filter(action="export", target__endswith=".pdf").count() == 2


def test_a_commune_token_sees_only_its_own_needs(commune, other_commune, both_enabled, commune_agent, referent_b):
    groupement = answered_groupement(commune, other_commune)
    _, token = issue_token(commune_agent, "tableur", commune)
    api = Client(HTTP_HOST=commune.host, HTTP_AUTHORIZATION=f"Bearer {token}")
    listed = api.get(f"/api/v1/achats/besoins/?groupement={groupement.pk}").json()
    rows = listed["results"] if isinstance(listed, dict) else listed
    assert {(r["article"], r["quantity"]) for r in rows if Decimal(r["quantity"])} == {
        (groupement.articles.get(code="PA1").pk, "100.00")
    }
    campaigns = api.get("/api/v1/achats/groupements/").json()
    assert "Papier 2027" in str(campaigns)
    # writing through the API goes through the same rules
    a3 = groupement.articles.get(code="PA2")
    created = api.post(
        "/api/v1/achats/besoins/",
        {"groupement": groupement.pk, "article": a3.pk, "quantity": "7", "estimated_value": "70"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert NeedSummary.objects.get(commune=commune, article=a3).quantity == Decimal("7")
    # the token is worthless on the other commune's host
    on_b = Client(HTTP_HOST=other_commune.host, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert on_b.get("/api/v1/achats/besoins/").status_code in (401, 403)
    services.change_status(groupement, S.RECENSEMENT_CLOS)
    refused = api.post(
        "/api/v1/achats/besoins/",
        {"groupement": groupement.pk, "article": a3.pk, "quantity": "8", "estimated_value": "80"},
        content_type="application/json",
    )
    assert refused.status_code == 403 and "clos" in refused.json()["detail"]


def test_widgets_and_bilan(commune, other_commune, both_enabled, commune_agent, achats_agent, client_on):
    from plugins.achats import report

    groupement = make_groupement()
    widget = client_on(commune, commune_agent).get("/services/achats/tableau-de-bord/")
    assert "Papier 2027" in widget.content.decode()
    console = client_on(None, achats_agent).get("/services/achats/tableau-de-bord/")
    assert "0 réponse(s) sur 2" in console.content.decode()
    section = report.bilan_section(TODAY.year, [commune, other_commune])
    values = {i.label: i.value for i in section.indicators}
    assert values["Groupements"] == 1 and values["Membres par groupement (moyenne)"] == Decimal("2.0")
    assert groupement.pk


def test_a_commune_joining_during_the_census_is_invited(
    commune, other_commune, referent_b, client_on, django_capture_on_commit_callbacks
):
    enable_service(commune, "achats", start=datetime.date(2020, 1, 1))
    groupement = make_groupement()
    closed = make_groupement(S.RECENSEMENT_CLOS)
    with django_capture_on_commit_callbacks(execute=True):
        enable_service(other_commune, "achats", start=datetime.date(2020, 1, 1))
    assert Member.objects.filter(groupement=groupement, commune=other_commune).exists()
    assert not Member.objects.filter(groupement=closed, commune=other_commune).exists()
    assert client_on(other_commune, referent_b).get(f"/services/achats/groupements/{groupement.pk}/").status_code == 200


def test_orders_after_the_award_feed_the_summary_and_the_quantities_key(
    commune, other_commune, both_enabled, commune_agent, client_on
):
    groupement = answered_groupement(commune, other_commune)
    a4, _a3 = articles(groupement)
    client = client_on(commune, commune_agent)
    url = f"/services/achats/groupements/{groupement.pk}/commandes/"
    order = {"article": a4.pk, "date": "15/11/2026", "quantity": "30", "reference": "BC-1"}
    client.post(url, order)
    assert not NeedSummary.objects.filter(ordered_quantity__gt=0).exists()  # not before the award
    Groupement.objects.filter(pk=groupement.pk).update(
        status=S.EXECUTION, procedure_costs=Decimal("90"), cost_key="quantites"
    )
    groupement.articles.update(awarded_price=Decimal("2"))
    assert client.post(url, order).status_code == 302
    assert client.post(url, {**order, "reference": "BC-2", "quantity": "10"}).status_code == 302
    assert client.post(url, {**order, "quantity": "-3"}).status_code == 400
    assert NeedSummary.objects.get(commune=commune, article=a4).ordered_quantity == Decimal("40")
    groupement.refresh_from_db()
    shares = {line["commune"].insee_code: line["share"] for line in services.allocation(groupement)}
    # once orders exist, the quantities key weighs what was ordered: Gignac 40 × 2 €, Saint-André nothing yet
    assert shares == {"34114": Decimal("90.00"), "34239": Decimal("0.00")}
    Groupement.objects.filter(pk=groupement.pk).update(cost_key="parts_egales")
    groupement.refresh_from_db()
    shares = {line["commune"].insee_code: line["share"] for line in services.allocation(groupement)}
    assert shares == {"34114": Decimal("45.00"), "34239": Decimal("45.00")}


def test_the_console_home_shows_the_open_censuses(commune, both_enabled, achats_agent, client_on):
    make_groupement()
    home = client_on(None, achats_agent).get("/")
    assert home.status_code == 200 and "/services/achats/tableau-de-bord/" in home.content.decode()


def test_the_summary_can_be_checked_and_repaired_from_the_schemas(commune, other_commune, both_enabled):
    from plugins.achats import indexing

    groupement = answered_groupement(commune, other_commune)
    assert indexing.check_commune(commune, repair=False).clean
    a4, _a3 = articles(groupement)
    NeedSummary.objects.filter(commune=commune, article=a4).update(quantity=1)
    Member.objects.filter(commune=commune, groupement=groupement).update(total_value=0)
    report = indexing.check_commune(commune, repair=True)
    assert report.members == [groupement.pk] and report.needs == [(groupement.pk, a4.pk)]
    assert indexing.check_commune(commune, repair=False).clean
    assert NeedSummary.objects.get(commune=commune, article=a4).quantity == Decimal("100")
    assert indexing.check_commune(other_commune, repair=False).clean
    from django.core.management import call_command

    out = io.StringIO()
    call_command("rebuild_achats_summary", "--check", stdout=out)
    assert "conforme" in out.getvalue()


@pytest.mark.parametrize(
    "path",
    [
        "/services/achats/groupements/99999999999999999999999/",
        "/services/achats/groupements/99999999999999999999999/export/xlsx/",
        "/services/achats/groupements/1/export/pdf%00/",
        "/api/v1/achats/besoins/?groupement=99999999999999999999999",
        "/api/v1/achats/groupements/99999999999999999999999/",
    ],
)
def test_hostile_identifiers_get_4xx(commune, both_enabled, commune_agent, client_on, path):
    make_groupement()
    response = client_on(commune, commune_agent).get(path)
    assert response.status_code < 500
    if "?" not in path:
        assert 400 <= response.status_code < 500


def test_hostile_answers_are_refused_in_french(commune, both_enabled, commune_agent, client_on):
    groupement = make_groupement()
    a4, _a3 = articles(groupement)
    client = client_on(commune, commune_agent)
    url = f"/services/achats/groupements/{groupement.pk}/"
    for values in (
        {f"q_{a4.pk}": "-5"},
        {f"q_{a4.pk}": "1e400"},
        {f"v_{a4.pk}": "NaN"},
        {"deliberation_date": "31/02/2026"},
        {"deliberation_date": "01/01/2999"},
        {"deliberation_number": "x" * 31},
        {f"q_{a4.pk}": "12\x00"},
    ):
        response = client.post(url, values)
        assert response.status_code == 400, values
        assert 'class="error"' in response.content.decode() or "form-errors" in response.content.decode()
    with schema_context(commune.schema_name):
        assert not Need.objects.exists() and not Answer.objects.exclude(deliberation_number="").exists()
    assert not NeedSummary.objects.exists()
    # fields that are not the answer's are ignored
    assert client.post(url, {"status": "clos", "groupement_id": "3"}).status_code == 302
    assert Groupement.objects.get(pk=groupement.pk).status == S.RECENSEMENT


def test_demo_data_is_consistent_with_its_summary(commune, other_commune, both_enabled):
    from plugins.achats import demo, indexing

    for _ in range(2):  # idempotent
        for target in (commune, other_commune):
            with schema_context(target.schema_name):
                demo.create(target)
    assert Groupement.objects.count() == 5
    assert Member.objects.count() == 10
    for target in (commune, other_commune):
        assert indexing.check_commune(target, repair=False).clean
    executing = Groupement.objects.get(status=S.EXECUTION)
    assert sum(line["share"] for line in services.allocation(executing)) == executing.procedure_costs


def test_the_invited_communes_are_told_when_the_census_opens(
    commune, other_commune, commune_agent, referent_b, django_capture_on_commit_callbacks
):
    enable_service(commune, "achats", start=datetime.date(2020, 1, 1))  # Saint-André does not subscribe
    groupement = make_groupement(S.CONVENTION)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        services.change_status(groupement, S.RECENSEMENT)
    assert [m.to for m in mail.outbox] == [["agent@gignac.test"]]
    assert "Recensement ouvert : Papier 2027" in mail.outbox[0].subject
    assert f"/services/achats/groupements/{groupement.pk}/" in mail.outbox[0].body


def test_pages_render_at_every_status(commune, other_commune, both_enabled, commune_agent, achats_agent, client_on):
    groupement = services.create_groupement({"title": "Copieurs", "deadline": TODAY + datetime.timedelta(days=3)})
    console, gignac = client_on(None, achats_agent), client_on(commune, commune_agent)
    page = f"/services/achats/groupements/{groupement.pk}/"
    assert "Ajouter un article" in console.get(page).content.decode()
    assert gignac.get(page).status_code == 404  # a project is not shown to the communes
    assert console.post(f"{page}articles/", {"code": "C1", "label": "Copieur A3", "unit": "mois"}).status_code == 302
    assert console.post(f"{page}articles/", {"code": "c1", "label": "Doublon", "unit": "mois"}).status_code == 400
    form = {"title": "Copieurs", "category": "copieurs", "kind": "ponctuel", "nature": "fournitures"}
    form |= {"convention_text": "Convention.", "deadline": TODAY.strftime("%d/%m/%Y"), "duration_months": "48"}
    assert console.post(f"{page}modifier/", form).status_code == 302
    seen = []
    for target in (S.CONVENTION, S.RECENSEMENT):
        assert console.post(f"{page}statut/", {"status": target}).status_code == 302
        seen.append(gignac.get(page).content.decode())
    assert "seule la délibération peut être saisie" in seen[0]
    article = groupement.articles.get()
    assert gignac.post(page, {f"q_{article.pk}": "2", f"v_{article.pk}": "9600"}).status_code == 302
    for target in (S.RECENSEMENT_CLOS, S.CONSULTATION):
        assert console.post(f"{page}statut/", {"status": target}).status_code == 302
    assert console.post(f"{page}statut/", {"status": S.ATTRIBUE}).status_code == 400
    award = {"supplier": "Copie Sud", "siret": "12345678901234", "costs": "300", "cost_key": "population"}
    assert console.post(f"{page}attribution/", award).status_code == 302
    Article.objects.filter(pk=article.pk).update(awarded_price=Decimal("4000"))
    for target in (S.ATTRIBUE, S.EXECUTION, S.CLOS):
        assert console.post(f"{page}statut/", {"status": target}).status_code == 302
        body = console.get(page).content.decode()
        assert "Répartition des frais" in body and "300,00" in body
        assert gignac.get(page).status_code == 200
    assert "Le groupement est clos." in body
    statuses = [e.after["statut"] for e in AuditEntry.objects.filter(action="achats.groupement.statut").order_by("id")]
    assert statuses == [
        "convention",
        "recensement",
        "recensement_clos",
        "consultation",
        "attribue",
        "execution",
        "clos",
    ]
