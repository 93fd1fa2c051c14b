"""The Assistance juridique section of the bilan, and its activity units."""

from decimal import Decimal

from mutualise.contract import ActivityUnit, BilanSection, Indicator
from plugins.juridique.models import Consultation


def bilan_section(year, communes):
    return BilanSection(
        title="Assistance juridique",
        indicators=[Indicator("Communes adhérentes", len(communes), "communes")],
    )


def activity_units(start, end):
    received = Consultation.objects.filter(received_on__range=(start, end)).count()
    return [ActivityUnit("consultations", "Consultations reçues", Decimal(received), "consultations")]
