"""Runs and paired comparisons: every arrangement on the same problems (common random numbers)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from streetchief import __version__
from streetchief.district import DistrictModel
from streetchief.equity import served
from streetchief.errors import IssueLogError
from streetchief.issue_log import recorded_table
from streetchief.outcomes import OUTCOMES, outcomes_of
from streetchief.problems import Problems, ProblemStream
from streetchief.provenance import reproduction_record
from streetchief.records import (
    RecordSink,
    issue_table,
    summarize,
    summarize_recorded,
    summarize_streamed,
)
from streetchief.report import PREDICTIVE
from streetchief.scenario import Scenario
from streetchief.stats import paired_interval

__all__ = [
    "OUTCOMES",
    "Comparison",
    "RunResult",
    "compare",
    "paired_differences",
    "recorded_history",
    "replay",
    "run_scenario",
    "run_streamed",
    "scenario_parameters",
]


@dataclass
class RunResult:
    """One run of one or more arrangements on the same problems: their records and summaries."""

    scenario: Scenario
    seed: int
    horizon: float
    tables: dict[str, pa.Table] = field(default_factory=dict)
    summaries: dict[str, dict] = field(default_factory=dict)
    models: dict[str, DistrictModel] = field(default_factory=dict)
    replay: dict | None = None  # where the issues came from, when replayed from a log
    streamed: bool = False
    outside: pd.DataFrame | None = None  # log rows outside the run window

    @property
    def issues(self) -> pa.Table:
        return (
            pa.concat_tables(
                [t.cast(next(iter(self.tables.values())).schema) for t in self.tables.values()]
            )
            if self.tables
            else None
        )

    def summary(self) -> dict:
        """summary.json: each arrangement's summary, and what produced them (enough to rerun it)."""
        sc = self.scenario
        return {
            "scenario": sc.name,
            "seed": self.seed,
            "days": self.horizon / 24,
            "start": sc.run.start.isoformat(),
            "version": __version__,
            "streamed": self.streamed,
            "arrangements": self.summaries,
            **({"replay": self.replay} if self.replay else {}),
            **reproduction_record(scenario_parameters(sc)),
        }


def scenario_parameters(sc: Scenario) -> dict:
    """The scenario as plain data, its arrangements' parameters in full (defaults included)."""
    return {
        **sc.model_dump(mode="json", by_alias=True),
        "arrangements": {
            k: sc.arrangement_params(k).model_dump(mode="json", by_alias=True)
            for k in sc.arrangement_names
        },
    }


def run_scenario(
    scenario: Scenario,
    arrangements: list[str] | None = None,
    seed: int | None = None,
    days: float | None = None,
    problems: Problems | None = None,
    progress=None,
    keep_models: bool = False,
    summaries: bool = True,
) -> RunResult:
    """Run each arrangement on the same problems; `progress(hours_done, hours_total)` if given.
    `summaries=False` keeps the records only (a calibration reads nothing else)."""
    seed = scenario.run.seed if seed is None else seed
    arrangements = arrangements or scenario.arrangement_names
    problems = problems if problems is not None else Problems.generate(scenario, seed, days)
    result = RunResult(scenario, seed, problems.horizon)
    for k, name in enumerate(arrangements):
        tick = _ticker(progress, k, len(arrangements), problems.horizon)
        m = DistrictModel(scenario, name, problems, seed, tick).run()
        table = issue_table(m)
        result.tables[name] = table
        if summaries:
            result.summaries[name] = summarize(m, table)
        if keep_models:
            result.models[name] = m
    if summaries:
        _common_problems(result)
    return result


def _common_problems(result: RunResult) -> None:
    """Like with like: each arrangement's mean resolution over the problems that every arrangement
    of the run reported and fixed (the same problems for all), into each summary."""
    fixed = {}
    for name, t in result.tables.items():
        res = t["resolved_at"].to_numpy() - t["reported_at"].to_numpy()
        done = ~np.isnan(res)
        ids = t["issue_id"].to_numpy(zero_copy_only=False)[done]
        fixed[name] = pd.Series(res[done], index=ids)
    common = None
    for x in fixed.values():
        common = x.index if common is None else common.intersection(x.index)
    for name, x in fixed.items():
        result.summaries[name]["common_problems"] = {
            "arrangements": list(fixed),
            "problems": len(common),
            "resolution_mean_h": float(x.loc[common].mean()) if len(common) else None,
        }


