"""街长制: issues posted in the liaison group go straight to the responsible department.

post in the liaison group (联络群) → the liaison officer acknowledges (around the clock, slower at
night) → the responsible department in the group claims it (谁主管谁负责) → its crew fixes it →
feedback posted to the reporter. Unclear responsibility → the street chief coordinates on site
(现场协调) when free. Chiefs also patrol their zones, find problems nobody reported and assign them
with a deadline (限期整改); the inspection group holds departments to deadlines.
"""

from __future__ import annotations

from pydantic import Field

from streetchief.arrangements.base import Arrangement, ArrangementParams, register
from streetchief.calendar import parse_hhmm
from streetchief.components import InspectionSpec, PatrolSpec
from streetchief.distributions import Duration, sampler
from streetchief.issues import CHIEF


class StreetChiefParams(ArrangementParams):
    """Parameters of the street-chief arrangement (街长制)."""

    liaison_ack_day: Duration = Field(
        description="hours from a post to the liaison officer's reply, daytime"
    )
    liaison_ack_night: Duration = Field(description="the same at night")
    night: str = Field(
        "22:00-07:00", pattern=r"^\d\d:\d\d-\d\d:\d\d$", description="when night replies apply"
    )
    claim: Duration = Field(
        description="hours from acknowledgement to the department claiming the issue"
    )
    coordination: Duration = Field(
        description="chief hours of on-site coordination (现场协调) per unclear issue"
    )
    feedback: Duration = Field(
        description="hours from resolution to the result posted in the group"
    )
    patrol: PatrolSpec = Field(PatrolSpec(), description="the chiefs' patrols of their zones")
    inspection: InspectionSpec = Field(
        InspectionSpec(), description="the inspection group (督查考核组)"
    )


@register
class StreetChiefSystem(Arrangement):
    """街长制: a liaison group per road answers posts around the clock, the responsible department
    claims the issue, and the street chief coordinates on site when responsibility is unclear."""

    name = "street_chief"
    Params = StreetChiefParams
    components = frozenset({"patrol", "inspection"})

    def __init__(self, model, params: StreetChiefParams):
        super().__init__(model, params)
        rng = model.rng
        self.ack_day, self.ack_night = (
            sampler(params.liaison_ack_day, rng),
            sampler(params.liaison_ack_night, rng),
        )
        self.claim, self.coordination = (
            sampler(params.claim, rng),
            sampler(params.coordination, rng),
        )
        self.feedback = sampler(params.feedback, rng)
        a, b = params.night.split("-")
        self.night_from, self.night_to = parse_hhmm(a), parse_hhmm(b)
        start = model.spec.run.start
        self.clock0 = start.hour + start.minute / 60  # hour of day at t = 0
        self.sanction_factor = params.inspection.sanction_factor
        issues = model.issues
        self.zone, self.unclear, self.department = issues.zone, issues.unclear, issues.department

    def _is_night(self, t: float) -> bool:
        h = (self.clock0 + t) % 24
        a, b = self.night_from, self.night_to
        return (h >= a or h < b) if a > b else (a <= h < b)

    # --- the issue's path -------------------------------------------------------------
    def receive(self, i):
        m = self.model
        if m.issues.discovered_by[i] == CHIEF:  # the chief assigns it on the spot, with a deadline
            m.acknowledge(i)
            self._route(i)
            return
        delay = self.ack_night() if self._is_night(m.now) else self.ack_day()
        m.at(m.now + delay, self._acknowledged, i)

    def _acknowledged(self, i):
        self.model.liaison_of_zone[self.zone[i]].acknowledged += 1
        self.model.acknowledge(i)
        self._route(i)

    def _route(self, i):
        m = self.model
        if self.unclear[i]:
            m.issues.coordinate(i)
            chief = m.chief_of_zone[self.zone[i]]
            hours = self.coordination()
            chief.hours += hours
            chief.time_on_site.request(i, hours, None, self._claimed)
        else:
            dept = m.departments[self.department[i]]
            m.at(m.now + self.claim() * dept.responsiveness(self.sanction_factor), self._claimed, i)

    def _claimed(self, i):
        m = self.model
        m.issues.hop(i)
        m.dispatch(i)
        m.fix(i)

    def fixed(self, i):
        m = self.model
        m.resolve(i)
        m.at(m.now + self.feedback(), m.close, i)
