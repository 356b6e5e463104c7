"""Feedback: the result of an issue reaches its reporter, which closes the loop."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from streetchief.distributions import ZERO, Duration, sampler


class FeedbackSpec(BaseModel):
    """Closing the loop with the reporter: a post in the liaison group, a callback (回访), a
    verified closure (核查结案). Without it the reporter is never told; the issue never closes."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(True, description="the result is reported back")
    delay: Duration = Field(
        ZERO, description="working hours from resolution to the reporter being told"
    )
    calendar: str | None = Field(
        None, description="key of the calendar the feedback is given on (default: any time)"
    )

    @model_validator(mode="before")
    @classmethod
    def _a_bare_duration(cls, value):
        # `feedback: {dist: lognormal, ...}` (a delay alone) is read as an enabled
        # feedback with that delay
        if isinstance(value, dict) and "dist" in value:
            return {"delay": value}
        return value

    def check(self, known: dict[str, set[str]], path: str) -> list[str]:
        if self.calendar is not None and self.calendar not in known["calendars"]:
            return [
                f"{path}.calendar: unknown calendar {self.calendar!r}; known: "
                f"{', '.join(sorted(known['calendars']))}"
            ]
        return []


class Feedback:
    """Sends the result to the reporter `delay` working hours after resolution; the issue then
    closes."""

    def __init__(self, model, spec: FeedbackSpec, arrangement=None):
        self.model = model
        self.delay = sampler(spec.delay, model.rng)
        self.calendar = model.calendars[spec.calendar] if spec.calendar else None
        self.sent = 0

    def send(self, i: int) -> None:
        m = self.model
        d = self.delay()
        t = (
            m.now + d
            if self.calendar is None
            else self.calendar.advance(self.calendar.next_open(m.now), d)
        )
        self.sent += 1
        m.at(t, m.close, i)
