"""Sweeps that cannot be poisoned: on resume every part is checked against the spec and the design,
and one that does not belong is refused by name; no sweep.json, no resume; exact counts; the lock
never follows a symlink; every sweep value is checked, and of one kind, before anything runs."""

import json
import os
import shutil

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from streetchief import sweep
from streetchief.cli import main
from streetchief.sweeps import SweepError, load_sweep
from streetchief.sweeps.store import Lock

SPEC = {
    "name": "poison",
    "scenario": "textbook_mmc",
    "days": 3,
    "seed": 1,
    "replications": 2,
    "design": "grid",
    "arrangements": ["multi_layer"],
    "levers": {"departments.d.crews": {"values": [2, 3, 4]}},
    "outcomes": ["resolution_mean_h", "issues_reported"],
}
OTHER = {**SPEC, "name": "other", "seed": 9}


@pytest.fixture(scope="module")
def done(tmp_path_factory):
    base = tmp_path_factory.mktemp("sweeps")
    sweep(SPEC, base / "a", workers=1, progress=False)
    sweep(OTHER, base / "b", workers=1, progress=False)
    return base


@pytest.fixture
def half(done, tmp_path):
    """A copy of the finished sweep with two of its parts gone: a resume has work to do."""
    out = tmp_path / "a"
    shutil.copytree(done / "a", out)
    for name in ("p00002-r0000.parquet", "p00002-r0001.parquet"):
        (out / "runs" / name).unlink()
    return out


def _refused(out, *names):
    with pytest.raises(SweepError) as e:
        sweep(SPEC, out, workers=1, progress=False)
    for name in names:
        assert name in str(e.value), str(e.value)
    return str(e.value)


def test_a_clean_resume_has_exact_counts_and_unique_run_ids(half):
    res = sweep(SPEC, half, workers=1, progress=False)
    assert res.executed == 2 and res.runs.run_id.is_unique and len(res.runs) == 6
    meta = json.loads((half / "sweep.json").read_text())
    assert (meta["runs_done"], meta["runs_failed"], meta["runs_total"]) == (6, 0, 6)
    assert meta["status"] == "complete" and meta["runs_missing"] == 0


def test_a_foreign_part_is_refused_by_name(half, done):
    before = (half / "runs.parquet").read_bytes()
    shutil.copy(done / "b" / "runs" / "p00002-r0000.parquet", half / "runs")
    text = _refused(half, "runs/p00002-r0000.parquet", "belongs to another sweep")
    assert "move them away" in text
    assert (half / "runs.parquet").read_bytes() == before  # nothing was merged or run


def test_a_tampered_part_is_refused(half):
    path = half / "runs" / "p00001-r0000.parquet"
    t = pq.read_table(path)
    i = t.schema.get_field_index("resolution_mean_h")
    t = t.set_column(i, "resolution_mean_h", pa.array([1.0] * t.num_rows))  # metadata kept
    pq.write_table(t, path)
    _refused(half, "runs/p00001-r0000.parquet", "its rows have changed since it was written")


def test_a_part_rewritten_by_pandas_is_refused(half):
    path = half / "runs" / "p00000-r0001.parquet"
    df = pd.read_parquet(path)
    df.to_parquet(path)
    _refused(half, "runs/p00000-r0001.parquet", "carries no record of its sweep")


def test_a_part_renamed_to_another_point_or_outside_the_design_is_refused(half):
    os.rename(half / "runs" / "p00001-r0001.parquet", half / "runs" / "p00002-r0001.parquet")
    _refused(half, "runs/p00002-r0001.parquet", "its name and its record name different runs")
    os.rename(half / "runs" / "p00002-r0001.parquet", half / "runs" / "p00099-r0000.parquet")
    _refused(half, "runs/p00099-r0000.parquet", "not a point and replication of this sweep")


def test_without_sweep_json_the_folder_is_refused(half):
    (half / "sweep.json").unlink()
    _refused(half, "holds files but no sweep.json")
    (half / "runs.parquet").unlink()
    _refused(half, "runs/ holds 4 file(s) but there is no sweep.json")
    # and a different spec cannot adopt the old runs either
    with pytest.raises(SweepError, match="no sweep.json"):
        sweep(OTHER, half, workers=1, progress=False)


def test_a_damaged_sweep_json_is_refused(half):
    (half / "sweep.json").write_text('{"name": "poison", ')
    _refused(half, "sweep.json", "cannot be read as a sweep's record")


