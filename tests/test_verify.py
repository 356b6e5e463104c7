"""verify checks everything it can: every file against its recorded sha256, every run re-run, the
tables and the figure derived again, a sweep against its design; tampering of each kind is caught,
named by its file and value, and a damaged record is refused with a clear message."""

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from streetchief import sweep
from streetchief.cli import main
from streetchief.verify import verify

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "scenarios" / "jingxing_2019_cases.csv"

SPEC = {
    "name": "tamper",
    "scenario": "jingxing_2019",
    "days": 3,
    "seed": 5,
    "replications": 2,
    "design": "grid",
    "uncertainties": {"arrangements.multi_layer.layers.0.misrouting": {"values": [0.0, 0.1]}},
    "levers": {"departments.sanitation.crews": {"values": [2, 3, 4, 5, 6]}},
    "outcomes": ["resolution_mean_h", "issues_reported"],
}


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """A run, a streamed run, a comparison, a replay and a sweep, each written once."""
    base = tmp_path_factory.mktemp("results")
    assert main(["run", "jingxing_2019", "--days", "8", "--out", str(base / "run"), "--quiet"]) == 0
    assert (
        main(
            ["run", "jingxing_2019", "--days", "8", "--stream", "--out", str(base / "stream")]
            + ["--quiet"]
        )
        == 0
    )
    assert (
        main(
            ["compare", "jingxing_2019", "--days", "6", "--replications", "3"]
            + ["--out", str(base / "compare"), "--quiet"]
        )
        == 0
    )
    assert (
        main(["run", "jingxing_2019", "--replay", str(CASES), "--out", str(base / "replay")]) == 0
    )
    sweep(SPEC, base / "sweep", workers=1, progress=False)
    return base


@pytest.fixture
def copy(folders, tmp_path):
    def make(name):
        shutil.copytree(folders / name, tmp_path / name)
        return tmp_path / name

    return make


def _verify_cli(folder, capsys, *more):
    capsys.readouterr()
    code = main(["verify", str(folder), *more])
    cap = capsys.readouterr()
    return code, cap.out + cap.err


@pytest.mark.parametrize("name", ["run", "stream", "compare", "replay", "sweep"])
def test_untouched_folders_verify(folders, name, capsys):
    code, text = _verify_cli(folders / name, capsys)
    assert code == 0, text
    v = verify(folders / name)
    assert v.ok and any("sha256" in c for c in v.checked)


def _rewrite_parquet(path, column, row, change):
    t = pq.read_table(path)
    values = t.column(column).to_pylist()
    values[row] = change(values[row])
    t = t.set_column(
        t.schema.get_field_index(column), column, pa.array(values, t.schema.field(column).type)
    )
    pq.write_table(t, path)


def test_an_edited_issue_record_is_caught(copy, capsys):
    folder = copy("run")
    _rewrite_parquet(folder / "issues.parquet", "hops", 3, lambda h: h + 1)
    code, text = _verify_cli(folder, capsys)
    assert code == 1
    assert "issues.parquet: changed since it was written" in text
    assert "issues.parquet: row 3, column hops" in text


def test_a_streamed_runs_edited_records_are_caught(copy, capsys):
    folder = copy("stream")
    _rewrite_parquet(folder / "issues" / "multi_layer.parquet", "bounces", 0, lambda b: b + 2)
    code, text = _verify_cli(folder, capsys)
    assert code == 1 and "issues/multi_layer.parquet: row 0, column bounces" in text


@pytest.mark.parametrize("name", ["comparison.csv", "differences.csv", "replications.csv"])
def test_an_edited_comparison_table_is_caught_with_its_cell(copy, capsys, name):
    folder = copy("compare")
    table = pd.read_csv(folder / name)
    column = {"comparison.csv": "street_chief", "differences.csv": "difference"}.get(
        name, "resolution_mean_h"
    )
    table.loc[1, column] = table.loc[1, column] * 0.5
    table.to_csv(folder / name, index=False)
    code, text = _verify_cli(folder, capsys)
    assert code == 1
    assert f"{name}: changed since it was written" in text
    assert f"{name}: row 2" in text and f"column {column}" in text


def test_a_replaced_figure_is_caught(copy, folders, capsys):
    folder = copy("compare")
    shutil.copy(ROOT / "notebooks" / "04_validation.ipynb", folder / "comparison.png")
    code, text = _verify_cli(folder, capsys)
    assert code == 1 and "comparison.png" in text


