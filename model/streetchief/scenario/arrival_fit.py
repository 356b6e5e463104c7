"""How often each kind of problem is reported, when in the day, on which weekdays and on holidays,
estimated from a log's report times.

The scenario's arrivals are a Poisson process whose intensity is a product (`ArrivalsSpec`):
rate × hour-of-day profile × weekday factor × holiday factor. Counted in cells of (clock hour,
weekday, holiday) with the hours each cell was observed (its exposure), that is a multiplicative
Poisson model; its maximum-likelihood fit alternates closed-form updates of each factor (iterative
proportional fitting) until they settle. A partly observed first or last day counts only the hours
it covers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SHRINK_ISSUES = 48  # [assumption] a category's own hour shape weighs as much as the city's at 48


@dataclass
class ArrivalFit:
    """What the report times say, per category k (in the order of the codes given)."""

    start: pd.Timestamp  # local wall-clock time the observation begins (the first report's hour)
    end: pd.Timestamp  # the last report
    counts: np.ndarray  # (K,) issues
    rate_per_day: np.ndarray  # (K,) on an ordinary day (weekday factors averaging 1)
    rate_se: np.ndarray  # (K,) its standard error (Poisson)
    profiles: np.ndarray  # (K, 24) mean 1, shrunk towards the city's shape for small categories
    city_profile: np.ndarray  # (24,) every category together, mean 1
    weekday: np.ndarray  # (7,) mon..sun, mean 1 over the days observed; 1 where not observed
    weekday_seen: np.ndarray  # (7,) bool: ordinary (non-holiday) hours of that weekday observed
    holiday_factor: float | None  # None: no holiday hour observed
    holiday_days: int  # holidays inside the window

    @property
    def days(self) -> float:
        return (self.end - self.start) / pd.Timedelta(days=1)


def fit_arrivals(
    local_times: pd.Series,
    codes: np.ndarray,
    n_categories: int,
    holidays: set[date] = frozenset(),
    iterations: int = 500,
) -> ArrivalFit:
    """`local_times`: naive wall-clock report times; `codes`: each report's category (0..K-1)."""
    t = pd.DatetimeIndex(pd.to_datetime(local_times)).sort_values()
    codes = np.asarray(codes)[np.argsort(pd.to_datetime(local_times).values, kind="stable")]
    start, end = t[0].floor("h"), t[-1]
    if end - start < pd.Timedelta(hours=24):
        raise ValueError(
            f"the reports span {(end - start) / pd.Timedelta(hours=1):.1f} hours; estimating "
            "hour-of-day profiles needs at least a day"
        )
    # every clock hour of the window, each observed whole: the window ends with the last report's
    # clock hour, since ending it at the report itself gives that hour next to no exposure beside
    # a report in it, and a log a day long a weekday factor in the millions (crews in millions)
    hours = pd.date_range(start, end.floor("h"), freq="h")
    exposure = np.ones(len(hours))
    hol_days = np.array(sorted(holidays), dtype="datetime64[D]")
    h_of = hours.hour.to_numpy()
    w_of = hours.day_of_week.to_numpy()
    o_of = np.isin(hours.normalize().to_numpy().astype("datetime64[D]"), hol_days).astype(int)
    E = np.zeros((24, 7, 2))
    np.add.at(E, (h_of, w_of, o_of), exposure)
    N = np.zeros((24, 7, 2, n_categories))
    o_t = np.isin(t.normalize().to_numpy().astype("datetime64[D]"), hol_days).astype(int)
    np.add.at(N, (t.hour.to_numpy(), t.day_of_week.to_numpy(), o_t, codes), 1.0)

    seen = E[:, :, 0].sum(axis=0) > 0  # ordinary hours of each weekday
    has_holiday = E[:, :, 1].sum() > 0
    d = np.ones(7)
    H = 1.0
    q = np.zeros((n_categories, 24))  # rate per hour × hour profile
    for _ in range(iterations):
        scale = d[None, :, None] * np.array([1.0, H])[None, None, :]  # (1, 7, 2)
        q_new = N.sum(axis=(1, 2)).T / np.maximum((E * scale).sum(axis=(1, 2)), 1e-300)[None, :]
        per_cell = np.einsum("hwo,kh->hwo", E, q_new)  # expected with d = H = 1
        d_new = np.ones(7)
        obs = N[:, :, 0, :].sum(axis=(0, 2))
        expd = per_cell[:, :, 0].sum(axis=0)
        d_new[seen] = obs[seen] / np.maximum(expd[seen], 1e-300)
        d_new[seen] /= d_new[seen].mean() if d_new[seen].mean() > 0 else 1.0
        H_new = H
        if has_holiday:
            H_new = N[:, :, 1, :].sum() / max((per_cell[:, :, 1] * d_new[None, :]).sum(), 1e-300)
        done = (
            np.allclose(q_new, q, rtol=1e-10, atol=1e-12)
            and np.allclose(d_new, d, rtol=1e-10)
            and abs(H_new - H) <= 1e-10 * H
        )
        q, d, H = q_new, d_new, H_new
        if done:
            break
    counts = np.bincount(codes, minlength=n_categories).astype(float)
    hourly = q.mean(axis=1)  # issues per hour on an ordinary day
    rate = 24.0 * hourly
    profiles = np.divide(q, hourly[:, None], out=np.ones_like(q), where=hourly[:, None] > 0)
    total = q.sum(axis=0)
    city = total / total.mean() if total.mean() > 0 else np.ones(24)
    w = (counts / (counts + SHRINK_ISSUES))[:, None]
    profiles = w * profiles + (1 - w) * city[None, :]
    se = np.divide(rate, np.sqrt(counts), out=np.zeros_like(rate), where=counts > 0)
    in_window = [x for x in holidays if start.date() <= x <= end.date()]
    return ArrivalFit(
        start=start,
        end=end,
        counts=counts,
        rate_per_day=rate,
        rate_se=se,
        profiles=profiles,
        city_profile=city,
        weekday=d,
        weekday_seen=seen,
        holiday_factor=float(H) if has_holiday else None,
        holiday_days=len(in_window),
    )
