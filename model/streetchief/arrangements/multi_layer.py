"""The traditional path: community → sub-district → district office → department.

Each layer is a queue of clerks with its own calendar and handling time. At each dispatch the
issue may be misrouted and come back (a bounce). A department that is not sure the issue is its
own passes it on (buck-passing, another bounce) until it escalates to the top layer, which assigns
it for good. Feedback travels back down through the layers. Patrols, inspections and supervised
time limits and a fading engagement can be switched on as for any arrangement.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from streetchief.arrangements.base import Arrangement, ArrangementParams, Role, register
from streetchief.components import DeadlineSpec, EngagementSpec, InspectionSpec, PatrolSpec
from streetchief.distributions import ZERO, Duration, sampler
from streetchief.service_pool import ServicePool


class LayerSpec(BaseModel):
    """One level of the hierarchy (a community office, a sub-district, the district office)."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="what the layer is called")
    clerks: int = Field(ge=1, description="clerks registering and forwarding issues")
    calendar: str = Field(description="key of the calendar the clerks work")
    handling: Duration = Field(description="clerk hours to register, review and forward one issue")
    misrouting: float = Field(
        0.0, ge=0, lt=1, description="chance the forward goes to the wrong place"
    )
    bounce_delay: Duration = Field(
        ZERO, description="working hours until a misrouted issue comes back"
    )
    feedback: Duration = Field(
        ZERO, description="working hours to pass the result back down through this layer"
    )


class MultiLayerParams(ArrangementParams):
    """Parameters of the traditional multi-layer path."""

    layers: list[LayerSpec] = Field(
        min_length=1, description="the layers an issue passes, first to last"
    )
    escalate_after: int = Field(
        2, ge=0, le=100, description="passes between departments before escalation"
    )
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
        for k, layer in enumerate(self.layers):
            problems += self.calendar_problems(known, f"{path}.layers.{k}.calendar", layer.calendar)
        return problems


@register
class MultiLayerRouting(Arrangement):
    """The pre-reform path: community → sub-district → district office → department.

    Each layer works on its own calendar, with misrouting, buck-passing and escalation; feedback
    goes back down through the layers."""

    name = "multi_layer"
    Params = MultiLayerParams
    components = frozenset({"patrol", "inspection", "deadlines", "engagement"})

    def __init__(self, model, params: MultiLayerParams):
        super().__init__(model, params)
        rng = model.rng
        self.layers = [
            ServicePool(model, lay.name, lay.clerks, model.calendars[lay.calendar])
            for lay in params.layers
        ]
        self.handling = [sampler(lay.handling, rng) for lay in params.layers]
        self.bounce_delay = [sampler(lay.bounce_delay, rng) for lay in params.layers]
        self.feedback = [sampler(lay.feedback, rng) for lay in params.layers]
        self.misrouting = [lay.misrouting for lay in params.layers]
        self.n_layers = len(self.layers)
        issues = model.issues
        self.acknowledged_at, self.unclear = issues.acknowledged_at, issues.unclear
        self.stage = issues.column(0)  # layer the issue is at
        self.passes = issues.column(0)  # passes between departments so far
        self.escalated = issues.column(False)
        self.random = rng.random

    def receive(self, i):
        self._to_layer(i, 0)

    def _to_layer(self, i, k):
        self.stage[i] = k
        on_start = self._registered if k == 0 and math.isnan(self.acknowledged_at[i]) else None
        work = self.handling[k]() / self.model.engagement()
        self.layers[k].request(i, work, on_start, self._forward)

    def _registered(self, i, start):
        self.model.acknowledge(i, at=start)  # a clerk at the community office takes it up

    def _forward(self, i):
        m, k = self.model, self.stage[i]
        if self.misrouting[k] and self.random() < self.misrouting[k]:
            m.issues.bounce(i)
            cal = self.layers[k].calendar
            m.at(cal.advance(m.now, self.bounce_delay[k]()), self._returned, i)
            return
        m.issues.hop(i)
        if self.escalated[i] or k + 1 == self.n_layers:
            self._to_department(i)
        else:
            self._to_layer(i, k + 1)

    def _returned(self, i):
        self._to_layer(i, self.stage[i])

    def _to_department(self, i):
        m = self.model
        t = self.taken_on_at(i)
        if self.unclear[i] and not self.escalated[i]:
            if self.passes[i] < self.params.escalate_after:
                self.passes[i] += 1
                m.issues.bounce(i)
                m.at(self.passed_back_at(i, t), self._to_department, i)
            else:  # escalate: the top layer assigns it for good
                self.escalated[i] = True
                m.at(t, self._escalate, i)
            return
        m.at(t, self._accepted, i)

    def _escalate(self, i):
        self._to_layer(i, len(self.layers) - 1)

    def _accepted(self, i):
        self.model.dispatch(i)
        self.model.fix(i)

    def fixed(self, i):
        m = self.model
        m.resolve(i)
        t = m.now
        for k in reversed(range(len(self.layers))):
            d = self.feedback[k]()
            if d:
                cal = self.layers[k].calendar
                t = cal.advance(cal.next_open(t), d)
        m.at(t, m.close, i)

    def ledger(self):
        return {
            f"clerks: {lay.name}": Role(busy_hours=pool.busy_hours)
            for lay, pool in zip(self.params.layers, self.layers, strict=True)
        }
