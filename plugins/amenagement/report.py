"""The Opérations d'aménagement section of the bilan, and its activity units."""

from decimal import Decimal

from mutualise.contract import ActivityUnit, BilanSection, Indicator
from plugins.amenagement.models import Operation


def bilan_section(year, communes):
    return BilanSection(
        title="Opérations d'aménagement",
        indicators=[Indicator("Communes adhérentes", len(communes), "communes")],
    )


def activity_units(start, end):
    followed = Operation.objects.exclude(status=Operation.Status.CLOSED).count()
    return [ActivityUnit("operations_suivies", "Opérations suivies", Decimal(followed), "opérations")]
