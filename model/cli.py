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

An issue log (CSV or Parquet; one row per issue, in any order: reported_at, zone, category, and
optionally issue_id, reporter, discovered_by, description, acknowledged_at, resolved_at, closed_at,
department) can replace the generated issues: --replay LOG. Another system's export (CSV, Parquet,
JSON, JSON Lines, Socrata rows.json, Open311 XML; several pages as a glob) is read through a
mapping file: --mapping scenarios/mappings/nyc_311.yaml (also la_311.yaml,
open311_georeport_v2.yaml). import-log EXPORT --suggest-mapping NEW.yaml writes one to start from.
Every row is kept or set aside with its reason; the counts are printed.

examples:
  streetchief run jingxing_2019 --days 30 --out results/run
  streetchief compare jingxing_2019 --replications 10 --out results/compare
  streetchief compare jingxing_2019 --replay scenarios/jingxing_2019_cases.csv --out results/week
  streetchief replay-history scenarios/jingxing_2019_cases.csv --out results/recorded
  streetchief import-log export.csv --suggest-mapping my_city.yaml
  streetchief replay-history export.csv --mapping my_city.yaml --timezone America/New_York
  streetchief export-arrivals jingxing_2019 --days 30 --out results/arrivals.csv
  streetchief sweep scenarios/sweep_demo.yaml --out results/sweep_demo
  streetchief analyze results/sweep_demo
  streetchief verify results/compare
  streetchief run megacity --stream --out results/megacity
  streetchief validate my_city.yaml
