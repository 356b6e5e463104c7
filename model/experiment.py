"""Runs and paired comparisons: every arrangement on the same problems (common random numbers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyarrow as pa

from streetchief import __version__
from streetchief.district import DistrictModel
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
) -> RunResult:
    """Run each arrangement on the same problems; `progress(hours_done, hours_total)` if given."""
    seed = scenario.run.seed if seed is None else seed
    arrangements = arrangements or scenario.arrangement_names
    problems = problems if problems is not None else Problems.generate(scenario, seed, days)
    result = RunResult(scenario, seed, problems.horizon)
    for k, name in enumerate(arrangements):
        tick = _ticker(progress, k, len(arrangements), problems.horizon)
        m = DistrictModel(scenario, name, problems, seed, tick).run()
        table = issue_table(m)
        result.tables[name] = table
        result.summaries[name] = summarize(m, table)
        if keep_models:
            result.models[name] = m
    return result


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
) -> RunResult:
    """Run the arrangements on exactly the issues of an `IssueLog`; when the log carries observed
    responses (and `recorded`), its history joins the result as the arrangement `recorded`."""
    seed = scenario.run.seed if seed is None else seed
    run_sc, problems, outside = log.to_problems(scenario, seed, days)
    result = run_scenario(
        run_sc, arrangements, seed, problems=problems, progress=progress, keep_models=keep_models
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


def _replay_record(log, issues: int, outside, run_sc: Scenario, horizon: float) -> dict:
    """Where a replay's issues came from, and every row of the log accounted for."""
    return {
        **log.provenance(),
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
    """Paired replications of two arrangements: every run's outcomes and the paired differences."""

    per_run: pd.DataFrame  # one row per replication × arrangement
    paired: pd.DataFrame  # per outcome: means and the paired difference with its 95% CI
    first: RunResult  # the first replication, for figures
    baseline: str
    treatment: str

    def record(
        self, scenario: Scenario, seed: int | None, replications: int, days: float | None, log=None
    ) -> dict:
        """What produced this comparison, with every run's outcomes for `streetchief verify`."""
        return {
            "kind": "compare",
            "scenario": scenario.name,
            "seed": scenario.run.seed if seed is None else seed,
            "replications": replications,
            "days": days,
            "baseline": self.baseline,
            "treatment": self.treatment,
            **({"replay": log.provenance()} if log is not None else {}),
            **reproduction_record(scenario_parameters(scenario)),
            "per_run": self.per_run.to_dict(orient="records"),
        }


def compare(
    scenario: Scenario,
    replications: int = 5,
    seed: int | None = None,
    days: float | None = None,
    baseline: str = "multi_layer",
    treatment: str = "street_chief",
    progress=None,
    log=None,
) -> Comparison:
    """Paired replications: replication r uses seed + r for the problems of both arrangements. With
    an issue `log`, every replication replays its issues (the seed varies only what the log does not
    say), and a log with observed responses adds the recorded history as a third column."""
    seed = scenario.run.seed if seed is None else seed
    rows, first = [], None
    recorded = None
    for r in range(replications):
        if log is None:
            res = run_scenario(scenario, [treatment, baseline], seed + r, days)
        else:
            res = replay(
                scenario, log, [treatment, baseline], seed + r, days, recorded=recorded is None
            )
            recorded = recorded or res.summaries.get("recorded") or {}
        first = first or res
        summaries = dict(res.summaries)
        if recorded:
            summaries["recorded"] = recorded
        for name, s in summaries.items():
            rows.append({"replication": r, "seed": seed + r, "arrangement": name, **outcomes_of(s)})
        if progress is not None:
            progress(r + 1, replications)
    per_run = pd.DataFrame(rows)
    return Comparison(
        per_run, paired_differences(per_run, baseline, treatment), first, baseline, treatment
    )


def paired_differences(per_run: pd.DataFrame, baseline: str, treatment: str) -> pd.DataFrame:
    """treatment − baseline per outcome, paired by replication, with a t-based 95% interval."""
    out = []
    b = per_run[per_run.arrangement == baseline].set_index("replication")
    t = per_run[per_run.arrangement == treatment].set_index("replication")
    for k in OUTCOMES:
        mean, low, high, n = paired_interval((t[k] - b[k]).astype(float))
        row = {
            "outcome": k,
            baseline: b[k].astype(float).mean(),
            treatment: t[k].astype(float).mean(),
            "difference": mean,
            "ci_low": low,
            "ci_high": high,
            "replications": n,
        }
        if "recorded" in set(per_run.arrangement):
            row["recorded"] = per_run.loc[per_run.arrangement == "recorded", k].astype(float).mean()
        out.append(row)
    return pd.DataFrame(out)
