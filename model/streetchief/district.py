"""DistrictModel: the district's actors, an arrangement and its components, playing the problems.

Problems arise at their times (`problems.py`); a merchant who sees one reports it, or not, or fixes
its own frontage; a reported problem becomes an issue (`issues.py`) and goes to the arrangement,
which drives it through the model's lifecycle steps below until its feedback closes the loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from streetchief.agents import Department, LiaisonOfficer, Merchant, StreetChief
from streetchief.arrangements import ARRANGEMENTS
from streetchief.calendar import WorkCalendar
from streetchief.components import build_components
from streetchief.engine import EventModel
from streetchief.issues import CHIEF, MERCHANT, PATROL, PUBLIC, IssueBook
from streetchief.problems import Problems, ProblemStream, arrangement_seed
from streetchief.records.schema import CANCELLED, EXPIRED, NO_ACTION
from streetchief.scenario import Scenario
from streetchief.scenario.schema import MERCHANTS

STREAM_SLOTS = (
    4096  # slots a streamed run starts with (it doubles them when more issues are open at once)
)


class DistrictModel(EventModel):
    """The Mesa model of one district under one arrangement.

    `spec` is the scenario (`mesa.Model` has a `scenario` attribute of its own); `issues` the issues
    in flight; `chiefs`, `liaisons`, `departments` and `merchants_by_zone` the actors; `components`
    the mechanisms the arrangement switched on. `run()` plays the problems to the end of the run.
    """

    def __init__(
        self,
        scenario: Scenario,
        arrangement: str,
        problems: Problems | ProblemStream,
        seed: int | None = None,
        progress: Callable[[float], None] | None = None,
    ):
        seed = scenario.run.seed if seed is None else seed
        super().__init__(rng=np.random.default_rng(arrangement_seed(seed, arrangement)))
        self.spec, self.problems, self.end = scenario, problems, problems.horizon
        hol, work = set(scenario.holidays), set(scenario.workdays)
        self.calendars = {
            k: WorkCalendar(k, scenario.run.start, self.end, c.spans(), hol, work)
            for k, c in scenario.calendars.items()
        }
        self.always = WorkCalendar("always", scenario.run.start, self.end, None)
        self._build_actors()

        self.streamed = isinstance(problems, ProblemStream)
        if self.streamed:
            self.issues = IssueBook(STREAM_SLOTS)
        else:
            self.issues = IssueBook(
                len(problems),
                {
                    "arisen_at": problems.time.tolist(),
                    "zone": problems.zone.tolist(),
                    "category": problems.category.tolist(),
                    "work": problems.work.tolist(),
                    "unclear": problems.unclear.tolist(),
                    "closure_u": problems.closure_u.tolist(),
                    "reopen_u": problems.reopen_u.tolist(),
                    "lead": problems.lead.tolist(),
                },
            )
        # problems left in the street, per zone, in the order they arose (a dict: they also leave
        # it when reported by someone else, or when they end by themselves)
        self.unreported: list[dict[int, None]] = [{} for _ in self.zone_keys]
        self.expired_unreported: list[tuple[float, float]] = []  # (arose, ended) of those
        self.self_fixed = 0
        self.self_fixed_at: list[float] = []  # when each problem a merchant fixed arose
        self.problems_arisen = 0
        self.backlog_samples: list[tuple[float, int]] = []
        self.on_report: list[Callable[[int], None]] = []  # components that watch each new issue

        self.arrangement = ARRANGEMENTS[arrangement](self, scenario.arrangement_params(arrangement))
        hears = self.arrangement.params.hears
        self.observer_keys = list(scenario.observers)
        self._merchant_reach = hears.get(MERCHANTS, 0.0)
        self._reach = np.array([hears.get(k, 0.0) for k in self.observer_keys])
        self.components = build_components(self, self.arrangement)
        self._start_arrivals()
        self.every(scenario.run.backlog_sample_hours, self._sample_backlog, start=0.0, end=self.end)
        self._progress = progress
        if progress is not None:
            self.schedule_event(self._report_progress, at=min(24.0, self.end))

    def _build_actors(self) -> None:
        sc = self.spec
        self.zone_keys = list(sc.zones)
        self.category_keys = list(sc.categories)
        self.category_list = list(sc.categories.values())
        self.department_keys = list(sc.departments)
        w0 = sc.merchants.reporting.initial_willingness
        self._adaptive = sc.merchants.reporting.adaptive  # merchants learn from what happens
        self.merchants_by_zone = [
            [Merchant(self, zk, k + 1, w0) for k in range(z.merchants)]
            for zk, z in sc.zones.items()
        ]
        self.chiefs = {
            k: StreetChief(self, k, self.calendars[c.calendar]) for k, c in sc.chiefs.items()
        }
        for zi, z in enumerate(sc.zones.values()):
            self.chiefs[z.chief].zones.append(zi)
        self.liaisons = {g: LiaisonOfficer(self, g) for g in sc.liaison_groups}
        self.chief_of_zone = [self.chiefs[z.chief] for z in sc.zones.values()]
        self.liaison_of_zone = [self.liaisons[z.liaison_group] for z in sc.zones.values()]
        self.departments = []
        for k, d in sc.departments.items():
            response = sc.response_of(k)
            crews = self.calendars[d.calendar]
            take_on = self.calendar_named(response.calendar, own=crews)
            self.departments.append(
                Department(self, k, d, response, crews, take_on, self.always, self.rng)
            )
        self.category_department = [
            self.department_keys.index(c.department) for c in self.category_list
        ]

    def run(self) -> DistrictModel:
        """Play every problem to the end of the run."""
        self.run_until(self.end)
        return self

    # --- the lifecycle steps, whatever the arrangement ---------------------------------------
    def report(self, i: int, reporter, discovered_by: str) -> None:
        """Issue i enters the run now; from here on it leaves a record."""
        issues, now = self.issues, self.now
        issues.reported_at[i] = now
        issues.reporter[i] = reporter
        issues.discovered_by[i] = discovered_by
        k = issues.category[i]
        issues.deadline_at[i] = now + self.category_list[k].deadline_hours
        issues.department[i] = self.category_department[k]
        issues.open.add(i)
        for watch in self.on_report:
            watch(i)
        self.arrangement.receive(i)

    def acknowledge(self, i: int, at: float | None = None) -> None:
        self.issues.acknowledged_at[i] = self.now if at is None else at

    def calendar_named(self, name: str, own: WorkCalendar) -> WorkCalendar:
        """A calendar as the scenario names it where a department's hours are meant: `own` (the
        department's crews' calendar, given), `always`, or a calendar's key."""
        if name == "own":
            return own
        if name == "always":
            return self.always
        return self.calendars[name]

    def dispatch(self, i: int, at: float | None = None) -> None:
        """The responsible department has taken issue i on; it may close it there without a fix
        (withdrawn by the reporter, or nothing to do), as its `department_response` says."""
        issues = self.issues
        issues.dispatched_at[i] = self.now if at is None else at
        if issues.ended_how[i] is None:
            r = self.departments[issues.department[i]].response
            u = issues.closure_u[i]
            if u < r.cancelled:
                self.end_unfixed(i, CANCELLED)
            elif u < r.cancelled + r.no_action:
                self.end_unfixed(i, NO_ACTION)

    def end_unfixed(self, i: int, how: str) -> None:
        """Issue i's problem is over without a fix (`how`: expired, cancelled, no_action); the issue
        goes on to its closure (the reporter is told), but nothing is left to fix."""
        issues = self.issues
        issues.ended_at[i], issues.ended_how[i] = self.now, how
        issues.open.discard(i)

    def fix(self, i: int) -> None:
        """Send the responsible department's crew (after the category's lead time, if it has one);
        `arrangement.fixed(i)` follows. An issue closed at its taking on needs no crew."""
        how = self.issues.ended_how[i]
        if how is not None and how != EXPIRED:
            self.arrangement.fixed(i)
            return
        lead = self.category_list[self.issues.category[i]].lead_hours + self.issues.lead[i]
        if lead > 0:
            self.after(lead, self._send_crew, i)
        else:
            self._send_crew(i)

    def _send_crew(self, i: int) -> None:
        issues = self.issues
        dept = self.departments[issues.department[i]]
        work = 0.0 if issues.ended_how[i] is not None else issues.work[i]  # gone: travel only
        dept.fix(i, work, self.category_list[issues.category[i]].urgent, self.arrangement.fixed)

    def resolve(self, i: int) -> None:
        """The crew has fixed issue i's problem (unless it had ended by itself: nothing to fix)."""
        issues = self.issues
        if issues.ended_how[i] is not None:
            return
        issues.resolved_at[i] = self.now
        issues.open.discard(i)
        self.departments[issues.department[i]].resolved += 1

    def close(self, i: int) -> None:
        """Feedback has reached the reporter: the loop is closed, unless the fix did not hold (the
        reporter says so): then the issue reopens and the department takes it on again."""
        issues = self.issues
        if issues.ended_how[i] is None:
            fails, k = self.departments[issues.department[i]].response.fix_fails, issues.reopened[i]
            if fails and issues.reopen_u[i] < fails ** (k + 1):
                issues.reopened[i] = k + 1
                issues.resolved_at[i] = math.nan
                issues.open.add(i)
                self.arrangement.reopened(i)
                return
        issues.closed_at[i] = self.now
        merchant = issues.merchant[i]
        if (
            self._adaptive
            and merchant is not None
            and issues.discovered_by[i] == MERCHANT
            and issues.ended_how[i] is None
        ):
            reported = issues.reported_at[i]
            merchant.experience(
                issues.acknowledged_at[i] - reported, issues.resolved_at[i] - reported
            )
        if self.streamed:  # nothing refers to a closed issue: write it out, free its slot
            self.sink.add(self, i)
            issues.free_slot(i)

    # --- problems arise ------------------------------------------------------------------------
    def _start_arrivals(self) -> None:
        p = self.problems
        if self.streamed:
            self.sink = None  # set by the caller: where closed issues' records go
            self._chunks = p.chunks()
            self._chunk, self._chunk_pos = self._next_chunk(), 0
            if self._chunk is not None:
                self.at(self._chunk.time[0], self._streamed_problem_arises, None)
            return
        self._times = p.time.tolist()
        self._merchant_u, self._report_u = p.merchant_u.tolist(), p.report_u.tolist()
        self._self_fix_u, self._lifetime = p.self_fix_u.tolist(), p.lifetime.tolist()
        self._heard = self._heard_sightings(p.sightings, len(p))
        self.problems_arisen = len(p)
        if len(p):
            self.at(self._times[0], self._problem_arises, 0)

    def _heard_sightings(self, s, n: int):
        """Of others' sightings (`Sightings`), those this arrangement hears: (first index of each
        problem's, their kinds, their delays) as lists."""
        heard = s.u < self._reach[s.kind] if len(s.u) else np.zeros(0, bool)
        problem = s.problem[heard]
        first = np.searchsorted(problem, np.arange(n + 1)).tolist()
        return first, s.kind[heard].tolist(), s.delay[heard].tolist()

    def _problem_arises(self, i: int) -> None:
        if i + 1 < len(self._times):
            self.at(self._times[i + 1], self._problem_arises, i + 1)
        if self.problems.replayed:
            self._replayed_report(i)
            self._lasts(i, self._lifetime[i])
        else:
            if self._seen(i, self._merchant_u[i], self._report_u[i], self._self_fix_u[i]):
                self._in_street(i, self._lifetime[i], self._heard, i)

    def _seen(self, i: int, merchant_u: float, report_u: float, self_fix_u: float) -> bool:
        """A merchant sees problem i: fixes its frontage, reports it (if this arrangement's channels
        reach it), or leaves it in the street. False if the merchant fixed it."""
        cat = self.category_list[self.issues.category[i]]
        if cat.frontage and self_fix_u < self.spec.merchants.frontage_self_fix_share:
            self.self_fixed += 1
            self.self_fixed_at.append(self.now)
            if self.streamed:
                self.issues.free_slot(i)
            return False
        merchant = self._merchant_of(i, merchant_u)
        if report_u < merchant.willingness * self._merchant_reach:
            merchant.reports += 1
            self.issues.merchant[i] = merchant
            self.report(i, merchant.name, MERCHANT)
        else:
            self.unreported[self.issues.zone[i]][i] = None
        return True

    def _in_street(self, i: int, lifetime: float, heard, k: int) -> None:
        """Problem i stays in the street: it may end by itself, and the others who see it (the
        `k`-th problem's sightings in `heard`) may report it."""
        self._lasts(i, lifetime)
        first, kinds, delays = heard
        for j in range(first[k], first[k + 1]):
            self._sighting(i, delays[j], kinds[j])

    def _lasts(self, i: int, lifetime: float) -> None:
        """Problem i ends by itself after `lifetime` hours, if nobody has fixed it by then."""
        t = self.now + lifetime
        if t < self.end:
            self.at(t, self._expires, (i, self.now))

    def _expires(self, job) -> None:
        i, arisen = job
        issues = self.issues
        if issues.arisen_at[i] != arisen:  # a streamed run gave the slot to another problem
            return
        zone = self.unreported[issues.zone[i]]
        if i in zone:  # gone before anyone reported it
            del zone[i]
            self.expired_unreported.append((arisen, self.now))
            if self.streamed:
                issues.free_slot(i)
        elif i in issues.open:
            self.end_unfixed(i, EXPIRED)

    def _sighting(self, i: int, delay: float, kind: int) -> None:
        t = self.now + delay
        if t < self.end:
            self.at(t, self._sighted, (i, self.now, kind))

    def _sighted(self, job) -> None:
        """Someone other than the merchant reports problem i: an issue, if it is still in the
        street; a duplicate, if it is reported and still open."""
        i, arisen, kind = job
        issues = self.issues
        if issues.arisen_at[i] != arisen:
            return
        zone = self.unreported[issues.zone[i]]
        if i in zone:
            del zone[i]
            self.report(i, self.observer_keys[kind], PUBLIC)
        elif i in issues.open:
            issues.duplicates[i] += 1

    def _replayed_report(self, i: int) -> None:
        """An issue from a log: reported now, by the chief of its zone or a merchant along it."""
        p = self.problems
        if p.found_by_chief is not None and p.found_by_chief[i]:
            chief = self.chief_of_zone[p.zone[i]]
            chief.found += 1
            self.report(i, chief.key, CHIEF)
        elif p.found_by_patrol is not None and p.found_by_patrol[i]:
            self.report(i, PATROL, PATROL)  # the log's reporter, if it names one, below
        else:
            merchant = self._merchant_of(i, self._merchant_u[i])
            merchant.reports += 1
            self.issues.merchant[i] = merchant
            self.report(i, merchant.name, MERCHANT)
        if p.reporters is not None and p.reporters[i]:
            self.issues.reporter[i] = p.reporters[i]

    def _merchant_of(self, i: int, u: float) -> Merchant:
        """The merchant who sees problem i (drawn with it, so the same in every arrangement)."""
        zone = self.merchants_by_zone[self.issues.zone[i]]
        return zone[int(u * len(zone))]

    def take_unreported(self, zone: int, detection: float):
        """The unreported problems of a zone that a patrol finds, each with chance `detection`, one
        at a time (each is reported before the next is looked at); they leave the street."""
        street = self.unreported[zone]
        for i in list(street):
            if self.rng.random() < detection:
                del street[i]
                yield i

    # --- streamed runs: problems a window at a time, slots reused --------------------------------
    def _next_chunk(self):
        for chunk in self._chunks:
            if chunk.time:
                self._chunk_heard = self._heard_sightings(chunk.sightings, len(chunk.time))
                return chunk
        return None

    def _streamed_problem_arises(self, _) -> None:
        c, k = self._chunk, self._chunk_pos
        issues = self.issues
        s = issues.take_slot()
        issues.zone[s], issues.category[s] = c.zone[k], c.category[k]
        issues.work[s], issues.unclear[s] = c.work[k], c.unclear[k]
        issues.closure_u[s], issues.reopen_u[s] = c.closure_u[k], c.reopen_u[k]
        issues.lead[s] = c.lead[k]
        issues.number[s], issues.arisen_at[s] = c.first + k, c.time[k]
        merchant_u, report_u, self_fix_u = c.merchant_u[k], c.report_u[k], c.self_fix_u[k]
        lifetime, heard, seen = c.lifetime[k], self._chunk_heard, k
        self.problems_arisen += 1
        k += 1
        if k == len(c.time):
            c, k = self._next_chunk(), 0
        self._chunk, self._chunk_pos = c, k
        if c is not None:
            self.at(c.time[k], self._streamed_problem_arises, None)
        if self._seen(s, merchant_u, report_u, self_fix_u):
            self._in_street(s, lifetime, heard, seen)

    def flush_open(self) -> None:
        """At the end of a streamed run: write out the issues still open."""
        for s in sorted(self.issues.held_slots(), key=self.issues.number.__getitem__):
            self.sink.add(self, s)

    # --- rhythms on Mesa's event list -------------------------------------------------------------
    def _sample_backlog(self) -> None:
        self.backlog_samples.append((self.time, len(self.issues.open)))

    def _report_progress(self) -> None:
        self._progress(self.time)
        if self.time < self.end:
            self.schedule_event(self._report_progress, at=min(self.time + 24.0, self.end))

    @property
    def chief_hours(self) -> float:
        """Hours the street chiefs spent on this duty: on-site coordination and patrols."""
        return sum(c.hours for c in self.chiefs.values())

    def engagement(self) -> float:
        """The campaign's engagement now: 1, unless the engagement component replaces this."""
        return 1.0

    def ledger(self) -> dict:
        """Every official's hours over the run, by role (`arrangements.base.Role`); crews apart."""
        from streetchief.arrangements.base import Role

        roles = dict(self.arrangement.ledger())
        if self.chief_hours:
            roles["chiefs"] = Role(busy_hours=self.chief_hours)
        patrols = self.components.get("patrol")
        if patrols is not None and patrols.discovered_by != CHIEF:
            busy = sum(o.hours for o in patrols.patrollers)
            standby = max(patrols.on_duty_hours() - busy, 0.0)
            roles["patrol_officers"] = Role(busy_hours=busy, standby_hours=standby)
        accepted = sum(d.acceptances * d.response.acceptance_hours for d in self.departments)
        if accepted:
            roles["department_acceptance"] = Role(busy_hours=accepted)
        return roles

    def crew_hours(self) -> float:
        """Hours crews worked on site (travel included): about the same under every arrangement."""
        return sum(
            d.crews.busy_hours + (d.on_call.busy_hours if d.on_call else 0.0)
            for d in self.departments
        )


def run_arrangement(
    scenario: Scenario,
    arrangement: str,
    problems: Problems | None = None,
    seed: int | None = None,
    days: float | None = None,
    progress=None,
) -> DistrictModel:
    """Run one arrangement on the scenario's problems (generated from the seed unless given)."""
    if problems is None:
        problems = Problems.generate(scenario, seed, days)
    return DistrictModel(scenario, arrangement, problems, seed, progress).run()
