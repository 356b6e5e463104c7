"""A third arrangement is one file: here, a 12345-style hotline written in the test itself, using
only the documented plug-in contract (streetchief/arrangements/base.py)."""

import numpy as np
from pydantic import Field

from streetchief import load_scenario, run_scenario
from streetchief.arrangements import Arrangement, ArrangementParams, register
from streetchief.distributions import Duration, sampler


class HotlineParams(ArrangementParams):
    answer: Duration = Field(description="hours until an operator answers")
    dispatch: Duration = Field(description="hours from the call to a work order at the department")


@register
class Hotline(Arrangement):
    """Operators answer around the clock and send a work order straight to the department."""

    name = "hotline"
    Params = HotlineParams

    def __init__(self, model, params):
        super().__init__(model, params)
        self.answer, self.order = (
            sampler(params.answer, model.rng),
            sampler(params.dispatch, model.rng),
        )

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


def test_a_third_arrangement_runs_beside_the_others():
    s = load_scenario(
        "jingxing_2019",
        **{
            "arrangements.hotline": {
                "answer": {"dist": "fixed", "value": 0.06},
                "dispatch": {"dist": "exponential", "mean": 0.5},
            }
        },
    )
    res = run_scenario(s, days=30)
    assert set(res.tables) == {"street_chief", "multi_layer", "hotline"}
    t = res.tables["hotline"]
    ack = t["acknowledged_at"].to_numpy() - t["reported_at"].to_numpy()
    assert np.allclose(ack, 0.06)
    assert (
        res.summaries["hotline"]["issues_resolved"]
        > 0.9 * res.summaries["hotline"]["issues_reported"]
    )
