"""What changes a groupement or an answer: each function checks the rules, writes, and audits, in one transaction.

A commune's answer is written in its schema and summarised in the public schema in the same transaction (the
connection's search path holds both), so the coordinator's aggregate never reads the communes' schemas.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mutualise import audit
from mutualise.imports import parse_date, parse_decimal
from mutualise.services import communes_with_service
from plugins.achats import rules
from plugins.achats.coordination.models import Article, Groupement, Member, NeedSummary
from plugins.achats.models import Answer, Need, Order

SERVICE = "achats"
MAX_AMOUNT = Decimal("1000000000")
S = Groupement.Status


def get_service():
    """The service as the platform knows it (label, description) for the pages' headings."""
    from mutualise.plugins import get_registry

    return get_registry().get(SERVICE)


def _assert_in_schema_of(commune) -> None:
    # Answers are written in the commune's schema: refuse loudly to write them anywhere else.
    if connection.schema_name != commune.schema_name:
        raise RuntimeError(f"schéma {connection.schema_name} au lieu de {commune.schema_name}")


# -- The coordinator's side -------------------------------------------------------------------------------------


def facts_of(groupement: Groupement) -> rules.GroupementFacts:
    """The figures the transition guards need (two queries)."""
    articles = groupement.articles.aggregate(
        total=Count("id"), priced=Count("id", filter=Q(awarded_price__isnull=False))
    )
    members = groupement.members.aggregate(
        total=Count("id"), answered=Count("id", filter=Q(answered_at__isnull=False)), value=Sum("total_value")
    )
    return rules.GroupementFacts(
        articles=articles["total"],
        priced_articles=articles["priced"],
        members=members["total"],
        answered=members["answered"],
        total_value=members["value"] or Decimal(0),
    )


def invite_enabled_communes(groupement: Groupement) -> int:
    """Make a member of every commune where the service is enabled today; return how many were added."""
    present = set(groupement.members.values_list("commune_id", flat=True))
    new = [
        Member(groupement=groupement, commune=commune)
        for commune in communes_with_service(SERVICE)
        if commune.id not in present
    ]
    Member.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def invite_to_open_groupements(commune) -> int:
    """Invite a commune that joins the service to the groupements still before their consultation.

    Only while the convention is being deliberated or the census is open: a member joining later would not benefit
    from the procedure already launched (L2113-6 CCP).
    """
    open_ones = Groupement.objects.filter(status__in=(S.CONVENTION, S.RECENSEMENT)).exclude(members__commune=commune)
    new = [Member(groupement=groupement, commune=commune) for groupement in open_ones]
    Member.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


@transaction.atomic
def change_status(groupement: Groupement, target: str, *, user=None, today: datetime.date | None = None) -> None:
    """Move ``groupement`` to ``target`` if the rules allow it; invite the communes when the convention goes out."""
    today = today or timezone.localdate()
    groupement = Groupement.objects.select_for_update().get(pk=groupement.pk)
    if target == S.CONVENTION or target == S.RECENSEMENT:
        invite_enabled_communes(groupement)  # the guard of the census counts the members
    possible = {t.status: t for t in rules.transitions(groupement, facts_of(groupement), today)}
    if target not in possible:
        raise ValidationError(
            _("Passage impossible de « %(before)s » à « %(after)s ».")
            % {"before": groupement.get_status_display(), "after": dict(S.choices).get(target, target)}
        )
    if not possible[target].allowed:
        raise ValidationError(possible[target].reason)
    before = groupement.status
    groupement.status = target
    fields = ["status"]
    if target == S.CONSULTATION and groupement.launch_date is None:
        groupement.launch_date = today
        fields.append("launch_date")
    if target == S.ATTRIBUE and groupement.awarded_on is None:
        groupement.awarded_on = today
        fields.append("awarded_on")
    groupement.save(update_fields=fields)
    if target == S.RECENSEMENT:
        from plugins.achats.tasks import notify_census_opened

        transaction.on_commit(lambda: notify_census_opened.delay(groupement.pk))
    audit.record(
        "achats.groupement.statut",
        actor=user,
        service=SERVICE,
        target=f"groupement {groupement.pk} — {groupement.title}",
        before={"statut": before},
        after={"statut": target},
    )


@transaction.atomic
def create_groupement(values: dict, *, user=None) -> Groupement:
    groupement = Groupement.objects.create(created_by=user if getattr(user, "pk", None) else None, **values)
    audit.record(
        "achats.groupement.cree", actor=user, service=SERVICE, target=f"groupement {groupement.pk} — {groupement}"
    )
    return groupement


@dataclass(frozen=True)
class ArticleTotal:
    article: Article
    quantity: Decimal
    value: Decimal
    communes: int


