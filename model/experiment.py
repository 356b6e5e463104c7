"""Runs and paired comparisons: every arrangement on the same problems (common random numbers)."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
from scipy import stats

from model import __version__
from model.district import DistrictModel
from model.issues import Problems
from model.records import issue_table, summarize
from model.scenario import Scenario

OUTCOMES = {   # name in the comparison table → how to read it from a summary
    "resolution_mean_h": lambda s: s["resolution_hours"]["mean"],
    "resolution_median_h": lambda s: s["resolution_hours"]["median"],
    "resolution_p90_h": lambda s: s["resolution_hours"]["p90"],
    "acknowledgement_mean_h": lambda s: s["acknowledgement_hours"]["mean"],
    "on_time_share": lambda s: s["on_time_share"],
    "issues_reported": lambda s: s["issues_reported"],
    "issues_open": lambda s: s["issues_open"],
    "mean_backlog": lambda s: s["mean_backlog"],
    "bounces_per_issue": lambda s: s["bounces_per_issue"],
    "chief_hours": lambda s: s["chief_hours"],
    "unreported_problems": lambda s: s["unreported_problems"],
}


@dataclass
class RunResult:
    scenario: Scenario
    seed: int
    horizon: float
    tables: dict[str, pa.Table] = field(default_factory=dict)
    summaries: dict[str, dict] = field(default_factory=dict)
    models: dict[str, DistrictModel] = field(default_factory=dict)

    @property
    def issues(self) -> pa.Table:
        return pa.concat_tables([t.cast(next(iter(self.tables.values())).schema) for t in self.tables.values()]) \
            if self.tables else None

    def summary(self) -> dict:
        sc = self.scenario
        return {"scenario": sc.name, "seed": self.seed, "days": self.horizon / 24,
                "start": sc.run.start.isoformat(), "version": __version__,
                "arrangements": self.summaries,
                # everything the run used, so that it can be reproduced without the YAML file
                "scenario_parameters": {**sc.model_dump(mode="json", by_alias=True),
                                        "arrangements": {k: sc.arrangement_params(k).model_dump(mode="json", by_alias=True)
                                                         for k in sc.arrangement_names}}}


def run_scenario(scenario: Scenario, arrangements: list[str] | None = None, seed: int | None = None,
                 days: float | None = None, problems: Problems | None = None, progress=None,
                 keep_models: bool = False) -> RunResult:
    """Run each arrangement on the same problems; `progress(hours_done, hours_total)` if given."""
    seed = scenario.run.seed if seed is None else seed
    arrangements = arrangements or scenario.arrangement_names
    problems = problems if problems is not None else Problems.generate(scenario, seed, days)
    result = RunResult(scenario, seed, problems.horizon)
    for k, name in enumerate(arrangements):
        tick = None
        if progress is not None:
            tick = lambda t, k=k: progress(k * problems.horizon + t, len(arrangements) * problems.horizon)
        m = DistrictModel(scenario, name, problems, seed, tick).run()
        table = issue_table(m)
        result.tables[name] = table
        result.summaries[name] = summarize(m, table)
        if keep_models:
            result.models[name] = m
    return result


@dataclass
class Comparison:
    per_run: pd.DataFrame        # one row per replication × arrangement
    paired: pd.DataFrame         # per outcome: means and the paired difference with its 95% CI
    first: RunResult             # the first replication, for figures
    baseline: str
    treatment: str


def compare(scenario: Scenario, replications: int = 5, seed: int | None = None, days: float | None = None,
            baseline: str = "multi_layer", treatment: str = "street_chief", progress=None) -> Comparison:
    """Paired replications: replication r uses seed + r for the problems of both arrangements."""
    seed = scenario.run.seed if seed is None else seed
    rows, first = [], None
    for r in range(replications):
        res = run_scenario(scenario, [treatment, baseline], seed + r, days)
        first = first or res
        for name, s in res.summaries.items():
            rows.append({"replication": r, "seed": seed + r, "arrangement": name,
                         **{k: f(s) for k, f in OUTCOMES.items()}})
        if progress is not None:
            progress(r + 1, replications)
    per_run = pd.DataFrame(rows)
    return Comparison(per_run, paired_differences(per_run, baseline, treatment), first, baseline, treatment)


def paired_differences(per_run: pd.DataFrame, baseline: str, treatment: str) -> pd.DataFrame:
    """treatment − baseline per outcome, paired by replication, with a t-based 95% confidence interval."""
    out = []
    b = per_run[per_run.arrangement == baseline].set_index("replication")
    t = per_run[per_run.arrangement == treatment].set_index("replication")
    for k in OUTCOMES:
        d = (t[k] - b[k]).astype(float).dropna()
        n = len(d)
        mean = d.mean() if n else np.nan
        half = stats.t.ppf(0.975, n - 1) * d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
        out.append({"outcome": k, baseline: b[k].astype(float).mean(), treatment: t[k].astype(float).mean(),
                    "difference": mean, "ci_low": mean - half, "ci_high": mean + half, "replications": n})
    return pd.DataFrame(out)
