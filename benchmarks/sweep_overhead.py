"""Sweep throughput: runs per second for many short runs, and the overhead of each beyond its run.

    .venv/bin/python benchmarks/sweep_overhead.py [--tasks 60] [--days 7]

Runs the same sweep (a Latin hypercube over jingxing_2019, `days` simulated days per run, both
arrangements) in process, on local worker processes and on a local Dask cluster, each into a fresh
folder, at two sizes (`tasks` and 4 × `tasks` points), checks that every executor gives the same
table, and prints for the larger size: runs per second, the simulation time per run (measured inside
the workers), the marginal wall time per run (slope between the two sizes, × workers: what one more
run costs a worker) and the start-up (intercept: starting the processes or the cluster).
Writes results/benchmarks/sweep.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import pandas as pd

from streetchief import __version__, sweep

ROOT = Path(__file__).resolve().parent.parent


def spec(tasks: int, days: float) -> dict:
    return {
        "name": "bench_sweep",
        "scenario": "jingxing_2019",
        "days": days,
        "seed": 1,
        "replications": 1,
        "design": "latin_hypercube",
        "samples": tasks,
        "uncertainties": {
            "arrangements.multi_layer.layers.0.misrouting": {"low": 0.0, "high": 0.3}
        },
        "levers": {"departments.traffic_police.crews": {"low": 1, "high": 5, "integer": True}},
    }


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--tasks", type=int, default=60, help="points of the design (each runs both arrangements)"
    )
    p.add_argument("--days", type=float, default=7, help="simulated days per run")
    p.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks" / "sweep.json")
    args = p.parse_args()
    cores = os.cpu_count() or 1
    rows, tables = [], {}
    for label, kw in (
        ("in process", dict(workers=1)),
        (f"local, {cores} processes", dict(workers=cores)),
        (f"dask LocalCluster, {cores} workers", dict(executor="dask", workers=cores)),
    ):
        walls, n_runs = [], []
        for tasks in (args.tasks, 4 * args.tasks):
            with tempfile.TemporaryDirectory() as d:
                t0 = time.perf_counter()
                res = sweep(spec(tasks, args.days), Path(d) / "out", progress=False, **kw)
                walls.append(time.perf_counter() - t0)
            n_runs.append(len(res.runs))
        workers = kw.get("workers", 1)
        slope = (walls[1] - walls[0]) / (n_runs[1] - n_runs[0])
        sim = (
            res.runs.drop_duplicates("point_id").seconds.sum() / n_runs[1]
        )  # per run (a task runs both)
        rows.append(
            {
                "executor": label,
                "runs": n_runs[1],
                "wall_s": round(walls[1], 2),
                "runs_per_s": round(n_runs[1] / walls[1], 1),
                "simulation_ms_per_run": round(1000 * sim, 2),
                "marginal_ms_per_run_per_worker": round(1000 * slope * workers, 2),
                "overhead_ms_per_run": round(1000 * (slope * workers - sim), 2),
                "startup_s": round(walls[0] - slope * n_runs[0], 2),
            }
        )
        tables[label] = res.runs.drop(columns="seconds").reset_index(drop=True)
    first = next(iter(tables.values()))
    for t in tables.values():
        pd.testing.assert_frame_equal(t, first)
    df = pd.DataFrame(rows)
    print(
        f"sweeps of {args.tasks} and {4 * args.tasks} points × 2 arrangements, {args.days:g} "
        "simulated days each (all tables identical); figures for the larger"
    )
    print(df.to_string(index=False))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(
        json.dumps(
            {
                "benchmark": "sweep_overhead",
                "version": __version__,
                "cores": cores,
                "python": platform.python_version(),
                "tasks": args.tasks,
                "days": args.days,
                "results": rows,
            },
            indent=2,
        ),
        encoding="utf-8",
    )
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
