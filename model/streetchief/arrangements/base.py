"""The plug-in contract: what an arrangement is, and all it may use of the model.

An arrangement decides what happens to an issue between its report and its closure: who
acknowledges it, how it reaches a department, who coordinates when responsibility is unclear, how
the result goes back to the reporter. Write one in a file of its own:

    from pydantic import Field
    from streetchief.arrangements import Arrangement, ArrangementParams, register
    from streetchief.distributions import Duration, sampler

    class HotlineParams(ArrangementParams):
        answer: Duration = Field(description="hours until an operator answers")

    @register
    class Hotline(Arrangement):
        # operators answer around the clock and send a work order straight to the department
        name = "hotline"
        Params = HotlineParams

        def __init__(self, model, params):
            super().__init__(model, params)
            self.answer = sampler(params.answer, model.rng)

        def receive(self, i):
            self.model.after(self.answer(), self._answered, i)

        def _answered(self, i):
            self.model.acknowledge(i)
            self.model.issues.hop(i)
            self.model.dispatch(i)
            self.model.fix(i)              # the department's crew; then self.fixed(i)

        def fixed(self, i):
            self.model.resolve(i)
            self.model.close(i)

and name it in a scenario under `arrangements.hotline`. Its parameters are validated with the rest
of the scenario and listed by `streetchief parameters`.

What an arrangement may use (`model` is the `DistrictModel`, `i` an issue):

  the clock     model.now (hours since the start); model.at(t, fn, i), model.after(hours, fn, i) run
                fn(i) later; model.every(hours, fn) and Mesa's schedule_event for rhythms of its own
  the steps     model.acknowledge(i, at=None), model.dispatch(i, at=None), model.fix(i) (sends the
                responsible department's crew; self.fixed(i) follows), model.resolve(i),
                model.close(i) (feedback has reached the reporter)
  the issue     model.issues.zone[i], .category[i], .unclear[i], .work[i], .department[i],
                .discovered_by[i] (MERCHANT, CHIEF or PATROL), .reported_at[i], .acknowledged_at[i]
                (read only)
  its records   model.issues.hop(i), .bounce(i), .coordinate(i)
  its own state model.issues.column(default): a list indexed by issue
  the district  model.spec (the scenario), model.rng (the arrangement's own random stream),
                model.calendars, model.chiefs, model.chief_of_zone, model.liaison_of_zone,
                model.departments (indexed like issues.department), model.engagement() (1 unless
                the engagement component is on)
  departments   self.taken_on_at(i, hours, calendar): when the responsible department takes issue i
                on, `hours` of its time on `calendar` ("own": its crews' calendar, "always", or a
                calendar key), shortened while it is sanctioned; self.send_feedback(i)
  components    `components = {"patrol", "inspection", "deadlines", "engagement", "feedback"}`
                (any of
                them) switches on mechanisms the model runs for it (`streetchief.components`), set
                by the Params fields of the same names.
  staff         `streetchief.service_pool.ServicePool(model, name, servers, calendar)`: c servers
                first come first served on a calendar; pool.request(i, hours, on_start, on_done)
                calls on_start(i, start) as one takes i up and on_done(i) when done; pool.busy_hours
  a chief       model.chief_of_zone[zone] is a `StreetChief`: chief.time_on_site (a pool of one:
                one place at a time, on the chief's duty calendar) and chief.hours (add the hours
                booked, which the ledger costs); `street_chief.py` coordinates this way
  a centre      subclass `central.CentralDispatch` (as the hotline and the grid do) and override
                its hooks: to_centre(i) (an operator handles i), order(i) (a work order to the
                department, or sent back), signed(i) (the department has signed: dispatch, fix)
  its costs     ledger(): the hours of the officials it employs, by role (see `Role`)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict, Field

if TYPE_CHECKING:
    from streetchief.district import DistrictModel

ARRANGEMENTS: dict[str, type[Arrangement]] = {}


# The only parameters through which an arrangement may change how departments take issues on
# (`department_response` is the departments' own): each value set in a shipped scenario is named,
# with its source, in the README's table of what differs between arrangements.
DEPARTMENT_OVERRIDES = ("department_calendar", "department_time_limit_hours")


class ArrangementParams(BaseModel):
    """An arrangement's own parameters, read from `arrangements.<name>` in the scenario."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    department_calendar: str | None = Field(
        None,
        description="when departments take issues on under this arrangement (own, always or a "
        "calendar's key); none: each department's own (department_response.calendar)",
    )
    hears: dict[str, float] = Field(
        {"merchants": 1.0},
        description="whose reports reach this arrangement's channels, and what share of them: "
        "merchants (the merchant along the road) and any of `observers` (residents, ...)",
    )
    department_time_limit_hours: float | None = Field(
        None,
        gt=0,
        le=8760,
        description="hours from reaching a department by which it must have taken an issue on "
        "(a sign-for time limit); none: no limit",
    )

    def check(self, known: dict[str, set[str]], path: str) -> list[str]:
        """Problems with references to the rest of the scenario; `known['calendars']` etc. are the
        names each section defines, `path` is where these parameters sit (for the messages). This
        checks the components' settings; an override adds its own to `super().check(...)`."""
        problems = []
        for who, share in self.hears.items():
            if who != "merchants" and who not in known.get("observers", ()):
                problems.append(
                    f"{path}.hears.{who}: unknown observer; known: merchants"
                    + "".join(f", {k}" for k in sorted(known.get("observers", ())))
                )
            if not 0 <= share <= 1:
                problems.append(f"{path}.hears.{who}: a share from 0 to 1, got {share!r}")
        if self.department_calendar is not None:
            problems += self.calendar_problems(
                known, f"{path}.department_calendar", self.department_calendar, own=True
            )
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, BaseModel) and hasattr(value, "check"):
                problems.extend(value.check(known, f"{path}.{name}"))
        return problems

    @staticmethod
    def calendar_problems(known: dict, path: str, name: str, own: bool = False) -> list[str]:
        """The problem with a reference to a calendar, if any; with `own`, also "own" (each
        department's crews' calendar) and "always"."""
        if name in known["calendars"] or (own and name in ("own", "always")):
            return []
        extra = ', or "own" (each department\'s own calendar), "always"' if own else ""
        return [
            f"{path}: unknown calendar {name!r}; known: "
            f"{', '.join(sorted(known['calendars']))}{extra}"
        ]