"""

REPLAY_HELP = (
    "replay the issues of this log (a file, or a quoted glob of pages) instead of generating them; "
    "the run starts at midnight before its first issue and lasts until midnight after its last "
    "plus 7 days, or after its last recorded response if later, or --days"
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
            help="set invalid log rows aside, each with its reason, and go on "
            "(OUT/rejected_rows.csv; import-log: OUT.rejected.csv)",
        )
        sp.add_argument(
            "--timezone",
            metavar="TZ",
            type=_timezone,
            help="IANA time zone of the log's times without an offset, and of the run's local "
            "time (default: the mapping's timezone, else the scenario's run.timezone)",
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
        help="paired replications with 95%% confidence intervals, a table and a figure",
        description="Replication r draws its issues with seed + r, and every arrangement faces "
        "exactly those issues. Prints per-arrangement means and the paired difference "
        "(street_chief − multi_layer) with a 95% confidence interval; writes OUT/comparison.csv, "
        "OUT/replications.csv and OUT/comparison.png.",
    )
    common(c, "results/compare")
    c.add_argument(
        "--replications", type=_positive_int, default=5, help="paired replications (default 5)"
    )
    log_options(c)

    h = sub.add_parser(
        "replay-history",
        help="a log's observed responses as per-issue records and a summary",
        description="Turns the acknowledged_at / resolved_at / closed_at of a log into the same "
        "records and summary as a simulated run (arrangement = recorded): OUT/issues.parquet and "
        "OUT/summary.json. The scenario gives zones, categories and deadlines. Without --days the "
        "window covers every recorded response; with it, responses after its end are counted and "
        "left out. To see the recorded history beside both arrangements on the same issues: "
        "streetchief compare SCENARIO --replay LOG.",
    )
    h.add_argument(
        "log",
        metavar="LOG",
        nargs="+",
        help="issue log with observed responses, or several pages of one export (files or a glob)",
    )
    h.add_argument(
        "--scenario",
        default="jingxing_2019",
        help="scenario name or YAML path (default jingxing_2019)",
    )
    h.add_argument(
        "--days",
        type=_positive,
        help="window length in days (default: the log's days plus 7, or up to its last recorded "
        "response)",
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

    i = sub.add_parser(
        "import-log",
        help="convert another system's export into an issue log, checking every row",
        description="Reads EXPORT (CSV, Parquet, JSON, JSON Lines, Socrata rows.json, Open311 "
        "XML; several pages as files or a glob) through --mapping (columns, time format, category, "
        "zone and agency names) and writes it in our format, sorted by reported_at, so that it can "
        "be inspected and replayed. Rejected rows (with --skip-invalid) go to OUT.rejected.csv, "
        "responses dropped from kept issues to OUT.rejected_responses.csv, names not in the "
        "mapping with their counts to OUT.unmapped_values.csv. --suggest-mapping NEW.yaml writes "
        "a mapping to start from instead: the columns guessed, the time format found, every "
        "distinct category, zone, agency and status with its count.",
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
        "export",
        metavar="EXPORT",
        nargs="+",
        help="their file (.csv, .parquet, .json, .jsonl, .xml), or several pages (files or a glob)",
    )
    i.add_argument(
        "--scenario",
        default="jingxing_2019",
        help="scenario whose zones and categories to map onto",
    )
    i.add_argument("--out", type=Path, help="the log to write: .csv or .parquet")
    i.add_argument(
        "--suggest-mapping",
        metavar="NEW.yaml",
        type=Path,
        help="write a mapping skeleton for EXPORT (starting from --mapping if given) and stop",
    )
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


def _timezone(text):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown time zone {text!r}; write an IANA name such as America/New_York"
        ) from None
    return text


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
    same = adv[~adv.significant]
    print(
        f"points where the difference is not significant (95% CI includes 0): {len(same)} of "
        f"{len(adv)}"
    )
    if "indices" in r:
        print(r["indices"].to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    else:
        print(r["tornado"].iloc[::-1].to_string(index=False, float_format=lambda v: f"{v:.3g}"))
    print(f"wrote {r['out'] / 'advantage.csv'} and " + ", ".join(str(p.name) for p in r["figures"]))
    return 0


def _read_replay(args, scenario):
    """The --replay log, checked; what was set aside written beside the results."""
    if getattr(args, "replay", None) is None:
        given = [
            o
            for o, v in (
                ("--mapping", getattr(args, "mapping", None)),
                ("--skip-invalid", getattr(args, "skip_invalid", False)),
                ("--timezone", getattr(args, "timezone", None)),
            )
            if v
        ]
        if given:
            print(
                f"note: {' and '.join(given)} apply to a --replay log; there is none",
                file=sys.stderr,
            )
        return None
    return _load_log(args, str(args.replay), scenario, lambda kind: args.out / SIDE_FILES[kind][0])


SIDE_FILES = {  # what was set aside, and its name beside a folder's results or import-log's OUT
    "rejected": ("rejected_rows.csv", ".rejected.csv"),
    "responses": ("rejected_responses.csv", ".rejected_responses.csv"),
    "unmapped": ("unmapped_values.csv", ".unmapped_values.csv"),
    "far": ("far_from_the_rest.csv", ".far_from_the_rest.csv"),
}


def _load_log(args, path, scenario, side):
    """Read a log, print its counts (read = kept + rejected) and notes, and write beside the
    results what was set aside, each row with its reason; a side file an earlier run left that
    this one has nothing for is removed, so that none is stale."""
    from streetchief.errors import IssueLogError
    from streetchief.files import write_text
    from streetchief.issue_log import read_log

    def put(kind, frame):
        target = side(kind)
        if frame is not None and len(frame):
            write_text(frame.to_csv(index=False), target)
            return target
        target.unlink(missing_ok=True)
        return None

    try:
        log = read_log(path, scenario, args.mapping, args.skip_invalid, args.timezone)
    except IssueLogError as e:
        unmapped = getattr(e, "unmapped", None)
        if unmapped is not None and len(unmapped):
            target = put("unmapped", unmapped)
            e.problems.append(
                f"every name not in the {'mapping' if args.mapping else 'scenario'}, with its "
                f"count ({len(unmapped):,} names): {target}"
            )
            e.args = (
                f"{e.source}: {len(e.problems)} problems:\n"
                + "\n".join(f"  {x}" for x in e.problems),
            )
        raise
    if log.ignored_columns:
        print(
            f"note: {path}: ignoring columns not in the issue-log format: "
            f"{', '.join(log.ignored_columns)}",
            file=sys.stderr,
        )
    rejected = put("rejected", log.rejected)
    responses = put("responses", log.responses)
    unmapped = put("unmapped", log.unmapped)
    far = put("far", log.far)
    line = f"{path}: {log.accounting()}"
    if rejected:
        line = line.replace(" rejected,", f" rejected (reasons in {rejected}),", 1)
    print(line, flush=True)
    for detail in log.details():
        print(f"note: {detail}", file=sys.stderr)
    if responses:
        print(f"note: the responses dropped, with reasons: {responses}", file=sys.stderr)
    if unmapped:
        print(
            f"note: names not in the mapping (or not the scenario's), with their counts: "
            f"{unmapped}",
            file=sys.stderr,
        )
    for note in log.notes:
        print(f"note: {note}", file=sys.stderr)
    if far:
        print(f"note: the rows far from the rest, every one: {far}", file=sys.stderr)
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
    path = args.out / "outside_window.csv"
    if r["outside_window"]:
        write_text(result.outside.to_csv(index=False), path)
        print(
            f"note: {r['outside_window']} issue(s) of the log fall outside the window (see "
            f"--days); listed in {path}",
            file=sys.stderr,
        )
    else:
        path.unlink(missing_ok=True)
    if r.get("responses_after_window"):
        print(
            f"note: {r['responses_after_window']:,} issue(s) have a recorded response after the "
            "window's end: they count as not yet answered (leave out --days to include them)",
            file=sys.stderr,
        )


def _from_log(args, scenario) -> int:
    from streetchief.issue_log import write_log

    if args.command == "import-log":
        if args.suggest_mapping is not None:
            return _suggest(args, scenario)
        if args.out is None:
            print(
                "error: import-log needs --out LOG.csv (or --suggest-mapping NEW.yaml)",
                file=sys.stderr,
            )
            return 2
        from streetchief.issue_log.formats import expand

        inputs = {p.resolve() for p in expand(args.export)}
        if args.out.resolve() in inputs:
            print(
                f"error: --out {args.out} is the export being read; write the log elsewhere",
                file=sys.stderr,
            )
            return 2
        if args.out.suffix.lower() not in (".csv", ".parquet"):
            print(f"error: --out {args.out}: write a log as .csv or .parquet", file=sys.stderr)
            return 2
        log = _load_log(
            args,
            _joined(args.export),
            scenario,
            lambda kind: args.out.with_name(args.out.name + SIDE_FILES[kind][1]),
        )
        write_log(log.frame, args.out)
        print(f"wrote {len(log)} issues to {args.out}")
        return 0
    from streetchief.experiment import recorded_history
    from streetchief.files import write_json, write_parquet

    args.out.mkdir(parents=True, exist_ok=True)
    log = _load_log(args, _joined(args.log), scenario, lambda kind: args.out / SIDE_FILES[kind][0])
    result = recorded_history(scenario, log, args.days)
    _report_window(args, result)
    write_parquet(result.issues, args.out / "issues.parquet")
    write_json(result.summary(), args.out / "summary.json")
    _print_runs(result)
    print(f"wrote {args.out / 'issues.parquet'} and {args.out / 'summary.json'}")
    return 0


def _joined(paths: list[str]):
    """One path as given, or the pages of one export."""
    return paths[0] if len(paths) == 1 else list(paths)


def _suggest(args, scenario) -> int:
    from streetchief.files import write_text
    from streetchief.issue_log import load_mapping, suggest_mapping

    mapping = load_mapping(args.mapping) if args.mapping else None
    text, guessed = suggest_mapping(_joined(args.export), scenario, mapping)
    write_text(text, args.suggest_mapping)
    cols = guessed["columns"]
    print("columns: " + (", ".join(f"{k} ← {v!r}" for k, v in cols.items()) or "none recognised"))
    print(f"time format: {guessed['time_format'] or 'ISO 8601'}")
    for col, values in guessed["values"].items():
        print(f"{col}: {len(values):,} distinct values listed with their counts")
    print(
        f"wrote {args.suggest_mapping}: fill in the keys left null, then\n  streetchief import-log "
        f"{' '.join(map(str, args.export))} --mapping {args.suggest_mapping} --out log.csv"
    )
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


def _compare(args, scenario, log=None) -> int:
    from streetchief.experiment import compare
    from streetchief.files import write_json, write_text
    from streetchief.plots import comparison_figure

    for needed in ("street_chief", "multi_layer"):
        if needed not in scenario.arrangement_names:
            print(
                f"error: scenario {args.scenario}: compare needs arrangements.{needed}",
                file=sys.stderr,
            )
            return 2
    bar = _bar(args.quiet, args.replications, "runs", "replications")
    try:
        cmp = compare(scenario, args.replications, args.seed, args.days, progress=bar, log=log)
    finally:
        bar.close()
    if log is not None:
        _report_window(args, cmp.first)
    table = format_table(cmp)
    print(table)
    write_text(cmp.paired.to_csv(index=False), args.out / "comparison.csv")
    write_text(cmp.per_run.to_csv(index=False), args.out / "replications.csv")
    write_json(
        cmp.record(scenario, args.seed, args.replications, args.days, log),
        args.out / "compare.json",
    )
    comparison_figure(cmp.first, args.out / "comparison.png", args.replications)
    print(
        f"\nwrote {args.out / 'comparison.csv'}, {args.out / 'replications.csv'}, "
        f"{args.out / 'comparison.png'}, {args.out / 'compare.json'}"
    )
    return 0


def format_table(cmp) -> str:
    b, t = cmp.baseline, cmp.treatment
    rec = "recorded" in cmp.paired
    lines = [
        f"{'outcome':24s} "
        + (f"{'recorded':>10s} " if rec else "")
        + f"{t:>14s} {b:>14s} {'difference':>12s}  95% CI ({cmp.per_run.replication.nunique()} "
        "paired runs)"
    ]

    def num(x):
        return "—" if x != x else f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"

    for _, row in cmp.paired.iterrows():
        ci = "—" if row.ci_low != row.ci_low else f"[{num(row.ci_low)}, {num(row.ci_high)}]"
        lines.append(
            f"{row.outcome:24s} "
            + (f"{num(row.recorded):>10s} " if rec else "")
            + f"{num(row[t]):>14s} {num(row[b]):>14s} {num(row.difference):>12s}  {ci}"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
