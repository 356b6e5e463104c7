"""街长制: issues posted in the liaison group go straight to the responsible department.

post in the liaison group (联络群) → the liaison officer acknowledges (on watch around the clock, or
in the morning) → the responsible department in the group claims it (谁主管谁负责), as any
department takes an issue on (`department_response`), or first the wrong one, which passes it back
→ its crew fixes it → feedback posted to the reporter. Unclear responsibility → on-site coordination
(现场协调): by the responsible unit with township and community, as in the seed's trash-bin case, or
by the street chief in duty hours. Chiefs also patrol their zones, out of their duty hours, and
assign what they find with a deadline (限期整改); the inspection group holds departments to
deadlines; the campaign's engagement may fade unless inspections renew it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from streetchief.arrangements.base import Arrangement, ArrangementParams, Role, register
from streetchief.calendar import DAYS, WorkCalendar, parse_hhmm
from streetchief.components import (
    DeadlineSpec,
    EngagementSpec,
    FeedbackSpec,
    InspectionSpec,
    PatrolSpec,
)
from streetchief.distributions import ZERO, Duration, sampler
from streetchief.issues import CHIEF
from streetchief.service_pool import ServicePool


class CoordinationSpec(BaseModel):
    """Who settles an issue whose responsibility is unclear, on site (现场协调), and how long it
    takes."""

    model_config = ConfigDict(extra="forbid")
    by: Literal["unit", "chief"] = Field(
        "unit",
        description="unit: the responsible unit takes it on and goes on site in its own hours, "
        "with township and community (the seed's trash-bin case); chief: the zone's street chief "
        "goes on site in duty hours and assigns it there",
    )
    hours: Duration = Field(ZERO, description="hours on site per unclear issue")

    @model_validator(mode="before")
    @classmethod
    def _a_bare_duration(cls, value):
        # `coordination: {dist: ...}` (a duration alone) is the chief's hours on site
        if isinstance(value, dict) and "dist" in value:
            return {"by": "chief", "hours": value}
        return value


class StreetChiefParams(ArrangementParams):
    """Parameters of the street-chief arrangement (街长制)."""

    liaison_ack_day: Duration = Field(
        description="hours from a post to the liaison officer's reply, daytime"
    )
    liaison_ack_night: Duration = Field(description="the same at night, when on watch")
    night: str = Field(
        "22:00-07:00", pattern=r"^\d\d:\d\d-\d\d:\d\d$", description="when night replies apply"
    )
    night_coverage: Literal["watch", "morning"] = Field(
        "watch",
        description="watch: a liaison officer answers at night; morning: night posts wait for the "
        "day",
    )
    liaison_officers: int = Field(
        1, ge=1, le=100, description="liaison officers per group, one post each at a time"
    )
    misclaim: float = Field(
        0.0,
        ge=0,
        lt=1,
        description="chance a post is first claimed by the wrong department, or by none: it comes "
        "back after that department's pass-back time and is claimed again",
    )
    coordination: CoordinationSpec = Field(
        CoordinationSpec(), description="who coordinates unclear issues on site, and for how long"
    )
    liaison_watch_hours: float = Field(
        2.0,
        ge=0,
        le=24,
        description="for the ledger: hours of a liaison officer's day spent watching a group, a "
        "side duty beside others (on stand-by, apart from the time on posts)",
    )
    group_monitoring_hours: float = Field(
        0.1,
        ge=0,
        le=24,
        description="hours a day each department spends following each liaison group",
    )
    feedback: FeedbackSpec = Field(FeedbackSpec(), description="the result posted in the group")
    patrol: PatrolSpec = Field(PatrolSpec(), description="the chiefs' patrols of their zones")
    inspection: InspectionSpec = Field(
        InspectionSpec(), description="the inspection group (督查考核组)"
    )
    deadlines: DeadlineSpec = Field(
        DeadlineSpec(), description="time limits supervised issue by issue"
    )
    engagement: EngagementSpec = Field(
        EngagementSpec(), description="the campaign's engagement over months"
    )


@register
class StreetChiefSystem(Arrangement):
    """街长制: a liaison group per road answers posts, the responsible department claims the issue,
    and an issue of unclear responsibility is coordinated on site (by the responsible unit, or by
    the street chief)."""

    name = "street_chief"
    Params = StreetChiefParams
    components = frozenset({"patrol", "inspection", "deadlines", "engagement", "feedback"})

    def __init__(self, model, params: StreetChiefParams):
        super().__init__(model, params)
        rng = model.rng
        self.ack_day, self.ack_night = (
            sampler(params.liaison_ack_day, rng),
            sampler(params.liaison_ack_night, rng),
        )
        self.coordination = sampler(params.coordination.hours, rng)
        self.by_chief = params.coordination.by == "chief"
        self.misclaim, self.random = params.misclaim, rng.random
        a, b = params.night.split("-")
        self.night_from, self.night_to = parse_hhmm(a), parse_hhmm(b)
        start = model.spec.run.start
        self.clock0 = start.hour + start.minute / 60  # hour of day at t = 0
        self.on_watch = params.night_coverage == "watch"
        watch = model.always if self.on_watch else self._day_calendar(model)
        self.liaison = {
            g: ServicePool(model, f"liaison {g}", params.liaison_officers, watch)
            for g in model.liaisons
        }
        self.liaison_of_zone = [self.liaison[z.liaison_group] for z in model.spec.zones.values()]
        issues = model.issues
        self.zone, self.unclear, self.coordinated = issues.zone, issues.unclear, issues.coordinated
        self.unit_hours = 0.0  # responsible units' hours on site coordinating

    def _day_calendar(self, model) -> WorkCalendar:
        """The liaison officers' day: every day outside `night`."""
        a, b = self.night_to, self.night_from  # the day runs from the night's end to its start
        spans = [(a, b)] if a < b else [(0.0, b), (a, 24.0)]
        return WorkCalendar(
            "liaison day", model.spec.run.start, model.end, dict.fromkeys(DAYS, spans)
        )

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
        night = self.on_watch and self._is_night(m.now)
        reply = (self.ack_night() if night else self.ack_day()) / m.engagement()
        self.liaison_of_zone[self.zone[i]].request(i, reply, None, self._acknowledged)

    def _acknowledged(self, i):
        self.model.liaison_of_zone[self.zone[i]].acknowledged += 1
        self.model.acknowledge(i)
        self._route(i)

    def _route(self, i):
        m = self.model
        if self.unclear[i] and self.by_chief:
            chief = m.chief_of_zone[self.zone[i]]
            hours = self.coordination() / m.engagement()
            chief.hours += hours
            chief.time_on_site.request(i, hours, self._on_site, self._claimed)
        else:
            self._claim(i)

    def _on_site(self, i, start):
        self.model.issues.coordinate(i, at=start)

    def _claim(self, i):
        """The department claims the post in the group; a wrong claim (or none) comes back."""
        m = self.model
        t = self.taken_on_at(i)
        if self.misclaim and self.random() < self.misclaim:
            m.issues.bounce(i)
            m.at(self.passed_back_at(i, t), self._claim, i)
            return
        m.at(t, self._taken_on, i)

    def _taken_on(self, i):
        if self.unclear[i] and not self.coordinated[i]:  # the unit goes on site in its own hours
            m = self.model
            cal = m.departments[m.issues.department[i]].crews.calendar
            start = cal.next_open(m.now)
            hours = self.coordination() / m.engagement()
            self.unit_hours += hours
            m.issues.coordinate(i, at=start)
            m.at(cal.advance(start, hours), self._claimed, i)
            return
        self._claimed(i)

    def _claimed(self, i):
        m = self.model
        m.issues.hop(i)
        m.dispatch(i)
        m.fix(i)

    def fixed(self, i):
        self.model.resolve(i)
        self.send_feedback(i)

    def ledger(self):
        m, p = self.model, self.params
        watched = sum(pool.calendar.open_hours(0.0, m.end) for pool in self.liaison.values())
        roles = {
            "liaison_officers": Role(
                busy_hours=sum(pool.busy_hours for pool in self.liaison.values()),
                # a side duty: the allowance for each group-day watched
                standby_hours=watched / 24 * p.liaison_watch_hours * p.liaison_officers,
            )
        }
        if self.unit_hours:
            roles["unit_coordination"] = Role(busy_hours=self.unit_hours)
        if p.group_monitoring_hours:
            days = m.end / 24
            roles["group_monitoring"] = Role(
                busy_hours=0.0,
                standby_hours=len(self.liaison)
                * len(m.departments)
                * p.group_monitoring_hours
                * days,
            )
        return roles
