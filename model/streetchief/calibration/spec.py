"""Calibration specs: which parameters to fit (dotted paths with ranges), and the search's budget.

name: la_hotline
parameters:                      # dotted paths into the scenario, as in sweep specs
  department_response.take_on.median: {low: 0.5, high: 96, distribution: loguniform}
  categories.*.work.median: {low: 0.5, high: 48, distribution: loguniform}
population_size: 40              # particles per generation of ABC-SMC
generations: 5                   # generations at most
categories: 6                    # the most frequent categories compared one by one
draws: 20                        # posterior draws for the figure and the held-out check
seed: 1
leads: from_log                  # each category's wait from the log's close times (or none)
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from streetchief.errors import InputError, ScenarioError, describe_error
from streetchief.scenario import load_scenario, read_yaml_mapping


class CalibrationError(InputError):
    """A calibration that cannot run: a bad spec, a log with nothing to fit, a holdout too small."""

    what = "calibration"


class FittedParameter(BaseModel):
    """A parameter's prior: a range, evenly or on a log scale; whole numbers for counts."""

    model_config = ConfigDict(extra="forbid")
    low: float = Field(allow_inf_nan=False, description="lower end of the range")
    high: float = Field(allow_inf_nan=False, description="upper end of the range")
    distribution: Literal["uniform", "loguniform"] = Field(
        "uniform", description="how it is spread"
    )
    integer: bool = Field(False, description="rounded to a whole number (crews, clerks)")

    @model_validator(mode="after")
    def _range(self):
        if not self.high > self.low:
            raise ValueError(f"high must be > low, got low {self.low}, high {self.high}")
        if self.distribution == "loguniform" and self.low <= 0:
            raise ValueError("loguniform needs low > 0")
        return self

    def value(self, x: float):
        return int(math.floor(x + 0.5)) if self.integer else float(x)


class CalibrationSpec(BaseModel):
    """A calibration spec as written: the parameters and the search's budget."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(
        "calibration", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="short name"
    )
    description: str = ""
    parameters: dict[str, FittedParameter] = Field(min_length=1, description="dotted paths to fit")
    population_size: int = Field(
        40, ge=5, le=10_000, description="particles per ABC-SMC generation"
    )
    generations: int = Field(5, ge=1, le=100, description="ABC-SMC generations at most")
    min_epsilon: float = Field(
        0.0, ge=0, description="stop once the acceptance threshold is this low"
    )
    categories: int = Field(
        6, ge=1, le=50, description="most frequent categories compared one by one"
    )
    draws: int = Field(
        20, ge=2, le=1000, description="posterior draws for the figure and held-out check"
    )
    seed: int = Field(1, ge=0, le=2**31 - 1, description="seed of the search and of the runs")
    leads: Literal["none", "from_log"] = Field(
        "none",
        description="from_log: each category's wait set from the log's close times before the "
        "search (its distribution, shrunk across categories; calibration/leads.py); none: the "
        "scenario's",
    )


@dataclass
class Calibration:
    """A checked spec against its base scenario (a plain dict, as sent to workers)."""

    spec: CalibrationSpec
    source: str
    base: dict

    @property
    def digest(self) -> str:
        body = {"spec": self.spec.model_dump(mode="json"), "base": self.base}
        return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[
            :16
        ]


def load_calibration(spec: str | Path | dict, base: dict) -> Calibration:
    """Read a spec and check every parameter's path and both ends of its range on the base scenario,
    so that a typo fails before anything runs."""
    if isinstance(spec, dict):
        source, raw = "<dict>", spec
    else:
        source = str(spec)
        raw = read_yaml_mapping(
            Path(spec), CalibrationError, "keys (name, parameters, generations, ...)"
        )
    try:
        s = CalibrationSpec.model_validate(raw)
    except ValidationError as e:
        raise CalibrationError(
            source, [describe_error(err, CalibrationSpec) for err in e.errors()]
        ) from None
    problems = []
    for path, p in s.parameters.items():
        for end in (p.low, p.high):
            try:
                load_scenario(base, **{path: p.value(end)})
            except ScenarioError as e:
                problems.extend(
                    f"parameters.{path} = {p.value(end)!r}: {line}" for line in e.problems
                )
                break
    if problems:
        raise CalibrationError(source, list(dict.fromkeys(problems)))
    return Calibration(s, source, base)
