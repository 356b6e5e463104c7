"""streetchief: the command line."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from streetchief import __version__

EPILOG = """\
SCENARIO is a shipped scenario's name (jingxing_2019, megacity, textbook_mmc, textbook_tandem,
benchmark_tandem; `streetchief scenarios` lists them) or a path to a YAML file. Times in results
are hours since the scenario's start date.

An issue log (CSV or Parquet; one row per issue: reported_at, zone, category, and optionally
issue_id, reporter, discovered_by, description, acknowledged_at, resolved_at, closed_at, department)
can replace the generated issues: --replay LOG. Another system's export (NYC 311, Open311) is read
through a mapping file: --mapping scenarios/mappings/nyc_311.yaml.

examples:
  streetchief run jingxing_2019 --days 30 --out results/run
  streetchief compare jingxing_2019 --replications 10 --out results/compare
  streetchief compare jingxing_2019 --replay scenarios/jingxing_2019_cases.csv --out results/week
  streetchief replay-history scenarios/jingxing_2019_cases.csv --out results/recorded
  streetchief export-arrivals jingxing_2019 --days 30 --out results/arrivals.csv
  streetchief sweep scenarios/sweep_demo.yaml --out results/sweep_demo
  streetchief analyze results/sweep_demo
  streetchief verify results/compare
  streetchief run megacity --stream --out results/megacity
  streetchief validate my_city.yaml
