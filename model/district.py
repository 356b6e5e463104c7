"""DistrictModel: the Mesa model that plays one arrangement against a set of problems.

Two event lists run merged in time order: Mesa's (`schedule_event`) carries the agents' own
rhythm (patrols, inspections, backlog samples), and a plain heap carries the per-issue hot path,
which Mesa's list runs about 25× slower (measured: 145k vs 3.9M events/s).
"""
from __future__ import annotations

import itertools
import math
from collections import deque
from heapq import heappop, heappush
from typing import Callable

import mesa
import numpy as np

from model.agents import Department, InspectionGroup, LiaisonOfficer, Merchant, StreetChief
from model.calendar import WorkCalendar
from model.distributions import sampler
from model.issues import CHIEF, MERCHANT, Problems, arrangement_seed
from model.scenario import Scenario

NAN = math.nan


class DistrictModel(mesa.Model):
    def __init__(self, scenario: Scenario, arrangement: str, problems: Problems, seed: int | None = None,
                 progress: Callable[[float], None] | None = None):
        from model.arrangements import ARRANGEMENTS

        seed = scenario.run.seed if seed is None else seed
        super().__init__(rng=np.random.default_rng(arrangement_seed(seed, arrangement)))
        self._default_schedule.stop()          # event-driven: no unit-time ticking
        # `spec`, not `scenario`: mesa.Model already has a `scenario` attribute of its own
        self.spec, self.problems, self.end = scenario, problems, problems.horizon
        self._heap: list = []
        self._seq = itertools.count()
        self._now_queue: deque = deque()   # events due at the current time, in scheduling order
        self._mesa_next = math.inf

        hol, work = set(scenario.holidays), set(scenario.workdays)
        self.calendars = {k: WorkCalendar(k, scenario.run.start, self.end, c.spans(), hol, work)
                          for k, c in scenario.calendars.items()}
        self.always = WorkCalendar("always", scenario.run.start, self.end, None)

        # agents
        self.zone_keys = list(scenario.zones)
        self.category_keys = list(scenario.categories)
        self.category_list = list(scenario.categories.values())
        w0 = scenario.merchants.reporting.initial_willingness
        self._adaptive = scenario.merchants.reporting.adaptive     # merchants learn from what happens
        self.merchants_by_zone = [[Merchant(self, zk, k + 1, w0) for k in range(z.merchants)]
                                  for zk, z in scenario.zones.items()]
        self.chiefs = {k: StreetChief(self, k, self.calendars[c.calendar]) for k, c in scenario.chiefs.items()}
        for zi, z in enumerate(scenario.zones.values()):
            self.chiefs[z.chief].zones.append(zi)
        self.liaisons = {g: LiaisonOfficer(self, g) for g in scenario.liaison_groups}
        self.department_keys = list(scenario.departments)
        self.department_list = [Department(self, k, d, self.calendars[d.calendar], self.always,
                                           sampler(d.travel, self.rng))
                                for k, d in scenario.departments.items()]
        self.category_department = [self.department_keys.index(c.department) for c in self.category_list]

        # per-issue records, one slot per problem; reported ones are written out
        n = len(problems)
        self.rec_reported = [NAN] * n
        self.rec_ack = [NAN] * n
        self.rec_dispatched = [NAN] * n
        self.rec_resolved = [NAN] * n
        self.rec_closed = [NAN] * n
        self.rec_deadline = [NAN] * n
        self.rec_department = [-1] * n
        self.rec_hops = [0] * n
        self.rec_bounces = [0] * n
        self.rec_coordinated = [False] * n
        self.rec_reporter: list = [None] * n
        self.rec_discovered: list = [None] * n
        self.open_issues: set[int] = set()
        self.unreported: list[list[int]] = [[] for _ in self.zone_keys]   # problems left in the street, per zone
        self.self_fixed = 0
        self.backlog_samples: list[tuple[float, int]] = []

        self.arrangement = ARRANGEMENTS[arrangement](self, scenario.arrangement_params(arrangement))
        self.inspection = None
        insp = getattr(self.arrangement.params, "inspection", None)
        if insp is not None and insp.enabled:
            self.inspection = InspectionGroup(self, insp.interval_days * 24, insp.sanction_days * 24)
        self._times = problems.time.tolist()
        # the problems' columns as lists: the hot path reads single items, ~5× faster from a list than numpy
        self.issue_zone, self.issue_category = problems.zone.tolist(), problems.category.tolist()
        self.issue_work, self.issue_unclear = problems.work.tolist(), problems.unclear.tolist()
        self._merchant_u, self._report_u = problems.merchant_u.tolist(), problems.report_u.tolist()
        self._self_fix_u = problems.self_fix_u.tolist()
        self._next = 0
        if n:
            self.at(self._times[0], self._problem_arises, 0)
        self.schedule_event(self._sample_backlog, at=0.0)
        self._progress = progress
        if progress is not None:
            self.schedule_event(self._report_progress, at=min(24.0, self.end))

    # Mesa's `time` is an observable signal, ~10× slower to set than an attribute and set on every event:
    # here it is a plain alias of `now`, so that both names always tell the current time.
    @property
    def time(self) -> float:
        return self.now

    @time.setter
    def time(self, value: float) -> None:
        self.now = value

    # --- the event calendar -------------------------------------------------------------
    def at(self, t: float, fn: Callable, arg) -> None:
        """Schedule fn(arg) at time t on the per-issue event heap (hot path). Events due now skip the heap
        and wait in a FIFO: they run after the heap's events due now, which were all scheduled before
        them, so the order is exactly the heap's (time, then scheduling order)."""
        if t == self.now:
            self._now_queue.append((fn, arg))
        else:
            heappush(self._heap, (t, next(self._seq), fn, arg))

    def schedule_event(self, function, *, at=None, after=None, **kw):
        ev = super().schedule_event(function, at=at, after=after, **kw)
        self._mesa_next = min(self._mesa_next, ev.time)
        return ev

    def run(self) -> "DistrictModel":
        heap, events, end, now_queue = self._heap, self._event_list, self.end, self._now_queue
        while True:
            if now_queue and not (heap and heap[0][0] == self.now):
                fn, arg = now_queue.popleft()
                fn(arg)
                continue
            t_issue = heap[0][0] if heap else math.inf
            if t_issue <= self._mesa_next:
                if t_issue > end:
                    break
                t, _, fn, arg = heappop(heap)
                self.now = t
                fn(arg)
            else:
                if self._mesa_next > end:
                    break
                event = events.pop_event()
                self.now = event.time
                self._mesa_next = math.inf
                event.execute()
                self._mesa_next = min(self._mesa_next, events.peek_ahead(1)[0].time if not events.is_empty()
                                      else math.inf)
        self.now = end
        return self

    # --- what happens to every problem, whatever the arrangement ------------------------
    def _problem_arises(self, i: int) -> None:
        p = self.problems
        if i + 1 < len(self._times):
            self.at(self._times[i + 1], self._problem_arises, i + 1)
        if p.replayed:
            return self._replayed_report(i)
        cat = self.category_list[self.issue_category[i]]
        if cat.frontage and self._self_fix_u[i] < self.spec.merchants.frontage_self_fix_share:
            self.self_fixed += 1
            return
        merchant = self._merchant_of(i)
        if self._report_u[i] < merchant.willingness:
            merchant.reports += 1
            self.report(i, merchant.name, MERCHANT)
        else:
            self.unreported[self.issue_zone[i]].append(i)

    def _replayed_report(self, i: int) -> None:
        """An issue from a log: reported now, by the chief of its zone or a merchant along it."""
        p = self.problems
        if p.found_by_chief is not None and p.found_by_chief[i]:
            chief = self.chiefs[self.spec.zones[self.zone_keys[p.zone[i]]].chief]
            chief.found += 1
            self.report(i, chief.key, CHIEF)
        else:
            merchant = self._merchant_of(i)
            merchant.reports += 1
            self.report(i, merchant.name, MERCHANT)
        if p.reporters is not None and p.reporters[i]:
            self.rec_reporter[i] = p.reporters[i]

    def _merchant_of(self, i: int) -> Merchant:
        """The merchant who sees problem i (drawn with the problem, so the same in every arrangement)."""
        zone = self.merchants_by_zone[self.issue_zone[i]]
        return zone[int(self._merchant_u[i] * len(zone))]

    def report(self, i: int, reporter, discovered_by: str) -> None:
        """Issue i enters the run now; from here on it leaves a record."""
        now = self.now
        self.rec_reported[i] = now
        self.rec_reporter[i] = reporter
        self.rec_discovered[i] = discovered_by
        k = self.issue_category[i]
        self.rec_deadline[i] = now + self.category_list[k].deadline_hours
        self.rec_department[i] = self.category_department[k]
        self.open_issues.add(i)
        self.arrangement.receive(i)

    def acknowledge(self, i: int, at: float | None = None) -> None:
        self.rec_ack[i] = self.now if at is None else at

    def dispatch(self, i: int, at: float | None = None) -> None:
        self.rec_dispatched[i] = self.now if at is None else at

    def resolve(self, i: int) -> None:
        self.rec_resolved[i] = self.now
        self.open_issues.discard(i)
        self.department_list[self.rec_department[i]].resolved += 1

    def close(self, i: int) -> None:
        """Feedback has reached the reporter: the loop is closed."""
        self.rec_closed[i] = self.now
        if self._adaptive and self.rec_discovered[i] == MERCHANT:
            self._merchant_of(i).experience(
                self.rec_ack[i] - self.rec_reported[i], self.rec_resolved[i] - self.rec_reported[i])

    def fix(self, i: int) -> None:
        """Send the responsible department's crew; `arrangement.fixed(i)` follows."""
        cat = self.category_list[self.issue_category[i]]
        self.department_list[self.rec_department[i]].fix(i, cat.urgent, self.arrangement.fixed)

    # --- Mesa-scheduled rhythm ------------------------------------------------------------
    def _sample_backlog(self) -> None:
        self.backlog_samples.append((self.time, len(self.open_issues)))
        step = self.spec.run.backlog_sample_hours
        if self.time + step <= self.end:
            self.schedule_event(self._sample_backlog, after=step)

    def _report_progress(self) -> None:
        self._progress(self.time)
        if self.time < self.end:
            self.schedule_event(self._report_progress, at=min(self.time + 24.0, self.end))


def run_arrangement(scenario: Scenario, arrangement: str, problems: Problems | None = None,
                    seed: int | None = None, days: float | None = None, progress=None) -> DistrictModel:
    """Run one arrangement on the scenario's problems (generated from the seed unless given)."""
    if problems is None:
        problems = Problems.generate(scenario, seed, days)
    return DistrictModel(scenario, arrangement, problems, seed, progress).run()
