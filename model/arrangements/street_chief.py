"""街长制: issues posted in the liaison group go straight to the responsible department.

post in the liaison group (联络群) → the liaison officer acknowledges (on watch around the clock, or
in the morning) → the responsible department in the group claims it (谁主管谁负责) on its calendar →
its crew fixes it → feedback posted to the reporter. Unclear responsibility → the street chief
coordinates on site (现场协调) in duty hours. Chiefs also patrol their zones, out of the same duty
hours, and assign what they find with a deadline (限期整改); the inspection group holds departments
to deadlines; the campaign's engagement may fade unless inspections renew it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from streetchief.arrangements.base import Arrangement, ArrangementParams, Role, register
from streetchief.calendar import DAYS, WorkCalendar, parse_hhmm
from streetchief.components import (
    DeadlineSpec,
    EngagementSpec,
    FeedbackSpec,
    InspectionSpec,
    PatrolSpec,
)
from streetchief.distributions import Duration, sampler
from streetchief.engine import ServicePool
from streetchief.issues import CHIEF


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
    claim: Duration = Field(
        description="hours of the department's time to claim an issue after acknowledgement"
    )
    claim_calendar: str = Field(
        "own",
        description="when departments claim: own (their crews' calendar), always, or a calendar's "
        "key",
    )
    coordination: Duration = Field(
        description="chief hours of on-site coordination (现场协调) per unclear issue"
    )
    group_monitoring_hours: float = Field(
        0.1,
        ge=0,
        le=24,
        description="hours a day each department spends following each liaison group",
    )
    acceptance_work: float = Field(
        0.1, ge=0, le=24, description="department staff hours per issue claimed"
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

    def check(self, known, path):
        return super().check(known, path) + self.calendar_problems(
            known, f"{path}.claim_calendar", self.claim_calendar, own=True
        )


@register
class StreetChiefSystem(Arrangement):
    """街长制: a liaison group per road answers posts, the responsible department claims the issue,
    and the street chief coordinates on site when responsibility is unclear."""

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
        self.claim, self.coordination = (
            sampler(params.claim, rng),
            sampler(params.coordination, rng),
        )
        a, b = params.night.split("-")
        self.night_from, self.night_to = parse_hhmm(a), parse_hhmm(b)
        start = model.spec.run.start
        self.clock0 = start.hour + start.minute / 60  # hour of day at t = 0
        self.acceptance_work = params.acceptance_work
        self.on_watch = params.night_coverage == "watch"
        watch = model.always if self.on_watch else self._day_calendar(model)
        self.liaison = {
            g: ServicePool(model, f"liaison {g}", params.liaison_officers, watch)
            for g in model.liaisons
        }
        self.liaison_of_zone = [self.liaison[z.liaison_group] for z in model.spec.zones.values()]
        issues = model.issues
        self.zone, self.unclear = issues.zone, issues.unclear

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
        if self.unclear[i]:
            m.issues.coordinate(i)
            chief = m.chief_of_zone[self.zone[i]]
            hours = self.coordination() / m.engagement()
            chief.hours += hours
            chief.time_on_site.request(i, hours, None, self._claimed)
        else:
            claim = self.claim() / m.engagement()
            m.at(self.taken_on_at(i, claim, self.params.claim_calendar), self._claimed, i)

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
        on_duty = sum(
            pool.calendar.open_hours(0.0, m.end) * p.liaison_officers
            for pool in self.liaison.values()
        )
        roles = {
            "liaison_officers": Role(
                busy_hours=sum(pool.busy_hours for pool in self.liaison.values()),
                on_duty_hours=on_duty,
            )
        }
        if p.group_monitoring_hours:
            days = m.end / 24
            roles["group_monitoring"] = Role(
                busy_hours=len(self.liaison) * len(m.departments) * p.group_monitoring_hours * days
            )
        return roles
