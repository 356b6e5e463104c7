"""Start-up: how long the command line takes to answer before any model runs.

    .venv/bin/python benchmarks/startup.py [--repeat 7]

`streetchief --version` and `--help` import no numerical library (tests/test_architecture.py checks
that); this measures what a user waits, best of --repeat, in fresh processes.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent
COMMANDS = {
    "streetchief --version": [str(BIN / "streetchief"), "--version"],
    "streetchief --help": [str(BIN / "streetchief"), "--help"],
    "python -m streetchief --version": [sys.executable, "-m", "streetchief", "--version"],
    "python -c 'import streetchief'": [sys.executable, "-c", "import streetchief"],
    "streetchief validate jingxing_2019": [str(BIN / "streetchief"), "validate", "jingxing_2019"],
}


def run(repeat: int = 7) -> dict[str, float]:
    """Best wall time in seconds of each command, over `repeat` fresh processes."""
    best = {}
    for label, cmd in COMMANDS.items():
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
            times.append(time.perf_counter() - t0)
        best[label] = min(times)
    return best


def report(best: dict[str, float]) -> None:
    for label, seconds in best.items():
        print(f"{label:40s} {seconds:6.3f} s")


if __name__ == "__main__":
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--repeat", type=int, default=7)
    report(run(p.parse_args().repeat))
