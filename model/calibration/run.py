"""`streetchief calibrate`: fit an arrangement to a log, check it on a held-out part, write it all.

DIR/calibration.json  the fitted values with their intervals, the distance, evaluations used, the
                      held-out check, provenance
DIR/posterior.csv     the posterior sample (one column per parameter, and its weight)
DIR/fitted.yaml       the scenario with the fitted values (posterior medians), comments kept
DIR/fit.png           recorded against simulated hours to resolution, fitted part and held-out part
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from streetchief.calibration.figures import fit_figure
from streetchief.calibration.fit import Simulator, observe, predictive, search, write_fitted_yaml
from streetchief.calibration.spec import CalibrationError, load_calibration
from streetchief.files import write_json, write_text
from streetchief.provenance import provenance, reproduction_record
from streetchief.scenario import load_scenario, read_yaml_mapping, resolve_path

MIN_ISSUES = 30  # resolved issues each part of a split log must keep


def base_of(scenario_ref: str | Path) -> tuple[dict, str]:
    """(the scenario as plain data, its text) from a shipped name or a YAML path."""
    from streetchief.errors import ScenarioError

    path = resolve_path(scenario_ref)
    return read_yaml_mapping(path, ScenarioError, "sections"), path.read_text(encoding="utf-8")


def split(log, holdout: float):
    """(earlier, later): the log's issues before and after the (1 − holdout) quantile of reports."""
    t = log.frame.reported_at
    cut = t.quantile(1 - holdout)
    early, late = t < cut, t >= cut
    return log.subset(early.to_numpy()), log.subset(late.to_numpy())


def _resolved(log) -> int:
    return int(log.frame.resolved_at.notna().sum()) if "resolved_at" in log.frame else 0


def check_inputs(
    scenario_ref, log, arrangement: str, spec, holdout: float | None, settings: dict | None = None
):
    """Everything a calibration checks before it writes anything: the arrangement, the log's
    resolved issues, the spec's paths and ranges, the holdout's parts. `settings` (dotted paths:
    `--set`) change the scenario first. (base, base_text, scenario, calibration, fit_log,
    test_log)."""
    base, base_text = base_of(scenario_ref)
    if settings:
        from streetchief.calibration.fit import set_in_text
        from streetchief.scenario import apply_overrides

        base = apply_overrides(base, settings, f"{scenario_ref} with --set")
        base_text = set_in_text(base_text, settings)
    scenario = load_scenario(base)
    if arrangement not in scenario.arrangement_names:
        raise CalibrationError(
            str(scenario_ref),
            [
                f"--arrangement {arrangement!r}: not among the "
                f"scenario's ({', '.join(scenario.arrangement_names)})"
            ],
        )
    if not _resolved(log):
        raise CalibrationError(
            log.source,
            [
                f"nothing to fit: no resolved_at in {log.source} (the log "
                "must say when issues were resolved)"
            ],
        )
    calibration = load_calibration(spec, base)
    fit_log, test_log = log, None
    if holdout:
        if not 0 < holdout < 1:
            raise CalibrationError("--holdout", [f"must be between 0 and 1, got {holdout}"])
        fit_log, test_log = split(log, holdout)
        for part, name in ((fit_log, "fitted"), (test_log, "held-out")):
            if _resolved(part) < MIN_ISSUES:
                raise CalibrationError(
                    log.source,
                    [
                        f"--holdout {holdout}: the {name} part keeps {_resolved(part)} resolved "
                        f"issues; at least {MIN_ISSUES} are needed (a smaller holdout, longer log)"
                    ],
                )
    return base, base_text, scenario, calibration, fit_log, test_log


def calibrate(
    scenario_ref,
    log,
    arrangement: str,
    spec,
    out: str | Path,
    executor: str = "local",
    workers: int | None = None,
    holdout: float | None = None,
    progress=None,
    settings: dict | None = None,
) -> dict:
    """Fit `arrangement`'s parameters named in `spec` to `log` (an IssueLog read against the
    scenario), replaying the log's own arrivals; with `holdout`, fit on the earlier part and check
    the later. Returns what calibration.json holds."""
    out = Path(out)
    base, base_text, scenario, calibration, fit_log, test_log = check_inputs(
        scenario_ref, log, arrangement, spec, holdout, settings
    )
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CalibrationError(
            str(out), [f"cannot create the output folder ({e.strerror})"]
        ) from None

    recorded, categories, horizon = observe(fit_log, scenario, calibration.spec.categories)
    from streetchief.calibration.fit import _prior
    from streetchief.calibration.statistics import statistics

    _, names = _prior(calibration)
    simulator = Simulator(base, fit_log, arrangement, categories, horizon, calibration, names)
    observed = statistics(recorded, categories, horizon)
    posterior, info = search(calibration, simulator, observed, out, executor, workers, progress)
    spec = calibration.spec
    fitted = predictive(simulator, posterior, recorded, categories, spec.draws, spec.seed)
    rows = [("fitted", recorded, fitted)]
    held = None
    if test_log is not None:
        test_recorded, _, test_horizon = observe(test_log, scenario, spec.categories)
        test_sim = Simulator(
            base, test_log, arrangement, categories, test_horizon, calibration, names
        )
        held = predictive(
            test_sim, posterior, test_recorded, categories, spec.draws, spec.seed + 1000
        )
        rows.append(("held out", test_recorded, held))

    log_sha = log.provenance().get("log_sha256")
    posterior_table = posterior.samples.assign(weight=posterior.weights)
    write_text(posterior_table.to_csv(index=False), out / "posterior.csv")
    write_fitted_yaml(base_text, posterior, log_sha, out / "fitted.yaml")
    title = (
        f"{arrangement} fitted to {Path(log.source).name}: distance {fitted['distance_median']:.3g}"
    )
    if held is not None:
        title += f"; held out: distance {held['distance_median']:.3g}, "
        title += f"{held['share_inside']:.0%} of medians and p90s inside the 90% intervals"
    fit_figure(rows, categories, out / "fit.png", title)

    def public(check):
        return None if check is None else {k: v for k, v in check.items() if not k.startswith("_")}

    record = {
        "kind": "calibration",
        "name": spec.name,
        "digest": calibration.digest,
        "arrangement": arrangement,
        "spec": spec.model_dump(mode="json"),
        "spec_source": calibration.source,
        "scenario": scenario.name,
        "log": log.provenance(),
        "holdout": holdout,
        "settings": dict(settings or {}),
        "categories": categories,
        "fitted": posterior.summary(),
        "distance": fitted["distance_median"],
        "fit": public(fitted),
        "held_out": public(held),
        **info,
        **reproduction_record(base),
        "created": provenance()["created"],
    }
    write_json(record, out / "calibration.json")
    return record


def draw_overrides(folder: str | Path, replications: int, seed: int) -> list[dict]:
    """One parameter setting per replication, drawn from a calibration folder's posterior (so that a
    comparison's interval includes what is not known about the parameters)."""
    from streetchief.calibration.fit import Posterior

    folder = Path(folder)
    if not (folder / "posterior.csv").is_file() or not (folder / "calibration.json").is_file():
        raise CalibrationError(
            str(folder),
            [
                "not a calibration folder: it needs posterior.csv and "
                "calibration.json (run `streetchief calibrate` first)"
            ],
        )
    posterior = Posterior.read(folder)
    return [posterior.draw(np.random.default_rng([seed, r]), 1)[0] for r in range(replications)]