def _ticker(progress, k: int, runs: int, horizon: float):
    """The progress callback of run k of `runs`, each of `horizon` hours (None without progress)."""
    if progress is None:
        return None

    def tick(t: float) -> None:
        progress(k * horizon + t, runs * horizon)

    return tick


def replay(
    scenario: Scenario,
    log,
    arrangements: list[str] | None = None,
    seed: int | None = None,
    days: float | None = None,
    progress=None,
    keep_models: bool = False,
    recorded: bool = True,
    summaries: bool = True,
) -> RunResult:
    """Run the arrangements on exactly the issues of an `IssueLog`; when the log carries observed
    responses (and `recorded`), its history joins the result as the arrangement `recorded`."""
    seed = scenario.run.seed if seed is None else seed
    run_sc, problems, outside = log.to_problems(scenario, seed, days)
    result = run_scenario(
        run_sc, arrangements, seed, None, problems, progress, keep_models, summaries
    )
    if recorded and log.has_observed:
        table = recorded_table(log, run_sc, run_sc.run.start, problems.horizon)
        result.tables = {"recorded": table.cast(table.schema), **result.tables}
        result.summaries = {
            "recorded": summarize_recorded(table, run_sc, problems.horizon),
            **result.summaries,
        }
    result.outside = log.named(outside)
    result.replay = _replay_record(log, len(problems), outside, run_sc, problems.horizon)
    return result


def _log_provenance(log) -> dict:
    """Where a log came from, its paths absolute (so that the record reads from any folder)."""
    prov = log.provenance()
    for key in ("log", "mapping"):
        if prov.get(key) and Path(prov[key]).exists():
            prov[key] = str(Path(prov[key]).resolve())
    if prov.get("log_files"):
        prov["log_files"] = {str(Path(k).resolve()): v for k, v in prov["log_files"].items()}
    return prov


def _replay_record(log, issues: int, outside, run_sc: Scenario, horizon: float) -> dict:
    """Where a replay's issues came from, and every row of the log accounted for."""
    return {
        **_log_provenance(log),
        "issues": issues,
        "outside_window": len(outside),
        "rejected_rows": len(log.rejected),
        "window_start": run_sc.run.start.isoformat(),
        # recorded responses after the window's end count as not yet happened
        "responses_after_window": log.responses_after(run_sc.run.start, horizon),
        "rows": dict(log.counts),
    }


def recorded_history(scenario: Scenario, log, days: float | None = None) -> RunResult:
    """The log's observed responses as a run of its own (arrangement = recorded)."""
    if not log.has_observed:
        raise IssueLogError(
            log.source, ["no observed responses: give acknowledged_at, resolved_at or closed_at"]
        )
    run_sc, horizon = log.for_scenario(scenario, days)
    _, outside = log.split_window(run_sc.run.start, horizon)
    table = recorded_table(log, run_sc, run_sc.run.start, horizon)
    res = RunResult(
        run_sc,
        run_sc.run.seed,
        horizon,
        {"recorded": table},
        {"recorded": summarize_recorded(table, run_sc, horizon)},
        outside=log.named(outside),
    )
    res.replay = _replay_record(log, table.num_rows, outside, run_sc, horizon)
    return res


def run_streamed(
    scenario: Scenario,
    out: Path,
    arrangements: list[str] | None = None,
    seed: int | None = None,
    days: float | None = None,
    progress=None,
) -> RunResult:
    """A run whose memory does not grow with its number of issues: problems are generated a day at a
    time and closed issues are written at once to `out/issues/ARRANGEMENT.parquet`. The problems
    come from per-day random streams, so they differ from a run that is not streamed (same seed,
    same statistics). Summaries are gathered as records are written (percentiles to within 0.6%)."""
    seed = scenario.run.seed if seed is None else seed
    arrangements = arrangements or scenario.arrangement_names
    result = None
    for k, name in enumerate(arrangements):
        stream = ProblemStream(scenario, seed, days)
        tick = _ticker(progress, k, len(arrangements), stream.horizon)
        m = DistrictModel(scenario, name, stream, seed, tick)
        path = Path(out) / "issues" / f"{name}.parquet"
        m.sink = RecordSink(path, m)
        try:
            m.run()
            m.flush_open()
            m.sink.close()
        except BaseException:
            m.sink.abort()
            raise
        result = result or RunResult(scenario, seed, stream.horizon, streamed=True)
        result.summaries[name] = summarize_streamed(m, m.sink.totals)
        result.summaries[name]["records"] = str(path)
    return result


