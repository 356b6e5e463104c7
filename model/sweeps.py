"""Parameter sweeps: a YAML spec → a design of points → paired runs → one tidy `runs.parquet`.

Vocabulary after EMA Workbench: *uncertainties* are what the city cannot choose (volumes, misrouting),
*levers* what it can (crews, hours). Each is a dotted path into the base scenario. A *point* is one
setting of all of them; each point runs `replications` times, and every replication runs all the
arrangements on the same issues (common random numbers: replication r uses seed + r, at every point).

Work is cut into tasks, one per (point, replication). Each finished task is written at once, atomically,
to `DIR/runs/`, so an interrupted sweep started again skips what is done; `DIR/runs.parquet` gathers them
at the end. A task that raises is recorded with its error, and tried again on the next start.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import math
import os
import socket
import time
import traceback
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from streetchief.scenario import ScenarioError, _describe, load_scenario, read_yaml_mapping, resolve_path

DESIGNS = ("grid", "latin_hypercube", "sobol", "morris")
MAX_POOL_RESTARTS = 10          # local executor: new workers after one dies, this many times per start
FAULTS_VARIABLE = "STREETCHIEF_FAULTS"   # reliability tests only, e.g. "raise=0.2,kill=0.1"


class SweepError(ScenarioError):
    """A sweep spec that cannot run, or an output folder that cannot take it."""
    what = "sweep"


class Parameter(BaseModel):
    """Values to try: a list (`values`), or a range (`low`, `high`) with a distribution."""
    model_config = ConfigDict(extra="forbid")
    values: list[Any] | None = Field(None, description="the values to try (any design)")
    low: float | None = Field(None, allow_inf_nan=False, description="lower end of a range")
    high: float | None = Field(None, allow_inf_nan=False, description="upper end of a range")
    distribution: Literal["uniform", "loguniform"] = Field("uniform", description="how a range is sampled")
    integer: bool = Field(False, description="round to whole numbers (crews, clerks)")
    levels: int = Field(3, ge=2, le=1000, description="grid only: evenly spaced values across a range")

    @model_validator(mode="after")
    def _one_kind(self):
        if self.values is not None:
            if self.low is not None or self.high is not None:
                raise ValueError("give either values or low/high, not both")
            if not self.values:
                raise ValueError("values: give at least one")
        elif self.low is None or self.high is None:
            raise ValueError("give values: [...] or both low and high")
        elif not self.high > self.low:
            raise ValueError(f"high must be > low, got low {self.low}, high {self.high}")
        elif self.distribution == "loguniform" and self.low <= 0:
            raise ValueError("loguniform needs low > 0")
        return self

    def at(self, u: float):
        """The value at quantile u ∈ [0, 1) of this parameter's distribution."""
        if self.values is not None:
            return self.values[min(int(u * len(self.values)), len(self.values) - 1)]
        if self.distribution == "loguniform":
            x = math.exp(math.log(self.low) + u * (math.log(self.high) - math.log(self.low)))
        else:
            x = self.low + u * (self.high - self.low)
        return int(math.floor(x + 0.5)) if self.integer else float(x)

    def grid(self) -> list:
        if self.values is not None:
            return list(self.values)
        qs = np.linspace(0.0, 1.0, self.levels)
        if self.distribution == "loguniform":
            xs = np.exp(np.log(self.low) + qs * (np.log(self.high) - np.log(self.low)))
        else:
            xs = self.low + qs * (self.high - self.low)
        return sorted({int(round(x)) for x in xs}) if self.integer else [float(x) for x in xs]

    def extremes(self) -> list:
        return [self.values[0], self.values[-1]] if self.values is not None else [self.at(0.0), self.at(0.999999)]


class SweepSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
                      description="short name (letters, digits, _ . -), used in results and the default folder")
    description: str = ""
    scenario: str = Field(description="base scenario: a shipped name or a YAML path (relative to the spec)")
    days: float | None = Field(None, gt=0, le=100_000, description="simulated days per run (default: the scenario's)")
    seed: int = Field(1, ge=0, description="replication r of every point uses seed + r")
    replications: int = Field(3, ge=1, le=10_000, description="paired replications per point")
    arrangements: list[str] = Field(["street_chief", "multi_layer"], min_length=1)
    baseline: str | None = Field(None, description="the arrangement compared against (default multi_layer when run)")
    treatment: str | None = Field(None, description="the arrangement whose advantage is measured (default street_chief)")
    design: Literal["grid", "latin_hypercube", "sobol", "morris"] = "latin_hypercube"
    samples: int = Field(16, ge=1, le=1_000_000,
                         description="latin_hypercube: points; sobol: base sample N (N·(D+2) points); "
                                     "morris: trajectories (r·(D+1) points)")
    morris_levels: int = Field(4, ge=2, le=20, description="morris: grid levels per parameter")
    uncertainties: dict[str, Parameter] = Field({}, description="what the city cannot choose, by dotted path")
    levers: dict[str, Parameter] = Field({}, description="what the city can choose, by dotted path")
    outcomes: list[str] | None = Field(None, description="outcomes to keep (default: all)")
    save_issues: bool = Field(False, description="also write per-issue records, partitioned by point and replication")

    @model_validator(mode="after")
    def _some_parameter(self):
        if self.baseline is None and "multi_layer" in self.arrangements and len(self.arrangements) > 1:
            self.baseline = "multi_layer"
        if self.treatment is None and "street_chief" in self.arrangements and len(self.arrangements) > 1:
            self.treatment = "street_chief"
        both = set(self.uncertainties) & set(self.levers)
        if both:
            raise ValueError(f"{', '.join(sorted(both))}: both an uncertainty and a lever; choose one")
        if not self.uncertainties and not self.levers:
            raise ValueError("give at least one of uncertainties: or levers:")
        if self.design in ("sobol", "morris") and len(self.parameters) < 2:
            raise ValueError(f"{self.design} needs at least two parameters")
        if self.design == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"samples: sobol needs a power of 2 (e.g. 64, 128), got {self.samples}")
        return self

    @property
    def parameters(self) -> dict[str, Parameter]:
        return {**self.uncertainties, **self.levers}


@dataclass
class Sweep:
    """A checked spec with its design: `points` has one row per point, one column per parameter."""
    spec: SweepSpec
    source: str
    base: dict                      # the base scenario as read (a plain dict, sent to workers)
    points: pd.DataFrame
    unit: np.ndarray                # each point's quantiles in [0, 1)^D (what SALib analyses)
    digest: str                     # identifies the spec and the base scenario's content

    @property
    def tasks(self) -> list[tuple[int, int]]:
        return [(p, r) for p in range(len(self.points)) for r in range(self.spec.replications)]

    def overrides(self, point: int) -> dict:
        return {k: _plain(v) for k, v in self.points.iloc[point].items()}


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def load_sweep(spec: str | Path | dict, base: dict | None = None) -> Sweep:
    """Read and check a sweep spec, and check every parameter's path and extremes against the base
    scenario, so that a typo fails before anything runs. `base` gives the base scenario's content
    instead of reading the spec's `scenario` (to re-run a recorded sweep)."""
    if isinstance(spec, dict):
        source, raw, here = "<dict>", spec, Path.cwd()
    else:
        path = Path(spec)
        source, here = str(path), path.parent
        raw = read_yaml_mapping(path, SweepError, "keys (name, scenario, design, uncertainties, ...)")
    try:
        s = SweepSpec.model_validate(raw)
    except ValidationError as e:
        raise SweepError(source, [_describe(err, SweepSpec) for err in e.errors()]) from None

    try:
        if base is None:
            base_path = Path(s.scenario)
            if not base_path.is_absolute() and (here / base_path).exists():
                base_path = here / base_path
            base_file = resolve_path(base_path if base_path.exists() else s.scenario)
            scenario = load_scenario(base_file)             # its own clear errors, if broken
            base = yaml.safe_load(base_file.read_text(encoding="utf-8"))
        else:
            scenario = load_scenario(base)
    except ScenarioError as e:
        raise SweepError(source, [f"scenario: {e}"]) from None
    problems = []
    for name in s.arrangements + [a for a in (s.baseline, s.treatment) if a]:
        if name not in scenario.arrangement_names:
            problems.append(f"arrangements: {name!r} is not in {s.scenario}'s arrangements "
                            f"({', '.join(scenario.arrangement_names)})")
    if any(a is not None and a not in s.arrangements for a in (s.baseline, s.treatment)):
        problems.append(f"baseline and treatment must be among arrangements ({', '.join(s.arrangements)})")
    from streetchief.experiment import OUTCOMES
    for o in s.outcomes or []:
        if o not in OUTCOMES:
            problems.append(f"outcomes: unknown {o!r}; known: {', '.join(OUTCOMES)}")
    for kind, params in (("uncertainties", s.uncertainties), ("levers", s.levers)):
        for path, p in params.items():
            for value in p.extremes():
                try:
                    load_scenario(base, **{path: value})
                except ScenarioError as e:
                    problems.extend(f"{kind}.{path} = {value!r}: {line}" for line in e.problems)
                    break
    if problems:
        raise SweepError(source, list(dict.fromkeys(problems)))
    points, unit = design_points(s)
    digest = hashlib.sha256(json.dumps({"spec": s.model_dump(mode="json"), "base": base}, sort_keys=True,
                                       default=str).encode()).hexdigest()[:16]
    return Sweep(s, source, base, points, unit, digest)


