"""A mapping skeleton for a new export: its columns guessed, its time format found, and every
distinct category, zone, agency and status listed with its count, most frequent first, so that a
user fills in one file instead of meeting unknown names one error at a time."""

from __future__ import annotations

import json
import re

from streetchief.issue_log.formats import expand, read_files
from streetchief.issue_log.mappings import Lookup, Mapping, _norm
from streetchief.issue_log.times import guess_format
from streetchief.scenario import Scenario

# their column names, most telling first, for each of ours (compared in lower case, letters and
# digits only)
GUESSES = {
    "issue_id": [
        "unique key",
        "case enquiry id",
        "service request id",
        "srnumber",
        "sr number",
        "request id",
        "case id",
        "case number",
        "ticket id",
        "id",
    ],
    "reported_at": [
        "created date",
        "requested datetime",
        "createddate",
        "created at",
        "created",
        "date created",
        "opened",
        "open date",
        "open dt",
        "date reported",
        "reported at",
        "submitted",
        "received",
    ],
    "closed_at": [
        "closed date",
        "closed dt",
        "closeddate",
        "closed at",
        "closed",
        "close date",
        "date closed",
        "resolved at",
        "completed",
        "updated datetime",
    ],
    "category": [
        "complaint type",
        "service name",
        "requesttype",
        "request type",
        "category",
        "problem type",
        "type",
        "service",
    ],
    "zone": [
        "community board",
        "council district",
        "cd",
        "district",
        "ward",
        "borough",
        "neighborhood",
        "ncname",
        "zipcode",
        "incident zip",
        "zip",
        "street name",
        "streetname",
        "address",
    ],
    "department": ["agency", "agency responsible", "owner", "department", "dept", "assignto"],
    "description": ["descriptor", "description", "details"],
    "latitude": ["latitude", "lat"],
    "longitude": ["longitude", "long", "lon", "lng"],
    "status": ["status", "case status", "state"],
}
# a time column named for its end, not for a deadline (target_dt, due date)
ENDS = re.compile(r"clos|resol|complet|finish|fixed|done|end", re.IGNORECASE)
DEADLINE = re.compile(r"target|due|deadline|expect|sla", re.IGNORECASE)
RESOLVED = re.compile(r"clos|resolv|complet|done|fixed", re.IGNORECASE)
DROPPED = re.compile(r"cancel|duplicat|invalid|refer|reject|withdr|void", re.IGNORECASE)


def _key(name: str) -> str:
    return " ".join(re.sub(r"[^0-9a-z]+", " ", name.lower()).split())


def guess_columns(names: list[str]) -> dict[str, str]:
    by_key = {}
    for n in names:
        by_key.setdefault(_key(n), n)
    out = {}
    for ours, candidates in GUESSES.items():
        for c in candidates:
            if _key(c) in by_key and by_key[_key(c)] not in out.values():
                out[ours] = by_key[_key(c)]
                break
    return out


def time_columns(raw, taken) -> dict[str, str]:
    """Columns not in `taken` whose first values all read as calendar times (seconds since 1970
    are left out: ids look the same), with the format that reads them."""
    found = {}
    for c in raw.columns:
        if c in taken or raw[c].dtype.kind not in "OSU":
            continue
        values = raw[c].dropna().astype(str).head(200).tolist()
        fmt = guess_format(values) if values else None
        if fmt and not fmt.startswith("unix"):
            found[str(c)] = fmt
    return found


def guess_times_by_value(raw, cols: dict[str, str]) -> dict[str, str]:
    """reported_at and closed_at from the values where their names were not recognised: the
    report is the time column filled on most rows (earliest on a tie), the close one that
    follows it on most rows where both are filled (a dirty export closes some before): named for
    an end before unnamed, a deadline's name last, then the most varied in how long after the
    report it comes (a deadline follows by a set few spans)."""
    import pandas as pd

    found = time_columns(raw, set(cols.values()))
    if not found or ("reported_at" in cols and "closed_at" in cols):
        return {}
    times = {
        c: pd.to_datetime(raw[c].astype("string").str.strip(), format=f, utc=True, errors="coerce")
        for c, f in found.items()
    }
    out = {}
    if "reported_at" in cols:
        values = raw[cols["reported_at"]].astype("string").str.strip()
        fmt = guess_format(values.dropna().head(200).tolist())
        if fmt is None or fmt.startswith("unix"):
            return {}
        opened = pd.to_datetime(values, format=fmt, utc=True, errors="coerce")
    else:
        c = min(times, key=lambda c: (-times[c].notna().sum(), times[c].median()))
        out["reported_at"], opened = c, times.pop(c)
    if "closed_at" not in cols:
        varied = {}  # a close follows the report by varied times, a deadline by a set few
        for c, t in times.items():
            both = t.notna() & opened.notna()
            if both.any() and (t[both] >= opened[both]).mean() > 0.5:
                varied[c] = (t[both] - opened[both]).nunique() / int(both.sum())
        if varied:
            out["closed_at"] = min(
                varied, key=lambda c: (bool(DEADLINE.search(c)), not ENDS.search(c), -varied[c])
            )
    return out


def _q(text) -> str:
    """A YAML scalar that reads back as exactly this text."""
    return json.dumps(str(text), ensure_ascii=False)


