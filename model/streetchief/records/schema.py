"""The per-issue record: one definition of its columns, and the one builder every kind of run uses.

Simulated runs (`issue_table`), streamed runs (`records/sink.py`) and recorded histories
(`issue_log/recorded.py`) all build their tables with `build_table`, so they have the same columns,
types and meaning. Times are hours since the run's start, NaN where a step has not happened by
the run's end; what a source cannot know (a log does not say how many hops an issue took) is null.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

# name → meaning (the table's column order)
FIELDS: dict[str, str] = {
    "issue_id": "the problem's number in the run (int64), or the issue log's own id (string) when "
    "replayed",
    "arrangement": "the arrangement that handled it, or `recorded` for a log's observed history",
    "category": "category key",
    "zone": "zone key",
    "reporter": "who reported it (a merchant, a chief, or the log's reporter)",
    "discovered_by": "merchant, chief or patrol (a chief, a patrol officer or grid supervisor "
    "found it)",
    "arisen_at": "hours since the start when the problem arose (for a log's issues: when reported)",
    "reported_at": "… when it was reported",
    "acknowledged_at": "… when someone answered the reporter",
    "dispatched_at": "… when the responsible department took it on",
    "resolved_at": "… when the problem was fixed (for good, if a fix failed and it reopened)",
    "closed_at": "… when the result reached the reporter (feedback)",
    "ended_at": "… when the problem ended without a fix: it went by itself (a car drove off), or "
    "the department closed the issue with nothing to fix",
    "ended_how": "how it ended without a fix: expired (went by itself), cancelled, no_action, or "
    "dropped (a log's closure without a resolution); null if fixed or still open",
    "department": "the responsible department's key",
    "hops": "forwards along its route (null where unknown)",
    "bounces": "times it was sent back (misrouted, passed on; null where unknown)",
    "coordinated": "coordinated on site, by a chief or the responsible unit (null where unknown)",
    "coordinated_at": "hours since the start when the on-site coordination began (NaN if none)",
    "reopened": "times a fix did not hold and the issue reopened (null where unknown)",
    "duplicates": "later reports of the same problem while it was open, merged into this issue "
    "(null where unknown)",
    "deadline_at": "hours since the start by which it was due (限期整改)",
    "on_time": "resolved by its deadline; null while open with the deadline still ahead at the "
    "run's end, and for an issue that ended without a fix",
}
COLUMNS = list(FIELDS)
TIMES = ("arisen_at", "reported_at", "acknowledged_at", "dispatched_at", "resolved_at", "closed_at")
# times a source may not have (NaN then)
LATER_TIMES = ("ended_at", "coordinated_at")
# how an issue can end without a fix
EXPIRED, CANCELLED, NO_ACTION, DROPPED = "expired", "cancelled", "no_action", "dropped"


@dataclass(frozen=True)
class RecordKeys:
    """The names that category, zone and department codes index (the scenario's keys)."""

    categories: list[str]
    zones: list[str]
    departments: list[str]


def on_time(
    resolved: np.ndarray, deadline: np.ndarray, horizon: float, ended: np.ndarray | None = None
) -> pa.Array:
    """Resolved by the deadline; null (unknown) while open with the deadline after the run's end,
    and for issues that ended without a fix (neither on time nor late)."""
    unresolved = np.isnan(resolved)
    unknown = unresolved & (deadline > horizon)
    if ended is not None:
        unknown |= unresolved & ~np.isnan(ended)
    return pa.array(np.where(unresolved, False, resolved <= deadline), mask=unknown)


def _keyed(codes, keys: list[str]) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(keys, pa.string()))


def _or_nulls(values, n: int, dtype) -> pa.Array:
    return pa.nulls(n, dtype) if values is None else pa.array(values, dtype)


def build_table(
    *,
    arrangement: str,
    issue_id: pa.Array,
    category,
    zone,
    department,
    keys: RecordKeys,
    reporter: list,
    discovered_by: list,
    times: dict[str, np.ndarray],
    deadline_at: np.ndarray,
    horizon: float,
    hops=None,
    bounces=None,
    coordinated=None,
    reopened=None,
    duplicates=None,
    ended_how=None,
) -> pa.Table:
    """The records of `len(issue_id)` issues. category, zone and department are codes into `keys`;
    hops, bounces, coordinated, reopened and duplicates are None where the source cannot know
    them; without `arisen_at` among the times, problems arose when they were reported;
    `ended_at` and `coordinated_at` are NaN where not given, `ended_how` null."""
    n = len(issue_id)
    times = {"arisen_at": times["reported_at"], **times}
    for c in LATER_TIMES:
        times.setdefault(c, np.full(n, np.nan))
    resolved = np.asarray(times["resolved_at"], float)
    ended = np.asarray(times["ended_at"], float)
    deadline_at = np.asarray(deadline_at, float)
    columns = {
        "issue_id": issue_id,
        "arrangement": pa.array([arrangement] * n, pa.string()).dictionary_encode(),
        "category": _keyed(category, keys.categories),
        "zone": _keyed(zone, keys.zones),
        "reporter": pa.array(reporter, pa.string()),
        "discovered_by": pa.array(discovered_by, pa.string()).dictionary_encode(),
        **{c: np.asarray(times[c], float) for c in TIMES + LATER_TIMES},
        "ended_how": pa.array(
            [None] * n if ended_how is None else ended_how, pa.string()
        ).dictionary_encode(),
        "department": _keyed(department, keys.departments),
        "hops": _or_nulls(hops, n, pa.int32()),
        "bounces": _or_nulls(bounces, n, pa.int32()),
        "coordinated": _or_nulls(coordinated, n, pa.bool_()),
        "reopened": _or_nulls(reopened, n, pa.int32()),
        "duplicates": _or_nulls(duplicates, n, pa.int32()),
        "deadline_at": deadline_at,
        "on_time": on_time(resolved, deadline_at, horizon, ended),
    }
    return pa.table({c: columns[c] for c in COLUMNS})


def issue_table(m) -> pa.Table:
    """The records of a simulated run (a `DistrictModel`): one row per reported issue, resolved or
    still open, in order of report time."""
    book, p = m.issues, m.problems
    reported = np.asarray(book.reported_at)
    idx = np.flatnonzero(~np.isnan(reported))
    idx = idx[np.argsort(reported[idx], kind="stable")]

    def col(values, dtype=None):
        return np.asarray(values, dtype=dtype)[idx]

    ids = (
        pa.array(idx, pa.int64())
        if p.issue_ids is None
        else pa.array(p.issue_ids[idx].tolist(), pa.string())
    )
    return build_table(
        arrangement=m.arrangement.name,
        issue_id=ids,
        keys=record_keys(m),
        category=p.category[idx],
        zone=p.zone[idx],
        department=col(book.department, np.int32),
        reporter=col(book.reporter, object).tolist(),
        discovered_by=col(book.discovered_by, object).tolist(),
        times={c: col(getattr(book, c), float) for c in TIMES + LATER_TIMES},
        deadline_at=col(book.deadline_at, float),
        hops=col(book.hops, np.int32),
        bounces=col(book.bounces, np.int32),
        coordinated=col(book.coordinated, bool),
        reopened=col(book.reopened, np.int32),
        duplicates=col(book.duplicates, np.int32),
        ended_how=col(book.ended_how, object).tolist(),
        horizon=m.end,
    )


def record_keys(m) -> RecordKeys:
    return RecordKeys(m.category_keys, m.zone_keys, m.department_keys)
