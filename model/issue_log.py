"""Issue logs: arrivals (and, when known, the observed response) in and out, as CSV or Parquet.

The format, one row per reported issue, in order of `reported_at`:

  reported_at      required  ISO 8601 date-time, local (2019-10-23 19:40) or with an offset (…+08:00, …Z)
  zone             required  a zone key of the scenario (or mapped to one, see `Mapping`)
  category         required  a category key of the scenario
  issue_id         optional  unique; row numbers are used when absent
  reporter         optional  who posted it (a shop's name, a merchant key)
  discovered_by    optional  merchant (default) or chief (found on patrol)
  description      optional  free text, carried along
  acknowledged_at, resolved_at, closed_at   optional  the observed response (empty where unknown)
  department       optional  who handled it (a department key)

Times with an offset are converted to the scenario's `run.timezone`. A replay window starts at
midnight before the first issue and, unless `days` is given, lasts until midnight after the last
one plus `TAIL_DAYS`, so that the last issues have time to be resolved.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from streetchief.issues import CHIEF, MERCHANT, Problems
from streetchief.scenario import Scenario, ScenarioError, _describe

REQUIRED = ("reported_at", "zone", "category")
OPTIONAL = ("issue_id", "reporter", "discovered_by", "description", "acknowledged_at", "resolved_at",
            "closed_at", "department")
LOG_COLUMNS = REQUIRED[:1] + ("issue_id",) + REQUIRED[1:] + OPTIONAL[1:]
TIMES = ("reported_at", "acknowledged_at", "resolved_at", "closed_at")
OBSERVED_TIMES = TIMES[1:]
TAIL_DAYS = 7
SHOWN = 8             # examples of each kind of problem in an error message
_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"
SUFFIXES = {".csv": "csv", ".txt": "csv", ".parquet": "parquet", ".pq": "parquet", ".json": "json"}


class IssueLogError(ScenarioError):
    """An issue log (or mapping) that cannot be used; `problems` says where and how to fix it."""

    def __init__(self, source: str, problems: list[str], what: str = "issue log"):
        if len(problems) > 2 * SHOWN:
            problems = problems[:2 * SHOWN] + [f"... and {len(problems) - 2 * SHOWN} more"]
        super().__init__(source, problems)
        self.what = what


# --- mapping files: another system's export → our format ------------------------------------
class ResolvedWhen(BaseModel):
    model_config = ConfigDict(extra="forbid")
    column: str = Field(description="their status column")
    values: list[str] = Field(min_length=1, description="statuses meaning resolved, e.g. [Closed]")


class Mapping(BaseModel):
    """How to read another system's export: its columns, time format and names, in our terms."""
    model_config = ConfigDict(extra="forbid")
    description: str = ""
    columns: dict[str, str] = Field(description="our column → their column (the same one may feed two of ours)")
    time_format: str | None = Field(None, description="strptime format of their times; ISO 8601 when absent")
    categories: dict[str, str] = Field({}, description="their category value → our category key")
    zones: dict[str, str] = Field({}, description="their street/area value → our zone key")
    departments: dict[str, str] = Field({}, description="their agency value → our department key")
    resolved_when: ResolvedWhen | None = Field(None, description="keep resolved_at/closed_at only for these statuses")


def load_mapping(path: str | Path) -> Mapping:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise IssueLogError(str(path), [f"cannot read the mapping: {e}"], "mapping") from None
    if not isinstance(raw, dict):
        raise IssueLogError(str(path), ["(top level): must be a mapping with columns:, categories:, zones:, ..."],
                            "mapping")
    try:
        m = Mapping.model_validate(raw)
    except ValidationError as e:
        raise IssueLogError(str(path), [_describe(err, Mapping) for err in e.errors()], "mapping") from None
    unknown = sorted(set(m.columns) - set(LOG_COLUMNS))
    if unknown:
        raise IssueLogError(str(path), [f"columns: {', '.join(unknown)} not in the issue-log format; "
                                        f"allowed: {', '.join(LOG_COLUMNS)}"], "mapping")
    return m


