"""An issue log, read and checked: its issues as problems for a replay, in a window of the run."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from streetchief.errors import SHOWN, IssueLogError
from streetchief.issue_log.check import check_rows
from streetchief.issue_log.columns import OBSERVED_TIMES, TAIL_DAYS
from streetchief.issue_log.formats import expand, read_files, where
from streetchief.issue_log.mappings import (
    Mapping,
    apply_mapping,
    check_against,
    check_timezone,
    load_mapping,
    to_our_columns,
)
from streetchief.issue_log.times import elapsed_hours, local_hours
from streetchief.issues import CHIEF, PATROL
from streetchief.problems import Problems
from streetchief.scenario import Scenario
from streetchief.scenario.schema import MAX_DAYS

FAR_IQRS, FAR_MIN_DAYS = 5, 30  # a row this far from the rest of a log is worth a look


@dataclass
class IssueLog:
    """A validated log: `frame` has our columns (times as aware datetimes in `timezone`), `line`
    (the row's line in its file; its position for Parquet, JSON and XML) and `file` (which of
    `files`), in order of reported_at. What was not kept is in `rejected` (rows) and `responses`
    (responses dropped from issues kept), each with its reason; `counts` adds it up."""

    source: str
    frame: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)  # line, reason, the row as read
    ignored_columns: list[str] = field(default_factory=list)
    mapping: str | None = None  # the mapping file it was read through
    skip_invalid: bool = False
    timezone: str = "UTC"  # of its local times, and of the run's calendars
    files: list[str] = field(default_factory=list)
    responses: pd.DataFrame = field(default_factory=pd.DataFrame)  # dropped, the issue kept
    unmapped: pd.DataFrame = field(default_factory=pd.DataFrame)  # names not in the mapping
    counts: dict = field(default_factory=dict)  # read = kept + rejected; out of order; ...
    notes: list[str] = field(default_factory=list)  # what a user should know, in words
    far: pd.DataFrame = field(default_factory=pd.DataFrame)  # rows far from the rest
    far_note: str = ""  # what they are and what to do, said first
    set_aside_far: bool = False  # far reports and responses set aside (--set-aside-far)
    _hours: dict = field(default_factory=dict, repr=False)

    def provenance(self) -> dict:
        """Where the issues came from, enough to read them again the same way."""
        from streetchief.provenance import file_hash

        files = self.files or [self.source]
        out = {
            "log": self.source,
            "log_sha256": file_hash(files[0])
            if len(files) == 1 and Path(files[0]).is_file()
            else None,
            "mapping": self.mapping,
            "skip_invalid": self.skip_invalid,
            "timezone": self.timezone,
        }
        if self.set_aside_far:  # only when set: records of logs read as they are stay the same
            out["set_aside_far"] = True
        if len(files) > 1:
            out["log_files"] = {f: file_hash(f) for f in files if Path(f).is_file()}
        if self.mapping:
            out["mapping_sha256"] = (
                file_hash(self.mapping) if Path(self.mapping).is_file() else None
            )
        return out

    def __len__(self) -> int:
        return len(self.frame)

    def subset(self, rows) -> IssueLog:
        """The same log with only `rows` (a boolean mask) kept; hours computed afresh."""
        return dataclasses.replace(self, frame=self.frame[rows].reset_index(drop=True), _hours={})

    @property
    def has_observed(self) -> bool:
        return any(c in self.frame and self.frame[c].notna().any() for c in OBSERVED_TIMES)

    # --- the model's clock -------------------------------------------------------------------
    def report_hours(self, start: datetime) -> np.ndarray:
        """Reports on the model's clock (local hours since `start`), never going backwards: a
        report in the hour the clocks repeat is placed no earlier than the one before it."""
        key = ("reported_at", start)
        if key not in self._hours:
            h = local_hours(self.frame.reported_at, start)
            self._hours[key] = np.maximum.accumulate(h) if len(h) else h
        return self._hours[key]

    def hours(self, column: str, start: datetime) -> np.ndarray:
        """A column on the model's clock: reports as `report_hours`, responses that many real
        (UTC) hours after their report, so that recorded durations are exact."""
        if column == "reported_at":
            return self.report_hours(start)
        if column not in self.frame:
            return np.full(len(self.frame), np.nan)
        key = (column, start)
        if key not in self._hours:
            f = self.frame
            self._hours[key] = self.report_hours(start) + elapsed_hours(f[column], f.reported_at)
        return self._hours[key]

    def last_response_hour(self, start: datetime) -> float:
        h = [self.hours(c, start) for c in OBSERVED_TIMES if c in self.frame]
        h = [x[~np.isnan(x)] for x in h]
        h = [x for x in h if len(x)]
        return max(float(x.max()) for x in h) if h else float("nan")

    def window(self, days: float | None = None) -> tuple[datetime, float]:
        """(start, hours): midnight before the first issue; until midnight after the last report
        plus TAIL_DAYS, or after the last recorded response if that is later; or `days`."""
        if not len(self.frame):
            raise IssueLogError(self.source, ["no issues to replay"])
        first = self.frame.reported_at.iloc[0].tz_localize(None)
        start = datetime.combine(first.date(), datetime.min.time())
        if days is not None:
            return start, 24.0 * days
        last = float(self.report_hours(start)[-1])
        horizon = 24.0 * (np.floor(last / 24) + 1 + TAIL_DAYS)
        response = self.last_response_hour(start)
        if response == response and response >= horizon:
            horizon = 24.0 * (np.floor(response / 24) + 1)
        return start, float(horizon)

    def for_scenario(self, scenario: Scenario, days: float | None = None) -> tuple[Scenario, float]:
        """The scenario, started at the window's start so that calendars fall on the log's dates,
        in the log's time zone."""
        start, horizon = self.window(days)
        if days is None and horizon / 24 > MAX_DAYS:
            raise IssueLogError(
                self.source,
                [
                    f"its window spans {horizon / 24:,.0f} days, from {start:%Y-%m-%d}: past the "
                    f"longest run ({MAX_DAYS:,} days). {self.far_note or 'A time far off?'}",
                ],
            )
        run = scenario.run.model_copy(
            update={"start": start, "days": horizon / 24, "timezone": self.timezone}
        )
        return scenario.model_copy(update={"run": run}), horizon

    def split_window(self, start: datetime, horizon: float) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(inside, outside) the run window."""
        inside = self.inside(start, horizon)
        return self.frame[inside], self.frame[~inside]

    def inside(self, start: datetime, horizon: float) -> np.ndarray:
        t = self.report_hours(start)
        return (t >= 0) & (t < horizon)

    def responses_after(self, start: datetime, horizon: float) -> int:
        """Issues inside the window with a recorded response after its end (not yet happened)."""
        inside = self.inside(start, horizon)
        late = np.zeros(len(self.frame), bool)
        for c in OBSERVED_TIMES:
            if c in self.frame:
                late |= self.hours(c, start) > horizon
        return int((late & inside).sum())

    def to_problems(
        self, scenario: Scenario, seed: int | None = None, days: float | None = None
    ) -> tuple[Scenario, Problems, pd.DataFrame]:
        """(scenario moved to the window, the issues inside it as problems, the rows outside it).
        Times, zones and categories come from the log; work content and unclear responsibility are
        drawn from the seed's streams, as for generated problems, except where the log gives them
        (`work_hours`, `unclear`): a case's own attributes hold in every replication."""
        run_scenario, horizon = self.for_scenario(scenario, days)
        start = run_scenario.run.start
        inside = self.inside(start, horizon)
        f, outside = self.frame[inside], self.frame[~inside]
        seed = scenario.run.seed if seed is None else seed
        problems = Problems.with_attributes(
            run_scenario,
            self.report_hours(start)[inside],
            pd.Categorical(f.category, categories=list(scenario.categories)).codes.astype(np.int64),
            pd.Categorical(f.zone, categories=list(scenario.zones)).codes.astype(np.int64),
            horizon,
            seed,
            replayed=True,
            issue_ids=f.issue_id.to_numpy(object),
            reporters=[None if pd.isna(x) or x == "" else str(x) for x in f.reporter]
            if "reporter" in f
            else None,
            found_by_chief=(f.discovered_by == CHIEF).to_numpy(bool)
            if "discovered_by" in f
            else None,
            found_by_patrol=(f.discovered_by == PATROL).to_numpy(bool)
            if "discovered_by" in f
            else None,
        )
        for col, column in (("unclear", problems.unclear), ("work_hours", problems.work)):
            if col in f:  # drawn for every row first, so the other rows keep their draws
                given = f[col].notna().to_numpy(bool)
                column[given] = f[col][given].to_numpy(column.dtype)
        return run_scenario, problems, outside

    # --- what a user reads ---------------------------------------------------------------------
    def named(self, rows: pd.DataFrame) -> pd.DataFrame:
        """Rows of `frame` as a user reads them: the file's name for several files, else none."""
        if "file" not in rows:
            return rows
        if len(self.files) > 1:
            return rows.assign(file=[self.files[int(k)] for k in rows.file])
        return rows.drop(columns="file")

    def accounting(self) -> str:
        """The counts in one sentence: read = kept + rejected, and how many were out of order."""
        c = self.counts
        return (
            f"read {c['read']:,} rows: {c['kept']:,} kept, {c['rejected']:,} rejected, "
            f"{c['out_of_order']:,} out of order (sorted by reported_at)"
        )

    def details(self) -> list[str]:
        """Further counts worth a line each: responses dropped, issues ended without resolution,
        names sent to a default, times in a repeated hour, pages that overlap."""
        c, out = self.counts, []
        if c.get("responses_dropped"):
            r = self.responses
            per_issue = r.assign(kind=r.reason.map(_reason_kind)).drop_duplicates(
                subset=[x for x in ("line", "file", "kind") if x in r]
            )
            kinds = per_issue.kind.value_counts()
            out.append(
                f"{c['responses_dropped']:,} issue(s) kept with a response dropped ("
                + ", ".join(f"{k}: {v:,}" for k, v in kinds.items())
                + ")"
            )
        if c.get("ended_without_resolution"):
            by = c.get("ended_by_status") or {}
            detail = f" ({', '.join(f'{k} {v:,}' for k, v in by.items())})" if by else ""
            out.append(
                f"{c['ended_without_resolution']:,} issue(s) ended without resolution{detail}: "
                "closed, not counted as resolved"
            )
        for col, rows in (c.get("to_default") or {}).items():
            out.append(f"{rows:,} row(s) with a {col} not in the mapping went to its default")
        if c.get("repeated_local_times"):
            out.append(
                f"{c['repeated_local_times']:,} local time(s) fall in the hour the clocks repeat "
                "(daylight saving ends): taken as the first, daylight-saving, occurrence"
            )
        if c.get("repeats_across_pages"):
            out.append(
                f"{c['repeats_across_pages']:,} row(s) repeat an earlier row exactly (pages that "
                "overlap): kept once"
            )
        return out