"""

REPLAY_HELP = (
    "replay the issues of this log (CSV or Parquet) instead of generating them; the run starts at "
    "midnight before its first issue and lasts until midnight after its last plus 7 days, or --days"
)


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="streetchief",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=EPILOG,
        description="Does a street-chief arrangement (街长制) resolve citizens' and merchants' "
        "problems faster than multi-layer routing? An agent-based model that runs both on the same "
        "issues.",
    )
    p.add_argument("--version", action="version", version=f"streetchief {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def common(sp, out_default):
        sp.add_argument("scenario", metavar="SCENARIO", help="scenario name or YAML path")
        sp.add_argument("--seed", type=int, help="random seed (default: the scenario's run.seed)")
        sp.add_argument(
            "--days", type=_positive, help="simulated days (default: the scenario's run.days)"
        )
        sp.add_argument(
            "--out",
            type=Path,
            default=Path(out_default),
            help=f"output folder (default: {out_default})",
        )
        sp.add_argument("--quiet", action="store_true", help="no progress bar")

    def log_options(sp, replay=True):
        if replay:
            sp.add_argument("--replay", metavar="LOG", type=Path, help=REPLAY_HELP)
        sp.add_argument(
            "--mapping",
            metavar="FILE",
            type=Path,
            help="read the log through this mapping of another system's columns and names (see "
            "scenarios/mappings/)",
        )
        sp.add_argument(
            "--skip-invalid",
            action="store_true",
            help="set invalid log rows aside (OUT/rejected_rows.csv, with the reason for each) and "
            "go on",
        )

    r = sub.add_parser(
        "run",
        help="run one or both arrangements, write per-issue records and a summary",
        description="Run arrangements on the same generated issues. Writes OUT/issues.parquet (one "
        "row per issue per arrangement; times in hours since the start, NaN if it has not happened "
        "by the end) and OUT/summary.json.",
    )
    common(r, "results/run")
    r.add_argument(
        "--arrangement",
        default="both",
        help="street_chief, multi_layer, any other registered arrangement, or both (default)",
    )
    r.add_argument(
        "--stream",
        action="store_true",
        help="for very large runs (a megacity year): generate problems a window at a time and "
        "write each issue's record as it closes, to OUT/issues/ARRANGEMENT.parquet, so that memory "
        "does not grow with the number of issues (different draws than without --stream, same "
        "statistics; summary percentiles to within 0.6%%)",
    )
    log_options(r)

    c = sub.add_parser(
        "compare",
        help="every arrangement on the same problems: paired differences from a baseline, costs, "
        "who is served worst",
        description="Replication r draws its problems with seed + r, and every arrangement faces "
        "exactly those problems. Prints a headline in words (the treatment against the baseline), "
        "each arrangement's means, each arrangement's paired difference from the baseline with a "
        "95%% confidence interval, the officials' hours by role with the problem-hours saved per "
        "extra official hour, and who is served worst (zone, category, time of week). Writes "
        "OUT/comparison.csv (means), differences.csv, replications.csv, ledger.csv, "
        "cost_effectiveness.csv, equity.csv, compare.json, comparison.png and equity.png.",
    )
    common(c, "results/compare")
    c.add_argument(
        "--replications", type=_positive_int, default=5, help="paired replications (default 5)"
    )
    c.add_argument(
        "--arrangements",
        metavar="A,B,...",
        help="the arrangements to compare (default: all of the scenario's)",
    )
    c.add_argument(
        "--baseline",
        default="strongest",
        help="the arrangement the others are compared with; 'strongest' (default): the one, other "
        "than the treatment, with the shortest mean resolution",
    )
    c.add_argument(
        "--treatment",
        default="street_chief",
        help="the arrangement the headline is about (default street_chief)",
    )
    c.add_argument(
        "--calibrated",
        metavar="DIR",
        type=Path,
        help="a calibration folder (streetchief calibrate): each replication draws the fitted "
        "parameters from its posterior, so the intervals include what is not known about them",
    )
    log_options(c)

    h = sub.add_parser(
        "replay-history",
        help="a log's observed responses as per-issue records and a summary",
        description="Turns the acknowledged_at / resolved_at / closed_at of a log into the same "
        "records and summary as a simulated run (arrangement = recorded): OUT/issues.parquet and "
        "OUT/summary.json. The scenario gives zones, categories and deadlines. To see the recorded "
        "history beside both arrangements on the same issues: streetchief compare SCENARIO "
        "--replay LOG.",
    )
    h.add_argument(
        "log", metavar="LOG", type=Path, help="issue log with observed responses (CSV, Parquet)"
    )
    h.add_argument(
        "--scenario",
        default="jingxing_2019",
        help="scenario name or YAML path (default jingxing_2019)",
    )
    h.add_argument(
        "--days", type=_positive, help="window length in days (default: the log's days plus 7)"
    )
    h.add_argument(
        "--out",
        type=Path,
        default=Path("results/recorded"),
        help="output folder (default: results/recorded)",
    )
    log_options(h, replay=False)

    e = sub.add_parser(
        "export-arrivals",
        help="write the issues a scenario generates as an issue log",
        description="Every problem the scenario generates (before anyone decides whether to report "
        "it), in the issue-log format; replaying it with the same --seed gives back exactly the "
        "same problems.",
    )
    e.add_argument("scenario", metavar="SCENARIO", help="scenario name or YAML path")
    e.add_argument(
        "--days", type=_positive, help="days of arrivals (default: the scenario's run.days)"
    )
    e.add_argument("--seed", type=int, help="random seed (default: the scenario's run.seed)")
    e.add_argument("--out", type=Path, required=True, help="the log to write: .csv or .parquet")

    k = sub.add_parser(
        "calibrate",
        help="fit an arrangement's parameters to a log's recorded responses (ABC-SMC), with a "
        "held-out check",
        description="The arrangement replays the log's own arrivals; the parameters named in SPEC "
        "(dotted paths with ranges, as in sweep specs) are fitted with ABC-SMC (pyabc) so that the "
        "simulated hours to acknowledgement and to resolution per category, the share resolved and "
        "the backlog come close to the recorded ones. Writes DIR/calibration.json (fitted values "
        "with 90%% and 95%% intervals, the distance, evaluations, the held-out check, provenance), "
        "posterior.csv, fitted.yaml (the scenario with the fitted values, comments kept) and "
        "fit.png. Started again with the same command, it goes on from its last finished "
        "generation.",
        epilog="example:\n  streetchief calibrate jingxing_2019 --log my_log.csv --arrangement "
        "hotline --spec calibration.yaml --holdout 0.3 --out results/calibration\n  streetchief "
        "compare jingxing_2019 --replay my_log.csv --calibrated results/calibration",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    k.add_argument("scenario", metavar="SCENARIO", help="scenario name or YAML path")
    k.add_argument("--log", metavar="LOG", type=Path, required=True, help="the issue log to fit to")
    k.add_argument("--arrangement", required=True, help="the arrangement whose record the log is")
    k.add_argument(
        "--spec", type=Path, required=True, help="calibration spec (YAML): parameters, budget"
    )
    k.add_argument(
        "--holdout",
        type=_share,
        help="fit on the earlier share 1 − H of the log, check on the rest",
    )
    k.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help="local: processes on this machine (default); dask: a local Dask cluster",
    )
    k.add_argument("--workers", type=_positive_int, help="worker processes (default: one per core)")
    k.add_argument("--out", type=Path, default=Path("results/calibration"), help="output folder")
    k.add_argument("--quiet", action="store_true", help="no progress bar")
    log_options(k, replay=False)

    i = sub.add_parser(
        "import-log",
        help="convert another system's export into an issue log, checking every row",
        description="Reads EXPORT through --mapping (columns, time format, category, street and "
        "agency names) and writes it in our format, so that it can be inspected and replayed. "
        "Rejected rows (with --skip-invalid) go to OUT.rejected.csv.",
    )
    w = sub.add_parser(
        "sweep",
        help="run a parameter sweep (grid, Latin hypercube, Sobol, Morris) into runs.parquet",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Runs every point of SPEC's design, `replications` times, every arrangement on "
        "the same issues (replication r uses seed + r). Writes DIR/runs.parquet (one row per run: "
        "run_id, point_id, replication, seed, arrangement, every parameter, every outcome, status, "
        "error) and DIR/sweep.json (the spec, version, git commit, host, times, counts). Started "
        "again with the same command, it skips the runs already written and retries failed ones.",
        epilog="example:\n  streetchief sweep scenarios/sweep_demo.yaml --out results/sweep_demo\n "
        " streetchief analyze results/sweep_demo",
    )
    w.add_argument(
        "spec",
        metavar="SPEC",
        type=Path,
        help="sweep specification (YAML), e.g. scenarios/sweep_demo.yaml",
    )
    w.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help="local: processes on this machine (default); dask: a local Dask cluster, or "
        "--scheduler's",
    )
    w.add_argument("--workers", type=_positive_int, help="worker processes (default: one per core)")
    w.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="an existing Dask cluster, e.g. tcp://host:8786 (implies --executor dask)",
    )
    w.add_argument("--out", type=Path, help="output folder (default: results/sweeps/NAME)")
    w.add_argument("--quiet", action="store_true", help="no progress bar")

    a = sub.add_parser(
        "analyze",
        help="the street-chief advantage per point, sensitivity indices, figures",
        description="Reads DIR/runs.parquet and writes DIR/analysis/: advantage.csv (per point: "
        "both arrangements' means, the paired difference with its 95%% CI, significant or not), "
        "indices.csv and indices.png (Sobol S1/ST or Morris mu* with CIs, for those designs) or "
        "tornado.csv/png (other designs), heatmap.png over two parameters and boxplots.png per "
        "level of one.",
    )
    a.add_argument("dir", metavar="DIR", type=Path, help="a sweep's output folder")
    a.add_argument(
        "--outcome",
        default="resolution_mean_h",
        help="outcome to analyse (default resolution_mean_h)",
    )
    a.add_argument(
        "--x", metavar="PARAM", help="heat map x axis and box plots: a parameter's dotted path"
    )
    a.add_argument("--y", metavar="PARAM", help="heat map y axis")
    a.add_argument("--out", type=Path, help="where to write (default DIR/analysis)")

    vf = sub.add_parser(
        "verify",
        help="re-run a sample of a result folder's runs and confirm identical outcomes",
        description="A result folder (from run, compare or sweep) records what produced it: the "
        "scenario's content, seeds, options and versions. verify re-runs a sample of its runs from "
        "that record and compares every outcome exactly; exit status 1 if any differs.",
    )
    vf.add_argument("dir", metavar="DIR", type=Path, help="a result folder")
    vf.add_argument(
        "--sample", type=_positive_int, default=3, help="runs (replications, sweep tasks) to re-run"
    )

    i.add_argument(
        "export", metavar="EXPORT", type=Path, help="their file: .csv, .json or .parquet"
    )
    i.add_argument(
        "--scenario",
        default="jingxing_2019",
        help="scenario whose zones and categories to map onto",
    )
    i.add_argument("--out", type=Path, required=True, help="the log to write: .csv or .parquet")
    log_options(i, replay=False)

    v = sub.add_parser(
        "validate", help="check a scenario file and list every problem with its path"
    )
    v.add_argument("scenario", metavar="SCENARIO")

    sub.add_parser("scenarios", help="list the shipped scenarios")
    sub.add_parser(
        "parameters",
        help="every scenario parameter: its path, type, default and meaning",
        description="Durations are {dist: fixed|exponential|lognormal|gamma|uniform|empirical, "
        "...} in hours; rates are per day; shares are in [0, 1]. Each shipped scenario says where "
        "its values come from ([seed], [cal] or [assumption]).",
    )
    return p


def _positive(text):
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    if not x > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return x


def _share(text):
    x = _positive(text)
    if not x < 1:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return x


def _positive_int(text):
    try:
        x = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if x < 1:
        raise argparse.ArgumentTypeError(f"must be ≥ 1, got {x}")
    return x


def main(argv=None) -> int:
    args = _parser().parse_args(argv)
    from streetchief.errors import InputError
    from streetchief.scenario import load_scenario, shipped

    try:
        if args.command == "scenarios":
            return _list_scenarios(shipped())
        if args.command == "parameters":
            from streetchief.scenario import parameter_reference

            for path, kind, default, text in parameter_reference():
                print(f"{path:52s} {kind:24s} {default:12s} {text}".rstrip())
            return 0
        if args.command == "sweep":
            return _sweep(args)
        if args.command == "analyze":
            return _analyze(args)
        if args.command == "verify":
            return _verify(args)
        if args.command == "calibrate":
            return _calibrate(args, load_scenario(args.scenario))
        if args.command in ("replay-history", "import-log"):
            return _from_log(args, load_scenario(args.scenario))
        scenario = load_scenario(args.scenario)
        if args.command == "export-arrivals":
            return _export(args, scenario)
        if args.command == "validate":
            print(
                f"{args.scenario}: valid ({len(scenario.zones)} zones, {len(scenario.departments)} "
                f"departments, {len(scenario.categories)} categories; arrangements: "
                f"{', '.join(scenario.arrangement_names)})"
            )
            return 0
        try:
            args.out.mkdir(parents=True, exist_ok=True)  # fail before the run, not after it
        except OSError as e:
            print(
                f"error: --out {args.out}: cannot create the output folder ({e.strerror})",
                file=sys.stderr,
            )
            return 2
        log = _read_replay(args, scenario)
        if args.command == "run":
            return _run(args, scenario, log)
        return _compare(args, scenario, log)
    except InputError as e:
        print(f"error: {e.what} {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except OSError as e:
        print(f"error: cannot write {e.filename or args.out}: {e.strerror or e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        again = (
            "; run the same command again to resume the sweep" if args.command == "sweep" else ""
        )
        print(f"interrupted; nothing half-written was left behind{again}", file=sys.stderr)
        return 130


def _bar(quiet: bool, total, unit: str, desc: str):
    from streetchief.progress import progress_bar

    return progress_bar(not quiet, total, unit=unit, desc=desc, counts_fractions=True, leave=False)


def _list_scenarios(folder: Path) -> int:
    """The shipped scenarios and sweep specs, each with its one-line description."""
    import yaml

    kinds = {"scenarios": [], "sweep specs": []}
    for f in sorted(folder.glob("*.yaml")):
        lines = f.read_text(encoding="utf-8").splitlines()
        line = next((x for x in lines if x.startswith("description:")), "description: ''")
        try:
            text = (yaml.safe_load(line) or {}).get("description") or ""
        except yaml.YAMLError:
            text = line.removeprefix("description:").strip()
        kind = "sweep specs" if any(x.startswith("scenario:") for x in lines) else "scenarios"
        kinds[kind].append(f"  {f.stem:22s} {text}")
    for kind, rows in kinds.items():
        if rows:
            print(
                f"{kind} (in {folder}):"
                if kind == "scenarios"
                else f"\n{kind} (streetchief sweep):"
            )
            print("\n".join(rows))
    return 0


def _sweep(args) -> int:
    from streetchief.sweeps import sweep

    result = sweep(
        args.spec, args.out, args.executor, args.workers, args.scheduler, progress=not args.quiet
    )
    print(result.summary_line())
    if result.failed:
        first = result.runs[result.runs.status == "failed"].iloc[0]
        print(
            f"note: {result.failed} run(s) failed, e.g. {first.run_id}: {first.error}; they are in "
            "runs.parquet with their errors and are tried again when the sweep is started again",
            file=sys.stderr,
        )
    print(f"wrote {result.out / 'runs.parquet'} and {result.out / 'sweep.json'}")
    return 0 if not result.failed else 1


def _verify(args) -> int:
    from streetchief.verify import verify

    v = verify(args.dir, args.sample)
    for line in v.notes:
        print(f"note: {line}", file=sys.stderr)
    if v.mismatches:
        print(
            f"{args.dir}: {len(v.mismatches)} difference(s) in {len(v.checked)} re-run(s) of a "
            f"{v.kind}:"
        )
        for line in v.mismatches[:20]:
            print(f"  {line}")
        return 1
    print(
        f"{args.dir}: {len(v.checked)} re-run(s) of a {v.kind} give identical outcomes "
        f"({', '.join(v.checked[:6])}{', ...' if len(v.checked) > 6 else ''})"
    )
    return 0


def _analyze(args) -> int:
    from streetchief.sweeps.analysis import analyze

    r = analyze(args.dir, args.outcome, args.x, args.y, args.out)
    adv = r["advantage"]
    print(
        f"{args.outcome}: {r['treatment']} − {r['baseline']} over {len(adv)} points: mean "
        f"{adv.difference.mean():.3g}, from {adv.difference.min():.3g} to "
        f"{adv.difference.max():.3g}"
    )
    print("\n".join(r["words"]))
    if "indices" in r:
        print(r["indices"].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    else:
        print(r["tornado"].iloc[::-1].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"wrote {r['out'] / 'advantage.csv'} and " + ", ".join(str(p.name) for p in r["figures"]))
    return 0


def _read_replay(args, scenario):
    """The --replay log, checked; rejected rows written beside the results."""
    if getattr(args, "replay", None) is None:
        if getattr(args, "mapping", None) is not None or getattr(args, "skip_invalid", False):
            print(
                "note: --mapping and --skip-invalid apply to a --replay log; there is none",
                file=sys.stderr,
            )
        return None
    return _load_log(args, args.replay, scenario, args.out / "rejected_rows.csv")


def _load_log(args, path, scenario, rejected_path):
    from streetchief.files import write_text
    from streetchief.issue_log import read_log

    log = read_log(path, scenario, args.mapping, args.skip_invalid)
    if log.ignored_columns:
        print(
            f"note: {path}: ignoring columns not in the issue-log format: "
            f"{', '.join(log.ignored_columns)}",
            file=sys.stderr,
        )
    if len(log.rejected):
        write_text(log.rejected.to_csv(index=False), rejected_path)
        print(
            f"note: {path}: {len(log.rejected)} invalid row(s) set aside, with reasons, in "
            f"{rejected_path}",
            file=sys.stderr,
        )
    return log


def _report_window(args, result):
    from streetchief.files import write_text
    from streetchief.issue_log import replay_window_text

    r = result.replay
    print(
        f"replaying {r['issues']} issues from {r['log']}, window "
        f"{replay_window_text(result.scenario.run.start, result.horizon)}",
        flush=True,
    )
    if r["outside_window"]:
        path = args.out / "outside_window.csv"
        write_text(result.outside.to_csv(index=False), path)
        print(
            f"note: {r['outside_window']} issue(s) of the log fall outside the window (see "
            f"--days); listed in {path}",
            file=sys.stderr,
        )


def _from_log(args, scenario) -> int:
    from streetchief.issue_log import write_log

    if args.command == "import-log":
        log = _load_log(
            args, args.export, scenario, args.out.with_name(args.out.name + ".rejected.csv")
        )
        write_log(log.frame, args.out)
        print(f"wrote {len(log)} issues to {args.out}")
        return 0
    from streetchief.experiment import recorded_history
    from streetchief.files import write_json, write_parquet

    args.out.mkdir(parents=True, exist_ok=True)
    log = _load_log(args, args.log, scenario, args.out / "rejected_rows.csv")
    result = recorded_history(scenario, log, args.days)
    _report_window(args, result)
    write_parquet(result.issues, args.out / "issues.parquet")
    write_json(result.summary(), args.out / "summary.json")
    _print_runs(result)
    print(f"wrote {args.out / 'issues.parquet'} and {args.out / 'summary.json'}")
    return 0


def _export(args, scenario) -> int:
    from streetchief.issue_log import arrivals_frame, write_log
    from streetchief.problems import Problems

    if args.out.suffix.lower() not in (".csv", ".parquet"):
        print(f"error: --out {args.out}: write a log as .csv or .parquet", file=sys.stderr)
        return 2
    problems = Problems.generate(scenario, args.seed, args.days)
    write_log(arrivals_frame(problems, scenario), args.out)
    print(f"wrote {len(problems)} arrivals over {problems.horizon / 24:g} days to {args.out}")
    return 0


def _print_runs(result):
    for name, s in result.summaries.items():
        r = s["resolution_hours"]
        med = "—" if r["median"] is None else f"{r['median']:.1f} h"
        print(
            f"{name:14s} reported {s['issues_reported']:6d}  resolved {s['issues_resolved']:6d}  "
            f"open {s['issues_open']:5d}  median resolution {med}"
        )


def _run(args, scenario, log=None) -> int:
    from streetchief.experiment import replay, run_scenario
    from streetchief.files import write_json, write_parquet

    names = scenario.arrangement_names if args.arrangement == "both" else [args.arrangement]
    unknown = [n for n in names if n not in scenario.arrangement_names]
    if unknown:
        print(
            f"error: --arrangement {args.arrangement}: not in this scenario's arrangements "
            f"({', '.join(scenario.arrangement_names)}), nor 'both'",
            file=sys.stderr,
        )
        return 2
    if args.stream and log is not None:
        print(
            "error: --stream generates its issues; it cannot replay a log (logs are read whole)",
            file=sys.stderr,
        )
        return 2
    bar = _bar(args.quiet, 1, "simulated days", "simulating")
    try:

        def tick(hours, total):
            bar(hours / 24, total / 24)

        if args.stream:
            from streetchief.experiment import run_streamed

            result = run_streamed(scenario, args.out, names, args.seed, args.days, progress=tick)
        elif log is None:
            result = run_scenario(scenario, names, args.seed, args.days, progress=tick)
        else:
            result = replay(scenario, log, names, args.seed, args.days, progress=tick)
    finally:
        bar.close()
    if log is not None:
        _report_window(args, result)
    records = args.out / ("issues" if args.stream else "issues.parquet")
    if not args.stream:
        write_parquet(result.issues, records)
    write_json(result.summary(), args.out / "summary.json")
    if not args.quiet:
        _print_runs(result)
        print(f"wrote {records} and {args.out / 'summary.json'}")
    return 0


def _calibrate(args, scenario) -> int:
    from streetchief.calibration import calibrate

    log = _load_log(args, args.log, scenario, args.out / "rejected_rows.csv")
    bar = _bar(args.quiet, 1, "generations", "calibrating")
    try:
        r = calibrate(
            args.scenario,
            log,
            args.arrangement,
            args.spec,
            args.out,
            args.executor,
            args.workers,
            args.holdout,
            progress=bar,
        )
    finally:
        bar.close()
    print(
        f"{r['arrangement']} fitted to {args.log}: {r['evaluations']} evaluations, "
        f"{r['generations']} generations, {r['search_seconds']:.0f} s; distance {r['distance']:.3g}"
    )
    for path, s in r["fitted"].items():
        lo, hi = s["interval_95"]
        print(f"  {path:50s} {s['median']:10.4g}   95% interval {lo:.4g} – {hi:.4g}")
    for label, check in (("fitted part", r["fit"]), ("held-out part", r["held_out"])):
        if check is None:
            continue
        inside = "—" if check["share_inside"] is None else f"{check['share_inside']:.0%}"
        rec, sim = check["median_hours_recorded"], check["median_hours_simulated"]
        print(
            f"  {label}: median hours to resolution recorded {rec:.3g}, simulated {sim:.3g}; "
            f"{inside} of per-category medians and 90th percentiles inside the draws' 90% "
            f"intervals; distance {check['distance_median']:.3g}"
        )
    print(f"wrote calibration.json, posterior.csv, fitted.yaml and fit.png in {args.out}")
    return 0


def _compare(args, scenario, log=None) -> int:
    from streetchief.experiment import STRONGEST, compare
    from streetchief.report import comparison_text, write_comparison

    known = scenario.arrangement_names
    names = known if not args.arrangements else [a.strip() for a in args.arrangements.split(",")]
    wanted = [*names, args.treatment] + ([] if args.baseline == STRONGEST else [args.baseline])
    unknown = [a for a in wanted if a not in known]
    if unknown or len(set(names)) < 2:
        why = f"{', '.join(unknown)} not among" if unknown else "give at least two of"
        print(
            f"error: compare: {why} the scenario's arrangements ({', '.join(known)}); --baseline "
            "may also be 'strongest'",
            file=sys.stderr,
        )
        return 2
    drawn, calibrated = None, None
    if args.calibrated is not None:
        from streetchief.calibration import draw_overrides

        seed = scenario.run.seed if args.seed is None else args.seed
        drawn = draw_overrides(args.calibrated, args.replications, seed)
        calibrated = {"folder": str(args.calibrated.resolve()), "drawn": drawn}
        print(f"each replication draws its parameters from the posterior in {args.calibrated}")
    bar = _bar(args.quiet, args.replications, "runs", "replications")
    try:
        cmp = compare(
            scenario,
            args.replications,
            args.seed,
            args.days,
            baseline=args.baseline,
            treatment=args.treatment,
            progress=bar,
            log=log,
            arrangements=names,
            drawn=drawn,
        )
    finally:
        bar.close()
    if log is not None:
        _report_window(args, cmp.first)
    print(comparison_text(cmp))
    record = cmp.record(scenario, args.seed, args.replications, args.days, log, calibrated)
    paths = write_comparison(cmp, args.out, record)
    print(f"\nwrote {', '.join(p.name for p in paths)} in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
