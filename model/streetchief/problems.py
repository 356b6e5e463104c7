"""Problems as data, drawn once from their own random streams: every arrangement faces the same.

A *problem* arises in the street; it becomes an *issue* when someone reports it. Arrival time,
zone, category, the merchant who sees it, its work content and whether its responsibility is
unclear are all drawn here, from streams that do not depend on the arrangement: common random
numbers.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np

from streetchief.scenario import Scenario

ISSUE_STREAM = 0
ARRANGEMENT_STREAM = 1
# the problems' own streams, by spawn key: arrivals (time, category, zone), attributes (work,
# unclear responsibility, the merchant's draws), then lifetimes, fates and other observers'
# sightings, then scheduled services' waits (added later: the earlier are unchanged by them)
STREAMS = 10


def issue_streams(seed: int, n: int) -> list[np.random.Generator]:
    return [
        np.random.default_rng(s)
        for s in np.random.SeedSequence(seed, spawn_key=(ISSUE_STREAM,)).spawn(n)
    ]


def arrangement_seed(seed: int, name: str) -> np.random.SeedSequence:
    """The arrangement's own stream: stable across runs, different per arrangement name."""
    return np.random.SeedSequence(seed, spawn_key=(ARRANGEMENT_STREAM, zlib.crc32(name.encode())))


@dataclass
class Sightings:
    """Reports a problem would get from observers other than its merchant (residents, passers-by:
    `scenario.observers`), if it stayed in the street: one entry per report, ordered by problem.
    Which of them reach an arrangement depends on its channels (`hears`); `u` decides that, the
    same draw under every arrangement."""

    problem: np.ndarray  # index of the problem (in its run, or its chunk)
    kind: np.ndarray  # index into scenario.observers
    delay: np.ndarray  # hours from arising to the report
    u: np.ndarray  # compared with the arrangement's share of this kind's reports it hears

    @classmethod
    def none(cls) -> Sightings:
        return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0), np.zeros(0))


@dataclass
class Problems:
    """Columns, one entry per problem, sorted by arrival time (hours since the scenario start)."""

    time: np.ndarray
    zone: np.ndarray  # index into scenario.zones
    category: np.ndarray  # index into scenario.categories
    merchant_u: np.ndarray  # which merchant of the zone sees it, as a uniform in [0, 1)
    work: np.ndarray  # crew hours on site
    unclear: np.ndarray  # responsibility unclear (category share or zone boundary)
    report_u: np.ndarray  # compared with the merchant's willingness to report
    self_fix_u: np.ndarray  # compared with the frontage (门前三包) self-fix share
    horizon: float  # hours the run lasts
    lifetime: np.ndarray | None = None  # hours until it ends by itself (inf: until fixed)
    closure_u: np.ndarray | None = None  # compared with the department's closure shares
    reopen_u: np.ndarray | None = None  # compared with the department's share of failed fixes
    sightings: Sightings | None = None
    lead: np.ndarray | None = None  # hours of a scheduled service's wait drawn for it (0: none)
    # replayed from an issue log: each problem is an issue, reported when and by whom the log says
    replayed: bool = False
    issue_ids: np.ndarray | None = None  # the log's ids (strings)
    reporters: list | None = None  # the log's reporter names (None where not given)
    found_by_chief: np.ndarray | None = None  # discovered_by == chief
    found_by_patrol: np.ndarray | None = None  # discovered_by == patrol (officers on patrol)

    def __post_init__(self):
        n = len(self.time)
        if self.lifetime is None:
            self.lifetime = np.full(n, np.inf)
        if self.closure_u is None:  # never closed without a fix, never reopened
            self.closure_u = np.ones(n)
        if self.reopen_u is None:
            self.reopen_u = np.ones(n)
        if self.sightings is None:
            self.sightings = Sightings.none()
        if self.lead is None:
            self.lead = np.zeros(n)

    def __len__(self) -> int:
        return len(self.time)

    @classmethod
    def generate(
        cls, scenario: Scenario, seed: int | None = None, days: float | None = None
    ) -> Problems:
        seed = scenario.run.seed if seed is None else seed
        horizon = 24.0 * (scenario.run.days if days is None else days)
        g_time, g_cat, g_zone, *_ = issue_streams(seed, STREAMS)
        time, category, zone = _arrivals(scenario, horizon, g_time, g_cat, g_zone)
        return cls.with_attributes(scenario, time, category, zone, horizon, seed)

    @classmethod
    def with_attributes(
        cls, scenario: Scenario, time, category, zone, horizon: float, seed: int, **replay
    ) -> Problems:
        """Problems at given times, zones and categories; the rest (work, unclear responsibility,
        the merchant who sees it, how long it lasts, ...) is drawn from the seed's own streams, so
        a replay of generated arrivals gives back exactly the generated problems. A replayed
        log's issues are reported when the log says, so nobody else sights them."""
        streams = issue_streams(seed, STREAMS)[3:]
        a = _attributes(scenario, np.asarray(category), np.asarray(zone), *streams)
        if replay.get("replayed"):
            a["sightings"] = Sightings.none()
        return cls(
            np.asarray(time, float),
            np.asarray(zone, np.int64),
            np.asarray(category, np.int64),
            horizon=float(horizon),
            **a,
            **replay,
        )

    @classmethod
    def from_cases(cls, scenario: Scenario, cases: list[dict], horizon: float) -> Problems:
        """Explicit problems, e.g. the seed's 23:00 report: dicts with time, zone, category, and
        optionally work, unclear (default False) and lifetime (default: until fixed); every case
        is reported, none self-fixed, none closed without a fix but by its lifetime."""
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
            report_u=np.zeros(n),
            self_fix_u=np.ones(n),
            horizon=float(horizon),
            lifetime=np.array([c.get("lifetime", np.inf) for c in cases], dtype=float),
            replayed=True,
        )


