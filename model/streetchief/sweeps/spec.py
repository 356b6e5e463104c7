"""Sweep specs and their designs: uncertainties × levers by dotted path → a table of points."""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from streetchief.errors import ScenarioError, SweepError, describe_error
from streetchief.outcomes import OUTCOMES
from streetchief.scenario import apply_overrides, load_scenario, read_yaml_mapping, resolve_path
from streetchief.scenario.limits import run_problems
from streetchief.scenario.ranges import Range
from streetchief.scenario.schema import MAX_DAYS, MAX_SEED

MAX_POINTS = 1_000_000  # a design's points: past this the table of points alone is too large
MAX_TASKS = 10_000_000  # points × replications

DESIGNS = ("grid", "latin_hypercube", "sobol", "morris")


class Parameter(Range):
    """Values to try: a list (`values`), or a range (`low`, `high`) with a distribution."""

    levels: int = Field(
        3, ge=2, le=1000, description="grid only: evenly spaced values across a range"
    )

    def grid(self) -> list:
        if self.values is not None:
            return list(self.values)
        qs = np.linspace(0.0, 1.0, self.levels)
        if self.distribution == "loguniform":
            xs = np.exp(np.log(self.low) + qs * (np.log(self.high) - np.log(self.low)))
        else:
            xs = self.low + qs * (self.high - self.low)
        return sorted({int(round(x)) for x in xs}) if self.integer else [float(x) for x in xs]

    def grid_size(self) -> int:
        """Values on a grid, counted without building them (a range's whole numbers may merge)."""
        if self.values is not None:
            return len(self.values)
        if self.integer:
            return min(self.levels, int(abs(self.high - self.low)) + 1)
        return self.levels


