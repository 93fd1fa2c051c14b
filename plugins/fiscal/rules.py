"""Business rules of the Observatoire fiscal as plain functions: indicators, and the anomaly rules for the CCID.

Data in, data out: no query here. Amounts are :class:`~decimal.Decimal`; an indicator that cannot be computed (no
population, no previous year, no articles) is ``None``, shown as "—".
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from plugins.fiscal.reference import TFPB_BASE_SHARE, revaluation

CENT = Decimal("0.01")

# -- Indicators ---------------------------------------------------------------------------------------------------


def per_inhabitant(amount: Decimal | None, population: int | None) -> Decimal | None:
    """``amount`` divided by the population, to the cent; ``None`` without amount or population."""
    if amount is None or not population:
        return None
    return (Decimal(amount) / population).quantize(CENT, ROUND_HALF_UP)


def evolution(current: Decimal | None, previous: Decimal | None) -> Decimal | None:
    """The change from ``previous`` to ``current`` as a ratio (0.05 for +5 %); ``None`` if either is missing or 0."""
    if current is None or not previous:
        return None
    return Decimal(current) / Decimal(previous) - 1


def evolution_net_of_revaluation(current: Decimal | None, previous: Decimal | None, year: int) -> Decimal | None:
    """The change of a base from ``year - 1`` to ``year`` once the legal revaluation of ``year`` is taken out.

    What is left is the physical growth of the base (new buildings, corrections) and the effect of rate-independent
    changes (exonerations). ``None`` when the revaluation of ``year`` is unknown.
    """
    rate = revaluation(year)
    if rate is None or current is None or not previous:
        return None
    return Decimal(current) / (Decimal(previous) * (1 + rate)) - 1


def average_rental_value(base: Decimal | None, articles: int | None) -> Decimal | None:
    """The average base per tax article (REI E11/E14); ``None`` without articles."""
    if base is None or not articles:
        return None
    return (Decimal(base) / articles).quantize(CENT, ROUND_HALF_UP)


def share_of_categories(counts: Mapping[int, int], categories: Iterable[int] = (7, 8)) -> Decimal | None:
    """The share of dwellings in ``categories`` among the dwellings counted per category (0.12 for 12 %)."""
    total = sum(counts.values())
    if not total:
        return None
    return Decimal(sum(counts.get(c, 0) for c in categories)) / total


@dataclass(frozen=True)
class Aggregate:
    """The communes' figures for one tax and year, as a commune may see them: no commune's own row."""

    communes: int
    mean_rate: Decimal | None
    median_rate: Decimal | None
    weighted_rate: Decimal | None  # total product / total base: the rate of the territory as a whole
    median_base_per_inhabitant: Decimal | None


def aggregate(rows: Sequence[Mapping]) -> Aggregate:
    """Aggregate the rows (``rate``, ``base``, ``product``, ``population``) of several communes for one tax and year."""
    rates = [Decimal(r["rate"]) for r in rows if r.get("rate") is not None]
    bases = [Decimal(r["base"]) for r in rows if r.get("base") is not None and r.get("product") is not None]
    products = [Decimal(r["product"]) for r in rows if r.get("base") is not None and r.get("product") is not None]
    per_head = [
        per_inhabitant(r["base"], r.get("population"))
        for r in rows
        if r.get("base") is not None and r.get("population")
    ]
    return Aggregate(
        communes=len(rows),
        mean_rate=(sum(rates) / len(rates)).quantize(Decimal("0.001")) if rates else None,
        median_rate=Decimal(statistics.median(rates)).quantize(Decimal("0.001")) if rates else None,
        weighted_rate=(sum(products) / sum(bases) * 100).quantize(Decimal("0.001")) if sum(bases) else None,
        median_base_per_inhabitant=Decimal(statistics.median(per_head)).quantize(CENT) if per_head else None,
    )


def rate_gap(rate: Decimal | None, reference: Decimal | None) -> Decimal | None:
    """The commune's rate minus a reference rate, in points; ``None`` if either is missing."""
    if rate is None or reference is None:
        return None
    return Decimal(rate) - Decimal(reference)


@dataclass(frozen=True)
class TaxIndicators:
    tax: str
    year: int
    base: Decimal | None
    rate: Decimal | None
    product: Decimal | None
    articles: int | None
    base_per_inhabitant: Decimal | None
    product_per_inhabitant: Decimal | None
    average_base_per_article: Decimal | None
    evolution: Decimal | None
    evolution_net: Decimal | None


