"""Who is served worst: resolution and on-time share per zone, per category and per time of week.

A district-wide mean can hide a road, a kind of problem or a time of week that waits far longer. The
times of week are read on the district's clock: weekday daytime (08:00-18:00), evening
(18:00-22:00), night (22:00-08:00), weekend (Saturday and Sunday), holiday (the scenario's public
holidays).
"""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd
import pyarrow as pa

DIMENSIONS = ("zone", "category", "time_of_week")
TIMES_OF_WEEK = ("weekday daytime", "evening", "night", "weekend", "holiday")


def time_of_week(hours: np.ndarray, start: datetime, holidays) -> np.ndarray:
    """The time of week of each moment, `hours` since `start` on the district's clock."""
    when = pd.Timestamp(start) + pd.to_timedelta(np.asarray(hours, float), unit="h")
    clock = when.hour + when.minute / 60
    out = np.where(
        (clock >= 8) & (clock < 18),
        "weekday daytime",
        np.where((clock >= 18) & (clock < 22), "evening", "night"),
    ).astype(object)
    out[when.day_of_week >= 5] = "weekend"
    out[np.isin(when.normalize().date, list(holidays))] = "holiday"
    return out


def served(table: pa.Table, start: datetime, holidays) -> pd.DataFrame:
    """Per dimension and group: issues, mean and median hours from report to resolution, and the
    share resolved by the deadline (issues still open count as not yet on time where due)."""
    df = table.select(["zone", "category", "reported_at", "resolved_at", "on_time"]).to_pandas()
    df["zone"], df["category"] = df.zone.astype(str), df.category.astype(str)
    df["time_of_week"] = time_of_week(df.reported_at.to_numpy(), start, holidays)
    df["hours"] = df.resolved_at - df.reported_at
    df["on_time"] = df.on_time.astype("float")
    rows = []
    for dim in DIMENSIONS:
        g = df.groupby(dim, observed=True)
        part = (
            pd.DataFrame(
                {
                    "issues": g.size(),
                    "resolution_mean_h": g.hours.mean(),
                    "resolution_median_h": g.hours.median(),
                    "on_time_share": g.on_time.mean(),
                }
            )
            .reset_index()
            .rename(columns={dim: "group"})
        )
        part.insert(0, "dimension", dim)
        rows.append(part)
    return pd.concat(rows, ignore_index=True)


def worst_served(equity: pd.DataFrame, arrangement: str, min_issues: int = 10) -> dict[str, tuple]:
    """Per dimension, the group with the longest mean resolution under `arrangement` (groups with
    fewer than `min_issues` issues left out): (group, mean hours, on-time share)."""
    out = {}
    mine = equity[(equity.arrangement == arrangement) & (equity.issues >= min_issues)]
    for dim in DIMENSIONS:
        d = mine[mine.dimension == dim].dropna(subset=["resolution_mean_h"])
        if len(d):
            row = d.loc[d.resolution_mean_h.idxmax()]
            out[dim] = (row.group, float(row.resolution_mean_h), float(row.on_time_share))
    return out
