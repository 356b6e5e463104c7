"""Mapping files: another system's export (NYC 311, MyLA311, Open311, ...) → the issue-log format.

A mapping names their columns, their time format and time zone, and how their category, zone and
agency names become our keys: exact `values` (matched ignoring case and runs of spaces), regular
expression `patterns`, and a `default` for everything else; zones may also come from a point
(latitude, longitude) inside a GeoJSON polygon. `resolved_when` and `dropped_when` say which of
their statuses mean resolved, and which end an issue without resolving it.

Every scalar in a mapping file is read as text, so that district codes, ZIP codes and names such
as `No` or `01` need no quotes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator

from streetchief.errors import IssueLogError, describe_error
from streetchief.issue_log.columns import LOG_COLUMNS, MAX_DEPTH, POINT, REQUIRED

UNIX_FORMATS = ("unix", "unix_ms")  # seconds (or milliseconds) since 1970-01-01 UTC


class Lookup(BaseModel):
    """How their names become our keys: exact values first, then our own keys, then the first
    matching pattern, then the default. A value mapped to nothing (left empty) falls through."""

    model_config = ConfigDict(extra="forbid")
    values: dict[str, str | None] = Field(
        {}, description="their value → our key (matched ignoring case and runs of spaces)"
    )
    patterns: dict[str, str] = Field(
        {},
        description="regular expression → our key; searched in the value, ignoring case, in order",
    )
    default: str | None = Field(
        None, description="our key for any other value, empty ones included; none: they are errors"
    )


class ZoneLookup(Lookup):
    """Zones: a lookup of their names, and optionally the polygon (GeoJSON) holding the point."""

    geojson: str | None = Field(
        None,
        description="GeoJSON file of zone polygons (relative to the mapping file); needs the "
        "latitude and longitude columns",
    )
    property: str = Field(
        "zone", description="the feature property naming the zone (our key, or their name)"
    )


class StatusRule(BaseModel):
    """Which of their statuses (in one column) mean something, e.g. resolved or dropped."""

    model_config = ConfigDict(extra="forbid")
    column: str = Field(description="their status column")
    values: list[str] = Field(min_length=1, description="the statuses, e.g. [Closed]")


class Mapping(BaseModel):
    """How to read another system's export: its columns, times and names, in our terms."""

    model_config = ConfigDict(extra="forbid")
    description: str = ""
    columns: dict[str, str] = Field(
        description="our column → their column (the same one may feed two of ours); also "
        "latitude and longitude, for zones.geojson"
    )
    time_format: str | list[str] | None = Field(
        None,
        description="strptime format of their times (or a list, tried in order; unix or unix_ms "
        "for seconds or milliseconds since 1970 UTC); ISO 8601 when absent",
    )
    timezone: str | None = Field(
        None,
        description="IANA time zone of their times that carry no offset (--timezone overrides "
        "it); the scenario's run.timezone when absent",
    )
    categories: Lookup = Field(Lookup(), description="their category names → our category keys")
    zones: ZoneLookup = Field(ZoneLookup(), description="their street/area names → our zone keys")
    departments: Lookup = Field(Lookup(), description="their agency names → our department keys")
    resolved_when: StatusRule | None = Field(
        None, description="keep resolved_at/closed_at only for these statuses"
    )
    dropped_when: StatusRule | None = Field(
        None,
        description="statuses that end an issue without resolving it (Cancelled, Duplicate): "
        "closed_at is kept, resolved_at is not",
    )
    _folder: Path | None = PrivateAttr(None)  # where the file is: zones.geojson is relative to it

    @field_validator("timezone")
    @classmethod
    def _tz(cls, v):
        if v is not None:
            check_timezone(v)
        return v

    @property
    def formats(self) -> list[str] | None:
        f = self.time_format
        return None if f is None else [f] if isinstance(f, str) else list(f)


def check_timezone(name: str) -> str:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r}; write an IANA name such as America/New_York or "
            "Asia/Shanghai"
        ) from None
    return name


class _TextLoader(yaml.SafeLoader):
    """YAML with every plain scalar as text (01, 10023, No, 2019-10-21 stay as written); null
    stays null."""


_TextLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag == "tag:yaml.org,2002:null"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_text_yaml(text: str):
    """The document in `text`, with the safe loader that keeps scalars as text."""
    loader = _TextLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


_LOOKUPS = ("categories", "zones", "departments")
_STRUCTURED = {"values", "patterns", "default", "geojson", "property"}


def _depth(x, limit: int = MAX_DEPTH) -> int:
    """How deeply `x` nests (lists and dicts), looked at without recursion, up to `limit` + 1."""
    deepest, stack = 0, [(x, 1)]
    while stack:
        node, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            break
        if isinstance(node, dict):
            stack.extend((v, d + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, d + 1) for v in node)
    return deepest


