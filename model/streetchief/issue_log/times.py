"""Times in logs: read as instants (UTC), so that order and durations stay right across a
daylight-saving change, and placed on the model's clock, which is the district's local time.

Rules, for a time zone with daylight saving:
- a time with an offset (…-04:00, …Z) is that instant;
- a local time without one is read in the log's time zone; a local time that occurs twice (the hour
  repeated when the clocks go back) is taken as its first, daylight-saving, occurrence; a local
  time inside the hour skipped when the clocks go forward does not exist: it is an error (the row
  is rejected, with that reason, under --skip-invalid);
- issues are sorted, and recorded durations computed, on instants; the model's clock (calendars,
  office hours, nights) runs on local time, 24 hours a day, and a report in the repeated hour is
  placed no earlier than the report before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from streetchief.issue_log.columns import _OFFSET

# formats tried on times that do not read, to say which `time_format` would read them
CANDIDATES = (
    "%m/%d/%Y %I:%M:%S %p",
    "%m/%d/%Y %I:%M %p",
    "%m/%d/%Y %H:%M:%S",
    "%m/%d/%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y/%m/%d %H:%M:%S",
    "%Y/%m/%d %H:%M",
    "%Y%m%d%H%M%S",
    "%d-%b-%Y %H:%M:%S",
    "%b %d %Y %I:%M:%S %p",
    "%m/%d/%Y",
    "%d/%m/%Y",
)
SHORT_YEAR = (  # US exports with two-digit years, 12- or 24-hour clocks (Boston's, some LA's)
    "%m/%d/%y %I:%M:%S %p",
    "%m/%d/%y %I:%M %p",
    "%m/%d/%y %H:%M:%S",
    "%m/%d/%y %H:%M",
    "%m/%d/%y",
)
UNIX_FROM, UNIX_TO = pd.Timestamp("1970-01-01", tz="UTC"), pd.Timestamp("2200-01-01", tz="UTC")
_ARROW_SAFE = re.compile(r"%[fzZ:]")  # directives Arrow's strptime does not read like Python's


@dataclass
class ParsedTimes:
    """A column of times: instants (UTC; NaT where empty or unusable) and what went wrong."""

    utc: pd.Series
    bad: np.ndarray  # given, but not a date-time in the format
    gap: np.ndarray  # a local time that does not exist (skipped when the clocks go forward)
    repeated: np.ndarray  # a local time that occurs twice; its first occurrence taken


def parse_times(values: pd.Series, tz: str, formats: list[str] | None) -> ParsedTimes:
    s = values.astype("string").str.strip()
    present = (s.notna() & (s != "")).to_numpy(bool)
    n = len(s)
    out = np.full(n, np.datetime64("NaT", "us"), dtype="datetime64[us]")  # instants, in UTC
    gap, repeated = np.zeros(n, bool), np.zeros(n, bool)
    todo = present.copy()
    for fmt in formats or ["ISO8601"]:
        if not todo.any():
            break
        idx = np.flatnonzero(todo)
        sub = s.iloc[idx]
        if fmt in ("unix", "unix_ms"):
            num = pd.to_numeric(sub, errors="coerce")
            got = pd.to_datetime(
                num, unit="s" if fmt == "unix" else "ms", utc=True, errors="coerce"
            )
            # milliseconds read as seconds land tens of thousands of years away: not a time
            _put(out, idx, got.where((got >= UNIX_FROM) & (got < UNIX_TO)))
        elif fmt.upper() == "ISO8601":
            aware = sub.str.contains(_OFFSET, regex=True, na=False).to_numpy(bool)
            if aware.any():
                got = pd.to_datetime(sub[aware], format="ISO8601", utc=True, errors="coerce")
                _put(out, idx[aware], got)
            if (~aware).any():
                naive = pd.to_datetime(sub[~aware], format="ISO8601", errors="coerce")
                _localize(out, idx[~aware], naive, tz, gap, repeated)
        elif "%z" in fmt or "%Z" in fmt:
            _put(out, idx, pd.to_datetime(sub, format=fmt, utc=True, errors="coerce"))
        else:
            _localize(out, idx, _strptime(sub, fmt), tz, gap, repeated)
        todo = present & np.isnat(out) & ~gap
    utc = pd.Series(out, index=values.index).dt.tz_localize("UTC")
    return ParsedTimes(utc, present & np.isnat(out) & ~gap, gap, repeated)


def _strptime(sub: pd.Series, fmt: str) -> pd.Series:
    """Naive times in `fmt`: Arrow's strptime (fast, in C++) first, pandas for what it leaves."""
    got = None
    if not _ARROW_SAFE.search(fmt):
        import pyarrow as pa
        import pyarrow.compute as pc

        try:
            arr = pc.strptime(
                pa.array(sub.to_numpy(object), pa.string()),
                format=fmt,
                unit="us",
                error_is_null=True,
            )
            got = pd.Series(
                arr.to_numpy(zero_copy_only=False), index=sub.index, dtype="datetime64[us]"
            )
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            got = None
    if got is None:
        return pd.to_datetime(sub, format=fmt, errors="coerce").astype("datetime64[us]")
    left = got.isna().to_numpy()
    if left.any():
        got[left] = pd.to_datetime(sub[left], format=fmt, errors="coerce").astype("datetime64[us]")
    return got


