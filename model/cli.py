"""streetchief: the command line."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from model import __version__

EPILOG = """\
SCENARIO is a shipped scenario's name (jingxing_2019, textbook_mmc, textbook_tandem) or a path to a
YAML file. Times in results are hours since the scenario's start date.

examples:
  streetchief run jingxing_2019 --days 30 --out results/run
  streetchief compare jingxing_2019 --replications 10 --out results/compare
  streetchief validate my_city.yaml
"""


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="streetchief", formatter_class=argparse.RawDescriptionHelpFormatter, epilog=EPILOG,
        description="Does a street-chief arrangement (街长制) resolve citizens' and merchants' problems faster "
                    "than multi-layer routing? An agent-based model that runs both on the same issues.")
    p.add_argument("--version", action="version", version=f"streetchief {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def common(sp, out_default):
        sp.add_argument("scenario", metavar="SCENARIO", help="scenario name or YAML path")
        sp.add_argument("--seed", type=int, help="random seed (default: the scenario's run.seed)")
        sp.add_argument("--days", type=_positive, help="simulated days (default: the scenario's run.days)")
        sp.add_argument("--out", type=Path, default=Path(out_default), help=f"output folder (default: {out_default})")
        sp.add_argument("--quiet", action="store_true", help="no progress bar")

    r = sub.add_parser("run", help="run one or both arrangements, write per-issue records and a summary",
                       description="Run arrangements on the same generated issues. Writes OUT/issues.parquet "
                                   "(one row per issue per arrangement; times in hours since the start, NaN if "
                                   "it has not happened by the end) and OUT/summary.json.")
    common(r, "results/run")
    r.add_argument("--arrangement", default="both",
                   help="street_chief, multi_layer, any other registered arrangement, or both (default)")

    c = sub.add_parser("compare", help="paired replications with 95%% confidence intervals, a table and a figure",
                       description="Replication r draws its issues with seed + r, and every arrangement faces "
                                   "exactly those issues. Prints per-arrangement means and the paired difference "
                                   "(street_chief − multi_layer) with a 95% confidence interval; writes "
                                   "OUT/comparison.csv, OUT/replications.csv and OUT/comparison.png.")
    common(c, "results/compare")
    c.add_argument("--replications", type=_positive_int, default=5, help="paired replications (default 5)")

    v = sub.add_parser("validate", help="check a scenario file and list every problem with its path")
    v.add_argument("scenario", metavar="SCENARIO")

    sub.add_parser("scenarios", help="list the shipped scenarios")
    sub.add_parser("parameters", help="every scenario parameter: its path, type, default and meaning",
                   description="Durations are {dist: fixed|exponential|lognormal|gamma|uniform|empirical, ...} "
                               "in hours; rates are per day; shares are in [0, 1]. Each shipped scenario "
                               "says where its values come from ([seed], [cal] or [assumption]).")
    return p


def _positive(text):
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not x > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return x


def _positive_int(text):
    try:
        x = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if x < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1, got {x}")
    return x


class _Progress:
    def __init__(self, quiet, total, unit, desc):
        from tqdm import tqdm
        self.bar = None if quiet else tqdm(total=total, unit=unit, desc=desc, leave=False, dynamic_ncols=True,
                                           bar_format="{desc}: {percentage:3.0f}%|{bar}| {n:.0f}/{total:.0f} {unit} "
                                                      "[{elapsed}<{remaining}]")

    def __call__(self, done, total):
        if self.bar is not None:
            self.bar.total = total
            self.bar.n = done
            self.bar.refresh()

    def close(self):
        if self.bar is not None:
            self.bar.close()


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from model.scenario import SCENARIO_DIR, ScenarioError, load_scenario

    try:
        if args.command == "scenarios":
            for f in sorted(SCENARIO_DIR.glob("*.yaml")):
                first = next((l for l in f.read_text(encoding="utf-8").splitlines() if l.startswith("description:")), "")
                print(f"{f.stem:22s} {first.removeprefix('description:').strip()}")
            return 0
        if args.command == "parameters":
            from model.scenario import parameter_reference
            for path, kind, default, text in parameter_reference():
                print(f"{path:52s} {kind:16s} {default:12s} {text}".rstrip())
            return 0
        scenario = load_scenario(args.scenario)
        if args.command == "validate":
            print(f"{args.scenario}: valid ({len(scenario.zones)} zones, {len(scenario.departments)} departments, "
                  f"{len(scenario.categories)} categories; arrangements: {', '.join(scenario.arrangement_names)})")
            return 0
        try:
            args.out.mkdir(parents=True, exist_ok=True)     # fail before the run, not after it
        except OSError as e:
            print(f"error: --out {args.out}: cannot create the output folder ({e.strerror})", file=sys.stderr)
            return 2
        if args.command == "run":
            return _run(args, scenario)
        return _compare(args, scenario)
    except ScenarioError as e:
        print(f"error: scenario {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:          # output piped into `head` and the like
        return 0
    except OSError as e:
        print(f"error: cannot write {e.filename or args.out}: {e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; nothing half-written was left behind", file=sys.stderr)
        return 130


def _run(args, scenario) -> int:
    from model.experiment import run_scenario
    from model.records import write_json, write_parquet

    names = scenario.arrangement_names if args.arrangement == "both" else [args.arrangement]
    unknown = [n for n in names if n not in scenario.arrangement_names]
    if unknown:
        print(f"error: --arrangement {args.arrangement}: not in this scenario's arrangements "
              f"({', '.join(scenario.arrangement_names)}), nor 'both'", file=sys.stderr)
        return 2
    bar = _Progress(args.quiet, 1, "simulated days", "simulating")
    try:
        result = run_scenario(scenario, names, args.seed, args.days, progress=lambda h, total: bar(h / 24, total / 24))
    finally:
        bar.close()
    write_parquet(result.issues, args.out / "issues.parquet")
    write_json(result.summary(), args.out / "summary.json")
    if not args.quiet:
        for name, s in result.summaries.items():
            r = s["resolution_hours"]
            med = "—" if r["median"] is None else f"{r['median']:.1f} h"
            print(f"{name:14s} reported {s['issues_reported']:6d}  resolved {s['issues_resolved']:6d}  "
                  f"open {s['issues_open']:5d}  median resolution {med}")
        print(f"wrote {args.out / 'issues.parquet'} and {args.out / 'summary.json'}")
    return 0


def _compare(args, scenario) -> int:
    from model.experiment import compare
    from model.plots import comparison_figure
    from model.records import write_text

    for needed in ("street_chief", "multi_layer"):
        if needed not in scenario.arrangement_names:
            print(f"error: scenario {args.scenario}: compare needs arrangements.{needed}", file=sys.stderr)
            return 2
    bar = _Progress(args.quiet, args.replications, "runs", "replications")
    try:
        cmp = compare(scenario, args.replications, args.seed, args.days, progress=bar)
    finally:
        bar.close()
    table = format_table(cmp)
    print(table)
    write_text(cmp.paired.to_csv(index=False), args.out / "comparison.csv")
    write_text(cmp.per_run.to_csv(index=False), args.out / "replications.csv")
    comparison_figure(cmp.first, args.out / "comparison.png")
    print(f"\nwrote {args.out / 'comparison.csv'}, {args.out / 'replications.csv'}, {args.out / 'comparison.png'}")
    return 0


def format_table(cmp) -> str:
    b, t = cmp.baseline, cmp.treatment
    lines = [f"{'outcome':24s} {t:>14s} {b:>14s} {'difference':>12s}  95% CI ({cmp.per_run.replication.nunique()} paired runs)"]
    num = lambda x: "—" if x != x else f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"
    for _, row in cmp.paired.iterrows():
        ci = "—" if row.ci_low != row.ci_low else f"[{num(row.ci_low)}, {num(row.ci_high)}]"
        lines.append(f"{row.outcome:24s} {num(row[t]):>14s} {num(row[b]):>14s} {num(row.difference):>12s}  {ci}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
