"""A log's recorded history (its observed responses) as a run's records, arrangement `recorded`."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pandas as pd
import pyarrow as pa

from streetchief.issue_log.columns import OBSERVED_TIMES, TIMES
from streetchief.issue_log.log import IssueLog
from streetchief.issues import MERCHANT
from streetchief.records import RecordKeys, build_table
from streetchief.records.schema import DROPPED
from streetchief.scenario import Scenario


def recorded_table(log: IssueLog, scenario: Scenario, start: datetime, horizon: float) -> pa.Table:
    """The observed responses to the issues inside the window as per-issue records; what happened
    after the window's end has not happened yet, as in a simulated run. Durations are real hours
    (computed on instants, right across a daylight-saving change). An issue closed without a
    resolution (cancelled, a duplicate) has closed_at and no resolved_at, and no on_time."""
    inside = log.inside(start, horizon)
    f = log.frame[inside]
    n = len(f)
    hours = {c: log.hours(c, start)[inside] for c in TIMES}
    for c in OBSERVED_TIMES:
        hours[c] = np.where(hours[c] <= horizon, hours[c], np.nan)
    hours["dispatched_at"] = np.full(n, np.nan)
    cats = scenario.categories
    responsible = f.category.map(lambda c: cats[c].department)
    dept = (
        f.department.where(f.department.notna(), responsible) if "department" in f else responsible
    )
    keys = RecordKeys(list(scenario.categories), list(scenario.zones), list(scenario.departments))
    # ended without a resolution (cancelled, a duplicate): neither on time nor late
    dropped = ~np.isnan(hours["closed_at"]) & np.isnan(hours["resolved_at"])
    hours["ended_at"] = np.where(dropped, hours["closed_at"], np.nan)

    def codes(values: pd.Series, names: list[str]) -> np.ndarray:
        return pd.Categorical(values, categories=names).codes.astype(np.int32)

    def text(col: str, default=None) -> list:
        return [default] * n if col not in f else f[col].where(f[col].notna(), default).tolist()

    table = build_table(
        arrangement="recorded",
        issue_id=pa.array(f.issue_id.tolist(), pa.string()),
        keys=keys,
        category=codes(f.category, keys.categories),
        zone=codes(f.zone, keys.zones),
        department=codes(dept, keys.departments),
        reporter=text("reporter"),
        discovered_by=text("discovered_by", MERCHANT),
        times=hours,
        deadline_at=hours["reported_at"]
        + f.category.map(lambda c: cats[c].deadline_hours).to_numpy(float),
        ended_how=np.where(dropped, DROPPED, None).tolist(),
        horizon=horizon,
    )
    return table


def replay_window_text(start: datetime, horizon: float) -> str:
    end = start + timedelta(hours=horizon)
    return f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} ({horizon / 24:g} days)"