def article_totals(groupement: Groupement) -> list[ArticleTotal]:
    """Per article: total quantity and estimated value over the members, and how many asked for it (one query)."""
    sums = {
        row["article_id"]: row
        for row in NeedSummary.objects.filter(groupement=groupement)
        .values("article_id")
        .annotate(q=Sum("quantity"), v=Sum("estimated_value"), n=Count("id", filter=Q(quantity__gt=0)))
    }
    result = []
    for article in groupement.articles.all():
        row = sums.get(article.pk, {})
        result.append(ArticleTotal(article, row.get("q") or Decimal(0), row.get("v") or Decimal(0), row.get("n", 0)))
    return result


@transaction.atomic
def award(groupement: Groupement, *, supplier: str, siret: str, costs: Decimal, cost_key: str, user=None) -> None:
    """Record the titulaire, the procedure costs and how they are shared."""
    before = {"titulaire": groupement.supplier, "frais": groupement.procedure_costs, "cle": groupement.cost_key}
    groupement.supplier, groupement.supplier_siret = supplier, siret
    groupement.procedure_costs, groupement.cost_key = costs, cost_key
    groupement.save(update_fields=["supplier", "supplier_siret", "procedure_costs", "cost_key"])
    audit.record(
        "achats.groupement.attribution",
        actor=user,
        service=SERVICE,
        target=f"groupement {groupement.pk} — {groupement}",
        before=before,
        after={"titulaire": supplier, "frais": costs, "cle": cost_key},
    )


def allocation(groupement: Groupement) -> list[dict]:
    """Per member having needs: the basis of its share, its share of the procedure costs, its savings.

    Reads the public schema only (two queries).
    """
    members = list(groupement.members.filter(answered_at__isnull=False, no_need=False).select_related("commune"))
    lines: dict[int, list] = {}
    for need in NeedSummary.objects.filter(groupement=groupement).select_related("article"):
        lines.setdefault(need.commune_id, []).append(need)
    ordered = {
        member.commune.insee_code: sum(
            (n.ordered_quantity * (n.article.awarded_price or 0) for n in lines.get(member.commune_id, [])),
            Decimal(0),
        )
        for member in members
    }
    # The quantities key weighs what was ordered once orders exist, the estimates before: never a mix of both.
    estimated = {member.commune.insee_code: member.total_value for member in members}
    amounts = ordered if any(ordered.values()) else estimated
    shares = rules.allocate_costs(
        groupement.procedure_costs,
        groupement.cost_key,
        populations={m.commune.insee_code: m.commune.population or 0 for m in members},
        amounts=amounts,
    )
    result = []
    for member in members:
        needs = lines.get(member.commune_id, [])
        saving = rules.savings([(n.quantity, n.article.previous_price, n.article.awarded_price) for n in needs])
        result.append(
            {
                "member": member,
                "commune": member.commune,
                "needs": needs,
                "basis": amounts[member.commune.insee_code],
                "share": shares[member.commune.insee_code],
                "saving": saving,
            }
        )
    return result


# -- The commune's side -----------------------------------------------------------------------------------------


def member_of(commune, groupement_id) -> Member | None:
    """The membership of ``commune`` in the groupement (with it), or ``None``: a groupement it was not invited to."""
    return (
        Member.objects.select_related("groupement")
        .filter(commune=commune, groupement_id=groupement_id)
        .exclude(groupement__status=S.PROJET)
        .first()
    )


def _clean_amount(raw: str, label: str) -> Decimal:
    try:
        value = parse_decimal(raw)
    except ValueError as error:
        raise ValidationError(f"{label} : {error}.") from None
    value = value or Decimal(0)
    if value < 0 or value >= MAX_AMOUNT:
        raise ValidationError(
            _("%(label)s : une valeur positive, inférieure à un milliard, est attendue.") % {"label": label}
        )
    return rules.round_cents(value)


def answer_fields(groupement: Groupement) -> dict[str, tuple[str, Article | None]]:
    """The names of the answer's fields: ``name → (what, article)``."""
    fields = {
        "deliberation_date": ("date", None),
        "deliberation_number": ("number", None),
        "no_need": ("no_need", None),
    }
    for article in groupement.articles.all():
        fields[f"q_{article.pk}"] = ("quantity", article)
        fields[f"v_{article.pk}"] = ("value", article)
    return fields


