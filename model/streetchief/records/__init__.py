"""Per-issue records (one schema for every kind of run) and the summaries computed from them."""

from streetchief.records.schema import (
    COLUMNS,
    FIELDS,
    TIMES,
    RecordKeys,
    build_table,
    issue_table,
    on_time,
)
from streetchief.records.sink import RecordSink
from streetchief.records.summary import (
    Totals,
    backlog_curve,
    summarize,
    summarize_recorded,
    summarize_streamed,
    summarize_table,
)

__all__ = [
    "COLUMNS",
    "FIELDS",
    "TIMES",
    "RecordKeys",
    "RecordSink",
    "Totals",
    "backlog_curve",
    "build_table",
    "issue_table",
    "on_time",
    "summarize",
    "summarize_recorded",
    "summarize_streamed",
    "summarize_table",
]
