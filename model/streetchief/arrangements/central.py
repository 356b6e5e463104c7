"""A dispatch centre, one hop to the departments: what the 12345 hotline and grid management share.

An issue reaches the centre, whose operators register it (the reporter is answered when one takes
it up) and send a work order to the responsible department. A department that got an order not its
own sends it back (退单), and the centre reassigns it; an order whose responsibility is unclear
comes back until the centre designates a lead department (指定主办). The department signs for the
order within its time on its calendar, its crew fixes the problem, and feedback closes the loop.
"""

from __future__ import annotations

import math

from pydantic import Field

from streetchief.arrangements.base import Arrangement, ArrangementParams, Role
from streetchief.components import (
    DeadlineSpec,
    EngagementSpec,
    FeedbackSpec,
    InspectionSpec,
    PatrolSpec,
)
from streetchief.distributions import Duration, sampler
from streetchief.issues import MERCHANT
from streetchief.service_pool import ServicePool


class CentralDispatchParams(ArrangementParams):
    """What a dispatch centre and its departments do; the hotline and grid management fill it in."""

    operators: int = Field(ge=1, le=10_000, description="operators at the dispatch centre")
    centre_calendar: str = Field(
        "always", description="the centre's hours: a calendar's key, or always"
    )
    handling: Duration = Field(
        description="operator hours to register one issue and write its work order"
    )
    pooled_occupancy: float | None = Field(
        None,
        gt=0,
        le=1,
        description="for the ledger: the centre serves the whole city, and this district's share "
        "of its operators' hours on duty is its busy time divided by the centre's occupancy (the "
        "share of staffed time on calls); none: the district's own operators, on duty all their "
        "shift",
    )
    misrouting: float = Field(
        0.0, ge=0, lt=1, description="chance a work order goes to the wrong department"
    )
    escalate_after: int = Field(
        1,
        ge=0,
        le=100,
        description="returns of an order with unclear responsibility before the centre designates "
        "a lead department",
    )
    feedback: FeedbackSpec = Field(FeedbackSpec(), description="the result back to the reporter")
    patrol: PatrolSpec = Field(
        PatrolSpec(enabled=False, by="officers"), description="patrols, if any"
    )
    inspection: InspectionSpec = Field(
        InspectionSpec(enabled=False), description="periodic inspections, if any"
    )
    deadlines: DeadlineSpec = Field(
        DeadlineSpec(), description="time limits supervised issue by issue"
    )
    engagement: EngagementSpec = Field(
        EngagementSpec(), description="engagement over months, if it fades"
    )

    def check(self, known, path):
        problems = super().check(known, path)
        if self.centre_calendar != "always":
            problems += self.calendar_problems(
                known, f"{path}.centre_calendar", self.centre_calendar
            )
        return problems


class CentralDispatch(Arrangement):
    """A dispatch centre sends each issue to its department in one hop (see the module's
    documentation); `hotline.py` and `grid.py` are its two forms."""

    Params = CentralDispatchParams
    components = frozenset({"patrol", "inspection", "deadlines", "engagement", "feedback"})

    def __init__(self, model, params: CentralDispatchParams):
        super().__init__(model, params)
        rng = model.rng
        calendar = (
            model.always
            if params.centre_calendar == "always"
            else model.calendars[params.centre_calendar]
        )
        self.centre = ServicePool(model, f"{self.name} centre", params.operators, calendar)
        self.handling = sampler(params.handling, rng)
        self.random = rng.random
        issues = model.issues
        self.acknowledged_at, self.unclear = issues.acknowledged_at, issues.unclear
        self.returns = issues.column(0)  # orders sent back so far

    def receive(self, i):
        m = self.model
        if (
            m.issues.discovered_by[i] != MERCHANT
        ):  # an official files what they found: known at once
            m.acknowledge(i)
        self.to_centre(i)

    # hooks a subclass may override (public: a plug-in built on the dispatch centre needs them)
    def to_centre(self, i):
        """Issue i goes (again) to the centre: an operator handles it, then `order(i)`."""
        work = self.handling() / self.model.engagement()
        on_start = self._registered if math.isnan(self.acknowledged_at[i]) else None
        self.centre.request(i, work, on_start, self.order)

    def _registered(self, i, start):
        self.model.acknowledge(i, at=start)  # an operator takes the call up

    def order(self, i):
        """The centre has handled issue i: a work order to the responsible department, which
        takes it on (`signed(i)`) or, misrouted or unclear, sends it back to the centre."""
        m, p = self.model, self.params
        wrong = p.misrouting and self.random() < p.misrouting
        unsure = self.unclear[i] and self.returns[i] < p.escalate_after
        t = self.taken_on_at(i)
        if wrong or unsure:  # the department looks at it and sends it back (退单)
            self.returns[i] += 1
            m.issues.bounce(i)
            m.at(self.passed_back_at(i, t), self.to_centre, i)
            return
        m.issues.hop(i)
        m.at(t, self.signed, i)

    def signed(self, i):
        """The department has signed for issue i's work order: it is dispatched and fixed."""
        self.model.dispatch(i)
        self.model.fix(i)

    def fixed(self, i):
        self.model.resolve(i)
        self.send_feedback(i)

    def ledger(self):
        c, p = self.centre, self.params
        if p.pooled_occupancy is None:  # the district's own operators: on shift whether busy or not
            on_duty = p.operators * c.calendar.open_hours(0.0, self.model.end)
        else:  # the district's share of a pooled centre: its busy time at the centre's occupancy
            on_duty = c.busy_hours / p.pooled_occupancy
        busy = min(c.busy_hours, on_duty)
        return {"dispatch_operators": Role(busy_hours=busy, standby_hours=on_duty - busy)}
