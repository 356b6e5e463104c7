"""Writing results atomically (a file is complete or absent, never half-written), as plain JSON,
with the permissions the user's umask allows, and CSV cells a spreadsheet will not run."""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path


def umask() -> int:
    """The process's umask, read without changing it where the system says it (Linux)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def honour_umask(path: str | Path, directory: bool = False) -> None:
    """Give a file made by mkstemp (0600) or a folder made by mkdtemp (0700) the mode an ordinary
    open() or mkdir() would have given it."""
    os.chmod(path, (0o777 if directory else 0o666) & ~umask())


def atomic_write(path: str | Path, write) -> None:
    """Call write(tmp) on a temporary name beside `path`, then rename it into place, readable as
    the umask allows (a temporary file is created private)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        honour_umask(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def json_safe(x):
    """`x` as standard JSON holds it: NaN and infinities become null, as a reader will see them."""
    if isinstance(x, float) and not math.isfinite(x):
        return None
    if isinstance(x, dict):
        return {str(k): json_safe(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [json_safe(v) for v in x]
    return x


def write_json(obj, path: str | Path) -> None:
    text = json.dumps(json_safe(obj), indent=2, ensure_ascii=False, default=str)
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_text(text: str, path: str | Path) -> None:
    atomic_write(path, lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))


def write_parquet(table, path: str | Path) -> None:
    import pyarrow.parquet as pq

    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet may take for a formula


def spreadsheet_safe(frame):
    """A copy of `frame` whose text cells (and column names) that a spreadsheet would read as a
    formula start with an apostrophe; numbers, negative ones included, are left as they are."""

    def safe(x):
        if isinstance(x, str) and x.startswith(FORMULA_START):
            try:
                float(x)
                return x
            except ValueError:
                return "'" + x
        return x

    out = frame.copy()
    out.columns = [safe(c) for c in out.columns]
    for c in out.columns:
        if out[c].dtype == object or str(out[c].dtype) in ("string", "str"):
            out[c] = out[c].map(safe)
    return out


def csv_text(frame) -> str:
    """A result table as CSV for spreadsheets (formula-like cells escaped, see spreadsheet_safe)."""
    return spreadsheet_safe(frame).to_csv(index=False)


def write_csv(frame, path: str | Path) -> None:
    write_text(csv_text(frame), path)


SIDE_TEXT = 1000  # characters of one cell a side file keeps: a name, not a 200 MB field


def capped(frame):
    """A side file's table with every text cell cut to SIDE_TEXT characters, saying so."""
    import pandas as pd

    if frame is None or not len(frame):
        return frame
    frame = frame.copy()
    for col in frame.columns:
        if pd.api.types.is_object_dtype(frame[col]) or pd.api.types.is_string_dtype(frame[col]):
            text = frame[col].astype("string")
            long = (text.str.len() > SIDE_TEXT).fillna(False).astype(bool)
            if long.any():
                n = text[long].str.len().astype(int).astype(str)
                frame.loc[long, col] = (
                    text[long].str.slice(0, SIDE_TEXT)
                    + f" … (cut at {SIDE_TEXT} of "
                    + n
                    + " characters)"
                )
    return frame