@transaction.atomic
def save_answer(commune, member: Member, values: dict[str, str], *, user=None, today=None) -> list[str]:
    """Record the fields of ``values`` in the commune's answer and its public summary; return the fields saved.

    Only fields of the answer are read; each is checked before anything is written (``ValidationError``: nothing is
    written). The census must be open (the deliberation alone may be recorded once the convention is out).
    """
    _assert_in_schema_of(commune)
    today = today or timezone.localdate()
    groupement = Groupement.objects.get(pk=member.groupement_id)
    known = answer_fields(groupement)
    wanted = {name: str(value) for name, value in values.items() if name in known}
    if not wanted:
        return []
    only_deliberation = set(wanted) <= {"deliberation_date", "deliberation_number"}
    refusal = (
        rules.deliberation_refusal(groupement, today) if only_deliberation else rules.census_refusal(groupement, today)
    )
    if refusal:
        raise ValidationError(refusal, code="recensement_clos")
    cleaned, errors = {}, {}
    for name, raw in wanted.items():
        what, article = known[name]
        try:
            if what == "date":
                try:
                    date = parse_date(raw)
                except ValueError as error:
                    raise ValidationError(_("Date de la délibération : %(error)s.") % {"error": error}) from None
                if date is not None and date > today:
                    raise ValidationError(_("La date de la délibération ne peut pas être dans le futur."))
                cleaned[name] = date
            elif what == "number":
                if len(raw.strip()) > 30:
                    raise ValidationError(_("Le numéro de la délibération tient en 30 caractères."))
                cleaned[name] = raw.strip()
            elif what == "no_need":
                cleaned[name] = raw.strip().lower() in {"1", "on", "oui", "true"}
            else:
                label = _("Quantité") if what == "quantity" else _("Valeur estimée")
                cleaned[name] = _clean_amount(raw, f"{label} ({article.label})")
        except ValidationError as error:
            errors[name] = error.messages
    if errors:
        raise ValidationError(errors)

    answer, _created = Answer.objects.select_for_update().get_or_create(groupement_id=groupement.pk)
    needs = {need.article_id: need for need in answer.needs.all()}
    for name, value in cleaned.items():
        what, article = known[name]
        if what == "date":
            answer.deliberation_date = value
        elif what == "number":
            answer.deliberation_number = value
        elif what == "no_need":
            answer.no_need = value
        else:
            need = needs.get(article.pk) or Need(answer=answer, article_id=article.pk)
            setattr(need, "quantity" if what == "quantity" else "estimated_value", value)
            need.save()
            needs[article.pk] = need
    has_needs = any(need.quantity > 0 for need in needs.values())
    if answer.answered_at is None and (has_needs or answer.no_need) and not only_deliberation:
        answer.answered_at = timezone.now()
        # Saved field by field, an answer is audited once: when the commune first answers the census.
        audit.record(
            "achats.reponse",
            actor=user,
            commune=commune,
            service=SERVICE,
            target=f"groupement {groupement.pk} — {groupement}",
            after={"sans_besoin": answer.no_need},
        )
    answer.updated_by = user if getattr(user, "pk", None) else None
    answer.save()
    write_summary(commune, groupement, answer, needs.values())
    return list(cleaned)


def write_summary(commune, groupement: Groupement, answer: Answer, needs) -> None:
    """Copy the answer into the public summary (the member row and one row per article)."""
    Member.objects.filter(groupement=groupement, commune=commune).update(
        deliberation_date=answer.deliberation_date,
        deliberation_number=answer.deliberation_number,
        has_deliberation_file=bool(answer.deliberation_file),
        no_need=answer.no_need,
        answered_at=answer.answered_at,
        total_value=sum((need.estimated_value for need in needs), Decimal(0)),
    )
    for need in needs:
        NeedSummary.objects.update_or_create(
            article_id=need.article_id,
            commune=commune,
            defaults={"groupement": groupement, "quantity": need.quantity, "estimated_value": need.estimated_value},
        )


@transaction.atomic
def attach_deliberation(commune, member: Member, upload, *, user=None, today=None) -> None:
    """Store the deliberation's document in the commune's own storage."""
    _assert_in_schema_of(commune)
    groupement = member.groupement
    refusal = rules.deliberation_refusal(groupement, today or timezone.localdate())
    if refusal:
        raise ValidationError(refusal, code="recensement_clos")
    answer, _created = Answer.objects.select_for_update().get_or_create(groupement_id=groupement.pk)
    old = answer.deliberation_file.name if answer.deliberation_file else ""
    answer.deliberation_file.save(upload.name, upload, save=False)
    answer.updated_by = user if getattr(user, "pk", None) else None
    answer.save()
    if old:
        transaction.on_commit(lambda: answer.deliberation_file.storage.delete(old))
    Member.objects.filter(pk=member.pk).update(has_deliberation_file=True)
    audit.record(
        "achats.deliberation.deposee",
        actor=user,
        commune=commune,
        service=SERVICE,
        target=f"groupement {groupement.pk} — {groupement}",
    )


@transaction.atomic
def record_order(commune, member: Member, *, article: Article, date, quantity: Decimal, reference: str, user=None):
    """Record an order of the commune against an awarded article, and add it to the public summary."""
    _assert_in_schema_of(commune)
    if member.groupement.status not in (S.ATTRIBUE, S.EXECUTION):
        raise ValidationError(_("Les commandes se saisissent une fois le marché attribué."))
    if article.groupement_id != member.groupement_id:
        raise ValidationError(_("Cet article n'appartient pas au groupement."))
    order = Order.objects.create(
        groupement_id=member.groupement_id, article_id=article.pk, date=date, quantity=quantity, reference=reference
    )
    total = Order.objects.filter(groupement_id=member.groupement_id, article_id=article.pk).aggregate(
        t=Sum("quantity")
    )["t"]
    NeedSummary.objects.update_or_create(
        article=article, commune=commune, defaults={"groupement_id": member.groupement_id, "ordered_quantity": total}
    )
    return order
