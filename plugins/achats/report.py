"""The Groupements d'achats section of the bilan, and its activity units."""

from decimal import Decimal

from mutualise.contract import ActivityUnit, BilanSection, Indicator
from plugins.achats.models import Participation


def bilan_section(year, communes):
    return BilanSection(
        title="Groupements d'achats",
        indicators=[Indicator("Communes adhérentes", len(communes), "communes")],
    )


def activity_units(start, end):
    joined = Participation.objects.exclude(status=Participation.Status.INVITED).count()
    return [ActivityUnit("groupements", "Groupements rejoints", Decimal(joined), "groupements")]
