"""街长制: issues posted in the liaison group go straight to the responsible department.

post in the liaison group (联络群) → the liaison officer acknowledges (around the clock, slower at
night) → the responsible department in the group claims it (谁主管谁负责) → its crew fixes it →
feedback posted to the reporter. Unclear responsibility → the street chief coordinates on site
(现场协调) when free. Chiefs also patrol their zones, find problems nobody reported and assign them
with a deadline (限期整改); the inspection group holds departments to deadlines.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from streetchief.arrangements.base import Arrangement, ArrangementParams, register
from streetchief.calendar import parse_hhmm
from streetchief.distributions import Duration, sampler
from streetchief.issues import CHIEF


class Patrol(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    interval_days: float = Field(7.0, gt=0, description="days between a chief's patrols")
    hours: float = Field(2.0, ge=0, description="chief hours one patrol takes")
    detection: float = Field(0.5, ge=0, le=1, description="chance a patrol finds a given unreported problem")


class Inspection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    enabled: bool = True
    interval_days: float = Field(7.0, gt=0)
    sanction_days: float = Field(30.0, ge=0, description="how long a sanction keeps a department alert")
    sanction_factor: float = Field(0.5, gt=0, le=1, description="multiplier on claim delays while sanctioned")


class StreetChiefParams(ArrangementParams):
    liaison_ack_day: Duration = Field(description="hours from a post to the liaison officer's reply, daytime")
    liaison_ack_night: Duration = Field(description="the same at night")
    night: str = Field("22:00-07:00", pattern=r"^\d\d:\d\d-\d\d:\d\d$", description="when night replies apply")
    claim: Duration = Field(description="hours from acknowledgement to the department claiming the issue")
    coordination: Duration = Field(description="chief hours of on-site coordination (现场协调) per unclear issue")
    feedback: Duration = Field(description="hours from resolution to the result posted in the group")
    patrol: Patrol = Patrol()
    inspection: Inspection = Inspection()


@register
class StreetChief(Arrangement):
    name = "street_chief"
    Params = StreetChiefParams

    def __init__(self, model, params: StreetChiefParams):
        super().__init__(model, params)
        rng = model.rng
        self.ack_day, self.ack_night = sampler(params.liaison_ack_day, rng), sampler(params.liaison_ack_night, rng)
        self.claim, self.coordination = sampler(params.claim, rng), sampler(params.coordination, rng)
        self.feedback = sampler(params.feedback, rng)
        a, b = params.night.split("-")
        self.night_from, self.night_to = parse_hhmm(a), parse_hhmm(b)
        start = model.spec.run.start
        self.clock0 = start.hour + start.minute / 60      # hour of day at t = 0
        self.sanction_factor = params.inspection.sanction_factor
        self.chief_of_zone = [model.chiefs[z.chief] for z in model.spec.zones.values()]
        self.liaison_of_zone = [model.liaisons[z.liaison_group] for z in model.spec.zones.values()]
        self._patrols: list = []
        if params.patrol.enabled:
            for chief in model.chiefs.values():
                # patrols of different chiefs spread over the week
                model.schedule_event(self._patrol_of(chief), after=params.patrol.interval_days * 24
                                     * (1 + len(self._patrols)) / (len(model.chiefs) + 1))

    def _patrol_of(self, chief):
        # keep a strong reference: Mesa holds scheduled callbacks weakly
        def patrol():
            self._patrol(chief)
            self.model.schedule_event(patrol, after=self.params.patrol.interval_days * 24)
        self._patrols.append(patrol)
        return patrol

    def _is_night(self, t: float) -> bool:
        h = (self.clock0 + t) % 24
        a, b = self.night_from, self.night_to
        return (h >= a or h < b) if a > b else (a <= h < b)

    # --- the issue's path -------------------------------------------------------------
    def receive(self, i):
        m = self.model
        if m.rec_discovered[i] == CHIEF:       # the chief assigns it on the spot, with a deadline
            m.acknowledge(i)
            self._route(i)
            return
        delay = self.ack_night() if self._is_night(m.now) else self.ack_day()
        m.at(m.now + delay, self._acknowledged, i)

    def _acknowledged(self, i):
        self.liaison_of_zone[self.model.issue_zone[i]].acknowledged += 1
        self.model.acknowledge(i)
        self._route(i)

    def _route(self, i):
        m = self.model
        if m.issue_unclear[i]:
            m.rec_coordinated[i] = True
            chief = self.chief_of_zone[m.issue_zone[i]]
            hours = self.coordination()
            chief.hours += hours
            chief.time_on_site.request(i, hours, None, self._claimed)
        else:
            dept = m.department_list[m.rec_department[i]]
            m.at(m.now + self.claim() * dept.responsiveness(self.sanction_factor), self._claimed, i)

    def _claimed(self, i):
        m = self.model
        m.rec_hops[i] += 1
        m.dispatch(i)
        m.fix(i)

    def fixed(self, i):
        m = self.model
        m.resolve(i)
        m.at(m.now + self.feedback(), m.close, i)

    # --- patrols -----------------------------------------------------------------------
    def _patrol(self, chief):
        m = self.model
        p = self.params.patrol
        chief.hours += p.hours
        for z in chief.zones:
            left = []
            for i in m.unreported[z]:
                if m.rng.random() < p.detection:
                    chief.found += 1
                    m.report(i, chief.key, CHIEF)
                else:
                    left.append(i)
            m.unreported[z] = left

    def chief_hours(self):
        return sum(c.hours for c in self.model.chiefs.values())
