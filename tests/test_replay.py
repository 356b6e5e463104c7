"""Issue logs: round trip, replay on identical issues, recorded history, other systems' exports."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from streetchief import load_scenario, run_scenario
from streetchief.cli import main
from streetchief.experiment import recorded_history, replay
from streetchief.issue_log import arrivals_frame, read_log, write_log
from streetchief.problems import Problems

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"
CASES = ROOT / "scenarios" / "jingxing_2019_cases.csv"


@pytest.fixture(scope="module")
def always_reported():
    """Every problem a merchant sees is reported, and every arrangement hears it (as a log's issues
    were all reported), so that generated problems and issues coincide."""
    return load_scenario(
        "jingxing_2019",
        **{
            "merchants.reporting.initial_willingness": 1.0,
            "merchants.reporting.adaptive": False,
            "merchants.frontage_self_fix_share": 0.0,
            "arrangements.*.hears.merchants": 1.0,
        },
    )


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_generate_export_replay_gives_the_same_issues_and_the_same_run(
    always_reported, tmp_path, suffix
):
    s = always_reported
    generated = Problems.generate(s, seed=7, days=20)
    path = tmp_path / f"arrivals{suffix}"
    write_log(arrivals_frame(generated, s), path)
    log = read_log(path, s)
    assert len(log) == len(generated) > 400
    run_sc, replayed, outside = log.to_problems(s, seed=7, days=20)
    assert len(outside) == 0 and run_sc.run.start == s.run.start
    assert np.allclose(replayed.time, generated.time, atol=1e-9)  # ISO times to the microsecond
    for col in ("zone", "category", "work", "unclear", "merchant_u"):
        assert np.array_equal(getattr(replayed, col), getattr(generated, col)), col
    a = run_scenario(s, seed=7, problems=generated)
    b = run_scenario(run_sc, seed=7, problems=replayed)
    for name in a.summaries:
        for key in (
            "issues_reported",
            "issues_resolved",
            "on_time_share",
            "bounces_per_issue",
            "chief_hours",
        ):
            assert a.summaries[name][key] == pytest.approx(b.summaries[name][key], rel=1e-9), (
                name,
                key,
            )
        assert a.summaries[name]["resolution_hours"]["mean"] == pytest.approx(
            b.summaries[name]["resolution_hours"]["mean"], rel=1e-9
        )


def test_replay_pushes_identical_issues_through_every_arrangement(jingxing):
    log = read_log(CASES, jingxing)
    res = replay(jingxing, log, seed=3)
    tables = {
        k: t.to_pandas().sort_values("issue_id").reset_index(drop=True)
        for k, t in res.tables.items()
    }
    assert set(tables) == {"recorded", *jingxing.arrangement_names}
    ref = tables["recorded"]
    assert len(ref) == len(log) == 169
    for name, t in tables.items():
        for col in ("issue_id", "zone", "category"):
            assert (t[col].astype(str) == ref[col].astype(str)).all(), (name, col)
        assert np.allclose(t.reported_at, ref.reported_at), name
    # the log's reporters are kept: the seed's street-light report is by 毛毛烟酒 everywhere
    for t in tables.values():
        assert (t.reporter == "毛毛烟酒").sum() == 1


def test_seed_week_replay_shows_the_night_cases(jingxing):
    res = replay(jingxing, read_log(CASES, jingxing), seed=1)
    for name, t in res.tables.items():
        t = t.to_pandas()
        bins = t[
            (t.zone == "wangshe_wetland")
            & (t.category == "trash_bins")
            & (t.reporter == "湿地公园旁商户")
        ].iloc[0]
        ack = bins.acknowledged_at - bins.reported_at
        if name == "multi_layer":
            assert ack >= 9.5 - 1e-9  # waits for the community office at 08:30
        elif name == "grid":
            assert ack >= 8.0 - 1e-9  # waits for the command centre at 07:00
        else:
            assert ack < 0.5  # minutes, at 23:00 (recorded: 4 min)
    recorded = res.tables["recorded"].to_pandas()
    bins = recorded[recorded.reporter == "湿地公园旁商户"].iloc[0]
    assert bins.resolved_at - bins.reported_at == pytest.approx(10.0)  # 23:00 → 09:00


def test_recorded_history_summary_equals_a_hand_computation(jingxing, tmp_path):
    log = tmp_path / "small.csv"
    log.write_text(
        "reported_at,zone,category,acknowledged_at,resolved_at,closed_at\n2019-10-21 "
        "08:00,nanwei_road,garbage,2019-10-21 08:30,2019-10-21 12:00,2019-10-21 12:10\n2019-10-21 "
        "20:00,pingshe_road,street_light,2019-10-21 20:06,2019-10-22 08:00,\n2019-10-22 "
        "09:00,nanwei_road,noise,,2019-10-24 09:00,\n2019-10-22 "
        "23:00,wangshe_wetland,trash_bins,2019-10-22 23:15,,\n",
        encoding="utf-8",
    )
    res = recorded_history(jingxing, read_log(log, jingxing), days=4)
    s = res.summaries["recorded"]
    # window 2019-10-21 00:00 + 96 h; report hours 8, 20, 33, 47; resolution 4, 12, 48, open
    assert (s["issues_reported"], s["issues_resolved"], s["issues_open"]) == (4, 3, 1)
    assert s["resolution_hours"]["mean"] == pytest.approx((4 + 12 + 48) / 3)
    assert s["resolution_hours"]["median"] == pytest.approx(12)
    assert s["acknowledgement_hours"]["mean"] == pytest.approx((0.5 + 0.1 + 0.25) / 3)
    # deadlines: garbage 72 h, street light 96 h, noise 24 h (48 h late), trash bins 48 h (due
    # at 95 h < 96: late)
    assert s["on_time_share"] == pytest.approx(2 / 4)
    # open over time: 4 h (garbage), 12 h (street light), 48 h (noise), 49 h (trash bins, open at
    # the end) in 96 h; and at the daily samples 0, 24, 48, 72, 96 h: 0, 1 (street light), 2
    # (noise, trash bins), 2 (noise resolved at 81 h), 1
    assert s["mean_backlog"] == pytest.approx((4 + 12 + 48 + 49) / 96)
    assert s["mean_backlog_midnight"] == pytest.approx((0 + 1 + 2 + 2 + 1) / 5)
    assert s["bounces_per_issue"] is None and s["chief_hours"] is None  # not in the records


def test_window_follows_the_log_and_reports_issues_outside_it(jingxing, tmp_path):
    log = read_log(CASES, jingxing)
    run_sc, problems, outside = log.to_problems(jingxing)
    assert run_sc.run.start.isoformat() == "2019-10-21T00:00:00"
    assert problems.horizon == 24 * (9 + 7)  # 21–29 October, plus 7 days to finish
    assert len(outside) == 0
    out = tmp_path / "short"
    assert (
        main(
            [
                "run",
                "jingxing_2019",
                "--replay",
                str(CASES),
                "--days",
                "3",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    outside = pd.read_csv(out / "outside_window.csv")
    issues = pd.read_parquet(out / "issues.parquet")
    per_arrangement = issues.groupby("arrangement", observed=True).size()
    assert (per_arrangement + len(outside) == 169).all()  # every row is accounted for
    first_outside = pd.to_datetime(outside.reported_at).min()
    assert first_outside >= pd.Timestamp("2019-10-24", tz="Asia/Shanghai")


def _write(tmp_path, text, name="log.csv"):
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


HEADER = "reported_at,zone,category,issue_id\n"
GOOD = "2019-10-21 08:00,nanwei_road,garbage,a\n"


@pytest.mark.parametrize(
    "body, expected",
    [
        ("2019-10-21 08:00,nanwei_road\n", "missing column category"),
        (
            GOOD + "yesterday noon,nanwei_road,garbage,b\n",
            "line 3: reported_at is not a date-time ('yesterday noon'); write ISO 8601",
        ),
        (
            GOOD + "2019-10-21 09:00,Main St,garbage,b\n",
            "unknown zone 'Main St' (1×, first on line 3); known zones: pingshe_road",
        ),
        (
            GOOD + "2019-10-21 09:00,nanwei_road,potholes,b\n",
            "--mapping FILE (categories: {their name: our key})",
        ),
        (
            GOOD + "2019-10-21 09:00,nanwei_road,garbage,a\n",
            "line 3: issue_id already used on an earlier line (e.g. 'a', first on line 2)",
        ),
        (
            GOOD + "2019-10-21 09:00,nanwei_road,garbage,b,extra\n",
            "line 3: 5 fields where the header has 4",
        ),
        (GOOD + "2019-10-21 09:00,,garbage,b\n", "line 3: zone is empty"),
    ],
)
def test_bad_logs_name_the_file_the_line_and_the_fix(jingxing, tmp_path, capsys, body, expected):
    if body.startswith("2019-10-21 08:00,nanwei_road\n"):
        path = _write(tmp_path, "reported_at,zone\n" + body)
    else:
        path = _write(tmp_path, HEADER + body)
    assert (
        main(
            [
                "run",
                "jingxing_2019",
                "--replay",
                str(path),
                "--out",
                str(tmp_path / "out"),
                "--quiet",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert f"error: issue log {path}" in err and expected in err, err
    assert "Traceback" not in err
    assert not (tmp_path / "out" / "issues.parquet").exists()


def test_skip_invalid_sets_rows_aside_with_reasons_and_loses_none(jingxing, tmp_path, capsys):
    rows = [
        GOOD,
        "2019-10-21 07:00,nanwei_road,garbage,b\n",
        "bad time,nanwei_road,garbage,c\n",
        "2019-10-21 09:00,Main St,garbage,d\n",
        "2019-10-21 10:00,nanwei_road,garbage,a\n",
        "2019-10-21 11:00,nanwei_road,garbage,f,extra\n",
        "\n",
        "2019-10-21 12:00,pingshe_road,noise,g\n",
    ]
    path = _write(tmp_path, HEADER + "".join(rows))
    out = tmp_path / "out"
    assert (
        main(
            [
                "run",
                "jingxing_2019",
                "--replay",
                str(path),
                "--skip-invalid",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    rejected = pd.read_csv(out / "rejected_rows.csv")
    assert sorted(rejected.line) == [4, 5, 6, 7]  # the blank line 8 holds no issue
    assert rejected.reason.notna().all()
    issues = pd.read_parquet(out / "issues.parquet")
    # b, reported before the row above it, is kept: order is not validity
    assert sorted(issues[issues.arrangement == "street_chief"].issue_id) == ["a", "b", "g"]
    printed = capsys.readouterr().out
    assert f"read 7 rows: 3 kept, 4 rejected (reasons in {out / 'rejected_rows.csv'})" in printed
    assert "1 out of order" in printed


def test_log_with_offsets_is_converted_to_the_scenario_time_zone(jingxing, tmp_path):
    path = _write(
        tmp_path,
        "reported_at,zone,category\n2019-10-21T00:30:00Z,nanwei_road,garbage\n2019-10-21 "
        "09:00,nanwei_road,garbage\n2019-10-21T10:00:00+08:00,nanwei_road,garbage\n",
    )
    log = read_log(path, jingxing)
    assert [str(t) for t in log.frame.reported_at] == [
        "2019-10-21 08:30:00+08:00",
        "2019-10-21 09:00:00+08:00",
        "2019-10-21 10:00:00+08:00",
    ]


def test_nyc_311_export_through_the_shipped_mapping(jingxing):
    log = read_log(
        DATA / "nyc_311_sample.csv", jingxing, ROOT / "scenarios" / "mappings" / "nyc_311.yaml"
    )
    f = log.frame.set_index("issue_id")
    assert len(f) == 6 and log.timezone == "America/New_York"  # the mapping's time zone
    assert f.loc["90000003", "category"] == "street_light"  # by pattern
    assert (f.zone == "pingshe_road").all()  # every row is in MANHATTAN
    assert str(f.loc["90000003", "reported_at"]) == "2019-10-22 19:42:00-04:00"
    assert pd.isna(f.loc["90000004", "resolved_at"])  # still In Progress
    assert f.loc["90000001", "department"] == "traffic_police"
    res = recorded_history(jingxing, log)
    assert res.summaries["recorded"]["issues_resolved"] == 5
    # resolved after 3 h 25, 29 h 08, 62 h 18, 6 h 25 and 139 h 40: the median is 29 h 08
    assert res.summaries["recorded"]["resolution_hours"]["median"] == pytest.approx(29 + 8 / 60)


def test_open311_georeport_through_the_shipped_mapping(jingxing):
    log = read_log(
        DATA / "open311_sample.json",
        jingxing,
        ROOT / "scenarios" / "mappings" / "open311_georeport_v2.yaml",
    )
    f = log.frame.set_index("issue_id")
    # 15:00Z in the scenario's Asia/Shanghai: the mapping names no time zone
    assert str(f.loc["638345", "reported_at"]) == "2019-10-28 23:00:00+08:00"
    assert pd.isna(f.loc["638345", "resolved_at"])  # status open
    assert list(f.category) == ["street_light", "garbage", "road_damage"]  # by service_name


def test_unmapped_export_values_are_named_with_the_way_to_map_them(jingxing, tmp_path, capsys):
    text = (DATA / "nyc_311_sample.csv").read_text().replace("Street Light Condition", "Graffito")
    path = _write(tmp_path, text, "nyc.csv")
    mapping = _write(
        tmp_path,
        (ROOT / "scenarios" / "mappings" / "nyc_311.yaml")
        .read_text()
        .replace("  default: frontage_order ", "  # no default "),
        "nyc.yaml",
    )
    from streetchief.issue_log import IssueLogError

    with pytest.raises(IssueLogError) as e:
        read_log(path, jingxing, mapping)
    assert "unknown category 'Graffito' (1×, first on line 4)" in str(e.value)
    out = tmp_path / "out"
    assert main(["replay-history", str(path), "--mapping", str(mapping), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    beside = tmp_path / "out.unmapped_values.csv"
    listed = pd.read_csv(beside)
    assert str(beside) in err
    assert listed[listed.column == "category"].value.tolist() == ["Graffito"]
    assert not out.exists()  # no half-written result folder


def test_export_arrivals_and_replay_history_from_the_command_line(tmp_path, capsys):
    log = tmp_path / "arrivals.csv"
    assert (
        main(["export-arrivals", "textbook_mmc", "--days", "5", "--seed", "2", "--out", str(log)])
        == 0
    )
    frame = pd.read_csv(log)
    assert list(frame.columns[:4]) == ["reported_at", "issue_id", "zone", "category"]
    assert len(frame) == len(Problems.generate(load_scenario("textbook_mmc"), 2, 5))
    out = tmp_path / "rec"
    assert main(["replay-history", str(CASES), "--out", str(out)]) == 0
    table = pd.read_parquet(out / "issues.parquet")
    assert set(table.arrangement) == {"recorded"} and len(table) == 169
    assert main(["replay-history", str(log), "--scenario", "textbook_mmc", "--out", str(out)]) == 2
    assert "no observed responses" in capsys.readouterr().err


def test_compare_with_replay_shows_the_recorded_history_beside_both(tmp_path, capsys):
    out = tmp_path / "cmp"
    assert (
        main(
            [
                "compare",
                "jingxing_2019",
                "--replay",
                str(CASES),
                "--replications",
                "2",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    header = next(line for line in printed.splitlines() if line.startswith("outcome (mean)"))
    assert header.split()[2:] == ["street_chief", "hotline", "grid", "multi_layer", "recorded"]
    table = pd.read_csv(out / "comparison.csv").set_index("outcome")
    assert table.loc["issues_reported"].tolist() == [169] * 5
    assert (out / "comparison.png").stat().st_size > 10_000


def test_who_found_an_issue_is_replayed_as_the_log_says(jingxing, tmp_path):
    text = (
        "reported_at,zone,category,issue_id,discovered_by,reporter\n"
        "2019-10-21 08:00,nanwei_road,garbage,a,merchant,\n"
        "2019-10-21 09:00,nanwei_road,garbage,b,chief,\n"
        "2019-10-21 10:00,pingshe_road,garbage,c,patrol,supervisor 7\n"
        "2019-10-21 11:00,pingshe_road,garbage,d,,\n"
    )
    log = read_log(_write(tmp_path, text), jingxing)
    res = replay(jingxing, log, ["grid"], seed=1)
    t = res.tables["grid"].to_pandas().set_index("issue_id")
    assert t.discovered_by.to_dict() == {
        "a": "merchant",
        "b": "chief",
        "c": "patrol",
        "d": "merchant",
    }
    assert t.loc["c", "reporter"] == "supervisor 7"
    bad = text.replace("c,patrol", "c,passer-by")
    from streetchief.issue_log import IssueLogError

    with pytest.raises(
        IssueLogError, match="line 4: discovered_by must be merchant, chief or patrol"
    ):
        read_log(_write(tmp_path, bad, "bad.csv"), jingxing)


@pytest.mark.slow
@pytest.mark.parametrize("replayed", [False, True])
def test_replications_in_worker_processes_give_the_serial_comparison(jingxing, replayed):
    """compare --workers: the replications after the first run in other processes, each on its own
    seed; every table is the one a run one after another gives (the recorded history once)."""
    from streetchief.experiment import compare

    log = read_log(CASES, jingxing) if replayed else None
    serial = compare(jingxing, 3, seed=4, days=10, log=log)
    pooled = compare(jingxing, 3, seed=4, days=10, log=log, workers=2)
    for table in ("per_run", "means", "paired", "equity", "ledger"):
        pd.testing.assert_frame_equal(getattr(serial, table), getattr(pooled, table))
    assert sorted(set(pooled.per_run.seed)) == [4, 5, 6]
    assert ("recorded" in set(pooled.per_run.arrangement)) == replayed
