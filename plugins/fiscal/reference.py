"""Dated reference data of the Observatoire fiscal: the legal revaluation of the valeurs locatives.

The coefficient is voted each year (art. 1518 bis CGI, indexed on the IPCH); a new year is one line here, never a
constant in the code that uses it. Sources: AMF note BW42961, elus.cfmel.fr (revaluation 2023–2026).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Revaluation:
    """The legal revaluation of the valeurs locatives of ``year`` (``rate``: 0.071 for +7.1 %)."""

    year: int
    rate: Decimal
    source: str


REVALUATIONS: tuple[Revaluation, ...] = (
    Revaluation(2023, Decimal("0.071"), "art. 1518 bis CGI ; AMF BW42961"),
    Revaluation(2024, Decimal("0.039"), "art. 1518 bis CGI ; AMF BW42961"),
    Revaluation(2025, Decimal("0.017"), "art. 1518 bis CGI ; AMF BW42961"),
    Revaluation(2026, Decimal("0.008"), "art. 1518 bis CGI ; AMF BW42961"),
)


def revaluation(year: int) -> Decimal | None:
    """The revaluation rate of ``year``, or ``None`` when the product does not know it."""
    return next((r.rate for r in REVALUATIONS if r.year == year), None)


# Share of the valeur locative that forms the TFPB base (abattement of 50 % on built property, art. 1388 CGI).
TFPB_BASE_SHARE = Decimal("0.5")