def unit_problem(names: list[str]) -> dict:
    """SALib's problem over the parameters' quantiles: each in [0, 1], mapped to values by `Parameter.at`."""
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


def design_points(s: SweepSpec) -> tuple[pd.DataFrame, np.ndarray]:
    """(points: one column per parameter, unit quantiles). Deterministic in the spec's seed."""
    params = s.parameters
    names = list(params)
    d = len(names)
    if s.design == "grid":
        import itertools
        grids = [p.grid() for p in params.values()]
        rows = list(itertools.product(*grids))
        unit = np.array([[(g.index(v) + 0.5) / len(g) for g, v in zip(grids, row)] for row in rows])
        return pd.DataFrame(rows, columns=names), unit
    if s.design == "latin_hypercube":
        from scipy.stats import qmc
        unit = qmc.LatinHypercube(d=d, rng=np.random.default_rng(s.seed)).random(s.samples)
    elif s.design == "sobol":
        from SALib.sample import sobol
        unit = sobol.sample(unit_problem(names), s.samples,
                            calc_second_order=False, seed=s.seed)
    else:
        from SALib.sample import morris
        unit = morris.sample(unit_problem(names), s.samples,
                             num_levels=s.morris_levels, seed=s.seed)
    unit = np.clip(unit, 0.0, 1.0 - 1e-12)
    rows = [[p.at(u) for p, u in zip(params.values(), row)] for row in unit]
    return pd.DataFrame(rows, columns=names), unit


# --- one task: every arrangement at one point and replication ----------------------------------
def run_task(base: dict, overrides: dict, days: float | None, seed: int, arrangements: list[str],
             outcomes: list[str], save_issues: bool) -> dict:
    """Runs in a worker; returns plain data: outcome rows per arrangement, or the error."""
    from streetchief.experiment import OUTCOMES, run_scenario

    t0 = time.perf_counter()
    try:
        _injected_fault("before")
        scenario = load_scenario(base, **overrides)
        res = run_scenario(scenario, arrangements, seed, days)
        rows = {name: {k: OUTCOMES[k](s) for k in outcomes} for name, s in res.summaries.items()}
        issues = res.issues if save_issues else None
        _injected_fault("after")
        return {"rows": rows, "error": None, "seconds": time.perf_counter() - t0, "issues": issues}
    except Exception as e:     # recorded with the run, and the sweep goes on
        return {"rows": None, "error": f"{type(e).__name__}: {e}", "traceback": traceback.format_exc(),
                "seconds": time.perf_counter() - t0, "issues": None}


