"""Ranges of values: what a sweep varies and what a scenario does not know (`uncertain`)."""

from __future__ import annotations

import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator


class Range(BaseModel):
    """Values a setting may take: a list (`values`), or a range (`low`, `high`) with a
    distribution; `at(u)` maps a quantile u ∈ [0, 1) onto it."""

    model_config = ConfigDict(extra="forbid")
    values: list[Any] | None = Field(None, description="the values to try (any design)")
    low: float | None = Field(None, allow_inf_nan=False, description="lower end of a range")
    high: float | None = Field(None, allow_inf_nan=False, description="upper end of a range")
    distribution: Literal["uniform", "loguniform"] = Field(
        "uniform", description="how a range is sampled"
    )
    integer: bool = Field(False, description="round to whole numbers (crews, clerks)")
    each: bool = Field(
        False,
        description="with a `*` in the path: each key at that place varies on its own (one "
        "parameter per category, say), not all together",
    )

    @model_validator(mode="after")
    def _one_kind(self):
        if self.values is not None:
            if self.low is not None or self.high is not None:
                raise ValueError("give either values or low/high, not both")
            if not self.values:
                raise ValueError("values: give at least one")
            _one_kind_of_values(self.values)
        elif self.low is None or self.high is None:
            raise ValueError("give values: [...] or both low and high")
        elif not self.high > self.low:
            raise ValueError(f"high must be > low, got low {self.low}, high {self.high}")
        elif self.distribution == "loguniform" and self.low <= 0:
            raise ValueError("loguniform needs low > 0")
        return self

    def at(self, u: float):
        """The value at quantile u ∈ [0, 1) of this parameter's distribution."""
        if self.values is not None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        if self.distribution == "loguniform":
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        return int(math.floor(x + 0.5)) if self.integer else float(x)

    def checked_values(self) -> list:
        """What is checked against the scenario before anything runs: every distinct value of a
        list, the two ends of a range (every value between them is valid when both are)."""
        if self.values is not None:
            return list({json.dumps(v, sort_keys=True): v for v in self.values}.values())
        return self.extremes()

    def extremes(self) -> list:
        return (
            [self.values[0], self.values[-1]]
            if self.values is not None
            else [self.at(0.0), self.at(0.999999)]
        )


def _kind(v) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, (int, float)):
        return "number"
    return "text" if isinstance(v, str) else "other"


def _one_kind_of_values(values: list) -> None:
    """Values of one kind, so that every run's row has the same columns (numbers may mix whole and
    decimal: they become decimal)."""
    kinds = {}
    for v in values:
        kinds.setdefault(_kind(v), v)
    if "other" in kinds:
        raise ValueError(
            f"values: {kinds['other']!r} is not a number, a text or true/false; to vary a "
            "duration or a list, sweep one of its numbers (e.g. categories.noise.work.mean)"
        )
    kinds.pop(None, None)
    if len(kinds) > 1:
        shown = ", ".join(f"{k} ({v!r})" for k, v in kinds.items())
        raise ValueError(f"values: mixes {shown}; give values of one kind")
    if "number" in kinds and any(
        isinstance(v, float) and not math.isfinite(v) for v in values if v is not None
    ):
        raise ValueError("values: every number must be finite")


class UncertainRange(Range):
    """What a scenario does not know about one of its values: where it plausibly lies, and why."""

    why: str = Field(
        min_length=1, max_length=500, description="one line of reasoning for the range"
    )
