"""streetchief: the command line."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
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

A result folder (--out) is written whole: an interrupted or failed command leaves the previous one
as it was. It records the sha256 of every file and what produced it: `verify DIR` checks each file
and re-runs every run (exit 0: identical, 1: a difference, 2: cannot be verified). Work past the
size guard's limits (memory, time, runs) is refused before it starts, with an estimate and a hint
(--stream, fewer days or points); --force starts it all the same. Errors in what you give exit 2.

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

FORCE_HELP = (
    "start even when the estimate (problems, memory, time) passes the size guard's limits; "
    "without it such work is refused with a hint (--stream, fewer days, fewer points); with "
    "compare --calibrated, also compare on a calibration that failed its held-out check or was "
    "fitted to another scenario (the warning is printed first)"
)
SET_HELP = (
    "set one scenario value for this command, by its dotted path (as `streetchief parameters` "
    "lists them; `*` for every key at its place), e.g. --set "
    "department_response.take_on.median=2 or --set 'arrangements.street_chief.coordination.by="
    "chief'; the value is YAML (a number, a word, {dist: lognormal, median: 1, sigma: 0.5}); "
    "repeatable; checked like the scenario, and recorded with the result for `verify`"
)
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
        sp.add_argument("--seed", type=_seed, help="random seed (default: the scenario's run.seed)")
        sp.add_argument(
            "--days", type=_days, help="simulated days (default: the scenario's run.days)"
        )
        sp.add_argument(
            "--out",
            type=Path,
            default=Path(out_default),
            help=f"output folder (default: {out_default})",
        )
        sp.add_argument("--quiet", action="store_true", help="no progress bar")
        sp.add_argument("--force", action="store_true", help=FORCE_HELP)
        settings(sp)

    def settings(sp):
        sp.add_argument(
            "--set", metavar="PATH=VALUE", action="append", type=_setting, default=[], help=SET_HELP
        )

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
            "--set-aside-far",
            action="store_true",
            help="set aside the rows far from the rest of the log (a mistyped year: a report "
            "far from the others, a response long after the last report), each with its reason, "
            "and read every other row as it is (without it they are read, listed and noted first)",
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
        help="every arrangement on the same problems: paired differences from a baseline, costs, "
        "who is served worst",
        description="Replication r draws its problems with seed + r, and every arrangement faces "
        "exactly those problems. Prints a headline in words (the treatment against the baseline), "
        "each arrangement's means, each arrangement's paired difference from the baseline with a "
        "95% confidence interval, the officials' hours by role with the problem-hours saved per "
        "extra official hour, and who is served worst (zone, category, time of week). Writes "
        "OUT/comparison.csv (means), differences.csv, replications.csv, ledger.csv, "
        "cost_effectiveness.csv, equity.csv, equity_by_replication.csv and "
        "ledger_by_replication.csv (the rows equity.csv and ledger.csv average), compare.json, "
        "comparison.png and equity.png.",
    )
    common(c, "results/compare")
    c.add_argument(
        "--replications",
        type=_replications,
        default=None,
        help="paired replications (default 5, or 2 per parameter set with --uncertainty; at "
        "most 10,000)",
    )
    c.add_argument(
        "--uncertainty",
        metavar="N",
        type=_positive_int,
        help="the answer over what the scenario does not know: N parameter sets drawn from its "
        "`uncertain:` ranges (a Latin hypercube), each run as paired replications of every "
        "arrangement; prints, against each baseline, the probability that the treatment is "
        "better, the difference's median and 90%% range across the sets, what decides it and "
        "where it wins; with --calibrated, the fitted values are drawn from the posterior, one "
        "draw per set; OUT holds the sweep (resumable, for verify), OUT/uncertainty/ the "
        "answer",
    )
    c.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help="with --uncertainty: local processes (default) or a local Dask cluster",
    )
    c.add_argument(
        "--workers",
        type=_workers,
        help="worker processes: with --uncertainty, one per core by default; otherwise the "
        "replications after the first run in this many (default 1, one after another; the "
        "results are the same either way, faster for long runs, each worker starting in ~2 s)",
    )
    c.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="with --uncertainty: an existing Dask cluster's scheduler (tcp://host:8786)",
    )
    c.add_argument(
        "--arrangements",
        metavar="A,B,...",
        help="the arrangements to compare (default: all of the scenario's)",
    )
    c.add_argument(
        "--baseline",
        help="the arrangement the others are compared with; 'strongest' (the default without "
        "--calibrated): the one, other than the treatment, with the shortest mean resolution; "
        "with --calibrated, the calibrated arrangement; with --uncertainty, the baseline spoken "
        "of first (default: the strongest, where the treatment's chance on speed is lowest)",
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
        help="a calibration folder (streetchief calibrate): each replication (with "
        "--uncertainty, each parameter set) draws the fitted parameters from its posterior, so "
        "the intervals include what is not known about them",
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
        type=_days,
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
    e.add_argument("--days", type=_days, help="days of arrivals (default: the scenario's run.days)")
    e.add_argument("--seed", type=_seed, help="random seed (default: the scenario's run.seed)")
    e.add_argument("--force", action="store_true", help=FORCE_HELP)
    e.add_argument("--out", type=Path, required=True, help="the log to write: .csv or .parquet")

    g = sub.add_parser(
        "scenario-from-log",
        help="write a scenario for the city a log comes from: its zones, categories, departments, "
        "arrival rates and hours",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Zones, categories and departments are named as the log names them; each "
        "category's rate, hour-of-day profile, and the weekday and holiday factors are estimated "
        "from the report times (marked [log] with the log's sha256); each category's department "
        "is the one named most often on its rows. Calendars and the arrangements' parameters come "
        "from --template as documented defaults ([assumption]), with crews, operators, clerks "
        "and liaison officers sized to the log's volume. Writes OUT (the scenario) and, unless the "
        "log already uses the scenario's keys, OUT's name with .mapping.yaml (the log's names → "
        "the keys), to replay and calibrate the log with. A --mapping says how to read the log "
        "(its columns, time format, time zone and statuses); its lists of names are not used: the "
        "scenario keeps the log's own. Rows set aside go beside OUT (OUT.rejected.csv, ...).",
        epilog="example:\n  streetchief scenario-from-log la311.csv --mapping "
        "scenarios/mappings/la_311.yaml --holidays US-CA --out la.yaml\n  streetchief compare "
        "la.yaml --replay la311.csv --mapping la.mapping.yaml",
    )
    g.add_argument("log", metavar="LOG", nargs="+", help="the log, or several pages of one")
    g.add_argument("--out", type=Path, required=True, help="the scenario to write (.yaml)")
    g.add_argument(
        "--template",
        default="jingxing_2019",
        help="scenario whose calendars and arrangement parameters to start from "
        "(default: jingxing_2019)",
    )
    g.add_argument(
        "--holidays",
        metavar="CODE|FILE",
        help="public holidays: a country code (US, US-CA, CN, GB; the holidays package) or a "
        "file of dates, one a line; without it no day is a holiday",
    )
    g.add_argument(
        "--min-issues",
        type=_positive_int,
        default=1,
        help="categories with fewer issues are put together as 'other' (default: 1, none)",
    )
    g.add_argument("--force", action="store_true", help="overwrite OUT and its mapping")
    log_options(g, replay=False)

    k = sub.add_parser(
        "calibrate",
        help="fit an arrangement's parameters to a log's recorded responses (ABC-SMC), with a "
        "held-out check",
        description="The arrangement replays the log's own arrivals; the parameters named in SPEC "
        "(dotted paths with ranges, as in sweep specs) are fitted with ABC-SMC (pyabc) so that the "
        "simulated hours to acknowledgement and to resolution per category, the share resolved and "
        "the backlog come close to the recorded ones. Writes DIR/calibration.json (fitted values "
        "with 90% and 95% intervals, the distance, evaluations, the held-out check, provenance), "
        "posterior.csv, fitted.yaml (the scenario with the fitted values, comments kept) and "
        "fit.png. Started again with the same command, it goes on from its last finished "
        "generation.",
        epilog="example:\n  streetchief calibrate jingxing_2019 --log my_log.csv --arrangement "
        "hotline --spec calibration.yaml --holdout 0.3 --out results/calibration\n  streetchief "
        "compare jingxing_2019 --replay my_log.csv --calibrated results/calibration",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    k.add_argument("scenario", metavar="SCENARIO", help="scenario name or YAML path")
    settings(k)
    k.add_argument("--log", metavar="LOG", type=Path, required=True, help="the issue log to fit to")
    k.add_argument("--arrangement", required=True, help="the arrangement whose record the log is")
    k.add_argument(
        "--spec",
        type=Path,
        required=True,
        help="calibration spec (YAML): parameters, budget; or a shipped one by name (hotline, "
        "grid: `streetchief scenarios` lists them)",
    )
    k.add_argument(
        "--holdout",
        type=_holdout,
        default=0.3,
        help="fit on the earlier share 1 − H of the log's reports, check on the rest (default "
        "0.3); 0: no held-out part, and then the fit cannot pass its check (compare --calibrated "
        "refuses it without --force)",
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
        "again with the same command, it checks that every part in DIR/runs/ belongs to this "
        "sweep (refusing one that does not, by name), skips the runs already written and retries "
        "failed ones. SIGTERM or Ctrl-C records the state and ends the workers.",
        epilog="example:\n  streetchief sweep scenarios/sweep_demo.yaml --out results/sweep_demo\n "
        " streetchief analyze results/sweep_demo",
    )
    w.add_argument(
        "spec",
        metavar="SPEC",
        type=Path,
        help="sweep specification (YAML), e.g. scenarios/sweep_demo.yaml",
    )
    settings(w)  # on the base scenario, before the design's values
    w.add_argument(
        "--executor",
        choices=["local", "dask"],
        default="local",
        help="local: processes on this machine (default); dask: a local Dask cluster, or "
        "--scheduler's",
    )
    w.add_argument(
        "--workers", type=_workers, help="worker processes (default: one per core, at most 1024)"
    )
    w.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="an existing Dask cluster, e.g. tcp://host:8786 (implies --executor dask)",
    )
    w.add_argument("--out", type=Path, help="output folder (default: results/sweeps/NAME)")
    w.add_argument("--quiet", action="store_true", help="no progress bar")
    w.add_argument("--force", action="store_true", help=FORCE_HELP)

    a = sub.add_parser(
        "analyze",
        help="the street-chief advantage per point, sensitivity indices, figures",
        description="Reads DIR/runs.parquet and writes DIR/analysis/: advantage.csv (per point: "
        "both arrangements' means, the paired difference with its 95% CI, significant or not), "
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
        help="check every file of a result folder and re-run its runs: identical?",
        description="A result folder (from run, compare, replay-history or sweep) records what "
        "produced it (the scenario's content and sha256, seeds, options, versions) and the sha256 "
        "of every file it wrote. verify checks each file against its sha256, the scenario against "
        "its sha256, re-runs every run (every replication, every sweep point) from the record and "
        "compares each output exactly: the per-issue records, the summaries, the tables. Exit "
        "status 0: identical; 1: a difference (each is named, with the file and the value); 2: "
        "the folder cannot be verified (no record, or a damaged one).",
    )
    vf.add_argument("dir", metavar="DIR", type=Path, help="a result folder")
    vf.add_argument(
        "--sample",
        metavar="N",
        type=_positive_int,
        help="re-run only N replications or sweep tasks, drawn at random (and listed), to go "
        "faster; files, tables and figures are still checked whole (a comparison's from the "
        "recorded rows of every replication, with replication 0 always re-run)",
    )
    vf.add_argument("--force", action="store_true", help=FORCE_HELP)

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
    settings(v)

    sub.add_parser("scenarios", help="list the shipped scenarios")
    pr = sub.add_parser(
        "parameters",
        help="every scenario parameter: its path, type, default and meaning",
        description="Durations are {dist: fixed|exponential|lognormal|gamma|uniform|empirical, "
        "...} in hours; rates are per day; shares are in [0, 1]. Each shipped scenario says where "
        "its values come from ([seed], [cal], [log] or [assumption]).",
    )
    pr.add_argument(
        "--differing",
        metavar="SCENARIO",
        help="instead: the parameters SCENARIO's arrangements share and set differently, and the "
        "departments' values any arrangement changes, each with its source tag",
    )
    pr.add_argument(
        "--uncertain",
        metavar="SCENARIO",
        help="instead: the ranges SCENARIO gives for what it does not know (`uncertain:`), each "
        "with its value in the scenario and why (compare --uncertainty draws from them)",
    )
    pr.add_argument(
        "--markdown", action="store_true", help="with --differing or --uncertain: a Markdown table"
    )
    return p


def _setting(text: str) -> tuple[str, object]:
    """PATH=VALUE (`--set`): a dotted path and a YAML value, read safely."""
    from streetchief.inputs import InputTooLarge, load_yaml

    path, sep, value = text.partition("=")
    path = path.strip()
    if not sep or not path or any(c.isspace() for c in path) or "" in path.split("."):
        raise argparse.ArgumentTypeError(
            f"{text!r}: write PATH=VALUE, a dotted path such as "
            "departments.sanitation.crews=4 (see `streetchief parameters`)"
        )
    try:
        return path, load_yaml(value) if value.strip() else ""
    except (InputTooLarge, Exception) as e:  # yaml's errors: not a value
        raise argparse.ArgumentTypeError(f"{text!r}: the value is not valid YAML ({e})") from None


def settings_of(args) -> dict:
    """The `--set` values, by path (a later one wins)."""
    return dict(getattr(args, "set", None) or [])


def _timezone(text):
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError):
        raise argparse.ArgumentTypeError(
            f"unknown time zone {text!r}; write an IANA name such as America/New_York"
        ) from None
    return text


def _number(text) -> float:
    try:
        x = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, got {text!r}") from None
    return x


def _share(text):
    x = _number(text)
    if not 0 < x < 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be between 0 and 1, got {text}")
    return x


def _holdout(text):
    x = _number(text)
    if not 0 <= x < 1:  # NaN fails too
        raise argparse.ArgumentTypeError(f"must be at least 0 and below 1, got {text}")
    return x


def _days(text):
    """Days, within the scenario's own limit for run.days."""
    from streetchief.scenario.schema import MAX_DAYS

    x = _number(text)
    if not (0 < x <= MAX_DAYS):  # NaN and infinity fail too
        raise argparse.ArgumentTypeError(f"must be > 0 and ≤ {MAX_DAYS:,}, got {text}")
    return x


