"""Demo data of the Ingénierie urbanisme service: the life of a commune's PLU."""

import datetime

from plugins.urbanisme.models import PlanningProcedure

D = PlanningProcedure.Document
T = PlanningProcedure.Type
S = PlanningProcedure.Status
PROCEDURES = [
    (D.PLU, T.ELABORATION, "élaboration du PLU", datetime.date(2014, 5, 12), S.APPROVED),
    (D.PLU, T.MODIFICATION_SIMPLIFIEE, "modification simplifiée n°1", datetime.date(2021, 9, 27), S.APPROVED),
    (D.PLU, T.MODIFICATION, "modification n°2", datetime.date(2026, 1, 19), S.INQUIRY),
    (D.PLU, T.REVISION_ALLEGEE, "révision allégée n°1", datetime.date(2024, 2, 5), S.ABANDONED),
    (D.PLU, T.REVISION, "révision générale (intégration du ZAN)", datetime.date(2026, 6, 22), S.IN_PROGRESS),
]


def create(commune) -> None:
    for document, procedure_type, number, launched, status in PROCEDURES:
        PlanningProcedure.objects.get_or_create(
            document=document,
            number=number,
            defaults={"procedure_type": procedure_type, "launched_on": launched, "status": status},
        )
