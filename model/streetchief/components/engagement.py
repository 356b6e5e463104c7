"""Engagement: a campaign's zeal, which fades over months unless inspections renew it.

A reform launched as a campaign (运动式治理) is watched closely at first; the seed reports its first
three weeks. Extrapolating those weeks to a year assumes the zeal lasts. Here it decays towards a
floor with a half-life, and each inspection restores part of what was lost. An arrangement that uses
it divides its discretionary delays (replies, claims, a chief's time on site) by the engagement and
multiplies its patrols' detection by it. The defaults are assumptions, to be varied.
"""

from __future__ import annotations

import math

from pydantic import BaseModel, ConfigDict, Field


class EngagementSpec(BaseModel):
    """Campaign engagement that decays over months unless inspections renew it."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(False, description="engagement fades over time")
    half_life_days: float = Field(
        180.0, gt=0, le=36500, description="days for the lost part to halve"
    )
    floor: float = Field(
        0.3, gt=0, le=1, description="the engagement it settles at with no renewal"
    )
    renewal: float = Field(
        0.5, ge=0, le=1, description="share of the lost engagement each inspection restores"
    )


class Engagement:
    """engagement(t) = floor + (e0 − floor) · 2^(−(t − t0) / half-life), (t0, e0) reset by
    renewals."""

    def __init__(self, model, spec: EngagementSpec, arrangement=None):
        self.model, self.spec = model, spec
        self.t0, self.e0 = model.now, 1.0
        self.rate = math.log(2) / (spec.half_life_days * 24)
        model.engagement = self.level

    def level(self) -> float:
        s = self.spec
        return s.floor + (self.e0 - s.floor) * math.exp(-self.rate * (self.model.now - self.t0))

    def renew(self) -> None:
        e = self.level()
        self.t0, self.e0 = self.model.now, e + self.spec.renewal * (1.0 - e)
