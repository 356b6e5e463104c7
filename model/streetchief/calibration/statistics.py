"""What a fit compares: the recorded responses against the simulated ones, category by category.

For the most frequent categories (the rest pooled as `other`), the hours from report to
acknowledgement and to resolution (those the log records), on a log scale (log(1 + h): a few days
late weighs like a few hours early, not a hundred times more); the share of issues resolved; and the
backlog over time. The distance between two sets of statistics is the volume-weighted Wasserstein
(earth mover's) distance of those distributions, plus the difference in the share resolved, plus the
backlog's mean relative difference: zero when simulation and record agree.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from scipy.stats import wasserstein_distance

OTHER = "other"
MEASURES = ("acknowledgement", "resolution")


def main_categories(table: pa.Table, n: int) -> list[str]:
    """The n most frequent categories of a table of records."""
    cats = table["category"].to_numpy(zero_copy_only=False).astype(str)
    names, counts = np.unique(cats, return_counts=True)
    return [names[k] for k in np.argsort(-counts, kind="stable")[:n]]


def statistics(table: pa.Table, categories: list[str], horizon: float, points: int = 60) -> dict:
    """Flat dict of arrays (what pyabc stores): per category and measure the log-hours, the share
    resolved, and the backlog at `points` evenly spaced times."""
    cats = table["category"].to_numpy(zero_copy_only=False).astype(str)
    cats = np.where(np.isin(cats, categories), cats, OTHER)
    rep = table["reported_at"].to_numpy()
    ack = table["acknowledged_at"].to_numpy()
    res = table["resolved_at"].to_numpy()
    out = {}
    for c in [*categories, OTHER]:
        m = cats == c
        out[f"n|{c}"] = np.array([m.sum()], float)
        for name, t in (("acknowledgement", ack), ("resolution", res)):
            h = (t - rep)[m]
            out[f"{name}|{c}"] = np.log1p(np.clip(h[~np.isnan(h)], 0, None))
    out["resolved_share"] = np.array([(~np.isnan(res)).mean() if len(res) else 0.0])
    grid = np.linspace(0, horizon, points)
    rep_s, res_s = np.sort(rep), np.sort(res[~np.isnan(res)])
    out["backlog"] = (
        np.searchsorted(rep_s, grid, side="right") - np.searchsorted(res_s, grid, side="right")
    ).astype(float)
    return out


def distance(sim: dict, obs: dict) -> float:
    """How far the simulated statistics are from the observed ones (0: the same)."""
    total_n = sum(float(v[0]) for k, v in obs.items() if k.startswith("n|")) or 1.0
    # a measure the log never records (no acknowledged_at column) says nothing either way
    recorded = {m for m in MEASURES for k, v in obs.items() if k.startswith(f"{m}|") and len(v)}
    d = 0.0
    for key, values in obs.items():
        name, _, cat = key.partition("|")
        if name not in recorded:
            continue
        weight = float(obs[f"n|{cat}"][0]) / total_n
        other = sim.get(key, np.empty(0))
        if len(values) and len(other):
            d += weight * wasserstein_distance(values, other)
        elif len(values) or len(other):  # one side never got there: as far as it can be
            d += weight * float(np.mean(values) if len(values) else np.mean(other))
    d += abs(float(sim["resolved_share"][0]) - float(obs["resolved_share"][0]))
    scale = max(float(np.mean(obs["backlog"])), 1.0)
    d += float(np.mean(np.abs(sim["backlog"] - obs["backlog"]))) / scale
    return d


def parts(sim: dict, obs: dict) -> dict:
    """The distance's parts by category and measure (for the report)."""
    out = {}
    for key, values in obs.items():
        name, _, cat = key.partition("|")
        if name in MEASURES and len(values) and len(sim.get(key, [])):
            out[key] = float(wasserstein_distance(values, sim[key]))
    return out