def test_a_symlinked_lock_is_refused_and_its_target_untouched(half, tmp_path):
    victim = tmp_path / "precious.txt"
    victim.write_text("keep me")
    (half / ".lock").unlink(missing_ok=True)
    (half / ".lock").symlink_to(victim)
    with pytest.raises(SweepError, match="symbolic link"):
        with Lock(half):
            pass
    _refused(half, ".lock is a symbolic link")
    assert victim.read_text() == "keep me"


def test_analyze_says_how_much_of_an_interrupted_sweep_is_missing(tmp_path, capsys):
    spec = {**SPEC, "arrangements": ["street_chief", "multi_layer"], "scenario": "jingxing_2019"}
    spec["levers"] = {"departments.sanitation.crews": {"values": [2, 3, 4]}}

    def stop(done_runs, total):
        if done_runs >= 4:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(spec, tmp_path / "s", workers=1, progress=stop)
    capsys.readouterr()
    assert main(["analyze", str(tmp_path / "s")]) == 0
    err = capsys.readouterr().err
    assert "the sweep is incomplete (interrupted): 4 of 12 runs done (33%), 8 not run yet" in err


def test_analyze_says_when_a_sweep_was_killed(tmp_path, capsys):
    spec = {**SPEC, "arrangements": ["street_chief", "multi_layer"], "scenario": "jingxing_2019"}
    spec["levers"] = {"departments.sanitation.crews": {"values": [2, 3]}}

    def stop(done_runs, total):
        if done_runs >= 4:
            raise KeyboardInterrupt

    half = tmp_path / "s"
    with pytest.raises(KeyboardInterrupt):
        sweep(spec, half, workers=1, progress=stop)
    meta = json.loads((half / "sweep.json").read_text())
    meta["status"] = "running"  # as a SIGKILL leaves it: nothing could record the end
    (half / "sweep.json").write_text(json.dumps(meta))
    capsys.readouterr()
    assert main(["analyze", str(half)]) == 0
    assert "stopped while running: its process was killed" in capsys.readouterr().err
    (half / "runs.parquet").unlink()
    assert main(["analyze", str(half)]) == 2
    assert "stopped before its first results were gathered" in capsys.readouterr().err


# --- every value checked before anything runs --------------------------------------------------
@pytest.mark.parametrize(
    "values, message",
    [
        ([2, "three", 4], "mixes number (2), text ('three')"),
        ([2, True], "mixes number (2), true/false (True)"),
        ([2, {"mean": 1}], "is not a number, a text or true/false"),
        ([2, 0, 4], "departments.d.crews = 0"),  # a middle value, not only the ends
        ([2, float("nan")], "finite"),
    ],
)
def test_every_sweep_value_is_checked_before_anything_runs(tmp_path, values, message):
    spec = {**SPEC, "levers": {"departments.d.crews": {"values": values}}}
    with pytest.raises(SweepError) as e:
        sweep(spec, tmp_path / "never", workers=1, progress=False)
    assert message in str(e.value), str(e.value)
    assert not (tmp_path / "never").exists()


def test_whole_and_decimal_numbers_share_one_column_and_resume(tmp_path):
    spec = {
        **SPEC,
        "levers": {"departments.d.crews": {"values": [2, 3]}},
        "uncertainties": {"categories.k.rate_per_day": {"values": [4, 4.5]}},
    }
    out = tmp_path / "mixed"

    def stop(done_runs, total):
        if done_runs >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sweep(spec, out, workers=1, progress=stop)
    res = sweep(spec, out, workers=1, progress=False)  # the merge works on the restart
    assert len(res.runs) == 8 and res.runs["categories.k.rate_per_day"].dtype == float


def test_a_huge_design_is_refused_before_it_is_built():
    spec = {
        **SPEC,
        "levers": {
            f"departments.d.{k}": {"low": 1, "high": 1000, "levels": 1000}
            for k in ("crews", "on_call_crews")
        },
        "uncertainties": {"categories.k.rate_per_day": {"low": 1, "high": 9, "levels": 1000}},
    }
    with pytest.raises(SweepError, match=r"design: 1,000,000,000 points; at most 1,000,000"):
        load_sweep(spec)


