"""The Assistance RH section of the bilan, and its activity units."""

from decimal import Decimal

from mutualise.contract import ActivityUnit, BilanSection, Indicator
from plugins.rh.models import TrainingAction


def bilan_section(year, communes):
    return BilanSection(
        title="Assistance RH",
        indicators=[Indicator("Communes adhérentes", len(communes), "communes")],
    )


def activity_units(start, end):
    followed = (
        TrainingAction.objects.filter(planned_on__range=(start, end))
        .exclude(status=TrainingAction.Status.CANCELLED)
        .count()
    )
    return [ActivityUnit("actions_formation", "Actions de formation suivies", Decimal(followed), "actions")]
