"""How long a noise complaint or a parked car lasts, from NYC's police responses.

The NYC 311 export in tests/data/real/ (1 May 2022, 00:00-02:06, NYC Open Data) says for each
closed police request what the officers found: the condition fixed (action taken, a summons), or
gone (no evidence of the violation, those responsible gone on arrival). If a problem lasts an
exponential time with mean m from its report, it is still there when officers arrive r hours
later with chance exp(-r/m); the maximum-likelihood m, with a profile-likelihood 95% interval,
is what `scenarios/jingxing_2019.yaml` gives as its `lifetime` for the categories that end by
themselves. Requests that ended otherwise (no action needed, no entry, information given, not the
police's) are left out.
    .venv/bin/python scenarios/tools/fit_lifetimes.py
"""

from pathlib import Path

import numpy as np
import pandas as pd
from scipy import optimize, stats

LOG = Path(__file__).resolve().parents[2] / "tests" / "data" / "real" / "nyc311_fedhere_PyBOOT.csv"
FIXED = ("took action to fix the condition", "issued a summons")
GONE = (
    "observed no evidence of the violation",
    "those responsible for the condition were gone",
    "no Encampment was found",
)
GROUPS = {"noise": "Noise", "parking": "Illegal Parking|Blocked Driveway"}


def outcomes(frame: pd.DataFrame) -> pd.DataFrame:
    f = frame[(frame.Agency == "NYPD") & (frame.Status == "Closed")].copy()
    fmt = "%m/%d/%Y %I:%M:%S %p"
    f["hours"] = (
        pd.to_datetime(f["Closed Date"], format=fmt) - pd.to_datetime(f["Created Date"], format=fmt)
    ).dt.total_seconds() / 3600
    text = f["Resolution Description"].fillna("")
    f["gone"] = text.str.contains("|".join(GONE), regex=True)
    f["fixed"] = text.str.contains("|".join(FIXED), regex=True)
    return f[(f.gone | f.fixed) & (f.hours > 0)]


def fit(hours: np.ndarray, gone: np.ndarray) -> tuple[float, float, float]:
    """Mean lifetime m (hours): maximum likelihood and a 95% profile interval."""

    def nll(log_m):
        p_there = np.exp(-hours / np.exp(log_m))
        return -(np.log1p(-p_there[gone] + 1e-300).sum() + np.log(p_there[~gone]).sum())

    best = optimize.minimize_scalar(nll, bounds=(-5, 8), method="bounded")
    cut = best.fun + stats.chi2.ppf(0.95, 1) / 2
    lo = optimize.brentq(lambda x: nll(x) - cut, -5, best.x)
    hi = optimize.brentq(lambda x: nll(x) - cut, best.x, 8)
    return float(np.exp(best.x)), float(np.exp(lo)), float(np.exp(hi))


def main() -> None:
    f = outcomes(pd.read_csv(LOG))
    for name, pattern in GROUPS.items():
        g = f[f["Complaint Type"].str.contains(pattern, regex=True)]
        m, lo, hi = fit(g.hours.to_numpy(), g.gone.to_numpy())
        print(
            f"{name}: {len(g)} requests, {g.gone.sum()} gone on arrival, median response "
            f"{g.hours.median():.2f} h; mean lifetime {m:.2f} h (95% {lo:.2f} to {hi:.2f})"
        )


if __name__ == "__main__":
    main()