@dataclass
class Comparison:
    """Paired replications of several arrangements on the same problems: every run's outcomes, each
    arrangement's means, every arrangement's paired difference from the baseline with its interval,
    the cost-effectiveness against the baseline, and who is served worst."""

    per_run: pd.DataFrame  # one row per replication × arrangement
    means: pd.DataFrame  # per outcome (rows), each arrangement's mean over replications (columns)
    paired: pd.DataFrame  # per arrangement and outcome: difference from the baseline, 95% CI
    equity: pd.DataFrame  # per arrangement, dimension and group: resolution and on-time share
    ledger: pd.DataFrame  # per arrangement and role: busy, stand-by and all hours, mean over runs
    first: RunResult  # the first replication, for figures
    baseline: str
    treatment: str
    arrangements: list[str] = field(default_factory=list)
    baseline_rule: str = ""  # how the baseline was chosen
    # equity and ledger rows of every replication, that the two tables above average
    equity_runs: pd.DataFrame = field(default_factory=pd.DataFrame)
    ledger_runs: pd.DataFrame = field(default_factory=pd.DataFrame)

    def cost_effectiveness(self) -> pd.DataFrame:
        """Per arrangement against the baseline: problem-hours in the street saved a day (over the
        window's problems, `RunSpec.window`; over the whole run where it has none), the extra
        officials' hours a day, all told and busy alone, and the problem-hours saved per extra
        official hour (paired by replication, then averaged)."""
        rows = []
        pr = self.per_run.set_index(["arrangement", "replication"])
        days = self.first.horizon / 24
        windowed = pr.problem_hours_per_day.notna().all()
        street = pr.problem_hours_per_day if windowed else pr.open_problem_hours / days
        for a in self.arrangements:
            if a == self.baseline:
                continue
            saved = (street.loc[self.baseline] - street.loc[a]).astype(float)
            s, lo, hi, n = paired_interval(saved)

            def extra(col, a=a):
                return float((pr.loc[a][col] - pr.loc[self.baseline][col]).mean()) / days

            e, busy = extra("official_hours"), extra("official_busy_hours")
            rows.append(
                {
                    "arrangement": a,
                    "baseline": self.baseline,
                    "problem_hours_saved_per_day": s,
                    "ci_low": lo,
                    "ci_high": hi,
                    "extra_official_hours_per_day": e,
                    "extra_busy_hours_per_day": busy,
                    "saved_per_extra_official_hour": s / e if e > 0 and s > 0 else np.nan,
                    "saved_per_extra_busy_hour": s / busy if busy > 0 and s > 0 else np.nan,
                    "verdict": _verdict(s, lo, hi, e),
                }
            )
        return pd.DataFrame(rows)

    def common_problems(self) -> float:
        """Problems a run that every compared arrangement reported and fixed (mean)."""
        return float(pd.to_numeric(self.per_run.common_problems).mean())

    def window_words(self) -> str:
        """Which problems the per-day outcomes cover, in words."""
        run = self.first.scenario.run
        w = run.window(self.first.horizon)
        if w is None:
            return (
                f"the run is too short for one: {run.warm_up_days:g} days' warm-up and "
                f"{run.cool_down_days:g} days' follow-up"
            )
        first, last, cap = (x / 24 for x in w)
        return (
            f"the problems arising from day {first:g} to day {last:g}, each followed for up to "
            f"{cap:g} days"
        )

    def record(
        self,
        scenario: Scenario,
        seed: int | None,
        replications: int,
        days: float | None,
        log=None,
        calibrated: dict | None = None,
    ) -> dict:
        """What produced this comparison, with every run's outcomes for `streetchief verify`;
        `calibrated`: the calibration folder and the parameters drawn for each replication."""
        return {
            **({"calibrated": calibrated} if calibrated else {}),
            "kind": "compare",
            "scenario": scenario.name,
            "seed": scenario.run.seed if seed is None else seed,
            "replications": replications,
            "days": days,
            "arrangements": self.arrangements,
            "baseline": self.baseline,
            "baseline_rule": self.baseline_rule,
            "treatment": self.treatment,
            **({"replay": _log_provenance(log)} if log is not None else {}),
            **reproduction_record(scenario_parameters(scenario)),
            "per_run": self.per_run.to_dict(orient="records"),
            "cost_effectiveness": self.cost_effectiveness().to_dict(orient="records"),
        }