def _whole(text, low: int, high: int) -> int:
    try:
        x = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if not low <= x <= high:
        raise argparse.ArgumentTypeError(f"must be from {low:,} to {high:,}, got {x}")
    return x


def _seed(text):
    from streetchief.scenario.schema import MAX_SEED

    return _whole(text, 0, MAX_SEED)


def _positive_int(text):
    return _whole(text, 1, 10**9)


def _replications(text):
    return _whole(text, 1, 10_000)  # as a sweep spec's replications


def _workers(text):
    return _whole(text, 1, 1024)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: handled like Ctrl-C (state recorded, temporary files removed)."""


def _terminate_as_interrupt(signum, frame):
    signal.signal(signum, signal.SIG_IGN)  # one is enough: let the clean-up finish
    raise Terminated(signum)


# the commands that build a model (and so need Mesa); the others read schemas, logs and records
MODEL_COMMANDS = {"run", "compare", "replay-history", "calibrate", "sweep", "verify"}


def main(argv=None) -> int:
    """The one entry point: every command's errors end here (ours: exit 2; an interruption: 130,
    or 143 for SIGTERM), never as a traceback."""
    args = _parser().parse_args(argv)
    if args.command in MODEL_COMMANDS:
        # Mesa names its module loggers through inspect.stack(), which costs more the deeper the
        # import: loaded here, at the top, a run starts about 0.1 s sooner than from inside
        import mesa  # noqa: F401
    from streetchief.errors import InputError

    handlers = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGHUP):
            handlers[sig] = signal.signal(sig, _terminate_as_interrupt)
    try:
        return _command(args)
    except InputError as e:
        print(f"error: {e.what} {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head` and the like
        return 0
    except OSError as e:
        from streetchief.folders import staged_name

        where = staged_name(e.filename) or getattr(args, "out", None) or ""
        print(f"error: {where}: {e.strerror or e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        again = (
            "; run the same command again to resume the sweep" if args.command == "sweep" else ""
        )
        what = "terminated" if isinstance(e, Terminated) else "interrupted"
        print(f"{what}; nothing half-written was left behind{again}", file=sys.stderr)
        return 143 if isinstance(e, Terminated) and e.args[0] == signal.SIGTERM else 130
    finally:
        for sig, h in handlers.items():
            signal.signal(sig, h)


def _shipped_out(out) -> str | None:
    """Why `out` may not be written: inside the package or its shipped files (None: it may)."""
    import streetchief
    from streetchief.scenario import shipped

    target = Path(out).expanduser().resolve()
    for folder, what in (
        (shipped(), "the shipped scenarios"),
        (Path(streetchief.__file__).parent, "the package"),
    ):
        folder = folder.resolve()
        if target == folder or folder in target.parents:
            return (
                f"--out {out}: inside {what} ({folder}); a command never writes over what ships "
                "with streetchief: write it elsewhere, e.g. results/"
            )
    return None


def _command(args) -> int:
    from streetchief.scenario import load_scenario, shipped

    refused = _shipped_out(args.out) if getattr(args, "out", None) is not None else None
    if refused:
        print(f"error: {refused}", file=sys.stderr)
        return 2
    if args.command == "scenarios":
        return _list_scenarios(shipped())
    if args.command == "parameters" and args.differing:
        return _differing(args)
    if args.command == "parameters" and args.uncertain:
        return _uncertain(args)
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
    if args.command == "scenario-from-log":
        return _scenario_from_log(args)
    scenario = load_scenario(args.scenario, **settings_of(args))
    if args.command == "calibrate":
        return _calibrate(args, scenario)
    if args.command in ("replay-history", "import-log"):
        return _from_log(args, scenario)
    if args.command == "export-arrivals":
        return _export(args, scenario)
    if args.command == "validate":
        return _validate(args, scenario)
    if args.command == "run":
        return _run(args, scenario)
    return _compare(args, scenario)


def _uncertain(args) -> int:
    from streetchief.errors import ScenarioError
    from streetchief.scenario import load_scenario, read_yaml_mapping, resolve_path

    scenario = load_scenario(args.uncertain)
    base = read_yaml_mapping(resolve_path(args.uncertain), ScenarioError, "sections")
    rows = []
    for path, r in scenario.uncertain.items():
        span = (
            " | ".join(map(str, r.values))
            if r.values is not None
            else f"{r.low:g} to {r.high:g}"
            + (" (log-uniform)" if r.distribution != "uniform" else "")
        )
        rows.append((path, _value_at(base, path.split(".")), span, r.why))
    if not rows:
        print(f"{args.uncertain}: no ranges (uncertain:); compare --uncertainty needs them")
        return 0
    if args.markdown:
        print("| parameter | in the scenario | plausible range | why |\n|---|---|---|---|")
        for path, value, span, why in rows:
            print(f"| `{path}` | {value} | {span} | {why} |")
        return 0
    print(f"{args.uncertain}: {len(rows)} values it does not know, and the range each lies in")
    for path, value, span, why in rows:
        print(f"{path:52s} {value:>14s}   {span:28s} {why}")
    return 0


def _value_at(node, keys: list[str]) -> str:
    """The scenario's value at a dotted path; a `*` gathers every key's (distinct values)."""
    if not keys:
        return str(node)
    k, rest = keys[0], keys[1:]
    if k == "*":
        items = node.values() if isinstance(node, dict) else node if isinstance(node, list) else []
        found = dict.fromkeys(_value_at(v, rest) for v in items)
        found.pop("—", None)
        return ", ".join(found) if len(found) <= 3 else f"{len(found)} values"
    if isinstance(node, dict) and k in node:
        return _value_at(node[k], rest)
    if isinstance(node, list) and k.isdigit() and int(k) < len(node):
        return _value_at(node[int(k)], rest)
    return "—"


def _differing(args) -> int:
    from streetchief.scenario import load_scenario, resolve_path
    from streetchief.scenario.differences import differences, markdown, value_text

    scenario = load_scenario(args.differing)
    rows = differences(scenario, resolve_path(args.differing).read_text(encoding="utf-8"))
    names = scenario.arrangement_names
    if args.markdown:
        print(markdown(rows, names))
        return 0
    print(
        f"{args.differing}: parameters its arrangements set differently, and the departments' "
        "values any of them changes (—: the departments' own or none; default: not in the file)"
    )
    for r in rows:
        print(f"  {r.parameter}")
        for a in names:
            if a in r.values:
                where = " ".join(r.tags[a]) if r.written[a] else "default"
                print(f"    {a:14s} {value_text(r.values[a]):40s} {where}")
    return 0


def _validate(args, scenario) -> int:
    from streetchief.budget import SizeError, check, estimate_run

    print(
        f"{args.scenario}: valid ({len(scenario.zones)} zones, {len(scenario.departments)} "
        f"departments, {len(scenario.categories)} categories; arrangements: "
        f"{', '.join(scenario.arrangement_names)})"
    )
    estimate = estimate_run(scenario, arrangements=len(scenario.arrangement_names))
    try:
        check(estimate)
    except SizeError:
        try:
            check(estimate_run(scenario, streamed=True))
            how = "run it with --stream (or --force)"
        except SizeError:
            how = "run it with --force, or shorten it"
        print(f"note: {estimate.text()}: past the size guard's limits; {how}", file=sys.stderr)
    return 0


def _inputs(args) -> list:
    """The files a command reads, which its --out may not be or hold."""
    from streetchief.scenario import resolve_path

    files = []
    for name in ("scenario", "replay", "mapping", "log", "export", "spec"):
        v = getattr(args, name, None)
        if v is None:
            continue
        if name == "scenario":
            try:
                v = resolve_path(v)
            except Exception:  # a shipped name: it was loaded already, nothing to protect
                continue
        if name in ("replay", "log", "export"):  # a file, a glob, or the pages of one export
            from streetchief.issue_log.formats import expand

            try:
                files.extend(expand(v if isinstance(v, list) else str(v)))
            except Exception:  # a pattern that matches nothing: reading it will say so
                pass
            continue
        files.append(Path(v))
    return files


def _guard_days(scenario, args) -> None:
    """A run's own --days obeys what the scenario's run.days must (open hours, events)."""
    from streetchief.errors import ScenarioError
    from streetchief.scenario.limits import run_problems

    if getattr(args, "days", None) is None:
        return
    problems = run_problems(scenario, args.days, f" (with --days {args.days:g})")
    if problems:
        raise ScenarioError(str(args.scenario), problems)


def _bar(quiet: bool, total, unit: str, desc: str):
    from streetchief.progress import progress_bar

    return progress_bar(not quiet, total, unit=unit, desc=desc, counts_fractions=True, leave=False)


def _list_scenarios(folder: Path) -> int:
    """The shipped scenarios and sweep specs, each with its one-line description."""
    import yaml

    kinds = {"scenarios": [], "sweep specs": [], "calibration specs": []}
    for f in [*sorted(folder.glob("*.yaml")), *sorted(folder.glob("calibration/*.yaml"))]:
        lines = f.read_text(encoding="utf-8").splitlines()
        line = next((x for x in lines if x.startswith("description:")), "description: ''")
        try:
            text = (yaml.safe_load(line) or {}).get("description") or ""
        except yaml.YAMLError:
            text = line.removeprefix("description:").strip()
        kind = "sweep specs" if any(x.startswith("scenario:") for x in lines) else "scenarios"
        if f.parent.name == "calibration":
            kind = "calibration specs"
        kinds[kind].append(f"  {f.stem:22s} {text}")
    for kind, rows in kinds.items():
        if rows:
            command = "sweep" if kind == "sweep specs" else "calibrate --spec"
            where = folder / "calibration" if kind == "calibration specs" else folder
            print(
                f"{kind} (in {folder}):"
                if kind == "scenarios"
                else f"\n{kind} (streetchief {command}, in {where}):"
            )
            print("\n".join(rows))
    return 0


def _sweep(args) -> int:
    from streetchief.sweeps import load_sweep, sweep

    sw = load_sweep(args.spec, settings=settings_of(args))
    result = sweep(
        sw,
        args.out,
        args.executor,
        args.workers,
        args.scheduler,
        progress=not args.quiet,
        force=args.force,
    )
    print(result.summary_line())
    if result.failed:
        first = result.runs[result.runs.status == "failed"].iloc[0]
        print(
            f"note: {result.failed} run(s) failed, e.g. {first.run_id}: {first.error}; they are in "
            "runs.parquet with their errors and are tried again when the sweep is started again",
            file=sys.stderr,
        )
    if result.written:
        print(f"wrote {result.out / 'runs.parquet'} and {result.out / 'sweep.json'}")
    else:
        print(f"{result.out / 'runs.parquet'} and {result.out / 'sweep.json'} are as it left them")
    return 0 if not result.failed else 1


def _verify(args) -> int:
    from streetchief.verify import verify

    v = verify(args.dir, args.sample, force=args.force)
    for line in v.notes:
        print(f"note: {line}", file=sys.stderr)
    if v.mismatches:
        print(
            f"{args.dir}: {len(v.mismatches)} difference(s) found checking {v.kind} "
            f"({len(v.checked)} check(s)):"
        )
        for line in v.mismatches[:40]:
            print(f"  {line}")
        if len(v.mismatches) > 40:
            print(f"  ... and {len(v.mismatches) - 40} more")
        return 1
    print(
        f"{args.dir}: {v.kind}: {len(v.checked)} check(s), all identical "
        f"({', '.join(v.checked[:6])}{', ...' if len(v.checked) > 6 else ''})"
    )
    return 0


def _analyze(args) -> int:
    from streetchief.folders import ResultFolder
    from streetchief.sweeps.analysis import analysis_record, analyze, load_runs

    _, meta = load_runs(args.dir)  # a clear error before anything is written
    out = args.out if args.out is not None else args.dir / "analysis"
    inputs = [args.dir / "runs.parquet", args.dir / "sweep.json"]
    with ResultFolder(out, inputs) as tmp:
        r = analyze(args.dir, args.outcome, args.x, args.y, tmp)
        _record(tmp, analysis_record(args.dir, args.outcome, args.x, args.y), "analysis.json")
    if r.get("incomplete"):
        print(f"note: {r['incomplete']}", file=sys.stderr)
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
    print(f"wrote {out / 'advantage.csv'} and " + ", ".join(str(p.name) for p in r["figures"]))
    return 0


def _read_replay(args, scenario, folder: Path):
    """The --replay log, checked; what was set aside written beside the results (in `folder`,
    the result folder being written)."""
    if getattr(args, "replay", None) is None:
        given = [
            o
            for o, v in (
                ("--mapping", getattr(args, "mapping", None)),
                ("--skip-invalid", getattr(args, "skip_invalid", False)),
                ("--set-aside-far", getattr(args, "set_aside_far", False)),
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
    return _load_log(
        args, str(args.replay), scenario, lambda kind: folder / SIDE_FILES[kind][0], args.out
    )


SIDE_FILES = {  # what was set aside, and its name beside a folder's results or import-log's OUT
    "rejected": ("rejected_rows.csv", ".rejected.csv"),
    "responses": ("rejected_responses.csv", ".rejected_responses.csv"),
    "unmapped": ("unmapped_values.csv", ".unmapped_values.csv"),
    "far": ("far_from_the_rest.csv", ".far_from_the_rest.csv"),
}


def _load_log(args, path, scenario, side, shown_folder: Path | None = None, later=None):
    """Read a log, print its counts (read = kept + rejected) and notes, and write beside the
    results what was set aside, each row with its reason; a side file an earlier run left that
    this one has nothing for is removed, so that none is stale. `side(kind)` is where each goes;
    `shown_folder`, where it will be once the result folder is in place (for the messages). With
    `later` (a list), the writing is left to the caller: each (target, frame) is appended to it."""
    from streetchief.errors import IssueLogError
    from streetchief.files import capped, write_csv
    from streetchief.folders import MADE
    from streetchief.issue_log import read_log

    def put(kind, frame):
        target = side(kind)
        frame = capped(frame)
        shown = target if shown_folder is None else shown_folder / target.name
        if later is not None:
            later.append((target, frame))
            return shown if frame is not None and len(frame) else None
        if frame is not None and len(frame):
            write_csv(frame, target)
            return shown
        target.unlink(missing_ok=True)
        return None

    try:
        log = read_log(
            path, scenario, args.mapping, args.skip_invalid, args.timezone, args.set_aside_far
        )
    except IssueLogError as e:
        unmapped = getattr(e, "unmapped", None)
        if unmapped is not None and len(unmapped):
            if shown_folder is None:
                target = put("unmapped", unmapped)
            else:  # no result folder will be made: the list goes beside where it would have been
                target = shown_folder.with_name(shown_folder.name + SIDE_FILES["unmapped"][1])
                if target.parent.is_dir() and Path(os.path.abspath(target.parent)) not in MADE:
                    write_csv(unmapped, target)
                else:  # folders made for it would stay behind a failed command
                    target = f"not written ({target.parent} does not exist)"
            e.problems.append(
                f"every name not in the {'mapping' if args.mapping else 'scenario'}, with its "
                f"count ({len(unmapped):,} names): {target}"
            )
            e.args = (
                f"{e.source}: {len(e.problems)} problems:\n"
                + "\n".join(f"  {x}" for x in e.problems),
            )
        raise
    _report_log(log, path, put)
    return log


def _report_log(log, path, put) -> None:
    """Print a log's counts (read = kept + rejected) and notes; `put(kind, frame)` writes what was
    set aside and returns where (or None)."""
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
    if log.far_note:  # a mistyped year moves every number after it: said first
        print(f"note: {log.far_note}", file=sys.stderr)
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
        if note != log.far_note:
            print(f"note: {note}", file=sys.stderr)
    if far:
        print(f"note: the rows far from the rest, every one: {far}", file=sys.stderr)


def _report_window(args, result, folder: Path):
    from streetchief.files import capped, write_csv
    from streetchief.issue_log import replay_window_text

    r = result.replay
    print(
        f"replaying {r['issues']} issues from {r['log']}, window "
        f"{replay_window_text(result.scenario.run.start, result.horizon)}",
        flush=True,
    )
    path = args.out / "outside_window.csv"
    if r["outside_window"]:
        write_csv(capped(result.outside), folder / "outside_window.csv")
        print(
            f"note: {r['outside_window']} issue(s) of the log fall outside the window (see "
            f"--days); listed in {args.out / 'outside_window.csv'}",
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


def _record(folder: Path, record: dict, name: str) -> None:
    """Write a result's record last, with the sha256 of every file written before it."""
    from streetchief.files import write_json
    from streetchief.folders import file_digests

    record["files"] = file_digests(folder)
    write_json(record, folder / name)