def suggest_mapping(paths, scenario: Scenario, mapping: Mapping | None = None) -> tuple[str, dict]:
    """(the skeleton as YAML text, what was guessed: columns, time_format, distinct values)."""
    files = expand(paths)
    raw = read_files(files).frame
    names = [str(c) for c in raw.columns]
    cols = dict(mapping.columns) if mapping else guess_columns(names)
    status = (
        mapping.resolved_when.column
        if mapping and mapping.resolved_when
        else mapping.dropped_when.column
        if mapping and mapping.dropped_when
        else cols.pop("status", None)
    )
    cols.pop("status", None)
    by_value = {} if mapping else guess_times_by_value(raw, cols)
    cols.update(by_value)
    if "closed_at" in cols and "resolved_at" not in cols and not mapping:
        cols = {**cols, "resolved_at": cols["closed_at"]}  # most exports record one time
    fmt = mapping.time_format if mapping else None
    if not mapping:
        seen = []
        for c in ("reported_at", "closed_at"):
            if c in cols:
                values = raw[cols[c]].dropna().astype(str).head(200).tolist()
                g = guess_format(values)
                if g and g not in seen:
                    seen.append(g)
        fmt = None if seen in ([], ["ISO8601"]) else seen[0] if len(seen) == 1 else seen
    guessed = {"columns": cols, "time_format": fmt, "status": status, "values": {}}
    title = ", ".join(f.name for f in files)
    lines = [
        f"# A mapping for {title}, written by streetchief import-log --suggest-mapping,",
        f"# onto the scenario {scenario.name}. Fill in the keys left null (a value left null",
        "# falls to the patterns, then to the default), check the columns, then:",
        f"#   streetchief import-log {title} --mapping THIS_FILE --out log.csv",
        f"description: {_q('export ' + title + ' read onto ' + scenario.name)}",
        "columns:                          # our column: their column",
    ]
    for ours in (
        "issue_id",
        "reported_at",
        "acknowledged_at",
        "resolved_at",
        "closed_at",
        "category",
        "zone",
        "department",
        "description",
        "reporter",
        "latitude",
        "longitude",
    ):
        if ours in cols:
            why = "   # found by its values: check it" if cols[ours] in by_value.values() else ""
            lines.append(f"  {ours}: {_q(cols[ours])}{why}")
    missing = [c for c in ("reported_at", "category", "zone") if c not in cols]
    if missing:
        lines.append(f"  # not found, name their column: {', '.join(missing)}")
    lines.append(f"# the file's columns: {', '.join(names)}")
    if fmt is None:
        lines.append("# time_format: none needed (ISO 8601), or e.g. '%m/%d/%Y %I:%M:%S %p'")
    elif isinstance(fmt, list):
        lines.append(f"time_format: [{', '.join(_q(f) for f in fmt)}]")
    else:
        lines.append(f"time_format: {_q(fmt)}")
    tz = mapping.timezone if mapping and mapping.timezone else None
    lines.append(
        f"timezone: {_q(tz)}"
        if tz
        else f"# timezone: America/New_York   # of their times without an offset; now "
        f"{scenario.run.timezone} (the scenario's)"
    )
    if status and status in raw:
        counts = raw[status].dropna().map(lambda v: " ".join(str(v).split())).value_counts()
        guessed["values"]["status"] = {str(k): int(v) for k, v in counts.items()}
        listed = ", ".join(f"{k} {v}" for k, v in counts.items())
        done = (
            mapping.resolved_when.values
            if mapping and mapping.resolved_when
            else [k for k in counts.index if RESOLVED.search(str(k))]
        )
        gone = (
            mapping.dropped_when.values
            if mapping and mapping.dropped_when
            else [k for k in counts.index if DROPPED.search(str(k)) and k not in done]
        )
        lines.append(f"# statuses in {status!r}: {listed}")
        if done:
            lines.append(
                f"resolved_when: {{column: {_q(status)}, values: [{', '.join(map(_q, done))}]}}"
            )
        if gone:
            lines.append(
                f"dropped_when: {{column: {_q(status)}, values: [{', '.join(map(_q, gone))}]}}"
            )
    for ours, section, known in (
        ("category", "categories", scenario.categories),
        ("zone", "zones", scenario.zones),
        ("department", "departments", scenario.departments),
    ):
        lookup: Lookup = getattr(mapping, section) if mapping else Lookup()
        lines.append(f"{section}:")
        lines.append(f"  # our keys: {', '.join(known)}")
        if section == "zones" and mapping and mapping.zones.geojson:
            lines.append(f"  geojson: {_q(mapping.zones.geojson)}")
            lines.append(f"  property: {_q(mapping.zones.property)}")
        elif section == "zones" and "latitude" in cols:
            lines.append("  # geojson: zones.geojson    # zones from the point, by polygon")
        lines.append(
            f"  default: {_q(lookup.default) if lookup.default else 'null'}"
            f"                # any other {ours}, empty ones included"
        )
        if lookup.patterns:
            lines.append("  patterns:")
            lines.extend(f"    {_q(p)}: {_q(t)}" for p, t in lookup.patterns.items())
        if ours not in cols or cols[ours] not in raw:
            lines.append("  values: {}")
            continue
        counts = raw[cols[ours]].dropna().map(lambda v: " ".join(str(v).split())).value_counts()
        guessed["values"][ours] = {str(k): int(v) for k, v in counts.items()}
        given = {_norm(k): t for k, t in lookup.values.items()}
        own = {_norm(k): k for k in known} | {_norm(v.name): k for k, v in known.items()}
        if not len(counts):
            lines.append(f"  values: {{}}             # their {cols[ours]!r} is always empty")
            continue
        lines.append(f"  values:                 # their {cols[ours]!r}: rows, most first")
        for value, n in counts.items():
            target = given.get(_norm(value)) or own.get(_norm(value))
            lines.append(f"    {_q(value)}: {_q(target) if target else 'null'}   # {n:,}")
        empty = int(raw[cols[ours]].isna().sum())
        if empty:
            lines.append(f"    # and {empty:,} rows with no {ours}: they take the default")
    return "\n".join(lines) + "\n", guessed
