"""Mapping files: another system's export (NYC 311, Open311, ...) → the issue-log format.

A mapping names their columns, their time format, and their category, street and agency names in
our keys; `resolved_when` says which of their statuses mean resolved.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from streetchief.errors import IssueLogError, describe_error
from streetchief.issue_log.columns import LOG_COLUMNS, REQUIRED


class ResolvedWhen(BaseModel):
    """Which of their statuses mean resolved (their other rows keep no resolution time)."""

    model_config = ConfigDict(extra="forbid")
    column: str = Field(description="their status column")
    values: list[str] = Field(min_length=1, description="statuses meaning resolved, e.g. [Closed]")


class Mapping(BaseModel):
    """How to read another system's export: its columns, time format and names, in our terms."""

    model_config = ConfigDict(extra="forbid")
    description: str = ""
    columns: dict[str, str] = Field(
        description="our column → their column (the same one may feed two of ours)"
    )
    time_format: str | None = Field(
        None, description="strptime format of their times; ISO 8601 when absent"
    )
    categories: dict[str, str] = Field({}, description="their category value → our category key")
    zones: dict[str, str] = Field({}, description="their street/area value → our zone key")
    departments: dict[str, str] = Field({}, description="their agency value → our department key")
    resolved_when: ResolvedWhen | None = Field(
        None, description="keep resolved_at/closed_at only for these statuses"
    )


def load_mapping(path: str | Path) -> Mapping:
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as e:
        raise IssueLogError(str(path), [f"cannot read the mapping: {e}"], "mapping") from None
    if not isinstance(raw, dict):
        raise IssueLogError(
            str(path),
            ["(top level): must be a mapping with columns:, categories:, zones:, ..."],
            "mapping",
        )
    try:
        m = Mapping.model_validate(raw)
    except ValidationError as e:
        raise IssueLogError(
            str(path), [describe_error(err, Mapping) for err in e.errors()], "mapping"
        ) from None
    unknown = sorted(set(m.columns) - set(LOG_COLUMNS))
    if unknown:
        raise IssueLogError(
            str(path),
            [
                f"columns: {', '.join(unknown)} not in the issue-log format; allowed: "
                f"{', '.join(LOG_COLUMNS)}"
            ],
            "mapping",
        )
    return m


def to_our_columns(
    raw: pd.DataFrame, mapping: Mapping | None, source: str
) -> tuple[pd.DataFrame, list[str]]:
    if mapping is None:
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
                else "rename them, or read another system's export with --mapping FILE"
            )
            raise IssueLogError(
                source,
                [
                    f"missing column{'s' * (len(missing) > 1)} {', '.join(missing)}; the file has: "
                    f"{', '.join(map(str, raw.columns))}; {fix}"
                ],
            )
        return raw[[c for c in LOG_COLUMNS if c in raw.columns]].copy(), ignored
    absent = [
        f"{ours}: column {theirs!r}"
        for ours, theirs in mapping.columns.items()
        if theirs not in raw.columns
    ]
    missing = [c for c in REQUIRED if c not in mapping.columns]
    if absent or missing:
        raise IssueLogError(
            source,
            [f"the mapping reads {a}, which the file does not have" for a in absent]
            + [f"the mapping does not say which column holds {c}" for c in missing]
            + [f"the file has: {', '.join(map(str, raw.columns))}"],
        )
    out = pd.DataFrame({ours: raw[theirs] for ours, theirs in mapping.columns.items()})
    for col, table in (
        ("category", mapping.categories),
        ("zone", mapping.zones),
        ("department", mapping.departments),
    ):
        if col in out and table:
            lookup = {str(k).strip().casefold(): v for k, v in table.items()}
            out[col] = out[col].map(
                lambda v, lookup=lookup: (
                    v if pd.isna(v) else lookup.get(str(v).strip().casefold(), v)
                )
            )
    if mapping.resolved_when is not None:
        rw = mapping.resolved_when
        if rw.column not in raw.columns:
            raise IssueLogError(
                source,
                [
                    f"the mapping's resolved_when reads column {rw.column!r}, which the file does "
                    "not have"
                ],
            )
        done = raw[rw.column].map(
            lambda v: (
                v is not None and str(v).strip().casefold() in {x.casefold() for x in rw.values}
            )
        )
        for c in ("resolved_at", "closed_at"):
            if c in out:
                out[c] = out[c].where(done, None)
    return out[[c for c in LOG_COLUMNS if c in out.columns]], []
