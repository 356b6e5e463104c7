"""What real logs bring: any order, daylight saving, far-off years, mappings with defaults, patterns
and polygons, pages, JSON Lines, Socrata, XML, absurd nesting, and side files kept honest."""

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from streetchief.cli import main
from streetchief.errors import IssueLogError
from streetchief.experiment import recorded_history
from streetchief.issue_log import load_mapping, read_log

ROOT = Path(__file__).resolve().parent.parent
REAL = Path(__file__).resolve().parent / "data" / "real"
MAPPINGS = ROOT / "scenarios" / "mappings"
NY = "America/New_York"


def _write(tmp_path, text, name="log.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


HEADER = "reported_at,zone,category,issue_id,resolved_at\n"


def test_rows_out_of_order_are_sorted_and_counted_not_rejected(jingxing, tmp_path):
    path = _write(
        tmp_path,
        HEADER
        + "2019-10-21 09:00,nanwei_road,garbage,c,\n"
        + "2019-10-21 08:00,nanwei_road,garbage,b,\n"
        + "2019-10-21 07:00,nanwei_road,garbage,a,\n"
        + "2019-10-21 10:00,nanwei_road,garbage,d,\n",
    )
    log = read_log(path, jingxing)
    assert list(log.frame.issue_id) == ["a", "b", "c", "d"]
    assert log.counts["out_of_order"] == 2 and log.counts["rejected"] == 0
    assert (
        log.accounting()
        == "read 4 rows: 4 kept, 0 rejected, 2 out of order (sorted by reported_at)"
    )


# --- daylight saving: order and durations on instants, calendars on the local clock ----------


def test_durations_across_a_daylight_saving_change_are_real_hours(jingxing, tmp_path):
    path = _write(
        tmp_path,
        HEADER
        # clocks go back on 6 November 2022 at 02:00: noon to noon is 25 hours
        + "2022-11-05 12:00,nanwei_road,garbage,fall,2022-11-06 12:00\n"
        # clocks go forward on 13 March 2022 at 02:00: noon to noon is 23 hours
        + "2022-03-12 12:00,nanwei_road,garbage,spring,2022-03-13 12:00\n",
    )
    log = read_log(path, jingxing, timezone=NY)
    table = recorded_history(jingxing, log).tables["recorded"].to_pandas().set_index("issue_id")
    took = table.resolved_at - table.reported_at
    assert took["fall"] == pytest.approx(25) and took["spring"] == pytest.approx(23)
    assert list(log.frame.issue_id) == ["spring", "fall"]


def test_the_repeated_hour_keeps_its_order_and_the_model_clock_never_goes_back(jingxing, tmp_path):
    # 01:50 EDT comes before 01:10 EST; written with offsets, in the file's order reversed
    path = _write(
        tmp_path,
        "reported_at,zone,category,issue_id\n"
        "2022-11-06T01:10:00-05:00,nanwei_road,garbage,second\n"
        "2022-11-06T01:50:00-04:00,nanwei_road,garbage,first\n"
        "2022-11-06T09:00:00-05:00,nanwei_road,garbage,nine\n",
    )
    log = read_log(path, jingxing, timezone=NY)
    assert list(log.frame.issue_id) == ["first", "second", "nine"]
    assert log.counts["out_of_order"] == 1
    start, _ = log.window()
    hours = log.report_hours(start)
    assert np.all(np.diff(hours) >= 0)
    # calendars see local time: 09:00 after the change is hour 9 of the day
    assert hours[2] == pytest.approx(9.0)
    # a naive time in the repeated hour is its first (daylight-saving) occurrence, and counted
    naive = _write(tmp_path, "reported_at,zone,category\n2022-11-06 01:30,nanwei_road,garbage\n")
    again = read_log(naive, jingxing, timezone=NY)
    assert str(again.frame.reported_at.iloc[0]) == "2022-11-06 01:30:00-04:00"
    assert again.counts["repeated_local_times"] == 1


def test_a_time_the_clocks_skip_is_a_clear_error_or_a_dropped_response(jingxing, tmp_path):
    path = _write(
        tmp_path,
        HEADER
        + "2022-03-13 02:30,nanwei_road,garbage,gap,\n"
        + "2022-03-12 20:00,nanwei_road,garbage,late,2022-03-13 02:15\n"
        + "2022-03-13 09:00,nanwei_road,garbage,ok,\n",
    )
    with pytest.raises(IssueLogError) as e:
        read_log(path, jingxing, timezone=NY)
    assert "line 2: reported_at '2022-03-13 02:30' does not exist in America/New_York" in str(
        e.value
    )
    log = read_log(path, jingxing, skip_invalid=True, timezone=NY)
    assert log.rejected.line.tolist() == [2]
    assert "does not exist" in log.rejected.reason.iloc[0]
    assert sorted(log.frame.issue_id) == ["late", "ok"]  # the late one kept, its response dropped
    assert log.responses.line.tolist() == [3]
    assert log.frame.set_index("issue_id").resolved_at.isna()["late"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(
            st.integers(0, 365 * 24 * 60),  # minutes into 2022, a year with two changes
            st.integers(0, 72 * 60),  # minutes to resolution
            st.booleans(),  # written with its offset, or as local time
        ),
        min_size=1,
        max_size=30,
    )
)
def test_logs_across_daylight_saving_are_never_rejected_and_durations_are_exact(
    jingxing, tmp_path_factory, rows
):
    tz = NY
    origin = pd.Timestamp("2022-01-01", tz="UTC")
    lines = ["reported_at,zone,category,issue_id,resolved_at"]
    want = {}
    for k, (m, took, offset) in enumerate(rows):
        rep = (origin + pd.Timedelta(minutes=m)).tz_convert(tz)
        res = rep + pd.Timedelta(minutes=took)
        if offset:
            text = [rep.isoformat(), res.isoformat()]
        else:  # local times are read as the first occurrence: write only unambiguous ones
            if _ambiguous(rep, tz) or _ambiguous(res, tz):
                continue
            text = [rep.strftime("%Y-%m-%d %H:%M"), res.strftime("%Y-%m-%d %H:%M")]
        lines.append(f"{text[0]},nanwei_road,garbage,i{k},{text[1]}")
        want[f"i{k}"] = took / 60
    if not want:
        return
    path = tmp_path_factory.mktemp("dst") / "log.csv"
    path.write_text("\n".join(lines) + "\n")
    log = read_log(path, jingxing, timezone=tz)
    assert log.counts["rejected"] == 0 and len(log) == len(want)
    assert log.frame.reported_at.is_monotonic_increasing
    table = recorded_history(jingxing, log).tables["recorded"].to_pandas().set_index("issue_id")
    took = (table.resolved_at - table.reported_at).to_dict()
    assert took == pytest.approx(want)
    start, _ = log.window()
    assert np.all(np.diff(log.report_hours(start)) >= 0)


