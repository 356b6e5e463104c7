"""Problems as data: drawn once from their own random streams, so every arrangement faces the same ones.

A *problem* arises in the street; it becomes an *issue* when someone reports it. Arrival time,
zone, category, the merchant who sees it, its work content and whether its responsibility is
unclear are all drawn here, from streams that do not depend on the arrangement (common random
numbers).
"""
from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from model.scenario import Scenario

# who discovered an issue (the `discovered_by` column)
MERCHANT, CHIEF = "merchant", "chief"

ISSUE_STREAM = 0
ARRANGEMENT_STREAM = 1


def issue_streams(seed: int, n: int) -> list[np.random.Generator]:
    return [np.random.default_rng(s) for s in np.random.SeedSequence(seed, spawn_key=(ISSUE_STREAM,)).spawn(n)]


def arrangement_seed(seed: int, name: str) -> np.random.SeedSequence:
    """The arrangement's own stream: stable across runs, different per arrangement name."""
    return np.random.SeedSequence(seed, spawn_key=(ARRANGEMENT_STREAM, zlib.crc32(name.encode())))


@dataclass
class Problems:
    """Columns, one entry per problem, sorted by arrival time (hours since the scenario start)."""
    time: np.ndarray
    zone: np.ndarray          # index into scenario.zones
    category: np.ndarray      # index into scenario.categories
    merchant_u: np.ndarray    # which merchant of the zone sees it, as a uniform in [0, 1)
    work: np.ndarray          # crew hours on site
    unclear: np.ndarray       # responsibility unclear (category share or zone boundary)
    report_u: np.ndarray      # compared with the merchant's willingness to report
    self_fix_u: np.ndarray    # compared with the frontage (门前三包) self-fix share
    horizon: float            # hours the run lasts

    def __len__(self) -> int:
        return len(self.time)

    @classmethod
    def generate(cls, scenario: Scenario, seed: int | None = None, days: float | None = None) -> "Problems":
        seed = scenario.run.seed if seed is None else seed
        horizon = 24.0 * (scenario.run.days if days is None else days)
        cats = list(scenario.categories.values())
        zones = list(scenario.zones.values())
        g_time, g_cat, g_zone, g_work, g_unclear, g_u = issue_streams(seed, 6)
        rates = np.array([c.rate_per_day for c in cats]) / 24.0
        n = int(g_time.poisson(rates.sum() * horizon))
        time = np.sort(g_time.uniform(0.0, horizon, n))
        category = g_cat.choice(len(cats), n, p=rates / rates.sum())
        weights = np.array([z.weight for z in zones], dtype=float)
        zone = g_zone.choice(len(zones), n, p=weights / weights.sum())
        work = np.empty(n)
        for k, c in enumerate(cats):   # one vector draw per category, from the category's own child stream
            mask = category == k
            work[mask] = c.work.sample(np.random.default_rng(g_work.integers(2**63)), int(mask.sum()))
        share = np.array([c.unclear_share for c in cats])[category]
        boundary = np.array([z.boundary_share for z in zones])[zone]
        unclear = (g_unclear.random(n) < share) | (g_unclear.random(n) < boundary)
        u = g_u.random((3, n))
        return cls(time, zone, category, u[0], work, unclear, u[1], u[2], horizon)

    @classmethod
    def from_cases(cls, scenario: Scenario, cases: list[dict], horizon: float) -> "Problems":
        """Explicit problems, e.g. the seed's 23:00 report: dicts with time, zone, category, and optionally
        work, unclear (default False); every case is reported (report_u = 0) and none self-fixed."""
        zones, cats = list(scenario.zones), list(scenario.categories)
        cases = sorted(cases, key=lambda c: c["time"])
        n = len(cases)
        return cls(
            time=np.array([c["time"] for c in cases], dtype=float),
            zone=np.array([zones.index(c["zone"]) for c in cases], dtype=int),
            category=np.array([cats.index(c["category"]) for c in cases], dtype=int),
            merchant_u=np.zeros(n),
            work=np.array([c.get("work", 1.0) for c in cases], dtype=float),
            unclear=np.array([c.get("unclear", False) for c in cases], dtype=bool),
            report_u=np.zeros(n), self_fix_u=np.ones(n), horizon=float(horizon))
