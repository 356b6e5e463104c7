"""Parameter sets drawn from a scenario's `uncertain:` ranges, run as a sweep of every arrangement
on the same problems (replication r of every set uses seed + r)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from streetchief.errors import ScenarioError, SweepError
from streetchief.scenario import load_scenario, read_yaml_mapping, resolve_path

DESIGNS = ("latin_hypercube", "sobol")


def uncertainty_sweep(
    scenario: str | Path | dict,
    sets: int,
    replications: int = 2,
    arrangements: list[str] | None = None,
    treatment: str = "street_chief",
    seed: int | None = None,
    days: float | None = None,
    settings: dict | None = None,
    design: str = "latin_hypercube",
    calibrated: str | Path | None = None,
):
    """The sweep that draws `sets` parameter sets (a Latin hypercube, or a Sobol design of
    `sets`·(D+2) points) from the scenario's `uncertain` ranges; a path given in `settings`
    (`--set`) is the user's own value and is not drawn. With a `calibrated` folder, the
    parameters it fitted are drawn from its posterior, one draw per set, in place of their
    ranges."""
    from streetchief.sweeps.spec import load_sweep

    settings = dict(settings or {})
    if isinstance(scenario, dict):
        source, base = scenario.get("name", "<dict>"), scenario
        loaded = load_scenario(base, **settings)
    else:
        path = resolve_path(scenario)
        source = str(path)
        base = read_yaml_mapping(path, ScenarioError, "sections (name, run, zones, ...)")
        loaded = load_scenario(path, **settings)
    posterior = None
    if calibrated is not None:
        from streetchief.calibration.run import read_posterior

        posterior, _ = read_posterior(calibrated)
        settings = {**posterior.given, **settings}  # the log's waits: the same in every set
        fitted = [p for p in posterior.samples.columns if p not in settings]
    else:
        fitted = []
    ranges = {
        p: r.model_dump(exclude={"why"}, exclude_defaults=True)
        for p, r in loaded.uncertain.items()
        if p not in settings and p not in fitted
    }
    if not ranges:
        raise SweepError(
            source,
            [
                "uncertain: the scenario gives no ranges for what it does not know (or --set "
                "fixes every one); add them, e.g. `uncertain: {department_response.take_on."
                "median: {low: 0.25, high: 8, distribution: loguniform, why: ...}}`, as "
                "jingxing_2019 does"
            ],
        )
    names = arrangements or loaded.arrangement_names
    if treatment not in names or len(names) < 2:
        raise SweepError(
            source,
            [
                f"--treatment {treatment!r} must be one of at least two arrangements compared "
                f"({', '.join(names)})"
            ],
        )
    if design not in DESIGNS:
        raise SweepError(source, [f"design must be one of {', '.join(DESIGNS)}, got {design!r}"])
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{loaded.name}-uncertainty")[:64].lstrip("_.-")
    spec = {
        "name": name or "uncertainty",
        "description": f"{treatment} against every other arrangement over the ranges of "
        f"{loaded.name}'s `uncertain` section",
        "scenario": source,
        "seed": loaded.run.seed if seed is None else seed,
        "replications": replications,
        "arrangements": list(names),
        "baseline": next(a for a in names if a != treatment),
        "treatment": treatment,
        "design": design,
        "samples": sets,
        "uncertainties": ranges,
    }
    if days is not None:
        spec["days"] = days
    if posterior is not None and fitted:
        seed_ = spec["seed"]
        points = sets * (len(ranges) + 2) if design == "sobol" else sets
        draws = [posterior.draw(np.random.default_rng([seed_, p]), 1)[0] for p in range(points)]
        spec["given"] = {path: [d[path] for d in draws] for path in fitted}
        spec["given_from"] = f"the posterior in {Path(calibrated)}"
    try:
        if isinstance(scenario, dict):
            return load_sweep(spec, base=load_scenario_dict(base, settings), settings=settings)
        return load_sweep(spec, settings=settings)
    except SweepError as e:  # the spec is made here: what is wrong is in the scenario's ranges
        prefix = "uncertainties."
        raise ScenarioError(
            source,
            [f"uncertain.{p[len(prefix) :]}" if p.startswith(prefix) else p for p in e.problems],
        ) from None


def load_scenario_dict(base: dict, settings: dict) -> dict:
    from streetchief.scenario import apply_overrides

    return apply_overrides(base, settings, "the scenario with --set") if settings else base


def uncertainty(
    scenario: str | Path | dict,
    sets: int = 64,
    replications: int = 2,
    arrangements: list[str] | None = None,
    treatment: str = "street_chief",
    seed: int | None = None,
    days: float | None = None,
    settings: dict | None = None,
    design: str = "latin_hypercube",
    out: str | Path | None = None,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    progress=True,
    force: bool = False,
    calibrated: str | Path | None = None,
):
    """Run the parameter sets (resuming an earlier start in `out`) and return the `Answer`; the
    sweep's files (runs.parquet, sweep.json) are in `out`, ready for `streetchief verify`."""
    from streetchief.sweeps.runner import sweep
    from streetchief.uncertainty.analysis import answer

    sw = uncertainty_sweep(
        scenario, sets, replications, arrangements, treatment, seed, days, settings, design,
        calibrated,
    )  # fmt: skip
    out = Path(out) if out is not None else Path("results") / "uncertainty" / sw.spec.name
    sweep(sw, out, executor, workers, scheduler, progress, force)
    from streetchief.sweeps.analysis import load_runs

    runs, meta = load_runs(out)
    return answer(runs, meta)


def write_answer(ans, folder, scenario=None, names: dict | None = None) -> list[str]:
    """answer.csv, sets.csv, sensitivity.csv, boxes.json, answer.txt and the figures."""
    import json
    from pathlib import Path

    from streetchief.files import write_csv, write_text

    folder = Path(folder)
    write_csv(ans.table, folder / "answer.csv")
    write_csv(ans.per_set, folder / "sets.csv")
    write_csv(ans.sensitivity, folder / "sensitivity.csv")
    write_text(json.dumps(ans.boxes, indent=1, default=float) + "\n", folder / "boxes.json")
    from streetchief.uncertainty.analysis import answer_text

    lines = answer_text(ans, scenario, names)
    write_text("\n".join(lines) + "\n", folder / "answer.txt")
    from streetchief.uncertainty.figures import discovery_figure, spread_figure

    spread_figure(ans, folder / "uncertainty.png", names)
    discovery_figure(ans, folder / "discovery.png", scenario, names)
    return lines
