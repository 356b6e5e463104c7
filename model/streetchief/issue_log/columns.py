"""The issue-log format: its columns and what a replay window adds."""

REQUIRED = ("reported_at", "zone", "category")
OPTIONAL = (
    "issue_id",
    "reporter",
    "discovered_by",
    "description",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "department",
    "unclear",
    "work_hours",
)
LOG_COLUMNS = REQUIRED[:1] + ("issue_id",) + REQUIRED[1:] + OPTIONAL[1:]
# what a mapping may read besides our columns: a point, to find the zone in a GeoJSON file
POINT = ("latitude", "longitude")
TIMES = ("reported_at", "acknowledged_at", "resolved_at", "closed_at")
OBSERVED_TIMES = TIMES[1:]
# what a case may say about itself instead of leaving it to the seed's draws
TRUE, FALSE = ("true", "yes", "1"), ("false", "no", "0")
TAIL_DAYS = 7
_OFFSET = r"(?:Z|[+-]\d\d:?\d\d)$"
SUFFIXES = {
    ".csv": "csv",
    ".txt": "csv",
    ".parquet": "parquet",
    ".pq": "parquet",
    ".json": "json",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".xml": "xml",
}
MAX_DEPTH = 64  # nesting of JSON, XML and YAML inputs: real exports need a handful of levels
