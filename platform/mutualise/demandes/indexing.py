"""Checking the public index of demandes against the communes' schemas, and repairing it."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django_tenants.utils import schema_context

from mutualise.demandes.models import Demande
from mutualise.demandes.services import INDEXED_FIELDS, index_values
from mutualise.models import DemandeIndex


@dataclass
class IndexReport:
    """Differences found for one commune: rows missing from the index, rows that differ, rows with no demande."""

    commune: object
    missing: list[int] = field(default_factory=list)
    stale: list[int] = field(default_factory=list)
    orphaned: list[int] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not (self.missing or self.stale or self.orphaned)


def check_commune(commune, *, repair: bool) -> IndexReport:
    """Compare the index with the demandes of ``commune``'s schema; with ``repair``, make the index right."""
    report = IndexReport(commune)
    with transaction.atomic(), schema_context(commune.schema_name):
        rows = {row.demande_id: row for row in DemandeIndex.objects.filter(commune=commune)}
        for demande in Demande.objects.all():
            wanted = index_values(demande)
            row = rows.pop(demande.pk, None)
            if row is None:
                report.missing.append(demande.pk)
            elif any(getattr(row, name) != wanted[name] for name in INDEXED_FIELDS):
                report.stale.append(demande.pk)
            else:
                continue
            if repair:
                DemandeIndex.objects.update_or_create(commune=commune, demande_id=demande.pk, defaults=wanted)
        report.orphaned = sorted(rows)
        if repair and rows:
            DemandeIndex.objects.filter(commune=commune, demande_id__in=rows).delete()
    return report
