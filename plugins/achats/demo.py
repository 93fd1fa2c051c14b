"""Demo data of the Groupements d'achats service: the groupements a commune has joined or been invited to."""

import datetime

from plugins.achats.models import Participation

S = Participation.Status
PARTICIPATIONS = [
    (
        "Groupement fournitures administratives 2025-2028",
        "Fournitures de bureau et papier",
        datetime.date(2024, 10, 14),
        "DEL-2024-052",
        S.NEEDS_ENTERED,
    ),
    (
        "Groupement vérifications périodiques réglementaires",
        "Contrôles électriques, gaz, ascenseurs et aires de jeux",
        datetime.date(2025, 3, 24),
        "DEL-2025-018",
        S.NEEDS_ENTERED,
    ),
    (
        "Groupement extincteurs et désenfumage",
        "Maintenance des extincteurs et des systèmes de désenfumage",
        datetime.date(2026, 6, 30),
        "DEL-2026-031",
        S.DELIBERATED,
    ),
    (
        "Groupement assurances 2027",
        "Dommages aux biens, responsabilité civile, flotte automobile, protection juridique",
        None,
        "",
        S.INVITED,
    ),
]


def create(commune) -> None:
    for groupement, subject, deliberated, number, status in PARTICIPATIONS:
        Participation.objects.get_or_create(
            groupement=groupement,
            defaults={
                "subject": subject,
                "deliberation_date": deliberated,
                "deliberation_number": number,
                "status": status,
            },
        )