def register(cls: type[Arrangement]) -> type[Arrangement]:
    """Class decorator: make an arrangement available under `cls.name` in scenarios and the CLI."""
    from streetchief.components import COMPONENTS

    for component in cls.components:
        spec = COMPONENTS.get(component)
        if spec is None:
            raise TypeError(
                f"{cls.__name__}: unknown component {component!r}; known: {', '.join(COMPONENTS)}"
            )
        field = cls.Params.model_fields.get(component)
        if field is None or field.annotation is not spec[0]:
            raise TypeError(
                f"{cls.__name__}: uses the {component} component, so {cls.Params.__name__} needs a "
                f"field `{component}: {spec[0].__name__}`"
            )
    taken = ARRANGEMENTS.get(cls.name)
    if taken is not None and _origin(taken) != _origin(cls):  # the same class imported again: fine
        raise TypeError(
            f"arrangement name {cls.name!r} is taken by {_origin(taken)}; {_origin(cls)} needs a "
            "name of its own (`name = ...`)"
        )
    ARRANGEMENTS[cls.name] = cls
    return cls


def _origin(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@dataclass
class Role:
    """The hours of one kind of official over a run, in two parts: busy (on issues: replying,
    dispatching, on site, walking a patrol) and stand-by (on duty or on watch, waiting for the
    next issue). A dedicated role (a hotline operator, a grid supervisor on shift) has the rest of
    its shift on stand-by; a shared one (a liaison officer watching a group beside other duties) a
    stated watch allowance; a role that does this among other work (a chief, a clerk of a layer,
    department staff taking issues on) none."""

    busy_hours: float
    standby_hours: float = 0.0

    @property
    def hours(self) -> float:
        """What the role costs, all told: busy and stand-by."""
        return self.busy_hours + self.standby_hours


class Arrangement:
    """Receives issues from the model and drives each one to resolution and feedback (see the
    module's documentation for all it may use)."""

    name: ClassVar[str]
    Params: ClassVar[type[ArrangementParams]] = ArrangementParams
    components: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, model: DistrictModel, params: ArrangementParams):
        self.model, self.params = model, params

    def receive(self, i: int) -> None:
        """Issue i has just been reported (at model.now)."""
        raise NotImplementedError

    def fixed(self, i: int) -> None:
        """The crew has fixed issue i: resolve it and send feedback."""
        raise NotImplementedError

    # --- what every arrangement does the same way -----------------------------------------------
    def taken_on_at(self, i: int) -> float:
        """When the responsible department, reached now, takes issue i on (claims it, signs for it,
        accepts it): its own take-on time (`department_response`) on its calendar, or on this
        arrangement's `department_calendar`; shorter while it is sanctioned, longer as the
        campaign's engagement fades, and no later than `department_time_limit_hours`."""
        m = self.model
        dept = m.departments[m.issues.department[i]]
        dept.acceptances += 1
        cal = self.department_calendar(dept)
        hours = dept.take_on() * dept.responsiveness() / m.engagement()
        t = cal.advance(cal.next_open(m.now), hours)
        limit = self.params.department_time_limit_hours
        return t if limit is None else min(t, m.now + limit)

    def passed_back_at(self, i: int, t: float) -> float:
        """When the department that took issue i on at `t` sends it back, not its own (退单), or
        passes it on, unsure (推诿): its own pass-back time on the same calendar."""
        dept = self.model.departments[self.model.issues.department[i]]
        cal = self.department_calendar(dept)
        return cal.advance(cal.next_open(t), dept.pass_back() * dept.responsiveness())

    def department_calendar(self, dept):
        """The calendar on which `dept` takes issues on under this arrangement."""
        name = self.params.department_calendar
        if name is None:
            return dept.take_on_calendar
        return self.model.calendar_named(name, own=dept.crews.calendar)

    def reopened(self, i: int) -> None:
        """The fix of issue i did not hold (the reporter said so when told): by default the
        department takes it on again and sends its crew; `fixed(i)` follows as before."""
        self.model.at(self.taken_on_at(i), self.model.fix, i)

    def send_feedback(self, i: int) -> None:
        """The result goes back to the reporter (if feedback is switched on): the issue closes."""
        feedback = self.model.components.get("feedback")
        if feedback is not None:
            feedback.send(i)

    def ledger(self) -> dict[str, Role]:
        """The hours of the officials this arrangement employs, by role; the model adds the chiefs,
        the patrol officers and the departments' acceptance work."""
        return {}
