"""The actors of the seed story, as Mesa agents. Issues are data that flow between them."""
from __future__ import annotations

import math
from collections import deque
from heapq import heappush
from typing import TYPE_CHECKING, Callable

import mesa

from streetchief.calendar import WorkCalendar

if TYPE_CHECKING:
    from streetchief.district import DistrictModel


class ServicePool:
    """c identical servers (clerks, crews, a chief's time) working FIFO on a calendar.

    A server taken while the calendar is closed starts at the next opening; work only
    progresses during open hours. With an always-open calendar this is exactly an M/M/c station.
    """

    __slots__ = ("model", "name", "calendar", "always", "free", "queue", "busy_hours", "served")

    def __init__(self, model: "DistrictModel", name: str, servers: int, calendar: WorkCalendar):
        self.model, self.name, self.calendar = model, name, calendar
        self.always = calendar.always          # hot path: no calendar look-ups around the clock
        self.free = servers
        self.queue: deque = deque()
        self.busy_hours = 0.0
        self.served = 0

    def request(self, i: int, work: float, on_start: Callable | None, on_done: Callable) -> None:
        if self.free:
            self.free -= 1
            self._start(i, work, on_start, on_done)
        else:
            self.queue.append((i, work, on_start, on_done))

    def _start(self, i, work, on_start, on_done):
        model = self.model
        if self.always:
            start = model.now
            end = start + work
        else:
            start = self.calendar.next_open(model.now)
            end = self.calendar.advance(start, work)
        self.busy_hours += work
        if on_start is not None:
            on_start(i, start)
        if end == model.now:                    # model.at, inlined: this is the hottest call
            model._now_queue.append((self._finish, (i, on_done)))
        elif end != math.inf:
            heappush(model._heap, (end, next(model._seq), self._finish, (i, on_done)))

    def _finish(self, job):
        i, on_done = job
        self.served += 1
        if self.queue:
            self._start(*self.queue.popleft())
        else:
            self.free += 1
        on_done(i)


class Merchant(mesa.Agent):
    """A shop, enterprise, school, bank or agency along a zone; reports what it sees if it still trusts
    that reporting helps, and keeps its own frontage (门前三包)."""

    def __init__(self, model, zone: str, number: int, willingness: float):
        super().__init__(model)
        self.zone = zone
        self.name = f"{zone}/{number:03d}"
        self.willingness = willingness
        self.reports = 0

    def experience(self, ack_hours: float, resolution_hours: float) -> None:
        """Fast acknowledgement and resolution raise the willingness to report; being ignored lowers it."""
        r = self.model.spec.merchants.reporting
        if not r.adaptive:
            return
        if ack_hours <= r.satisfied_ack_hours and resolution_hours <= r.satisfied_resolution_hours:
            self.willingness += r.learning_rate * (1.0 - self.willingness)
        else:
            self.willingness -= r.learning_rate * (self.willingness - r.min_willingness)


class StreetChief(mesa.Agent):
    """A district leader (街长) responsible for some zones, with limited hours for this duty."""

    def __init__(self, model, key: str, calendar: WorkCalendar):
        super().__init__(model)
        self.key = key
        self.zones: list[int] = []
        self.time_on_site = ServicePool(model, f"chief {key}", 1, calendar)   # one person, one place at a time
        self.hours = 0.0
        self.found = 0


class LiaisonOfficer(mesa.Agent):
    """Watches one liaison group (联络群) around the clock and acknowledges posts."""

    def __init__(self, model, group: str):
        super().__init__(model)
        self.group = group
        self.acknowledged = 0


class Department(mesa.Agent):
    """A responsible unit with crews on a working calendar, optional on-call crews at night, and a
    responsiveness that rises while it is under sanction."""

    def __init__(self, model, key: str, spec, calendar: WorkCalendar, always: WorkCalendar, travel):
        super().__init__(model)
        self.key = key
        self.crews = ServicePool(model, key, spec.crews, calendar)
        self.on_call = ServicePool(model, f"{key} on call", spec.on_call_crews, always) if spec.on_call_crews else None
        self.travel = travel
        self.sanctioned_until = -math.inf
        self.sanction_level = 0        # consecutive inspections with overdue issues
        self.sanctions_by_kind = dict.fromkeys(SANCTIONS, 0)
        self.praises = 0
        self.resolved = 0

    @property
    def sanctions(self) -> int:
        return sum(self.sanctions_by_kind.values())

    def responsiveness(self, sanction_factor: float) -> float:
        """Multiplier on claim delays: below 1 while sanctioned."""
        return sanction_factor if self.model.now < self.sanctioned_until else 1.0

    def fix(self, i: int, urgent: bool, then: Callable) -> None:
        pool = self.on_call if urgent and self.on_call is not None and not self.crews.calendar.is_open(self.model.now) \
            else self.crews
        pool.request(i, self.travel() + self.model.issue_work[i], None, then)


# escalating with each consecutive inspection that finds overdue issues: 通报, 媒体曝光, 约谈问责
SANCTIONS = ("notice", "exposure", "accountability_talk")


class InspectionGroup(mesa.Agent):
    """督查考核组: inspects periodically; departments with overdue issues are sanctioned (notice, exposure,
    accountability talk), which makes them respond faster for a while; departments with none are praised."""

    def __init__(self, model, interval_hours: float, sanction_hours: float):
        super().__init__(model)
        self.interval_hours, self.sanction_hours = interval_hours, sanction_hours
        self.inspections = 0
        model.schedule_event(self.inspect, after=interval_hours)

    def inspect(self) -> None:
        model = self.model
        self.inspections += 1
        now = model.now
        overdue = set()
        for i in model.open_issues:
            if model.rec_deadline[i] < now:
                overdue.add(model.rec_department[i])
        for k, dept in enumerate(model.department_list):
            if k in overdue:
                dept.sanctions_by_kind[SANCTIONS[min(dept.sanction_level, len(SANCTIONS) - 1)]] += 1
                dept.sanction_level += 1
                dept.sanctioned_until = now + self.sanction_hours
            else:
                dept.sanction_level = 0
                if dept.resolved:
                    dept.praises += 1
        model.schedule_event(self.inspect, after=self.interval_hours)