class SweepSpec(BaseModel):
    """A sweep spec as written: the base scenario, the parameters to vary, the design, the runs."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="short name (letters, digits, _ . -), used in results and the default folder",
    )
    description: str = ""
    scenario: str = Field(
        description="base scenario: a shipped name or a YAML path (relative to the spec)"
    )
    days: float | None = Field(
        None, gt=0, le=MAX_DAYS, description="simulated days per run (default: the scenario's)"
    )
    seed: int = Field(
        1, ge=0, le=MAX_SEED, description="replication r of every point uses seed + r"
    )
    replications: int = Field(3, ge=1, le=10_000, description="paired replications per point")
    arrangements: list[str] = Field(["street_chief", "multi_layer"], min_length=1)
    baseline: str | None = Field(
        None, description="the arrangement compared against (default multi_layer when run)"
    )
    treatment: str | None = Field(
        None, description="the arrangement whose advantage is measured (default street_chief)"
    )
    design: Literal["grid", "latin_hypercube", "sobol", "morris"] = "latin_hypercube"
    samples: int = Field(
        16,
        ge=1,
        le=1_000_000,
        description="latin_hypercube: points; sobol: base sample N (N·(D+2) points); morris: "
        "trajectories (r·(D+1) points)",
    )
    morris_levels: int = Field(4, ge=2, le=20, description="morris: grid levels per parameter")
    uncertainties: dict[str, Parameter] = Field(
        {}, description="what the city cannot choose, by dotted path"
    )
    levers: dict[str, Parameter] = Field({}, description="what the city can choose, by dotted path")
    given: dict[str, list[float | int | str | bool]] = Field(
        {},
        description="values given point by point, by dotted path, one per point of the design "
        "(a calibration's posterior draws): run as written, not drawn from a range",
    )
    given_from: str = Field("", description="where the given values come from")
    outcomes: list[str] | None = Field(None, description="outcomes to keep (default: all)")
    save_issues: bool = Field(
        False, description="also write per-issue records, partitioned by point and replication"
    )

    @model_validator(mode="after")
    def _some_parameter(self):
        if (
            self.baseline is None
            and "multi_layer" in self.arrangements
            and len(self.arrangements) > 1
        ):
            self.baseline = "multi_layer"
        if (
            self.treatment is None
            and "street_chief" in self.arrangements
            and len(self.arrangements) > 1
        ):
            self.treatment = "street_chief"
        both = set(self.uncertainties) & set(self.levers)
        if both:
            raise ValueError(
                f"{', '.join(sorted(both))}: both an uncertainty and a lever; choose one"
            )
        if not self.uncertainties and not self.levers:
            raise ValueError("give at least one of uncertainties: or levers:")
        given = set(self.given) & set(self.parameters)
        if given:
            raise ValueError(f"{', '.join(sorted(given))}: both given and drawn; choose one")
        if self.design in ("sobol", "morris") and len(self.parameters) < 2:
            raise ValueError(f"{self.design} needs at least two parameters")
        if self.design == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(
                f"samples: sobol needs a power of 2 (e.g. 64, 128), got {self.samples}"
            )
        return self

    @property
    def parameters(self) -> dict[str, Parameter]:
        return {**self.uncertainties, **self.levers}


@dataclass
class Sweep:
    """A checked spec with its design: `points` has one row per point, one column per parameter."""

    spec: SweepSpec
    source: str
    base: dict  # the base scenario as read (a plain dict, sent to workers)
    points: pd.DataFrame
    unit: np.ndarray  # each point's quantiles in [0, 1)^D (what SALib analyses)
    digest: str  # identifies the spec and the base scenario's content
    problems: float = 0.0  # expected problems per run at the largest checked value (size guard)
    settings: dict = field(default_factory=dict)  # `--set` values applied to the base scenario

    @property
    def tasks(self) -> list[tuple[int, int]]:
        return [(p, r) for p in range(len(self.points)) for r in range(self.spec.replications)]

    def overrides(self, point: int) -> dict:
        return {k: _plain(v) for k, v in self.points.iloc[point].items()}


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def load_sweep(
    spec: str | Path | dict, base: dict | None = None, settings: dict | None = None
) -> Sweep:
    """Read and check a sweep spec, and check every parameter's path and extremes against the base
    scenario, so that a typo fails before anything runs. `base` gives the base scenario's content
    instead of reading the spec's `scenario` (to re-run a recorded sweep); `settings` (dotted
    paths: `--set`) change the base scenario before the design's values apply."""
    if isinstance(spec, dict):
        source, raw, here = "<dict>", spec, Path.cwd()
    else:
        path = Path(spec)
        source, here = str(path), path.parent
        raw = read_yaml_mapping(
            path, SweepError, "keys (name, scenario, design, uncertainties, ...)"
        )
    try:
        s = SweepSpec.model_validate(raw)
    except ValidationError as e:
        raise SweepError(source, [describe_error(err, SweepSpec) for err in e.errors()]) from None

    try:
        if base is None:
            base_path = Path(s.scenario)
            if not base_path.is_absolute() and (here / base_path).exists():
                base_path = here / base_path
            base_file = resolve_path(base_path if base_path.exists() else s.scenario)
            scenario = load_scenario(base_file)  # its own clear errors, if broken
            base = read_yaml_mapping(base_file, ScenarioError, "sections (name, run, zones, ...)")
            if settings:
                base = apply_overrides(base, settings, f"{base_file} with --set")
                scenario = load_scenario(base)
        else:
            scenario = load_scenario(base)
    except ScenarioError as e:
        raise SweepError(source, [f"scenario: {e}"]) from None
    problems = _expand_each(s, base)
    for name in s.arrangements + [a for a in (s.baseline, s.treatment) if a]:
        if name not in scenario.arrangement_names:
            problems.append(
                f"arrangements: {name!r} is not in {s.scenario}'s arrangements "
                f"({', '.join(scenario.arrangement_names)})"
            )
    if any(a is not None and a not in s.arrangements for a in (s.baseline, s.treatment)):
        problems.append(
            f"baseline and treatment must be among arrangements ({', '.join(s.arrangements)})"
        )
    for o in s.outcomes or []:
        if o not in OUTCOMES:
            problems.append(f"outcomes: unknown {o!r}; known: {', '.join(OUTCOMES)}")
    from streetchief.budget import expected_problems

    days_note = f" (the sweep's days: {s.days:g})" if s.days is not None else ""
    base_problems = expected_problems(scenario, s.days)
    scale = 1.0  # how much the parameters can raise the problems per run, each at its worst
    for kind, params in (("uncertainties", s.uncertainties), ("levers", s.levers)):
        for path, p in params.items():
            worst = 1.0
            for value in p.checked_values():
                try:
                    sc = load_scenario(base, **{path: value})
                    lines = run_problems(sc, s.days, days_note) if s.days is not None else []
                except ScenarioError as e:
                    lines = e.problems
                if lines:
                    problems.extend(f"{kind}.{path} = {value!r}: {line}" for line in lines)
                    break
                worst = max(worst, expected_problems(sc, s.days) / max(base_problems, 1e-9))
            scale *= worst
    n_points = design_size(s)
    for path, values in s.given.items():
        if len(values) != n_points:
            problems.append(
                f"given.{path}: {len(values)} values for the design's {n_points} points"
            )
            continue
        numeric = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        extremes = [min(numeric), max(numeric)] if numeric else list(dict.fromkeys(values))[:3]
        for value in extremes:
            try:
                load_scenario(base, **{path: value})
            except ScenarioError as e:
                problems.extend(f"given.{path} = {value!r}: {line}" for line in e.problems)
                break
    if n_points > MAX_POINTS:
        problems.append(
            f"design: {n_points:,} points; at most {MAX_POINTS:,} (fewer values, levels or samples)"
        )
    elif n_points * s.replications > MAX_TASKS:
        problems.append(
            f"replications: {n_points:,} points × {s.replications} replications; at most "
            f"{MAX_TASKS:,} tasks"
        )
    if problems:
        raise SweepError(source, list(dict.fromkeys(problems)))
    points, unit = design_points(s)
    digest = hashlib.sha256(
        json.dumps(
            {"spec": s.model_dump(mode="json"), "base": base}, sort_keys=True, default=str
        ).encode()
    ).hexdigest()[:16]
    return Sweep(s, source, base, points, unit, digest, base_problems * scale, dict(settings or {}))