# --- when problems arise: a non-homogeneous Poisson process, piecewise constant by clock hour ----
@dataclass
class Intensity:
    """Expected problems per clock-hour bin and category over a run window."""

    edges: np.ndarray  # bin edges, hours since the start (B + 1)
    hour: np.ndarray  # clock hour of each bin (B)
    weekday: np.ndarray  # 0 = Monday (B)
    holiday: np.ndarray  # bool (B)
    expected: np.ndarray  # (B, C) expected problems in the bin


def arrival_intensity(scenario: Scenario, horizon: float, begin: float = 0.0) -> Intensity:
    """Over [begin, horizon) hours since the start, in bins that end on the clock's hours."""
    arr, start = scenario.arrivals, scenario.run.start
    clock0 = start.hour + start.minute / 60 + start.second / 3600 + start.microsecond / 3.6e9
    offset = (clock0 + begin) % 1.0
    inner = np.arange(begin + (1.0 - offset if offset else 1.0), horizon, 1.0)
    edges = (
        np.concatenate([[begin], inner[inner > begin], [horizon]])
        if horizon > begin
        else np.array([begin, begin])
    )
    clock = edges[:-1] + clock0  # hours since the start's midnight
    day = np.floor(clock / 24 + 1e-12).astype(np.int64)
    hour = (np.floor(clock + 1e-9).astype(np.int64)) % 24
    weekday = (start.weekday() + day) % 7
    dates = np.datetime64(start.date(), "D") + day
    holiday = np.isin(dates, np.array(scenario.holidays, dtype="datetime64[D]"))
    cats = list(scenario.categories.values())
    profiles = np.array([arr.hour_profile(c.profile) for c in cats]).T  # (24, C)
    rates = np.array([c.rate_per_day for c in cats]) / 24.0
    mid = (edges[:-1] + edges[1:]) / 2
    factor = (
        np.asarray(arr.weekday_factors())[weekday]
        * np.where(holiday, arr.holiday_factor, 1.0)
        * (1.0 + arr.trend_per_year) ** (mid / 8760.0)
        * np.diff(edges)
    )
    return Intensity(edges, hour, weekday, holiday, profiles[hour] * rates * factor[:, None])


def _arrivals(scenario: Scenario, horizon: float, g_time, g_cat, g_zone, begin: float = 0.0):
    """(time, category, zone) of every problem in [begin, horizon), sorted by time."""
    lam = arrival_intensity(scenario, horizon, begin)
    counts = g_time.poisson(lam.expected)  # (B, C)
    n_bins, n_cats = counts.shape
    flat = counts.ravel()
    bin_of = np.repeat(np.repeat(np.arange(n_bins), n_cats), flat)
    category = np.repeat(np.tile(np.arange(n_cats), n_bins), flat)
    width = np.diff(lam.edges)
    time = lam.edges[bin_of] + g_time.random(len(bin_of)) * width[bin_of]
    zone = np.full(len(time), -1)
    cat_keys, zone_keys = list(scenario.categories), list(scenario.zones)
    extra_t, extra_c, extra_z = [time], [category], [zone]
    for b in scenario.arrivals.bursts:
        a = (b.start - scenario.run.start).total_seconds() / 3600
        lo, hi = max(a, begin), min(a + b.hours, horizon)
        if hi <= lo:
            continue
        k = int(g_cat.poisson(b.expected * (hi - lo) / b.hours))  # its share inside the window
        extra_t.append(g_cat.uniform(lo, hi, k))
        extra_c.append(np.full(k, cat_keys.index(b.category)))
        extra_z.append(np.full(k, zone_keys.index(b.zone) if b.zone else -1))
    time, category, zone = (np.concatenate(x) for x in (extra_t, extra_c, extra_z))
    order = np.argsort(time, kind="stable")
    time, category, zone = time[order], category[order], zone[order]
    free = zone < 0
    weights = np.array([z.weight for z in scenario.zones.values()], dtype=float)
    zone[free] = g_zone.choice(len(weights), int(free.sum()), p=weights / weights.sum())
    return time, category, zone


