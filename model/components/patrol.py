"""Patrols: officials walk their zones on a rhythm and report the problems nobody reported."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from streetchief.issues import CHIEF


class PatrolSpec(BaseModel):
    """Patrols of each official's zones; what they find is reported with a deadline (限期整改)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(True, description="patrols take place")
    interval_days: float = Field(7.0, gt=0, description="days between one official's patrols")
    hours: float = Field(2.0, ge=0, description="hours of the official's time one patrol takes")
    detection: float = Field(
        0.5, ge=0, le=1, description="chance a patrol finds a given unreported problem"
    )


class Patrols:
    """Each patroller walks its zones every `interval_days` (spread over the interval) and finds
    each unreported problem there with chance `detection`. Patrollers are the street chiefs unless
    the arrangement names others in `patrollers()`."""

    def __init__(self, model, spec: PatrolSpec, arrangement):
        self.model, self.spec = model, spec
        who = list(arrangement.patrollers())
        interval = spec.interval_days * 24
        for k, patroller in enumerate(who):
            # spread over the interval; the last one's first patrol is a full interval in
            model.every(
                interval,
                self._patrol_of(patroller),
                start=model.now + interval * (k + 2) / (len(who) + 1),
            )

    def _patrol_of(self, patroller):
        def patrol():
            self.patrol(patroller)

        return patrol

    def patrol(self, patroller) -> None:
        m, p = self.model, self.spec
        patroller.hours += p.hours
        for z in patroller.zones:
            for i in m.take_unreported(z, p.detection):
                patroller.found += 1
                m.report(i, patroller.key, CHIEF)
