"""The Groupements d'achats section of the bilan, and its activity units."""

from __future__ import annotations

from decimal import Decimal

from django.db.models import Count, Q, Sum

from mutualise.contract import ActivityUnit, BilanSection, Indicator
from plugins.achats import rules
from plugins.achats.coordination.models import Groupement, Member, NeedSummary
from plugins.achats.models import Answer

S = Groupement.Status


def bilan_section(year: int, communes) -> BilanSection:
    """Groupements active during ``year``: their number, members per groupement, total value and savings.

    Reads the public summary: four queries, whatever the number of communes.
    """
    codes = {c.insee_code for c in communes}
    groupements = Groupement.objects.filter(created_at__year__lte=year).exclude(status=S.PROJET)
    members = Member.objects.filter(groupement__in=groupements, commune__insee_code__in=codes)
    answered = members.filter(answered_at__isnull=False, no_need=False)
    count = groupements.count()
    per_groupement = members.values("groupement_id").annotate(n=Count("id"))
    average = sum(row["n"] for row in per_groupement) / count if count else 0
    total_value = answered.aggregate(total=Sum("total_value"))["total"] or Decimal(0)
    lines: dict[str, list] = {}
    for need in NeedSummary.objects.filter(
        groupement__in=groupements, commune__insee_code__in=codes, article__awarded_price__isnull=False
    ).select_related("article", "commune"):
        lines.setdefault(need.commune.insee_code, []).append(
            (need.quantity, need.article.previous_price, need.article.awarded_price)
        )
    overall = rules.savings([line for commune_lines in lines.values() for line in commune_lines])
    per_commune = {}
    for row in answered.values("commune__insee_code").annotate(n=Count("id"), v=Sum("total_value")):
        code = row["commune__insee_code"]
        saving = rules.savings(lines.get(code, []))
        per_commune[code] = [
            Indicator("Groupements rejoints", row["n"], "groupements"),
            Indicator("Valeur estimée des besoins", row["v"] or Decimal(0), "€"),
            Indicator("Économies estimées", saving.amount, "€"),
        ]
    return BilanSection(
        title="Groupements d'achats",
        indicators=[
            Indicator("Communes adhérentes", len(communes), "communes"),
            Indicator("Groupements", count, "groupements"),
            Indicator("Membres par groupement (moyenne)", round(Decimal(average), 1), "communes"),
            Indicator("Valeur estimée totale", total_value, "€"),
            Indicator("Économies estimées", overall.amount, "€"),
            Indicator("Économies estimées (%)", overall.percent or Decimal(0), "%"),
        ],
        per_commune=per_commune,
    )


def activity_units(start, end) -> list[ActivityUnit]:
    """The commune's answers recorded in the period (in its schema)."""
    answered = Answer.objects.filter(
        Q(answered_at__date__gte=start) & Q(answered_at__date__lte=end), no_need=False
    ).count()
    return [
        ActivityUnit("groupements", "Groupements rejoints (réponses au recensement)", Decimal(answered), "groupements")
    ]
