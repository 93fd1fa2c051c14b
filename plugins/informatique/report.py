"""The Informatique section of the bilan, and its activity units."""

from decimal import Decimal

from mutualise.contract import ActivityUnit, BilanSection, Indicator
from plugins.informatique.models import Asset


def bilan_section(year, communes):
    return BilanSection(
        title="Informatique",
        indicators=[Indicator("Communes adhérentes", len(communes), "communes")],
    )


def activity_units(start, end):
    managed = Asset.objects.exclude(status=Asset.Status.RETIRED).count()
    return [ActivityUnit("equipements_geres", "Équipements gérés", Decimal(managed), "équipements")]