def load_mapping(path: str | Path) -> Mapping:
    path = Path(path)
    source = str(path)
    try:
        raw = _read_text_yaml(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as e:
        raise IssueLogError(source, [f"cannot read the mapping: {e}"], "mapping") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        why = getattr(e, "problem", None) or e
        raise IssueLogError(
            source, [f"cannot read the mapping: {where}not valid YAML ({why})"], "mapping"
        ) from None
    except RecursionError:
        raise IssueLogError(
            source,
            [f"nested too deeply; a mapping needs at most a few levels ({MAX_DEPTH})"],
            "mapping",
        ) from None
    if not isinstance(raw, dict):
        raise IssueLogError(
            source,
            ["(top level): must be a mapping with columns:, categories:, zones:, ..."],
            "mapping",
        )
    if _depth(raw) > MAX_DEPTH:
        raise IssueLogError(
            source, [f"nested more than {MAX_DEPTH} levels deep; a mapping needs a few"], "mapping"
        )
    for key in _LOOKUPS:
        body = raw.get(key)
        if body is None and key in raw:
            raw[key] = {}
        elif isinstance(body, dict) and not (body and set(body) <= _STRUCTURED):
            raw[key] = {"values": body}  # the short form: their value → our key
        elif isinstance(body, dict):  # an empty list of values or patterns is none
            raw[key] = {
                k: ({} if v is None and k in ("values", "patterns") else v) for k, v in body.items()
            }
    try:
        m = Mapping.model_validate(raw)
    except ValidationError as e:
        raise IssueLogError(
            source, [describe_error(err, Mapping) for err in e.errors()], "mapping"
        ) from None
    problems = []
    unknown = sorted(set(m.columns) - set(LOG_COLUMNS) - set(POINT))
    if unknown:
        problems.append(
            f"columns: {', '.join(unknown)} not in the issue-log format; allowed: "
            f"{', '.join(LOG_COLUMNS + POINT)}"
        )
    for key in _LOOKUPS:
        for rx in getattr(m, key).patterns:
            try:
                re.compile(rx)
            except re.error as e:
                problems.append(f"{key}.patterns: {rx!r} is not a regular expression ({e})")
    if m.zones.geojson and not all(c in m.columns for c in POINT):
        problems.append(
            "zones.geojson: needs columns latitude and longitude (their columns holding the point)"
        )
    if m.resolved_when and m.dropped_when and m.resolved_when.column == m.dropped_when.column:
        both = {_norm(v) for v in m.resolved_when.values} & {
            _norm(v) for v in m.dropped_when.values
        }
        if both:
            problems.append(
                f"resolved_when and dropped_when both list {', '.join(sorted(both))}; a status "
                "means one or the other"
            )
    if problems:
        raise IssueLogError(source, problems, "mapping")
    m._folder = path.resolve().parent
    return m


def format_problems(fmt: str) -> list[str]:
    """Why a time format cannot read times, in words (empty when it can)."""
    if fmt in UNIX_FORMATS or fmt.upper() == "ISO8601":
        return []
    if "%s" in fmt:
        return [
            f"time_format: {fmt!r}: %s (seconds since 1970) is not a strptime directive here; "
            "write time_format: unix (or unix_ms for milliseconds)"
        ]
    directives = re.findall(r"%[-#]?([A-Za-z])", fmt.replace("%%", ""))
    twice = sorted({d for d in directives if directives.count(d) > 1})
    if twice:
        return [
            f"time_format: {fmt!r} names {', '.join('%' + d for d in twice)} more than once; a "
            "time format names each part of a time once, e.g. '%m/%d/%Y %I:%M:%S %p'"
        ]
    try:
        pd.to_datetime(pd.Series(["2019-10-23"]), format=fmt, errors="coerce")
    except (ValueError, TypeError, re.error) as e:
        return [
            f"time_format: {fmt!r} cannot read times ({e}); write a strptime format such as "
            "'%m/%d/%Y %I:%M:%S %p', or unix"
        ]
    if not re.search(r"%[Yy]", fmt):
        return [
            f"time_format: {fmt!r} has no year (%Y or %y); write a strptime format such as "
            "'%m/%d/%Y %I:%M:%S %p', or unix"
        ]
    return []


def check_against(m: Mapping, scenario, source: str) -> None:
    """Every key the mapping names must be one of the scenario's."""
    problems = []
    for key, known in (
        ("categories", scenario.categories),
        ("zones", scenario.zones),
        ("departments", scenario.departments),
    ):
        lk: Lookup = getattr(m, key)
        targets = [(f"values.{v!r}", t) for v, t in lk.values.items()]
        targets += [(f"patterns.{p!r}", t) for p, t in lk.patterns.items()]
        targets += [("default", lk.default)]
        bad = [(where, t) for where, t in targets if t is not None and t not in known]
        for where, t in bad[:8]:
            problems.append(f"{key}.{where}: {t!r} is not one of the scenario's {key}")
        if len(bad) > 8:
            problems.append(f"{key}: ... and {len(bad) - 8} more keys the scenario does not have")
        if bad:
            problems.append(f"{key} of the scenario: {', '.join(known)}")
    if problems:
        raise IssueLogError(source, problems, "mapping")


def _norm(v) -> str:
    return " ".join(str(v).split()).casefold()


@dataclass
class Mapped:
    """An export read through a mapping: our columns, and how their names became our keys."""

    frame: pd.DataFrame
    unmapped: pd.DataFrame  # column, value, rows, first_line, became (the default, or empty)
    notes: list[str] = field(default_factory=list)
    dropped_by_status: dict[str, int] = field(default_factory=dict)  # status → rows ended


def resolve_names(
    values: pd.Series, lookup: Lookup, known: list[str], lines: np.ndarray, column: str
) -> tuple[pd.Series, list[dict]]:
    """Their names → our keys, one lookup per distinct value; unknown names are kept as they are
    (the row check names them). Also the values that did not match a name or a pattern."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = {_norm(k): v for k, v in lookup.values.items()}
    own = {_norm(k): k for k in known}
    patterns = [(re.compile(p, re.IGNORECASE), t) for p, t in lookup.patterns.items()]
    out, how = [], []
    for u in uniques:
        text = " ".join(str(u).split())
        n = text.casefold()
        hit = table.get(n)
        if hit is None and n in own:
            hit = own[n]
        if hit is None:
            hit = next((t for rx, t in patterns if rx.search(text)), None)
        if hit is not None:
            out.append(hit)
            how.append(None)
        elif not text:
            out.append(lookup.default)
            how.append("")
        else:
            out.append(lookup.default if lookup.default is not None else u)
            how.append(text)
    empty = codes < 0
    if empty.any():  # empty values: the default, or nothing
        uniques_out = np.array(out + [lookup.default], dtype=object)
        codes = np.where(empty, len(out), codes)
        how.append("")
    else:
        uniques_out = np.array(out, dtype=object)
    mapped = pd.Series(uniques_out[codes] if len(codes) else [], index=values.index, dtype=object)
    unmatched = [k for k, h in enumerate(how) if h is not None]
    report = []
    if unmatched:
        counts = np.bincount(codes, minlength=len(how))
        present, first = np.unique(codes, return_index=True)  # first row of each value
        first_row = dict(zip(present.tolist(), first.tolist(), strict=True))
        for k in unmatched:
            report.append(
                {
                    "column": column,
                    "value": how[k] if how[k] else "(empty)",
                    "rows": int(counts[k]),
                    "first_line": int(lines[first_row[k]]),
                    "became": lookup.default or "",
                }
            )
    return mapped, report


def to_our_columns(raw: pd.DataFrame, source: str) -> tuple[pd.DataFrame, list[str]]:
    """A log in our format: our columns, and the names of the columns ignored."""
    ignored = [c for c in raw.columns if c not in LOG_COLUMNS]
    missing = [c for c in REQUIRED if c not in raw.columns]
    if missing:
        header = ",".join(map(str, raw.columns))
        sep = next(
            (
                f"{name} ({c!r})"
                for c, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "bars"))
                if c in header
            ),
            None,
        )
        fix = (
            f"the fields seem separated by {sep}: save it with commas"
            if sep and len(raw.columns) == 1
            else "rename them, or read another system's export with --mapping FILE (streetchief "
            "import-log EXPORT --suggest-mapping FILE writes one to start from)"
        )
        raise IssueLogError(
            source,
            [
                f"missing column{'s' * (len(missing) > 1)} {', '.join(missing)}; the file has: "
                f"{', '.join(map(str, raw.columns))}; {fix}"
            ],
        )
    return raw[[c for c in LOG_COLUMNS if c in raw.columns]].copy(), ignored


def apply_mapping(
    raw: pd.DataFrame, mapping: Mapping, source: str, scenario=None, lines=None
) -> Mapped:
    """Another system's export in our columns, their names turned into our keys."""
    lines = np.arange(1, len(raw) + 1) if lines is None else np.asarray(lines)
    notes = []
    absent = {ours: theirs for ours, theirs in mapping.columns.items() if theirs not in raw}
    fallback = {"zone": mapping.zones, "category": mapping.categories}
    problems = []
    for ours, theirs in absent.items():
        if ours in REQUIRED and not (ours in fallback and fallback[ours].default is not None):
            problems.append(
                f"the mapping reads {ours}: column {theirs!r}, which the file does not have"
            )
        elif ours in POINT and mapping.zones.geojson:
            problems.append(
                f"the mapping reads {ours}: column {theirs!r} for zones.geojson, which the file "
                "does not have"
            )
        else:
            notes.append(f"the file has no column {theirs!r} (the mapping's {ours}): left empty")
    for c in REQUIRED:
        if c in mapping.columns:
            continue
        if c in fallback and (
            fallback[c].default is not None or (c == "zone" and mapping.zones.geojson)
        ):
            continue
        problems.append(f"the mapping does not say which column holds {c}")
    for rule_name in ("resolved_when", "dropped_when"):
        rule = getattr(mapping, rule_name)
        if rule is not None and rule.column not in raw:
            problems.append(
                f"the mapping's {rule_name} reads column {rule.column!r}, which the file does "
                "not have"
            )
    if problems:
        raise IssueLogError(
            source, problems + [f"the file has: {', '.join(map(str, raw.columns))}"]
        )
    n = len(raw)
    none = pd.Series([None] * n, index=raw.index, dtype=object)
    out = pd.DataFrame(
        {
            ours: (raw[theirs] if theirs in raw else none)
            for ours, theirs in mapping.columns.items()
            if ours not in POINT
        },
        index=raw.index,
    )
    for c in ("zone", "category"):
        if c not in out:
            out[c] = none
    unmapped: list[dict] = []
    keys = {
        "category": list(scenario.categories) if scenario else [],
        "zone": list(scenario.zones) if scenario else [],
        "department": list(scenario.departments) if scenario else [],
    }
    if mapping.zones.geojson:
        from streetchief.issue_log.geo import ZonePolygons

        polygons = ZonePolygons.load(
            Path(getattr(mapping, "_folder", Path("."))) / mapping.zones.geojson,
            mapping.zones.property,
        )
        lat_c, lon_c = mapping.columns["latitude"], mapping.columns["longitude"]
        inside = polygons.locate(raw[lat_c], raw[lon_c])
        # the polygon's name where the point lies in one; their zone column (or nothing) elsewhere
        out["zone"] = pd.Series(inside, index=raw.index).where(pd.notna(inside), out["zone"])
        found = int(pd.notna(inside).sum())
        notes.append(
            f"zones from points: {found:,} of {n:,} rows lie in a polygon of "
            f"{mapping.zones.geojson}"
        )
        if polygons.overlaps:
            notes.append(
                f"zone polygons that overlap in {mapping.zones.geojson} (a point in both goes to "
                f"the first in the file): {'; '.join(polygons.overlaps[:5])}"
                + (f" and {len(polygons.overlaps) - 5} more" if len(polygons.overlaps) > 5 else "")
            )
    for col, lookup in (
        ("category", mapping.categories),
        ("zone", mapping.zones),
        ("department", mapping.departments),
    ):
        if col not in out:
            continue
        if col == "department" and not (lookup.values or lookup.patterns or lookup.default):
            continue
        out[col], report = resolve_names(out[col], lookup, keys[col], lines, col)
        unmapped.extend(report)
    dropped = {}
    status_cols = [c for c in ("resolved_at", "closed_at") if c in out]
    if mapping.resolved_when is not None or mapping.dropped_when is not None:
        rw, dw = mapping.resolved_when, mapping.dropped_when
        done = _status_in(raw, rw) if rw else None
        gone = _status_in(raw, dw) if dw else pd.Series(False, index=raw.index)
        if done is None:
            done = ~gone
        if gone.any():
            dropped = raw[dw.column][gone].map(lambda v: " ".join(str(v).split())).value_counts()
            dropped = {str(k): int(v) for k, v in dropped.items()}
        for c in status_cols:
            keep = done | gone if c == "closed_at" else done & ~gone
            out[c] = out[c].where(keep, None)
    order = [c for c in LOG_COLUMNS if c in out.columns]
    unmapped_frame = pd.DataFrame(
        unmapped, columns=["column", "value", "rows", "first_line", "became"]
    )
    if len(unmapped_frame):
        unmapped_frame = unmapped_frame.sort_values(
            ["column", "rows"], ascending=[True, False], kind="stable"
        )
    return Mapped(out[order], unmapped_frame.reset_index(drop=True), notes, dropped)


def _status_in(raw: pd.DataFrame, rule: StatusRule) -> pd.Series:
    wanted = {_norm(v) for v in rule.values}
    codes, uniques = pd.factorize(raw[rule.column])
    hit = np.array([_norm(u) in wanted for u in uniques] + [False], dtype=bool)
    return pd.Series(hit[np.where(codes < 0, len(uniques), codes)], index=raw.index)
