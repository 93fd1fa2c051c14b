"""Business rules of the groupements d'achats as plain functions: statuses, the census, costs and savings."""

from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from plugins.achats.coordination.models import Groupement

S = Groupement.Status
CENT = Decimal("0.01")

# The life of a groupement: each status and the statuses it may move to.
NEXT_STATUSES: dict[str, tuple[str, ...]] = {
    S.PROJET: (S.CONVENTION,),
    S.CONVENTION: (S.RECENSEMENT, S.PROJET),
    S.RECENSEMENT: (S.RECENSEMENT_CLOS,),
    S.RECENSEMENT_CLOS: (S.CONSULTATION, S.RECENSEMENT),
    S.CONSULTATION: (S.ATTRIBUE,),
    S.ATTRIBUE: (S.EXECUTION,),
    S.EXECUTION: (S.CLOS,),
    S.CLOS: (),
}


@dataclass(frozen=True)
class GroupementFacts:
    """What the transition guards need to know about a groupement, read once by the caller."""

    articles: int
    priced_articles: int
    members: int
    answered: int
    total_value: Decimal


@dataclass(frozen=True)
class Transition:
    status: str
    label: str
    allowed: bool
    reason: str = ""


def _why_not(groupement: Groupement, target: str, facts: GroupementFacts, today: datetime.date) -> str:
    """The reason the move to ``target`` is refused, or ``""`` when it is allowed."""
    if target == S.CONVENTION:
        if not facts.articles:
            return _("Ajoutez au moins un article avant de soumettre la convention aux communes.")
        if not groupement.convention_text.strip():
            return _("Le texte de la convention constitutive est vide.")
    elif target == S.RECENSEMENT:
        if groupement.deadline < today:
            return _("La date limite du recensement (%(date)s) est passée : reportez-la d'abord.") % {
                "date": groupement.deadline.strftime("%d/%m/%Y")
            }
        if not facts.members:
            return _("Aucune commune n'est invitée : activez le service pour au moins une commune.")
    elif target == S.CONSULTATION:
        if not facts.answered:
            return _("Aucune commune n'a répondu au recensement.")
    elif target == S.ATTRIBUE:
        if not groupement.supplier.strip():
            return _("Indiquez le titulaire du marché.")
        if facts.priced_articles < facts.articles:
            return _("%(count)d article(s) sans prix unitaire attribué : importez le bordereau des prix.") % {
                "count": facts.articles - facts.priced_articles
            }
    return ""


def transitions(groupement: Groupement, facts: GroupementFacts, today: datetime.date) -> list[Transition]:
    """The statuses ``groupement`` could move to next, each allowed or not, with the reason why not."""
    labels = dict(S.choices)
    return [
        Transition(target, str(labels[target]), not (reason := _why_not(groupement, target, facts, today)), reason)
        for target in NEXT_STATUSES[groupement.status]
    ]


def census_refusal(groupement: Groupement, today: datetime.date) -> str:
    """Why a commune cannot record its answer now (``""`` when it can): only while the census is open."""
    if groupement.status != S.RECENSEMENT:
        if groupement.status in (S.PROJET,):
            return _("Le recensement des besoins n'est pas encore ouvert.")
        if groupement.status == S.CONVENTION:
            return _("Le recensement des besoins n'est pas encore ouvert : seule la délibération peut être saisie.")
        return _("Le recensement des besoins est clos : la réponse de la commune ne peut plus être modifiée.")
    if today > groupement.deadline:
        return _("La date limite du recensement (%(date)s) est passée : la réponse ne peut plus être modifiée.") % {
            "date": groupement.deadline.strftime("%d/%m/%Y")
        }
    return ""


def deliberation_refusal(groupement: Groupement, today: datetime.date) -> str:
    """Why the commune cannot record its deliberation now: from the convention until the census closes."""
    if groupement.status == S.CONVENTION:
        return ""
    return census_refusal(groupement, today)


def round_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def split_exactly(total: Decimal, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Share ``total`` in proportion to ``weights``, to the cent, the sum being exactly ``total``.

    Each share is first rounded down to the cent; the cents left over go one by one to the largest remainders
    (ties by key, so the result is the same every time). Zero weights everywhere: equal shares.
    """
    total = round_cents(Decimal(total))
    keys = sorted(weights)
    if not keys:
        return {}
    weight_sum = sum((Decimal(weights[k]) for k in keys), Decimal(0))
    if weight_sum <= 0:
        weights, weight_sum = {k: Decimal(1) for k in keys}, Decimal(len(keys))
    cents = int(total / CENT)
    exact = {k: Decimal(cents) * Decimal(weights[k]) / weight_sum for k in keys}
    floors = {k: int(exact[k]) for k in keys}  # toward zero: totals are never negative
    left = cents - sum(floors.values())
    for key in sorted(keys, key=lambda k: (-(exact[k] - floors[k]), k))[:left]:
        floors[key] += 1
    return {k: Decimal(floors[k]) * CENT for k in keys}


def allocate_costs(
    total: Decimal,
    key: str,
    *,
    populations: Mapping[str, int],
    amounts: Mapping[str, Decimal],
) -> dict[str, Decimal]:
    """Each member's share (by INSEE code) of the procedure costs ``total``, by the groupement's cost ``key``.

    ``populations`` and ``amounts`` (value ordered or estimated) are keyed by the members' INSEE codes; with the
    ``communaute`` key every member's share is zero. The shares add up to ``total`` exactly.
    """
    members = sorted(set(populations) | set(amounts))
    if key == Groupement.CostKey.COMMUNITY:
        return {code: Decimal("0.00") for code in members}
    if key == Groupement.CostKey.EQUAL:
        weights = {code: Decimal(1) for code in members}
    elif key == Groupement.CostKey.POPULATION:
        weights = {code: Decimal(populations.get(code) or 0) for code in members}
    else:
        weights = {code: Decimal(amounts.get(code) or 0) for code in members}
    return split_exactly(total, weights)


@dataclass(frozen=True)
class Saving:
    before: Decimal  # quantities × previous prices
    after: Decimal  # quantities × awarded prices
    amount: Decimal
    percent: Decimal | None


def savings(lines: Sequence[tuple[Decimal, Decimal | None, Decimal | None]]) -> Saving:
    """Savings over ``(quantity, previous unit price, awarded unit price)`` lines, rounded to the cent.

    Lines without both prices are left out (nothing to compare). ``percent`` is ``None`` when nothing compares.
    """
    before = after = Decimal(0)
    for quantity, previous, awarded in lines:
        if previous is None or awarded is None:
            continue
        before += Decimal(quantity) * Decimal(previous)
        after += Decimal(quantity) * Decimal(awarded)
    before, after = round_cents(before), round_cents(after)
    amount = before - after
    percent = (amount * 100 / before).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP) if before else None
    return Saving(before, after, amount, percent)
