"""`streetchief calibrate`: fit an arrangement to a log, check it on a held-out part, write it all.

DIR/calibration.json  the fitted values with their intervals, the distance, evaluations used, the
                      held-out check, provenance
DIR/posterior.csv     the posterior sample (one column per parameter, and its weight)
DIR/fitted.yaml       the scenario with the fitted values (posterior medians), comments kept
DIR/fit.png           recorded against simulated hours to resolution, fitted part and held-out part
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from streetchief.calibration.figures import fit_figure
from streetchief.calibration.fit import Simulator, observe, predictive, search, write_fitted_yaml
from streetchief.calibration.spec import CalibrationError, load_calibration
from streetchief.files import write_json, write_text
from streetchief.provenance import provenance, reproduction_record
from streetchief.scenario import load_scenario, read_yaml_mapping, resolve_path

MIN_ISSUES = 30  # resolved issues each part of a split log must keep
# a fit is believed when, on the held-out part, the recorded median and 90th percentile of hours
# to resolution lie inside the draws' 90% band for this share of the categories, each apart
# [assumption: four in five; a band that misses more is not reproducing the city]
PASS_SHARE = 0.8
CALIBRATION_FILES = ("posterior.csv", "fitted.yaml", "fit.png")  # listed in calibration.json
MIN_DRAWS = 20  # fewer posterior draws make the 90% band little more than their extremes


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
                        f"issues; at least {MIN_ISSUES} are needed (a smaller holdout, a longer "
                        "log, or --holdout 0 to fit without a check)"
                    ],
                )
    return base, base_text, scenario, calibration, fit_log, test_log


class Fit:
    """What a search and its checks run on, from the checked inputs (`check_inputs`): the recorded
    outcomes of the fitted part, the waits fitted from the log (leads: from_log) and the simulator
    replaying that part's issues. `checks` replays posterior draws on both parts, as calibrate
    reports them and verify derives them again."""

    def __init__(self, base, base_text, scenario, calibration, fit_log, test_log, arrangement):
        spec = calibration.spec
        self.recorded, self.categories, self.horizon = observe(fit_log, scenario, spec.categories)
        self.leads = None
        if spec.leads == "from_log":
            self.leads, base, base_text = fit_waits(
                base,
                base_text,
                fit_log,
                self.recorded,
                list(scenario.categories),
                arrangement,
                calibration,
            )
        from streetchief.calibration.fit import _prior

        _, self.names = _prior(calibration)
        self.base, self.base_text, self.scenario = base, base_text, scenario
        self.calibration, self.test_log, self.arrangement = calibration, test_log, arrangement
        self.simulator = Simulator(
            base, fit_log, arrangement, self.categories, self.horizon, calibration, self.names
        )

    def checks(self, posterior):
        """(fitted, held out or None, the figure's rows): `spec.draws` posterior draws replayed on
        the fitted part (seeds from spec.seed) and on the held-out part (spec.seed + 1000)."""
        spec, categories = self.calibration.spec, self.categories
        fitted = predictive(
            self.simulator, posterior, self.recorded, categories, spec.draws, spec.seed
        )
        rows, held = [("fitted", self.recorded, fitted)], None
        if self.test_log is not None:
            test_recorded, _, test_horizon = observe(self.test_log, self.scenario, spec.categories)
            test_sim = Simulator(
                self.base,
                self.test_log,
                self.arrangement,
                categories,
                test_horizon,
                self.calibration,
                self.names,
            )
            held = predictive(
                test_sim, posterior, test_recorded, categories, spec.draws, spec.seed + 1000
            )
            rows.append(("held out", test_recorded, held))
        return fitted, held, rows


def public(check):
    """A check as the record keeps it (without its figure's data)."""
    return None if check is None else {k: v for k, v in check.items() if not k.startswith("_")}


def remove_unless_resumable(out: Path, made: list[Path]) -> None:
    """After a failed search: the folders this command `made` (out first) are removed when they
    hold no search to resume (a failed calibration leaves the old folder, or none)."""
    if not made or (out / "search.json").exists():
        return
    shutil.rmtree(out, ignore_errors=True)
    for folder in made[1:]:
        try:
            folder.rmdir()
        except OSError:
            break


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
    made = [p for p in [out, *out.parents] if not p.exists()]
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise CalibrationError(
            str(out), [f"cannot create the output folder ({e.strerror})"]
        ) from None

    scenario_base = base  # the user's scenario (with --set): what the record's hash names
    fit = Fit(base, base_text, scenario, calibration, fit_log, test_log, arrangement)
    base, base_text, simulator, recorded = fit.base, fit.base_text, fit.simulator, fit.recorded
    from streetchief.calibration.fit import rows_digest
    from streetchief.calibration.statistics import statistics

    observed = statistics(recorded, fit.categories, fit.horizon)

    identity = {
        "arrangement": arrangement,
        "fitted_rows": rows_digest(fit_log.frame),
        "holdout": holdout or 0.0,
    }
    try:
        posterior, info = search(
            calibration, simulator, observed, out, executor, workers, progress, identity
        )
    except BaseException:
        remove_unless_resumable(out, made)
        raise
    spec = calibration.spec
    categories, leads = fit.categories, fit.leads
    fitted, held, rows = fit.checks(posterior)

    check = held_out_check(held, spec.draws)
    log_sha = log.provenance().get("log_sha256")
    posterior_table = posterior.samples.assign(weight=posterior.weights)

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
        "check": check,
        **({} if leads is None else leads),
        **info,
        **reproduction_record(scenario_base),
        "created": provenance()["created"],
    }
    title = (
        f"{arrangement} fitted to {Path(log.source).name}: distance {fitted['distance_median']:.3g}"
    )
    if held is not None:
        title += f"; held out: distance {held['distance_median']:.3g}, "
        title += (
            f"medians {_share_words(check['median'])}, p90s {_share_words(check['p90'])} inside "
            f"the 90% bands: {'passes' if check['passes'] else 'fails'}"
        )
    # the results are written aside and moved in together, the record last: a calibration that
    # fails while writing leaves the previous result as it was
    stage = out / ".writing"
    shutil.rmtree(stage, ignore_errors=True)
    stage.mkdir()
    try:
        write_text(posterior_table.to_csv(index=False), stage / "posterior.csv")
        write_fitted_yaml(base_text, posterior, log_sha, stage / "fitted.yaml")
        fit_figure(rows, categories, stage / "fit.png", title, arrangement=arrangement)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    from streetchief.provenance import file_hash

    (out / "calibration.json").unlink(missing_ok=True)  # no record beside half-moved files
    for name in CALIBRATION_FILES:
        os.replace(stage / name, out / name)
    stage.rmdir()
    record["files"] = {name: file_hash(out / name) for name in CALIBRATION_FILES}
    write_json(record, out / "calibration.json")
    return record


def fit_waits(
    base: dict, base_text: str, fit_log, recorded, categories: list, arrangement: str, calibration
):
    """`leads: from_log`: each category's wait from the fitted part's close times (`recorded`,
    its recorded table), pooled, then moved until the arrangement's simulated close times match
    the recorded (`leads.match`). (what calibration.json records of it, the base with the waits,
    its text with them)."""
    from streetchief.calibration.fit import replay_table, set_in_text
    from streetchief.calibration.leads import MATCH_ROUNDS, fit_leads, lead_overrides, match
    from streetchief.scenario import apply_overrides

    fits = fit_leads(recorded, categories)
    seed = calibration.spec.seed
    misses = match(fits, lambda o: replay_table(base, fit_log, arrangement, o, seed))
    given = lead_overrides(fits)
    record = {
        "from_log": given,
        "leads": {
            "method": "each category's close times in the fitted part (as quantiles), mixed with "
            "the city's by n/(n + 30) (partial pooling), then moved by what the simulated close "
            f"times miss, {MATCH_ROUNDS} rounds",
            "median_miss_hours": misses,
            "categories": {c: f.record() for c, f in fits.items()},
        },
    }
    base = apply_overrides(base, given, "the scenario with the log's waits")
    base_text = set_in_text(
        base_text, given, "set from the log's close times ([log], calibrate with leads: from_log)"
    )
    return record, base, base_text


def coverage_rows(record: dict) -> list[tuple]:
    """Per part of the log (fitted, held out): the recorded and the simulated median hours to
    close, and in how many categories the recorded median and 90th percentile lie inside the
    draws' 90% band ("2 of 6")."""
    rows = []
    holdout = record.get("holdout") or 0
    for part, check in (
        (
            f"fitted (earlier {1 - holdout:.0%})" if holdout else "fitted (the whole log)",
            record["fit"],
        ),
        (f"held out (later {holdout:.0%})", record.get("held_out")),
    ):
        if check is None:
            continue
        rows.append(
            (
                part,
                check["median_hours_recorded"],
                check["median_hours_simulated"],
                _share_words(_coverage(check, "median")),
                _share_words(_coverage(check, "p90")),
            )
        )
    return rows


def held_out_words(record: dict) -> str:
    """The held-out check in words (Markdown): whether the fit is believed, how many categories'
    recorded medians and 90th percentiles the model's band holds, and what follows from it."""
    c = record["check"]
    if record.get("held_out") is None:
        return (
            "**No held-out check**: the whole log was fitted (holdout 0), so nothing says the fit "
            "predicts what it has not seen; a counterfactual on it refuses to speak unless forced."
        )
    share = record.get("holdout") or 0
    bands = (
        f"on the later {share:.0%} of the log, which the fit never saw, the recorded median lies "
        f"inside the model's 90% band ({c['draws']} posterior draws) in "
        f"{_share_words(c['median'])} categories and the 90th percentile in "
        f"{_share_words(c['p90'])} (the check needs {c['threshold']:.0%} of each)"
    )
    if c["passes"]:
        return f"**The fit passes its held-out check**: {bands}."
    return (
        f"**Poor fit: the held-out check fails.** {bands[0].upper()}{bands[1:]}. {c['why']}. The "
        f"fitted {record['arrangement']} does not reproduce this city out of sample: no "
        "counterfactual on it is evidence about the city."
    )


def _share_words(c: dict | None) -> str:
    return "—" if not c or not c["of"] else f"{c['inside']} of {c['of']}"


def _coverage(held: dict, statistic: str) -> dict:
    rows = [r for r in held["checks"] if r["statistic"] == statistic]
    inside = sum(bool(r["inside"]) for r in rows)
    return {"inside": inside, "of": len(rows), "share": inside / len(rows) if rows else None}


def held_out_check(held: dict | None, draws: int) -> dict:
    """Whether the fit is believed: on the held-out part, the recorded medians and 90th
    percentiles per category inside the draws' 90% bands for PASS_SHARE of the categories, each
    apart, from at least MIN_DRAWS draws."""
    out = {"passes": False, "threshold": PASS_SHARE, "draws": draws, "median": None, "p90": None}
    if held is None:
        out["why"] = (
            "no held-out part: the fit was not checked on issues it did not see (calibrate with "
            "--holdout, e.g. 0.3)"
        )
        return out
    fails = []
    for statistic in ("median", "p90"):
        c = out[statistic] = _coverage(held, statistic)
        if not c["of"]:
            fails.append(f"no category of the held-out part has a recorded {statistic}")
        elif c["share"] < PASS_SHARE:
            fails.append(
                f"{c['inside']} of {c['of']} held-out {statistic}s inside the draws' 90% band "
                f"(needs {PASS_SHARE:.0%})"
            )
    if draws < MIN_DRAWS:
        fails.append(
            f"{draws} posterior draws; a 90% band needs at least {MIN_DRAWS} (draws: in the spec)"
        )
    out["passes"] = not fails
    out["why"] = "; ".join(fails) or (
        f"held-out medians {_share_words(out['median'])} and p90s {_share_words(out['p90'])} "
        f"inside the draws' 90% bands (at least {PASS_SHARE:.0%} each)"
    )
    return out


def read_posterior(folder: str | Path):
    """A calibration folder's posterior and record, checked: the parameters its spec names and no
    other, each inside its prior, weights finite, not negative and not all zero."""
    import json

    import pandas as pd

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
    where = str(folder / "calibration.json")
    try:
        record = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
        priors = record["spec"]["parameters"]
    except (OSError, ValueError, KeyError, TypeError):
        priors = None
    if not isinstance(priors, dict) or not priors:
        raise CalibrationError(
            where, ["not a calibration record: it needs spec.parameters (the fitted priors)"]
        ) from None
    where = str(folder / "posterior.csv")
    try:
        table = pd.read_csv(folder / "posterior.csv")
    except (OSError, ValueError) as e:
        raise CalibrationError(where, [f"cannot be read as a table: {e}"]) from None
    problems = []
    if "weight" not in table:
        problems.append("no weight column")
    else:
        w = pd.to_numeric(table["weight"], errors="coerce").to_numpy(float)
        if not len(w) or not np.isfinite(w).all() or (w < 0).any() or w.sum() <= 0:
            problems.append("weight: every weight a finite number ≥ 0, not all 0, one a row")
    for column in table.columns.drop("weight", errors="ignore"):
        if column not in priors:
            problems.append(
                f"{column}: not a parameter the calibration fitted "
                f"({', '.join(priors)}); a posterior holds only those"
            )
            continue
        x = pd.to_numeric(table[column], errors="coerce").to_numpy(float)
        lo, hi = priors[column].get("low"), priors[column].get("high")
        bad = ~np.isfinite(x) | (x < min(lo, hi)) | (x > max(lo, hi))
        if bad.any():
            k = int(np.argmax(bad))
            problems.append(
                f"{column}: row {k + 2} holds {table[column].astype(str).iloc[k]}, outside the "
                f"prior {lo:g} to {hi:g}"
            )
    missing = [p for p in priors if p not in table]
    if missing:
        problems.append(f"missing the fitted parameter(s) {', '.join(missing)}")
    if problems:
        raise CalibrationError(where, problems)
    given = record.get("from_log") or {}
    if not isinstance(given, dict):
        raise CalibrationError(
            str(folder / "calibration.json"), ["from_log: must map paths to values"]
        )
    return Posterior(table.drop(columns="weight"), table["weight"].to_numpy(float), given), record


def check_calibrated(folder: str | Path, scenario_ref, force: bool = False) -> list[str]:
    """Whether a counterfactual may stand on this calibration: its posterior checked
    (`read_posterior`), fitted to this scenario file, and passing its held-out check. Refused
    (CalibrationError) unless `force`; with `force`, the warnings to print first."""
    from streetchief.provenance import content_hash

    folder = Path(folder)
    _, record = read_posterior(folder)
    warnings = []
    base, _ = base_of(scenario_ref)
    settings = record.get("settings") or {}
    if settings:
        from streetchief.scenario import apply_overrides

        base = apply_overrides(base, settings, f"{scenario_ref} with the calibration's --set")
    fitted_on = (record.get("provenance") or {}).get("scenario_sha256")
    if fitted_on != content_hash(base):
        warnings.append(
            f"the posterior in {folder} was fitted to another scenario "
            f"({record.get('scenario', '?')!r}, sha256 {str(fitted_on)[:12]}), not to "
            f"{scenario_ref} as it is now: its values may not mean the same here"
        )
    check = record.get("check") or {
        "passes": False,
        "why": "the folder records no held-out check (calibrated before there was one)",
    }
    if not check.get("passes"):
        warnings.append(
            f"the calibration in {folder} did not pass its held-out check: {check.get('why')}; "
            "a counterfactual on a baseline that does not reproduce its city out of sample is "
            "not evidence about that city"
        )
    if warnings and not force:
        raise CalibrationError(
            str(folder),
            [
                *warnings,
                "calibrate again until it passes, or compare anyway with --force (force=True in "
                "Python), the warning printed first",
            ],
        )
    return warnings


def draw_overrides(folder: str | Path, replications: int, seed: int) -> list[dict]:
    """One parameter setting per replication, drawn from a calibration folder's posterior (so that a
    comparison's interval includes what is not known about the parameters)."""
    posterior, _ = read_posterior(folder)
    return [posterior.draw(np.random.default_rng([seed, r]), 1)[0] for r in range(replications)]
