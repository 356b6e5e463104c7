"""Issue logs: arrivals (and, when known, the observed response) in and out, as CSV or Parquet.

The format, one row per reported issue, in order of `reported_at`:

  reported_at      required  ISO 8601 date-time, local (2019-10-23 19:40) or with an offset
                             (…+08:00, …Z)
  zone             required  a zone key of the scenario (or mapped to one, see `Mapping`)
  category         required  a category key of the scenario
  issue_id         optional  unique; row numbers are used when absent
  reporter         optional  who posted it (a shop's name, a merchant key)
  discovered_by    optional  merchant (default) or chief (found on patrol)
  description      optional  free text, carried along
  acknowledged_at, resolved_at, closed_at   optional  the observed response (empty where unknown)
  department       optional  who handled it (a department key)

Times with an offset are converted to the scenario's `run.timezone`. A replay window starts at
midnight before the first issue and, unless `days` is given, lasts until midnight after the last
one plus `TAIL_DAYS`, so that the last issues have time to be resolved.
"""

from __future__ import annotations

from streetchief.errors import IssueLogError
from streetchief.issue_log.columns import LOG_COLUMNS, OBSERVED_TIMES, REQUIRED, TAIL_DAYS, TIMES
from streetchief.issue_log.log import IssueLog, read_log
from streetchief.issue_log.mappings import Mapping, load_mapping
from streetchief.issue_log.recorded import recorded_table, replay_window_text
from streetchief.issue_log.write import arrivals_frame, write_log

__all__ = [
    "LOG_COLUMNS",
    "OBSERVED_TIMES",
    "REQUIRED",
    "TAIL_DAYS",
    "TIMES",
    "IssueLog",
    "IssueLogError",
    "Mapping",
    "arrivals_frame",
    "load_mapping",
    "read_log",
    "recorded_table",
    "replay_window_text",
    "write_log",
]