def _from_log(args, scenario) -> int:
    from streetchief.folders import ResultFolder, check_out_file
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
        if args.out.suffix.lower() not in (".csv", ".parquet"):
            print(f"error: --out {args.out}: write a log as .csv or .parquet", file=sys.stderr)
            return 2
        from streetchief.issue_log.formats import expand

        inputs = [*_inputs(args), *expand(args.export)]
        for _, suffix in SIDE_FILES.values():
            check_out_file(args.out.with_name(args.out.name + suffix), inputs)
        check_out_file(args.out, inputs)
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
    from streetchief.files import write_parquet

    with ResultFolder(args.out, _inputs(args)) as tmp:
        log = _load_log(
            args, _joined(args.log), scenario, lambda kind: tmp / SIDE_FILES[kind][0], args.out
        )
        result = recorded_history(scenario, log, args.days)
        _report_window(args, result, tmp)
        write_parquet(result.issues, tmp / "issues.parquet")
        _record(tmp, result.summary(), "summary.json")
    _print_runs(result)
    print(f"wrote {args.out / 'issues.parquet'} and {args.out / 'summary.json'}")
    return 0


def _scenario_from_log(args) -> int:
    from streetchief.files import write_csv, write_text
    from streetchief.folders import check_out_file
    from streetchief.issue_log.formats import expand
    from streetchief.scenario.from_log import scenario_from_log

    if args.out.suffix.lower() not in (".yaml", ".yml"):
        print(f"error: --out {args.out}: write a scenario as .yaml", file=sys.stderr)
        return 2
    out = args.out
    mapping_out = out.with_name(out.stem + ".mapping.yaml")
    side = {k: out.with_name(out.stem + suffix) for k, (_, suffix) in SIDE_FILES.items()}
    inputs = [*_inputs(args), *expand(_joined(args.log))]
    for target in (out, mapping_out):
        check_out_file(target, inputs)
        if target.exists() and not args.force:
            print(
                f"error: {target} exists; pass --force to replace it, or choose another --out",
                file=sys.stderr,
            )
            return 2
    made = scenario_from_log(
        _joined(args.log),
        args.mapping,
        args.timezone,
        args.holidays,
        args.template,
        args.min_issues,
        args.skip_invalid,
        out.stem,
        args.set_aside_far,
    )

    def put(kind, frame):
        if frame is not None and len(frame):
            write_csv(frame, side[kind])
            return side[kind]
        side[kind].unlink(missing_ok=True)
        return None

    _report_log(made.log, _joined(args.log), put)
    if made.mapping_text is not None:
        write_text(made.mapping_text, mapping_out)
    else:
        mapping_out.unlink(missing_ok=True)
    write_text(made.scenario_text, out)
    fit = made.fit
    print(
        f"{len(made.log):,} issues over {fit.days:.1f} days ({fit.start:%Y-%m-%d %H:%M} to "
        f"{fit.end:%Y-%m-%d %H:%M} {made.log.timezone}): {len(fit.counts)} categories, "
        f"{fit.counts.sum() / fit.days:,.0f} issues a day"
    )
    for note in made.notes:
        print(f"note: {note}", file=sys.stderr)
    mapping_opt = f" --mapping {mapping_out}" if made.mapping_text is not None else ""
    print(
        f"wrote {out}" + (f" and {mapping_out}" if mapping_opt else "") + "; next:\n"
        f"  streetchief validate {out}\n"
        f"  streetchief compare {out} --replay {' '.join(args.log)}{mapping_opt}"
    )
    return 0


