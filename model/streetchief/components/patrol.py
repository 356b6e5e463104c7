"""Patrols: officials walk their zones on a rhythm and report the problems nobody reported.

Under street chiefs the chiefs patrol, on their duty hours and out of the same limited hours as
their on-site coordination; grid management (网格化) has grid supervisors on shifts; any other
arrangement may send patrol officers. Whoever patrols takes `hours` of their own time per walk, and
finds each unreported problem in the zones they walk with chance `detection`.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from streetchief.issues import CHIEF, PATROL


class PatrolSpec(BaseModel):
    """Patrols that find unreported problems and report them at once, with a deadline (限期整改)."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(True, description="patrols take place")
    by: Literal["chiefs", "officers"] = Field(
        "chiefs",
        description="who patrols: the street chiefs (on their duty hours, sharing them with "
        "on-site "
        "coordination), or patrol officers such as grid supervisors (on their shifts)",
    )
    officers: int = Field(
        0, ge=0, le=10_000, description="patrol officers (by: officers); they share the zones"
    )
    calendar: str | None = Field(
        None, description="key of the officers' shift calendar (by: officers)"
    )
    interval_days: float = Field(
        7.0, gt=0, le=365, description="days between one patroller's walks"
    )
    hours: float = Field(
        2.0, ge=0, le=24, description="hours of the patroller's time one walk takes"
    )
    detection: float = Field(
        0.5, ge=0, le=1, description="chance a walk finds a given unreported problem"
    )

    def check(self, known: dict[str, set[str]], path: str) -> list[str]:
        if not self.enabled or self.by != "officers":
            return []
        problems = []
        if self.officers < 1:
            problems.append(
                f"{path}.officers: patrols by officers need at least 1, got {self.officers}"
            )
        if self.calendar is None:
            problems.append(
                f"{path}.calendar: patrols by officers need the key of their shift calendar"
            )
        elif self.calendar not in known["calendars"]:
            problems.append(
                f"{path}.calendar: unknown calendar {self.calendar!r}; known: "
                f"{', '.join(sorted(known['calendars']))}"
            )
        return problems


class Patrols:
    """Every `interval_days` each patroller (the rhythms spread over the interval) sets out on a
    walk of `hours`, when their own calendar and other duties allow; at its end each unreported
    problem in their zones is found with chance `detection` (times the campaign's engagement, where
    that component is on) and reported."""

    def __init__(self, model, spec: PatrolSpec, arrangement):
        self.model, self.spec = model, spec
        if spec.by == "chiefs":
            self.patrollers, self.discovered_by = list(model.chiefs.values()), CHIEF
        else:
            self.patrollers, self.discovered_by = self._officers(model, spec), PATROL
        self.walks: list[tuple[float, str]] = []  # (when a walk ended, who walked)
        interval = spec.interval_days * 24
        n = len(self.patrollers)
        for k in range(n):
            # spread over the interval; the last one's first walk is a full interval in
            start = model.now + interval * (k + 2) / (n + 1)
            model.every(interval, self._walk_of(k), start=start)

    @staticmethod
    def _officers(model, spec: PatrolSpec) -> list:
        from streetchief.agents import PatrolOfficer  # Mesa's agents: loaded when a model is built

        calendar = model.calendars[spec.calendar]
        officers = [
            PatrolOfficer(model, f"patrol_{k + 1:02d}", calendar) for k in range(spec.officers)
        ]
        for z in range(len(model.zone_keys)):  # zones dealt out in turn
            officers[z % len(officers)].zones.append(z)
        return officers

    def _walk_of(self, k: int):
        def set_out():
            patroller = self.patrollers[k]
            patroller.hours += self.spec.hours
            patroller.time_on_site.request(k, self.spec.hours, None, self._walked)

        return set_out

    def _walked(self, k: int) -> None:
        m, patroller = self.model, self.patrollers[k]
        self.walks.append((m.now, patroller.key))
        detection = self.spec.detection * m.engagement()
        for z in patroller.zones:
            for i in m.take_unreported(z, detection):
                patroller.found += 1
                m.report(i, patroller.key, self.discovered_by)

    def on_duty_hours(self) -> float:
        """Hours the patrol officers are on shift over the run (0 for chiefs: their duty is counted
        by the hours they spend)."""
        if self.discovered_by == CHIEF:
            return 0.0
        return sum(o.calendar.open_hours(0.0, self.model.end) for o in self.patrollers)
