"""The seed story's actors as Mesa agents: merchants, street chiefs, liaison officers, departments,
patrol officers.

Issues are data that flow between them (`issues.py`); the inspection group and patrols are
components an arrangement switches on (`components/`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import mesa

from streetchief.calendar import WorkCalendar
from streetchief.components.inspection import SANCTIONS
from streetchief.distributions import sampler
from streetchief.service_pool import ServicePool


class Merchant(mesa.Agent):
    """A shop, enterprise, school, bank or agency along a zone; reports what it sees if it still
    trusts that reporting helps, and keeps its own frontage (门前三包)."""

    def __init__(self, model, zone: str, number: int, willingness: float):
        super().__init__(model)
        self.zone = zone
        self.name = f"{zone}/{number:03d}"
        self.willingness = willingness
        self.reports = 0

    def experience(self, ack_hours: float, resolution_hours: float) -> None:
        """Quick answers and fixes raise the willingness to report; neglect lowers it."""
        r = self.model.spec.merchants.reporting
        if not r.adaptive:
            return
        if ack_hours <= r.satisfied_ack_hours and resolution_hours <= r.satisfied_resolution_hours:
            self.willingness += r.learning_rate * (1.0 - self.willingness)
        else:
            self.willingness -= r.learning_rate * (self.willingness - r.min_willingness)


class ZoneOfficial(mesa.Agent):
    """An official with zones to walk and one pair of feet: `time_on_site` is a pool of one (one
    place at a time) on their own calendar; `hours` are the hours booked on it, `found` the
    unreported problems they found. Patrols treat street chiefs and patrol officers alike."""

    role = "official"  # names the pool: "chief 01", "patrol patrol_01"

    def __init__(self, model, key: str, calendar: WorkCalendar):
        super().__init__(model)
        self.key = key
        self.zones: list[int] = []
        self.calendar = calendar
        self.time_on_site = ServicePool(model, f"{self.role} {key}", 1, calendar)
        self.hours = 0.0
        self.found = 0


class StreetChief(ZoneOfficial):
    """A district leader (街长) responsible for some zones, with limited hours for this duty."""

    role = "chief"


class PatrolOfficer(ZoneOfficial):
    """A patrol officer or grid supervisor (网格员): walks the zones given on a shift calendar."""

    role = "patrol"


class LiaisonOfficer(mesa.Agent):
    """Watches one liaison group (联络群) around the clock and acknowledges posts."""

    def __init__(self, model, group: str):
        super().__init__(model)
        self.group = group
        self.acknowledged = 0


class Department(mesa.Agent):
    """A responsible unit with crews on a working calendar, optional on-call crews at night, its own
    way of taking issues on (`department_response`: the same whatever the arrangement), and a
    responsiveness that rises while it is under sanction."""

    def __init__(
        self,
        model,
        key: str,
        spec,
        response,
        calendar: WorkCalendar,
        take_on_calendar: WorkCalendar,
        always: WorkCalendar,
        rng,
    ):
        super().__init__(model)
        self.key = key
        self.crews = ServicePool(model, key, spec.crews, calendar)
        self.on_call = (
            ServicePool(model, f"{key} on call", spec.on_call_crews, always)
            if spec.on_call_crews
            else None
        )
        self.travel = sampler(spec.travel, rng)
        self.response = response
        self.take_on, self.pass_back = (
            sampler(response.take_on, rng),
            sampler(response.pass_back, rng),
        )
        self.take_on_calendar = take_on_calendar
        self.sanctioned_until = -math.inf
        self.sanction_factor = response.sanction_factor
        self.sanction_level = 0  # consecutive inspections with overdue issues
        self.sanctions_by_kind = dict.fromkeys(SANCTIONS, 0)
        self.praises = 0
        self.resolved = 0
        self.acceptances = 0  # issues taken on (each costs its staff `acceptance_hours`)

    @property
    def sanctions(self) -> int:
        return sum(self.sanctions_by_kind.values())

    def responsiveness(self) -> float:
        """Multiplier on its delays to take issues on: below 1 while sanctioned."""
        return self.sanction_factor if self.model.now < self.sanctioned_until else 1.0

    def sanction(self, until: float) -> None:
        """Sanctioned until `until` (each sanction in a row more severe); meanwhile its
        `sanction_factor` times as slow to take issues on."""
        self.sanctions_by_kind[SANCTIONS[min(self.sanction_level, len(SANCTIONS) - 1)]] += 1
        self.sanction_level += 1
        self.sanctioned_until = max(self.sanctioned_until, until)

    def fix(self, i: int, work: float, urgent: bool, then: Callable) -> None:
        """Send a crew to issue i (`work` hours on site after travel); then(i) when it is fixed.
        Urgent issues outside the crews' hours go to the on-call crews, if there are any."""
        on_call = (
            urgent and self.on_call is not None and not self.crews.calendar.is_open(self.model.now)
        )
        (self.on_call if on_call else self.crews).request(i, self.travel() + work, None, then)
