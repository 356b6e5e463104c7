"""`make bench`: every benchmark in one report, written to results/benchmarks/latest.json.

    .venv/bin/python benchmarks/run_all.py [--quick]

--quick skips the 10^7-issue point and the megacity year (minutes instead of about half an hour).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import calibration  # noqa: E402
import import_log  # noqa: E402
import scaling  # noqa: E402
import startup  # noqa: E402
import sweep_overhead  # noqa: E402
import tandem  # noqa: E402
import uncertainty  # noqa: E402
import workshop  # noqa: E402

from streetchief import __version__  # noqa: E402
from streetchief.provenance import versions  # noqa: E402

PACKAGES = ("mesa", "numpy", "pandas", "pyarrow", "dask", "SALib", "simpy", "ciw")


def main():
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true")
    p.add_argument(
        "--out", type=Path, default=HERE.parent / "results" / "benchmarks" / "latest.json"
    )
    args = p.parse_args()
    print("== reference network (benchmarks/tandem.py)", flush=True)
    rows = tandem.run()
    tandem.report(rows)
    print("\n== time and memory (benchmarks/scaling.py)", flush=True)
    scale = scaling.run(quick=args.quick)
    print("\n== start-up (benchmarks/startup.py)", flush=True)
    start = startup.run()
    startup.report(start)
    print("\n== importing a 1,000,000-row export (benchmarks/import_log.py)", flush=True)
    imported = import_log.run()
    print("\n== calibration (benchmarks/calibration.py)", flush=True)
    calibrated = calibration.run(population=20, generations=3) if args.quick else calibration.run()
    calibrated["los_angeles"] = calibration.run_la()
    print("\n== the planner and the workshop (benchmarks/workshop.py)", flush=True)
    apps = workshop.run(browser=True)  # in Chromium too, where Debian's chromium is installed
    workshop.report(apps)
    print("\n== sweeps (benchmarks/sweep_overhead.py)", flush=True)
    sys.argv = [sys.argv[0], "--out", str(args.out.parent / "sweep.json")]
    sweep_overhead.main()
    sweep = json.loads((args.out.parent / "sweep.json").read_text())
    print("\n== the answer under uncertainty (benchmarks/uncertainty.py)", flush=True)
    per_set = uncertainty.run()
    uncertainty.report(per_set)
    ours = next(r for r in rows if r["implementation"] == "streetchief")
    report = {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cores": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "packages": versions(PACKAGES),
            "streetchief": __version__,
        },
        "reference_network": {
            r["implementation"]: {
                "issues_per_s": r["issues_per_s"],
                "issues_per_cpu_s": r["issues_per_cpu_s"],
                "mean_time_in_system_h": r["mean_time_in_system_h"],
                "issues": r["issues"],
            }
            for r in rows
        },
        "ratios_streetchief_to": {
            r["implementation"]: ours["issues_per_cpu_s"] / r["issues_per_cpu_s"]
            for r in rows
            if r is not ours
        },
        "theory_time_in_system_h": tandem.theory(),
        **scale,
        "sweep": sweep["results"],
        "uncertainty": per_set,
        "startup_seconds": start,
        "import_log": imported,
        "calibration": calibrated,
        "planner_and_workshop": apps,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
    print(f"\nwrote {args.out}")


if __name__ == "__main__":
    main()
