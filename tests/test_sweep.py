"""Sweeps: designs, executors that agree, resume, failures, sensitivity indices, bad specs."""

from pathlib import Path

import pandas as pd
import pytest
import yaml
from pydantic import Field

from streetchief import sweep
from streetchief.arrangements import ARRANGEMENTS, register
from streetchief.arrangements.base import Arrangement, ArrangementParams
from streetchief.cli import main
from streetchief.sweeps import SweepError
from streetchief.sweeps.analysis import advantage, analyze, indices, load_runs
from streetchief.sweeps.store import Lock as _Lock

ROOT = Path(__file__).resolve().parent.parent

GRID = {
    "name": "grid_test",
    "scenario": "jingxing_2019",
    "days": 10,
    "seed": 3,
    "replications": 2,
    "design": "grid",
    "uncertainties": {"arrangements.multi_layer.layers.0.misrouting": {"values": [0.0, 0.25]}},
    "levers": {
        "departments.traffic_police.crews": {"low": 1, "high": 3, "levels": 2, "integer": True}
    },
    "outcomes": ["resolution_mean_h", "acknowledgement_mean_h", "issues_reported"],
}


def _same(a: pd.DataFrame, b: pd.DataFrame):
    pd.testing.assert_frame_equal(
        a.drop(columns="seconds").reset_index(drop=True),
        b.drop(columns="seconds").reset_index(drop=True),
    )


@pytest.fixture(scope="module")
def grid_runs(tmp_path_factory):
    return sweep(GRID, tmp_path_factory.mktemp("grid"), workers=1, progress=False)


def test_grid_sweep_has_a_row_per_run_with_parameters_and_outcomes(grid_runs):
    runs = grid_runs.runs
    assert len(runs) == 2 * 2 * 2 * 2  # points × replications × arrangements
    assert {
        "run_id",
        "point_id",
        "replication",
        "seed",
        "arrangement",
        "status",
        "error",
        "arrangements.multi_layer.layers.0.misrouting",
        "departments.traffic_police.crews",
        "resolution_mean_h",
        "acknowledgement_mean_h",
        "issues_reported",
    } <= set(runs.columns)
    assert runs.run_id.is_unique and (runs.status == "ok").all()
    assert sorted(runs["departments.traffic_police.crews"].unique()) == [1, 3]
    # common random numbers: both arrangements of a replication see the same problems,
    # whatever the point
    assert runs.groupby("replication").seed.nunique().eq(1).all()
    # the written table is the returned one, and sweep.json says what produced it
    on_disk, meta = load_runs(grid_runs.out)
    _same(on_disk, runs)
    assert meta["status"] == "complete" and meta["runs_done"] == 16 and meta["runs_failed"] == 0
    assert {"spec", "version", "git_commit", "host", "started", "finished"} <= set(meta)


@pytest.mark.slow
def test_local_processes_and_a_dask_cluster_give_identical_tables(grid_runs, tmp_path):
    local2 = sweep(GRID, tmp_path / "local2", workers=2, progress=False)
    _same(local2.runs, grid_runs.runs)
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster:
        dask = sweep(GRID, tmp_path / "dask", scheduler=cluster.scheduler_address, progress=False)
    _same(dask.runs, grid_runs.runs)


def test_an_interrupted_sweep_resumes_without_recomputing(grid_runs, tmp_path):
    out = tmp_path / "resumed"

    def interrupt_after_three(done, total):
        if done >= 3 * 2:  # progress counts runs: 2 arrangements per task
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(GRID, out, workers=1, progress=interrupt_after_three)
    assert len(list((out / "runs").glob("*.parquet"))) == 3
    assert load_runs(out)[1]["status"] == "interrupted"
    again = sweep(GRID, out, workers=1, progress=False)
    assert again.executed == 8 - 3  # only the missing tasks ran
    _same(again.runs, grid_runs.runs)
    assert sweep(GRID, out, workers=1, progress=False).executed == 0


class FlakyParams(ArrangementParams):
    fail: float = Field(0.0, ge=0, le=1)


@pytest.fixture
def flaky():
    @register
    class Flaky(Arrangement):
        name = "flaky"
        Params = FlakyParams

        def receive(self, i):
            if self.params.fail > 0.5:
                raise RuntimeError("the flaky desk is closed")
            self.model.acknowledge(i)
            self.model.fix(i)

        def fixed(self, i):
            self.model.resolve(i)
            self.model.close(i)

    yield
    ARRANGEMENTS.pop("flaky")


