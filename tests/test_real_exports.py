"""Real exports (tests/data/real/, sources in its SOURCES.md), end to end through the shipped
mappings: every row accounted for, and the recorded history equal to pandas on the raw file."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from streetchief.cli import main
from streetchief.issue_log import load_mapping, read_log
from streetchief.verify import verify

ROOT = Path(__file__).resolve().parent.parent
REAL = Path(__file__).resolve().parent / "data" / "real"
MAPPINGS = ROOT / "scenarios" / "mappings"
TWELVE_HOUR = "%m/%d/%Y %I:%M:%S %p"


def _nyc():
    d = pd.read_csv(REAL / "nyc311_fedhere_PyBOOT.csv", dtype=str)
    tz = "America/New_York"
    opened = pd.to_datetime(d["Created Date"], format=TWELVE_HOUR).dt.tz_localize(tz)
    closed = pd.to_datetime(d["Closed Date"], format=TWELVE_HOUR).dt.tz_localize(tz)
    return d, opened, closed, d.Status == "Closed", pd.Series(False, index=d.index)


def _la():
    d = pd.read_csv(REAL / "la311_2018_mini.csv", dtype=str)
    tz = "America/Los_Angeles"
    opened = pd.to_datetime(d.CreatedDate, format=TWELVE_HOUR).dt.tz_localize(tz)
    closed = pd.to_datetime(d.ClosedDate, format=TWELVE_HOUR).dt.tz_localize(tz)
    dropped = d.Status.isin(["Cancelled", "Referred Out"])
    return d, opened, closed, d.Status == "Closed", dropped


def _bloomington():
    d = pd.DataFrame(json.loads((REAL / "bloomington_open311_requests.json").read_text()))
    opened = pd.to_datetime(d.requested_datetime, utc=True)
    closed = pd.to_datetime(d.updated_datetime, utc=True)
    return d, opened, closed, d.status == "closed", pd.Series(False, index=d.index)


def _san_francisco():
    d = pd.read_xml(
        REAL / "sf_open311_requests_2012.xml", xpath="./request", dtype=str, parser="etree"
    )
    tz = "America/Los_Angeles"
    opened = pd.to_datetime(d.requested_datetime).dt.tz_localize(tz)
    closed = pd.to_datetime(d.updated_datetime).dt.tz_localize(tz)
    return d, opened, closed, d.status.str.lower() == "closed", pd.Series(False, index=d.index)


# file, shipped mapping, --timezone (San Francisco's server writes local times), pandas reader
EXPORTS = {
    "nyc": ("nyc311_fedhere_PyBOOT.csv", "nyc_311.yaml", None, _nyc),
    "la": ("la311_2018_mini.csv", "la_311.yaml", None, _la),
    "bloomington": (
        "bloomington_open311_requests.json",
        "open311_georeport_v2.yaml",
        None,
        _bloomington,
    ),
    "san_francisco": (
        "sf_open311_requests_2012.xml",
        "open311_georeport_v2.yaml",
        "America/Los_Angeles",
        _san_francisco,
    ),
}


def _expected(name):
    """What the raw file says, by pandas alone: rows, rows reported before a row above them, and
    time to close over the closed rows (a close before the report is no time to close)."""
    d, opened, closed, is_closed, dropped = EXPORTS[name][3]()
    hours = (closed - opened).dt.total_seconds() / 3600
    ok = is_closed & closed.notna() & (hours >= 0)
    earlier = opened < opened.cummax().shift(1)
    return {
        "read": len(d),
        "out_of_order": int(earlier.sum()),
        "closed": int(ok.sum()),
        "mean": float(hours[ok].mean()),
        "median": float(hours[ok].median()),
        "close_before_open": int((is_closed & (hours < 0)).sum()),
        "dropped": int(dropped.sum()),
    }


def _args(name):
    file, mapping, tz, _ = EXPORTS[name]
    args = [str(REAL / file), "--mapping", str(MAPPINGS / mapping)]
    return args + (["--timezone", tz] if tz else [])


@pytest.mark.parametrize("name", EXPORTS)
def test_replay_history_of_a_real_export_matches_pandas_on_the_raw_file(name, tmp_path, capsys):
    want = _expected(name)
    out = tmp_path / "recorded"
    assert main(["replay-history", *_args(name), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    summary = json.loads((out / "summary.json").read_text())
    rows = summary["replay"]["rows"]
    # every row accounted for: read = kept + rejected, in the printed line and in summary.json
    assert rows["read"] == want["read"] == rows["kept"] + rows["rejected"]
    assert rows["rejected"] == 0  # these exports need nothing set aside with the shipped mappings
    assert rows["out_of_order"] == want["out_of_order"]
    assert (
        f"read {want['read']:,} rows: {rows['kept']:,} kept, 0 rejected, "
        f"{want['out_of_order']:,} out of order" in printed
    )
    rec = summary["arrangements"]["recorded"]
    assert rec["issues_reported"] == want["read"]
    assert rec["issues_resolved"] == rec["resolution_hours"]["n"] == want["closed"]
    assert rec["resolution_hours"]["mean"] == pytest.approx(want["mean"], rel=1e-9)
    assert rec["resolution_hours"]["median"] == pytest.approx(want["median"], rel=1e-9)
    assert rec["issues_dropped"] == want["dropped"]
    assert summary["replay"]["responses_after_window"] == 0  # the window covers every closure
    assert rows["responses_dropped"] == want["close_before_open"]
    if want["close_before_open"]:
        listed = pd.read_csv(out / "rejected_responses.csv")
        assert listed.line.nunique() == want["close_before_open"]
        assert listed.reason.str.contains("before reported_at").all()
    else:
        assert not (out / "rejected_responses.csv").exists()


def test_a_shorter_window_counts_the_closures_it_leaves_out(tmp_path, capsys):
    want = _expected("nyc")  # no close before its report in this file
    out = tmp_path / "short"
    # NYC's reports run from 00:00 to 02:06 on 1 May: a window of 0.05 day ends at 01:12
    assert main(["replay-history", *_args("nyc"), "--days", "0.05", "--out", str(out)]) == 0
    summary = json.loads((out / "summary.json").read_text())
    rec = summary["arrangements"]["recorded"]
    d, opened, closed, is_closed, _ = _nyc()
    end = opened.min().normalize() + pd.Timedelta(hours=1.2)
    assert (opened > end).any()  # some reports fall outside too: outside_window.csv
    inside = opened < end
    after = inside & is_closed & (closed > end)
    assert summary["replay"]["responses_after_window"] == int(after.sum()) > 0
    assert rec["issues_resolved"] == int((inside & is_closed & (closed <= end)).sum())
    assert rec["issues_reported"] + summary["replay"]["outside_window"] == want["read"]
    assert "have a recorded response after the window's end" in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPORTS)
def test_compare_replays_a_real_export_with_the_recorded_column_in_full(name, tmp_path, capsys):
    want = _expected(name)
    out = tmp_path / "cmp"
    args = ["compare", "jingxing_2019", "--replay", *_args(name), "--replications", "2"]
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    table = pd.read_csv(out / "comparison.csv").set_index("outcome")
    assert table.loc["resolution_mean_h", "recorded"] == pytest.approx(want["mean"], rel=1e-9)
    assert table.loc["resolution_median_h", "recorded"] == pytest.approx(want["median"], rel=1e-9)
    reported = table.loc["issues_reported", ["recorded", "street_chief", "multi_layer"]]
    assert reported.tolist() == [want["read"]] * 3
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("name", EXPORTS)
def test_import_log_writes_every_kept_row_in_order_of_report(name, tmp_path, capsys):
    out = tmp_path / "log.csv"
    assert main(["import-log", *_args(name), "--out", str(out)]) == 0
    log = pd.read_csv(out)
    assert len(log) == _expected(name)["read"]
    times = pd.to_datetime(log.reported_at, format="ISO8601", utc=True)
    assert times.is_monotonic_increasing
    assert log.issue_id.is_unique


@pytest.mark.parametrize("name", EXPORTS)
def test_suggest_mapping_lists_every_value_and_gives_a_mapping_that_reads_the_export(
    name, tmp_path, capsys, jingxing
):
    file = REAL / EXPORTS[name][0]
    new = tmp_path / "new.yaml"
    assert main(["import-log", str(file), "--suggest-mapping", str(new)]) == 0
    m = load_mapping(new)
    assert {"reported_at", "category", "zone"} <= set(m.columns)
    raw = _expected_raw(name)
    listed = yaml.safe_load(new.read_text())["categories"]["values"]
    counts = raw[m.columns["category"]].dropna().map(lambda v: " ".join(str(v).split()))
    assert set(listed) == set(counts.unique())
    # the counts are written beside each value, most frequent first
    text = new.read_text()
    top = counts.value_counts().index[0]
    assert f'"{top}": null   # {counts.value_counts().iloc[0]:,}' in text or f'"{top}": "' in text
    # defaults filled in, as a user would: the export reads whole
    filled = (
        text.replace("  default: null", "  default: frontage_order", 1)
        .replace("  default: null", "  default: pingshe_road", 1)
        .replace("  default: null", "  default: township_community", 1)
    )
    new.write_text(filled)
    tz = EXPORTS[name][2]
    log = read_log(file, jingxing, new, timezone=tz)
    assert log.counts["kept"] == log.counts["read"] == len(raw)


def _expected_raw(name):
    return EXPORTS[name][3]()[0]


def test_the_mappings_key_numbers_need_no_quotes():
    m = load_mapping(MAPPINGS / "la_311.yaml")
    assert m.zones.values["13"] == "fengshan_street"  # CD 13, written unquoted


def test_fixture_sources_are_listed():
    sources = (REAL / "SOURCES.md").read_text()
    for file, *_ in EXPORTS.values():
        assert f"`{file}`" in sources
    assert np.all([(REAL / f).stat().st_size > 0 for f, *_ in EXPORTS.values()])


@pytest.mark.slow
def test_a_mistyped_year_is_said_first_and_can_be_set_aside_keeping_every_other_row(
    tmp_path, capsys, jingxing
):
    """One report typed in 2001 in the Los Angeles export: the note on it comes first, with a
    remedy that keeps the other rows; --set-aside-far sets that row aside with its reason (and
    the responses long after the last report, the issues kept), and the rest reads as the export
    without the typo does; a comparison records it and verify reads the log the same way."""
    raw = pd.read_csv(REAL / "la311_2018_mini.csv", dtype=str)
    raw.loc[500, "CreatedDate"] = raw.CreatedDate[500].replace("2018", "2001")
    typo = tmp_path / "la_typo.csv"
    raw.to_csv(typo, index=False)
    args = [str(typo), "--mapping", str(MAPPINGS / "la_311.yaml")]
    assert main(["import-log", *args, "--out", str(tmp_path / "as_read.csv")]) == 0
    notes = capsys.readouterr().err.splitlines()
    assert "line 502 reported_at 2001-01-01 13:56" in notes[0], notes[0]
    assert "(without them, 33)" in notes[0] and "pass --set-aside-far" in notes[0]
    assert "read the other 9,999 issue(s)" in notes[0]

    out = tmp_path / "set_aside.csv"
    assert main(["import-log", *args, "--set-aside-far", "--out", str(out)]) == 0
    assert len(pd.read_csv(out)) == 9_999
    rejected = pd.read_csv(tmp_path / "set_aside.csv.rejected.csv")
    assert list(rejected.line) == [502] and "--set-aside-far" in rejected.reason[0]
    assert rejected.CreatedDate[0] == raw.CreatedDate[500]  # the row as read
    mapping = MAPPINGS / "la_311.yaml"
    aside = read_log(typo, jingxing, mapping, set_aside_far=True)
    clean = read_log(REAL / "la311_2018_mini.csv", jingxing, mapping, set_aside_far=True)
    assert aside.counts["read"] == aside.counts["kept"] + aside.counts["rejected"] == 10_000
    assert aside.window()[1] == clean.window()[1] == 33 * 24
    others = clean.frame[clean.frame.line != 502].reset_index(drop=True)
    pd.testing.assert_frame_equal(aside.frame, others)
    assert read_log(typo, jingxing, mapping).window()[1] / 24 > 6_000  # without: 18 years

    folder = tmp_path / "compare"
    assert (
        main(
            ["compare", "jingxing_2019", "--replay", *args, "--set-aside-far", "--days", "33"]
            + ["--replications", "1", "--arrangements", "hotline,grid", "--out", str(folder)]
            + ["--quiet"]
        )
        == 0
    )
    assert json.loads((folder / "compare.json").read_text())["replay"]["set_aside_far"] is True
    assert verify(folder).ok
