"""The Assistance marchés publics section of the bilan, and its activity units."""

from decimal import Decimal

from mutualise.contract import ActivityUnit, BilanSection, Indicator
from plugins.marches.models import Procedure


def bilan_section(year, communes):
    return BilanSection(
        title="Assistance marchés publics",
        indicators=[Indicator("Communes adhérentes", len(communes), "communes")],
    )


def activity_units(start, end):
    assisted = Procedure.objects.filter(created_at__date__range=(start, end)).count()
    return [ActivityUnit("procedures", "Procédures accompagnées", Decimal(assisted), "procédures")]
