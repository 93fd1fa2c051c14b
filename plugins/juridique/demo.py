"""Demo data of the Assistance juridique service: the questions a small town hall asks over a year."""

import datetime

from plugins.juridique.models import Consultation

D = Consultation.Domain
S = Consultation.Status
CONSULTATIONS = [
    (
        "Refus d'un permis de construire en zone A du PLU",
        D.URBANISME,
        "Le maire",
        datetime.date(2026, 2, 10),
        datetime.date(2026, 3, 10),
        S.CLOSED,
    ),
    (
        "Renouvellement du contrat d'un agent contractuel au service technique",
        D.RH,
        "La secrétaire de mairie",
        datetime.date(2026, 4, 3),
        datetime.date(2026, 4, 30),
        S.ANSWERED,
    ),
    (
        "Occupation du domaine public par une terrasse de café",
        D.DOMAINE,
        "Le premier adjoint",
        datetime.date(2026, 6, 16),
        datetime.date(2026, 7, 15),
        S.ANSWERED,
    ),
    (
        "Reprise de concessions funéraires en état d'abandon",
        D.ETAT_CIVIL,
        "La secrétaire de mairie",
        datetime.date(2026, 9, 22),
        None,
        S.WAITING,
    ),
    (
        "Arrêté de police sur la divagation des chiens",
        D.POLICE,
        "Le maire",
        datetime.date(2026, 10, 5),
        datetime.date(2026, 12, 4),
        S.ANALYSIS,
    ),
    (
        "Convention de mise à disposition de la salle des fêtes à une association",
        D.CONTRATS,
        "L'adjointe à la vie associative",
        datetime.date(2026, 11, 16),
        datetime.date(2026, 12, 11),
        S.RECEIVED,
    ),
]


def create(commune) -> None:
    for subject, domain, requester, received, due, status in CONSULTATIONS:
        Consultation.objects.get_or_create(
            subject=subject,
            received_on=received,
            defaults={"domain": domain, "requester": requester, "due_on": due, "status": status},
        )
