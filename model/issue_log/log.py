"""An issue log, read and checked: its issues as problems for a replay, in a window of the run."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd

from streetchief.errors import SHOWN, IssueLogError
from streetchief.issue_log.check import check_rows
from streetchief.issue_log.columns import OBSERVED_TIMES, SUFFIXES, TAIL_DAYS
from streetchief.issue_log.formats import read_table
from streetchief.issue_log.mappings import Mapping, load_mapping, to_our_columns
from streetchief.issues import CHIEF
from streetchief.problems import Problems
from streetchief.scenario import Scenario


@dataclass
class IssueLog:
    """A validated log: `frame` has our columns (times as local naive datetimes) and `line`, the
    row's line in the file (row number for Parquet and JSON), in order of reported_at."""

    source: str
    frame: pd.DataFrame
    rejected: pd.DataFrame = field(default_factory=pd.DataFrame)  # line, reason, the row as read
    ignored_columns: list[str] = field(default_factory=list)
    mapping: str | None = None  # the mapping file it was read through
    skip_invalid: bool = False

    def provenance(self) -> dict:
        """Where the issues came from, enough to read them again the same way."""
        from streetchief.provenance import file_hash

        out = {
            "log": self.source,
            "log_sha256": file_hash(self.source) if Path(self.source).is_file() else None,
            "mapping": self.mapping,
            "skip_invalid": self.skip_invalid,
        }
        if self.mapping:
            out["mapping_sha256"] = (
                file_hash(self.mapping) if Path(self.mapping).is_file() else None
            )
        return out

    def __len__(self) -> int:
        return len(self.frame)

    @property
    def has_observed(self) -> bool:
        return any(c in self.frame and self.frame[c].notna().any() for c in OBSERVED_TIMES)

    def window(self, days: float | None = None) -> tuple[datetime, float]:
        """(start, hours): midnight before the first issue; its days + TAIL_DAYS, or `days`."""
        if not len(self.frame):
            raise IssueLogError(self.source, ["no issues to replay"])
        first, last = self.frame.reported_at.iloc[0], self.frame.reported_at.iloc[-1]
        start = datetime.combine(first.date(), datetime.min.time())
        if days is not None:
            return start, 24.0 * days
        span = (last.normalize() - pd.Timestamp(start)).days + 1
        return start, 24.0 * (span + TAIL_DAYS)

    def for_scenario(self, scenario: Scenario, days: float | None = None) -> tuple[Scenario, float]:
        """The scenario, started at the window's start so that calendars fall on the log's dates."""
        start, horizon = self.window(days)
        run = scenario.run.model_copy(update={"start": start, "days": horizon / 24})
        return scenario.model_copy(update={"run": run}), horizon

    def hours(self, column: str, start: datetime) -> np.ndarray:
        return ((self.frame[column] - pd.Timestamp(start)) / pd.Timedelta(hours=1)).to_numpy(
            float, na_value=np.nan
        )

    def split_window(self, start: datetime, horizon: float) -> tuple[pd.DataFrame, pd.DataFrame]:
        """(inside, outside) the run window."""
        t = self.hours("reported_at", start)
        inside = (t >= 0) & (t < horizon)
        return self.frame[inside], self.frame[~inside]

    def to_problems(
        self, scenario: Scenario, seed: int | None = None, days: float | None = None
    ) -> tuple[Scenario, Problems, pd.DataFrame]:
        """(scenario moved to the window, the issues inside it as problems, the rows outside it).
        Times, zones and categories come from the log; work content and unclear responsibility are
        drawn from the seed's streams, as for generated problems, except where the log gives them
        (`work_hours`, `unclear`): a case's own attributes hold in every replication."""
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
            horizon,
            seed,
            replayed=True,
            issue_ids=f.issue_id.to_numpy(object),
            reporters=f.reporter.tolist() if "reporter" in f else None,
            found_by_chief=(f.discovered_by == CHIEF).to_numpy(bool)
            if "discovered_by" in f
            else None,
        )
        for col, column in (("unclear", problems.unclear), ("work_hours", problems.work)):
            if col in f:  # drawn for every row first, so the other rows keep their draws
                given = f[col].notna().to_numpy(bool)
                column[given] = f[col][given].to_numpy(column.dtype)
        return run_scenario, problems, outside


def read_log(
    path: str | Path,
    scenario: Scenario,
    mapping: Mapping | str | Path | None = None,
    skip_invalid: bool = False,
) -> IssueLog:
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
        raise IssueLogError(
            source,
            [
                f"unknown kind of file {path.suffix or '(no suffix)'!r}; allowed: "
                f"{', '.join(SUFFIXES)}"
            ],
        )
    if not path.is_file():
        raise IssueLogError(source, ["no such file"])
    raw, lines, broken = read_table(path, kind)
    frame, ignored = to_our_columns(raw, mapping, source)
    frame.insert(0, "line", lines)
    frame, bad, messages = check_rows(frame, scenario, mapping)
    if len(broken):
        shown = [
            f"line {b.line}: {b.reason} ({b.text[:80]!r}); quote fields that contain commas"
            for b in broken.head(SHOWN).itertuples()
        ]
        more = [f"... and {len(broken) - SHOWN} more such lines"] if len(broken) > SHOWN else []
        messages = shown + more + messages
    if messages and not skip_invalid:
        raise IssueLogError(
            source,
            messages
            + [
                "or pass --skip-invalid to set such rows aside (written with their reasons beside "
                "the results)"
            ],
        )
    rejected = broken
    if len(bad):
        rows = raw.iloc[bad.index.to_numpy()].reset_index(drop=True)
        bad = pd.concat([bad.reset_index(drop=True), rows], axis=1)
        rejected = pd.concat([rejected, bad], ignore_index=True) if len(rejected) else bad
    return IssueLog(
        source, frame.reset_index(drop=True), rejected, ignored, mapping_source, skip_invalid
    )
