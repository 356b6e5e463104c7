"""Reading a log's file as text columns: CSV (UTF-8), Parquet, or JSON (a list of objects)."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from streetchief.errors import IssueLogError
from streetchief.issue_log.columns import REQUIRED


def read_table(path: Path, kind: str) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """(every column as text, each row's line number, rows that do not even split into columns)."""
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
        if (
            isinstance(data, dict)
            and len(data) == 1
            and isinstance(next(iter(data.values())), list)
        ):
            data = next(iter(data.values()))  # {"service_requests": [...]}
        if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
            raise IssueLogError(
                source,
                ["must be a list of objects, one per issue (Open311 GeoReport v2 requests.json)"],
            )
        df = pd.DataFrame(data).astype(object)
        df = df.where(df.notna(), None).apply(
            lambda c: c.map(lambda v: None if v is None else str(v))
        )
        return df, np.arange(1, len(df) + 1), empty
    return _read_csv(path)


def _as_text(col: pa.ChunkedArray) -> pd.Series:
    if pa.types.is_timestamp(col.type):  # with or without a zone: ISO text, parsed like any other
        return col.to_pandas().map(lambda v: None if pd.isna(v) else v.isoformat())
    return col.cast(pa.string()).to_pandas().astype(object).where(lambda s: s.notna(), None)


def _read_csv(path: Path) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    import pyarrow.csv as pcsv

    source = str(path)
    try:
        with path.open("rb") as f:
            head = f.readline().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise IssueLogError(
            source,
            ["line 1: not UTF-8 text; save the file as UTF-8 (CSV UTF-8 in spreadsheet programs)"],
        ) from None
    names = next(csv.reader([head]), [])
    if not names or not any(n.strip() for n in names):
        raise IssueLogError(
            source,
            [
                f"line 1: no header; the first line must name the columns ({', '.join(REQUIRED)}, "
                "...)"
            ],
        )
    if len(set(names)) != len(names):
        dup = sorted({n for n in names if names.count(n) > 1})
        raise IssueLogError(source, [f"line 1: column named more than once: {', '.join(dup)}"])
    broken = []
    try:
        table = pcsv.read_csv(
            path,
            parse_options=pcsv.ParseOptions(
                ignore_empty_lines=False,
                invalid_row_handler=lambda row: broken.append(row) or "skip",
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except pa.ArrowInvalid as e:
        msg = str(e)
        if "UTF8" in msg or "utf8" in msg.lower():
            raise IssueLogError(source, ["not UTF-8 text; save the file as UTF-8"]) from None
        raise IssueLogError(source, [f"not readable as CSV ({msg})"]) from None
    if broken:  # rows that do not split into the header's columns: find their lines the slow way
        return _read_csv_slowly(path, names)
    df = table.to_pandas()
    lines = np.arange(2, len(df) + 2)
    blank = df.isna().all(axis=1).to_numpy()  # blank lines hold no issue
    if blank.any():
        df, lines = df[~blank].reset_index(drop=True), lines[~blank]
    return df, lines, pd.DataFrame()


def _read_csv_slowly(path: Path, names: list[str]):
    rows, lines, bad = [], [], []
    csv.field_size_limit(1 << 30)  # a field may be long; the checks say what is wrong with it
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
                    spans = (
                        f"; a quote left open makes lines {start}–{end} one row"
                        if end > start
                        else ""
                    )
                    bad.append(
                        {
                            "line": start,
                            "reason": f"{len(row)} fields where the header has {len(names)}{spans}",
                            "text": ",".join(row)[:1000],
                        }
                    )
        except csv.Error as e:
            raise IssueLogError(
                str(path), [f"line {reader.line_num}: not readable as CSV ({e})"]
            ) from None
    return (
        pd.DataFrame(rows, columns=names, dtype=object),
        np.array(lines, dtype=int),
        pd.DataFrame(bad),
    )
