"""Working calendars: map hours since the scenario start to calendar time and back.

A calendar is a set of open intervals (office hours, day shifts, a chief's duty hours) laid out
over the run as sorted arrays, with the cumulative open hours at each interval start, so that
"when does it next open?" and "when is 3 working hours of work done?" are one bisection each.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from datetime import date, datetime, timedelta

import numpy as np

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def parse_hhmm(text: str) -> float:
    h, m = text.split(":")
    return int(h) + int(m) / 60


class WorkCalendar:
    """Open hours of one kind of worker over the run (plus a margin so late work still finishes)."""

    def __init__(
        self,
        name: str,
        start: datetime,
        horizon_hours: float,
        weekly: dict[str, list[tuple[float, float]]] | None,
        holidays: set[date] = frozenset(),
        workdays: set[date] = frozenset(),
    ):
        self.name = name
        self.always = weekly is None
        if self.always:
            return
        days = int(math.ceil(horizon_hours / 24)) + 60
        origin = datetime(start.year, start.month, start.day)
        offset = (start - origin).total_seconds() / 3600  # scenario start within its first day
        starts, ends = [], []
        for d in range(days):
            day = (origin + timedelta(days=d)).date()
            key = DAYS[day.weekday()]
            if day in holidays:
                continue
            if day in workdays and not weekly.get(key):
                key = "mon"  # a make-up working day (调休) follows a weekday's hours
            for a, b in weekly.get(key, ()):
                s, e = d * 24 + a - offset, d * 24 + b - offset
                if e > 0:
                    starts.append(max(s, 0.0))
                    ends.append(e)
        if not starts:  # validation catches this for run.start; a replay moves the start
            from streetchief.errors import ScenarioError

            raise ScenarioError(
                f"the run from {start:%Y-%m-%d}",
                [
                    f"calendars.{name}: no open hour from {start:%Y-%m-%d} to 60 days after the "
                    "run's end (holidays cover every open day); nothing that needs it could be "
                    "done"
                ],
            )
        self.starts = np.asarray(starts)
        self.ends = np.asarray(ends)
        self.cum = np.concatenate([[0.0], np.cumsum(self.ends - self.starts)])
        self._starts = self.starts.tolist()
        self._ends = self.ends.tolist()
        self._cum = self.cum.tolist()

    def is_open(self, t: float) -> bool:
        if self.always:
            return True
        k = bisect_right(self._starts, t) - 1
        return k >= 0 and t < self._ends[k]

    def next_open(self, t: float) -> float:
        """The earliest time ≥ t at which the calendar is open."""
        if self.always:
            return t
        k = bisect_right(self._starts, t) - 1
        if k >= 0 and t < self._ends[k]:
            return t
        if k + 1 >= len(self._starts):
            return math.inf
        return self._starts[k + 1]

    def advance(self, t: float, work: float) -> float:
        """When `work` open hours, started at t, are done."""
        if self.always or work <= 0:
            return t + work
        k = bisect_right(self._starts, t) - 1
        if k >= 0 and t < self._ends[k]:
            done = self._cum[k] + (t - self._starts[k]) + work
        else:
            done = self._cum[k + 1] + work
        j = bisect_right(self._cum, done) - 1
        if j > 0 and self._cum[j] == done:
            # finish at the close of the previous interval, not at the next opening
            return self._ends[j - 1]
        if j >= len(self._starts):
            return math.inf
        return self._starts[j] + (done - self._cum[j])

    def open_hours(self, a: float, b: float) -> float:
        """Open hours between times a and b (what a worker on this calendar is on duty)."""
        if b <= a:
            return 0.0
        if self.always:
            return b - a
        return self._worked_by(b) - self._worked_by(a)

    def _worked_by(self, t: float) -> float:
        """Open hours from the start of the run to t."""
        k = bisect_right(self._starts, t) - 1
        if k < 0:
            return 0.0
        return self._cum[k] + min(t, self._ends[k]) - self._starts[k]