# --- reading ------------------------------------------------------------------------------------
@dataclass
class IssueLog:
    """A validated log: `frame` has our columns (times as local naive datetimes) and `line`, the row's
    line in the file (row number for Parquet and JSON), in order of reported_at."""
    source: str
    frame: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)   # line, reason, the row as read
    ignored_columns: list[str] = field(default_factory=list)
    mapping: str | None = None          # the mapping file it was read through
    skip_invalid: bool = False

    def provenance(self) -> dict:
        """Where the issues came from, enough to read them again the same way."""
        from streetchief.provenance import file_hash
        out = {"log": self.source, "log_sha256": file_hash(self.source) if Path(self.source).is_file() else None,
               "mapping": self.mapping, "skip_invalid": self.skip_invalid}
        if self.mapping:
            out["mapping_sha256"] = file_hash(self.mapping) if Path(self.mapping).is_file() else None
        return out

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def has_observed(self) -> bool:
        return any(c in self.frame and self.frame[c].notna().any() for c in OBSERVED_TIMES)

    def window(self, days: float | None = None) -> tuple[datetime, float]:
        """(start, hours): midnight before the first issue; the log's days plus TAIL_DAYS, or `days`."""
        if not len(self.frame):
            raise IssueLogError(self.source, ["no issues to replay"])
        first, last = self.frame.reported_at.iloc[0], self.frame.reported_at.iloc[-1]
        start = datetime.combine(first.date(), datetime.min.time())
        if days is not None:
            return start, 24.0 * days
        span = (last.normalize() - pd.Timestamp(start)).days + 1
        return start, 24.0 * (span + TAIL_DAYS)

    def for_scenario(self, scenario: Scenario, days: float | None = None) -> tuple[Scenario, float]:
        """The scenario with its start moved to the window's, so calendars fall on the log's dates."""
        start, horizon = self.window(days)
        run = scenario.run.model_copy(update={"start": start, "days": horizon / 24})
        return scenario.model_copy(update={"run": run}), horizon

    def hours(self, column: str, start: datetime) -> np.ndarray:
        return ((self.frame[column] - pd.Timestamp(start)) / pd.Timedelta(hours=1)).to_numpy(float, na_value=np.nan)

    def split_window(self, start: datetime, horizon: float) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(inside, outside) the run window."""
        t = self.hours("reported_at", start)
        inside = (t >= 0) & (t < horizon)
        return self.frame[inside], self.frame[~inside]

    def to_problems(self, scenario: Scenario, seed: int | None = None, days: float | None = None
                    ) -> tuple[Scenario, Problems, pd.DataFrame]:
        """(scenario moved to the window, the issues inside it as problems, the rows outside it).
        Times, zones and categories come from the log; work content and unclear responsibility are
        drawn from the seed's streams, as for generated problems."""
        run_scenario, horizon = self.for_scenario(scenario, days)
        start = run_scenario.run.start
        inside, outside = self.split_window(start, horizon)
        seed = scenario.run.seed if seed is None else seed
        f = inside
        problems = Problems.with_attributes(
            run_scenario,
            ((f.reported_at - pd.Timestamp(start)) / pd.Timedelta(hours=1)).to_numpy(float),
            pd.Categorical(f.category, categories=list(scenario.categories)).codes.astype(np.int64),
            pd.Categorical(f.zone, categories=list(scenario.zones)).codes.astype(np.int64),
            horizon, seed, replayed=True,
            issue_ids=f.issue_id.to_numpy(object),
            reporters=f.reporter.tolist() if "reporter" in f else None,
            found_by_chief=(f.discovered_by == CHIEF).to_numpy(bool) if "discovered_by" in f else None)
        return run_scenario, problems, outside


def read_log(path: str | Path, scenario: Scenario, mapping: Mapping | str | Path | None = None,
             skip_invalid: bool = False) -> IssueLog:
    """Read and check a log. Every problem names the file, the line and the fix; with `skip_invalid`
    the bad rows go to `IssueLog.rejected` with their reasons instead."""
    path = Path(path)
    source = str(path)
    mapping_source = None
    if mapping is not None and not isinstance(mapping, Mapping):
        mapping_source = str(mapping)
        mapping = load_mapping(mapping)
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise IssueLogError(source, [f"unknown kind of file {path.suffix or '(no suffix)'!r}; "
                                     f"allowed: {', '.join(SUFFIXES)}"])
    if not path.is_file():
        raise IssueLogError(source, ["no such file"])
    raw, lines, broken = _read_table(path, kind)
    frame, ignored = _to_our_columns(raw, mapping, source)
    frame.insert(0, "line", lines)
    frame, bad, messages = _check(frame, scenario, mapping)
    if len(broken):
        shown = [f"line {b.line}: {b.reason} ({b.text[:80]!r}); quote fields that contain commas"
                 for b in broken.head(SHOWN).itertuples()]
        more = [f"... and {len(broken) - SHOWN} more such lines"] if len(broken) > SHOWN else []
        messages = shown + more + messages
    if messages and not skip_invalid:
        raise IssueLogError(source, messages + ["or pass --skip-invalid to set such rows aside (written with their "
                                                "reasons beside the results)"])
    rejected = broken
    if len(bad):
        rows = raw.iloc[bad.index.to_numpy()].reset_index(drop=True)
        bad = pd.concat([bad.reset_index(drop=True), rows], axis=1)
        rejected = pd.concat([rejected, bad], ignore_index=True) if len(rejected) else bad
    return IssueLog(source, frame.reset_index(drop=True), rejected, ignored, mapping_source, skip_invalid)