def _expand_each(s: SweepSpec, base: dict) -> list[str]:
    """Parameters marked `each` become one parameter per key at their `*` (in the base scenario's
    order); the problems with any such path."""
    problems = []
    for params in (s.uncertainties, s.levers):
        for path in [k for k, p in params.items() if p.each]:
            keys = path.split(".")
            if keys.count("*") != 1:
                problems.append(f"{path}: each: true needs exactly one * in the path")
                continue
            at = keys.index("*")
            node = base
            for k in keys[:at]:
                node = node.get(k) if isinstance(node, dict) else None
            if not isinstance(node, dict) or not node:
                problems.append(f"{path}: no keys in the scenario at {'.'.join(keys[:at])}")
                continue
            p = params.pop(path).model_copy(update={"each": False})
            for k in node:
                params[".".join([*keys[:at], str(k), *keys[at + 1 :]])] = p
    return problems


def design_size(s: SweepSpec) -> int:
    """Points the design will have, counted before it is built."""
    d = len(s.parameters)
    if s.design == "grid":
        return math.prod(p.grid_size() for p in s.parameters.values())
    if s.design == "sobol":
        return s.samples * (d + 2)
    if s.design == "morris":
        return s.samples * (d + 1)
    return s.samples


def unit_problem(names: list[str]) -> dict:
    """SALib's problem over the parameters' quantiles, each in [0, 1] (`Parameter.at` maps them)."""
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def design_points(s: SweepSpec) -> tuple[pd.DataFrame, np.ndarray]:
    """(points: one column per parameter, unit quantiles). Deterministic in the spec's seed."""
    params = s.parameters
    names = list(params)
    d = len(names)
    if s.design == "grid":
        import itertools

        grids = [p.grid() for p in params.values()]
        rows = list(itertools.product(*grids))
        unit = np.array(
            [[(g.index(v) + 0.5) / len(g) for g, v in zip(grids, row, strict=True)] for row in rows]
        )
        return _with_given(pd.DataFrame(rows, columns=names), s), unit
    if s.design == "latin_hypercube":
        from scipy.stats import qmc

        unit = qmc.LatinHypercube(d=d, rng=np.random.default_rng(s.seed)).random(s.samples)
    elif s.design == "sobol":
        from SALib.sample import sobol

        unit = sobol.sample(unit_problem(names), s.samples, calc_second_order=False, seed=s.seed)
    else:
        from SALib.sample import morris

        unit = morris.sample(
            unit_problem(names), s.samples, num_levels=s.morris_levels, seed=s.seed
        )
    unit = np.clip(unit, 0.0, 1.0 - 1e-12)
    rows = [[p.at(u) for p, u in zip(params.values(), row, strict=True)] for row in unit]
    return _with_given(pd.DataFrame(rows, columns=names), s), unit


def _with_given(points: pd.DataFrame, s: SweepSpec) -> pd.DataFrame:
    for path, values in s.given.items():
        points[path] = values
    return points
