"""Importing a large export: 1,000,000 rows in the NYC 311 layout, read through nyc_311.yaml.

    .venv/bin/python benchmarks/import_log.py [--rows 1000000] [--repeat 3]

The export is made from the real NYC fixture (tests/data/real/nyc311_fedhere_PyBOOT.csv, 41
columns): its rows drawn at random, with new unique keys, report times spread over a month in no
particular order and closures after them, so that values, widths and quoting are a real export's.
Each import runs `streetchief import-log EXPORT --mapping nyc_311.yaml --out log.parquet` in a
fresh process; the figures are its wall time (best of --repeat) and its peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = ROOT / "tests" / "data" / "real" / "nyc311_fedhere_PyBOOT.csv"
MAPPING = ROOT / "scenarios" / "mappings" / "nyc_311.yaml"
FORMAT = "%m/%d/%Y %I:%M:%S %p"


def make_export(path: Path, rows: int, seed: int = 1) -> None:
    """Write `rows` requests in the NYC layout, drawn from the real fixture's rows."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa
    import pyarrow.csv as pcsv

    real = pd.read_csv(FIXTURE, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(seed)
    out = real.iloc[rng.integers(0, len(real), rows)].reset_index(drop=True)
    start = pd.Timestamp("2022-05-01")
    created = start + pd.to_timedelta(rng.uniform(0, 30 * 86400, rows).round(), unit="s")
    closed = created + pd.to_timedelta(rng.exponential(20 * 3600, rows).round(), unit="s")
    is_closed = (out["Status"] == "Closed").to_numpy()
    out["Unique Key"] = (50_000_000 + np.arange(rows)).astype(str)
    out["Created Date"] = created.strftime(FORMAT)
    out["Closed Date"] = np.where(is_closed, closed.strftime(FORMAT), "")
    out["Resolution Action Updated Date"] = out["Closed Date"]
    table = pa.Table.from_pandas(out, preserve_index=False)
    pcsv.write_csv(table, path, pcsv.WriteOptions(quoting_style="needed"))


def peak_rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def one(export: str, out: str) -> dict:
    """Runs in the child process: the import as the command line does it."""
    from streetchief.cli import main

    t0 = time.perf_counter()
    code = main(["import-log", export, "--mapping", str(MAPPING), "--out", out])
    wall = time.perf_counter() - t0
    return {"exit": code, "wall_s": wall, "peak_rss_mib": peak_rss_mib()}


def run(rows: int = 1_000_000, repeat: int = 3) -> dict:
    with tempfile.TemporaryDirectory() as d:
        export = Path(d) / "nyc_layout.csv"
        t0 = time.perf_counter()
        make_export(export, rows)
        made = time.perf_counter() - t0
        size = export.stat().st_size / 2**20
        print(
            f"  made {rows:,} rows in the NYC layout ({size:.0f} MiB) in {made:.1f} s", flush=True
        )
        runs = []
        for _ in range(repeat):
            cmd = [sys.executable, __file__, "--one", str(export), str(Path(d) / "log.parquet")]
            r = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            if r.returncode:
                raise RuntimeError(f"{' '.join(cmd)} failed:\n{r.stderr[-2000:]}")
            row = json.loads(r.stdout.strip().splitlines()[-1])
            if row["exit"]:
                raise RuntimeError(f"import-log exited {row['exit']}:\n{r.stdout[-2000:]}")
            runs.append(row)
            print(
                f"  import-log: {row['wall_s']:.2f} s, peak {row['peak_rss_mib']:.0f} MiB",
                flush=True,
            )
    best = min(runs, key=lambda r: r["wall_s"])
    return {
        "rows": rows,
        "export_mib": size,
        "wall_s": best["wall_s"],
        "rows_per_s": rows / best["wall_s"],
        "peak_rss_mib": max(r["peak_rss_mib"] for r in runs),
        "runs": runs,
    }


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--one":
        result = one(sys.argv[2], sys.argv[3])
        print(json.dumps(result))
        sys.exit(0)
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--repeat", type=int, default=3)
    args = p.parse_args()
    print(json.dumps(run(args.rows, args.repeat), indent=2))