def _attributes(
    scenario: Scenario,
    category: np.ndarray,
    zone: np.ndarray,
    g_work,
    g_unclear,
    g_u,
    g_life,
    g_fate,
    g_seen,
    g_lead,
) -> dict:
    """What else is drawn for problems in these categories and zones: the columns of `Problems`
    after time, zone and category, by name."""
    cats, zones = list(scenario.categories.values()), list(scenario.zones.values())
    n = len(category)
    work = np.empty(n)
    lifetime = np.full(n, np.inf)
    lead = np.zeros(n)
    for k, c in enumerate(cats):  # one vector draw per category, from its own child streams
        mask = category == k
        work[mask] = c.work.sample(np.random.default_rng(g_work.integers(2**63)), int(mask.sum()))
        life_rng = np.random.default_rng(g_life.integers(2**63))
        if c.lifetime is not None:
            lifetime[mask] = c.lifetime.sample(life_rng, int(mask.sum()))
        lead_rng = np.random.default_rng(g_lead.integers(2**63))
        if c.lead is not None:
            lead[mask] = c.lead.sample(lead_rng, int(mask.sum()))
    share = np.array([c.unclear_share for c in cats])[category]
    boundary = np.array([z.boundary_share for z in zones])[zone]
    unclear = (g_unclear.random(n) < share) | (g_unclear.random(n) < boundary)
    u = g_u.random((3, n))
    fate = g_fate.random((2, n))
    return {
        "merchant_u": u[0],
        "work": work,
        "unclear": unclear,
        "report_u": u[1],
        "self_fix_u": u[2],
        "lifetime": lifetime,
        "closure_u": fate[0],
        "reopen_u": fate[1],
        "sightings": _sightings(scenario, n, g_seen),
        "lead": lead,
    }


def _sightings(scenario: Scenario, n: int, g) -> Sightings:
    """Each observer kind's reports of n problems: Poisson(expected) each, at its delays."""
    parts = []
    for k, obs in enumerate(scenario.observers.values()):
        count = g.poisson(obs.expected, n) if obs.expected > 0 else np.zeros(n, np.int64)
        problem = np.repeat(np.arange(n), count)
        delay = obs.delay.sample(np.random.default_rng(g.integers(2**63)), len(problem))
        parts.append((problem, np.full(len(problem), k), delay, g.random(len(problem))))
    if not parts:
        return Sightings.none()
    problem, kind, delay, u = (np.concatenate(x) for x in zip(*parts, strict=True))
    order = np.lexsort((delay, problem))
    return Sightings(problem[order], kind[order], delay[order], u[order])


STREAM_CHUNKS = 2  # spawn key of the per-chunk streams of a ProblemStream


@dataclass
class ProblemChunk:
    """The problems of one window, as lists (what the model reads), numbered from `first`."""

    first: int
    time: list
    zone: list
    category: list
    work: list
    unclear: list
    merchant_u: list
    report_u: list
    self_fix_u: list
    lifetime: list
    closure_u: list
    reopen_u: list
    sightings: Sightings  # `problem` counts from the chunk's first
    lead: list


class ProblemStream:
    """Problems generated window by window (about 100,000 at a time), so that memory does not grow
    with the length or volume of a run. Each window has its own random streams: the same seed
    gives the same problems, not those of `Problems.generate`, which draws a run at once."""

    replayed = False

    def __init__(
        self,
        scenario: Scenario,
        seed: int | None = None,
        days: float | None = None,
        chunk_hours: float | None = None,
    ):
        self.scenario = scenario
        self.seed = scenario.run.seed if seed is None else seed
        self.horizon = 24.0 * (scenario.run.days if days is None else days)
        per_hour = sum(c.rate_per_day for c in scenario.categories.values()) / 24
        # about 100,000 problems a window: few windows for a small district, bounded
        # memory for a megacity
        self.chunk_hours = chunk_hours or float(
            min(168, max(1, round(100_000 / max(per_hour, 1e-9))))
        )

    def chunks(self):
        first, c = 0, 0
        while c * self.chunk_hours < self.horizon:
            lo, hi = c * self.chunk_hours, min((c + 1) * self.chunk_hours, self.horizon)
            g = [
                np.random.default_rng(s)
                for s in np.random.SeedSequence(self.seed, spawn_key=(STREAM_CHUNKS, c)).spawn(
                    STREAMS
                )
            ]
            time, category, zone = _arrivals(self.scenario, hi, g[0], g[1], g[2], begin=lo)
            a = _attributes(self.scenario, category, zone, *g[3:])
            yield ProblemChunk(
                first,
                time.tolist(),
                zone.tolist(),
                category.tolist(),
                **{k: v if k == "sightings" else v.tolist() for k, v in a.items()},
            )
            first += len(time)
            c += 1
