"""Result folders written as a whole: an interrupted command leaves the old folder as it was, a
failed one leaves no folder, --out may not be or hold an input; outputs honour the umask and escape
what a spreadsheet would run."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import streetchief.plots
from streetchief.cli import main

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "scenarios" / "jingxing_2019_cases.csv"


def _snapshot(folder: Path) -> dict:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def _no_staging_left(parent: Path):
    left = [p.name for p in parent.iterdir() if p.name.endswith((".partial", ".old", ".tmp"))]
    assert not left, left


def test_an_interrupted_compare_leaves_the_old_folder_intact(tmp_path, monkeypatch, capsys):
    out = tmp_path / "cmp"
    args = ["compare", "jingxing_2019", "--days", "5", "--replications", "2", "--quiet"]
    assert main([*args, "--out", str(out)]) == 0
    before = _snapshot(out)

    def ctrl_c(*a, **k):  # Ctrl-C while the figure is drawn: the CSVs are already written
        raise KeyboardInterrupt

    monkeypatch.setattr(streetchief.plots, "comparison_figure", ctrl_c)
    capsys.readouterr()
    assert main([*args, "--seed", "7", "--out", str(out)]) == 130
    assert "nothing half-written was left behind" in capsys.readouterr().err
    assert _snapshot(out) == before
    _no_staging_left(tmp_path)


def test_an_interrupted_streamed_run_leaves_the_old_folder_intact(tmp_path, monkeypatch):
    out = tmp_path / "run"
    args = ["run", "jingxing_2019", "--days", "4", "--stream", "--quiet"]
    assert main([*args, "--out", str(out), "--arrangement", "street_chief"]) == 0
    before = _snapshot(out)
    import streetchief.experiment as experiment

    real = experiment.run_streamed

    def stopped(scenario, folder, names, *a, **k):
        real(scenario, folder, names[:1], *a, **k)  # one arrangement's records written...
        raise KeyboardInterrupt  # ...then Ctrl-C

    monkeypatch.setattr(experiment, "run_streamed", stopped)
    assert main([*args, "--out", str(out), "--arrangement", "both"]) == 130
    assert _snapshot(out) == before
    _no_staging_left(tmp_path)


@pytest.mark.slow
def test_sigterm_on_a_streamed_run_leaves_nothing_behind(tmp_path):
    out = tmp_path / "run"
    cmd = [sys.executable, "-m", "streetchief", "run", "jingxing_2019", "--stream", "--quiet"]
    subprocess.run([*cmd, "--days", "3", "--out", str(out)], check=True, capture_output=True)
    before = _snapshot(out)
    p = subprocess.Popen(
        [*cmd, "--days", "20000", "--force", "--out", str(out)], stderr=subprocess.PIPE, text=True
    )
    for _ in range(200):  # until it is writing records into its staging folder
        if any(tmp_path.glob(".run.*.partial/issues/.*.tmp")):
            break
        time.sleep(0.05)
    p.send_signal(signal.SIGTERM)
    err = p.communicate(timeout=60)[1]
    assert p.returncode == 143 and "terminated; nothing half-written" in err, err
    assert _snapshot(out) == before
    _no_staging_left(tmp_path)


def test_a_new_result_replaces_the_old_one_whole(tmp_path):
    out = tmp_path / "r"
    assert (
        main(["run", "jingxing_2019", "--days", "3", "--stream", "--out", str(out), "--quiet"]) == 0
    )
    assert (out / "issues").is_dir()
    assert main(["run", "jingxing_2019", "--days", "3", "--out", str(out), "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["issues.parquet", "summary.json"]


def test_a_failed_command_leaves_no_folder(tmp_path, capsys):
    bad_log = tmp_path / "bad.csv"
    bad_log.write_text("reported_at,zone,category\nyesterday,nowhere,nothing\n")
    out = tmp_path / "a" / "b" / "c"
    assert main(["run", "jingxing_2019", "--replay", str(bad_log), "--out", str(out)]) == 2
    assert "Traceback" not in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.csv"]


def test_out_may_not_be_or_hold_an_input(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_bytes(CASES.read_bytes())
    original = log.read_bytes()
    # import-log X.csv --out X.csv would overwrite the user's export
    assert main(["import-log", str(log), "--out", str(log)]) == 2
    assert "is the input" in capsys.readouterr().err and log.read_bytes() == original
    # a result folder is replaced whole: it may not hold the log it replays
    assert main(["run", "jingxing_2019", "--replay", str(log), "--out", str(tmp_path)]) == 2
    assert "holds the input" in capsys.readouterr().err and log.read_bytes() == original


def test_a_folder_with_other_files_is_not_replaced(tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    assert main(["run", "jingxing_2019", "--days", "2", "--out", str(tmp_path), "--quiet"]) == 2
    assert "not a streetchief result (notes.txt)" in capsys.readouterr().err
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_an_output_folder_named_like_a_scenario_does_not_shadow_it(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "jingxing_2019", "--days", "2", "--out", "jingxing_2019", "--quiet"]) == 0
    assert main(["run", "jingxing_2019", "--days", "2", "--out", "jingxing_2019", "--quiet"]) == 0
    assert main(["validate", "jingxing_2019"]) == 0


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_outputs_honour_the_umask(tmp_path, mask, mode):
    old = os.umask(mask)
    try:
        out = tmp_path / "r"
        assert main(["run", "jingxing_2019", "--days", "2", "--out", str(out), "--quiet"]) == 0
    finally:
        os.umask(old)
    for p in out.iterdir():
        assert p.stat().st_mode & 0o777 == mode, (p.name, oct(p.stat().st_mode))
    assert out.stat().st_mode & 0o777 == mode | 0o111 & ~mask


@pytest.mark.slow
def test_formula_like_cells_are_escaped_in_csv_outputs(tmp_path, capsys):
    log = tmp_path / "log.csv"
    lines = CASES.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    evil = lines[5].split(",")
    evil[header.index("zone")] = '=HYPERLINK("http://x")'
    log.write_text("\n".join([lines[0], *lines[1:5], ",".join(evil), *lines[6:]]) + "\n")
    out = tmp_path / "r"
    assert (
        main(
            ["compare", "jingxing_2019", "--replay", str(log), "--skip-invalid", "--out", str(out)]
        )
        + main(["verify", str(out)])
        == 0
    )
    rejected = (out / "rejected_rows.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in rejected and ",=HYPERLINK" not in rejected
    table = pd.read_csv(out / "differences.csv")
    assert (table.difference < 0).any()  # negative numbers stay numbers