def _injected_fault(when: str) -> None:
    """Faults on purpose, for the reliability tests: with STREETCHIEF_FAULTS="raise=P,kill=Q" a task raises
    with probability P, or its process is killed (SIGKILL) with probability Q, before or after its work.
    Unset (always, in normal use), this does nothing."""
    spec = os.environ.get(FAULTS_VARIABLE)
    if not spec:
        return
    import random
    import signal
    p = {k: float(v) for k, v in (kv.split("=") for kv in spec.split(",") if "=" in kv)}
    r = random.SystemRandom()
    if r.random() < p.get("kill", 0.0) / 2:
        os.kill(os.getpid(), signal.SIGKILL)
    if when == "after" and r.random() < p.get("raise", 0.0):
        raise RuntimeError("injected fault")


# --- the runner ------------------------------------------------------------------------------------
@dataclass
class SweepResult:
    out: Path
    runs: pd.DataFrame
    executed: int                   # tasks run this time (the rest were already done)
    failed: int                     # runs recorded as failed
    wall_seconds: float
    sweep: Sweep = field(repr=False, default=None)

    def summary_line(self) -> str:
        n, now = len(self.runs), self.executed * len(self.sweep.spec.arrangements)
        rate = now / self.wall_seconds if self.wall_seconds else 0.0
        earlier = f" ({n - now} done by an earlier start)" if n > now else ""
        return (f"{n} runs{earlier}, {self.failed} failed, wall {self.wall_seconds:.1f} s, "
                f"{rate:.1f} runs/s")


def _part_name(point: int, rep: int) -> str:
    return f"p{point:05d}-r{rep:04d}.parquet"


def sweep(spec: str | Path | dict | Sweep, out: str | Path | None = None, executor: str = "local",
          workers: int | None = None, scheduler: str | None = None, progress: bool | Any = True) -> SweepResult:
    """Run a sweep (resuming any earlier start in `out`) and return its runs table.

    executor: "local" (processes on this machine; `workers=1` runs in this process) or "dask" (a local
    Dask cluster of `workers`, or the existing cluster at `scheduler`, e.g. tcp://host:8786).
    progress: True for a progress bar, False for none, or a callable(done, total)."""
    sw = spec if isinstance(spec, Sweep) else load_sweep(spec)
    s = sw.spec
    out = Path(out) if out is not None else Path("results") / "sweeps" / s.name
    if executor not in ("local", "dask"):
        raise SweepError(sw.source, [f"executor must be local or dask, got {executor!r}"])
    if scheduler is not None:
        executor = "dask"
    try:
        (out / "runs").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SweepError(str(out), [f"cannot create the output folder ({e.strerror})"]) from None
    with _Lock(out):
        return _sweep(sw, out, executor, workers, scheduler, progress)


