"""Reading a log's files as text columns: CSV, Parquet, JSON, JSON Lines, Socrata rows.json and
Open311 GeoReport v2 XML; several files (pages of one export) are read as one table.

Every row keeps where it came from (its file and line, or its position for JSON and XML), so that
each can be named when it is rejected.
"""

from __future__ import annotations

import csv
import glob
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from streetchief.errors import IssueLogError
from streetchief.issue_log.columns import MAX_DEPTH, REQUIRED, SUFFIXES


@dataclass
class RawTable:
    """Every column as text (None where empty); per row its line (or position) and file index."""

    frame: pd.DataFrame
    lines: np.ndarray
    files: np.ndarray
    broken: pd.DataFrame  # rows that do not even split into columns: file, line, reason, text
    paths: list[Path]

    def where(self, k: int) -> str:
        """'line N' of row k, with its file when there are several."""
        return where(self.lines[k], self.paths[self.files[k]], len(self.paths))


def where(line, path, files: int) -> str:
    return f"line {line}" + (f" of {Path(path).name}" if files > 1 else "")


def expand(paths) -> list[Path]:
    """The files meant: paths as given, and glob patterns (pages/*.json) expanded, sorted."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Path] = []
    for p in paths:
        text = str(p)
        if not Path(text).exists() and any(c in text for c in "*?["):
            hits = sorted(glob.glob(text))
            if not hits:
                raise IssueLogError(text, ["no file matches this pattern"])
            out.extend(Path(h) for h in hits)
        else:
            out.append(Path(text))
    seen, unique = set(), []
    for p in out:  # a page named twice is read once
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def kind_of(path: Path) -> str:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise IssueLogError(
            str(path),
            [
                f"unknown kind of file {path.suffix or '(no suffix)'!r}; allowed: "
                f"{', '.join(SUFFIXES)}"
            ],
        )
    if not path.is_file():
        raise IssueLogError(str(path), ["no such file"])
    return kind


def read_files(paths: list[Path], columns: set[str] | None = None) -> RawTable:
    """All the files as one table (their columns united); `columns`, when given, are all that is
    needed (a CSV reads only those)."""
    frames, lines, files, broken = [], [], [], []
    for k, path in enumerate(paths):
        df, ln, bad = read_table(path, kind_of(path), columns)
        frames.append(df)
        lines.append(np.asarray(ln, dtype=np.int64))
        files.append(np.full(len(df), k, dtype=np.int64))
        if len(bad):
            broken.append(bad.assign(file=str(path)))
    frame = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
    frame = frame.astype(object).where(frame.notna(), None) if len(frames) > 1 else frame
    return RawTable(
        frame.reset_index(drop=True),
        np.concatenate(lines) if lines else np.zeros(0, np.int64),
        np.concatenate(files) if files else np.zeros(0, np.int64),
        pd.concat(broken, ignore_index=True) if broken else pd.DataFrame(),
        list(paths),
    )


def read_table(
    path: Path, kind: str, columns: set[str] | None = None
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """(every column as text, each row's line number, rows that do not even split into columns)."""
    source = str(path)
    empty = pd.DataFrame()
    if kind == "parquet":
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (pa.ArrowException, OSError) as e:
            raise IssueLogError(source, [f"not a readable Parquet file ({e})"]) from None
        names = [c for c in table.column_names if columns is None or c in columns]
        df = pd.DataFrame({c: _as_text(table[c]) for c in names}, index=range(table.num_rows))
        return df, np.arange(1, len(df) + 1), empty
    if kind == "json":
        df = _records(_read_json(path))
        return df, np.arange(1, len(df) + 1), empty
    if kind == "jsonl":
        return _read_json_lines(path)
    if kind == "xml":
        df = _records(_read_xml(path))
        return df, np.arange(1, len(df) + 1), empty
    return _read_csv(path, columns)


def _records(data: list[dict]) -> pd.DataFrame:
    """A list of flat objects (one per issue) as text columns."""
    if not data:
        return pd.DataFrame()
    df = pd.DataFrame.from_records(data)
    out = {}
    for c in df.columns:
        out[str(c)] = [None if _missing(v) else _text(v) for v in df[c].tolist()]
    return pd.DataFrame(out, index=range(len(df)), dtype=object)


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _text(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return str(int(v))  # 13.0 from a JSON number is the code 13
    if isinstance(v, (dict, list)):
        return json.dumps(v, ensure_ascii=False)
    return str(v)


def _load_json_text(path: Path):
    source = str(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise IssueLogError(source, [f"not UTF-8 text ({e})"]) from None
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except RecursionError:
        raise IssueLogError(
            source, [f"nested too deeply to be an export (more than {MAX_DEPTH} levels)"]
        ) from None
    except _DuplicateKey as e:
        key, first, second = e.args
        where = _duplicate_line(text, key)
        raise IssueLogError(
            source,
            [
                f"the key {key!r} appears twice in one object{where} ({first!r}, then "
                f"{second!r}): one of its values would be lost; export it again, or keep one"
            ],
        ) from None
    except ValueError as e:
        raise IssueLogError(source, [f"not valid JSON ({e})"]) from None


class _DuplicateKey(ValueError):
    pass


def _no_duplicate_keys(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise _DuplicateKey(k, out[k], v)
        out[k] = v
    return out


def _duplicate_line(text: str, key: str) -> str:
    """', line N': where the key's second appearance in one (flat) object is, if it can be told."""
    import re

    at = [m.start() for m in re.finditer(re.escape(json.dumps(key)) + r"\s*:", text)]
    for a, b in zip(at, at[1:], strict=False):
        if not re.search(r"[{}]", text[a:b]):
            return f", line {text.count(chr(10), 0, b) + 1}"
    return ""


def _read_json(path: Path) -> list[dict]:
    """Open311 GeoReport v2 requests.json (a list, or {"service_requests": [...]}), a list of
    objects, or Socrata's rows.json (meta.view.columns and data)."""
    source = str(path)
    data = _load_json_text(path)
    if isinstance(data, dict) and isinstance(data.get("data"), list) and "meta" in data:
        return _socrata(data, source)
    if isinstance(data, dict) and len(data) == 1:
        inner = next(iter(data.values()))
        if isinstance(inner, dict) and len(inner) == 1:  # {"service_requests": {"request": [...]}}
            inner = next(iter(inner.values()))
        if isinstance(inner, list):
            data = inner
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise IssueLogError(
            source,
            [
                "must be a list of objects, one per issue (Open311 GeoReport v2 requests.json), "
                "JSON Lines (.jsonl) or Socrata rows.json"
            ],
        )
    _check_flat(data, source)
    return data


def _check_flat(rows: list[dict], source: str) -> None:
    """Fields may hold small objects (a location); anything deeper is not an export."""
    from streetchief.issue_log.mappings import _depth

    for k, r in enumerate(rows):
        for v in r.values():
            if isinstance(v, (dict, list)) and _depth(v) > MAX_DEPTH - 2:
                raise IssueLogError(
                    source, [f"issue {k + 1}: a field nested more than {MAX_DEPTH} levels deep"]
                )


def _socrata(data: dict, source: str) -> list[dict]:
    try:
        cols = data["meta"]["view"]["columns"]
        names = [str(c.get("name") or c.get("fieldName")) for c in cols]
    except (KeyError, TypeError, AttributeError):
        raise IssueLogError(
            source, ["Socrata rows.json without meta.view.columns: export it again with them"]
        ) from None
    rows = []
    for k, r in enumerate(data["data"]):
        if not isinstance(r, list) or len(r) != len(names):
            raise IssueLogError(
                source,
                [
                    f"data[{k}]: {len(r) if isinstance(r, list) else 'not a'} list of "
                    f"{len(names)} values, one per column of meta.view.columns"
                ],
            )
        rows.append(dict(zip(names, r, strict=True)))
    _check_flat(rows, source)
    return rows


def _read_json_lines(path: Path) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """One JSON object a line; a line that is not one is set aside with its reason."""
    source = str(path)
    rows, lines, bad = [], [], []
    try:
        with path.open(encoding="utf-8-sig") as f:
            for n, text in enumerate(f, start=1):
                if not text.strip():
                    continue
                try:
                    obj = json.loads(text, object_pairs_hook=_no_duplicate_keys)
                except RecursionError:
                    obj, why = None, f"nested more than {MAX_DEPTH} levels deep"
                except _DuplicateKey as e:
                    key, first, second = e.args
                    obj, why = None, f"the key {key!r} twice ({first!r}, then {second!r})"
                except ValueError as e:
                    obj, why = None, f"not JSON ({e})"
                else:
                    why = None if isinstance(obj, dict) else "not a JSON object"
                if why is None:
                    from streetchief.issue_log.mappings import _depth

                    if _depth(obj) > MAX_DEPTH:
                        why = f"nested more than {MAX_DEPTH} levels deep"
                if why:
                    bad.append({"line": n, "reason": why, "text": text.strip()[:1000]})
                    continue
                rows.append(obj)
                lines.append(n)
    except UnicodeDecodeError as e:
        raise IssueLogError(source, [f"not UTF-8 text ({e})"]) from None
    if bad and not rows:  # not one issue: say why, rather than that columns are missing
        raise IssueLogError(
            source,
            [f"line {b['line']}: {b['reason']}" for b in bad[:8]]
            + ["JSON Lines holds one JSON object (an issue) a line"],
        )
    return _records(rows), np.asarray(lines, dtype=np.int64), pd.DataFrame(bad)


def _read_xml(path: Path) -> list[dict]:
    """Open311 GeoReport v2 XML: <service_requests><request><field>text</field>...; each child of
    the root is an issue, each of its children a field (xsi:nil means empty). Parsed with
    defusedxml: no entities, no external references."""
    import xml.etree.ElementTree as ET

    import defusedxml
    from defusedxml.ElementTree import iterparse

    source = str(path)
    nil = "{http://www.w3.org/2001/XMLSchema-instance}nil"
    rows, depth, current = [], 0, None
    try:
        for event, el in iterparse(str(path), events=("start", "end")):
            if event == "start":
                depth += 1
                if depth > MAX_DEPTH:
                    raise IssueLogError(
                        source, [f"nested more than {MAX_DEPTH} levels deep; not an export"]
                    )
                if depth == 2:
                    current = {}
                continue
            depth -= 1
            if depth == 2 and current is not None:  # a field of the issue
                text = el.text.strip() if el.text and el.text.strip() else None
                if el.get(nil) in ("true", "1"):
                    text = None
                current[el.tag.rsplit("}", 1)[-1]] = text
                el.clear()
            elif depth == 1 and current is not None:  # the issue ends
                rows.append(current)
                current = None
                el.clear()
    except ET.ParseError as e:
        raise IssueLogError(source, [f"not well-formed XML ({e})"]) from None
    except defusedxml.DefusedXmlException as e:
        raise IssueLogError(
            source, [f"refused: the XML declares entities or a DTD ({type(e).__name__})"]
        ) from None
    except UnicodeDecodeError as e:
        raise IssueLogError(source, [f"not readable text ({e})"]) from None
    return rows


def _as_text(col: pa.ChunkedArray) -> pd.Series:
    if pa.types.is_timestamp(col.type):  # with or without a zone: ISO text, parsed like any other
        return col.to_pandas().map(lambda v: None if pd.isna(v) else v.isoformat())
    return col.cast(pa.string()).to_pandas().astype(object).where(lambda s: s.notna(), None)


def _read_csv(path: Path, columns: set[str] | None = None):
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
    wanted = [n for n in names if columns is None or n in columns]
    broken = []

    def read(include):
        broken.clear()
        return pcsv.read_csv(
            path,
            parse_options=pcsv.ParseOptions(
                ignore_empty_lines=False,
                invalid_row_handler=lambda row: broken.append(row) or "skip",
            ),
            convert_options=pcsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                include_columns=include,
                strings_can_be_null=True,
                null_values=[""],
            ),
        )

    try:
        try:
            # only the columns needed: a 41-column export read for 8 of them
            table = read(wanted if len(wanted) < len(names) else None)
        except pa.ArrowKeyError:  # a header the first line does not hold whole
            table, wanted = read(None), names
    except pa.ArrowInvalid as e:
        msg = str(e)
        if "UTF8" in msg or "utf8" in msg.lower():
            raise IssueLogError(source, ["not UTF-8 text; save the file as UTF-8"]) from None
        raise IssueLogError(source, [f"not readable as CSV ({msg})"]) from None
    if broken or _newlines(path) != table.num_rows + 1:
        # rows that do not split into the header's columns, or fields over several lines: find
        # every row's line the slow way
        df, lines, bad = _read_csv_slowly(path, names)
        return df[[c for c in wanted if c in df]], lines, bad
    df = table.to_pandas()
    lines = np.arange(2, len(df) + 2)
    if len(df.columns):
        blank = df.isna().all(axis=1).to_numpy()  # blank lines hold no issue
        if blank.any() and len(df.columns) == len(names):
            df, lines = df[~blank].reset_index(drop=True), lines[~blank]
        elif blank.any():
            keep = _nonblank_lines(path, len(df))
            df, lines = df[keep].reset_index(drop=True), lines[keep]
    return df, lines, pd.DataFrame()


def _newlines(path: Path) -> int:
    """Lines in the file (a last line without a newline counts)."""
    n, last = 0, b"\n"
    with path.open("rb") as f:
        while chunk := f.read(1 << 24):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def _nonblank_lines(path: Path, rows: int) -> np.ndarray:
    """Which data lines are not blank (when only some columns were read, an empty selection does
    not make a blank line)."""
    keep = np.ones(rows, dtype=bool)
    with path.open("rb") as f:
        next(f)
        for k, line in enumerate(f):
            if k < rows and not line.strip():
                keep[k] = False
    return keep


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
                    if not any(row):
                        continue  # a blank line holds no issue
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
