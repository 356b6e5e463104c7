"""Records of a streamed run, written as issues close, a row group at a time."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from streetchief.files import honour_umask
from streetchief.records.schema import COLUMNS, LATER_TIMES, TIMES, build_table, record_keys
from streetchief.records.summary import Totals

# what `add` takes from the issue book, in order
_TAKEN = (
    "number",
    "category",
    "zone",
    "reporter",
    "discovered_by",
    *TIMES,
    *LATER_TIMES,
    "ended_how",
    "department",
    "hops",
    "bounces",
    "coordinated",
    "reopened",
    "duplicates",
    "deadline_at",
)


class RecordSink:
    """Per-issue records of a streamed run, written to Parquet a row group at a time as issues
    close, with the columns of every run (`records/schema.py`); the file appears, complete, when
    `close` renames it. `totals` gathers what the summary needs as the rows go by."""

    def __init__(self, path: Path, m, rows_per_group: int = 65_536):
        self.path, self.rows_per_group = Path(path), rows_per_group
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, self.tmp = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        os.close(fd)
        self.arrangement, self.end = m.arrangement.name, m.end
        self.keys = record_keys(m)
        self.buffer: list[tuple] = []
        self.writer = None
        self.totals = Totals(len(m.category_keys))
        self.totals.end, self.totals.window = m.end, m.spec.run.window(m.end)
        self.rows = 0

    def add(self, m, s: int) -> None:
        """The record of the issue in slot s, as it stands now."""
        book = m.issues
        self.buffer.append(tuple(getattr(book, c)[s] for c in _TAKEN))
        if len(self.buffer) >= self.rows_per_group:
            self._flush()

    def _flush(self) -> None:
        n = len(self.buffer)
        if not n:
            return
        c = dict(
            zip(_TAKEN, map(list, zip(*self.buffer, strict=True)), strict=True)
        )  # rows → columns
        table = build_table(
            arrangement=self.arrangement,
            issue_id=pa.array(c["number"], pa.int64()),
            keys=self.keys,
            category=c["category"],
            zone=c["zone"],
            department=c["department"],
            reporter=c["reporter"],
            discovered_by=c["discovered_by"],
            times={t: np.array(c[t], float) for t in TIMES + LATER_TIMES},
            deadline_at=np.array(c["deadline_at"], float),
            hops=c["hops"],
            bounces=c["bounces"],
            coordinated=c["coordinated"],
            reopened=c["reopened"],
            duplicates=c["duplicates"],
            ended_how=c["ended_how"],
            horizon=self.end,
        )
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.tmp, table.schema)
        self.writer.write_table(table)
        self.totals.add(table)
        self.rows += n
        self.buffer = []

    def close(self) -> None:
        self._flush()
        if self.writer is None:  # no issue at all: an empty file with the columns
            pq.write_table(pa.table({k: [] for k in COLUMNS}), self.tmp)
        else:
            self.writer.close()
        honour_umask(self.tmp)
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        if self.writer is not None:
            self.writer.close()
        Path(self.tmp).unlink(missing_ok=True)