@pytest.mark.parametrize("forge", ["rehash", "empty"])
def test_a_replaced_equity_figure_is_caught_whatever_the_record_says(copy, capsys, forge):
    """equity.png replaced and its sha256 updated in compare.json (or the files list emptied):
    a full verify draws the figure again and the list is itself checked."""
    from streetchief.provenance import file_hash

    folder = copy("compare")
    shutil.copy(folder / "comparison.png", folder / "equity.png")
    record = json.loads((folder / "compare.json").read_text())
    if forge == "rehash":
        record["files"]["equity.png"] = file_hash(folder / "equity.png")
    else:
        record["files"] = {}
    (folder / "compare.json").write_text(json.dumps(record))
    code, text = _verify_cli(folder, capsys)
    assert code == 1
    assert "equity.png: not the figure drawn again from the replications" in text
    if forge == "empty":
        assert "compare.json: files lists no sha256 for equity.png" in text
        assert "files lists no sha256 for comparison.csv" in text


def _edit_and_reseal(folder, name, edit):
    """A forger's edit: the file changed, and its sha256 in compare.json updated to match."""
    from streetchief.provenance import file_hash

    if name.endswith(".png"):
        shutil.copy(folder / "comparison.png", folder / name)
    else:
        table = pd.read_csv(folder / name)
        edited = edit(table)
        (table if edited is None else edited).to_csv(folder / name, index=False)
    record = json.loads((folder / "compare.json").read_text())
    record["files"][name] = file_hash(folder / name)
    (folder / "compare.json").write_text(json.dumps(record))


@pytest.mark.parametrize(
    "name, edit, found",
    [
        ("equity.png", None, "equity.png: not the figure drawn again from the replications"),
        (
            "equity.csv",
            lambda t: t.__setitem__("on_time_share", t.on_time_share * 0.5),
            "equity.csv: row 1",
        ),
        (
            "ledger.csv",
            lambda t: t.__setitem__("busy_hours", t.busy_hours + 1),
            "ledger.csv: row 1",
        ),
        (
            "cost_effectiveness.csv",
            lambda t: t.__setitem__("problem_hours_saved_per_day", 123.0),
            "cost_effectiveness.csv: row 1",
        ),
        (  # replication 0's own rows: it is re-run in every sample
            "ledger_by_replication.csv",
            lambda t: t.loc.__setitem__((0, "busy_hours"), t.busy_hours[0] + 1),
            "ledger_by_replication.csv: replication 0, its rows: row 1",
        ),
    ],
)
def test_a_sample_derives_every_table_and_figure_again(copy, capsys, name, edit, found):
    """With --sample, the sampled replications are run again and checked row by row, and the
    equity, ledger and cost tables and both figures are derived again from the recorded rows,
    whatever the record's sha256 says."""
    folder = copy("compare")
    code, text = _verify_cli(folder, capsys, "--sample", "2")
    assert code == 0, text
    assert "re-ran 2 of 3 replications (0, then drawn at random)" in text
    v = verify(folder, sample=2)
    for checked in ("equity.png", "comparison.png", "equity.csv", "ledger.csv"):
        assert checked in v.checked  # drawn or derived again, not only its sha256
    assert "ledger_by_replication.csv replication 0" in v.checked
    _edit_and_reseal(folder, name, edit)
    code, text = _verify_cli(folder, capsys, "--sample", "2")
    assert code == 1 and found in text, text


def _relabel(old, new):
    def edit(t):
        t.loc[t.replication == old, "replication"] = new

    return edit


