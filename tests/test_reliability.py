"""Reliability and safety: conservation under stress, fault-injected sweeps, atomic files, nothing
executed from data, and results that say what produced them."""

import json
import os
import random
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
import yaml

from streetchief import load_scenario, run_scenario, sweep
from streetchief.cli import main
from streetchief.scenario import ScenarioError
from streetchief.sweeps import SweepError, load_sweep
from streetchief.verify import verify

ROOT = Path(__file__).resolve().parent.parent
CLI = [sys.executable, "-m", "streetchief"]


# --- conservation under stress --------------------------------------------------------------------
STRESS = {
    "departments.sanitation.crews": 1,  # ρ > 1 at sanitation
    "categories.garbage.rate_per_day": 40,
    "departments.traffic_police.on_call_crews": 0,  # nobody at night
    "calendars.chief_duty": {"weekly": {"sun": ["00:00-00:01"]}},  # a chief with (almost) no hours
    "merchants.reporting.adaptive": False,
}


@pytest.fixture(scope="module")
def stressed():
    s = load_scenario("jingxing_2019")
    overrides = dict(STRESS)
    for k in s.categories:  # every issue's responsibility unclear
        overrides[f"categories.{k}.unclear_share"] = 1.0
    scenario = load_scenario("jingxing_2019", **overrides)
    return run_scenario(scenario, days=540, seed=4, keep_models=True)


@pytest.mark.parametrize("arrangement", ["street_chief", "multi_layer"])
def test_extreme_load_terminates_reports_the_growing_backlog_and_loses_no_issue(
    stressed, arrangement
):
    m, table, s = (
        stressed.models[arrangement],
        stressed.tables[arrangement].to_pandas(),
        stressed.summaries[arrangement],
    )
    # every problem is accounted for: reported (a record each), left unreported, or fixed by
    # its merchant
    gone = s["problems"]["ended_before_report"]  # went by itself before anyone reported it
    assert (
        s["problems_arisen"]
        == len(table) + s["unreported_problems"] + s["self_fixed_problems"] + gone
    )
    assert table.issue_id.is_unique
    # per category: reported = resolved + open, and the records agree with the summary
    for cat, c in s["by_category"].items():
        rows = table[table.category == cat]
        assert c["reported"] == len(rows)
        assert c["resolved"] + int(rows.resolved_at.isna().sum()) == c["reported"]
    assert (
        s["issues_reported"] == s["issues_resolved"] + s["issues_ended_unfixed"] + s["issues_open"]
    )
    # the backlog grows: more open at the end than on average over the first half
    samples = np.array([n for _, n in m.backlog_samples])
    assert samples[-1] > 2 * samples[: len(samples) // 2].mean() > 0
    assert s["issues_open"] > 100


# --- fault-injected sweeps ------------------------------------------------------------------------
SPEC = {
    "name": "faults",
    "scenario": "jingxing_2019",
    "days": 4,
    "seed": 2,
    "replications": 3,
    "design": "grid",
    "uncertainties": {"arrangements.multi_layer.layers.0.misrouting": {"values": [0.0, 0.2]}},
    "levers": {"departments.sanitation.crews": {"values": [2, 5]}},
    "outcomes": ["resolution_mean_h", "issues_reported", "bounces_per_issue"],
}


def _table(folder):
    return pd.read_parquet(folder / "runs.parquet").drop(columns="seconds").reset_index(drop=True)


@pytest.fixture(scope="module")
def undisturbed(tmp_path_factory):
    out = tmp_path_factory.mktemp("undisturbed")
    sweep(SPEC, out, workers=1, progress=False)
    return _table(out)


@pytest.mark.slow
def test_sweep_killed_raising_and_restarted_ends_exactly_like_an_undisturbed_one(
    undisturbed, tmp_path
):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC), encoding="utf-8")
    out = tmp_path / "out"
    cmd = CLI + ["sweep", str(spec), "--out", str(out), "--workers", "2", "--quiet"]
    env = {**os.environ, "STREETCHIEF_FAULTS": "raise=0.25,kill=0.15"}
    rng = random.Random(7)
    starts = kills = 0
    for _ in range(40):
        starts += 1
        p = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if starts <= 3:  # the whole sweep killed at a random moment, three times
            time.sleep(rng.uniform(1.0, 3.0))
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                kills += 1
        p.wait(timeout=120)
        meta = json.loads((out / "sweep.json").read_text()) if (out / "sweep.json").exists() else {}
        if meta.get("status") == "complete" and meta.get("runs_failed") == 0:
            break
    table = _table(out)
    assert starts > 1
    assert table.run_id.is_unique and len(table) == len(undisturbed)
    pd.testing.assert_frame_equal(table, undisturbed)
    # a clean start (no faults) has nothing left to do
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "done by an earlier start" in r.stdout


