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

from streetchief.agents import Department, InspectionGroup, LiaisonOfficer, Merchant, StreetChief
from streetchief.calendar import WorkCalendar
from streetchief.distributions import sampler
from streetchief.issues import CHIEF, MERCHANT, Problems, ProblemStream, arrangement_seed
from streetchief.scenario import Scenario

NAN = math.nan


class DistrictModel(mesa.Model):
    def __init__(self, scenario: Scenario, arrangement: str, problems: Problems, seed: int | None = None,
                 progress: Callable[[float], None] | None = None):
        from streetchief.arrangements import ARRANGEMENTS

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

        # Per-issue state lives in lists indexed by the issue's slot. Normally slot = problem number; a
        # streamed run reuses the slots of closed issues (their records written out), so that memory
        # follows the issues open at once, not all issues of the run.
        self.streamed = isinstance(problems, ProblemStream)
        self.capacity = 4096 if self.streamed else len(problems)
        self._per_issue: list[tuple[list, object]] = []
        self.rec_reported = self.per_issue(NAN)
        self.rec_ack = self.per_issue(NAN)
        self.rec_dispatched = self.per_issue(NAN)
        self.rec_resolved = self.per_issue(NAN)
        self.rec_closed = self.per_issue(NAN)
        self.rec_deadline = self.per_issue(NAN)
        self.rec_department = self.per_issue(-1)
        self.rec_hops = self.per_issue(0)
        self.rec_bounces = self.per_issue(0)
        self.rec_coordinated = self.per_issue(False)
        self.rec_reporter: list = self.per_issue(None)
        self.rec_discovered: list = self.per_issue(None)
        self.open_issues: set[int] = set()
        self.unreported: list[list[int]] = [[] for _ in self.zone_keys]   # problems left in the street, per zone
        self.self_fixed = 0
        self.backlog_samples: list[tuple[float, int]] = []

        self.arrangement = ARRANGEMENTS[arrangement](self, scenario.arrangement_params(arrangement))
        self.inspection = None
        insp = getattr(self.arrangement.params, "inspection", None)
        if insp is not None and insp.enabled:
            self.inspection = InspectionGroup(self, insp.interval_days * 24, insp.sanction_days * 24)
        if self.streamed:
            n_reset = len(self._per_issue)     # the problem's own columns below are written, not reset
            self.issue_zone, self.issue_category = self.per_issue(0), self.per_issue(0)
            self.issue_work, self.issue_unclear = self.per_issue(0.0), self.per_issue(False)
            self._merchant_u, self._report_u, self._self_fix_u = self.per_issue(0.0), self.per_issue(0.0), \
                self.per_issue(1.0)
            self.issue_number = self.per_issue(-1)
            self._reset_lists = self._per_issue[:n_reset]
            self._free = list(range(self.capacity - 1, -1, -1))
            self._chunks = problems.chunks()
            self._chunk, self._chunk_pos = self._next_chunk(), 0
            self.problems_arisen = 0
            self.sink = None           # set by the caller: where closed issues' records go
            if self._chunk is not None:
                self.at(self._chunk.time[0], self._stream_arrival, None)
        else:
            self._times = problems.time.tolist()
            # the problems' columns as lists: the hot path reads single items, ~5× faster than from numpy
            self.issue_zone, self.issue_category = problems.zone.tolist(), problems.category.tolist()
            self.issue_work, self.issue_unclear = problems.work.tolist(), problems.unclear.tolist()
            self._merchant_u, self._report_u = problems.merchant_u.tolist(), problems.report_u.tolist()
            self._self_fix_u = problems.self_fix_u.tolist()
            self.problems_arisen = len(problems)
            if len(problems):
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

    def per_issue(self, default) -> list:
        """A list with one entry per issue slot, starting at `default` (and reset to it when a streamed
        run gives the slot to a new issue). Arrangements keep their per-issue state in these."""
        lst = [default] * self.capacity
        self._per_issue.append((lst, default))
        return lst

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
        if i + 1 < len(self._times):
            self.at(self._times[i + 1], self._problem_arises, i + 1)
        self._arisen(i)

    def _arisen(self, i: int) -> None:
        p = self.problems
        if p.replayed:
            return self._replayed_report(i)
        cat = self.category_list[self.issue_category[i]]
        if cat.frontage and self._self_fix_u[i] < self.spec.merchants.frontage_self_fix_share:
            self.self_fixed += 1
            if self.streamed:
                self._free.append(i)
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
        if self.streamed:             # nothing refers to a closed issue: write it out, free its slot
            self.sink.add(self, i)
            self._free.append(i)

    def fix(self, i: int) -> None:
        """Send the responsible department's crew; `arrangement.fixed(i)` follows."""
        cat = self.category_list[self.issue_category[i]]
        self.department_list[self.rec_department[i]].fix(i, cat.urgent, self.arrangement.fixed)

    # --- streamed runs: problems a day at a time, slots reused --------------------------------
    def _next_chunk(self):
        for chunk in self._chunks:
            if chunk.time:
                return chunk
        return None

    def _stream_arrival(self, _) -> None:
        c, k = self._chunk, self._chunk_pos
        if not self._free:
            self._grow()
        s = self._free.pop()
        for lst, default in self._reset_lists:
            lst[s] = default
        self.issue_zone[s], self.issue_category[s] = c.zone[k], c.category[k]
        self.issue_work[s], self.issue_unclear[s] = c.work[k], c.unclear[k]
        self._merchant_u[s], self._report_u[s], self._self_fix_u[s] = c.merchant_u[k], c.report_u[k], c.self_fix_u[k]
        self.issue_number[s] = c.first + k
        self.problems_arisen += 1
        k += 1
        if k == len(c.time):
            c, k = self._next_chunk(), 0
        self._chunk, self._chunk_pos = c, k
        if c is not None:
            self.at(c.time[k], self._stream_arrival, None)
        self._arisen(s)

    def _grow(self) -> None:
        old = self.capacity
        self.capacity = 2 * old
        for lst, default in self._per_issue:
            lst.extend([default] * old)
        self._free.extend(range(self.capacity - 1, old - 1, -1))

    def flush_open(self) -> None:
        """At the end of a streamed run: write out the issues still open."""
        free = set(self._free)
        held = [s for s in range(self.capacity) if s not in free and self.rec_reported[s] == self.rec_reported[s]]
        for s in sorted(held, key=self.issue_number.__getitem__):
            self.sink.add(self, s)

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
