"""The interface every arrangement implements."""
from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from streetchief.district import DistrictModel

ARRANGEMENTS: dict[str, type["Arrangement"]] = {}


class ArrangementParams(BaseModel):
    """An arrangement's own parameters, read from `arrangements.<name>` in the scenario."""
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    def check(self, known: dict[str, set[str]], path: str) -> list[str]:
        """Problems with references to the rest of the scenario; `known['calendars']` etc. are the names
        each section defines, `path` is where these parameters sit (for the messages)."""
        return []


def register(cls: type["Arrangement"]) -> type["Arrangement"]:
    """Class decorator: make an arrangement available under `cls.name` in scenarios and the CLI."""
    ARRANGEMENTS[cls.name] = cls
    return cls


class Arrangement:
    """Receives issues from the model and drives each one to resolution and feedback.

    The model provides the shared steps: `model.acknowledge(i)`, `model.dispatch(i)`,
    `model.fix(i)` (sends the responsible department's crew, then calls `self.fixed(i)`),
    `model.resolve(i)`, `model.close(i)`, and `model.at(t, fn, i)` to schedule the next step.
    The current time is `model.now` (hours since the scenario start).
    """

    name: ClassVar[str]
    Params: ClassVar[type[ArrangementParams]] = ArrangementParams

    def __init__(self, model: "DistrictModel", params: ArrangementParams):
        self.model, self.params = model, params

    def receive(self, i: int) -> None:
        """Issue i has just been reported (at model.now); discovered_by is in model.rec_discovered[i]."""
        raise NotImplementedError

    def fixed(self, i: int) -> None:
        """The crew has fixed issue i: record it and send feedback."""
        raise NotImplementedError

    def chief_hours(self) -> float:
        return 0.0
