"""Issue logs: arrivals (and, when known, the observed response) in and out; other systems'
exports (CSV, Parquet, JSON, JSON Lines, Socrata rows.json, Open311 XML) read through a mapping.

The format, one row per reported issue, in any order (rows are sorted by `reported_at`):

  reported_at      required  ISO 8601 date-time, local (2019-10-23 19:40) or with an offset
                             (…+08:00, …Z)
  zone             required  a zone key of the scenario (or mapped to one, see `Mapping`)
  category         required  a category key of the scenario
  issue_id         optional  unique; row numbers are used when absent
  reporter         optional  who posted it (a shop's name, a merchant key)
  discovered_by    optional  merchant (default), chief (found on a chief's patrol) or patrol
                             (found by patrol officers: grid supervisors, city patrols)
  description      optional  free text, carried along
  acknowledged_at, resolved_at, closed_at   optional  the observed response (empty where unknown;
                             closed_at without resolved_at: ended without resolution)
  department       optional  who handled it (a department key)

Times without an offset are local to the log's time zone (--timezone, the mapping's, or the
scenario's `run.timezone`); `times` says how a daylight-saving change is handled. A replay window
starts at midnight before the first issue and, unless `days` is given, lasts until midnight after
the last one plus `TAIL_DAYS`, or after the last recorded response if that is later, so that the
last issues have time to be resolved and no recorded response is cut off.
"""

from __future__ import annotations

from streetchief.errors import IssueLogError
from streetchief.issue_log.columns import LOG_COLUMNS, OBSERVED_TIMES, REQUIRED, TAIL_DAYS, TIMES
from streetchief.issue_log.log import IssueLog, read_log
from streetchief.issue_log.mappings import Mapping, load_mapping
from streetchief.issue_log.recorded import recorded_table, replay_window_text
from streetchief.issue_log.suggest import suggest_mapping
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
    "suggest_mapping",
    "write_log",
]