def test_a_failing_run_is_recorded_and_the_others_go_on(flaky, tmp_path):
    base = yaml.safe_load((ROOT / "scenarios" / "jingxing_2019.yaml").read_text(encoding="utf-8"))
    base["arrangements"]["flaky"] = {"fail": 0.0}
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")
    spec = {
        "name": "flaky",
        "scenario": str(tmp_path / "base.yaml"),
        "days": 5,
        "replications": 2,
        "design": "grid",
        "arrangements": ["street_chief", "flaky"],
        "baseline": "flaky",
        "treatment": "street_chief",
        "uncertainties": {"arrangements.flaky.fail": {"values": [0.0, 1.0]}},
    }
    res = sweep(spec, tmp_path / "out", workers=1, progress=False)
    failed = res.runs[res.runs.status == "failed"]
    assert len(res.runs) == 8 and res.failed == len(failed) == 4
    assert (failed["arrangements.flaky.fail"] == 1.0).all()
    assert failed.error.str.contains("RuntimeError: the flaky desk is closed").all()
    assert (res.runs[res.runs.status == "ok"].resolution_mean_h.notna()).all()
    assert load_runs(tmp_path / "out")[1]["runs_failed"] == 4


@pytest.mark.slow
def test_sobol_gives_a_parameter_that_does_nothing_an_index_near_zero(tmp_path):
    spec = {
        "name": "sobol",
        "scenario": "textbook_tandem",
        "days": 20,
        "replications": 1,
        "design": "sobol",
        "samples": 32,
        "arrangements": ["multi_layer"],
        "uncertainties": {
            "arrangements.multi_layer.layers.0.handling.mean": {"low": 1.0, "high": 2.4},
            "run.backlog_sample_hours": {"low": 6, "high": 48},
        },  # changes no issue's path
        "outcomes": ["resolution_mean_h"],
    }
    res = sweep(spec, tmp_path, workers=1, progress=False)
    assert len(res.runs) == 32 * (2 + 2)
    ind = indices(*load_runs(tmp_path), outcome="resolution_mean_h", of="multi_layer").set_index(
        "parameter"
    )
    assert ind.loc["run.backlog_sample_hours", "ST"] < 0.02
    assert ind.loc["arrangements.multi_layer.layers.0.handling.mean", "ST"] > 0.9
    assert ind.loc["run.backlog_sample_hours", "ST_conf"] < 0.02


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"levers": {"departments.traffic_polise.crews": {"values": [1, 2]}}},
            "levers.departments.traffic_polise.crews = 1: departments.traffic_polise.crews: no "
            "such place in the scenario",
        ),
        (
            {"levers": {"departments.traffic_police.crewz": {"values": [1, 2]}}},
            "departments.traffic_police.crewz: unknown key; allowed here: name, crews",
        ),
        (
            {
                "levers": {
                    "departments.traffic_police.crews": {"low": 0, "high": 3, "integer": True}
                }
            },
            "levers.departments.traffic_police.crews = 0: departments.traffic_police.crews: must "
            "be ≥ 1, got 0",
        ),
        ({"design": "sobol", "samples": 30}, "samples: sobol needs a power of 2"),
        ({"design": "annealing"}, "design: must be one of"),
        ({"outcomes": ["happiness"]}, "outcomes: unknown 'happiness'"),
    ],
)
def test_bad_specs_fail_before_anything_runs(tmp_path, change, message):
    spec = {**GRID, **change}
    with pytest.raises(SweepError) as e:
        sweep(spec, tmp_path / "never", workers=1, progress=False)
    assert message in str(e.value), str(e.value)
    assert not (tmp_path / "never").exists()


def test_a_second_sweep_into_the_same_folder_is_refused(tmp_path):
    (tmp_path / "runs").mkdir()
    with _Lock(tmp_path):
        with pytest.raises(SweepError) as e:
            sweep(GRID, tmp_path, workers=1, progress=False)
    assert "another sweep is writing here (pid" in str(e.value)


def test_a_folder_holding_another_sweep_is_refused(grid_runs):
    with pytest.raises(SweepError) as e:
        sweep({**GRID, "replications": 3}, grid_runs.out, workers=1, progress=False)
    assert "holds a different sweep" in str(e.value)


def test_advantage_per_point_and_the_analysis_figures(grid_runs, tmp_path):
    runs, meta = load_runs(grid_runs.out)
    adv = advantage(runs, meta, "resolution_mean_h")
    assert (
        len(adv) == 4
        and (adv.ci_low <= adv.difference).all()
        and (adv.difference <= adv.ci_high).all()
    )
    by_hand = runs[runs.point_id == 0].pivot(
        index="replication", columns="arrangement", values="resolution_mean_h"
    )
    assert adv.difference[0] == pytest.approx((by_hand.street_chief - by_hand.multi_layer).mean())
    report = analyze(grid_runs.out, out=tmp_path)
    assert {p.name for p in report["figures"]} == {
        "region.png",
        "heatmap.png",
        "tornado.png",
        "boxplots.png",
    }
    for name in (
        "advantage.csv",
        "where_it_vanishes.txt",
        "region.png",
        "heatmap.png",
        "tornado.png",
        "boxplots.png",
    ):
        assert (tmp_path / name).stat().st_size > 0


