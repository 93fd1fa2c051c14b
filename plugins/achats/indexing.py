"""Checking the public summary of the answers against the communes' schemas, and repairing it."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum
from django_tenants.utils import schema_context

from plugins.achats.coordination.models import Groupement, Member, NeedSummary
from plugins.achats.models import Answer, Order

MEMBER_FIELDS = ("deliberation_date", "deliberation_number", "no_need", "answered_at", "total_value")


@dataclass
class SummaryReport:
    """Differences for one commune: groupements whose member row differs, (groupement, article) needs that differ."""

    commune: object
    members: list[int] = field(default_factory=list)
    needs: list[tuple[int, int]] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.members or self.needs)


def check_commune(commune, *, repair: bool) -> SummaryReport:
    """Compare the public summary with the answers and orders of ``commune``'s schema; with ``repair``, fix it."""
    report = SummaryReport(commune)
    with transaction.atomic(), schema_context(commune.schema_name):
        members = {m.groupement_id: m for m in Member.objects.filter(commune=commune)}
        summaries = {(n.groupement_id, n.article_id): n for n in NeedSummary.objects.filter(commune=commune)}
        ordered = {
            (row["groupement_id"], row["article_id"]): row["total"]
            for row in Order.objects.values("groupement_id", "article_id").annotate(total=Sum("quantity"))
        }
        existing = set(Groupement.objects.filter(pk__in=members).values_list("pk", flat=True))
        for answer in Answer.objects.prefetch_related("needs").filter(groupement_id__in=existing):
            needs = list(answer.needs.all())
            wanted = {
                "deliberation_date": answer.deliberation_date,
                "deliberation_number": answer.deliberation_number,
                "no_need": answer.no_need,
                "answered_at": answer.answered_at,
                "total_value": sum((n.estimated_value for n in needs), Decimal(0)),
            }
            member = members[answer.groupement_id]
            if any(getattr(member, name) != value for name, value in wanted.items()):
                report.members.append(answer.groupement_id)
                if repair:
                    Member.objects.filter(pk=member.pk).update(**wanted)
            for need in needs:
                key = (answer.groupement_id, need.article_id)
                values = {
                    "quantity": need.quantity,
                    "estimated_value": need.estimated_value,
                    "ordered_quantity": ordered.get(key) or Decimal(0),
                }
                row = summaries.get(key)
                if row is None or any(getattr(row, name) != value for name, value in values.items()):
                    report.needs.append(key)
                    if repair:
                        NeedSummary.objects.update_or_create(
                            article_id=need.article_id,
                            commune=commune,
                            defaults={"groupement_id": answer.groupement_id, **values},
                        )
    return report
