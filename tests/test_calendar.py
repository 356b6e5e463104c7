"""Working calendars: office hours, lunch breaks, weekends, holidays and make-up days."""

from datetime import date, datetime

import pytest

from streetchief.calendar import WorkCalendar

OFFICE = {d: [(8.5, 12.0), (14.5, 17.5)] for d in ("mon", "tue", "wed", "thu", "fri")}
START = datetime(2019, 10, 14)  # a Monday


@pytest.fixture
def office():
    return WorkCalendar(
        "office",
        START,
        60 * 24,
        OFFICE,
        holidays={date(2019, 10, 16)},
        workdays={date(2019, 10, 19)},
    )


def test_next_open(office):
    assert office.next_open(23.0) == 24 + 8.5  # Monday 23:00 → Tuesday 08:30
    assert office.next_open(9.0) == 9.0  # open now
    assert office.next_open(12.5) == 14.5  # lunch
    assert office.next_open(24 + 18) == 3 * 24 + 8.5  # Tue evening → Thu (Wed is a holiday)
    assert office.next_open(4 * 24 + 18) == 5 * 24 + 8.5  # Fri evening → Sat make-up working day
    assert office.next_open(5 * 24 + 18) == 7 * 24 + 8.5  # Sat evening → Monday


def test_advance_skips_closed_hours(office):
    assert office.advance(8.5, 3.5) == 12.0  # exactly the morning
    assert office.advance(11.0, 2.0) == 14.5 + 1.0  # over lunch
    assert office.advance(17.0, 1.0) == 24 + 8.5 + 0.5  # over the night
    assert office.advance(23.0, 0.0) == 23.0  # nothing to do takes no time
    assert office.advance(0.0, 6.5 * 2) == 24 + 17.5  # two full days of work


def test_always_open():
    cal = WorkCalendar("always", START, 100, None)
    assert cal.next_open(5.3) == 5.3 and cal.advance(5.3, 2) == 7.3 and cal.is_open(99)


def test_start_mid_day():
    cal = WorkCalendar("office", datetime(2019, 10, 14, 10, 0), 48, OFFICE)
    assert cal.is_open(0.0) and cal.next_open(2.5) == 4.5  # 12:30 → 14:30