def _joined(paths: list[str]):
    """One path as given, or the pages of one export."""
    return paths[0] if len(paths) == 1 else list(paths)


def _suggest(args, scenario) -> int:
    from streetchief.files import write_text
    from streetchief.folders import check_out_file
    from streetchief.issue_log import load_mapping, suggest_mapping
    from streetchief.issue_log.formats import expand

    inputs = [*_inputs(args), *expand(args.export)]
    check_out_file(args.suggest_mapping, inputs, "--suggest-mapping")  # never over the export
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
    from streetchief.budget import check, estimate_run
    from streetchief.folders import check_out_file
    from streetchief.issue_log import arrivals_frame, write_log
    from streetchief.problems import Problems

    if args.out.suffix.lower() not in (".csv", ".parquet"):
        print(f"error: --out {args.out}: write a log as .csv or .parquet", file=sys.stderr)
        return 2
    check_out_file(args.out, _inputs(args))
    _guard_days(scenario, args)
    check(estimate_run(scenario, args.days, arrangements=1), args.force, str(args.scenario))
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


def _run(args, scenario) -> int:
    from streetchief.budget import check, estimate_run
    from streetchief.experiment import replay, run_scenario
    from streetchief.files import write_parquet
    from streetchief.folders import ResultFolder

    names = scenario.arrangement_names if args.arrangement == "both" else [args.arrangement]
    unknown = [n for n in names if n not in scenario.arrangement_names]
    if unknown:
        print(
            f"error: --arrangement {args.arrangement}: not in this scenario's arrangements "
            f"({', '.join(scenario.arrangement_names)}), nor 'both'",
            file=sys.stderr,
        )
        return 2
    if args.stream and args.replay is not None:
        print(
            "error: --stream generates its issues; it cannot replay a log (logs are read whole)",
            file=sys.stderr,
        )
        return 2
    _guard_days(scenario, args)
    if args.replay is None:
        check(estimate_run(scenario, args.days, len(names), args.stream), args.force, args.scenario)
    with ResultFolder(args.out, _inputs(args)) as tmp:
        log = _read_replay(args, scenario, tmp)
        if log is not None:
            check(estimate_run(scenario, args.days, len(names), problems=len(log)), args.force)
        # every arrangement's days; a replay's window is known once the log is placed
        days = (args.days or scenario.run.days) * len(names) if log is None else 1
        bar = _bar(args.quiet, days, "simulated days", "simulating")
        try:

            def tick(hours, total):
                bar(hours / 24, total / 24)

            if args.stream:
                from streetchief.experiment import run_streamed

                result = run_streamed(scenario, tmp, names, args.seed, args.days, progress=tick)
                for name in names:  # where the records are, inside the result folder
                    result.summaries[name]["records"] = f"issues/{name}.parquet"
            elif log is None:
                result = run_scenario(scenario, names, args.seed, args.days, progress=tick)
            else:
                result = replay(scenario, log, names, args.seed, args.days, progress=tick)
        finally:
            bar.close()
        if log is not None:
            _report_window(args, result, tmp)
        if not args.stream:
            write_parquet(result.issues, tmp / "issues.parquet")
        _record(tmp, {**result.summary(), "settings": settings_of(args)}, "summary.json")
    if not args.quiet:
        _print_runs(result)
        records = args.out / ("issues" if args.stream else "issues.parquet")
        print(f"wrote {records} and {args.out / 'summary.json'}")
    return 0


