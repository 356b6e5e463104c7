"""Checking a log row by row: times parse, names are known, ids unique, responses after reports."""

from __future__ import annotations

from datetime import datetime

import numpy as np
import pandas as pd

from streetchief.errors import SHOWN
from streetchief.issue_log.columns import _OFFSET, FALSE, OBSERVED_TIMES, REQUIRED, TIMES, TRUE
from streetchief.issue_log.mappings import Mapping
from streetchief.issues import CHIEF, MERCHANT
from streetchief.scenario import Scenario


def _parse_times(values: pd.Series, tz: str, fmt: str | None) -> pd.Series:
    """Local naive datetimes; NaT where empty or unparseable."""
    s = values.astype("string")
    present = s.notna()
    aware = s.str.contains(_OFFSET, regex=True, na=False).to_numpy(bool)
    out = pd.Series(pd.NaT, index=values.index, dtype="datetime64[us]")
    kw = {"format": fmt or "ISO8601", "errors": "coerce"}
    if (~aware & present.to_numpy()).any():
        naive = pd.to_datetime(s[~aware & present.to_numpy()], **kw)
        if getattr(naive.dt, "tz", None) is not None:
            naive = naive.dt.tz_localize(None)
        out[naive.index] = naive.astype("datetime64[us]")
    if aware.any():
        conv = pd.to_datetime(s[aware], utc=True, **kw).dt.tz_convert(tz).dt.tz_localize(None)
        out[conv.index] = conv.astype("datetime64[us]")
    return out