def _ambiguous(t: pd.Timestamp, tz: str) -> bool:
    wall = t.tz_localize(None)
    try:
        wall.tz_localize(tz, ambiguous="raise")
    except Exception:
        return True
    return False


# --- a span no log should have ------------------------------------------------------------


def test_a_mistyped_year_is_named_and_does_not_pass_silently(jingxing, tmp_path, capsys):
    rows = [
        f"2019-10-{d:02d} 09:00,nanwei_road,garbage,r{d},2019-10-{d:02d} 15:00"
        for d in range(1, 29)
    ]
    rows.insert(5, "2091-10-06 09:00,nanwei_road,garbage,typo,2091-10-06 10:00")
    path = _write(tmp_path, HEADER + "\n".join(rows) + "\n")
    log = read_log(path, jingxing)
    assert log.far.line.tolist() == [7]
    assert "line 7 reported_at 2091-10-06 09:00" in log.notes[-1]
    assert "A mistyped year?" in log.notes[-1]
    out = tmp_path / "rec"
    assert main(["replay-history", str(path), "--days", "30", "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "line 7 reported_at 2091" in err
    assert pd.read_csv(out / "outside_window.csv").issue_id.tolist() == ["typo"]
    assert pd.read_csv(out / "far_from_the_rest.csv").line.tolist() == [7]


# --- mappings ---------------------------------------------------------------------------


def _mapping(tmp_path, text, name="m.yaml"):
    return _write(tmp_path, text, name)


def test_mapping_values_patterns_defaults_and_normalised_names(jingxing, tmp_path):
    path = _write(
        tmp_path,
        "when,what,where\n"
        "2019-10-21 08:00,  noise -   RESIDENTIAL ,main   street\n"
        "2019-10-21 09:00,Noise - Helicopter,MAIN STREET\n"
        "2019-10-21 10:00,Pothole,\n"
        "2019-10-21 11:00,Something else,Elm\n",
    )
    m = _mapping(
        tmp_path,
        "columns: {reported_at: when, category: what, zone: where}\n"
        "categories:\n"
        "  values: {Noise - Residential: noise}\n"
        "  patterns: {'^noise': dust, hole: road_damage}\n"
        "  default: frontage_order\n"
        "zones: {values: {Main Street: pingshe_road}, default: nanwei_road}\n",
    )
    log = read_log(path, jingxing, m)
    assert log.frame.category.tolist() == ["noise", "dust", "road_damage", "frontage_order"]
    assert log.frame.zone.tolist() == ["pingshe_road", "pingshe_road", "nanwei_road", "nanwei_road"]
    unmapped = log.unmapped.set_index(["column", "value"])
    assert unmapped.loc[("category", "Something else"), "rows"] == 1
    assert unmapped.loc[("zone", "(empty)"), "became"] == "nanwei_road"
    assert log.counts["to_default"] == {"category": 1, "zone": 2}


def test_every_unknown_name_is_listed_with_its_count_not_cut_at_eight(jingxing, tmp_path, capsys):
    rows = [f"2019-10-21 08:{k:02d},street {k % 12},garbage" for k in range(40)]
    path = _write(tmp_path, "reported_at,zone,category\n" + "\n".join(rows) + "\n")
    out = tmp_path / "out"
    assert main(["replay-history", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "and 4 more names" in err and "out.unmapped_values.csv" in err
    assert not out.exists()  # a failed command leaves no result folder: the list sits beside it
    listed = pd.read_csv(tmp_path / "out.unmapped_values.csv")
    assert len(listed) == 12 and listed.rows.sum() == 40


def test_mapping_numbers_and_words_are_text_and_targets_are_checked(jingxing, tmp_path):
    m = load_mapping(
        _mapping(
            tmp_path,
            "columns: {reported_at: t, category: c, zone: z}\n"
            "zones: {01: pingshe_road, 10023: nanwei_road, No: beiwei_road}\n",
        )
    )
    assert m.zones.values == {"01": "pingshe_road", "10023": "nanwei_road", "No": "beiwei_road"}
    bad = _mapping(
        tmp_path, "columns: {reported_at: t, category: c, zone: z}\nzones: {1: nowhere_road}\n"
    )
    path = _write(tmp_path, "t,c,z\n2019-10-21 08:00,garbage,1\n")
    with pytest.raises(IssueLogError) as e:
        read_log(path, jingxing, bad)
    assert "zones.values.'1': 'nowhere_road' is not one of the scenario's zones" in str(e.value)


def test_time_format_that_cannot_work_is_the_mappings_error_with_the_first_value(
    jingxing, tmp_path
):
    export = REAL / "nyc311_fedhere_PyBOOT.csv"
    for fmt, said in (
        ("%s", "write time_format: unix"),
        ("%Q", "cannot read times"),
        ("%d %d", "names %d more than once"),
        ("%H%H", "names %H more than once"),
        ("%Y%Y", "names %Y more than once"),
        ("%z%z", "names %z more than once"),
        ("['%m/%d/%Y', '%Y-%m-%d %H%H']", "names %H more than once"),  # one of a list
    ):
        m = _mapping(
            tmp_path,
            "columns: {reported_at: Created Date, category: Complaint Type, zone: Borough}\n"
            f"time_format: {fmt if fmt.startswith('[') else repr(fmt)}\n"
            "categories: {default: noise}\nzones: {default: nanwei_road}\n",
        )
        with pytest.raises(IssueLogError) as e:
            read_log(export, jingxing, m)
        text = str(e.value)
        shown = "'%Y-%m-%d %H%H'" if fmt.startswith("[") else f"'{fmt}'"
        assert e.value.what == "mapping" and f"time_format: {shown}" in text and said in text
        assert (
            "is '05/01/2022 12:00:03 AM'; it reads with time_format: '%m/%d/%Y %I:%M:%S %p'" in text
        )
    m = _mapping(
        tmp_path,
        "columns: {reported_at: Created Date, category: Complaint Type, zone: Borough}\n"
        "categories: {default: noise}\nzones: {default: nanwei_road}\n",
    )
    with pytest.raises(IssueLogError) as e:
        read_log(export, jingxing, m)
    assert "set time_format in the mapping" in str(e.value)
    assert "(these read with time_format: '%m/%d/%Y %I:%M:%S %p')" in str(e.value)


def test_unix_times(jingxing, tmp_path):
    # 2019-10-21 00:00 UTC in seconds, then 01:00 UTC in milliseconds
    path = _write(tmp_path, "t,c,z\n1571616000,garbage,a\n1571619600000,garbage,a\n")
    read = {}
    for fmt in ("unix", "unix_ms"):
        m = _mapping(
            tmp_path,
            f"columns: {{reported_at: t, category: c, zone: z}}\ntime_format: {fmt}\n"
            "zones: {default: nanwei_road}\n",
        )
        log = read_log(path, jingxing, m, skip_invalid=True)
        read[fmt] = {
            ln: str(t) for ln, t in zip(log.frame.line, log.frame.reported_at, strict=True)
        }
    # milliseconds read as seconds are tens of thousands of years away: rejected, not kept
    assert read["unix"] == {2: "2019-10-21 08:00:00+08:00"}
    assert read["unix_ms"][3] == "2019-10-21 09:00:00+08:00"


def test_dropped_statuses_end_an_issue_without_resolving_it(jingxing, tmp_path):
    path = _write(
        tmp_path,
        "id,t,done,status\n"
        "1,2019-10-21 08:00,2019-10-21 10:00,Closed\n"
        "2,2019-10-21 09:00,2019-10-21 09:30,Cancelled\n"
        "3,2019-10-21 10:00,,Open\n",
    )
    m = _mapping(
        tmp_path,
        "columns: {issue_id: id, reported_at: t, resolved_at: done, closed_at: done}\n"
        "categories: {default: garbage}\nzones: {default: nanwei_road}\n"
        "resolved_when: {column: status, values: [closed]}\n"
        "dropped_when: {column: status, values: [cancelled, duplicate]}\n",
    )
    log = read_log(path, jingxing, m)
    s = recorded_history(jingxing, log).summaries["recorded"]
    assert (s["issues_resolved"], s["issues_dropped"], s["issues_open"]) == (1, 1, 1)
    assert s["resolution_hours"]["mean"] == pytest.approx(2.0)
    assert log.counts["ended_by_status"] == {"Cancelled": 1}


def test_zones_from_points_in_geojson_polygons(jingxing, tmp_path):
    raw = pd.read_csv(REAL / "la311_2018_mini.csv", dtype=str)
    lat, lon = raw.Latitude.astype(float), raw.Longitude.astype(float)
    # two boxes over Los Angeles, the first wins where they meet
    boxes = {
        "pingshe_road": (-118.5, 33.9, -118.3, 34.1),
        "nanwei_road": (-118.3, 33.9, -118.1, 34.1),
    }
    features = [
        {
            "type": "Feature",
            "properties": {"zone": k},
            "geometry": {
                "type": "Polygon",
                "coordinates": [[[a, b], [c, b], [c, d], [a, d], [a, b]]],
            },
        }
        for k, (a, b, c, d) in boxes.items()
    ]
    (tmp_path / "zones.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": features})
    )
    text = (MAPPINGS / "la_311.yaml").read_text()
    text = text.replace("  zone: CD ", "  latitude: Latitude\n  longitude: Longitude\n  zone: CD ")
    text = text.replace("zones:\n  values:", "zones:\n  geojson: zones.geojson\n  values:")
    m = _mapping(tmp_path, text, "la_points.yaml")
    log = read_log(REAL / "la311_2018_mini.csv", jingxing, m)
    by_id = log.frame.set_index("issue_id").zone
    inside_west = (lon >= -118.5) & (lon <= -118.3) & (lat >= 33.9) & (lat <= 34.1)
    inside_east = (lon > -118.3) & (lon <= -118.1) & (lat >= 33.9) & (lat <= 34.1)
    ids = raw.SRNumber
    assert (by_id[ids[inside_west]] == "pingshe_road").all()
    assert (by_id[ids[inside_east]] == "nanwei_road").all()
    assert inside_west.sum() > 100 and inside_east.sum() > 100
    # elsewhere the council district decides, as before
    rest = ~(inside_west | inside_east) & raw.CD.eq("13")
    assert (by_id[ids[rest]] == "fengshan_street").all()


def _zones_file(tmp_path, rings: dict) -> Path:
    features = [
        {"type": "Feature", "properties": {"zone": k},
         "geometry": {"type": "Polygon", "coordinates": [ring]}}
        for k, ring in rings.items()
    ]  # fmt: skip
    path = tmp_path / "zones.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return path


BOX = [[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]


@pytest.mark.parametrize(
    "ring, said",
    [
        (
            [[0, 0], [1, 0], [float("nan"), 1], [0, 1], [0, 0]],
            "a coordinate is not a finite number",
        ),
        ([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]], "not a valid polygon (Self-intersection"),
    ],
)
def test_a_zone_polygon_that_is_not_one_is_our_error(tmp_path, ring, said):
    from streetchief.issue_log.geo import ZonePolygons

    with pytest.raises(IssueLogError) as e:
        ZonePolygons.load(_zones_file(tmp_path, {"a": BOX, "b": ring}), "zone")
    assert f"features[1] (b): {said}" in str(e.value)


def test_overlapping_zone_polygons_are_named_and_a_device_is_refused(tmp_path):
    from streetchief.issue_log.geo import ZonePolygons

    shifted = [[0.5, 0], [1.5, 0], [1.5, 1], [0.5, 1], [0.5, 0]]
    beside = [[1, 0], [2, 0], [2, 1], [1, 1], [1, 0]]  # shares an edge only
    zones = ZonePolygons.load(_zones_file(tmp_path, {"a": BOX, "b": shifted, "c": beside}), "zone")
    assert zones.overlaps == ["'a' and 'b'", "'b' and 'c'"]
    with pytest.raises(IssueLogError, match="not a plain file"):
        ZonePolygons.load(Path("/dev/zero"), "zone")


# --- formats ----------------------------------------------------------------------------


def test_pages_of_one_export_read_as_one_with_overlaps_kept_once(jingxing, tmp_path):
    requests = json.loads((REAL / "bloomington_open311_requests.json").read_text())
    pages = tmp_path / "pages"
    pages.mkdir()
    (pages / "page1.json").write_text(json.dumps(requests[:11]))
    (pages / "page2.json").write_text(json.dumps(requests[10:]))  # request 11 on both pages
    log = read_log(str(pages / "*.json"), jingxing, MAPPINGS / "open311_georeport_v2.yaml")
    c = log.counts
    assert (c["read"], c["kept"], c["rejected"], c["repeats_across_pages"]) == (22, 21, 1, 1)
    assert "repeats line 11 of page1.json exactly" in log.rejected.reason.iloc[0]
    assert log.rejected.file.iloc[0].endswith("page2.json")


def test_json_lines_and_socrata_rows_json(jingxing, tmp_path):
    requests = json.loads((REAL / "bloomington_open311_requests.json").read_text())
    lines = [json.dumps(r) for r in requests[:5]] + ["not json", "[1, 2]"]
    path = _write(tmp_path, "\n".join(lines) + "\n", "requests.jsonl")
    log = read_log(path, jingxing, MAPPINGS / "open311_georeport_v2.yaml", skip_invalid=True)
    assert len(log) == 5 and log.rejected.line.tolist() == [6, 7]
    # Socrata's rows.json of the first 50 NYC rows: the same issues as the CSV
    raw = pd.read_csv(REAL / "nyc311_fedhere_PyBOOT.csv", dtype=str, keep_default_na=False).head(50)
    iso = {
        c: pd.to_datetime(raw[c], format="%m/%d/%Y %I:%M:%S %p").dt.strftime("%Y-%m-%dT%H:%M:%S")
        for c in ("Created Date", "Closed Date")
    }
    data = [
        [(iso[c][k] if c in iso and raw[c][k] else (raw[c][k] or None)) for c in raw.columns]
        for k in range(len(raw))
    ]
    rows_json = {"meta": {"view": {"columns": [{"name": c} for c in raw.columns]}}, "data": data}
    socrata = _write(tmp_path, json.dumps(rows_json), "rows.json")
    a = read_log(socrata, jingxing, MAPPINGS / "nyc_311.yaml")
    csv = _write(tmp_path, raw.to_csv(index=False), "head.csv")
    b = read_log(csv, jingxing, MAPPINGS / "nyc_311.yaml")
    pd.testing.assert_frame_equal(
        a.frame.drop(columns="line"), b.frame.drop(columns="line"), check_dtype=False
    )


def test_a_key_twice_in_one_record_is_refused_with_both_values_and_its_line(jingxing, tmp_path):
    """Read last-wins, a repeated closing time would lose every closure (SF's 2010 export)."""
    requests = json.loads((REAL / "bloomington_open311_requests.json").read_text())[:3]
    text = json.dumps(requests, indent=1)
    first = text.index('"updated_datetime"')
    line = text.count("\n", 0, first) + 1
    text = text[:first] + '"updated_datetime": null, ' + text[first:]  # the key twice, one line
    path = _write(tmp_path, text, "requests.json")
    with pytest.raises(IssueLogError) as e:
        read_log(path, jingxing, MAPPINGS / "open311_georeport_v2.yaml")
    said = str(e.value)
    assert (
        f"the key 'updated_datetime' appears twice in one object, line {line} (None, then" in said
    )
    assert "one of its values would be lost" in said and "time_format" not in said
    lines = [json.dumps(r) for r in requests]
    lines[1] = lines[1][:-1] + ', "status": "open"}'  # a JSON Lines record with the key twice
    jsonl = _write(tmp_path, "\n".join(lines) + "\n", "requests.jsonl")
    log = read_log(jsonl, jingxing, MAPPINGS / "open311_georeport_v2.yaml", skip_invalid=True)
    assert log.rejected.line.tolist() == [2]
    assert "the key 'status' twice" in log.rejected.reason.iloc[0]


@pytest.mark.parametrize(
    "name, text",
    [
        ("deep.json", "[" * 50_000 + "]" * 50_000),
        ("deep.jsonl", "[" * 50_000 + "]" * 50_000 + "\n"),
        ("deep.xml", "<a>" * 50_000 + "</a>" * 50_000),
        (
            "bomb.xml",
            '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa">'
            '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><r><request><x>&b;</x></request></r>',
        ),
    ],
)
def test_absurd_nesting_and_entities_give_our_error(jingxing, tmp_path, name, text):
    path = _write(tmp_path, text, name)
    with pytest.raises(IssueLogError) as e:
        read_log(path, jingxing, MAPPINGS / "open311_georeport_v2.yaml")
    assert str(e.value).startswith(str(path))
    assert "nested" in str(e.value) or "refused" in str(e.value)


def test_a_mapping_nested_absurdly_deep_gives_our_error(tmp_path):
    path = _mapping(tmp_path, "columns: " + "[" * 50_000 + "]" * 50_000 + "\n")
    with pytest.raises(IssueLogError) as e:
        load_mapping(path)
    assert e.value.what == "mapping" and "nested" in str(e.value)


# --- side files and outputs -----------------------------------------------------------------


def test_a_stale_side_file_is_removed_when_nothing_is_set_aside(jingxing, tmp_path):
    bad = _write(
        tmp_path,
        "reported_at,zone,category\n2019-10-21 08:00,nanwei_road,garbage\nnoon,x,garbage\n",
        "bad.csv",
    )
    good = _write(
        tmp_path, "reported_at,zone,category\n2019-10-21 08:00,nanwei_road,garbage\n", "good.csv"
    )
    out = tmp_path / "log.csv"
    assert main(["import-log", str(bad), "--skip-invalid", "--out", str(out)]) == 0
    side = tmp_path / "log.csv.rejected.csv"
    assert side.exists() and (tmp_path / "log.csv.unmapped_values.csv").exists()
    assert main(["import-log", str(good), "--out", str(out)]) == 0
    assert not side.exists() and not (tmp_path / "log.csv.unmapped_values.csv").exists()
    assert main(["import-log", str(good), "--out", str(good)]) == 2  # never over the export


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600)])
def test_outputs_honour_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        out = tmp_path / "log.csv"
        assert (
            main(
                [
                    "import-log",
                    str(REAL / "sf_open311_requests_2012.xml"),
                    "--mapping",
                    str(MAPPINGS / "open311_georeport_v2.yaml"),
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == mode


def test_timezone_option_reads_local_times_in_that_zone(jingxing, capsys, tmp_path):
    xml = REAL / "sf_open311_requests_2012.xml"
    m = MAPPINGS / "open311_georeport_v2.yaml"
    here = read_log(xml, jingxing, m, timezone="America/Los_Angeles")
    there = read_log(xml, jingxing, m)  # the scenario's Asia/Shanghai
    first = here.frame.set_index("issue_id").reported_at["1129678"]
    assert str(first) == "2012-05-22 17:14:32.637000-07:00"
    assert (
        here.frame.reported_at.dt.tz_localize(None) == there.frame.reported_at.dt.tz_localize(None)
    ).all()  # the same clock times, in two zones
    with pytest.raises(SystemExit) as e:
        main(["replay-history", str(xml), "--timezone", "Mars/Base", "--out", str(tmp_path)])
    assert e.value.code == 2
    assert "--timezone: unknown time zone 'Mars/Base'" in capsys.readouterr().err


def test_a_mapping_without_a_timezone_says_which_zone_it_read_in(jingxing, tmp_path):
    path = _write(tmp_path, "t,c,z\n2019-10-21 08:00,garbage,nanwei_road\n")
    m = _mapping(tmp_path, "columns: {reported_at: t, category: c, zone: z}\n")
    log = read_log(path, jingxing, m)
    assert any(
        "the mapping names no timezone:, so the log's times are read in the scenario's "
        "(Asia/Shanghai)" in n
        for n in log.notes
    )
    told = _mapping(tmp_path, "columns: {reported_at: t, category: c, zone: z}\ntimezone: UTC\n")
    assert not any("names no timezone" in n for n in read_log(path, jingxing, told).notes)


def test_a_side_file_keeps_a_cells_first_thousand_characters_and_says_so(tmp_path, capsys):
    """A 200,000-character name is set aside, not copied whole into the side files."""
    from streetchief.cli import main

    rows = f"2019-10-21 08:00,{'x' * 200_000},nanwei_road\n2019-10-21 09:00,garbage,nanwei_road\n"
    log = _write(tmp_path, "reported_at,category,zone\n" + rows)
    out = tmp_path / "out.csv"
    assert main(["import-log", str(log), "--out", str(out), "--skip-invalid"]) == 0
    for side in ("out.csv.unmapped_values.csv", "out.csv.rejected.csv"):
        text = (tmp_path / side).read_text()
        assert len(text) < 5_000, side
        assert "x" * 1000 + " … (cut at 1000 of 200000 characters)" in text, side


@pytest.mark.parametrize(
    "values, fmt",
    [
        (["1/1/20 0:05", "12/31/19 23:10"], "%m/%d/%y %H:%M"),  # not ISO 8601, not the year 20
        (["1/1/20 1:05 PM", "2/3/20 9:15 AM"], "%m/%d/%y %I:%M %p"),
        (["05/01/2022 12:00:03 AM"], "%m/%d/%Y %I:%M:%S %p"),
        (["2019-10-21T08:00:00", "2019-10-21 09:30"], "ISO8601"),
    ],
)
def test_suggested_time_formats_read_us_two_digit_years_and_12_hour_clocks(values, fmt):
    from streetchief.issue_log.times import guess_format

    assert guess_format(values) == fmt
    parsed = pd.to_datetime(pd.Series(values), format=fmt)
    assert (parsed.dt.year >= 2019).all()


def test_a_repeated_id_on_a_row_already_set_aside_keeps_its_first_reason(tmp_path):
    """A row with no report time that also repeats an earlier issue_id: set aside once, for its
    missing time; finding it again among the repeats is not a crash (it was a TypeError, found
    by the fuzz test)."""
    from streetchief import load_scenario

    lines = (ROOT / "scenarios" / "jingxing_2019_cases.csv").read_text().splitlines()
    head, first = lines[0], lines[1]
    path = tmp_path / "log.csv"
    path.write_text("\n".join([head, first, "," + first.split(",", 1)[1], *lines[2:12]]) + "\n")
    log = read_log(path, load_scenario("jingxing_2019"), skip_invalid=True)
    assert log.counts["read"] == 12 and log.counts["kept"] == 11 and log.counts["rejected"] == 1


def _boston_like(path, names, dirty=False):
    """An export laid out as Boston's 311 (open_dt, target_dt, closed_dt; open cases have no
    close), its time columns named `names` (opened, deadline, closed); `dirty`: a third of the
    closes typed before their report."""
    rng = np.random.default_rng(1)
    n = 300
    opened = pd.Timestamp("2020-01-01") + pd.to_timedelta(rng.uniform(0, 720, n), unit="h")
    closed = (opened + pd.to_timedelta(rng.exponential(40, n), unit="h")).to_series()
    closed[rng.uniform(size=n) < 0.2] = pd.NaT  # still open
    if dirty:
        early = rng.uniform(size=n) < 0.33
        closed[early] = closed[early] - pd.Timedelta(days=30)
    frame = pd.DataFrame(
        {
            "case_enquiry_id": 101003148203 + np.arange(n),  # 12 digits: not a time
            names[1]: (opened + pd.Timedelta(days=3)).strftime("%Y-%m-%d %H:%M:%S"),
            names[2]: closed.dt.strftime("%Y-%m-%d %H:%M:%S").to_numpy(),
            names[0]: opened.strftime("%Y-%m-%d %H:%M:%S"),
            "type": rng.choice(["Pothole", "Graffiti"], n),
            "neighborhood": rng.choice(["Dorchester", "Roxbury"], n),
        }
    )
    frame.to_csv(path, index=False)
    return frame


@pytest.mark.parametrize(
    "names, found, dirty",
    [
        (("open_dt", "target_dt", "closed_dt"), False, False),  # Boston's own names
        (("logged", "due_by", "done"), True, False),  # names we do not know: values decide
        (("t1", "t2", "t3"), True, False),  # names that say nothing
        (("t1", "t2", "t3"), True, True),  # and a third of the closes before their report
    ],
)
def test_suggest_mapping_finds_the_open_and_close_columns(tmp_path, names, found, dirty):
    """The report is the time filled on every row, the close the time that follows it (not the
    deadline); a guess from the values says so; the suggested mapping reads the export."""
    path = tmp_path / "boston.csv"
    frame = _boston_like(path, names, dirty)
    new = tmp_path / "new.yaml"
    assert main(["import-log", str(path), "--suggest-mapping", str(new)]) == 0
    m = load_mapping(new)
    assert m.columns["reported_at"] == names[0] and m.columns["closed_at"] == names[2]
    assert ("found by its values: check it" in new.read_text()) is found
    text = new.read_text().replace("  default: null", "  default: frontage_order", 1)
    text = text.replace("  default: null", "  default: pingshe_road", 1)
    new.write_text(text.replace("  default: null", "  default: township_community", 1))
    from streetchief import load_scenario

    log = read_log(path, load_scenario("jingxing_2019"), new, timezone="America/New_York")
    assert log.counts["kept"] == len(frame)


@pytest.mark.parametrize("command", ["run", "replay-history"])
def test_a_window_stretched_to_the_year_9999_is_refused_with_the_remedy(tmp_path, capsys, command):
    """A response typed in 9999 would stretch a replay over millions of days: refused with our
    error, naming the row and --set-aside-far, which reads the rest."""
    log = tmp_path / "log.csv"
    log.write_text(
        "reported_at,resolved_at,zone,category\n"
        "2019-10-21 10:00,9999-01-01 10:00,pingshe_road,noise\n"
        "2019-10-22 10:00,2019-10-23 10:00,pingshe_road,noise\n"
        "2019-10-23 10:00,2019-10-24 10:00,pingshe_road,noise\n"
    )
    if command == "run":
        args = ["run", "jingxing_2019", "--replay", str(log), "--quiet"]
    else:
        args = ["replay-history", str(log), "--scenario", "jingxing_2019"]
    out = tmp_path / "out"
    assert main([*args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "past the longest run (100,000 days)" in err and "line 2 resolved_at 9999-01-01" in err
    assert "--set-aside-far" in err and not out.exists()
    assert main([*args, "--set-aside-far", "--out", str(out)]) == 0
    assert json.loads((out / "summary.json").read_text())["replay"]["rows"]["kept"] == 3


def test_suggest_mapping_reads_offsets_that_change_within_a_column(tmp_path):
    """Daylight saving changes a column's UTC offset: still ISO 8601, one instant each (it was a
    pandas 'Mixed timezones' traceback), and a naive column beside it compares."""
    from streetchief.issue_log.times import guess_format

    assert guess_format(["2019-03-10T01:00:00-05:00", "2019-03-10T04:00:00-04:00"]) == "ISO8601"
    path = tmp_path / "offsets.csv"
    path.write_text(
        "id,t1,t2\n1,2019-03-10T01:00:00-05:00,2019-03-12 10:00\n"
        "2,2019-03-10T04:00:00-04:00,2019-03-13 10:00\n"
    )
    new = tmp_path / "new.yaml"
    assert main(["import-log", str(path), "--suggest-mapping", str(new)]) == 0
    m = load_mapping(new)
    assert m.columns["reported_at"] == "t1" and m.columns["closed_at"] == "t2"


def test_suggest_mapping_never_writes_over_its_export_or_into_a_folder(tmp_path, capsys):
    path = tmp_path / "export.csv"
    text = "id,t1,t2\n1,2019-01-01 00:00,2019-01-02 00:00\n"
    path.write_text(text)
    assert main(["import-log", str(path), "--suggest-mapping", str(path)]) == 2
    assert "is the input" in capsys.readouterr().err and path.read_text() == text
    assert main(["import-log", str(path), "--suggest-mapping", str(tmp_path)]) == 2
    assert f"--suggest-mapping {tmp_path} is a folder" in capsys.readouterr().err
