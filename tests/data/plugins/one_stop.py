"""A one-stop window (一站式受理): the hotline's round-the-clock answer, then a work order straight
to the department. An arrangement of a user's own, in one file, written only against the
documented plug-in contract (streetchief/arrangements/base.py); `tests/test_plugins.py` names it in
a scenario's `plugins:`, `tests/test_arrangements.py` checks the contract with it."""

from pydantic import Field

from streetchief.arrangements import Arrangement, ArrangementParams, register
from streetchief.components import InspectionSpec
from streetchief.distributions import Duration, sampler


class OneStopParams(ArrangementParams):
    answer: Duration = Field(description="hours until the window answers")
    dispatch: Duration = Field(
        description="hours from the answer to a work order at the department"
    )
    inspection: InspectionSpec = Field(InspectionSpec(enabled=False), description="inspections")


@register
class OneStopWindow(Arrangement):
    """Answers, then orders the department straight away."""

    name = "one_stop"
    Params = OneStopParams
    components = frozenset({"inspection"})

    def __init__(self, model, params):
        super().__init__(model, params)
        self.answer = sampler(params.answer, model.rng)
        self.order = sampler(params.dispatch, model.rng)

    def receive(self, i):
        m = self.model
        m.acknowledge(i, at=m.now + self.answer())
        m.at(m.issues.acknowledged_at[i] + self.order(), self._ordered, i)

    def _ordered(self, i):
        self.model.issues.hop(i)
        self.model.dispatch(i)
        self.model.fix(i)

    def fixed(self, i):
        self.model.resolve(i)
        self.model.close(i)
