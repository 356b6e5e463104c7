"""Calibration's speed: the seed's district fitted to a 10,000-row log, on this machine's cores
and on a local Dask cluster.

    .venv/bin/python benchmarks/calibration.py [--rows 10000] [--population 40] [--generations 5]

The log is simulated from known parameters (`calibration.synthetic`); the report gives each
executor's wall time, evaluations, evaluations per second, and whether the known values fall inside
the fitted 95% intervals. Then the real Los Angeles export (10,000 requests): the time to make its
city's scenario (`scenario-from-log`) and to calibrate its hotline with the shipped spec
(`scenarios/calibration/hotline.yaml`) and a 30% holdout, with how close the fitted medians come.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

TRUTH = {"department_response.take_on.median": 4.0, "categories.*.work.median": 1.5}


def spec(population: int, generations: int) -> dict:
    return {
        "name": "benchmark",
        "parameters": {
            "department_response.take_on.median": {
                "low": 0.25,
                "high": 32,
                "distribution": "loguniform",
            },
            "categories.*.work.median": {"low": 0.2, "high": 10, "distribution": "loguniform"},
        },
        "population_size": population,
        "generations": generations,
        "draws": 10,
    }


def run(
    rows: int = 10_000, population: int = 40, generations: int = 5, workers: int | None = None
) -> dict:
    from streetchief import load_scenario
    from streetchief.calibration import calibrate
    from streetchief.calibration.synthetic import simulated_log
    from streetchief.issue_log import read_log, write_log

    workers = workers or os.cpu_count() or 1
    truth = load_scenario("jingxing_2019", **TRUTH)
    per_day = 19.0  # issues the hotline records a day in the seed's district, about
    frame = simulated_log(truth, "hotline", seed=3, days=rows / per_day).head(rows)
    out = {
        "rows": len(frame),
        "workers": workers,
        "population": population,
        "generations": generations,
    }
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "log.csv"
        write_log(frame, path)
        log = read_log(path, load_scenario("jingxing_2019"))
        for executor in ("local", "dask"):
            t0 = time.perf_counter()
            r = calibrate(
                "jingxing_2019",
                log,
                "hotline",
                spec(population, generations),
                Path(d) / executor,
                executor=executor,
                workers=workers,
            )
            wall = time.perf_counter() - t0
            inside = all(
                r["fitted"][p]["interval_95"][0] <= v <= r["fitted"][p]["interval_95"][1]
                for p, v in TRUTH.items()
            )
            out[executor] = {
                "wall_seconds": wall,
                "evaluations": r["evaluations"],
                "evaluations_per_second": r["evaluations"] / r["search_seconds"],
                "known_values_inside_95": inside,
            }
            print(
                f"{executor:6s} {wall:7.1f} s wall, {r['evaluations']} evaluations, "
                f"{out[executor]['evaluations_per_second']:.1f}/s; known values inside: {inside}",
                flush=True,
            )
    return out


def run_la(workers: int | None = None) -> dict:
    """The real export: scenario, then the hotline calibrated with the shipped spec."""
    from streetchief import load_scenario
    from streetchief.calibration import calibrate
    from streetchief.issue_log import read_log
    from streetchief.scenario.from_log import scenario_from_log

    root = Path(__file__).resolve().parents[1]
    la = root / "tests" / "data" / "real" / "la311_2018_mini.csv"
    workers = workers or os.cpu_count() or 1
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        made = scenario_from_log(la, root / "scenarios" / "mappings" / "la_311.yaml", name="la")
        made_s = time.perf_counter() - t0
        city, mapping = Path(d) / "la.yaml", Path(d) / "la.mapping.yaml"
        city.write_text(made.scenario_text, encoding="utf-8")
        mapping.write_text(made.mapping_text, encoding="utf-8")
        log = read_log(la, load_scenario(city), mapping)
        t0 = time.perf_counter()
        spec = root / "scenarios" / "calibration" / "hotline.yaml"
        r = calibrate(city, log, "hotline", spec, Path(d) / "fit", workers=workers, holdout=0.3)
        wall = time.perf_counter() - t0
    out = {
        "rows": len(log),
        "scenario_from_log_seconds": made_s,
        "calibrate_seconds": wall,
        "evaluations": r["evaluations"],
        "median_hours_recorded": r["fit"]["median_hours_recorded"],
        "median_hours_fitted": r["fit"]["median_hours_simulated"],
        "median_hours_held_out_recorded": r["held_out"]["median_hours_recorded"],
        "median_hours_held_out_predicted": r["held_out"]["median_hours_simulated"],
        "held_out_share_inside": r["held_out"]["share_inside"],
    }
    print(
        f"Los Angeles, {out['rows']:,} requests: scenario in {made_s:.1f} s; hotline calibrated in "
        f"{wall:.1f} s ({r['evaluations']} evaluations); median hours to close recorded "
        f"{out['median_hours_recorded']:.1f}, fitted {out['median_hours_fitted']:.1f}; held out "
        f"{out['median_hours_held_out_recorded']:.1f}, predicted "
        f"{out['median_hours_held_out_predicted']:.1f}",
        flush=True,
    )
    return out


if __name__ == "__main__":
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--rows", type=int, default=10_000)
    p.add_argument("--population", type=int, default=40)
    p.add_argument("--generations", type=int, default=5)
    p.add_argument("--workers", type=int)
    p.add_argument("--out", type=Path)
    a = p.parse_args()
    result = run(a.rows, a.population, a.generations, a.workers)
    result["los_angeles"] = run_la(a.workers)
    if a.out:
        a.out.write_text(json.dumps(result, indent=2), encoding="utf-8")
