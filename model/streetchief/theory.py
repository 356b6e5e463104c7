"""Exact queueing results the simulator is checked against (../shared/CALIBRATION.md)."""

from __future__ import annotations

import math


def erlang_c(c: int, lam: float, mu: float) -> float:
    """Probability that an arrival waits in an M/M/c queue."""
    a = lam / mu
    rho = a / c
    if not 0 <= rho < 1:
        raise ValueError(f"unstable: rho = {rho:.3f}")
    top = a**c / math.factorial(c) / (1 - rho)
    return top / (sum(a**k / math.factorial(k) for k in range(c)) + top)


def mmc_wait(c: int, lam: float, mu: float) -> float:
    """Mean time in queue, Wq."""
    return erlang_c(c, lam, mu) / (c * mu - lam)


def mmc_sojourn(c: int, lam: float, mu: float) -> float:
    """Mean time in system, W = Wq + 1/μ."""
    return mmc_wait(c, lam, mu) + 1 / mu


def tandem_sojourn(stations: list[tuple[int, float]], lam: float) -> float:
    """Mean end-to-end time through M/M/c stations in series, given (c, μ) per station (Burke)."""
    return sum(mmc_sojourn(c, lam, mu) for c, mu in stations)