def _read_table(path: Path, kind: str) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """(every column as text, each row's line number, rows that could not even be split into columns)."""
    source = str(path)
    empty = pd.DataFrame()
    if kind == "parquet":
        import pyarrow.parquet as pq
        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as e:
            raise IssueLogError(source, [f"not a readable Parquet file ({e})"]) from None
        df = pd.DataFrame({c: _as_text(table[c]) for c in table.column_names})
        return df, np.arange(1, len(df) + 1), empty
    if kind == "json":
        import json
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except (UnicodeDecodeError, ValueError) as e:
            raise IssueLogError(source, [f"not valid UTF-8 JSON ({e})"]) from None
        if isinstance(data, dict) and len(data) == 1 and isinstance(next(iter(data.values())), list):
            data = next(iter(data.values()))          # {"service_requests": [...]}
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise IssueLogError(source, ["must be a list of objects, one per issue (Open311 GeoReport v2 requests.json)"])
        df = pd.DataFrame(data).astype(object)
        df = df.where(df.notna(), None).apply(lambda c: c.map(lambda v: None if v is None else str(v)))
        return df, np.arange(1, len(df) + 1), empty
    return _read_csv(path)


def _as_text(col: pa.ChunkedArray) -> pd.Series:
    if pa.types.is_timestamp(col.type):      # with or without a zone: ISO text, parsed like any other
        return col.to_pandas().map(lambda v: None if pd.isna(v) else v.isoformat())
    return col.cast(pa.string()).to_pandas().astype(object).where(lambda s: s.notna(), None)


def _read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    import pyarrow.csv as pcsv
    source = str(path)
    try:
        with path.open("rb") as f:
            head = f.readline().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IssueLogError(source, ["line 1: not UTF-8 text; save the file as UTF-8 (CSV UTF-8 in spreadsheet "
                                     "programs)"]) from None
    names = next(csv.reader([head]), [])
    if not names or not any(n.strip() for n in names):
        raise IssueLogError(source, ["line 1: no header; the first line must name the columns "
                                     f"({', '.join(REQUIRED)}, ...)"])
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise IssueLogError(source, [f"line 1: column named more than once: {', '.join(dup)}"])
    broken = []
    try:
        table = pcsv.read_csv(
            path, parse_options=pcsv.ParseOptions(ignore_empty_lines=False,
                                                   invalid_row_handler=lambda row: broken.append(row) or "skip"),
            convert_options=pcsv.ConvertOptions(column_types={n: pa.string() for n in names},
                                                strings_can_be_null=True, null_values=[""]))
    except pa.ArrowInvalid as e:
        msg = str(e)
        if "UTF8" in msg or "utf8" in msg.lower():
            raise IssueLogError(source, ["not UTF-8 text; save the file as UTF-8"]) from None
        raise IssueLogError(source, [f"not readable as CSV ({msg})"]) from None
    if broken:     # rows that do not split into the header's columns: find their lines the slow way
        return _read_csv_slowly(path, names)
    df = table.to_pandas()
    lines = np.arange(2, len(df) + 2)
    blank = df.isna().all(axis=1).to_numpy()        # blank lines hold no issue
    if blank.any():
        df, lines = df[~blank].reset_index(drop=True), lines[~blank]
    return df, lines, pd.DataFrame()


def _read_csv_slowly(path: Path, names: list[str]):
    rows, lines, bad = [], [], []
    csv.field_size_limit(1 << 30)            # a field may be long; the checks say what is wrong with it
    with path.open(encoding="utf-8-sig", newline="", errors="replace") as f:
        reader = csv.reader(f)
        next(reader)
        try:
            end = reader.line_num
            for row in reader:
                start, end = end + 1, reader.line_num
                if len(row) == len(names):
                    rows.append([v if v != "" else None for v in row])
                    lines.append(start)
                elif row and any(row):
                    spans = f"; a quote left open makes lines {start}–{end} one row" if end > start else ""
                    bad.append({"line": start, "reason": f"{len(row)} fields where the header has {len(names)}{spans}",
                                "text": ",".join(row)[:1000]})
        except csv.Error as e:
            raise IssueLogError(str(path), [f"line {reader.line_num}: not readable as CSV ({e})"]) from None
    return pd.DataFrame(rows, columns=names, dtype=object), np.array(lines, dtype=int), pd.DataFrame(bad)