def test_sweep_and_analyze_from_the_command_line_with_morris(tmp_path, capsys):
    spec = {
        **GRID,
        "name": "morris",
        "design": "morris",
        "samples": 4,
        "replications": 1,
        "levers": {"departments.traffic_police.crews": {"low": 1, "high": 4, "integer": True}},
    }
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    assert (
        main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]) == 0
    )
    printed = capsys.readouterr().out
    assert "24 runs, 0 failed" in printed and "runs/s" in printed  # 4 trajectories × 3 points × 2
    assert main(["analyze", str(tmp_path / "out")]) == 0
    printed = capsys.readouterr().out
    assert "mu_star" in printed and "no significant difference at" in printed
    assert (tmp_path / "out" / "analysis" / "indices.png").exists()
    assert main(["analyze", str(tmp_path / "out"), "--outcome", "joy"]) == 2
    assert "unknown outcome 'joy'" in capsys.readouterr().err


def test_per_issue_records_partitioned_by_point_and_replication(tmp_path):
    import pyarrow.dataset as ds

    res = sweep(
        {**GRID, "save_issues": True, "replications": 1}, tmp_path, workers=1, progress=False
    )
    issues = (
        ds.dataset(tmp_path / "issues", format="parquet", partitioning="hive")
        .to_table()
        .to_pandas()
    )
    assert len(issues) == res.runs.issues_reported.sum()
    counts = issues.groupby(["point", "replication", "arrangement"], observed=True).size()
    expected = res.runs.set_index(["point_id", "replication", "arrangement"]).issues_reported
    assert sorted(counts.tolist()) == sorted(expected.astype(int).tolist())


def test_three_sweeps_at_once_into_one_folder_only_the_holder_writes(tmp_path):
    """A sweep refused because the lock is held leaves the holder's lock and folders alone, so a
    third is refused too (it used to find the lock unlinked, take a new one, and run beside the
    first)."""
    import os

    (tmp_path / "runs").mkdir()
    with _Lock(tmp_path):
        inode = os.stat(tmp_path / ".lock").st_ino
        for _ in range(2):
            with pytest.raises(SweepError, match=r"another sweep is writing here \(pid"):
                sweep(GRID, tmp_path, workers=1, progress=False)
            assert os.stat(tmp_path / ".lock").st_ino == inode  # the holder's lock, untouched
            assert (tmp_path / "runs").is_dir() and not (tmp_path / "sweep.json").exists()


def test_a_symlinked_runs_folder_is_refused_and_nothing_written_through_it(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    out = tmp_path / "out"
    out.mkdir()
    (out / "runs").symlink_to(outside)
    with pytest.raises(SweepError, match="runs: 1 problem:\n  is a symbolic link"):
        sweep(GRID, out, workers=1, progress=False)
    assert not list(outside.iterdir())


def test_a_long_sweep_is_timed_on_a_pilot_and_refused_on_what_it_measured(tmp_path, monkeypatch):
    """The time limit is checked against this machine as it runs now: a sweep the constant puts
    at about a quarter of an hour is refused when its pilot runs 100 times slower than the
    constant, with the measured rate in the message; nothing is written. A quick sweep runs no
    pilot."""
    from streetchief import budget
    from streetchief.errors import SizeError
    from streetchief.scenario import load_scenario
    from streetchief.sweeps import load_sweep

    spec = {
        "name": "long",
        "scenario": "jingxing_2019",
        "days": 3650,
        "replications": 10,
        "design": "grid",
        "levers": {"departments.sanitation.crews": {"values": list(range(2, 32))}},
        "outcomes": ["resolution_mean_h"],
    }
    sw = load_sweep(spec)
    nominal = budget.estimate_sweep(sw, 1)
    assert budget.PILOT_ABOVE_SECONDS < nominal.seconds < budget.TIME_LIMIT_HOURS * 3600
    slow = budget.Throughput(start_seconds=0.0, seconds_per_problem=100 / 50_000)
    asked = []
    monkeypatch.setattr(budget, "pilot", lambda *a: asked.append(a) or slow)

    def never(*a):
        raise AssertionError("the sweep started: its pilot was not what it was checked on")

    monkeypatch.setattr("streetchief.sweeps.runner._sweep", never)
    with pytest.raises(SizeError, match=r"timed on a pilot now: 500 problems a second.*> 12 h"):
        sweep(spec, tmp_path / "long", workers=1, progress=False)
    assert len(asked) == 1 and not (tmp_path / "long").exists()
    asked.clear()
    monkeypatch.undo()
    monkeypatch.setattr(budget, "pilot", lambda *a: asked.append(a) or slow)
    short = {**spec, "days": 3, "replications": 1, "levers": {}}
    short["levers"] = {"departments.sanitation.crews": {"values": [2, 3]}}
    sweep(short, tmp_path / "short", workers=1, progress=False)
    assert not asked
    # the pilot itself: two short runs, their rates of the right order
    monkeypatch.undo()
    measured = budget.pilot(load_scenario("jingxing_2019"), ["hotline"], 3650)
    assert 1e-7 < measured.seconds_per_problem < 1e-2 and 0 <= measured.start_seconds < 5
