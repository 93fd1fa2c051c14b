"""Business-hours arithmetic of service level agreements: opening hours, lunch, weekends, French public holidays."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from mutualise.demandes.sla import (
    BusinessCalendar,
    add_business_minutes,
    business_minutes_between,
    deadline_with_pauses,
    french_public_holidays,
)

PARIS = ZoneInfo("Europe/Paris")
CAL = BusinessCalendar()


def at(day: str, hour: str = "00:00") -> datetime.datetime:
    return datetime.datetime.fromisoformat(f"{day}T{hour}").replace(tzinfo=PARIS)


def test_french_public_holidays_2026():
    days = french_public_holidays(2026)
    assert datetime.date(2026, 4, 6) in days  # lundi de Pâques
    assert datetime.date(2026, 5, 14) in days  # Ascension
    assert datetime.date(2026, 5, 25) in days  # lundi de Pentecôte
    assert datetime.date(2026, 7, 14) in days and datetime.date(2026, 11, 11) in days
    assert len(days) == 11


@pytest.mark.parametrize(
    ("start", "minutes", "expected"),
    [
        (at("2026-11-26", "09:00"), 60, at("2026-11-26", "10:00")),  # Thursday morning
        (at("2026-11-26", "11:30"), 60, at("2026-11-26", "14:00")),  # over lunch
        (at("2026-11-27", "16:00"), 240, at("2026-11-30", "11:30")),  # Friday afternoon to Monday
        (at("2026-11-28", "10:00"), 30, at("2026-11-30", "09:00")),  # opened on a Saturday
        (at("2026-11-10", "16:30"), 60, at("2026-11-12", "09:00")),  # 11 November is off
        (at("2026-12-24", "16:00"), 7 * 60, at("2026-12-28", "16:00")),  # Christmas, then the weekend
        (at("2026-11-26", "07:00"), 0, at("2026-11-26", "07:00")),
    ],
)
def test_deadlines_in_business_time(start, minutes, expected):
    assert add_business_minutes(start, minutes, CAL) == expected


def test_daylight_saving_change_keeps_wall_clock_hours():
    # 25 October 2026: clocks go back; a Friday 16:00 + 2 business hours ends Monday 9:30, local time.
    assert add_business_minutes(at("2026-10-23", "16:00"), 120, CAL) == at("2026-10-26", "09:30")


def test_minutes_between_leave_out_nights_weekends_and_pauses():
    assert business_minutes_between(at("2026-11-26", "09:00"), at("2026-11-26", "15:00"), CAL) == 3 * 60 + 90
    assert business_minutes_between(at("2026-11-27", "16:00"), at("2026-11-30", "09:30"), CAL) == 120
    assert business_minutes_between(at("2026-11-27", "16:00"), at("2026-11-26", "09:30"), CAL) == 0
    paused = [(at("2026-11-26", "10:00"), at("2026-11-26", "11:00"))]
    assert business_minutes_between(at("2026-11-26", "09:00"), at("2026-11-26", "12:00"), CAL, paused) == 120
    still_waiting = [(at("2026-11-26", "10:00"), None)]
    assert business_minutes_between(at("2026-11-26", "09:00"), at("2026-11-26", "12:00"), CAL, still_waiting) == 60


def test_waiting_on_the_commune_pushes_the_deadline_back():
    start = at("2026-11-26", "09:00")
    assert deadline_with_pauses(start, 240, CAL) == at("2026-11-26", "14:30")
    pauses = [(at("2026-11-26", "10:00"), at("2026-11-26", "11:00"))]
    assert deadline_with_pauses(start, 240, CAL, pauses) == at("2026-11-26", "15:30")
    assert deadline_with_pauses(start, 240, CAL, [(at("2026-11-26", "10:00"), None)]) is None


def test_a_calendar_of_its_own():
    mornings = BusinessCalendar(
        hours={d: ((datetime.time(9), datetime.time(12)),) for d in range(5)},
        extra_days_off=frozenset({datetime.date(2026, 11, 30)}),
    )
    assert add_business_minutes(at("2026-11-27", "11:00"), 120, mornings) == at("2026-12-01", "10:00")