@pytest.mark.slow
def test_a_dask_worker_lost_mid_sweep_changes_nothing(undisturbed, tmp_path):
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        pids = list(client.run(os.getpid).values())
        killed = []

        def kill_one_worker(done, total):
            if done and not killed:
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

        res = sweep(SPEC, tmp_path, scheduler=cluster.scheduler_address, progress=kill_one_worker)
    assert killed
    pd.testing.assert_frame_equal(_table(tmp_path), undisturbed)
    assert res.failed == 0


@pytest.mark.slow
def test_two_sweeps_into_one_folder_at_once_the_second_refuses(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({**SPEC, "days": 200, "replications": 10}), encoding="utf-8")
    first = subprocess.Popen(
        CLI + ["sweep", str(spec), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):  # wait until the first holds the lock
            if (tmp_path / "out" / ".lock").exists() and (tmp_path / "out" / ".lock").read_text():
                break
            time.sleep(0.05)
        r = subprocess.run(
            CLI + ["sweep", str(spec), "--out", str(tmp_path / "out"), "--quiet"],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert first.poll() is None, "the first sweep ended before the second started"
        assert r.returncode == 2 and "another sweep is writing here (pid" in r.stderr, r.stderr
    finally:
        first.kill()
        first.wait()


# --- atomic files ---------------------------------------------------------------------------------
WRITER = """
import sys, numpy as np, pyarrow as pa
from streetchief.files import write_parquet
n = int(sys.argv[2])
k = 0
while True:
    k += 1
    table = pa.table({"k": np.full(n, k), "x": np.random.default_rng(k).random(n)})
    write_parquet(table, sys.argv[1])
    print(k, flush=True)
"""


@pytest.mark.slow
def test_a_writer_killed_mid_write_leaves_the_previous_complete_file(tmp_path):
    target = tmp_path / "result.parquet"
    for attempt in range(5):
        p = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(target), "2000000"],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        p.stdout.readline()  # one complete file exists
        time.sleep(
            random.Random(attempt).uniform(0.0, 0.3)
        )  # then kill it somewhere in a later write
        p.send_signal(signal.SIGKILL)
        p.wait()
        t = pq.read_table(target)  # never truncated: readable, and whole
        assert t.num_rows == 2_000_000
        assert len(set(t["k"].to_pylist()[::100_000])) == 1  # all from one write
    assert not [f for f in tmp_path.iterdir() if not f.name.startswith(".") and f != target]


def test_every_file_the_package_writes_goes_through_a_temporary_name():
    """Each write call in the package writes to a temporary path that is then renamed."""
    allowed = re.compile(
        r"atomic_write|lambda tmp|self\.tmp|self\.writer\.write_table|def write_text|def "
        r"write_json|"
        r"self\.f\.write|"
        r"write_text\(.*to_csv\(index=False\)|"
        r"\.to_csv\(index=False\)$"  # no path: returns the text
    )
    offenders = []
    for path in (ROOT / "model").rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(
                r"\.(write_text|write_bytes|to_csv|to_parquet|savefig|write_table)\(|open\([^)]*['\"]w",
                line,
            ) and not allowed.search(line):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert not offenders, offenders


# --- nothing executed from data -------------------------------------------------------------------
EVIL = "!!python/object/apply:os.system ['touch {marker}']"


def test_yaml_tags_that_would_run_code_are_refused_everywhere(tmp_path):
    marker = tmp_path / "pwned"
    evil = EVIL.format(marker=marker)
    scenario = (
        (ROOT / "scenarios" / "textbook_mmc.yaml")
        .read_text(encoding="utf-8")
        .replace("description:", f"extra: {evil}\ndescription:", 1)
    )
    (tmp_path / "s.yaml").write_text(scenario, encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid YAML"):
        load_scenario(tmp_path / "s.yaml")
    (tmp_path / "spec.yaml").write_text(f"name: x\nscenario: {evil}\n", encoding="utf-8")
    with pytest.raises(SweepError, match="not valid YAML"):
        load_sweep(tmp_path / "spec.yaml")
    (tmp_path / "map.yaml").write_text(f"columns: {evil}\n", encoding="utf-8")
    from streetchief.issue_log import IssueLogError, load_mapping

    with pytest.raises(IssueLogError, match="cannot read the mapping"):
        load_mapping(tmp_path / "map.yaml")
    assert not marker.exists()


def test_no_eval_exec_or_pickle_on_anything_read():
    pattern = re.compile(
        r"\b(eval|exec)\(|pickle\.loads?\(|yaml\.(load|unsafe_load|full_load)\(|"
        r"__import__\(|cloudpickle|marshal\.loads"
    )
    found = [
        f"{p.name}:{n}"
        for p in (ROOT / "model").rglob("*.py")
        for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert not found, found


def test_names_from_data_cannot_move_outputs_out_of_the_chosen_folder(tmp_path):
    raw = yaml.safe_load((ROOT / "scenarios" / "textbook_mmc.yaml").read_text(encoding="utf-8"))
    raw["zones"] = {"../../etc": raw["zones"][next(iter(raw["zones"]))]}
    raw["name"] = "../../outside"
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    out = tmp_path / "deep" / "out"
    assert main(["run", str(tmp_path / "s.yaml"), "--days", "3", "--out", str(out), "--quiet"]) == 0
    assert (
        main(
            [
                "run",
                str(tmp_path / "s.yaml"),
                "--days",
                "3",
                "--out",
                str(out / "s"),
                "--stream",
                "--quiet",
            ]
        )
        == 0
    )
    written = {p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file()}
    assert all(str(p).startswith(("deep/out", "s.yaml")) for p in written), written
    # a sweep's name sets its default folder: one that could climb out is refused
    with pytest.raises(SweepError, match="name"):
        load_sweep({**SPEC, "name": "../../x"})


# --- what produced a result, and verifying it -----------------------------------------------------
@pytest.mark.slow
def test_run_and_compare_folders_say_what_produced_them_and_verify(tmp_path, capsys):
    run_dir, cmp_dir = tmp_path / "run", tmp_path / "cmp"
    assert (
        main(
            [
                "run",
                "jingxing_2019",
                "--days",
                "20",
                "--seed",
                "3",
                "--out",
                str(run_dir),
                "--quiet",
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "compare",
                "jingxing_2019",
                "--days",
                "10",
                "--replications",
                "3",
                "--out",
                str(cmp_dir),
                "--quiet",
            ]
        )
        == 0
    )
    record = json.loads((run_dir / "summary.json").read_text())
    prov = record["provenance"]
    assert {
        "streetchief",
        "git_commit",
        "python",
        "dependencies",
        "host",
        "scenario_sha256",
    } <= set(prov)
    assert prov["dependencies"]["mesa"] and len(prov["scenario_sha256"]) == 64
    capsys.readouterr()
    assert main(["verify", str(run_dir)]) == 0
    assert "all identical" in capsys.readouterr().out
    assert main(["verify", str(cmp_dir), "--sample", "2"]) == 0
    # a tampered record is caught
    record["arrangements"]["multi_layer"]["resolution_hours"]["mean"] += 1e-9
    (run_dir / "summary.json").write_text(json.dumps(record))
    capsys.readouterr()
    assert main(["verify", str(run_dir)]) == 1
    assert "multi_layer: resolution_hours.mean: recorded" in capsys.readouterr().out


@pytest.mark.slow
def test_sweep_and_replay_folders_verify(tmp_path, capsys):
    out = tmp_path / "sweep"
    sweep(SPEC, out, workers=1, progress=False)
    v = verify(out, sample=3)
    reruns = [c for c in v.checked if c.startswith("point ")]
    assert v.ok and len(reruns) == 3 * 2
    assert any("re-ran 3 of 12 tasks, drawn at random" in n for n in v.notes)
    runs = pd.read_parquet(out / "runs.parquet")
    runs.loc[0, "issues_reported"] += 1
    runs.to_parquet(out / "runs.parquet")
    bad = verify(out, sample=12)
    assert not bad.ok and any("issues_reported" in m for m in bad.mismatches)
    rep = tmp_path / "replay"
    assert (
        main(
            [
                "run",
                "jingxing_2019",
                "--replay",
                str(ROOT / "scenarios" / "jingxing_2019_cases.csv"),
                "--out",
                str(rep),
                "--quiet",
            ]
        )
        == 0
    )
    assert verify(rep).ok
    stream = tmp_path / "stream"
    assert (
        main(["run", "jingxing_2019", "--days", "30", "--stream", "--out", str(stream), "--quiet"])
        == 0
    )
    assert verify(stream).ok