def _reason_kind(reason: str) -> str:
    if "before reported_at" in reason:
        return "a time before the report"
    if "does not exist" in reason:
        return "a local time the clocks skip"
    if "--set-aside-far" in reason:
        return "far from the rest of the log"
    return "other"


def read_log(
    path,
    scenario: Scenario,
    mapping: Mapping | str | Path | None = None,
    skip_invalid: bool = False,
    timezone: str | None = None,
    set_aside_far: bool = False,
) -> IssueLog:
    """Read and check a log: a file, a glob pattern or a list of files (pages of one export). Every
    problem names the file, the line and the fix; with `skip_invalid` the bad rows go to
    `IssueLog.rejected` with their reasons instead. Times without an offset are read in
    `timezone`, else the mapping's, else the scenario's run.timezone. `set_aside_far`: rows
    far from the rest (a mistyped year) set aside with their reason, see `_far_rows`."""
    paths = expand(path)
    source = str(path) if isinstance(path, (str, Path)) else ", ".join(map(str, path))
    mapping_source = None
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping_source = str(mapping)
        mapping = load_mapping(mapping)
    if mapping is not None:
        check_against(mapping, scenario, mapping_source or "the mapping")
    if timezone is not None:
        try:
            check_timezone(timezone)
        except ValueError as e:
            raise IssueLogError(source, [f"--timezone: {e}"]) from None
    tz = timezone or (mapping.timezone if mapping else None) or scenario.run.timezone
    needed = None
    if mapping is not None:
        needed = set(mapping.columns.values()) | {
            r.column for r in (mapping.resolved_when, mapping.dropped_when) if r is not None
        }
    raw = read_files(paths, needed)
    if not len(raw.frame) and not len(raw.broken):
        raise IssueLogError(
            source, ["holds no issue: not one row after the header (or an empty list)"]
        )
    mapped = None
    if mapping is not None:
        _check_formats(mapping, mapping_source or "the mapping", raw)
        mapped = apply_mapping(raw.frame, mapping, source, scenario, raw.lines)
        frame, ignored = mapped.frame, []
    else:
        frame, ignored = to_our_columns(raw.frame, source)
    frame = frame.reset_index(drop=True)
    frame.insert(0, "line", raw.lines)
    frame.insert(1, "file", raw.files)
    through = (mapping_source or "the mapping") if mapping is not None else None
    checked = check_rows(
        frame, scenario, tz, mapping.formats if mapping else None, raw.where, through
    )
    messages = checked.messages
    broken = raw.broken
    if len(broken):
        many = len(paths) > 1
        shown = [
            f"{where(b.line, b.file, 2 if many else 1)}: {b.reason} ({b.text[:80]!r})"
            + ("; quote fields that contain commas" if "fields where" in b.reason else "")
            for b in broken.head(SHOWN).itertuples()
        ]
        more = [f"... and {len(broken) - SHOWN} more such lines"] if len(broken) > SHOWN else []
        messages = shown + more + messages
    unmapped = mapped.unmapped if mapped is not None else _unknown_names(frame, checked, scenario)
    if messages and not skip_invalid:
        err = IssueLogError(
            source,
            messages
            + [
                "or pass --skip-invalid to set such rows aside (written with their reasons beside "
                "the results)"
            ],
        )
        unknown = len(unmapped) and (unmapped.became.astype(str) == "").any()
        err.unmapped = unmapped if unknown else None  # the names behind an error, every one
        raise err
    names = [str(p) for p in paths]
    rejected = _rejected(raw, checked, broken, names)
    good = checked.good.reset_index(drop=True)
    responses = checked.responses
    if len(responses):
        responses = responses.assign(file=[names[int(k)] for k in responses.file])
        if len(names) == 1:
            responses = responses.drop(columns="file")
    ended = 0
    if {"closed_at", "resolved_at"} <= set(good.columns):
        ended = int((good.closed_at.notna() & good.resolved_at.isna()).sum())
    to_default = {}
    if len(unmapped) and "became" in unmapped:
        defaulted = unmapped[unmapped.became.astype(str) != ""]
        to_default = {
            str(k): int(v) for k, v in defaulted.groupby("column", sort=False).rows.sum().items()
        }
    counts = {
        "read": len(raw.frame) + len(broken),
        "kept": len(good),
        "rejected": len(rejected),
        "out_of_order": checked.out_of_order,
        "responses_dropped": int(
            responses[["line"] + (["file"] if "file" in responses else [])]
            .drop_duplicates()
            .shape[0]
        )
        if len(responses)
        else 0,
        "ended_without_resolution": ended,
        "ended_by_status": mapped.dropped_by_status if mapped is not None else {},
        "to_default": to_default,
        "repeated_local_times": checked.repeated_times,
        "repeats_across_pages": checked.page_repeats,
    }
    log = IssueLog(
        source,
        good,
        rejected,
        ignored,
        mapping_source,
        skip_invalid,
        tz,
        names,
        responses,
        unmapped,
        counts,
        list(mapped.notes) if mapped is not None else [],
    )
    if timezone is None and mapping is not None and mapping.timezone is None:
        log.notes.append(
            f"the mapping names no timezone:, so the log's times are read in the scenario's "
            f"({tz}); if the export keeps another city's local time, say it (timezone: in the "
            "mapping, or --timezone)"
        )
    log.set_aside_far = set_aside_far
    _far_rows(log, set_aside_far, raw)
    return log