def _calibrate(args, scenario) -> int:
    from streetchief.calibration import calibrate
    from streetchief.calibration.run import check_inputs, remove_unless_resumable
    from streetchief.calibration.spec import CalibrationError
    from streetchief.files import write_csv
    from streetchief.scenario import shipped

    if not args.spec.exists() and not args.spec.suffix and len(args.spec.parts) == 1:
        named = shipped() / "calibration" / f"{args.spec}.yaml"  # a shipped spec by its name
        args.spec = named if named.is_file() else args.spec
    if not args.spec.exists():  # before the log is read: say what would have been found
        names = ", ".join(sorted(p.stem for p in (shipped() / "calibration").glob("*.yaml")))
        raise CalibrationError(
            str(args.spec),
            [f"no such file, and no shipped spec of that name (shipped: {names})"],
        )
    side_files = []  # written once the inputs are known good: a refused command writes nothing
    log = _load_log(
        args, str(args.log), scenario, lambda kind: args.out / SIDE_FILES[kind][0], None, side_files
    )
    check_inputs(args.scenario, log, args.arrangement, args.spec, args.holdout, settings_of(args))
    made = [p for p in [args.out, *args.out.parents] if not p.exists()]
    args.out.mkdir(parents=True, exist_ok=True)
    for target, frame in side_files:
        if frame is not None and len(frame):
            write_csv(frame, target)
        else:
            target.unlink(missing_ok=True)
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
            settings=settings_of(args),
        )
    except BaseException:
        remove_unless_resumable(args.out, made)
        raise
    finally:
        bar.close()
    print(
        f"{r['arrangement']} fitted to {args.log}: {r['evaluations']} evaluations, "
        f"{r['generations']} generations, {r['search_seconds']:.0f} s; distance {r['distance']:.3g}"
    )
    # the verdict first: a fit that fails its check is said before its numbers
    verdict = r["check"]
    print(
        f"held-out check: {'passes' if verdict['passes'] else 'FAILS'}: {verdict['why']}"
        + ("" if verdict["passes"] else "; compare --calibrated refuses it without --force")
    )
    for path, s in r["fitted"].items():
        lo, hi = s["interval_95"]
        print(f"  {path:50s} {s['median']:10.4g}   95% interval {lo:.4g} – {hi:.4g}")
    from streetchief.calibration.run import _coverage, _share_words

    for label, check in (("fitted part", r["fit"]), ("held-out part", r["held_out"])):
        if check is None:
            continue
        rec, sim = check["median_hours_recorded"], check["median_hours_simulated"]
        median, p90 = (_share_words(_coverage(check, s)) for s in ("median", "p90"))
        print(
            f"  {label}: median hours to resolution recorded {rec:.3g}, simulated {sim:.3g}; "
            f"per category, inside the 90% band of {r['check']['draws']} draws: medians "
            f"{median}, 90th percentiles {p90}; distance {check['distance_median']:.3g}"
        )
    print(f"wrote calibration.json, posterior.csv, fitted.yaml and fit.png in {args.out}")
    return 0


