"""Demo data of the Assistance marchés publics service: a small commune's procurement of the year."""

from decimal import Decimal

from plugins.marches.models import Procedure

N = Procedure.Nature
T = Procedure.Type
S = Procedure.Status
PROCEDURES = [
    ("Réfection de la toiture de l'école primaire", N.WORKS, T.MAPA, Decimal("148500.00"), S.NOTIFIED),
    ("Fourniture et livraison des repas de la cantine scolaire", N.SUPPLIES, T.MAPA, Decimal("96000.00"), S.ANALYSIS),
    (
        "Maîtrise d'œuvre pour l'aménagement de la traversée du village",
        N.SERVICES,
        T.MAPA,
        Decimal("62400.00"),
        S.PUBLISHED,
    ),
    (
        "Entretien des espaces verts communaux (accord-cadre 4 ans)",
        N.SERVICES,
        T.MAPA,
        Decimal("58000.00"),
        S.UNSUCCESSFUL,
    ),
    (
        "Achat d'un véhicule utilitaire électrique pour les services techniques",
        N.SUPPLIES,
        T.DIRECT,
        Decimal("34500.00"),
        S.AWARDED,
    ),
    ("Vérifications périodiques des bâtiments communaux", N.SERVICES, T.DIRECT, Decimal("12800.00"), S.PREPARATION),
]


def create(commune) -> None:
    for subject, nature, procedure_type, amount, status in PROCEDURES:
        Procedure.objects.get_or_create(
            subject=subject,
            defaults={"nature": nature, "procedure_type": procedure_type, "estimated_amount": amount, "status": status},
        )