def _check_formats(mapping: Mapping, source: str, raw) -> None:
    """A time_format that cannot read times at all is the mapping's error: say so with the first
    time it would have read, and a format that reads it."""
    from streetchief.issue_log.mappings import format_problems
    from streetchief.issue_log.times import guess_format

    problems = [p for f in mapping.formats or [] for p in format_problems(f)]
    if not problems:
        return
    theirs = mapping.columns.get("reported_at")
    values = raw.frame[theirs].dropna() if theirs in raw.frame else pd.Series([], dtype=object)
    if len(values):
        k = int(np.flatnonzero(raw.frame[theirs].notna().to_numpy())[0])
        first = values.iloc[0]
        guess = guess_format(values.head(20).astype(str).tolist())
        problems.append(
            f"the first time to read ({raw.where(k)} of the export, {theirs!r}) is {first!r}"
            + (f"; it reads with time_format: {guess!r}" if guess else "")
        )
    raise IssueLogError(source, problems, "mapping")


def _unknown_names(frame: pd.DataFrame, checked, scenario: Scenario) -> pd.DataFrame:
    """Without a mapping: the names that are not the scenario's, with their counts."""
    rows = []
    for col, known in (
        ("zone", scenario.zones),
        ("category", scenario.categories),
        ("department", scenario.departments),
    ):
        if col not in frame:
            continue
        v = frame[col]
        bad = v.notna() & ~v.isin(list(known))
        if not bad.any():
            continue
        counts = v[bad].value_counts()
        first = frame.line[bad].groupby(v[bad]).first()
        rows.extend(
            {"column": col, "value": k, "rows": int(c), "first_line": int(first[k]), "became": ""}
            for k, c in counts.items()
        )
    return pd.DataFrame(rows, columns=["column", "value", "rows", "first_line", "became"])


