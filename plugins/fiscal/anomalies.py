"""Running the anomaly rules over the commune's locals and permits, and following the signalements they produce.

Runs in the commune's schema. The rules themselves are plain functions in :mod:`plugins.fiscal.rules`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from mutualise.imports import ImportFailed, normalise_heading, parse_date, read_csv
from plugins.fiscal import rules
from plugins.fiscal.models import FiscalBase, Local, Permit, RuleSetting, Signalement


@dataclass(frozen=True)
class Setting:
    rule: rules.Rule
    enabled: bool
    threshold: int


def settings() -> list[Setting]:
    """Every rule with the commune's choice (enabled, threshold), the rule's defaults where it made none."""
    chosen = {s.code: s for s in RuleSetting.objects.all()}
    return [
        Setting(rule, chosen[rule.code].enabled, chosen[rule.code].threshold)
        if rule.code in chosen
        else Setting(rule, True, rule.threshold)
        for rule in rules.RULES
    ]


def save_settings(values: dict[str, tuple[bool, int]]) -> None:
    """Store the commune's choices: ``{code: (enabled, threshold)}``."""
    for code, (enabled, threshold) in values.items():
        if code in rules.RULES_BY_CODE:
            RuleSetting.objects.update_or_create(code=code, defaults={"enabled": enabled, "threshold": threshold})


def detect(today: datetime.date | None = None) -> int:
    """Run the enabled rules and add a signalement for each new hit; return how many were added.

    A local already flagged by a rule is not flagged again by it, whatever became of the first signalement.
    """
    today = today or timezone.localdate()
    active = {s.rule.code: s for s in settings() if s.enabled}
    existing = set(Signalement.objects.values_list("rule", "local_id", "permit_reference"))
    new: list[Signalement] = []
    local_rules = {code: check for code, check in rules.LOCAL_RULES.items() if code in active}
    if local_rules:
        # Only locals some rule could flag are read: low categories, vacant, or exonerated.
        candidates = Local.objects.filter(Q(category__in=(7, 8)) | Q(vacant=True) | ~Q(exoneration="")).only(
            "local_id",
            "parcel",
            "address",
            "affectation",
            "category",
            "rental_value",
            "year_built",
            "year_renovated",
            "vacant",
            "vacant_since",
            "exoneration",
            "exoneration_end",
        )
        for local in candidates.iterator(chunk_size=5000):
            for code, check in local_rules.items():
                if (code, local.local_id, "") not in existing and check(local, today.year, active[code].threshold):
                    new.append(_from_local(active[code].rule, local))
    if "construction_non_taxee" in active:
        setting = active["construction_non_taxee"]
        permits = list(Permit.objects.exclude(completed_on=None))
        on_parcels = defaultdict(list)
        for local in Local.objects.filter(parcel__in={p.parcel for p in permits}).only("parcel", "year_built"):
            on_parcels[local.parcel].append(local)
        for permit in permits:
            key = (setting.rule.code, "", permit.reference)
            if key not in existing and rules.untaxed_construction(
                permit, on_parcels[permit.parcel], today, setting.threshold
            ):
                new.append(
                    Signalement(
                        rule=setting.rule.code,
                        permit_reference=permit.reference,
                        parcel=permit.parcel,
                        address=permit.address,
                        reason=f"{setting.rule.label} : permis {permit.reference}, achèvement déclaré le "
                        f"{permit.completed_on:%d/%m/%Y}. {setting.rule.explanation}",
                        action=setting.rule.action,
                    )
                )
    Signalement.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)


def _from_local(rule: rules.Rule, local: Local) -> Signalement:
    return Signalement(
        rule=rule.code,
        local_id=local.local_id,
        parcel=local.parcel,
        address=local.address,
        category=local.category,
        rental_value=local.rental_value,
        reason=f"{rule.label}. {rule.explanation}",
        action=rule.action,
    )


def current_tfpb_rate() -> Decimal | None:
    """The commune's latest known TFPB rate (voted, else net)."""
    row = FiscalBase.objects.filter(tax=FiscalBase.Tax.TFPB).exclude(rate=None, voted_rate=None).first()
    return None if row is None else (row.voted_rate or row.rate)


