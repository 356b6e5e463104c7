"""Checking a log row by row: times parse, names are known, ids unique, responses after reports.

A row that cannot be an issue is rejected with its reason; a response that cannot be right (a
close before the report, a time the clocks skipped) is dropped and the issue kept. Order is not
validity: rows are sorted by report time, and how many were out of order is counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from streetchief.errors import SHOWN
from streetchief.issue_log.columns import FALSE, OBSERVED_TIMES, REQUIRED, TIMES, TRUE
from streetchief.issue_log.times import gap_text, guess_format, parse_times
from streetchief.issues import CHIEF, MERCHANT, PATROL
from streetchief.scenario import Scenario


@dataclass
class Checked:
    """The rows kept (times as aware datetimes in the log's zone, sorted by report time), the rows
    rejected and the responses dropped, each with its reason, and a message per kind of problem."""

    good: pd.DataFrame
    rejected: pd.DataFrame  # index of the row, reason
    responses: pd.DataFrame  # line, file, column, value, reason: dropped, the issue kept
    messages: list[str]
    out_of_order: int = 0
    repeated_times: int = 0  # local times in the hour the clocks repeat: first occurrence taken
    page_repeats: int = 0  # rows repeating an earlier row exactly (overlapping pages)


def check_rows(
    frame: pd.DataFrame,
    scenario: Scenario,
    tz: str,
    formats: list[str] | None = None,
    where=None,
    mapping_source: str | None = None,
) -> Checked:
    """Check `frame` (our columns as text, plus `line` and `file`). `where(k)` names row k's place
    ('line 5', or 'line 5 of page2.json'); `mapping_source` names the mapping it is read through."""
    n = len(frame)
    reason = pd.Series([None] * n, index=frame.index, dtype=object)
    messages: list[str] = []
    lines = frame.line
    where = where or (lambda k: f"line {lines.iloc[k]}")

    def flag(mask, why_per_row, summary, error=True):
        mask = pd.Series(np.asarray(mask, bool), index=frame.index)
        if not mask.any():
            return
        new = mask & reason.isna()
        if new.any():  # rows already set aside for another reason keep it (and nothing to build)
            reason[new] = why_per_row(new) if callable(why_per_row) else why_per_row
        if error:
            messages.append(summary(mask))

    def first_lines(mask, k=SHOWN):
        pos = np.flatnonzero(np.asarray(mask, bool))
        shown = [where(p) for p in pos[:k]]
        text = shown[0] + "".join(", " + s.removeprefix("line ") for s in shown[1:])
        return text + (f" and {len(pos) - k} more" if len(pos) > k else "")

    for col in REQUIRED:
        empty = frame[col].isna() | (frame[col].astype("string").str.strip() == "").fillna(True)
        flag(
            empty,
            f"{col} is empty",
            lambda m, col=col: f"{first_lines(m)}: {col} is empty; every issue needs one",
        )
    responses = []
    repeated = 0
    for col in TIMES:
        if col not in frame:
            continue
        given = frame[col].notna()
        parsed = parse_times(frame[col], tz, formats)
        repeated += int((parsed.repeated & given.to_numpy()).sum())
        bad = parsed.bad
        if bad.any():
            values = frame[col][bad]
            guess = guess_format(values.head(5).tolist())
            flag(
                bad,
                lambda m, col=col: (
                    f"{col}: " + frame[col][m].astype(str).map(repr) + " is not a date-time"
                ),
                lambda m, col=col, values=values, guess=guess: (
                    f"{first_lines(m)}: {col} is not a date-time "
                    f"({', '.join(repr(v) for v in values.head(3))}); "
                    + _time_fix(formats, guess, mapping_source)
                ),
            )
        if parsed.gap.any():
            gap = pd.Series(parsed.gap, index=frame.index)
            if col == "reported_at":
                flag(
                    gap,
                    lambda m, col=col: frame[col][m].map(
                        lambda v: "reported_at " + gap_text(v, tz)
                    ),
                    lambda m, col=col: (
                        f"{first_lines(m)}: reported_at " + gap_text(frame[col][m].iloc[0], tz)
                    ),
                )
            else:
                responses.append(
                    _dropped(frame, gap, col, lambda v, col=col: f"{col} " + gap_text(v, tz))
                )
        frame[col] = parsed.utc.dt.tz_convert(tz)
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

            def first(v):
                return where(int(np.argmax((m & (frame[col] == v)).to_numpy())))

            shown = ", ".join(
                f"{v!r} ({c}×, first on {first(v)})" for v, c in vals.head(SHOWN).items()
            )
            more = f" and {len(vals) - SHOWN} more names" if len(vals) > SHOWN else ""
            fix = (
                f"Add them to the mapping {mapping_source} ({how}: values: {{their name: our "
                f"key}}), or give it {how}: default: KEY for any other name"
                if mapping_source
                else f"Rename them in the log, or map them with --mapping FILE ({how}: "
                "{their name: our key}); a mapping's default: takes any other name"
            )
            return f"unknown {col} {shown}{more}; known {how}: {', '.join(known)}. {fix}"

        flag(
            unknown,
            lambda m, col=col, val=val: "unknown " + col + " " + val[m].astype(str).map(repr),
            summary,
        )
    if "discovered_by" in frame:
        d = frame.discovered_by
        flag(
            d.notna() & ~d.isin([MERCHANT, CHIEF, PATROL]),
            "discovered_by must be merchant, chief or patrol",
            lambda m: (
                f"{first_lines(m)}: discovered_by must be {MERCHANT}, {CHIEF} or {PATROL} "
                "(or empty)"
            ),
        )
    if "unclear" in frame:  # the case's own word on its responsibility; empty: drawn
        text = frame.unclear.astype("string").str.strip().str.lower()
        flag(
            text.notna() & ~text.isin(TRUE + FALSE),
            "unclear must be true or false (or empty)",
            lambda m: (
                f"{first_lines(m)}: unclear must be true or false, or empty to draw it "
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
                f"{first_lines(m)}: work_hours must be a number of hours above 0, or empty "
                f"to draw it ({', '.join(repr(v) for v in frame.work_hours[m].head(3))})"
            ),
        )
        frame["work_hours"] = hours
    page_repeats = 0
    if "issue_id" in frame:
        ids = frame.issue_id
        dup = ids.notna() & ids.duplicated(keep=False)
        if dup.any():
            pos = pd.Series(np.arange(n), index=frame.index)
            first_pos = pos[dup].groupby(ids[dup]).transform("min").reindex(frame.index)
            later = dup & ids.duplicated(keep="first")
            ours = [c for c in frame.columns if c not in ("line", "file")]
            same = later & frame.duplicated(subset=ours, keep="first")
            page_repeats = int(same.sum())
            # the same request on two pages of one export: kept once, the repeat set aside
            flag(
                same,
                lambda m: first_pos[m].map(
                    lambda p: f"repeats {where(int(p))} exactly (pages that overlap)"
                ),
                None,
                error=False,
            )
            flag(
                later & ~same,
                lambda m: (
                    "issue_id "
                    + ids[m].astype(str).map(repr)
                    + " already used on "
                    + first_pos[m].map(lambda p: where(int(p)))
                ),
                lambda m: (
                    f"{first_lines(m)}: issue_id already used on an earlier line (e.g. "
                    f"{ids[m].iloc[0]!r}, first on {where(int(first_pos[m].iloc[0]))}); ids must "
                    "be unique"
                ),
            )
    ok = reason.isna()
    for col in OBSERVED_TIMES:
        if col in frame:
            early = (
                ok
                & frame[col].notna()
                & frame.reported_at.notna()
                & (frame[col] < frame.reported_at)
            )
            if early.any():
                responses.append(
                    _dropped(
                        frame,
                        early,
                        col,
                        lambda v, col=col: (
                            f"{col} is before reported_at: the response is dropped, the issue kept"
                        ),
                    )
                )
                frame.loc[early, col] = pd.NaT
    # order: count the kept rows reported earlier than a kept row above them, then sort
    t = frame.reported_at.where(ok)
    late = ok & (t < t.ffill().cummax().shift(1))
    out_of_order = int(late.sum())
    bad = reason.notna()
    good = frame[~bad]
    if out_of_order:
        good = good.sort_values("reported_at", kind="stable")
    good = good.copy()
    # no id: the line number, after the file's number when there are several files
    number = good.line.astype(str)
    if "file" in good and frame.file.nunique() > 1:
        number = (good.file + 1).astype(str) + "-" + number
    if "issue_id" not in good:
        good.insert(1, "issue_id", number)
    good["issue_id"] = good.issue_id.where(good.issue_id.notna(), number).astype(str)
    rejected = pd.DataFrame({"reason": reason[bad]})
    dropped = (
        pd.concat(responses, ignore_index=True)
        if responses
        else pd.DataFrame(columns=["line", "file", "column", "value", "reason"])
    )
    if len(dropped):  # only responses of issues kept
        kept_rows = set(zip(good.line, good.file, strict=True)) if "file" in good else None
        if kept_rows is not None:
            keep = [(ln, f) in kept_rows for ln, f in zip(dropped.line, dropped.file, strict=True)]
            dropped = dropped[keep].reset_index(drop=True)
    return Checked(good, rejected, dropped, messages, out_of_order, repeated, page_repeats)


def _dropped(frame, mask, col, why) -> pd.DataFrame:
    m = np.asarray(mask, bool)
    values = frame[col][m]
    return pd.DataFrame(
        {
            "line": frame.line[m].to_numpy(),
            "file": frame.file[m].to_numpy() if "file" in frame else 0,
            "column": col,
            "value": values.astype(str).to_numpy(),
            "reason": [why(v) for v in values],
        }
    )


def _time_fix(formats, guess, hint) -> str:
    if formats and formats != ["ISO8601"]:
        fix = (
            f"the mapping's time_format {formats[0]!r} does not read them: set time_format in the "
            "mapping to the format of these times"
        )
    elif hint:
        fix = f"set time_format in the mapping ({hint}) to the format of these times"
    else:
        fix = (
            "write ISO 8601, e.g. 2019-10-23T19:40 or 2019-10-23 19:40:00+08:00, or read the "
            "file through a mapping with time_format"
        )
    if guess and guess.upper() == "ISO8601":
        fix += " (these are ISO 8601: add ISO8601 to the list of time_format)"
    elif guess:
        fix += f" (these read with time_format: {guess!r})"
    else:
        example = datetime(2019, 10, 23, 19, 40).strftime("%m/%d/%Y %I:%M:%S %p")
        fix += f"; for example {example!r} reads with '%m/%d/%Y %I:%M:%S %p'"
    return fix
