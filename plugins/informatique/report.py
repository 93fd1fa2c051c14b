"""The Informatique section of the bilan, its activity units, and the figures of its dashboard cards."""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from decimal import Decimal

from django.db.models import Sum
from django.utils import timezone

from mutualise.contract import ActivityUnit, BilanSection, Indicator
from plugins.informatique import fleet, rules
from plugins.informatique.models import Asset
from plugins.informatique.plugin import CATEGORIES
from plugins.informatique.reglages.models import instance_tables

SERVICE = "informatique"


def demandes_figures(rows, now) -> dict:
    """Count, SLA share and mean resolution time (hours) of demandes given as
    ``(created_at, taken_at, solved_at, take_charge_due, resolve_due)``."""
    rows = list(rows)
    outcomes = [rules.sla_outcome(taken, solved, tto, ttr, now) for _, taken, solved, tto, ttr in rows]
    durations = [(solved - created).total_seconds() / 3600 for created, _, solved, _, _ in rows if solved]
    return {
        "count": len(rows),
        "sla": rules.share_met(outcomes),
        "resolution_hours": round(sum(durations) / len(durations), 1) if durations else None,
    }


def bilan_section(year: int, communes: list) -> BilanSection:
    """Requests by commune, category and priority, service levels, resolution time, fleet and spending.

    Demandes come from the platform's public index (one query); the fleet and the spending from one ``UNION ALL``
    each over the communes' schemas (in batches of schemas: :mod:`mutualise.schemas`).
    """
    from mutualise.demandes.rules import Priority
    from mutualise.models import DemandeIndex

    now = timezone.now()
    codes = {c.id: c.insee_code for c in communes}
    rows = DemandeIndex.objects.filter(service=SERVICE, commune_id__in=codes, created_at__year=year).values_list(
        "commune_id", "category", "priority", "created_at", "taken_at", "solved_at", "take_charge_due", "resolve_due"
    )
    by_commune: dict[str, list] = defaultdict(list)
    categories, priorities = Counter(), Counter()
    for commune_id, category, priority, *times in rows:
        by_commune[codes[commune_id]].append(times)
        categories[category] += 1
        priorities[priority] += 1
    everything = [times for commune_rows in by_commune.values() for times in commune_rows]
    overall = demandes_figures(everything, now)

    on = min(datetime.date(year, 12, 31), timezone.localdate())
    summary = fleet.fleet_summary(communes, on)
    spent = fleet.spending(communes, year)
    devices = sum(total for total, _, _ in summary.values())
    dated = sum(d for _, d, _ in summary.values())
    age_days = sum(days for _, _, days in summary.values())
    contracts_total = sum((c for c, _ in spent.values()), Decimal("0"))
    actions_total = sum((a for _, a in spent.values()), Decimal("0"))

    labels = dict(CATEGORIES)
    indicators = [
        Indicator("Communes adhérentes", len(communes), "communes"),
        Indicator("Demandes reçues", overall["count"], "demandes"),
        *[
            Indicator(f"Demandes — {labels.get(code, 'sans catégorie') if code else 'sans catégorie'}", n, "demandes")
            for code, n in sorted(categories.items())
        ],
        *[Indicator(f"Demandes — {Priority(p).label}", n, "demandes") for p, n in sorted(priorities.items())],
    ]
    if overall["sla"] is not None:
        indicators.append(Indicator("Niveaux de service respectés", overall["sla"], "%"))
    if overall["resolution_hours"] is not None:
        indicators.append(Indicator("Délai moyen de résolution", overall["resolution_hours"], "heures"))
    indicators.append(Indicator("Équipements gérés", devices, "équipements"))
    if dated:
        indicators.append(Indicator("Âge moyen du parc", round(age_days / dated / 365.25, 1), "ans"))
    indicators += [
        Indicator("Dépenses — contrats", contracts_total, "€"),
        Indicator("Dépenses — schéma directeur réalisé", actions_total, "€"),
        Indicator("Dépenses totales", contracts_total + actions_total, "€"),
    ]

    per_commune = {}
    for commune in communes:
        code = commune.insee_code
        figures = demandes_figures(by_commune.get(code, []), now)
        total, dated_here, days = summary.get(code, (0, 0, 0))
        contracts, actions = spent.get(code, (Decimal("0"), Decimal("0")))
        items = [Indicator("Demandes reçues", figures["count"], "demandes")]
        if figures["sla"] is not None:
            items.append(Indicator("Niveaux de service respectés", figures["sla"], "%"))
        if figures["resolution_hours"] is not None:
            items.append(Indicator("Délai moyen de résolution", figures["resolution_hours"], "heures"))
        items.append(Indicator("Équipements gérés", total, "équipements"))
        if dated_here:
            items.append(Indicator("Âge moyen du parc", round(days / dated_here / 365.25, 1), "ans"))
        items += [
            Indicator("Dépenses — contrats", contracts, "€"),
            Indicator("Dépenses — schéma directeur réalisé", actions, "€"),
        ]
        per_commune[code] = items
    return BilanSection(
        title="Informatique",
        indicators=indicators,
        per_commune=per_commune,
        text=(
            "Demandes de l'année et niveaux de service (prise en charge et résolution en heures ouvrées) ; "
            "parc en service et âge moyen au 31 décembre (ou à ce jour) ; dépenses : montants des contrats au prorata "
            "de l'année et coûts des actions réalisées du schéma directeur."
        ),
    )


def activity_units(start: datetime.date, end: datetime.date) -> list[ActivityUnit]:
    """In the commune's schema: devices managed, demandes opened and hours spent by the service over the period."""
    from mutualise.demandes.models import Demande, TimeEntry

    managed = Asset.objects.exclude(status=Asset.Status.RETIRED).count()
    demandes = Demande.objects.filter(service=SERVICE, created_at__date__range=(start, end)).count()
    minutes = TimeEntry.objects.filter(demande__service=SERVICE, date__range=(start, end)).aggregate(m=Sum("minutes"))
    hours = (Decimal(minutes["m"] or 0) / 60).quantize(Decimal("0.01"))
    return [
        ActivityUnit("equipements_geres", "Équipements gérés", Decimal(managed), "équipements"),
        ActivityUnit("demandes", "Demandes", Decimal(demandes), "demandes"),
        ActivityUnit("heures_intervention", "Temps d'intervention", hours, "heures"),
    ]


def open_demandes_card(now) -> dict:
    """In the commune's schema: open demandes to the service, and the share meeting their levels over 12 months."""
    from mutualise.demandes.models import Demande
    from mutualise.demandes.rules import OPEN_STATUSES

    demandes = Demande.objects.filter(service=SERVICE)
    recent = demandes.filter(created_at__gte=now - datetime.timedelta(days=365)).values_list(
        "created_at", "taken_at", "solved_at", "take_charge_due", "resolve_due"
    )
    figures = demandes_figures(recent, now)
    return {
        "open": demandes.filter(status__in=OPEN_STATUSES).count(),
        "sla": None if figures["sla"] is None else round(figures["sla"]),  # the card shows whole percents
        "year_count": figures["count"],
    }


def renewal_card(today: datetime.date) -> rules.YearForecast:
    """In the commune's schema: devices to replace this year (overdue included) and their estimated cost."""
    assets = Asset.objects.exclude(status=Asset.Status.RETIRED).only("kind", "purchase_date", "purchase_value")
    lifetimes, costs = instance_tables()
    return rules.forecast(rules.groups_of(assets), today.year, 1, lifetime_table=lifetimes, cost_table=costs)[0]
