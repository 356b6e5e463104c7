"""Running a sweep: tasks (a point and a replication each) out to an executor, results to the store.

Each finished task is written at once, atomically, to DIR/runs/, so an interrupted sweep started
again skips what is done; DIR/runs.parquet gathers them at the end, and DIR/sweep.json says what
ran.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from streetchief.errors import SweepError
from streetchief.files import write_json, write_parquet
from streetchief.outcomes import OUTCOMES
from streetchief.progress import progress_bar
from streetchief.provenance import content_hash, provenance
from streetchief.sweeps.local_executor import execute_local
from streetchief.sweeps.spec import Sweep, load_sweep
from streetchief.sweeps.store import Lock, gather, part_name, succeeded


@dataclass
class SweepResult:
    """A sweep's runs table and what this start of it did."""

    out: Path
    runs: pd.DataFrame
    executed: int  # tasks run this time (the rest were already done)
    failed: int  # runs recorded as failed
    wall_seconds: float
    sweep: Sweep = field(repr=False, default=None)

    def summary_line(self) -> str:
        n, now = len(self.runs), self.executed * len(self.sweep.spec.arrangements)
        rate = now / self.wall_seconds if self.wall_seconds else 0.0
        earlier = f" ({n - now} done by an earlier start)" if n > now else ""
        return (
            f"{n} runs{earlier}, {self.failed} failed, wall {self.wall_seconds:.1f} s, {rate:.1f} "
            "runs/s"
        )


def sweep(
    spec: str | Path | dict | Sweep,
    out: str | Path | None = None,
    executor: str = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool | Any = True,
) -> SweepResult:
    """Run a sweep (resuming any earlier start in `out`) and return its runs table.

    executor: "local" (processes on this machine; `workers=1` runs in this process) or "dask" (a
    local Dask cluster of `workers`, or the existing cluster at `scheduler`, e.g. tcp://host:8786).
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
    with Lock(out):
        return _sweep(sw, out, executor, workers, scheduler, progress)


def _sweep(sw: Sweep, out: Path, executor: str, workers, scheduler, progress) -> SweepResult:
    s = sw.spec
    meta_path = out / "sweep.json"
    if meta_path.exists():
        try:
            old = json.loads(meta_path.read_text(encoding="utf-8"))
        except ValueError:
            old = {}
        if old.get("digest") not in (None, sw.digest):
            raise SweepError(
                str(out),
                [
                    f"holds a different sweep ({old.get('name')!r}, digest {old.get('digest')}); "
                    "choose another --out, or delete the folder to start again"
                ],
            )
    outcomes = s.outcomes or list(OUTCOMES)
    done = {p.name for p in (out / "runs").glob("p*-r*.parquet") if succeeded(p)}
    todo = [(p, r) for p, r in sw.tasks if part_name(p, r) not in done]
    started = datetime.now(UTC)
    prov = provenance()
    meta = {
        "name": s.name,
        "digest": sw.digest,
        "spec": s.model_dump(mode="json"),
        "spec_source": sw.source,
        "base_scenario": sw.base,
        "scenario_sha256": content_hash(sw.base),
        "version": prov["streetchief"],
        "git_commit": prov["git_commit"],
        "host": prov["host"],
        "python": prov["python"],
        "dependencies": prov["dependencies"],
        "executor": executor,
        "workers": workers,
        "scheduler": scheduler,
        "started": started.isoformat(),
        "finished": None,
        "points": len(sw.points),
        "tasks": len(sw.tasks),
        "runs_total": len(sw.tasks) * len(s.arrangements),
        "runs_done": None,
        "runs_failed": None,
        "status": "running",
    }
    write_json(meta, meta_path)
    t0 = time.perf_counter()
    per_task = len(s.arrangements)  # progress counts runs: a task runs every arrangement
    bar = progress_bar(progress, len(sw.tasks) * per_task, (len(sw.tasks) - len(todo)) * per_task)
    executed = 0
    try:
        for (p, r), result in _execute(sw, todo, outcomes, executor, workers, scheduler):
            write_parquet(_task_table(sw, p, r, result, outcomes), out / "runs" / part_name(p, r))
            if s.save_issues and result.get("issues") is not None:
                write_parquet(
                    result["issues"],
                    out / "issues" / f"point={p}" / f"replication={r}" / "part-0.parquet",
                )
            executed += 1
            bar((len(sw.tasks) - len(todo) + executed) * per_task, len(sw.tasks) * per_task)
    finally:
        bar.close()
        runs = gather(out, sw.spec.arrangements)
        wall = time.perf_counter() - t0
        failed = int((runs.status == "failed").sum()) if len(runs) else 0
        complete = len(runs) == len(sw.tasks) * len(s.arrangements)
        if len(runs):
            write_parquet(pa.Table.from_pandas(runs, preserve_index=False), out / "runs.parquet")
        meta.update(
            finished=datetime.now(UTC).isoformat(),
            runs_done=int((runs.status == "ok").sum()) if len(runs) else 0,
            runs_failed=failed,
            wall_seconds=wall,
            status="complete" if complete else "interrupted",
        )
        write_json(meta, meta_path)
    return SweepResult(out, runs, executed, failed, wall, sw)


def _task_table(sw: Sweep, point: int, rep: int, result: dict, outcomes: list[str]) -> pa.Table:
    s = sw.spec
    params = sw.overrides(point)
    rows = []
    for a in s.arrangements:
        row = {
            "run_id": f"p{point:05d}-r{rep:04d}-{a}",
            "point_id": point,
            "replication": rep,
            "seed": s.seed + rep,
            "arrangement": a,
            **params,
        }
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


def _execute(sw: Sweep, todo, outcomes, executor, workers, scheduler):
    """Yields ((point, replication), result) as tasks finish, in any order."""
    s = sw.spec

    def args(p, r):
        return sw.base, sw.overrides(p), s.days, s.seed + r, s.arrangements, outcomes, s.save_issues

    if not todo:
        return
    if executor == "dask":
        from streetchief.sweeps.dask_executor import execute_dask

        yield from execute_dask(todo, args, workers, scheduler)
    else:
        yield from execute_local(todo, args, workers, sw.source)
