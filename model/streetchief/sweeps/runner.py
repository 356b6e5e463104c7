"""Running a sweep: tasks (a point and a replication each) out to an executor, results to the store.

Each finished task is written at once, atomically, to DIR/runs/, so an interrupted sweep started
again skips what is done; DIR/runs.parquet gathers them at the end, and DIR/sweep.json says what
ran.
"""

from __future__ import annotations

import math
import os
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from streetchief.budget import check, estimate_sweep, sweep_pilot
from streetchief.errors import SweepError
from streetchief.files import write_json, write_parquet
from streetchief.outcomes import OUTCOMES
from streetchief.progress import progress_bar
from streetchief.provenance import content_hash, file_hash, provenance
from streetchief.sweeps.local_executor import execute_local
from streetchief.sweeps.spec import Sweep, load_sweep
from streetchief.sweeps.store import Lock, gather, part_name, read_parts, sealed, succeeded


@dataclass
class SweepResult:
    """A sweep's runs table and what this start of it did."""

    out: Path
    runs: pd.DataFrame
    executed: int  # tasks run this time (the rest were already done)
    failed: int  # runs recorded as failed
    wall_seconds: float
    sweep: Sweep = field(repr=False, default=None)
    written: bool = True  # False: the sweep was complete already, and nothing was written
    checked: int = 0  # parts of an earlier start run again here and found equal (`_rederive`)
    adopted: int = 0  # parts of an earlier start taken as they were

    def summary_line(self) -> str:
        n, now = len(self.runs), self.executed * len(self.sweep.spec.arrangements)
        if not self.written:
            return f"{n} runs, all done by an earlier start, {self.failed} failed: nothing to run"
        rate = now / self.wall_seconds if self.wall_seconds else 0.0
        earlier = f" ({n - now} done by an earlier start)" if n > now else ""
        if self.checked:
            earlier += (
                f"; {self.checked} of the {self.adopted} parts taken from it run again to "
                "check them: the same"
            )
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
    force: bool = False,
) -> SweepResult:
    """Run a sweep (resuming any earlier start in `out`) and return its runs table.

    executor: "local" (processes on this machine; `workers=1` runs in this process) or "dask" (a
    local Dask cluster of `workers`, or the existing cluster at `scheduler`, e.g. tcp://host:8786).
    progress: True for a progress bar, False for none, or a callable(done, total).
    force: start even when the estimate passes the size guard's limits (`streetchief.budget`)."""
    sw = spec if isinstance(spec, Sweep) else load_sweep(spec)
    s = sw.spec
    out = Path(out) if out is not None else Path("results") / "sweeps" / s.name
    if executor not in ("local", "dask"):
        raise SweepError(sw.source, [f"executor must be local or dask, got {executor!r}"])
    if scheduler is not None:
        executor = "dask"
    fresh = _check_folder(out)
    timed = None  # how fast this machine runs it now, timed on a pilot if it could take long
    if fresh:  # before anything is written: a refused sweep leaves no folder behind
        timed = sweep_pilot(sw, workers)
        check(estimate_sweep(sw, workers, None, timed), force, sw.source)
    created = [p for p in [out, *out.parents] if not p.exists()]
    for folder in (out, out / "runs"):  # parts are never written through a link, out of the folder
        if folder.is_symlink():
            raise SweepError(
                str(folder), ["is a symbolic link; a sweep writes only into a folder of its own"]
            )
    try:
        (out / "runs").mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise SweepError(str(out), [f"cannot create the output folder ({e.strerror})"]) from None
    lock = Lock(out)
    with lock:  # refused here, a sweep touches nothing: the lock and the folder are the holder's
        try:
            return _sweep(sw, out, executor, workers, scheduler, progress, force, timed)
        except SweepError:
            if fresh:  # refused before any run: take back the folders made for it, lock held
                for p in [out / "runs", out / ".lock", *created]:
                    try:
                        p.unlink() if p.name == ".lock" else p.rmdir()
                    except OSError:
                        pass
            raise


def _check_folder(out: Path) -> bool:
    """True for a new (or empty) folder; a folder with anything in it but no sweep.json is refused:
    nothing says which sweep its parts belong to."""
    if out.exists() and not out.is_dir():
        raise SweepError(str(out), ["is a file, not a folder; choose another output folder"])
    names = set(os.listdir(out)) if out.is_dir() else set()
    if names - {".lock", "runs"} - {"sweep.json"} and "sweep.json" not in names:
        raise SweepError(
            str(out),
            [
                "holds files but no sweep.json, so nothing says what they are; choose a new or "
                "empty output folder"
            ],
        )
    if "sweep.json" not in names:
        parts = os.listdir(out / "runs") if (out / "runs").is_dir() else []
        if parts:
            raise SweepError(
                str(out),
                [
                    f"runs/ holds {len(parts)} file(s) but there is no sweep.json, so nothing says "
                    "which sweep they belong to; choose a new output folder, or remove runs/"
                ],
            )
        return True
    return False


