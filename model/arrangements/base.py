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
        \"\"\"Operators answer around the clock and send a work order straight to the
        department.\"\"\" name = "hotline" Params = HotlineParams

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
                .discovered_by[i] (MERCHANT or CHIEF), .reported_at[i], .acknowledged_at[i]
                (read only)
  its records   model.issues.hop(i), .bounce(i), .coordinate(i)
  its own state model.issues.column(default): a list indexed by issue
  the district  model.spec (the scenario), model.rng (the arrangement's own random stream),
                model.calendars, model.chiefs, model.chief_of_zone, model.liaison_of_zone,
                model.departments (indexed like issues.department)
  components    `components = {"patrol", "inspection"}` switches on mechanisms the model runs for it
                (`streetchief.components`), set by the Params fields of the same names.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from streetchief.district import DistrictModel

ARRANGEMENTS: dict[str, type[Arrangement]] = {}


class ArrangementParams(BaseModel):
    """An arrangement's own parameters, read from `arrangements.<name>` in the scenario."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def check(self, known: dict[str, set[str]], path: str) -> list[str]:
        """Problems with references to the rest of the scenario; `known['calendars']` etc. are the
        names each section defines, `path` is where these parameters sit (for the messages)."""
        return []


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
    ARRANGEMENTS[cls.name] = cls
    return cls


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

    def patrollers(self):
        """Who patrols, when the patrol component is on: the street chiefs, unless an arrangement
        says otherwise (each needs `zones`, `hours`, `found` and `key`)."""
        return self.model.chiefs.values()
