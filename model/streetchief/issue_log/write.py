"""Writing issue logs as CSV or Parquet, and the problems a scenario generates as a log."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from streetchief.errors import IssueLogError
from streetchief.files import atomic_write
from streetchief.issue_log.columns import LOG_COLUMNS, SUFFIXES, TIMES
from streetchief.issues import MERCHANT
from streetchief.problems import Problems
from streetchief.scenario import Scenario


def write_log(frame: pd.DataFrame, path: str | Path) -> None:
    """Our format, CSV or Parquet by the suffix; times as ISO 8601 local."""
    path = Path(path)
    kind = SUFFIXES.get(path.suffix.lower())
    out = frame[[c for c in LOG_COLUMNS if c in frame]].copy()
    if kind == "parquet":
        import pyarrow.parquet as pq

        atomic_write(
            path, lambda tmp: pq.write_table(pa.Table.from_pandas(out, preserve_index=False), tmp)
        )
    elif kind == "csv":
        for c in TIMES:
            if c in out:
                out[c] = out[c].map(
                    lambda v: "" if pd.isna(v) else v.isoformat(sep=" ", timespec="auto")
                )
        atomic_write(path, lambda tmp: out.to_csv(tmp, index=False, encoding="utf-8"))
    else:
        raise IssueLogError(str(path), ["write a log as .csv or .parquet"])


def arrivals_frame(problems: Problems, scenario: Scenario) -> pd.DataFrame:
    """The problems a scenario generates, as a log: all of them, before anyone decides to report."""
    start = pd.Timestamp(scenario.run.start)
    zones, cats = list(scenario.zones), list(scenario.categories)
    merchants = [z.merchants for z in scenario.zones.values()]
    reporter = [
        f"{zones[z]}/{int(u * merchants[z]) + 1:03d}"
        for z, u in zip(problems.zone, problems.merchant_u, strict=True)
    ]
    return pd.DataFrame(
        {
            "reported_at": start + pd.to_timedelta(problems.time * 3600e6, unit="us").round("us"),
            "issue_id": np.arange(1, len(problems) + 1).astype(str),
            "zone": np.asarray(zones, dtype=object)[problems.zone],
            "category": np.asarray(cats, dtype=object)[problems.category],
            "reporter": reporter,
            "discovered_by": MERCHANT,
        }
    )
