"""Time and peak memory: a year of jingxing_2019, volumes from 10^4 to 10^7 issues, a megacity year.

    .venv/bin/python benchmarks/scaling.py [--quick] [--arrangement street_chief]

Every measurement runs in a fresh process, so that its peak memory (maximum resident set size) is
its own. Volumes are the `megacity` scenario (300 zones, 150 departments) with every category's rate
scaled to the wanted issues a year; `--stream` runs write per-issue records to Parquet as issues
close. `--quick` stops at 10^6 and skips the megacity year.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MEGACITY_PER_YEAR = 25_000_000


def one(kind: str, arrangement: str, issues: float, stream: bool, out: str) -> dict:
    """Runs in the child process."""
    from streetchief import load_scenario
    from streetchief.experiment import run_scenario, run_streamed

    t0 = time.perf_counter()
    if kind == "jingxing":
        s = load_scenario("jingxing_2019")
        arrangements = s.arrangement_names
    else:
        raw = load_scenario("megacity")
        factor = issues / MEGACITY_PER_YEAR
        s = load_scenario(
            "megacity",
            **{
                f"categories.{k}.rate_per_day": c.rate_per_day * factor
                for k, c in raw.categories.items()
            },
        )
        arrangements = [arrangement]
    t1 = time.perf_counter()
    res = run_streamed(s, out, arrangements) if stream else run_scenario(s, arrangements)
    wall = time.perf_counter() - t1
    n = sum(v["issues_reported"] for v in res.summaries.values())
    return {
        "kind": kind,
        "arrangements": arrangements,
        "target_issues": issues,
        "issues": n,
        "stream": stream,
        "wall_s": wall,
        "load_s": t1 - t0,
        "issues_per_s": n / wall,
        "peak_rss_mib": peak_rss_mib(),
    }


def peak_rss_mib() -> float:
    """This process's peak resident memory. /proc's VmHWM, not getrusage: a child started by fork +
    exec inherits its parent's peak in ru_maxrss."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure(
    kind: str, arrangement: str = "street_chief", issues: float = 0, stream: bool = False
) -> dict:
    import tempfile

    with tempfile.TemporaryDirectory() as d:
        cmd = [
            sys.executable,
            __file__,
            "--one",
            kind,
            arrangement,
            str(issues),
            str(int(stream)),
            d,
        ]
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    if r.returncode:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
    row = json.loads(r.stdout.strip().splitlines()[-1])
    print(
        f"  {kind:9s} {arrangement if kind != 'jingxing' else 'both':13s} {row['issues']:>10,d} "
        f"issues {'stream' if stream else 'memory':6s} {row['wall_s']:8.1f} s "
        f"{row['issues_per_s']:>9,.0f}/s {row['peak_rss_mib']:8.0f} MiB",
        flush=True,
    )
    return row


def run(quick: bool = False, arrangement: str = "street_chief") -> dict:
    print("a year of jingxing_2019, both arrangements:")
    jingxing = [measure("jingxing") for _ in range(3)]
    best = min(jingxing, key=lambda r: r["wall_s"])
    print(f"volume scaled on the megacity district ({arrangement}):")
    volumes = [1e4, 1e5, 1e6] + ([] if quick else [1e7])
    scaling = [measure("scaled", arrangement, v, stream=True) for v in volumes]
    in_memory = [measure("scaled", arrangement, v, stream=False) for v in volumes[:3]]
    by = {r["target_issues"]: r for r in scaling}
    linear = None
    if 1e7 in by:
        linear = by[1e7]["wall_s"] / (by[1e5]["wall_s"] * by[1e7]["issues"] / by[1e5]["issues"])
        print(f"10^7 issues: {linear:.2f} × the linear extrapolation from 10^5")
    megacity = []
    if not quick:
        print("the megacity year (25 million issues), streamed:")
        megacity = [
            measure("scaled", a, MEGACITY_PER_YEAR, stream=True)
            for a in ("street_chief", "multi_layer")
        ]
    return {
        "jingxing_year": best,
        "scaling_stream": scaling,
        "scaling_in_memory": in_memory,
        "ratio_1e7_to_linear_from_1e5": linear,
        "megacity_year": megacity,
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        kind, arrangement, issues, stream, out = sys.argv[2:7]
        print(json.dumps(one(kind, arrangement, float(issues), stream == "1", out)))
        sys.exit(0)
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="up to 10^6 issues, no megacity year")
    p.add_argument(
        "--arrangement", default="street_chief", help="arrangement for the scaled volumes"
    )
    args = p.parse_args()
    print(json.dumps(run(args.quick, args.arrangement), indent=2, default=str))
