"""Business rules of the Informatique service, as plain functions: data in, data out.

Contracts: the end of the current term and the date limite de dénonciation, rolling forward with tacite reconduction.
Renewal plan: the replacement year of a device, out-of-warranty and unsupported-OS flags, and the forecast of
replacements per year.
"""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings

from plugins.informatique import os_support

# -- Contracts ------------------------------------------------------------------------------------------------------

# Days before a notice deadline when the commune's référents and the service's agents are reminded.
# An instance changes them with the setting INFORMATIQUE_CONTRACT_REMINDER_DAYS (e.g. ``(90, 30, 7)``).
DEFAULT_REMINDER_DAYS: tuple[int, ...] = (60, 15)
# A contract whose next notice deadline is this close is flagged on the list.
DEADLINE_WARNING_DAYS = 90


def reminder_days() -> tuple[int, ...]:
    """The days before each notice deadline when a reminder is sent, largest first."""
    days = getattr(settings, "INFORMATIQUE_CONTRACT_REMINDER_DAYS", DEFAULT_REMINDER_DAYS)
    return tuple(sorted({int(d) for d in days if int(d) >= 0}, reverse=True))


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` moved by ``months`` (negative: back), kept within the month: 31/01 + 1 month = 28 or 29/02."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def months_between(start: datetime.date, end: datetime.date) -> int:
    """Whole months from ``start`` to ``end`` (01/01/2024 → 31/12/2026 counts 35, → 01/01/2027 counts 36)."""
    months = (end.year - start.year) * 12 + end.month - start.month
    if add_months(start, months) > end:
        months -= 1
    return months


@dataclass(frozen=True)
class Term:
    """A contract's dates as the rules need them."""

    end_date: datetime.date
    tacit_renewal: bool = False
    renewal_months: int | None = None
    notice_months: int = 0
    denounced_on: datetime.date | None = None  # notice given: the contract stops at the end of that term

    @property
    def renews(self) -> bool:
        return bool(self.tacit_renewal and self.renewal_months)


def term_ends(term: Term) -> Iterable[datetime.date]:
    """The successive ends of the contract: the initial end, then one per renewal period if tacitly renewed.

    Once denounced, the contract stops at the end of the term whose notice deadline the denunciation met (or, if it
    came late, of the following term).
    """
    renewal = 0
    while True:
        # Counted from the initial end each time, so that 31/12 stays 31/12 and 29/02 is not lost for good.
        end = add_months(term.end_date, renewal * term.renewal_months) if renewal else term.end_date
        yield end
        if not term.renews:
            return
        if term.denounced_on is not None and notice_deadline(end, term.notice_months) >= term.denounced_on:
            return
        renewal += 1


def final_end(term: Term) -> datetime.date | None:
    """The last day of the contract, or ``None`` while it renews tacitly without end."""
    if term.renews and term.denounced_on is None:
        return None
    *_, last = term_ends(term)
    return last


def notice_deadline(end: datetime.date, notice_months: int) -> datetime.date:
    """The date limite de dénonciation for a term ending on ``end``: the notice (préavis) counted back from it."""
    return add_months(end, -notice_months)


def next_end_date(term: Term, on: datetime.date) -> datetime.date:
    """The end of the term running on ``on``: with tacite reconduction, the contract rolls forward period by period.

    A contract without tacit renewal that has ended keeps its end date (it is over).
    """
    end = term.end_date
    for end in term_ends(term):
        if end >= on:
            return end
    return end  # over: its last end


def next_notice_deadline(term: Term, on: datetime.date) -> datetime.date | None:
    """The next date limite de dénonciation on or after ``on``; ``None`` when there is none left.

    With tacite reconduction, once the deadline of a term has passed the contract is renewed for one more period,
    so the next deadline is the one of the following term. Without it, the deadline is that of the final end
    (the date to decide on a new contract); after it, ``None``. A denounced contract has none.
    """
    if term.denounced_on is not None:
        return None  # notice given: nothing left to decide
    for end in term_ends(term):
        deadline = notice_deadline(end, term.notice_months)
        if deadline >= on:
            return deadline
    return None


def cost_in_year(term: Term, start: datetime.date, annual_amount, year: int) -> Decimal:
    """The share of ``annual_amount`` falling in ``year``, pro rata of the days the contract runs in it."""
    if not annual_amount:
        return Decimal("0")
    first, last = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    end = final_end(term) or last
    days = (min(end, last) - max(start, first)).days + 1
    if days <= 0:
        return Decimal("0")
    return (Decimal(annual_amount) * days / ((last - first).days + 1)).quantize(Decimal("0.01"))


def end_for_deadline(term: Term, deadline: datetime.date) -> datetime.date:
    """The term end that ``deadline`` (a result of :func:`next_notice_deadline`) gives notice for."""
    for end in term_ends(term):
        if notice_deadline(end, term.notice_months) >= deadline:
            return end
    raise AssertionError("unreachable")  # pragma: no cover


# -- Demandes ------------------------------------------------------------------------------------------------------


def sla_outcome(taken_at, solved_at, take_charge_due, resolve_due, now) -> bool | None:
    """Whether a demande met its service levels (TTO and TTR): ``True``, ``False`` as soon as one is missed (even
    while still open), ``None`` while it is open and not yet late."""
    # As the platform's index counts it: taken in charge (or solved) after the first deadline, solved after the
    # second; a demande still open past a deadline has missed it already.
    missed_tto = take_charge_due is not None and (taken_at or solved_at or now) > take_charge_due
    missed_ttr = resolve_due is not None and (solved_at or now) > resolve_due
    if missed_tto or missed_ttr:
        return False
    return True if solved_at is not None else None


def share_met(outcomes: Iterable[bool | None]) -> float | None:
    """Percentage of demandes that met their service levels among those decided; ``None`` if none is."""
    decided = [o for o in outcomes if o is not None]
    return round(100 * sum(decided) / len(decided), 1) if decided else None


# -- Renewal plan ---------------------------------------------------------------------------------------------------

# Years a device is kept before it is replaced, by asset type. An instance overrides some or all of them with the
# setting INFORMATIQUE_LIFETIMES, e.g. ``{"pc": 6, "copieur": 7}``.
DEFAULT_LIFETIMES: dict[str, int] = {
    "pc": 5,
    "portable": 4,
    "serveur": 6,
    "imprimante": 6,
    "copieur": 5,
    "reseau": 8,
    "pare_feu": 6,
    "telephone": 4,
    "tablette": 4,
    "onduleur": 6,
    "videoprojecteur": 7,
}
# Replacement cost (€ HT) of a device whose purchase value is unknown; setting INFORMATIQUE_UNIT_COSTS overrides.
DEFAULT_UNIT_COSTS: dict[str, Decimal] = {
    "pc": Decimal("900"),
    "portable": Decimal("1100"),
    "serveur": Decimal("3500"),
    "imprimante": Decimal("350"),
    "copieur": Decimal("4500"),
    "reseau": Decimal("600"),
    "pare_feu": Decimal("1500"),
    "telephone": Decimal("250"),
    "tablette": Decimal("450"),
    "onduleur": Decimal("400"),
    "videoprojecteur": Decimal("800"),
}
FALLBACK_LIFETIME = 5


def lifetimes() -> dict[str, int]:
    """Lifetime in years per asset type: the defaults above, then the instance's own."""
    return {**DEFAULT_LIFETIMES, **{k: int(v) for k, v in getattr(settings, "INFORMATIQUE_LIFETIMES", {}).items()}}


def unit_costs() -> dict[str, Decimal]:
    """Default replacement cost per asset type (€ HT): the defaults above, then the instance's own."""
    own = getattr(settings, "INFORMATIQUE_UNIT_COSTS", {})
    return {**DEFAULT_UNIT_COSTS, **{k: Decimal(str(v)) for k, v in own.items()}}


def replacement_year(kind: str, purchase_date: datetime.date | None, table: Mapping[str, int] | None = None):
    """The year a device bought on ``purchase_date`` should be replaced: purchase year + lifetime of its type."""
    if purchase_date is None:
        return None
    table = lifetimes() if table is None else table
    return purchase_date.year + table.get(kind, FALLBACK_LIFETIME)


def out_of_warranty(warranty_end: datetime.date | None, on: datetime.date) -> bool:
    """Whether the warranty has ended by ``on`` (unknown warranty: not flagged)."""
    return warranty_end is not None and warranty_end < on


def unsupported_os(os_name: str, os_version: str, on: datetime.date) -> bool:
    """Whether the operating system no longer gets security updates on ``on`` (see :mod:`os_support`)."""
    end = os_support.end_of_support(os_name, os_version)
    return end is not None and end < on


@dataclass
class YearForecast:
    """Devices to replace in one year, and what it should cost (purchase value, else the type's unit cost)."""

    year: int
    count: int = 0
    cost: Decimal = Decimal("0")
    overdue: int = 0  # devices already past their replacement year, counted in the first year
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class FleetGroup:
    """Devices of one type bought the same year: ``valued`` of them have a purchase value, totalling ``value``."""

    kind: str
    purchase_year: int
    count: int
    valued: int = 0
    value: Decimal = Decimal("0")


def forecast(
    groups: Iterable[FleetGroup],
    first_year: int,
    years: int = 6,
    *,
    lifetime_table: Mapping[str, int] | None = None,
    cost_table: Mapping[str, Decimal] | None = None,
) -> list[YearForecast]:
    """Replacements per year from ``first_year`` for ``years`` years; devices overdue are due in the first year.

    Devices due after the last year are left out. Works on groups so that a whole fleet (or the union of every
    commune's, read in one query) is summed without loading each device.
    """
    lifetime_table = lifetimes() if lifetime_table is None else lifetime_table
    cost_table = unit_costs() if cost_table is None else cost_table
    plan = {year: YearForecast(year) for year in range(first_year, first_year + years)}
    for group in groups:
        due = group.purchase_year + lifetime_table.get(group.kind, FALLBACK_LIFETIME)
        if due >= first_year + years:
            continue
        row = plan[max(due, first_year)]
        row.count += group.count
        if due < first_year:
            row.overdue += group.count
        row.by_kind[group.kind] = row.by_kind.get(group.kind, 0) + group.count
        unknown = group.count - group.valued
        row.cost += group.value + unknown * cost_table.get(group.kind, Decimal("0"))
    return list(plan.values())


def groups_of(assets: Iterable) -> list[FleetGroup]:
    """Group devices (objects with ``kind``, ``purchase_date``, ``purchase_value``) by type and purchase year."""
    totals: dict[tuple[str, int], list] = {}
    for asset in assets:
        if asset.purchase_date is None:
            continue
        key = (asset.kind, asset.purchase_date.year)
        count, valued, value = totals.get(key, (0, 0, Decimal("0")))
        if asset.purchase_value is not None:
            valued, value = valued + 1, value + asset.purchase_value
        totals[key] = (count + 1, valued, value)
    return [FleetGroup(kind, year, *numbers) for (kind, year), numbers in sorted(totals.items())]


def average_age(purchase_dates: Iterable[datetime.date], on: datetime.date) -> float | None:
    """Average age in years of devices bought on ``purchase_dates``, on ``on``; ``None`` for no dated device."""
    ages = [(on - day).days / 365.25 for day in purchase_dates if day is not None]
    return round(sum(ages) / len(ages), 1) if ages else None