def read_meta(out: Path) -> dict:
    """sweep.json, read within bounds; a damaged one is refused (never taken for a new sweep)."""
    from streetchief.inputs import load_json

    path = out / "sweep.json"
    try:
        meta = load_json(path)
    except (OSError, ValueError) as e:  # InputTooLarge, UnicodeDecodeError, JSONDecodeError
        raise SweepError(str(path), [f"cannot be read as a sweep's record: {e}"]) from None
    if not isinstance(meta, dict) or not isinstance(meta.get("digest"), str):
        raise SweepError(str(path), ["is not a sweep's record (no digest)"])
    return meta


def _sweep(
    sw: Sweep, out: Path, executor: str, workers, scheduler, progress, force, timed=None
) -> SweepResult:
    s = sw.spec
    meta_path = out / "sweep.json"
    if meta_path.exists():
        old = read_meta(out)
        if old["digest"] != sw.digest:
            raise SweepError(
                str(out),
                [
                    f"holds a different sweep ({old.get('name')!r}, digest {old.get('digest')}); "
                    "choose another output folder, or delete this one to start again"
                ],
            )
    outcomes = s.outcomes or list(OUTCOMES)
    parts, problems = read_parts(out, sw, lambda p, r: _task_table(sw, p, r, None, outcomes))
    if problems:
        raise SweepError(
            str(out),
            [
                *problems,
                "these do not belong to this sweep: move them away (or delete the folder to start "
                "again), then run the same command",
            ],
        )
    todo = [(p, r) for p, r in sw.tasks if (p, r) not in parts or not succeeded(parts[(p, r)])]
    complete = meta_path.exists() and old.get("status") == "complete"
    if not todo and complete and (out / "runs.parquet").is_file():
        return _finished(sw, out, old)  # nothing to run: its records are left as they were sealed
    timed = timed or sweep_pilot(sw, workers, len(todo))  # a resume: only what is left
    estimate = estimate_sweep(sw, workers, len(todo), timed)
    check(estimate, force, sw.source)
    if progress is True:  # a caller's own progress says what it wants said
        print(f"note: {estimate.text()}", file=sys.stderr)
    checked, adopted = _rederive(sw, out, parts, outcomes)
    started = datetime.now(UTC)
    prov = provenance()
    meta = {
        "name": s.name,
        "digest": sw.digest,
        "spec": s.model_dump(mode="json"),
        "spec_source": str(Path(sw.source).resolve()) if sw.source != "<dict>" else sw.source,
        "base_scenario": sw.base,
        "settings": sw.settings,
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
            table = _task_table(sw, p, r, result, outcomes)
            write_parquet(table, out / "runs" / part_name(p, r))
            parts[(p, r)] = table
            if s.save_issues and result.get("issues") is not None:
                write_parquet(
                    result["issues"],
                    out / "issues" / f"point={p}" / f"replication={r}" / "part-0.parquet",
                )
            executed += 1
            bar((len(sw.tasks) - len(todo) + executed) * per_task, len(sw.tasks) * per_task)
    finally:
        bar.close()
        if executed < len(todo):  # interrupted: a part may be written but not yet counted
            written, _ = read_parts(out, sw, lambda p, r: _task_table(sw, p, r, None, outcomes))
            parts = {**written, **parts}
        runs = gather(parts, sw.spec.arrangements)
        wall = time.perf_counter() - t0
        ok = int((runs.status == "ok").sum()) if len(runs) else 0
        failed = int((runs.status == "failed").sum()) if len(runs) else 0
        complete = ok == len(sw.tasks) * len(s.arrangements)
        files = {}
        if len(runs):
            write_parquet(pa.Table.from_pandas(runs, preserve_index=False), out / "runs.parquet")
            files["runs.parquet"] = file_hash(out / "runs.parquet")
        if s.save_issues and (out / "issues").is_dir():
            for f in sorted((out / "issues").rglob("*.parquet")):
                files[f.relative_to(out).as_posix()] = file_hash(f)
        meta.update(
            finished=datetime.now(UTC).isoformat(),
            runs_done=ok,
            runs_failed=failed,
            runs_missing=len(sw.tasks) * len(s.arrangements) - ok - failed,
            wall_seconds=wall,
            status="complete"
            if complete
            else "interrupted"
            if ok + failed < meta["runs_total"]
            else "failed runs",
            files=files,
        )
        write_json(meta, meta_path)
    return SweepResult(out, runs, executed, failed, wall, sw, checked=checked, adopted=adopted)


# a resumed sweep runs again a random sample of the parts it adopts: a part's seal is public, so a
# forged part with its digest recomputed passes the checks of `read_parts`, but not a re-run
RECHECK_SHARE, RECHECK_MIN, RECHECK_MAX = 0.05, 2, 10


def _rederive(sw: Sweep, out: Path, parts: dict, outcomes: list[str]) -> tuple[int, int]:
    """Run again a sample of the adopted parts that succeeded (chosen by the system's random
    source, so a forger cannot know which) and refuse the folder if one differs. Returns how many
    were run again and how many were adopted."""
    from streetchief.sweeps.task import run_task

    adopted = sorted(k for k, t in parts.items() if succeeded(t))
    if not adopted:
        return 0, 0
    n = min(
        len(adopted), max(RECHECK_MIN, min(RECHECK_MAX, math.ceil(RECHECK_SHARE * len(adopted))))
    )
    s, bad = sw.spec, []
    for p, r in sorted(random.SystemRandom().sample(adopted, n)):
        result = run_task(
            sw.base, sw.overrides(p), s.days, s.seed + r, s.arrangements, outcomes, False
        )
        if result["error"] is not None:  # a run that failed now says nothing of the part
            n -= 1
            continue
        again = _task_table(sw, p, r, result, outcomes).select(outcomes).to_pylist()
        kept = parts[(p, r)].select(outcomes).to_pylist()
        if not _same_values(again, kept):
            bad.append(
                f"runs/{part_name(p, r)}: its outcomes are not what this sweep's model gives for "
                "that point and replication, run again now (written by another version, or forged)"
            )
    if bad:
        raise SweepError(
            str(out),
            [
                *bad,
                "delete the folder (or those parts) and run the same command to run them again; "
                "`streetchief verify` checks every part",
            ],
        )
    return n, len(adopted)


def _same_values(a: list[dict], b: list[dict]) -> bool:
    def same(x, y):
        if x is None or y is None:
            return x is y
        return x == y or (math.isnan(x) and math.isnan(y)) or math.isclose(x, y, rel_tol=1e-9)

    return len(a) == len(b) and all(
        ra.keys() == rb.keys() and all(same(ra[k], rb[k]) for k in ra)
        for ra, rb in zip(a, b, strict=True)
    )


def _finished(sw: Sweep, out: Path, meta: dict) -> SweepResult:
    """A complete sweep started again: its table as recorded, nothing written (a re-run that
    re-sealed its files would also seal whatever was changed in them since)."""
    recorded = (meta.get("files") or {}).get("runs.parquet")
    path = out / "runs.parquet"
    if file_hash(path) != recorded:
        raise SweepError(
            str(path),
            [
                "changed since the sweep finished (its sha256 is not the one in "
                "sweep.json): check the folder with `streetchief verify`, or delete runs.parquet "
                "to gather the parts again"
            ],
        )
    runs = pd.read_parquet(path)
    failed = int((runs.status == "failed").sum()) if "status" in runs else 0
    return SweepResult(out, runs, 0, failed, 0.0, sw, written=False)


def _task_table(sw: Sweep, point: int, rep: int, result: dict | None, outcomes: list[str]):
    """A task's part: one row per arrangement, sealed with its record (`store.sealed`); with no
    `result`, the part as expected before running (every outcome null), to check parts against."""
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
        values = ((result or {}).get("rows") or {}).get(a, {})
        row.update({k: (None if values.get(k) is None else float(values[k])) for k in outcomes})
        row["status"] = "ok" if result is not None and result["error"] is None else "failed"
        row["error"] = None if result is None else result["error"]
        row["seconds"] = 0.0 if result is None else float(result["seconds"])
        rows.append(row)
    df = pd.DataFrame(rows)
    for k, dtype in sw.points.dtypes.items():  # every part's parameter columns alike
        df[k] = df[k].astype(dtype)
    for k in outcomes:
        df[k] = df[k].astype(float)
    df["error"] = df["error"].astype(object)
    table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
    table = table.cast(_schema(sw, table.schema))
    return sealed(table, sw.digest, point, rep)


def _schema(sw: Sweep, schema: pa.Schema) -> pa.Schema:
    """Fixed types where pandas would guess from the values (an all-null error column)."""
    fixed = {"error": pa.string(), "status": pa.string(), "run_id": pa.string()}
    return pa.schema([pa.field(f.name, fixed.get(f.name, f.type)) for f in schema])


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
