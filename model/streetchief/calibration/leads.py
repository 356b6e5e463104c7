"""What a log tells directly: each category's hours from report to close, as a wait of its own
(`categories.<key>.lead`), its distribution the log's, shrunk across categories.

Graffiti cleared in minutes and encampments in weeks do not share one delay, and a heavy or
two-humped record (many closed at once, the rest days later) is no lognormal: each category's
wait is the log's own distribution, held as `QUANTILES` quantiles (an empirical distribution).
A category with few closed issues leans on the city's: its distribution is the mixture of its
own, weighted n / (n + `PRIOR_ISSUES`), and all categories' together (partial pooling: not one
free value each, not one value for all).

What the model adds on top of the wait (the take-on, the crews' queue and hours, the work) is
the simulation's: `match` runs the arrangement on the log and moves each quantile of the wait by
what the simulated hours miss of the recorded, a few times, so that the simulated close times
come out as recorded. The search (ABC) then fits what only simulation can (the take-on) with
these waits in place.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

QUANTILES = 50  # quantiles a category's wait is held as: its distribution to 2% of its issues
PRIOR_ISSUES = 30  # [assumption] the city's distribution weighs as much as 30 of a category's
MATCH_ROUNDS = 3  # simulated rounds that move the waits onto the record


def _levels() -> np.ndarray:
    return (np.arange(QUANTILES) + 0.5) / QUANTILES


@dataclass
class LeadFit:
    """One category's wait: `values` (its quantiles, h), from `issues` closed issues in the log,
    the weight those carry against the city's, and the recorded median with its 95% interval."""

    category: str
    issues: int
    own_weight: float
    target: np.ndarray  # the recorded close times' quantiles, pooled
    values: np.ndarray  # the wait's quantiles (target less what the model adds)
    recorded_median: float | None
    median_interval_95: tuple[float, float] | None

    def distribution(self) -> dict:
        return {"dist": "empirical", "values": [float(f"{v:.4g}") for v in self.values]}

    def record(self) -> dict:
        return {
            "issues": self.issues,
            "own_weight": round(self.own_weight, 4),
            "recorded_median_hours": self.recorded_median,
            "median_interval_95": None
            if self.median_interval_95 is None
            else list(self.median_interval_95),
            "wait_median_hours": float(np.median(self.values)),
            "source": f"[log] {self.issues:,} closed issues, weight {self.own_weight:.2f} "
            "against the city's",
        }


def close_hours(table, categories: list[str]) -> dict[str, np.ndarray]:
    """Per category, the hours from report to close of a table's closed issues."""
    cats = np.asarray(table["category"].to_numpy(zero_copy_only=False)).astype(str)
    hours = table["resolved_at"].to_numpy() - table["reported_at"].to_numpy()
    ok = np.isfinite(hours) & (hours >= 0)
    return {c: hours[ok & (cats == c)] for c in categories}


def fit_leads(table, categories: list[str]) -> dict[str, LeadFit]:
    """Per category in `categories` (scenario keys), the pooled distribution of its closed
    issues' hours in `table` (a recorded table); a category with none gets the city's."""
    own = close_hours(table, categories)
    city = np.concatenate(list(own.values())) if own else np.zeros(0)
    if not len(city):
        return {}
    q = _levels()
    out = {}
    for c in categories:
        h = own[c]
        w = len(h) / (len(h) + PRIOR_ISSUES)
        target = _mixture_quantiles(h, city, w, q)
        out[c] = LeadFit(
            c,
            len(h),
            w,
            target,
            target.copy(),
            float(np.median(h)) if len(h) else None,
            _median_interval(h),
        )
    return out


def match(fits: dict[str, LeadFit], simulate, rounds: int = MATCH_ROUNDS) -> list[float]:
    """Move each category's wait by what `simulate(overrides)` (a table of the arrangement's
    records on the log) misses of the recorded quantiles; the median miss of each round, in
    hours (the last after the last move)."""
    misses = []
    q = _levels()
    for k in range(rounds + 1):  # the last run only measures
        sim = close_hours(simulate(lead_overrides(fits)), list(fits))
        round_misses = []
        for c, f in fits.items():
            if len(sim[c]) < 5:
                continue
            miss = f.target - np.quantile(sim[c], q)
            round_misses.append(float(np.median(np.abs(miss))))
            if k < rounds:
                f.values = np.maximum(0.0, f.values + miss)
        misses.append(float(np.median(round_misses)) if round_misses else 0.0)
    return misses


def lead_overrides(fits: dict[str, LeadFit]) -> dict:
    """The scenario settings they make: `categories.<key>.lead` per category."""
    return {f"categories.{c}.lead": f.distribution() for c, f in fits.items()}


def _mixture_quantiles(own: np.ndarray, city: np.ndarray, w: float, q: np.ndarray) -> np.ndarray:
    """Quantiles of w·(own's distribution) + (1 − w)·(the city's)."""
    grid = np.unique(np.concatenate([own, city]))
    cdf = (1 - w) * np.searchsorted(np.sort(city), grid, "right") / len(city)
    if len(own):
        cdf = cdf + w * np.searchsorted(np.sort(own), grid, "right") / len(own)
    return grid[np.minimum(np.searchsorted(cdf, q), len(grid) - 1)].astype(float)


def _median_interval(h: np.ndarray) -> tuple[float, float] | None:
    """The median's 95% interval from order statistics (distribution-free)."""
    n = len(h)
    if n < 6:
        return None
    s = np.sort(h)
    half = 1.96 * np.sqrt(n) / 2
    lo, hi = int(np.floor(n / 2 - half)), int(np.ceil(n / 2 + half))
    return float(s[max(lo, 0)]), float(s[min(hi, n - 1)])