def _calibrated_arrangement(folder: Path) -> str | None:
    import json

    try:
        return json.loads((folder / "calibration.json").read_text(encoding="utf-8"))["arrangement"]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # draw_overrides says what is wrong with the folder


def _resembles(cmp, arrangement: str, folder: Path) -> None:
    """The calibrated baseline against the recorded history it was fitted to, in words."""
    means = cmp.means.set_index("outcome")
    if "recorded" not in means or arrangement not in means:
        return
    rows = []
    for outcome, what in (("resolution_median_h", "median"), ("resolution_p90_h", "90th pct")):
        if outcome in means.index:
            sim, rec = means.loc[outcome, arrangement], means.loc[outcome, "recorded"]
            if rec == rec and sim == sim and rec > 0:
                rows.append(f"{what} {sim:.1f} h against {rec:.1f} h ({sim / rec - 1:+.0%})")
    if rows:
        print(
            f"{arrangement}, calibrated in {folder}, against the recorded history, hours to "
            f"resolution: {'; '.join(rows)}"
        )


def _trust_calibrated(args) -> list[str]:
    """A calibration checked before a counterfactual stands on it (refused without --force); the
    warnings first, then which arrangements the fitted values apply to."""
    from streetchief.calibration.run import check_calibrated, read_posterior

    warnings = check_calibrated(args.calibrated, args.scenario, args.force)
    for w in warnings:
        print(f"WARNING: {w}")
    from streetchief.report import LABELS

    posterior, record = read_posterior(args.calibrated)
    fitted = str(record.get("arrangement", "the fitted arrangement"))
    own, every = [], []
    for path in posterior.samples.columns:
        keys = path.split(".")
        (own if keys[0] == "arrangements" and keys[1] != "*" else every).append(path)
    if every:
        print(
            f"the fitted {', '.join(every)} apply to every arrangement: they are the departments' "
            f"or the problems' own, not {LABELS.get(fitted, fitted)}'s alone"
        )
    if own:
        print(f"the fitted {', '.join(own)} apply only to the arrangement each names")
    if posterior.given:
        print(
            f"the log's own close times set {len(posterior.given)} categories' waits "
            "(categories.*.lead, from_log): a scheduled service's wait, the same under every "
            "arrangement"
        )
    return warnings


