"""A sweep's results: a Parquet part per task in DIR/runs/, gathered in DIR/runs.parquet; a lock."""

from __future__ import annotations

import fcntl
import os
import socket
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from streetchief.errors import SweepError


def part_name(point: int, rep: int) -> str:
    return f"p{point:05d}-r{rep:04d}.parquet"


def succeeded(part: Path) -> bool:
    """A part whose task ran without error (unreadable or failed parts are run again)."""
    try:
        return bool(pq.read_table(part, columns=["status"]).column("status").to_pylist()[0] == "ok")
    except Exception:  # unreadable (cannot happen with atomic writes, but then: run it again)
        return False


def gather(out: Path, arrangements: list[str]) -> pd.DataFrame:
    """Every part in DIR/runs/ as one table, in order of point, replication and arrangement."""
    parts = sorted((out / "runs").glob("p*-r*.parquet"))
    if not parts:
        return pd.DataFrame(
            columns=["run_id", "point_id", "replication", "seed", "arrangement", "status"]
        )
    tables = [pq.read_table(p) for p in parts]
    df = pa.concat_tables(tables, promote_options="permissive").to_pandas()
    order = {a: k for k, a in enumerate(arrangements)}
    df = df.sort_values(
        ["point_id", "replication", "arrangement"],
        key=lambda c: c.map(order) if c.name == "arrangement" else c,
    ).reset_index(drop=True)
    return df


class Lock:
    """One sweep writes to a folder at a time; the lock goes with the process that holds it."""

    def __init__(self, out: Path):
        self.path = out / ".lock"

    def __enter__(self):
        self.f = open(self.path, "a+")
        try:
            fcntl.flock(self.f, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            self.f.seek(0)
            holder = self.f.read().strip() or "another process"
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
