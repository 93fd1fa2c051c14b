"""The Observatoire fiscal section of the bilan, and its activity units."""

from decimal import Decimal

from mutualise.contract import ActivityUnit, BilanSection, Indicator
from plugins.fiscal.models import FiscalBase


def bilan_section(year, communes):
    return BilanSection(
        title="Observatoire fiscal",
        indicators=[Indicator("Communes adhérentes", len(communes), "communes")],
    )


def activity_units(start, end):
    analysed = FiscalBase.objects.filter(year__range=(start.year, end.year)).count()
    return [ActivityUnit("bases_analysees", "Bases fiscales analysées", Decimal(analysed), "bases")]