def check_rows(
    frame: pd.DataFrame, scenario: Scenario, mapping: Mapping | None
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """(the valid rows, parsed; the invalid ones as line, reason; a message per kind of problem)."""
    n = len(frame)
    reason = pd.Series([None] * n, index=frame.index, dtype=object)
    messages: list[str] = []
    lines = frame.line

    def flag(mask, why_per_row, summary):
        mask = pd.Series(np.asarray(mask, bool), index=frame.index)
        if not mask.any():
            return
        new = mask & reason.isna()
        reason[new] = why_per_row(new) if callable(why_per_row) else why_per_row
        messages.append(summary(mask))

    def first_lines(mask, k=SHOWN):
        ln = lines[mask].tolist()
        return ", ".join(map(str, ln[:k])) + (f" and {len(ln) - k} more" if len(ln) > k else "")

    for col in REQUIRED:
        empty = frame[col].isna() | (frame[col].astype("string").str.strip() == "").fillna(True)
        flag(
            empty,
            f"{col} is empty",
            lambda m, col=col: f"line {first_lines(m)}: {col} is empty; every issue needs one",
        )
    fmt = mapping.time_format if mapping else None
    example = (
        f"write e.g. {datetime(2019, 10, 23, 19, 40).strftime(fmt)}"
        if fmt
        else "write ISO 8601, e.g. 2019-10-23T19:40 or 2019-10-23 19:40:00+08:00"
    )
    for col in TIMES:
        if col not in frame:
            continue
        given = frame[col].notna()
        parsed = _parse_times(frame[col], scenario.run.timezone, fmt)
        bad = given & parsed.isna()
        flag(
            bad,
            lambda m, col=col: (
                f"{col}: " + frame[col][m].astype(str).map(repr) + " is not a date-time"
            ),
            lambda m, col=col: (
                f"line {first_lines(m)}: {col} is not a date-time "
                f"({', '.join(repr(v) for v in frame[col][m].head(3))}); {example}"
            ),
        )
        frame[col] = parsed
    for col, known, how in (
        ("zone", scenario.zones, "zones"),
        ("category", scenario.categories, "categories"),
        ("department", scenario.departments, "departments"),
    ):
        if col not in frame:
            continue
        val = frame[col]
        unknown = val.notna() & ~val.isin(list(known))
        if col != "department":
            unknown &= reason.isna() | ~reason.astype(str).str.startswith(f"{col} is empty")

        def summary(m, col=col, known=known, how=how):
            vals = frame[col][m].value_counts()
            shown = ", ".join(
                f"{v!r} ({c}×, first on line {lines[m & (frame[col] == v)].iloc[0]})"
                for v, c in vals.head(SHOWN).items()
            )
            more = f" and {len(vals) - SHOWN} more names" if len(vals) > SHOWN else ""
            return (
                f"unknown {col} {shown}{more}; known {how}: {', '.join(known)}. Rename them in the "
                f"log, or map them with --mapping FILE ({how}: {{their name: our key}})"
            )

        flag(
            unknown,
            lambda m, col=col, val=val: "unknown " + col + " " + val[m].astype(str).map(repr),
            summary,
        )
    if "discovered_by" in frame:
        d = frame.discovered_by
        flag(
            d.notna() & ~d.isin([MERCHANT, CHIEF]),
            "discovered_by must be merchant or chief",
            lambda m: (
                f"line {first_lines(m)}: discovered_by must be {MERCHANT} or {CHIEF} (or empty)"
            ),
        )
    if "unclear" in frame:  # the case's own word on its responsibility; empty: drawn
        text = frame.unclear.astype("string").str.strip().str.lower()
        flag(
            text.notna() & ~text.isin(TRUE + FALSE),
            "unclear must be true or false (or empty)",
            lambda m: (
                f"line {first_lines(m)}: unclear must be true or false, or empty to draw it "
                f"({', '.join(repr(v) for v in frame.unclear[m].head(3))})"
            ),
        )
        frame["unclear"] = text.astype(object).map(lambda v: v in TRUE, na_action="ignore")
    if "work_hours" in frame:  # crew hours on site; empty: drawn from the category's work
        hours = pd.to_numeric(frame.work_hours, errors="coerce")
        flag(
            frame.work_hours.notna() & ~(hours > 0),
            "work_hours must be a number of hours above 0 (or empty)",
            lambda m: (
                f"line {first_lines(m)}: work_hours must be a number of hours above 0, or empty "
                f"to draw it ({', '.join(repr(v) for v in frame.work_hours[m].head(3))})"
            ),
        )
        frame["work_hours"] = hours
    if "issue_id" in frame:
        ids = frame.issue_id
        dup = ids.notna() & ids.duplicated(keep=False)
        first_of = (
            ids[dup].map(lambda v: lines[dup & (ids == v)].iloc[0])
            if dup.any()
            else pd.Series(dtype=object)
        )
        later = dup & ids.duplicated(keep="first")
        flag(
            later,
            lambda m: (
                "issue_id "
                + ids[m].astype(str).map(repr)
                + " already used on line "
                + first_of.reindex(frame.index)[m].astype(str)
            ),
            lambda m: (
                f"line {first_lines(m)}: issue_id already used on an earlier line (e.g. "
                f"{ids[m].iloc[0]!r}, first on line {first_of[m].iloc[0]}); ids must be unique"
            ),
        )
    for col in OBSERVED_TIMES:
        if col in frame:
            early = (
                frame[col].notna() & frame.reported_at.notna() & (frame[col] < frame.reported_at)
            )
            flag(
                early,
                f"{col} before reported_at",
                lambda m, col=col: (
                    f"line {first_lines(m)}: {col} is before reported_at; check the columns"
                ),
            )
    # order: among rows otherwise valid, each must not be earlier than any before it
    ok = reason.isna()
    t = frame.reported_at.where(ok)
    before = t.ffill().cummax().shift(1)
    late = ok & (t < before)
    flag(
        late,
        "reported before the row above it (the log must be in order of reported_at)",
        lambda m: (
            f"line {first_lines(m)}: reported_at earlier than a row above it; sort the log by "
            "reported_at"
        ),
    )
    bad = reason.notna()
    good = frame[~bad].copy()
    if "issue_id" not in good:
        good.insert(1, "issue_id", good.line.astype(str))
    good["issue_id"] = good.issue_id.where(good.issue_id.notna(), good.line.astype(str)).astype(str)
    rejected = pd.DataFrame({"line": lines[bad], "reason": reason[bad]})
    return good, rejected, messages
