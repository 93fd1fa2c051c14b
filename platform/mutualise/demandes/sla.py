"""Time counted the way a service level agreement counts it: in business hours, without French public holidays.

Plain functions over aware datetimes. The calendar is the intercommunality's: opening periods per weekday, in its
time zone, and the public holidays of France (from the ``holidays`` package, year by year).
"""

from __future__ import annotations

import datetime
import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import holidays

Period = tuple[datetime.time, datetime.time]

# Monday to Friday, 8:30–12:00 and 13:30–17:00: the usual opening hours of a town hall's services.
DEFAULT_HOURS: dict[int, tuple[Period, ...]] = {
    day: ((datetime.time(8, 30), datetime.time(12, 0)), (datetime.time(13, 30), datetime.time(17, 0)))
    for day in range(5)
}


@functools.cache
def french_public_holidays(year: int, subdivision: str | None = None) -> frozenset[datetime.date]:
    """The public holidays of France in ``year``: metropolitan ones, or those of a ``subdivision`` of the
    ``holidays`` package (``57`` Moselle, ``6AE`` Alsace, ``971``… overseas), which adds its own days."""
    return frozenset(holidays.France(years=year, subdiv=subdivision))


def holiday_subdivision(departement: str) -> str | None:
    """The ``holidays`` subdivision whose days off apply in ``departement``, or ``None`` for the common calendar.

    Alsace-Moselle keeps Good Friday and 26 December: Moselle (57) on its own, Bas-Rhin (67) and Haut-Rhin (68)
    as the Collectivité européenne d'Alsace; overseas départements have their own days (abolition of slavery).
    """
    code = (departement or "").strip().upper()
    if code in ("67", "68"):
        return "6AE"
    return code if code in holidays.France.subdivisions and code[:1].isdigit() else None


@dataclass(frozen=True)
class BusinessCalendar:
    """When the services work: opening periods per weekday (0 = Monday), a time zone, and days off."""

    hours: dict[int, tuple[Period, ...]] = field(default_factory=lambda: dict(DEFAULT_HOURS))
    timezone: str = "Europe/Paris"
    extra_days_off: frozenset[datetime.date] = frozenset()
    subdivision: str | None = None  # local public holidays, see ``holiday_subdivision``

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_working_day(self, day: datetime.date) -> bool:
        return (
            bool(self.hours.get(day.weekday()))
            and day not in french_public_holidays(day.year, self.subdivision)
            and day not in self.extra_days_off
        )

    def periods(self, day: datetime.date) -> list[tuple[datetime.datetime, datetime.datetime]]:
        """The working periods of ``day``, as aware datetimes; none on a day off."""
        if not self.is_working_day(day):
            return []
        return [
            (datetime.datetime.combine(day, start, self.zone), datetime.datetime.combine(day, end, self.zone))
            for start, end in self.hours[day.weekday()]
        ]

    def periods_from(self, moment: datetime.datetime) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
        """Working periods from ``moment`` on (the current one cut at ``moment``), for up to ten years."""
        local = moment.astimezone(self.zone)
        day = local.date()
        for _ in range(3660):
            for start, end in self.periods(day):
                if end > local:
                    yield max(start, local), end
            day += datetime.timedelta(days=1)


def add_business_minutes(start: datetime.datetime, minutes: int, calendar: BusinessCalendar) -> datetime.datetime:
    """The moment ``minutes`` business minutes after ``start``: a deadline."""
    if minutes <= 0:
        return start
    left = datetime.timedelta(minutes=minutes)
    for begin, end in calendar.periods_from(start):
        if end - begin >= left:
            return begin + left
        left -= end - begin
    raise ValueError("délai trop long pour le calendrier des services")


def business_minutes_between(
    start: datetime.datetime,
    end: datetime.datetime,
    calendar: BusinessCalendar,
    pauses: Iterable[tuple[datetime.datetime, datetime.datetime | None]] = (),
) -> int:
    """Business minutes from ``start`` to ``end``, leaving out the ``pauses`` (an open pause runs to ``end``)."""
    if end <= start:
        return 0
    total = datetime.timedelta()
    for begin, stop in calendar.periods_from(start):
        if begin >= end:
            break
        total += min(stop, end) - begin
    for pause_start, pause_end in pauses:
        pause_end = min(pause_end or end, end)
        pause_start = max(pause_start, start)
        if pause_end > pause_start:
            total -= datetime.timedelta(minutes=business_minutes_between(pause_start, pause_end, calendar))
    return max(0, int(total.total_seconds() // 60))


def deadline_with_pauses(
    start: datetime.datetime,
    minutes: int,
    calendar: BusinessCalendar,
    pauses: Iterable[tuple[datetime.datetime, datetime.datetime | None]] = (),
) -> datetime.datetime | None:
    """The deadline of a ``minutes`` target started at ``start``, pushed back by the closed ``pauses``.

    ``None`` while a pause is open: the clock is stopped, there is no deadline until it runs again.
    """
    paused = 0
    for pause_start, pause_end in pauses:
        if pause_end is None:
            return None
        paused += business_minutes_between(max(pause_start, start), pause_end, calendar)
    return add_business_minutes(start, minutes + paused, calendar)
