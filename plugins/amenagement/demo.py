"""Demo data of the Opérations d'aménagement service: a commune's building and public space projects."""

from decimal import Decimal

from plugins.amenagement.models import Operation

K = Operation.Kind
P = Operation.Phase
S = Operation.Status
OPERATIONS = [
    ("Extension de l'école maternelle (deux classes)", K.BUILDING, P.EXE, Decimal("1250000.00"), S.IN_PROGRESS),
    (
        "Aménagement de la traversée du village et du plateau traversant",
        K.ROAD,
        P.DCE,
        Decimal("680000.00"),
        S.IN_PROGRESS,
    ),
    ("Requalification de la place de la mairie", K.PUBLIC_SPACE, P.APS, Decimal("420000.00"), S.IN_PROGRESS),
    (
        "Mise en séparatif des réseaux d'eaux pluviales, rue des Écoles",
        K.NETWORKS,
        P.ESQ,
        Decimal("310000.00"),
        S.PROGRAMMING,
    ),
    ("Rénovation énergétique de la salle des fêtes", K.BUILDING, P.AOR, Decimal("540000.00"), S.HANDED_OVER),
]


def create(commune) -> None:
    for name, kind, phase, envelope, status in OPERATIONS:
        Operation.objects.get_or_create(
            name=name, defaults={"kind": kind, "phase": phase, "envelope": envelope, "status": status}
        )
