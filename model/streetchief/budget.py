"""Size guards: a run's, a comparison's or a sweep's problems, memory and time, estimated before it
starts, and refused past a limit unless forced (`--force`), with what to do instead.

The estimates are the expected number of problems (rates, trend, holidays and bursts, integrated
over the run) and figures measured on this model: about 1.2 kB of memory per problem for a run of
both arrangements kept whole, and 50,000 problems a second per arrangement (`benchmarks/`). A sweep
that could take long is timed instead on a short pilot of its scenario, on this machine as loaded
now (`pilot`): a constant measured elsewhere was 26 times too quick on a busy machine.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import dataclass

from streetchief.errors import SizeError

BYTES_PER_PROBLEM = 400  # the problems and the issue book, per problem
BYTES_PER_RECORD = 400  # each arrangement's records, kept whole until written
BASE_BYTES = 300 * 2**20  # the interpreter, the libraries, a streamed run's window
PROBLEMS_PER_SECOND = 50_000  # per arrangement, measured on the seed's district and the megacity
# each merchant is an agent of every arrangement's model: measured 300,000 merchants in one zone
# of jingxing_2019, one day: +91 MB and +0.86 s CPU per arrangement
BYTES_PER_MERCHANT = 320
SECONDS_PER_MERCHANT = 3e-6
MEMORY_LIMIT = 4 * 2**30  # or half this machine's memory, if less
TIME_LIMIT_HOURS = 12.0
MAX_RUNS = 200_000  # runs of one sweep
HARD_PROBLEMS = 1e11  # problems in one run: past this nothing can run it, forced or not
PILOT_ABOVE_SECONDS = 5.0  # a sweep estimated longer than this at the constant is timed first
PILOT_PROBLEMS = 1_000  # problems in the shorter pilot run (the longer one has twice as many)


@dataclass
class Throughput:
    """How fast this machine runs a scenario now: a run's fixed start (building the district and
    its merchants) and the seconds per problem per arrangement, both wall clock."""

    start_seconds: float
    seconds_per_problem: float

    def text(self) -> str:
        return (
            f"timed on a pilot now: {1 / self.seconds_per_problem:,.0f} problems a second per "
            f"arrangement, {self.start_seconds:.2g} s to start a run"
        )


def pilot(scenario, arrangements: list[str], days: float | None = None) -> Throughput:
    """Two short runs of `scenario` (about PILOT_PROBLEMS problems, then twice as many; a fraction
    of a second): their difference is the time per problem, the rest the time to start."""
    from streetchief.experiment import run_scenario

    per_day = max(expected_problems(scenario, 1.0), 1e-9)
    short = min(days or scenario.run.days, max(PILOT_PROBLEMS / per_day, 1 / 24)) / 2
    timed = []
    for d in (short, 2 * short):
        t0 = time.perf_counter()
        res = run_scenario(scenario, arrangements, scenario.run.seed, d)
        seconds = time.perf_counter() - t0
        n = max(res.summaries[arrangements[0]]["issues_reported"], 1) * len(arrangements)
        timed.append((n, seconds))
    (n1, t1), (n2, t2) = timed
    per = (t2 - t1) / (n2 - n1) if n2 > n1 and t2 > t1 else t2 / n2
    return Throughput(max(t1 - n1 * per, 0.0), per)


@dataclass
class Estimate:
    """What some work will take: problems per run, runs, peak memory and wall time."""

    what: str  # "a run", "5 paired replications", "a sweep"
    problems: float  # expected problems per run (per arrangement)
    runs: int  # runs of one arrangement, in all
    memory: float  # bytes at the peak
    seconds: float  # wall time
    hints: tuple[str, ...] = ()  # what to do instead, when too large

    def text(self) -> str:
        return (
            f"{self.what}: about {self.problems:,.0f} problems per run, {self.runs:,} run(s), "
            f"{_bytes(self.memory)} of memory, {_duration(self.seconds)}"
        )


def memory_limit() -> float:
    try:
        total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        total = 2 * MEMORY_LIMIT
    return min(MEMORY_LIMIT, total / 2)


def expected_problems(scenario, days: float | None = None) -> float:
    """Problems a run of `days` is expected to generate: the rates integrated over the trend, with
    the holidays' factor and the bursts (the hour and weekday profiles have mean 1)."""
    days = scenario.run.days if days is None else days
    hours = 24.0 * days
    arr = scenario.arrivals
    g = arr.trend_per_year
    try:
        if g == 0:
            over_time = hours
        else:
            over_time = 8760.0 / math.log1p(g) * (math.pow(1.0 + g, hours / 8760.0) - 1.0)
    except OverflowError:
        return math.inf
    per_hour = sum(c.rate_per_day for c in scenario.categories.values()) / 24.0
    start = scenario.run.start.date()
    holiday_days = sum(1 for h in scenario.holidays if 0 <= (h - start).days < days)
    holiday = 1.0 + (arr.holiday_factor - 1.0) * min(holiday_days / max(days, 1e-9), 1.0)
    bursts = sum(b.expected for b in arr.bursts)
    return per_hour * over_time * max(holiday, 0.0) + bursts


