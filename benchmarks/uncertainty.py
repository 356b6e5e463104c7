"""The answer under uncertainty: CPU time per parameter set, against running the same sets by hand.

    .venv/bin/python benchmarks/uncertainty.py [--sets 6] [--rounds 3]

`compare jingxing_2019 --uncertainty N` runs, for each of N parameter sets drawn from the scenario's
ranges, 2 paired replications of the four arrangements over a year. This runs `sets` of those sets
in this process (one worker, so that CPU time is all in one process) through the sweep machinery
(`streetchief.uncertainty.uncertainty`: the design, a Parquet part per task, the answer) and, as the
reference, the same sets' overrides run directly (`load_scenario` + `run_scenario` per replication,
nothing written), interleaved round by round, and checks that both give the same outcomes. It prints
the CPU seconds per set of each, their ratio (the median over rounds), and the analysis' own time
(`answer` + the answer's files and figures). Writes results/benchmarks/uncertainty.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _by_hand(sw) -> dict:
    """The reference: every task's runs, no sweep, no files."""
    from streetchief.experiment import run_scenario
    from streetchief.outcomes import OUTCOMES
    from streetchief.scenario import load_scenario

    out = {}
    for p, r in sw.tasks:
        sc = load_scenario(sw.base, **sw.overrides(p))
        res = run_scenario(sc, sw.spec.arrangements, sw.spec.seed + r, sw.spec.days)
        for name, s in res.summaries.items():
            out[(p, r, name)] = OUTCOMES["resolution_common_mean_h"](s)
    return out


def run(sets: int = 6, rounds: int = 3) -> dict:
    from streetchief.report import LABELS
    from streetchief.scenario import load_scenario
    from streetchief.sweeps.analysis import load_runs
    from streetchief.uncertainty import answer, uncertainty_sweep
    from streetchief.uncertainty.run import uncertainty, write_answer

    sw = uncertainty_sweep("jingxing_2019", sets)
    machinery, reference, analysis = [], [], []
    for _ in range(rounds):
        with tempfile.TemporaryDirectory() as d:
            t0 = time.process_time()
            uncertainty("jingxing_2019", sets, out=Path(d) / "u", workers=1, progress=False)
            machinery.append((time.process_time() - t0) / sets)
            runs, meta = load_runs(Path(d) / "u")
            t0 = time.process_time()
            write_answer(answer(runs, meta), Path(d) / "a", load_scenario("jingxing_2019"), LABELS)
            analysis.append(time.process_time() - t0)
        t0 = time.process_time()
        direct = _by_hand(sw)
        reference.append((time.process_time() - t0) / sets)
    ok = runs[runs.status == "ok"]
    for row in ok.itertuples():
        want = direct[(row.point_id, row.replication, row.arrangement)]
        got = row.resolution_common_mean_h
        assert got == want or (got != got and want != want), (row, want)
    ratios = [m / r for m, r in zip(machinery, reference, strict=True)]
    return {
        "sets": sets,
        "replications": sw.spec.replications,
        "arrangements": sw.spec.arrangements,
        "rounds": rounds,
        "cpu_s_per_set": round(statistics.median(machinery), 3),
        "reference_cpu_s_per_set": round(statistics.median(reference), 3),
        "ratio_to_reference": round(statistics.median(ratios), 3),
        "ratios": [round(x, 3) for x in ratios],
        "analysis_cpu_s": round(statistics.median(analysis), 2),
    }


def report(r: dict) -> None:
    print(
        f"{r['sets']} parameter sets of jingxing_2019, {r['replications']} paired replications "
        f"of {len(r['arrangements'])} arrangements over a year each, in one process "
        f"(median of {r['rounds']} interleaved rounds; outcomes identical)"
    )
    print(f"  through the sweep machinery: {r['cpu_s_per_set']:.2f} CPU s per set")
    print(f"  the same runs by hand:       {r['reference_cpu_s_per_set']:.2f} CPU s per set")
    print(f"  ratio: {r['ratio_to_reference']:.3f} (rounds: {r['ratios']})")
    print(f"  the analysis (answer, files and figures): {r['analysis_cpu_s']:.2f} CPU s")


def main() -> None:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sets", type=int, default=6, help="parameter sets per round")
    p.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    p.add_argument("--out", type=Path, default=ROOT / "results" / "benchmarks" / "uncertainty.json")
    args = p.parse_args()
    from streetchief import __version__

    r = run(args.sets, args.rounds)
    report(r)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    record = {
        "benchmark": "uncertainty",
        "version": __version__,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        **r,
    }
    args.out.write_text(json.dumps(record, indent=2), encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