def _to_our_columns(raw: pd.DataFrame, mapping: Mapping | None, source: str) -> tuple[pd.DataFrame, list[str]]:
    if mapping is None:
        ignored = [c for c in raw.columns if c not in LOG_COLUMNS]
        missing = [c for c in REQUIRED if c not in raw.columns]
        if missing:
            header = ",".join(map(str, raw.columns))
            sep = next((f"{name} ({c!r})" for c, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars"))
                        if c in header), None)
            fix = f"the fields seem separated by {sep}: save it with commas" if sep and len(raw.columns) == 1 else \
                "rename them, or read another system's export with --mapping FILE"
            raise IssueLogError(source, [f"missing column{'s' * (len(missing) > 1)} {', '.join(missing)}; the file "
                                         f"has: {', '.join(map(str, raw.columns))}; {fix}"])
        return raw[[c for c in LOG_COLUMNS if c in raw.columns]].copy(), ignored
    absent = [f"{ours}: column {theirs!r}" for ours, theirs in mapping.columns.items() if theirs not in raw.columns]
    missing = [c for c in REQUIRED if c not in mapping.columns]
    if absent or missing:
        raise IssueLogError(source, [f"the mapping reads {a}, which the file does not have" for a in absent]
                            + [f"the mapping does not say which column holds {c}" for c in missing]
                            + [f"the file has: {', '.join(map(str, raw.columns))}"])
    out = pd.DataFrame({ours: raw[theirs] for ours, theirs in mapping.columns.items()})
    for col, table in (("category", mapping.categories), ("zone", mapping.zones), ("department", mapping.departments)):
        if col in out and table:
            lookup = {str(k).strip().casefold(): v for k, v in table.items()}
            out[col] = out[col].map(lambda v, lookup=lookup: v if pd.isna(v) else lookup.get(str(v).strip().casefold(), v))
    if mapping.resolved_when is not None:
        rw = mapping.resolved_when
        if rw.column not in raw.columns:
            raise IssueLogError(source, [f"the mapping's resolved_when reads column {rw.column!r}, which the file "
                                         "does not have"])
        done = raw[rw.column].map(lambda v: v is not None and str(v).strip().casefold()
                                  in {x.casefold() for x in rw.values})
        for c in ("resolved_at", "closed_at"):
            if c in out:
                out[c] = out[c].where(done, None)
    return out[[c for c in LOG_COLUMNS if c in out.columns]], []


def _parse_times(values: pd.Series, tz: str, fmt: str | None) -> pd.Series:
    """Local naive datetimes; NaT where empty or unparseable."""
    s = values.astype("string")
    present = s.notna()
    aware = s.str.contains(_OFFSET, regex=True, na=False).to_numpy(bool)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    kw = {"format": fmt or "ISO8601", "errors": "coerce"}
    if (~aware & present.to_numpy()).any():
        naive = pd.to_datetime(s[~aware & present.to_numpy()], **kw)
        if getattr(naive.dt, "tz", None) is not None:
            naive = naive.dt.tz_localize(None)
        out[naive.index] = naive.astype("datetime64[us]")
    if aware.any():
        conv = pd.to_datetime(s[aware], utc=True, **kw).dt.tz_convert(tz).dt.tz_localize(None)
        out[conv.index] = conv.astype("datetime64[us]")
    return out