def _put(out: np.ndarray, idx: np.ndarray, got: pd.Series) -> None:
    if len(idx):
        naive = got.dt.tz_convert("UTC").dt.tz_localize(None)
        out[idx] = naive.to_numpy(dtype="datetime64[us]")


def _localize(out, idx, naive: pd.Series, tz: str, gap, repeated) -> None:
    """Local times in `tz` as instants: a repeated time as its first occurrence, a skipped one
    marked in `gap`."""
    if not len(idx):
        return
    if getattr(naive.dt, "tz", None) is not None:  # the format carried an offset after all
        _put(out, idx, naive)
        return
    naive = naive.astype("datetime64[us]")
    loc = naive.dt.tz_localize(tz, ambiguous="NaT", nonexistent="NaT")
    odd = (loc.isna() & naive.notna()).to_numpy()
    if odd.any():
        again = naive[odd].dt.tz_localize(
            tz, ambiguous=np.ones(int(odd.sum()), bool), nonexistent="NaT"
        )
        ok = again.notna().to_numpy()
        loc[odd] = again
        repeated[idx[np.flatnonzero(odd)[ok]]] = True
        gap[idx[np.flatnonzero(odd)[~ok]]] = True
    _put(out, idx, loc)


def guess_format(values: list[str]) -> str | None:
    """A time_format that reads every one of `values` (a few examples), or None."""
    values = [v.strip() for v in values if v and v.strip()]
    if not values:
        return None
    if all(re.fullmatch(r"\d{9,10}(\.\d+)?", v) for v in values):
        return "unix"
    if all(re.fullmatch(r"\d{12,13}", v) for v in values):
        return "unix_ms"
    sample = pd.Series(values)
    iso_like = all(re.match(r"\d{4}-\d{2}-\d{2}", v) for v in values)
    # utc: offsets that change within a column (daylight saving) are one instant each
    iso = pd.to_datetime(sample, format="ISO8601", utc=True, errors="coerce")
    if iso_like and iso.notna().all():
        return "ISO8601"
    # a two-digit year (1/1/20 0:05): %y first, or %Y would read the year 20
    short_year = all(re.match(r"\d{1,2}/\d{1,2}/\d{2}(?!\d)", v) for v in values)
    for fmt in SHORT_YEAR if short_year else CANDIDATES:
        if pd.to_datetime(sample, format=fmt, utc=True, errors="coerce").notna().all():
            return fmt
    return None


def gap_text(value, tz: str) -> str:
    return (
        f"{value!r} does not exist in {tz}: the clocks skip that hour (daylight saving); write "
        "the time with its offset, or the time the clocks showed"
    )


def local_hours(times: pd.Series, start) -> np.ndarray:
    """Hours of the local wall clock from `start` (naive local), for aware `times`."""
    wall = times.dt.tz_localize(None)
    return ((wall - pd.Timestamp(start)) / pd.Timedelta(hours=1)).to_numpy(float, na_value=np.nan)


def elapsed_hours(later: pd.Series, earlier: pd.Series) -> np.ndarray:
    """Real hours between two aware columns (computed on instants)."""
    return ((later - earlier) / pd.Timedelta(hours=1)).to_numpy(float, na_value=np.nan)
