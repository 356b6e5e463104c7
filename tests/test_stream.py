"""Streamed runs: memory that follows the open issues, records complete, summaries that agree."""

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from conftest import batch_means_ci

from streetchief import load_scenario
from streetchief.district import DistrictModel
from streetchief.experiment import run_streamed
from streetchief.problems import ProblemStream
from streetchief.records import RecordSink, summarize_table
from streetchief.theory import tandem_sojourn


def test_streamed_tandem_agrees_with_theory(tmp_path):
    s = load_scenario("textbook_tandem", **{"run.days": 600})
    res = run_streamed(s, tmp_path)
    t = pd.read_parquet(tmp_path / "issues" / "multi_layer.parquet").sort_values("reported_at")
    x = (t.resolved_at - t.reported_at).dropna().to_numpy()
    w, half = batch_means_ci(x)
    assert abs(w - tandem_sojourn([(3, 1 / 2.4)] * 4, 1.0)) <= half
    assert res.summaries["multi_layer"]["issues_reported"] == len(t)


def test_streamed_records_are_complete_and_memory_follows_the_open_issues(jingxing, tmp_path):
    m = DistrictModel(jingxing, "multi_layer", ProblemStream(jingxing, 3, 365), 3)
    m.sink = RecordSink(tmp_path / "ml.parquet", m)
    m.run()
    m.flush_open()
    m.sink.close()
    t = pd.read_parquet(tmp_path / "ml.parquet")
    assert t.issue_id.is_unique
    left, gone = sum(len(z) for z in m.unreported), len(m.expired_unreported)
    assert len(t) == m.problems_arisen - m.self_fixed - left - gone  # nothing lost
    assert (t.acknowledged_at.dropna() >= t.reported_at[t.acknowledged_at.notna()]).all()
    done = t.resolved_at.notna()
    assert (t.closed_at[done].dropna() >= t.resolved_at[done & t.closed_at.notna()]).all()


def test_slots_are_reused_so_memory_follows_the_issues_open_at_once():
    s = load_scenario("textbook_tandem", **{"run.days": 1000})  # 24,000 issues, ~20 open at once
    m = DistrictModel(s, "multi_layer", ProblemStream(s, 1), 1)
    rows = []
    m.sink = type("Counter", (), {"add": lambda self, m, i: rows.append(m.issues.number[i])})()
    m.run()
    m.flush_open()
    assert len(rows) == len(set(rows)) == m.problems_arisen > 20_000
    assert m.issues.capacity == 4096  # never had to grow


def test_streamed_summary_agrees_with_one_computed_from_all_records(jingxing, tmp_path):
    res = run_streamed(jingxing, tmp_path, days=120)
    for name, got in res.summaries.items():
        exact = summarize_table(
            pq.read_table(tmp_path / "issues" / f"{name}.parquet"),
            res.horizon,
            list(jingxing.categories),
            jingxing.run.backlog_sample_hours,
        )
        for key in (
            "issues_reported",
            "issues_resolved",
            "issues_ended_unfixed",
            "ended_how",
            "issues_open",
            "resolution_rate",
            "on_time_share",
            "bounces_per_issue",
            "hops_per_issue",
            "coordinated_issues",
            "reopened_issues",
            "duplicate_reports",
            "by_category",
        ):
            assert got[key] == exact[key], (name, key)
        assert got["mean_backlog"] == pytest.approx(exact["mean_backlog"], rel=1e-9)
        for q in ("mean", "median", "p90", "p95"):
            assert got["resolution_hours"][q] == pytest.approx(
                exact["resolution_hours"][q], rel=0.006
            ), q


def test_streamed_runs_are_reproducible(tmp_path):
    s = load_scenario("jingxing_2019")
    a = run_streamed(s, tmp_path / "a", days=60, seed=9)
    b = run_streamed(s, tmp_path / "b", days=60, seed=9)
    assert a.summaries == {
        k: {**v, "records": v["records"].replace("/b/", "/a/")} for k, v in b.summaries.items()
    }
    for name in a.summaries:
        pd.testing.assert_frame_equal(
            pd.read_parquet(tmp_path / "a" / "issues" / f"{name}.parquet"),
            pd.read_parquet(tmp_path / "b" / "issues" / f"{name}.parquet"),
        )


def test_stream_window_statistics_match_whole_run_generation(jingxing):
    """Windows have their own streams, but the arrivals follow the same process."""
    whole = [
        len(__import__("streetchief.problems").problems.Problems.generate(jingxing, k, 200))
        for k in range(10)
    ]
    streamed = [
        sum(len(c.time) for c in ProblemStream(jingxing, k, 200).chunks()) for k in range(10)
    ]
    assert abs(np.mean(whole) - np.mean(streamed)) < 4 * np.sqrt(np.mean(whole) / 10) * np.sqrt(2)
