"""The traditional path: community → sub-district → district office → department.

Each layer is a queue of clerks with its own calendar and handling time. At each dispatch the
issue may be misrouted and come back (a bounce). A department that is not sure the issue is its
own passes it on (buck-passing, another bounce) until it escalates to the top layer, which assigns
it for good. Feedback travels back down through the layers.
"""
from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field

from streetchief.agents import ServicePool
from streetchief.arrangements.base import Arrangement, ArrangementParams, register
from streetchief.distributions import ZERO, Duration, sampler


class Layer(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    clerks: int = Field(ge=1)
    calendar: str
    handling: Duration = Field(description="clerk hours to register, review and forward one issue")
    misrouting: float = Field(0.0, ge=0, lt=1, description="chance the forward goes to the wrong place")
    bounce_delay: Duration = Field(ZERO, description="working hours until a misrouted issue comes back")
    feedback: Duration = Field(ZERO, description="working hours to pass the result back down through this layer")


class MultiLayerParams(ArrangementParams):
    layers: list[Layer] = Field(min_length=1)
    department_calendar: str = Field(description="when departments accept forwarded cases")
    department_accept: Duration = Field(description="working hours for a department to accept a case")
    unclear_pass: Duration = Field(ZERO, description="working hours before an unsure department passes it on")
    escalate_after: int = Field(2, ge=0, description="passes between departments before escalation")

    def check(self, known, path):
        calendars = known["calendars"]
        named = [(f"layers.{k}.calendar", layer.calendar) for k, layer in enumerate(self.layers)]
        return [f"{path}.{where}: unknown calendar {name!r}; known: {', '.join(sorted(calendars))}"
                for where, name in [*named, ("department_calendar", self.department_calendar)]
                if name not in calendars]


@register
class MultiLayer(Arrangement):
    name = "multi_layer"
    Params = MultiLayerParams

    def __init__(self, model, params: MultiLayerParams):
        super().__init__(model, params)
        rng = model.rng
        self.layers = [ServicePool(model, l.name, l.clerks, model.calendars[l.calendar]) for l in params.layers]
        self.handling = [sampler(l.handling, rng) for l in params.layers]
        self.bounce_delay = [sampler(l.bounce_delay, rng) for l in params.layers]
        self.feedback = [sampler(l.feedback, rng) for l in params.layers]
        self.misrouting = [l.misrouting for l in params.layers]
        self.n_layers = len(self.layers)
        self.dept_calendar = model.calendars[params.department_calendar]
        self.accept, self.unclear_pass = sampler(params.department_accept, rng), sampler(params.unclear_pass, rng)
        self.stage = model.per_issue(0)            # layer the issue is at
        self.passes = model.per_issue(0)           # passes between departments so far
        self.escalated = model.per_issue(False)
        self.random = rng.random

    def receive(self, i):
        self._to_layer(i, 0)

    def _to_layer(self, i, k):
        self.stage[i] = k
        on_start = self._registered if k == 0 and math.isnan(self.model.rec_ack[i]) else None
        self.layers[k].request(i, self.handling[k](), on_start, self._forward)

    def _registered(self, i, start):
        self.model.acknowledge(i, at=start)    # a clerk at the community office takes it up

    def _forward(self, i):
        m, k = self.model, self.stage[i]
        if self.misrouting[k] and self.random() < self.misrouting[k]:
            m.rec_bounces[i] += 1
            cal = self.layers[k].calendar
            m.at(cal.advance(m.now, self.bounce_delay[k]()), self._returned, i)
            return
        m.rec_hops[i] += 1
        if self.escalated[i] or k + 1 == self.n_layers:
            self._to_department(i)
        else:
            self._to_layer(i, k + 1)

    def _returned(self, i):
        self._to_layer(i, self.stage[i])

    def _to_department(self, i):
        m = self.model
        t = self.dept_calendar.advance(self.dept_calendar.next_open(m.now), self.accept())
        if m.issue_unclear[i] and not self.escalated[i]:
            if self.passes[i] < self.params.escalate_after:
                self.passes[i] += 1
                m.rec_bounces[i] += 1
                m.at(self.dept_calendar.advance(t, self.unclear_pass()), self._to_department, i)
            else:                       # escalate: the top layer assigns it for good
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