def _sweep(sw: Sweep, out: Path, executor: str, workers, scheduler, progress) -> SweepResult:
    from streetchief.experiment import OUTCOMES
    from streetchief.records import write_json, write_parquet

    s = sw.spec
    meta_path = out / "sweep.json"
    if meta_path.exists():
        try:
            old = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError:
            old = {}
        if old.get("digest") not in (None, sw.digest):
            raise SweepError(str(out), [f"holds a different sweep ({old.get('name')!r}, digest {old.get('digest')}); "
                                        "choose another --out, or delete the folder to start again"])
    outcomes = s.outcomes or list(OUTCOMES)
    done = {p.name for p in (out / "runs").glob("p*-r*.parquet") if _succeeded(p)}
    todo = [(p, r) for p, r in sw.tasks if _part_name(p, r) not in done]
    started = datetime.now(timezone.utc)
    from streetchief.provenance import content_hash, provenance
    prov = provenance()
    meta = {"name": s.name, "digest": sw.digest, "spec": s.model_dump(mode="json"), "spec_source": sw.source,
            "base_scenario": sw.base, "scenario_sha256": content_hash(sw.base),
            "version": prov["streetchief"], "git_commit": prov["git_commit"], "host": prov["host"],
            "python": prov["python"], "dependencies": prov["dependencies"], "executor": executor, "workers": workers, "scheduler": scheduler,
            "started": started.isoformat(), "finished": None, "points": len(sw.points),
            "tasks": len(sw.tasks), "runs_total": len(sw.tasks) * len(s.arrangements),
            "runs_done": None, "runs_failed": None, "status": "running"}
    write_json(meta, meta_path)
    t0 = time.perf_counter()
    per_task = len(s.arrangements)          # progress counts runs: a task runs every arrangement
    bar = _bar(progress, len(sw.tasks) * per_task, (len(sw.tasks) - len(todo)) * per_task)
    executed = 0
    try:
        for (p, r), result in _execute(sw, todo, outcomes, executor, workers, scheduler):
            write_parquet(_task_table(sw, p, r, result, outcomes), out / "runs" / _part_name(p, r))
            if s.save_issues and result.get("issues") is not None:
                write_parquet(result["issues"], out / "issues" / f"point={p}" / f"replication={r}" / "part-0.parquet")
            executed += 1
            bar((len(sw.tasks) - len(todo) + executed) * per_task, len(sw.tasks) * per_task)
    finally:
        bar.close()
        runs = _gather(out, sw)
        wall = time.perf_counter() - t0
        failed = int((runs.status == "failed").sum()) if len(runs) else 0
        complete = len(runs) == len(sw.tasks) * len(s.arrangements)
        if len(runs):
            write_parquet(pa.Table.from_pandas(runs, preserve_index=False), out / "runs.parquet")
        meta.update(finished=datetime.now(timezone.utc).isoformat(), runs_done=int((runs.status == "ok").sum())
                    if len(runs) else 0, runs_failed=failed, wall_seconds=wall,
                    status="complete" if complete else "interrupted")
        write_json(meta, meta_path)
    return SweepResult(out, runs, executed, failed, wall, sw)


def _succeeded(part: Path) -> bool:
    try:
        return bool(pq.read_table(part, columns=["status"]).column("status").to_pylist()[0] == "ok")
    except Exception:      # unreadable (cannot happen with atomic writes, but then: run it again)
        return False


def _task_table(sw: Sweep, point: int, rep: int, result: dict, outcomes: list[str]) -> pa.Table:
    s = sw.spec
    params = sw.overrides(point)
    rows = []
    for a in s.arrangements:
        row = {"run_id": f"p{point:05d}-r{rep:04d}-{a}", "point_id": point, "replication": rep,
               "seed": s.seed + rep, "arrangement": a, **params}
        values = (result["rows"] or {}).get(a, {})
        row.update({k: (None if values.get(k) is None else float(values[k])) for k in outcomes})
        row["status"] = "ok" if result["error"] is None else "failed"
        row["error"] = result["error"]
        row["seconds"] = float(result["seconds"])
        rows.append(row)
    df = pd.DataFrame(rows)
    for k in outcomes:
        df[k] = df[k].astype(float)
    df["error"] = df["error"].astype(object)
    return pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)


def _gather(out: Path, sw: Sweep) -> pd.DataFrame:
    parts = sorted((out / "runs").glob("p*-r*.parquet"))
    if not parts:
        return pd.DataFrame(columns=["run_id", "point_id", "replication", "seed", "arrangement", "status"])
    tables = [pq.read_table(p) for p in parts]
    df = pa.concat_tables(tables, promote_options="permissive").to_pandas()
    order = {a: k for k, a in enumerate(sw.spec.arrangements)}
    df = df.sort_values(["point_id", "replication", "arrangement"], key=lambda c: c.map(order) if c.name ==
                        "arrangement" else c).reset_index(drop=True)
    return df