def _verdict(saved: float, low: float, high: float, extra: float) -> str:
    if not low == low:  # one replication: no interval
        return "more replications needed for an interval"
    if low > 0:
        return (
            "saves problem-hours at no extra official time"
            if extra <= 0
            else "saves problem-hours, costs more officials' time"
        )
    if high < 0:
        return "loses problem-hours" + (
            " and costs more" if extra > 0 else ", costs less officials' time"
        )
    return "no significant difference in problem-hours" + (
        ", costs more" if extra > 0 else ", costs less"
    )


STRONGEST = "strongest"


def compare(
    scenario: Scenario,
    replications: int = 5,
    seed: int | None = None,
    days: float | None = None,
    baseline: str = STRONGEST,
    treatment: str = "street_chief",
    progress=None,
    log=None,
    arrangements: list[str] | None = None,
    drawn: list[dict] | None = None,
    workers: int = 1,
) -> Comparison:
    """Paired replications of `arrangements` (default: all the scenario's): replication r uses seed
    + r for the problems of all of them. Each is compared with the `baseline`: an arrangement's
    name, or "strongest", the arrangement other than the treatment with the shortest mean
    resolution. With an issue `log`, every replication replays its issues (the seed varies only what
    the log does not say); a log with observed responses adds the recorded history beside them.
    `drawn` gives each replication parameter values of its own (dotted paths: a calibration's
    posterior draws), so that the intervals include what is not known about the parameters.
    `workers` > 1 runs the replications after the first in that many processes: the same results
    as one after another (each replication's randomness comes from its own seed)."""
    seed = scenario.run.seed if seed is None else seed
    names = list(arrangements or scenario.arrangement_names)
    for name in [treatment] + ([] if baseline == STRONGEST else [baseline]):
        if name not in names:
            names.append(name)
    rows, equity, ledger, first = [], [], [], None
    recorded = None
    plain = scenario_parameters(scenario) if drawn else None
    scenarios = [
        scenario if not drawn else _with(scenario, plain, drawn[r]) for r in range(replications)
    ]
    runs = _replications(scenarios, log, names, seed, days, workers)
    for r, res in enumerate(runs):
        if log is not None:
            recorded = recorded or res.summaries.get("recorded") or {}
        first = first or res
        outcomes, served_rows, hours = replication_rows(res, r, seed + r, recorded)
        rows += outcomes
        equity += served_rows
        ledger += hours
        if progress is not None:
            progress(r + 1, replications)
    per_run = pd.DataFrame(rows)
    rule = "the baseline asked for"
    if baseline == STRONGEST:
        others = [n for n in names if n != treatment] or names
        means = (
            per_run[per_run.arrangement.isin(others)]
            .groupby("arrangement")
            .resolution_mean_h.mean()
        )
        baseline = str(means.idxmin())
        rule = (
            "strongest: the shortest mean resolution among the arrangements other than " + treatment
        )
    eq = pd.concat(equity, ignore_index=True)
    shown = names + (["recorded"] if recorded else [])
    lg = pd.DataFrame(ledger, columns=LEDGER_COLUMNS)
    return Comparison(
        per_run=per_run,
        means=means_table(per_run, shown),
        paired=paired_differences(per_run, baseline, names, predictive=bool(drawn)),
        equity=equity_means(eq),
        ledger=ledger_means(lg, replications),
        first=first,
        baseline=baseline,
        treatment=treatment,
        arrangements=names,
        baseline_rule=rule,
        equity_runs=eq,
        ledger_runs=lg,
    )


LEDGER_HOURS = ["busy_hours", "standby_hours", "hours"]
LEDGER_COLUMNS = ["arrangement", "role", *LEDGER_HOURS, "replication"]
EQUITY_VALUES = ["issues", "resolution_mean_h", "resolution_median_h", "on_time_share"]


def replication_rows(res: RunResult, r: int, seed: int, recorded: dict | None = None):
    """Replication r's rows: (outcomes per arrangement, its equity tables, its ledger rows).
    `recorded`: the recorded history's summary, which every replication of a replay shows beside
    its own (its equity only in replication 0, where it was replayed)."""
    summaries = dict(res.summaries)
    if recorded:
        summaries["recorded"] = recorded
    rows, ledger = [], []
    for name, s in summaries.items():
        rows.append({"replication": r, "seed": seed, "arrangement": name, **outcomes_of(s)})
        for role, h in (s.get("official_hours_detail") or {}).items():
            ledger.append(
                {
                    "arrangement": name,
                    "role": role,
                    "busy_hours": h["busy_hours"],
                    "standby_hours": h["standby_hours"],
                    "hours": h["busy_hours"] + h["standby_hours"],
                    "replication": r,
                }
            )
    sc = res.scenario
    equity = [
        served(table, sc.run.start, set(sc.holidays)).assign(arrangement=name, replication=r)
        for name, table in res.tables.items()
        if name != "recorded" or r == 0
    ]
    return rows, equity, ledger