def _check(frame: pd.DataFrame, scenario: Scenario, mapping: Mapping | None
           ) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(the valid rows, parsed; the invalid ones as line, reason; a message per kind of problem)."""
    n = len(frame)
    reason = pd.Series([None] * n, index=frame.index, dtype=object)
    messages: list[str] = []
    lines = frame.line

    def flag(mask, why_per_row, summary):
        mask = pd.Series(np.asarray(mask, bool), index=frame.index)
        if not mask.any():
            return
        new = mask & reason.isna()
        reason[new] = why_per_row(new) if callable(why_per_row) else why_per_row
        messages.append(summary(mask))

    def first_lines(mask, k=SHOWN):
        ln = lines[mask].tolist()
        return ", ".join(map(str, ln[:k])) + (f" and {len(ln) - k} more" if len(ln) > k else "")

    for col in REQUIRED:
        empty = frame[col].isna() | (frame[col].astype("string").str.strip() == "").fillna(True)
        flag(empty, f"{col} is empty", lambda m, col=col: f"line {first_lines(m)}: {col} is empty; every issue needs one")
    fmt = mapping.time_format if mapping else None
    example = f"write e.g. {datetime(2019, 10, 23, 19, 40).strftime(fmt)}" if fmt else \
        "write ISO 8601, e.g. 2019-10-23T19:40 or 2019-10-23 19:40:00+08:00"
    for col in TIMES:
        if col not in frame:
            continue
        given = frame[col].notna()
        parsed = _parse_times(frame[col], scenario.run.timezone, fmt)
        bad = given & parsed.isna()
        flag(bad, lambda m, col=col: f"{col}: " + frame[col][m].astype(str).map(repr) + " is not a date-time",
             lambda m, col=col: f"line {first_lines(m)}: {col} is not a date-time "
                                f"({', '.join(repr(v) for v in frame[col][m].head(3))}); {example}")
        frame[col] = parsed
    for col, known, how in (("zone", scenario.zones, "zones"), ("category", scenario.categories, "categories"),
                            ("department", scenario.departments, "departments")):
        if col not in frame:
            continue
        val = frame[col]
        unknown = val.notna() & ~val.isin(list(known))
        if col != "department":
            unknown &= reason.isna() | ~reason.astype(str).str.startswith(f"{col} is empty")
        def summary(m, col=col, known=known, how=how):
            vals = frame[col][m].value_counts()
            shown = ", ".join(f"{v!r} ({c}×, first on line {lines[m & (frame[col] == v)].iloc[0]})"
                              for v, c in vals.head(SHOWN).items())
            more = f" and {len(vals) - SHOWN} more names" if len(vals) > SHOWN else ""
            return (f"unknown {col} {shown}{more}; known {how}: {', '.join(known)}. Rename them in the log, or "
                    f"map them with --mapping FILE ({how}: {{their name: our key}})")
        flag(unknown, lambda m, col=col, val=val: "unknown " + col + " " + val[m].astype(str).map(repr), summary)
    if "discovered_by" in frame:
        d = frame.discovered_by
        flag(d.notna() & ~d.isin([MERCHANT, CHIEF]), "discovered_by must be merchant or chief",
             lambda m: f"line {first_lines(m)}: discovered_by must be {MERCHANT} or {CHIEF} (or empty)")
    if "issue_id" in frame:
        ids = frame.issue_id
        dup = ids.notna() & ids.duplicated(keep=False)
        first_of = ids[dup].map(lambda v: lines[dup & (ids == v)].iloc[0]) if dup.any() else pd.Series(dtype=object)
        later = dup & ids.duplicated(keep="first")
        flag(later, lambda m: "issue_id " + ids[m].astype(str).map(repr) + " already used on line "
             + first_of.reindex(frame.index)[m].astype(str),
             lambda m: f"line {first_lines(m)}: issue_id already used on an earlier line "
                       f"(e.g. {ids[m].iloc[0]!r}, first on line {first_of[m].iloc[0]}); ids must be unique")
    for col in OBSERVED_TIMES:
        if col in frame:
            early = frame[col].notna() & frame.reported_at.notna() & (frame[col] < frame.reported_at)
            flag(early, f"{col} before reported_at",
                 lambda m, col=col: f"line {first_lines(m)}: {col} is before reported_at; check the columns")
    # order: among rows otherwise valid, each must not be earlier than any before it
    ok = reason.isna()
    t = frame.reported_at.where(ok)
    before = t.ffill().cummax().shift(1)
    late = ok & (t < before)
    flag(late, "reported before the row above it (the log must be in order of reported_at)",
         lambda m: f"line {first_lines(m)}: reported_at earlier than a row above it; sort the log by reported_at")
    bad = reason.notna()
    good = frame[~bad].copy()
    if "issue_id" not in good:
        good.insert(1, "issue_id", good.line.astype(str))
    good["issue_id"] = good.issue_id.where(good.issue_id.notna(), good.line.astype(str)).astype(str)
    rejected = pd.DataFrame({"line": lines[bad], "reason": reason[bad]})
    return good, rejected, messages


# --- writing -------------------------------------------------------------------------------------
def write_log(frame: pd.DataFrame, path: str | Path) -> None:
    """Our format, CSV or Parquet by the suffix; times as ISO 8601 local."""
    from streetchief.records import atomic_write
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    out = frame[[c for c in LOG_COLUMNS if c in frame]].copy()
    if kind == "parquet":
        import pyarrow.parquet as pq
        atomic_write(path, lambda tmp: pq.write_table(pa.Table.from_pandas(out, preserve_index=False), tmp))
    elif kind == "csv":
        for c in TIMES:
            if c in out:
                out[c] = out[c].map(lambda v: "" if pd.isna(v) else v.isoformat(sep=" ", timespec="auto"))
        atomic_write(path, lambda tmp: out.to_csv(tmp, index=False, encoding="utf-8"))
    else:
        raise IssueLogError(str(path), ["write a log as .csv or .parquet"])


def arrivals_frame(problems: Problems, scenario: Scenario) -> pd.DataFrame:
    """The problems a scenario generates, as a log (every problem, before anyone decides to report it)."""
    start = pd.Timestamp(scenario.run.start)
    zones, cats = list(scenario.zones), list(scenario.categories)
    merchants = [z.merchants for z in scenario.zones.values()]
    reporter = [f"{zones[z]}/{int(u * merchants[z]) + 1:03d}" for z, u in zip(problems.zone, problems.merchant_u)]
    return pd.DataFrame({
        "reported_at": start + pd.to_timedelta(problems.time * 3600e6, unit="us").round("us"),
        "issue_id": np.arange(1, len(problems) + 1).astype(str),
        "zone": np.asarray(zones, dtype=object)[problems.zone],
        "category": np.asarray(cats, dtype=object)[problems.category],
        "reporter": reporter,
        "discovered_by": MERCHANT,
    })


# --- the recorded history, as if it were a run ----------------------------------------------
def recorded_table(log: IssueLog, scenario: Scenario, start: datetime, horizon: float) -> pa.Table:
    """The log's observed responses as per-issue records (arrangement = recorded), on the issues inside the
    window; what happened after the window's end counts as not yet happened, as in a simulated run."""
    from streetchief.records import COLUMNS
    f, _ = log.split_window(start, horizon)
    sub = IssueLog(log.source, f)
    hours = {c: (sub.hours(c, start) if c in f else np.full(len(f), np.nan)) for c in TIMES}
    for c in OBSERVED_TIMES:
        hours[c] = np.where(hours[c] <= horizon, hours[c], np.nan)
    cats = scenario.categories
    deadline = hours["reported_at"] + f.category.map(lambda c: cats[c].deadline_hours).to_numpy(float)
    resolved = hours["resolved_at"]
    dept = f.department.where(f.department.notna(), f.category.map(lambda c: cats[c].department)) \
        if "department" in f else f.category.map(lambda c: cats[c].department)
    n = len(f)
    text = lambda col, default=None: pa.array([default] * n if col not in f else
                                              f[col].where(f[col].notna(), default).tolist(), pa.string())
    table = pa.table({
        "issue_id": pa.array(f.issue_id.tolist(), pa.string()),
        "arrangement": pa.array(["recorded"] * n, pa.string()).dictionary_encode(),
        "category": pa.array(f.category.tolist(), pa.string()).dictionary_encode(),
        "zone": pa.array(f.zone.tolist(), pa.string()).dictionary_encode(),
        "reporter": text("reporter"),
        "discovered_by": text("discovered_by", MERCHANT).dictionary_encode(),
        "reported_at": hours["reported_at"],
        "acknowledged_at": hours["acknowledged_at"],
        "dispatched_at": np.full(n, np.nan),
        "resolved_at": resolved,
        "closed_at": hours["closed_at"],
        "department": pa.array(dept.tolist(), pa.string()).dictionary_encode(),
        "hops": pa.nulls(n, pa.int32()),
        "bounces": pa.nulls(n, pa.int32()),
        "coordinated": pa.nulls(n, pa.bool_()),
        "deadline_at": deadline,
        "on_time": pa.array(np.where(np.isnan(resolved), False, resolved <= deadline),
                            mask=np.isnan(resolved) & (deadline > horizon)),
    })
    assert table.column_names == COLUMNS
    return table


def replay_window_text(start: datetime, horizon: float) -> str:
    end = start + timedelta(hours=horizon)
    return f"{start:%Y-%m-%d %H:%M} → {end:%Y-%m-%d %H:%M} ({horizon / 24:g} days)"