def _execute(sw: Sweep, todo, outcomes, executor, workers, scheduler):
    """Yields ((point, replication), result) as tasks finish, in any order."""
    s = sw.spec
    args = lambda p, r: (sw.base, sw.overrides(p), s.days, s.seed + r, s.arrangements, outcomes, s.save_issues)
    if not todo:
        return
    if executor == "dask":
        yield from _execute_dask(todo, args, workers, scheduler)
        return
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        for p, r in todo:
            yield (p, r), run_task(*args(p, r))
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool
    ctx = multiprocessing.get_context("spawn")      # no inherited threads or locks
    remaining, restarts = dict.fromkeys(todo), 0
    while remaining:
        with ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as pool:
            futures = {pool.submit(run_task, *args(p, r)): (p, r) for p, r in remaining}
            try:
                for f in as_completed(futures):
                    result = f.result()
                    del remaining[futures[f]]
                    yield futures[f], result
            except BrokenProcessPool:
                # a worker died (killed, out of memory): start new workers for the tasks not yet done
                restarts += 1
                if restarts > MAX_POOL_RESTARTS:
                    raise SweepError(sw.source, [f"worker processes died {restarts} times; the runs finished so far "
                                                 "are kept: start the same sweep again to do the rest"]) from None
            except BaseException:
                for f in futures:
                    f.cancel()
                raise


def _execute_dask(todo, args, workers, scheduler):
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(n_workers=workers or os.cpu_count() or 1, threads_per_worker=1, processes=True,
                               dashboard_address=None, silence_logs=40)
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout=20)
        except OSError as e:
            raise SweepError(scheduler, [f"cannot reach the Dask scheduler ({e})"]) from None
    try:
        futures = {client.submit(run_task, *args(p, r), pure=False, retries=2): (p, r) for p, r in todo}
        resubmitted: dict = {}
        done = as_completed(futures)
        for f in done:
            key = futures.pop(f)
            try:
                result = f.result()
            except Exception as e:
                # run_task records its own errors, so this is the cluster: a result lost with its worker, or
                # workers that kept dying (KilledWorker). Submit again, then record it (retried next start).
                resubmitted[key] = resubmitted.get(key, 0) + 1
                if resubmitted[key] <= 3:
                    again = client.submit(run_task, *args(*key), pure=False, retries=2)
                    futures[again] = key
                    done.add(again)
                    continue
                result = {"rows": None, "error": f"{type(e).__name__}: {e}", "seconds": 0.0, "issues": None}
            yield key, result
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


class _Lock:
    """One sweep writes to a folder at a time; the lock goes with the process that holds it."""

    def __init__(self, out: Path):
        self.path = out / ".lock"

    def __enter__(self):
        self.f = open(self.path, "a+")
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.f.seek(0)
            holder = self.f.read().strip() or "another process"
            self.f.close()
            raise SweepError(str(self.path.parent), [f"another sweep is writing here ({holder}); wait for it to "
                                                     "finish, or choose another --out"]) from None
        self.f.seek(0)
        self.f.truncate()
        self.f.write(f"pid {os.getpid()} on {socket.gethostname()}")
        self.f.flush()
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


class _NoBar:
    def __call__(self, done, total):
        pass

    def close(self):
        pass


class _CallbackBar(_NoBar):
    def __init__(self, fn):
        self.fn = fn

    def __call__(self, done, total):
        self.fn(done, total)


def _bar(progress, total, initial):
    if progress is False or progress is None:
        return _NoBar()
    if callable(progress) and progress is not True:
        return _CallbackBar(progress)
    from tqdm.auto import tqdm

    class Bar:
        def __init__(self):
            self.t = tqdm(total=total, initial=initial, unit="run", desc="sweep", dynamic_ncols=True)

        def __call__(self, done, total_):
            self.t.n = done
            self.t.refresh()

        def close(self):
            self.t.close()
    return Bar()