@pytest.mark.parametrize(
    "name, edit, found",
    [
        ("equity_by_replication.csv", lambda t: t.iloc[0:0], "no rows"),
        (
            "equity_by_replication.csv",
            lambda t: t.assign(issues=t.issues.astype(object)).assign(
                issues=lambda f: f.issues.where(f.replication != 1, "abc")
            ),
            "column issues: a value that is not a number",
        ),
        (
            "equity_by_replication.csv",
            lambda t: t.drop(columns="resolution_mean_h"),
            "no column resolution_mean_h",
        ),
        ("ledger_by_replication.csv", lambda t: t.drop(columns="role"), "no column role"),
        ("equity_by_replication.csv", _relabel(2, 1), "replications [0, 1], but the comparison"),
        (
            "equity_by_replication.csv",
            lambda t: pd.concat([t, t[t.replication == 1].head(1)], ignore_index=True),
            "twice in replication 1",
        ),
        ("ledger_by_replication.csv", _relabel(2, 99), "replications [0, 1, 99]"),
    ],
)
def test_per_replication_rows_unlike_what_compare_writes_are_a_difference(
    copy, capsys, name, edit, found
):
    """Rows emptied, a word where a number goes, a column dropped, a replication relabelled (the
    means ignore labels): each a difference naming the file, never a traceback."""
    folder = copy("compare")
    _edit_and_reseal(folder, name, edit)
    code, text = _verify_cli(folder, capsys, "--sample", "1")
    assert code == 1 and f"{name}: " in text and found in text and "Traceback" not in text, text


def test_a_sampled_replay_comparison_keeps_the_recorded_column_where_it_was(tmp_path, capsys):
    """A comparison replaying a log shows the recorded history last, and a sample derives the
    table in that order too (it read the order of the rows and put it first)."""
    out = tmp_path / "replayed"
    args = ["compare", "jingxing_2019", "--replay", str(CASES), "--replications", "2"]
    assert main([*args, "--out", str(out), "--quiet"]) == 0
    code, text = _verify_cli(out, capsys, "--sample", "1")
    assert code == 0, text
    assert pd.read_csv(out / "comparison.csv").columns[-1] == "recorded"


def test_a_scenario_edited_in_the_record_is_caught_by_its_sha256(copy, capsys):
    folder = copy("compare")
    record = json.loads((folder / "compare.json").read_text())
    record["scenario_parameters"]["departments"]["sanitation"]["crews"] += 1
    (folder / "compare.json").write_text(json.dumps(record))
    code, text = _verify_cli(folder, capsys)
    assert code == 1 and "does not match its recorded sha256" in text


def test_every_record_in_a_folder_is_verified(copy, folders, capsys):
    """An older version could leave a run's summary.json beside a comparison's compare.json."""
    folder = copy("compare")
    for f in ("summary.json", "issues.parquet"):
        shutil.copy(folders / "run" / f, folder / f)
    record = json.loads((folder / "summary.json").read_text())
    record["arrangements"]["street_chief"]["issues_reported"] += 1
    record.pop("files")  # as an older version wrote it: no digests
    (folder / "summary.json").write_text(json.dumps(record))
    v = verify(folder)
    assert v.kind == "compare and run"
    assert any("street_chief: issues_reported" in m for m in v.mismatches), v.mismatches
    assert any("each is verified" in n for n in v.notes)


@pytest.mark.parametrize(
    "damage, message",
    [
        (lambda r: r.update(arrangements={}), "arrangements: empty; nothing to verify"),
        (lambda r: r.update(seed=-3), "seed: must be the seed"),
        (lambda r: r.pop("scenario_parameters"), "scenario_parameters: must be"),
        (lambda r: r.update(days=float("1e6")), "too large"),
    ],
)
def test_a_damaged_record_is_refused_clearly(copy, capsys, damage, message):
    folder = copy("run")
    record = json.loads((folder / "summary.json").read_text())
    damage(record)
    (folder / "summary.json").write_text(json.dumps(record))
    code, text = _verify_cli(folder, capsys)
    assert code == 2 and message in text and "Traceback" not in text, text


def test_corrupt_or_deep_json_is_refused_with_its_line(copy, capsys):
    folder = copy("run")
    (folder / "summary.json").write_text('{"seed": 1,\n "days": [1, }')
    code, text = _verify_cli(folder, capsys)
    assert code == 2 and "summary.json" in text and "line 2" in text
    (folder / "summary.json").write_text("[" * 50_000 + "]" * 50_000)
    code, text = _verify_cli(folder, capsys)
    assert code == 2 and "nested deeper" in text and "Traceback" not in text


def test_a_record_pointing_verify_at_a_device_is_refused(copy, capsys):
    folder = copy("replay")
    record = json.loads((folder / "summary.json").read_text())
    record["replay"]["log"] = "/dev/zero"
    (folder / "summary.json").write_text(json.dumps(record))
    code, text = _verify_cli(folder, capsys)
    assert code == 2 and "not a plain file" in text