def estimate_run(
    scenario, days=None, arrangements: int = 2, streamed: bool = False, problems=None
) -> Estimate:
    """One run of `arrangements` on the same problems (`problems` when they are known: a log)."""
    n = expected_problems(scenario, days) if problems is None else float(problems)
    kept = 0.0 if streamed else n * (BYTES_PER_PROBLEM + BYTES_PER_RECORD * arrangements)
    merchants = float(sum(z.merchants for z in scenario.zones.values()))
    hints = ("fewer --days",) if streamed else ("--stream (memory stays bounded)", "fewer --days")
    if merchants * BYTES_PER_MERCHANT > 2**30:
        hints = ("fewer merchants (zones.<key>.merchants)", *hints)
    return Estimate(
        "a run",
        n,
        arrangements,
        BASE_BYTES + kept + merchants * BYTES_PER_MERCHANT * arrangements,
        n * arrangements / PROBLEMS_PER_SECOND + merchants * arrangements * SECONDS_PER_MERCHANT,
        hints,
    )


def estimate_compare(
    scenario, replications: int, days=None, problems=None, arrangements: int | None = None
) -> Estimate:
    """Paired replications, one after the other (every arrangement in each, all of the scenario's
    unless `arrangements` says how many); the first one's records are kept for figures."""
    n = arrangements or len(scenario.arrangement_names)
    one = estimate_run(scenario, days, n, problems=problems)
    return Estimate(
        f"{replications} paired replications",
        one.problems,
        n * replications,
        one.memory + (one.memory - BASE_BYTES),
        one.seconds * replications,
        ("fewer --replications", "fewer --days"),
    )


def estimate_sweep(
    sw, workers: int | None = None, todo: int | None = None, timed: Throughput | None = None
) -> Estimate:
    """A sweep's `todo` tasks (default: all) on `workers` processes, each task every arrangement
    of one point and replication; `sw.problems` is the problems per run at the largest values.
    Its time at PROBLEMS_PER_SECOND, or as `timed` on a pilot."""
    workers = max(1, workers or os.cpu_count() or 1)
    arrangements = len(sw.spec.arrangements)
    tasks = len(sw.tasks) if todo is None else todo
    if timed is None:
        per_task = sw.problems * arrangements / PROBLEMS_PER_SECOND
    else:
        per_task = timed.start_seconds + sw.problems * arrangements * timed.seconds_per_problem
    per_worker = BASE_BYTES + sw.problems * (BYTES_PER_PROBLEM + BYTES_PER_RECORD * arrangements)
    return Estimate(
        "a sweep" if timed is None else f"a sweep ({timed.text()})",
        sw.problems,
        len(sw.tasks) * arrangements,
        per_worker * min(workers, max(tasks, 1)),
        per_task * math.ceil(tasks / workers),
        ("fewer points (values, levels, samples) or replications", "fewer days", "fewer --workers"),
    )


def sweep_pilot(sw, workers=None, todo: int | None = None) -> Throughput | None:
    """A pilot of the sweep's scenario, when the constant says its `todo` tasks (default: all)
    could take long (past PILOT_ABOVE_SECONDS); None when they could not."""
    nominal = estimate_sweep(sw, workers, todo)
    if not (PILOT_ABOVE_SECONDS < nominal.seconds and sw.problems < HARD_PROBLEMS):
        return None
    from streetchief.scenario import load_scenario

    return pilot(load_scenario(sw.base), list(sw.spec.arrangements), sw.spec.days)


def check(estimate: Estimate, force: bool = False, source: str = "") -> None:
    """Raise SizeError when the estimate passes a limit (only the absolute one when `force`)."""
    e = estimate
    if not e.problems < HARD_PROBLEMS:
        raise SizeError(
            source or e.what,
            [
                f"{e.what}: about {e.problems:.3g} problems per run; no run can hold more than "
                f"{HARD_PROBLEMS:.0e} (check rate_per_day, trend_per_year, bursts and the days)"
            ],
        )
    if force:
        return
    over = []
    if e.memory > memory_limit():
        over.append(f"memory {_bytes(e.memory)} > {_bytes(memory_limit())}")
    if e.seconds > TIME_LIMIT_HOURS * 3600:
        over.append(f"time {_duration(e.seconds)} > {TIME_LIMIT_HOURS:g} h")
    if e.what.startswith("a sweep") and e.runs > MAX_RUNS:
        over.append(f"{e.runs:,} runs > {MAX_RUNS:,}")
    if over:
        hints = ", ".join([*e.hints, "or --force to start it all the same"])
        raise SizeError(
            source or e.what, [f"{e.text()}: past the limit ({'; '.join(over)}); use {hints}"]
        )


def _bytes(n: float) -> str:
    if not math.isfinite(n):
        return "unbounded"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"


def _duration(s: float) -> str:
    if not math.isfinite(s):
        return "forever"
    if s < 120:
        return f"{s:.2g} s"
    if s < 7200:
        return f"{s / 60:.3g} min"
    if s < 3 * 86400:
        return f"{s / 3600:.3g} h"
    return f"{s / 86400:.3g} days"