def _compare_uncertainty(args, scenario) -> int:
    from streetchief.experiment import STRONGEST
    from streetchief.folders import ResultFolder
    from streetchief.report import LABELS
    from streetchief.sweeps.analysis import load_runs
    from streetchief.sweeps.runner import sweep
    from streetchief.uncertainty import answer, uncertainty_sweep
    from streetchief.uncertainty.run import write_answer

    if args.replay is not None:
        print(
            "error: compare --uncertainty: --replay is not supported with --uncertainty yet; run "
            "the comparison without it, or vary the values with a sweep",
            file=sys.stderr,
        )
        return 2
    if args.calibrated is not None:
        _trust_calibrated(args)
    names = None if not args.arrangements else [a.strip() for a in args.arrangements.split(",")]
    sw = uncertainty_sweep(
        args.scenario,
        args.uncertainty,
        args.replications or 2,
        names,
        args.treatment,
        args.seed,
        args.days,
        settings_of(args),
        calibrated=args.calibrated,
    )
    named = None if args.baseline in (None, STRONGEST) else args.baseline
    if named is not None and named not in sw.spec.arrangements:
        print(
            f"error: compare: --baseline {named!r} is not among the arrangements compared "
            f"({', '.join(sw.spec.arrangements)}); it may also be 'strongest'",
            file=sys.stderr,
        )
        return 2
    if sw.spec.given:
        print(
            f"each parameter set draws {', '.join(sw.spec.given)} from {sw.spec.given_from} "
            f"(for every arrangement), the other values from the scenario's ranges"
        )
    out = args.out if args.out != Path("results/compare") else Path("results/uncertainty")
    result = sweep(sw, out, args.executor, args.workers, args.scheduler, not args.quiet, args.force)
    if result.failed:
        print(
            f"note: {result.failed} run(s) failed; they are in {out / 'runs.parquet'} with their "
            "errors and are tried again when the same command is started again",
            file=sys.stderr,
        )
    runs, meta = load_runs(out)
    ans = answer(runs, meta, baseline=named)
    with ResultFolder(out / "uncertainty", [out / "runs.parquet", out / "sweep.json"]) as tmp:
        lines = write_answer(ans, tmp, scenario, LABELS)
    print("\n".join(lines))
    print(f"wrote {out / 'runs.parquet'}, and in {out / 'uncertainty'}: answer.txt, answer.csv, "
          "sets.csv, sensitivity.csv, boxes.json, uncertainty.png, discovery.png")  # fmt: skip
    return 0 if not result.failed else 1