def test_an_incomplete_sweeps_verdict_speaks_only_of_the_points_that_ran():
    """3 of 20 points ran, all with an advantage: the words say 3 points that ran, not the
    design."""
    from streetchief.sweeps.analysis import where_it_vanishes

    adv = pd.DataFrame(
        {"difference": [-5.0, -4.0, -6.0], "significant": [True] * 3, "x": [1, 2, 3]}
    )
    words, _ = where_it_vanishes(adv, ["x"], "resolution_mean_h", "street_chief", "multi_layer",
                                 design_points=20)  # fmt: skip
    assert words[-1] == (
        "The advantage holds at every one of the 3 points that ran (17 of the design's 20 have "
        "not)."
    )
    whole, _ = where_it_vanishes(adv, ["x"], "resolution_mean_h", "street_chief", "multi_layer",
                                 design_points=3)  # fmt: skip
    assert whole[-1] == "The advantage holds at every point of this design."


def test_a_part_written_just_before_an_interruption_is_counted(tmp_path, monkeypatch):
    """Interrupted between writing a task's part and counting it, the sweep's record still counts
    every part on disk (it used to say 0 runs done beside a written part)."""
    import streetchief.sweeps.runner as runner

    real = runner.write_parquet

    def write_then_interrupt(table, path):
        real(table, path)
        if path.parent.name == "runs":
            raise KeyboardInterrupt  # the signal lands right after the part's rename

    monkeypatch.setattr(runner, "write_parquet", write_then_interrupt)
    with pytest.raises(KeyboardInterrupt):
        sweep(SPEC, tmp_path / "s", workers=1, progress=False)
    monkeypatch.undo()
    meta = json.loads((tmp_path / "s" / "sweep.json").read_text())
    parts = list((tmp_path / "s" / "runs").glob("*.parquet"))
    assert len(parts) == 1 and meta["status"] == "interrupted"
    assert meta["runs_done"] == len(SPEC["arrangements"])  # that one task's runs


def test_a_finished_sweep_started_again_writes_nothing_and_seals_nothing(tmp_path):
    """Nothing to run: its records stay as they were sealed (a re-run used to write them again,
    sealing whatever had been changed since); a changed runs.parquet is refused, not re-sealed."""
    import os

    out = tmp_path / "s"
    first = sweep(SPEC, out, workers=1, progress=False)
    names = ("sweep.json", "runs.parquet")
    before = {n: ((out / n).read_bytes(), os.stat(out / n).st_ino) for n in names}
    again = sweep(SPEC, out, workers=1, progress=False)
    assert again.executed == 0 and len(again.runs) == len(first.runs) and not again.written
    assert again.summary_line().endswith("all done by an earlier start, 0 failed: nothing to run")
    assert {n: ((out / n).read_bytes(), os.stat(out / n).st_ino) for n in names} == before
    table = pd.read_parquet(out / "runs.parquet")
    table.loc[0, "resolution_mean_h"] *= 2
    table.to_parquet(out / "runs.parquet", index=False)
    with pytest.raises(SweepError, match="changed since the sweep finished"):
        sweep(SPEC, out, workers=1, progress=False)
    assert json.loads((out / "sweep.json").read_bytes()) == json.loads(before["sweep.json"][0])


def test_a_forged_part_with_its_seal_recomputed_is_caught_by_running_it_again(half):
    """The seal is public (`store.sealed`): a part whose numbers are changed and sealed again
    passes every check of its record; a resume runs again a random sample of the parts it adopts
    and refuses one that the model does not give. Every adopted part is forged here, so whatever
    the sample, it finds one."""
    from streetchief.sweeps.store import META_KEY, sealed

    META_FIELDS = ("sweep_digest", "point", "replication")

    adopted = sorted((half / "runs").glob("*.parquet"))
    assert len(adopted) == 4
    for path in adopted:
        t = pq.read_table(path)
        meta = json.loads(t.schema.metadata[META_KEY])
        i = t.schema.get_field_index("resolution_mean_h")
        t = t.set_column(i, "resolution_mean_h", pa.array([0.5] * t.num_rows))
        t = sealed(t.replace_schema_metadata(None), *(meta[k] for k in META_FIELDS))
        pq.write_table(t, path)
    text = _refused(half, "its outcomes are not what this sweep's model gives")
    assert "written by another version, or forged" in text and "streetchief verify" in text


def test_a_clean_resume_says_how_many_adopted_parts_it_ran_again(half):
    res = sweep(SPEC, half, workers=1, progress=False)
    assert (res.checked, res.adopted, res.executed) == (2, 4, 2)
    assert "2 of the 4 parts taken from it run again to check them: the same" in res.summary_line()
