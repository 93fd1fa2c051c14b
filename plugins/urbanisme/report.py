"""The Ingénierie urbanisme section of the bilan, and its activity units."""

from decimal import Decimal

from mutualise.contract import ActivityUnit, BilanSection, Indicator
from plugins.urbanisme.models import PlanningProcedure


def bilan_section(year, communes):
    return BilanSection(
        title="Ingénierie urbanisme",
        indicators=[Indicator("Communes adhérentes", len(communes), "communes")],
    )


def activity_units(start, end):
    S = PlanningProcedure.Status
    ongoing = (
        PlanningProcedure.objects.filter(launched_on__lte=end).exclude(status__in=[S.APPROVED, S.ABANDONED]).count()
    )
    return [ActivityUnit("procedures_en_cours", "Procédures en cours", Decimal(ongoing), "procédures")]