def test_a_replay_verifies_from_another_folder(folders, monkeypatch, tmp_path, capsys):
    """The log's path is recorded absolute, so the record reads from anywhere."""
    monkeypatch.chdir(tmp_path)
    record = json.loads((folders / "replay" / "summary.json").read_text())
    assert Path(record["replay"]["log"]).is_absolute()
    code, text = _verify_cli(folders / "replay", capsys)
    assert code == 0, text


# --- sweeps -----------------------------------------------------------------------------------
def _runs(folder):
    return pd.read_parquet(folder / "runs.parquet")


def test_sweep_outcomes_halved_at_most_points_are_all_caught(copy, capsys):
    folder = copy("sweep")
    runs = _runs(folder)
    edited = runs.index[:17]
    runs.loc[edited, "resolution_mean_h"] /= 2
    runs.to_parquet(folder / "runs.parquet")
    v = verify(folder)
    outcome_lines = [m for m in v.mismatches if "resolution_mean_h: recorded" in m]
    assert len(outcome_lines) == 17  # every point re-run by default, not a sample
    assert any("runs.parquet: changed since it was written" in m for m in v.mismatches)


def test_a_changed_parameter_column_is_caught(copy):
    folder = copy("sweep")
    runs = _runs(folder)
    runs.loc[runs.point_id == 3, "departments.sanitation.crews"] = 9
    runs.to_parquet(folder / "runs.parquet")
    v = verify(folder)
    assert any(
        "point 3" in m and "departments.sanitation.crews is 9, the design gives" in m
        for m in v.mismatches
    ), v.mismatches


def test_a_deleted_point_is_caught_even_with_a_sample(copy, capsys):
    folder = copy("sweep")
    runs = _runs(folder)
    runs = runs[runs.point_id != 7]
    runs.to_parquet(folder / "runs.parquet")
    (folder / "runs" / "p00007-r0000.parquet").unlink()
    (folder / "runs" / "p00007-r0001.parquet").unlink()
    code, text = _verify_cli(folder, capsys, "--sample", "2")
    assert code == 1
    assert "missing from a complete sweep: point 7 replication 0" in text
    assert "runs_done" in text  # the counts in sweep.json no longer add up
    assert "re-ran 2 of" in text and "drawn at random" in text


def test_a_sweep_killed_before_its_first_merge_says_so(copy, capsys):
    folder = copy("sweep")
    (folder / "runs.parquet").unlink()
    meta = json.loads((folder / "sweep.json").read_text())
    meta["status"] = "running"
    (folder / "sweep.json").write_text(json.dumps(meta))
    code, text = _verify_cli(folder, capsys)
    assert code == 2 and "no runs.parquet" in text and "Traceback" not in text
    (folder / "sweep.json").write_text("{not json")
    code, text = _verify_cli(folder, capsys)
    assert code == 2 and "sweep.json" in text and "not valid JSON" in text


def test_per_issue_records_saved_by_a_sweep_are_verified(tmp_path):
    spec = {**SPEC, "save_issues": True, "replications": 1}
    spec["levers"] = {"departments.sanitation.crews": {"values": [2, 3]}}
    sweep(spec, tmp_path / "s", workers=1, progress=False)
    assert verify(tmp_path / "s").ok
    _rewrite_parquet(
        tmp_path / "s" / "issues" / "point=1" / "replication=0" / "part-0.parquet",
        "hops",
        0,
        lambda h: h + 1,
    )
    v = verify(tmp_path / "s")
    assert "issues/point=1/replication=0/part-0.parquet: row 0, column hops" in " ".join(
        v.mismatches
    )


def test_a_sweeps_analysis_is_drawn_again_and_checked(copy, capsys):
    folder = copy("sweep")
    assert main(["analyze", str(folder)]) == 0
    code, text = _verify_cli(folder, capsys, "--sample", "1")
    assert code == 0 and "analysis/advantage.csv" in text, text
    table = pd.read_csv(folder / "analysis" / "advantage.csv")
    table.loc[2, "difference"] = 0.0
    table.to_csv(folder / "analysis" / "advantage.csv", index=False)
    code, text = _verify_cli(folder, capsys, "--sample", "1")
    assert code == 1 and "analysis/advantage.csv: row 3" in text and "column difference" in text