def equity_means(runs: pd.DataFrame) -> pd.DataFrame:
    """Who is served worst: per arrangement, dimension and group, the mean over replications of
    every replication's rows (`served`)."""
    return (
        runs.groupby(["arrangement", "dimension", "group"], sort=False)[EQUITY_VALUES]
        .mean()
        .reset_index()
    )


def ledger_means(runs: pd.DataFrame, replications: int) -> pd.DataFrame:
    """Officials' hours per arrangement and role, a replication's mean (a role absent from a
    replication counts as 0 hours in it)."""
    lg = runs.groupby(["arrangement", "role"], sort=False)[LEDGER_HOURS].sum().div(replications)
    return lg.reset_index()


def _replicate(sc: Scenario, log, names: list[str], seed: int, days, first: bool) -> RunResult:
    """One replication: a run of every arrangement on its problems (or the log's issues; only
    the first also replays the recorded history)."""
    if log is None:
        return run_scenario(sc, names, seed, days)
    return replay(sc, log, names, seed, days, recorded=first)


def _replications(scenarios: list[Scenario], log, names, seed: int, days, workers: int):
    """Each replication's RunResult in order: the first in this process, the rest in `workers`
    processes when there are more than one (started with spawn and ended with their caller, as a
    sweep's are)."""
    if workers <= 1 or len(scenarios) <= 2:
        for r, sc in enumerate(scenarios):
            yield _replicate(sc, log, names, seed + r, days, r == 0)
        return
    from streetchief.worker_processes import end_workers, worker_pool

    pool = worker_pool(min(workers, len(scenarios) - 1))
    try:
        later = [
            pool.submit(_replicate, sc, log, names, seed + r, days, False)
            for r, sc in enumerate(scenarios[1:], start=1)
        ]
        yield _replicate(scenarios[0], log, names, seed, days, True)
        for f in later:
            yield f.result()
    except BaseException:
        end_workers(pool)
        raise
    pool.shutdown()


def _with(scenario: Scenario, plain: dict, overrides: dict) -> Scenario:
    from streetchief.scenario import load_scenario

    return load_scenario(plain, **overrides).model_copy(update={"name": scenario.name})


def means_table(per_run: pd.DataFrame, arrangements: list[str]) -> pd.DataFrame:
    """Each outcome's mean over replications, one column per arrangement."""
    m = per_run[list(OUTCOMES)].astype(float).groupby(per_run.arrangement).mean()
    return m.T.reindex(columns=arrangements).rename_axis("outcome").reset_index()


def paired_differences(
    per_run: pd.DataFrame, baseline: str, arrangements: list[str], predictive: bool = False
) -> pd.DataFrame:
    """Each arrangement − the baseline per outcome, paired by replication, with a t-based 95% CI;
    `predictive` (each replication drew its parameters from a posterior): the 5% and 95%
    quantiles of the replications' differences instead, which do not narrow with more of them."""
    out = []
    b = per_run[per_run.arrangement == baseline].set_index("replication")
    for a in arrangements:
        if a == baseline:
            continue
        t = per_run[per_run.arrangement == a].set_index("replication")
        for k in OUTCOMES:
            diff = (t[k] - b[k]).astype(float)
            mean, low, high, n = paired_interval(diff)
            if predictive:
                low, high = _spread(diff)
            out.append(
                {
                    "arrangement": a,
                    "outcome": k,
                    "baseline": baseline,
                    "arrangement_mean": t[k].astype(float).mean(),
                    "baseline_mean": b[k].astype(float).mean(),
                    "difference": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "replications": n,
                    **({"interval": PREDICTIVE} if predictive else {}),
                }
            )
    return pd.DataFrame(out)


def _spread(diff: pd.Series) -> tuple[float, float]:
    d = diff.dropna().to_numpy(float)
    if len(d) < 2:
        return math.nan, math.nan
    return float(np.quantile(d, 0.05)), float(np.quantile(d, 0.95))