@transaction.atomic
def record_outcome(
    signalement: Signalement, status: str, new_value: Decimal | None, decided_on: datetime.date | None
) -> Signalement:
    """Record the DGFiP's answer; an accepted signalement with a new VL gets its base and product gained."""
    signalement.status = status
    signalement.decided_on = decided_on
    signalement.new_rental_value = new_value
    if status == Signalement.Status.ACCEPTED and new_value is not None:
        signalement.base_gain, signalement.product_gain = rules.gains(
            signalement.rental_value, new_value, current_tfpb_rate()
        )
    else:
        signalement.base_gain = signalement.product_gain = None
    signalement.save()
    return signalement


EXPORT_HEADER = [
    "Identifiant du local",
    "Adresse",
    "Parcelle",
    "Catégorie actuelle",
    "VL actuelle (€)",
    "Motif",
    "Action proposée",
    "Statut",
    "Nouvelle VL (€)",
    "Base gagnée (€)",
    "Produit gagné (€)",
]


def export_rows():
    """The signalements as rows for the CCID's spreadsheet (columns :data:`EXPORT_HEADER`)."""
    for s in Signalement.objects.all():
        yield [
            s.local_id or f"Permis {s.permit_reference}",
            s.address,
            s.parcel,
            s.category,
            s.rental_value,
            s.reason,
            s.action,
            s.get_status_display(),
            s.new_rental_value,
            s.base_gain,
            s.product_gain,
        ]


PERMIT_COLUMNS = {
    "reference": ("numéro", "numero", "numéro du permis", "référence", "reference", "permis"),
    "parcel": ("parcelle", "idpar", "référence cadastrale"),
    "address": ("adresse", "adresse du terrain"),
    "description": ("objet", "nature des travaux", "description"),
    "granted_on": ("accordé le", "date de décision", "date d'autorisation", "date de délivrance"),
    "completed_on": ("daact", "daact le", "date daact", "date d'achèvement", "achèvement"),
}


@transaction.atomic
def import_permits(data: bytes) -> tuple[int, int]:
    """Create or update the permits of a CSV file (by number); all or nothing; (created, updated)."""
    from plugins.fiscal.cadastre import PARCEL_RE

    table = read_csv(data)
    known = {normalise_heading(a): name for name, aliases in PERMIT_COLUMNS.items() for a in aliases}
    fields = {h: known[h] for h in table.header if h in known}
    missing = [
        label for name, label in (("reference", "numéro"), ("parcel", "parcelle")) if name not in fields.values()
    ]
    if missing:
        raise ImportFailed([(1, f"Colonne(s) introuvable(s) dans la première ligne : {', '.join(missing)}.")])
    errors, permits, seen = [], [], {}
    for line, cells in table.rows:
        values = {fields[h]: v for h, v in cells.items() if h in fields}
        try:
            reference = values.get("reference", "")
            if not reference or len(reference) > 30:
                raise ValueError("numéro du permis absent ou trop long (30 caractères au plus)")
            parcel = values.get("parcel", "").upper().replace(" ", "")
            if not PARCEL_RE.fullmatch(parcel):
                raise ValueError(f"parcelle illisible « {parcel} » (14 caractères)")
            if reference in seen:
                raise ValueError(f"même numéro que la ligne {seen[reference]}")
            seen[reference] = line
            permits.append(
                {
                    "reference": reference,
                    "parcel": parcel,
                    "address": values.get("address", "")[:200],
                    "description": values.get("description", "")[:200],
                    "granted_on": parse_date(values.get("granted_on", "")),
                    "completed_on": parse_date(values.get("completed_on", "")),
                }
            )
        except ValueError as error:
            errors.append((line, str(error)))
    if errors:
        raise ImportFailed(errors)
    created = 0
    for values in permits:
        _, was_created = Permit.objects.update_or_create(reference=values.pop("reference"), defaults=values)
        created += was_created
    return created, len(permits) - created
