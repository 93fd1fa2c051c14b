"""The Observatoire fiscal section of the bilan, and its activity units."""

from decimal import Decimal

from mutualise.contract import ActivityUnit, BilanSection, Indicator
from plugins.fiscal import queries
from plugins.fiscal.models import FiscalBase, Signalement


def bilan_section(year, communes):
    """Communes followed, locals flagged and accepted, base and product gained: one UNION ALL per batch of their
    schemas."""
    totals = queries.signalement_totals(list(communes))
    flagged = sum(t["flagged"] for t in totals.values())
    accepted = sum(t["accepted"] for t in totals.values())
    base = sum((t["base_gain"] for t in totals.values()), Decimal(0))
    product = sum((t["product_gain"] for t in totals.values()), Decimal(0))
    return BilanSection(
        title="Observatoire fiscal",
        indicators=[
            Indicator("Communes adhérentes", len(communes), "communes"),
            Indicator("Locaux signalés", flagged, "locaux"),
            Indicator("Signalements acceptés", accepted, "locaux"),
            Indicator("Base gagnée", base, "€"),
            Indicator("Produit gagné", product, "€"),
        ],
        per_commune={
            insee: [
                Indicator("Locaux signalés", t["flagged"], "locaux"),
                Indicator("Signalements acceptés", t["accepted"], "locaux"),
                Indicator("Produit gagné", t["product_gain"], "€"),
            ]
            for insee, t in totals.items()
        },
    )


def activity_units(start, end):
    analysed = FiscalBase.objects.filter(year__range=(start.year, end.year)).count()
    flagged = Signalement.objects.filter(created_at__date__range=(start, end)).count()
    return [
        ActivityUnit("bases_analysees", "Bases fiscales analysées", Decimal(analysed), "bases"),
        ActivityUnit("locaux_signales", "Locaux signalés", Decimal(flagged), "locaux"),
    ]