def _rejected(raw, checked, broken: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    """Every row not kept: its line (and file), the reason, and the row as read."""
    parts = []
    many = len(names) > 1
    if len(broken):
        b = broken.copy()
        b["file"] = b["file"] if many else None
        parts.append(
            b[["line", "file", "reason", "text"]] if many else b[["line", "reason", "text"]]
        )
    if len(checked.rejected):
        idx = checked.rejected.index.to_numpy()
        parts.append(_as_read(raw, idx, checked.rejected.reason.to_numpy(), names))
    if not parts:
        return pd.DataFrame(columns=["line", "reason"])
    return pd.concat(parts, ignore_index=True)


def _as_read(raw, idx, reasons, names: list[str]) -> pd.DataFrame:
    """Rows `idx` of the file(s) as read, each with its line (and file) and reason."""
    head = {"line": raw.lines[idx]}
    if len(names) > 1:
        head["file"] = [names[k] for k in raw.files[idx]]
    head["reason"] = reasons
    return pd.concat([pd.DataFrame(head), raw.frame.iloc[idx].reset_index(drop=True)], axis=1)


def _far_rows(log: IssueLog, set_aside: bool = False, raw=None) -> None:
    """Rows that lie far from the rest (a mistyped year): listed, with a note first among the
    notes; kept, unless `set_aside` (--set-aside-far): then a far report's row goes to the
    rejected rows and a far response is dropped (its issue kept), each with its reason. Far means
    more than FAR_IQRS interquartile ranges (and FAR_MIN_DAYS days) from the median report, or a
    response that long after the last report that is not far itself."""
    f = log.frame
    if len(f) < 2:
        return
    origin = f.reported_at.min()

    def hours(col: pd.Series) -> np.ndarray:
        return ((col - origin) / pd.Timedelta(hours=1)).to_numpy(float, na_value=np.nan)

    t = hours(f.reported_at)
    q1, med, q3 = np.percentile(t, [25, 50, 75])
    limit = max(FAR_IQRS * (q3 - q1), FAR_MIN_DAYS * 24.0)
    far_report = np.abs(t - med) > limit
    last_core = t[~far_report].max()
    rows = []
    for k in np.flatnonzero(far_report):
        rows.append(
            (int(f.line.iloc[k]), int(f.file.iloc[k]), "reported_at", f.reported_at.iloc[k])
        )
    late = {}
    for c in OBSERVED_TIMES:
        if c not in f:
            continue
        late[c] = f[c].notna().to_numpy() & (hours(f[c]) > last_core + limit) & ~far_report
        for k in np.flatnonzero(late[c]):
            rows.append((int(f.line.iloc[k]), int(f.file.iloc[k]), c, f[c].iloc[k]))
    if not rows:
        return
    far = pd.DataFrame(rows, columns=["line", "file", "column", "value"]).drop_duplicates(
        subset=["line", "file", "column"]
    )
    start, full = log.window()
    near = log.frame[~far_report]
    span_note = f"the window spans {full / 24:g} days"
    if len(near):
        sub = IssueLog(log.source, near.reset_index(drop=True), timezone=log.timezone)
        sub.frame = sub.frame.copy()
        for c in OBSERVED_TIMES:  # without the far responses
            if c in sub.frame:
                sub.frame.loc[hours(sub.frame[c]) > last_core + limit, c] = pd.NaT
        _, core = sub.window()
        span_note += f" (without them, {core / 24:g})"
    many = len(log.files) > 1
    per_row = far.drop_duplicates(subset=["line", "file"])
    shown = ", ".join(
        f"{where(r.line, log.files[r.file] if log.files else '', 2 if many else 1)} {r.column} "
        f"{r.value:%Y-%m-%d %H:%M}"
        for r in per_row.head(SHOWN).itertuples()
    )
    more = f" and {len(per_row) - SHOWN} more" if len(per_row) > SHOWN else ""
    head = (
        f"{len(per_row):,} row(s) lie far from the rest of the log (more than {limit / 24:.0f} "
        f"days from its median report, or after its last): {shown}{more}"
    )
    reports = int(far_report.sum())
    responses = int(np.logical_or.reduce(list(late.values())).sum()) if late else 0
    if set_aside and len(near):
        _set_far_aside(log, raw, far_report, late)
        log.far_note = (
            f"{head}; set aside (--set-aside-far): {reports:,} report(s) with their rows (among "
            f"the rows rejected, with the reason) and the far responses of {responses:,} issue(s) "
            f"(dropped, the issue kept); the other {len(log.frame):,} issues are read as they "
            f"were, over {log.window()[1] / 24:g} days (with them, {full / 24:g})"
        )
    else:
        kept = f"the other {len(near):,} issue(s)" if reports else f"all {len(f):,} issues"
        log.far_note = (
            f"{head}; {span_note}. A mistyped year? Correct them in the export, or pass "
            f"--set-aside-far to set aside {reports:,} report(s) with their rows and the far "
            f"responses of {responses:,} issue(s), each with its reason, and read {kept}"
        )
    log.notes.insert(0, log.far_note)
    log.counts["far_from_the_rest"] = len(per_row)
    log.far = log.named(far)


def _set_far_aside(log: IssueLog, raw, far_report: np.ndarray, late: dict) -> None:
    """--set-aside-far: far reports' rows to `log.rejected` (the row as read, as for any row
    rejected), far responses to `log.responses` (the issue kept), each with its reason."""
    f = log.frame.copy()
    many = len(log.files) > 1
    why = "far from the rest of the log (a mistyped year?): set aside by --set-aside-far"
    dropped = []
    for c, mask in late.items():
        if mask.any():
            part = pd.DataFrame(
                {
                    "line": f.line[mask].to_numpy(),
                    "file": [log.files[k] for k in f.file[mask]] if many else None,
                    "column": c,
                    "value": f[c][mask].astype(str).to_numpy(),
                    "reason": f"{c} is {why}; the response is dropped, the issue kept",
                }
            )
            dropped.append(part if many else part.drop(columns="file"))
            f.loc[mask, c] = pd.NaT
    if dropped:
        log.responses = pd.concat([log.responses, *dropped], ignore_index=True)
        log.counts["responses_dropped"] += int(
            pd.concat(dropped)[["line", *(["file"] if many else [])]].drop_duplicates().shape[0]
        )
    if far_report.any():
        out = f[far_report]
        read_at = zip(raw.lines, raw.files, strict=True)  # a row's place in the file(s) read
        at = {(int(a), int(b)): k for k, (a, b) in enumerate(read_at)}
        idx = np.array([at[(int(a), int(b))] for a, b in zip(out.line, out.file, strict=True)])
        reasons = [
            f"reported_at {v:%Y-%m-%d %H:%M} is {why}; the row is not read" for v in out.reported_at
        ]
        row = _as_read(raw, idx, reasons, log.files)
        log.rejected = pd.concat([log.rejected, row], ignore_index=True)
        log.counts["rejected"] += len(out)
        log.counts["kept"] -= len(out)
    log.frame = f[~far_report].reset_index(drop=True)
    log._hours = {}
