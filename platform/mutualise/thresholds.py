"""Public procurement thresholds (amounts HT) as dated reference data, and the procedure an estimate calls for.

The values change by decree (every two years for the European thresholds, occasionally for the national ones), so
each is held with the dates it is in force, never as a bare constant. The rule for choosing the date: thresholds are
those in force when the consultation is launched — the day the avis d'appel à la concurrence is sent, or, without
an avis, the day the buyer starts the consultation (article R2121-1 of the code de la commande publique).

Comparisons follow the code's wording: the dispense applies to a value *below* its threshold (R2122-8); publicity in
the BOAMP or a JAL from 90 000 € *and above* (R2131-12); formalised procedures from the European threshold *and
above* (R2124-1).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from django.utils.translation import gettext_lazy as _

Nature = Literal["fournitures_services", "travaux"]

# Threshold codes.
DISPENSE = "dispense"  # marché passé sans publicité ni mise en concurrence préalable (R2122-8)
PUBLICITE_BOAMP_JAL = "publicite_boamp_jal"  # MAPA with an avis in the BOAMP or a JAL (R2131-12)
FORMALISE = "formalise"  # procédure formalisée, collectivités territoriales (R2124-1, avis of the Commission)


@dataclass(frozen=True)
class Threshold:
    """One threshold value, for one nature of purchase, in force from ``valid_from`` to ``valid_to`` inclusive."""

    code: str
    nature: Nature
    amount: Decimal
    valid_from: datetime.date
    valid_to: datetime.date | None
    source: str

    def in_force(self, on: datetime.date) -> bool:
        return self.valid_from <= on and (self.valid_to is None or on <= self.valid_to)


D = datetime.date
FS, TX = "fournitures_services", "travaux"

THRESHOLDS: tuple[Threshold, ...] = (
    # Dispense de publicité et de mise en concurrence.
    Threshold(DISPENSE, FS, Decimal("40000"), D(2020, 1, 1), D(2026, 3, 31), "décret 2019-1344"),
    Threshold(DISPENSE, FS, Decimal("60000"), D(2026, 4, 1), None, "décret 2025-1386 du 29/12/2025"),
    Threshold(DISPENSE, TX, Decimal("100000"), D(2026, 1, 1), None, "décret 2025-1386 du 29/12/2025 (pérennisé)"),
    # Publicity in the BOAMP or a JAL, plus the profil d'acheteur.
    Threshold(PUBLICITE_BOAMP_JAL, FS, Decimal("90000"), D(2016, 4, 1), None, "article R2131-12 CCP"),
    Threshold(PUBLICITE_BOAMP_JAL, TX, Decimal("90000"), D(2016, 4, 1), None, "article R2131-12 CCP"),
    # European thresholds of formalised procedures, collectivités territoriales.
    Threshold(FORMALISE, FS, Decimal("221000"), D(2024, 1, 1), D(2025, 12, 31), "avis JORF du 09/12/2023"),
    Threshold(FORMALISE, FS, Decimal("216000"), D(2026, 1, 1), D(2027, 12, 31), "règlements délégués UE 2025"),
    Threshold(FORMALISE, TX, Decimal("5538000"), D(2024, 1, 1), D(2025, 12, 31), "avis JORF du 09/12/2023"),
    Threshold(FORMALISE, TX, Decimal("5404000"), D(2026, 1, 1), D(2027, 12, 31), "règlements délégués UE 2025"),
)


class ThresholdUnknown(LookupError):
    """No value is held for a threshold on the date asked (the data must be completed)."""


def thresholds_on(on: datetime.date, nature: Nature = FS) -> dict[str, Threshold]:
    """The thresholds in force on ``on`` for ``nature``, by code. Raises :class:`ThresholdUnknown` if one is missing."""
    found = {t.code: t for t in THRESHOLDS if t.nature == nature and t.in_force(on)}
    missing = [code for code in (DISPENSE, PUBLICITE_BOAMP_JAL, FORMALISE) if code not in found]
    if missing:
        raise ThresholdUnknown(
            f"Aucun seuil « {', '.join(missing)} » connu pour le {on:%d/%m/%Y} ({nature}) : "
            "complétez les données de mutualise.thresholds."
        )
    return found


@dataclass(frozen=True)
class ProcedureChoice:
    """What an estimated amount calls for on a date: the procedure, the publicity, and the threshold that decided."""

    code: str  # "gre_a_gre", "mapa", "mapa_publicite", "formalisee"
    label: str
    publicity: str
    on: datetime.date
    amount: Decimal
    thresholds: dict[str, Threshold]
    decisive: Threshold  # the threshold the amount was compared with last


def procedure_for(amount: Decimal, on: datetime.date, nature: Nature = FS) -> ProcedureChoice:
    """The procedure an estimated ``amount`` (HT, the whole need over the whole duration) calls for on ``on``.

    ``on`` is the launch date of the consultation (R2121-1); see the module's docstring for the comparisons.
    """
    amount = Decimal(amount)
    found = thresholds_on(on, nature)
    dispense, publicity, formalised = found[DISPENSE], found[PUBLICITE_BOAMP_JAL], found[FORMALISE]
    if amount < dispense.amount:
        code, label = "gre_a_gre", _("Marché sans publicité ni mise en concurrence préalables (R2122-8)")
        notice, decisive = _("Aucune publicité obligatoire ; plusieurs devis restent recommandés."), dispense
    elif amount < publicity.amount:
        code, label = "mapa", _("Procédure adaptée (MAPA)")
        notice, decisive = _("Publicité adaptée, librement choisie."), publicity
    elif amount < formalised.amount:
        code, label = "mapa_publicite", _("Procédure adaptée (MAPA) avec publicité")
        notice, decisive = (
            _("Avis au BOAMP ou dans un journal d'annonces légales, et sur le profil d'acheteur."),
            publicity,
        )
    else:
        code, label = "formalisee", _("Procédure formalisée (appel d'offres)")
        notice, decisive = _("Avis au BOAMP et au JOUE ; commission d'appel d'offres du groupement."), formalised
    return ProcedureChoice(code, str(label), str(notice), on, amount, found, decisive)
