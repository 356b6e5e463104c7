"""The statistics a comparison rests on: a paired difference and its t-based confidence interval."""

from __future__ import annotations

import numpy as np


def paired_interval(d, level: float = 0.95) -> tuple[float, float, float, int]:
    """(mean, low, high, n) of paired differences `d` (NaN left out): the mean with a t-based
    interval at `level`; low and high are NaN with fewer than two pairs."""
    d = np.asarray(d, float)
    d = d[~np.isnan(d)]
    n = len(d)
    mean = float(d.mean()) if n else np.nan
    from scipy import stats  # imported when first needed: the workshop's kernel never does

    half = stats.t.ppf(0.5 + level / 2, n - 1) * d.std(ddof=1) / np.sqrt(n) if n > 1 else np.nan
    return mean, mean - half, mean + half, n