def _compare(args, scenario) -> int:
    from streetchief.budget import check, estimate_compare

    if args.uncertainty is not None:
        return _compare_uncertainty(args, scenario)
    args.replications = args.replications or 5
    from streetchief.experiment import STRONGEST, compare
    from streetchief.files import write_csv
    from streetchief.folders import ResultFolder
    from streetchief.report import comparison_tables, comparison_text, draw_figures

    known = scenario.arrangement_names
    warnings = _trust_calibrated(args) if args.calibrated is not None else []
    fitted = _calibrated_arrangement(args.calibrated) if args.calibrated is not None else None
    if args.baseline is None:
        args.baseline = fitted or STRONGEST
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
    _guard_days(scenario, args)
    runs = len(set(wanted))
    if args.replay is None:
        check(
            estimate_compare(scenario, args.replications, args.days, arrangements=runs),
            args.force,
            args.scenario,
        )
    drawn, calibrated = None, None
    if args.calibrated is not None:
        from streetchief.calibration import draw_overrides
        from streetchief.provenance import file_hash

        seed = scenario.run.seed if args.seed is None else args.seed
        drawn = draw_overrides(args.calibrated, args.replications, seed)
        calibrated = {
            "folder": str(args.calibrated.resolve()),
            "drawn": drawn,
            "posterior_sha256": file_hash(args.calibrated / "posterior.csv"),
            "warnings": warnings,
        }
        print(f"each replication draws its parameters from the posterior in {args.calibrated}")
    with ResultFolder(args.out, _inputs(args)) as tmp:
        log = _read_replay(args, scenario, tmp)
        if log is not None:
            estimate = estimate_compare(scenario, args.replications, args.days, len(log), runs)
            check(estimate, args.force, str(args.replay))
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
                workers=args.workers or 1,
            )
        finally:
            bar.close()
        if log is not None:
            _report_window(args, cmp.first, tmp)
        if fitted is not None:
            _resembles(cmp, fitted, args.calibrated)
        print(comparison_text(cmp))
        tables = comparison_tables(cmp)
        for name, table in tables.items():
            write_csv(table, tmp / name)
        figures = draw_figures(cmp, tmp)
        record = cmp.record(scenario, args.seed, args.replications, args.days, log, calibrated)
        _record(tmp, {**record, "settings": settings_of(args)}, "compare.json")
    print(f"\nwrote {', '.join([*tables, *figures, 'compare.json'])} in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