def tax_indicators(rows: Sequence[Mapping], population: int | None) -> list[TaxIndicators]:
    """Indicators per tax and year from a commune's REI rows (``year``, ``tax``, ``base``, ``rate``, ``product``,
    ``articles``), newest year first; the evolution compares with the same tax the year before."""
    by_key = {(r["year"], r["tax"]): r for r in rows}
    result = []
    for (year, tax), row in sorted(by_key.items(), key=lambda item: (-item[0][0], item[0][1])):
        previous = by_key.get((year - 1, tax), {}).get("base")
        result.append(
            TaxIndicators(
                tax=tax,
                year=year,
                base=row.get("base"),
                rate=row.get("rate"),
                product=row.get("product"),
                articles=row.get("articles"),
                base_per_inhabitant=per_inhabitant(row.get("base"), population),
                product_per_inhabitant=per_inhabitant(row.get("product"), population),
                average_base_per_article=average_rental_value(row.get("base"), row.get("articles")),
                evolution=evolution(row.get("base"), previous),
                evolution_net=evolution_net_of_revaluation(row.get("base"), previous, year),
            )
        )
    return result


# -- Anomaly rules ------------------------------------------------------------------------------------------------

HABITATION = "H"


@dataclass(frozen=True)
class Rule:
    """An anomaly rule: its code, French label and explanation, its threshold and the action it proposes."""

    code: str
    label: str
    explanation: str
    threshold: int
    threshold_label: str
    action: str


RULES: tuple[Rule, ...] = (
    Rule(
        "categorie_recente",
        "Habitation récente classée en catégorie 7 ou 8",
        "Les catégories 7 (médiocre) et 8 (très médiocre) décrivent des logements anciens, sans confort. Un "
        "logement construit ou rénové depuis peu y est probablement mal classé : sa valeur locative est sous-évaluée.",
        25,
        "construit ou rénové depuis moins de (années)",
        "Demander à la DGFiP le reclassement du local (catégorie 5 ou 6 selon le confort constaté).",
    ),
    Rule(
        "vacance_longue",
        "Local vacant depuis longtemps",
        "Un logement vacant depuis plusieurs années peut relever de la taxe sur les logements vacants (THLV) là où "
        "la commune l'a instituée, ou être en réalité occupé : la situation déclarée est à vérifier.",
        2,
        "vacant depuis au moins (années)",
        "Vérifier l'occupation réelle (visite, consommation d'eau) et signaler la situation à la DGFiP.",
    ),
    Rule(
        "construction_non_taxee",
        "Construction achevée mais pas encore imposée",
        "Un permis dont l'achèvement (DAACT) est déclaré depuis plusieurs mois devrait avoir donné un local imposé "
        "sur la parcelle ; aucun local construit depuis le permis n'y figure dans le fichier cadastral.",
        12,
        "achevée depuis au moins (mois)",
        "Signaler la construction à la DGFiP pour qu'elle relance la déclaration H1/H2 du propriétaire.",
    ),
    Rule(
        "exoneration_expiree",
        "Exonération arrivée à échéance",
        "L'année de retour à l'imposition est passée mais le local porte toujours une exonération : elle aurait dû "
        "prendre fin.",
        0,
        "années de tolérance après l'échéance",
        "Demander à la DGFiP la fin de l'exonération et l'imposition du local.",
    ),
)
RULES_BY_CODE = {rule.code: rule for rule in RULES}


def recent_low_category(local, year: int, threshold: int) -> bool:
    """A dwelling in category 7 or 8 built or renovated less than ``threshold`` years before ``year``."""
    if local.affectation != HABITATION or local.category not in (7, 8):
        return False
    latest = max(y for y in (local.year_built, local.year_renovated, 0) if y is not None)
    return latest > 0 and year - latest < threshold


def long_vacancy(local, year: int, threshold: int) -> bool:
    """A local declared vacant since at least ``threshold`` years before ``year``."""
    return bool(local.vacant) and local.vacant_since is not None and year - local.vacant_since >= threshold


def expired_exoneration(local, year: int, threshold: int) -> bool:
    """A local still exonerated although its year of return to taxation is more than ``threshold`` years past."""
    return bool(local.exoneration) and local.exoneration_end is not None and year - local.exoneration_end > threshold


def untaxed_construction(permit, locals_on_parcel: Sequence, today, threshold_months: int) -> bool:
    """A permit completed (DAACT) ``threshold_months`` ago or more, with no local built since on its parcel."""
    if permit.completed_on is None:
        return False
    months = (today.year - permit.completed_on.year) * 12 + today.month - permit.completed_on.month
    if months < threshold_months:
        return False
    since = (permit.granted_on or permit.completed_on).year
    return not any((local.year_built or 0) >= since for local in locals_on_parcel)


LOCAL_RULES = {
    "categorie_recente": recent_low_category,
    "vacance_longue": long_vacancy,
    "exoneration_expiree": expired_exoneration,
}


def gains(old_value: Decimal | None, new_value: Decimal | None, rate: Decimal | None) -> tuple[Decimal, Decimal]:
    """The TFPB base and product gained when a local's valeur locative goes from ``old_value`` to ``new_value``.

    The TFPB base is half the valeur locative (art. 1388 CGI); the product is that base times the commune's rate.
    """
    base = ((Decimal(new_value or 0) - Decimal(old_value or 0)) * TFPB_BASE_SHARE).quantize(CENT, ROUND_HALF_UP)
    product = (base * Decimal(rate or 0) / 100).quantize(CENT, ROUND_HALF_UP)
    return base, product
