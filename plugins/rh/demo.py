"""Demo data of the Assistance RH service: a small commune's training plan for the year."""

import datetime

from plugins.rh.models import TrainingAction

C = TrainingAction.Category
S = TrainingAction.Status
ACTIONS = [
    (
        "Formation d'intégration catégorie C",
        "Julie Martin",
        C.INTEGRATION,
        True,
        "CNFPT",
        datetime.date(2026, 3, 9),
        S.DONE,
    ),
    (
        "Formation initiale d'assistant de prévention",
        "Laurent Roux",
        C.HEALTH_SAFETY,
        True,
        "CDG 34",
        datetime.date(2026, 4, 13),
        S.DONE,
    ),
    (
        "Professionnalisation au premier emploi : l'accueil du public",
        "Julie Martin",
        C.PROFESSIONALISATION,
        True,
        "CNFPT",
        datetime.date(2026, 6, 4),
        S.DONE,
    ),
    (
        "Préparation à l'habilitation électrique BS",
        "Karim Benali",
        C.HEALTH_SAFETY,
        True,
        "CNFPT",
        datetime.date(2026, 9, 21),
        S.CANCELLED,
    ),
    (
        "Les actes d'état civil : perfectionnement",
        "Sophie Garcia",
        C.PERFECTING,
        False,
        "CNFPT",
        datetime.date(2026, 10, 15),
        S.DONE,
    ),
    (
        "Gestes et postures : manutention manuelle",
        "Karim Benali",
        C.HEALTH_SAFETY,
        False,
        "CDG 34",
        datetime.date(2026, 12, 7),
        S.PLANNED,
    ),
]


def create(commune) -> None:
    for title, agent, category, mandatory, provider, planned, status in ACTIONS:
        TrainingAction.objects.get_or_create(
            title=title,
            agent_name=agent,
            defaults={
                "category": category,
                "mandatory": mandatory,
                "provider": provider,
                "planned_on": planned,
                "status": status,
            },
        )
