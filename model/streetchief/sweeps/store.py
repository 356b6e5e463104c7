"""A sweep's results: a Parquet part per task in DIR/runs/, gathered in DIR/runs.parquet; a lock."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import socket
import stat
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from streetchief.errors import SweepError

PART = re.compile(r"^p(\d{5,})-r(\d{4,})\.parquet$")
META_KEY = b"streetchief"  # a part's own record: the sweep's digest, its point and replication


def part_name(point: int, rep: int) -> str:
    return f"p{point:05d}-r{rep:04d}.parquet"


def rows_digest(table: pa.Table) -> str:
    """sha256 of a part's rows as canonical JSON (a part holds one row per arrangement)."""
    rows = table.to_pylist()
    return hashlib.sha256(json.dumps(rows, sort_keys=True, default=str).encode()).hexdigest()


def sealed(table: pa.Table, digest: str, point: int, rep: int) -> pa.Table:
    """The part's table carrying its own record, checked when a sweep resumes."""
    meta = {"sweep_digest": digest, "point": point, "replication": rep, "rows": rows_digest(table)}
    return table.replace_schema_metadata({META_KEY: json.dumps(meta).encode()})


def check_part(path: Path, sw, expected: pa.Table) -> tuple[str | None, pa.Table | None]:
    """(what is wrong with a part, or None; its table). `expected` is the part this sweep would
    write for that point and replication, with every outcome null."""
    m = PART.match(path.name)
    if not m:
        return "not a part's name (pPPPPP-rRRRR.parquet)", None
    try:
        table = pq.read_table(path)
    except Exception as e:  # unreadable: damaged, or not Parquet
        return f"unreadable ({type(e).__name__})", None
    raw = (table.schema.metadata or {}).get(META_KEY)
    try:
        meta = json.loads(raw) if raw else None
    except ValueError:
        meta = None
    if not isinstance(meta, dict):
        return "carries no record of its sweep (written by another program, or edited)", table
    point, rep = int(m[1]), int(m[2])
    if meta.get("sweep_digest") != sw.digest:
        return f"belongs to another sweep (digest {meta.get('sweep_digest')})", table
    if (meta.get("point"), meta.get("replication")) != (point, rep):
        return "its name and its record name different runs", table
    if meta.get("rows") != rows_digest(table.replace_schema_metadata(None)):
        return "its rows have changed since it was written (digest differs)", table
    if table.schema.names != expected.schema.names:
        return "its columns are not this sweep's", table
    if not table.schema.equals(expected.schema, check_metadata=False):
        return "its column types are not this sweep's", table
    identity = [n for n in expected.schema.names if n in ID_COLUMNS or n in sw.points.columns]
    if table.select(identity).to_pylist() != expected.select(identity).to_pylist():
        return (
            "its point, replication, seed, arrangements or parameters are not this sweep's",
            table,
        )
    if not set(table.column("status").to_pylist()) <= {"ok", "failed"}:
        return "its status is neither ok nor failed", table
    return None, table


ID_COLUMNS = ("run_id", "point_id", "replication", "seed", "arrangement")


def read_parts(out: Path, sw, expected) -> tuple[dict, list[str]]:
    """({(point, replication): table} of the parts that belong to this sweep, [problems]);
    `expected(p, r)` gives the part this sweep would write. Temporary files left by a killed
    writer are removed (they are ours by name and never complete)."""
    folder = out / "runs"
    tasks = set(sw.tasks)
    parts, problems = {}, []
    for path in sorted(folder.iterdir()) if folder.is_dir() else []:
        if path.name.startswith(".") and path.name.endswith(".tmp"):
            path.unlink(missing_ok=True)
            continue
        m = PART.match(path.name)
        if m and (int(m[1]), int(m[2])) not in tasks:
            problems.append(f"runs/{path.name}: not a point and replication of this sweep's design")
            continue
        if not path.is_file() or path.is_symlink():
            problems.append(f"runs/{path.name}: not a plain file")
            continue
        why, table = check_part(path, sw, expected(int(m[1]), int(m[2])) if m else None)
        if why:
            problems.append(f"runs/{path.name}: {why}")
        else:
            parts[(int(m[1]), int(m[2]))] = table
    return parts, problems


def succeeded(table: pa.Table) -> bool:
    return set(table.column("status").to_pylist()) == {"ok"}


def gather(parts: dict, arrangements: list[str]) -> pd.DataFrame:
    """The parts as one table, in order of point, replication and arrangement."""
    if not parts:
        return pd.DataFrame(columns=[*ID_COLUMNS, "status"])
    tables = [parts[k].replace_schema_metadata(None) for k in sorted(parts)]
    df = pa.concat_tables(tables).to_pandas()
    order = {a: k for k, a in enumerate(arrangements)}
    df = df.sort_values(
        ["point_id", "replication", "arrangement"],
        key=lambda c: c.map(order) if c.name == "arrangement" else c,
    ).reset_index(drop=True)
    if not df.run_id.is_unique:  # cannot happen with checked parts; never write such a table
        raise SweepError(
            "runs", [f"duplicate run ids: {sorted(df.run_id[df.run_id.duplicated()])}"]
        )
    return df


class Lock:
    """One sweep writes to a folder at a time; the lock goes with the process that holds it. The
    lock file is opened without following a symbolic link (`.lock -> a file` would truncate it)."""

    def __init__(self, out: Path):
        self.path = out / ".lock"

    def __enter__(self):
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags, 0o644)
        except OSError as e:
            why = (
                "is a symbolic link; a lock is never followed: remove it"
                if self.path.is_symlink()
                else f"cannot be opened ({e.strerror})"
            )
            raise SweepError(str(self.path.parent), [f"{self.path.name} {why}"]) from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            os.close(fd)
            raise SweepError(
                str(self.path.parent), [f"{self.path.name} is not a plain file: remove it"]
            )
        self.f = os.fdopen(fd, "r+")
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.f.seek(0)
            holder = self.f.read(200).strip() or "another process"
            self.f.close()
            raise SweepError(
                str(self.path.parent),
                [
                    f"another sweep is writing here ({holder}); wait for it to finish, or choose "
                    "another --out"
                ],
            ) from None
        self.f.seek(0)
        self.f.truncate()
        self.f.write(f"pid {os.getpid()} on {socket.gethostname()}")
        self.f.flush()
        return self

    def __exit__(self, *exc):
        fcntl.flock(self.f, fcntl.LOCK_UN)
        self.f.close()


def writing_now(out: Path) -> bool:
    """Whether a sweep is writing to `out` at this moment (its lock is held by a live process)."""
    try:
        fd = os.open(out / ".lock", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
