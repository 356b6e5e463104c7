"""Calibration: known parameters come back from logs simulated with them, bad input is refused
before anything runs, a search resumes, and a comparison draws its parameters from the posterior."""

import json
import re

import numpy as np
import pandas as pd
import pytest

from streetchief import load_scenario
from streetchief.calibration import CalibrationError, calibrate
from streetchief.calibration.synthetic import simulated_log
from streetchief.cli import main
from streetchief.issue_log import read_log, write_log
from streetchief.verify import verify

FITTED = "department_response.take_on.median"
TRUTH = {"department_response.take_on.median": 4.0, "categories.*.work.median": 1.5}
SPEC = {
    "name": "recover",
    "parameters": {
        "department_response.take_on.median": {
            "low": 0.25,
            "high": 32,
            "distribution": "loguniform",
        },
        "categories.*.work.median": {"low": 0.2, "high": 10, "distribution": "loguniform"},
    },
    "population_size": 30,
    "generations": 4,
    "draws": 6,
}


def _log(tmp_path, seed=5, days=40, **truth):
    s = load_scenario("jingxing_2019", **{**TRUTH, **truth})
    path = tmp_path / f"log_{seed}.csv"
    write_log(simulated_log(s, "hotline", seed=seed, days=days), path)
    return path, read_log(path, load_scenario("jingxing_2019"))


@pytest.mark.slow
@pytest.mark.parametrize("seed", [5, 6, 7])  # three logs: one could pass by luck
def test_known_parameters_fall_inside_the_reported_intervals(tmp_path, seed):
    _, log = _log(tmp_path, seed=seed, days=25)
    r = calibrate(
        "jingxing_2019", log, "hotline", {**SPEC, "seed": seed}, tmp_path / "out", workers=1
    )
    for path, truth in TRUTH.items():
        lo, hi = r["fitted"][path]["interval_95"]
        assert lo <= truth <= hi, (path, lo, hi)
        # and the data taught something: the interval is narrower than the prior's
        prior = SPEC["parameters"][path]
        assert np.log(hi / lo) < 0.75 * np.log(prior["high"] / prior["low"])
    rec, sim = r["fit"]["median_hours_recorded"], r["fit"]["median_hours_simulated"]
    assert abs(sim - rec) <= 0.25 * rec


@pytest.mark.slow
def test_a_search_resumes_and_a_folder_holding_another_one_is_refused(tmp_path):
    _, log = _log(tmp_path, days=15)
    small = {**SPEC, "population_size": 10, "generations": 2, "draws": 3}
    out = tmp_path / "out"
    first = calibrate("jingxing_2019", log, "hotline", small, out, workers=1)
    again = calibrate("jingxing_2019", log, "hotline", small, out, workers=1)
    assert again["evaluations"] == first["evaluations"]  # nothing run twice
    assert again["fitted"] == first["fitted"]
    longer = calibrate(
        "jingxing_2019", log, "hotline", {**small, "generations": 3}, tmp_path / "o2", workers=1
    )
    assert longer["generations"] == 3
    other = {
        **small,
        "name": "other",
        "parameters": {"arrangements.hotline.misrouting": {"low": 0, "high": 0.5}},
    }
    with pytest.raises(CalibrationError, match="started with another spec or scenario"):
        calibrate("jingxing_2019", log, "hotline", other, out, workers=1)
    saved = json.loads((out / "calibration.json").read_text())
    assert saved["digest"] and saved["log"]["log_sha256"] and saved["provenance"]["streetchief"]
    assert {"posterior.csv", "fitted.yaml", "fit.png"} <= {p.name for p in out.iterdir()}
    fitted = load_scenario(out / "fitted.yaml")  # a valid scenario, with the posterior medians set
    median = first["fitted"]["department_response.take_on.median"]["median"]
    assert fitted.department_response.take_on.median == pytest.approx(median, rel=1e-3)
    assert "[log] fitted" in (out / "fitted.yaml").read_text(encoding="utf-8")
    assert "[seed]" in (out / "fitted.yaml").read_text(encoding="utf-8")  # the base's tags kept


@pytest.mark.parametrize(
    "change, message",
    [
        (
            {"parameters": {"departments.nowhere.crews": {"low": 1, "high": 3}}},
            "departments.nowhere.crews: no such place in the scenario (stops at 'nowhere')",
        ),
        (
            {
                "parameters": {
                    "departments.sanitation.crews": {"low": 0, "high": 3, "integer": True}
                }
            },
            "departments.sanitation.crews = 0: departments.sanitation.crews: must be ≥ 1, got 0",
        ),
        (
            {"parameters": {"arrangements.hotline.misrouting": {"low": 0.5, "high": 0.1}}},
            "parameters.arrangements.hotline.misrouting: high must be > low",
        ),
        ({"generations": 0}, "generations: must be ≥ 1, got 0"),
    ],
)
def test_a_bad_spec_is_refused_before_anything_runs(tmp_path, capsys, change, message):
    path, _ = _log(tmp_path, days=5)
    spec = tmp_path / "spec.yaml"
    spec.write_text(json.dumps({**SPEC, **change}), encoding="utf-8")
    out = tmp_path / "out"
    args = [
        "calibrate",
        "jingxing_2019",
        "--log",
        str(path),
        "--arrangement",
        "hotline",
        "--spec",
        str(spec),
        "--out",
        str(out),
        "--quiet",
    ]
    assert main(args) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_a_log_with_no_response_times_and_a_holdout_too_small_are_refused(tmp_path, capsys):
    path, _ = _log(tmp_path, days=5)
    bare = tmp_path / "bare.csv"
    write_log(
        read_log(path, load_scenario("jingxing_2019")).frame.drop(
            columns=["acknowledged_at", "resolved_at", "closed_at"]
        ),
        bare,
    )
    spec = tmp_path / "spec.yaml"
    spec.write_text(json.dumps(SPEC), encoding="utf-8")
    common = ["--arrangement", "hotline", "--spec", str(spec), "--quiet"]
    assert (
        main(
            [
                "calibrate",
                "jingxing_2019",
                "--log",
                str(bare),
                *common,
                "--out",
                str(tmp_path / "a"),
            ]
        )
        == 2
    )
    assert f"nothing to fit: no resolved_at in {bare}" in capsys.readouterr().err
    tiny, _ = _log(tmp_path, seed=8, days=2)
    assert (
        main(
            [
                "calibrate",
                "jingxing_2019",
                "--log",
                str(tiny),
                *common,
                "--holdout",
                "0.3",
                "--out",
                str(tmp_path / "b"),
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert "--holdout 0.3: the" in err and "resolved issues; at least 30 are needed" in err
    assert (
        main(
            [
                "calibrate",
                "jingxing_2019",
                "--log",
                str(path),
                *common[:0],
                "--arrangement",
                "nobody",
                "--spec",
                str(spec),
                "--out",
                str(tmp_path / "c"),
                "--quiet",
            ]
        )
        == 2
    )
    assert "--arrangement 'nobody': not among the scenario's" in capsys.readouterr().err


@pytest.mark.slow
def test_compare_draws_each_replications_parameters_from_the_posterior(tmp_path, capsys):
    path, log = _log(tmp_path, days=15)
    small = {**SPEC, "population_size": 10, "generations": 2, "draws": 3}
    cal = tmp_path / "cal"
    calibrate("jingxing_2019", log, "hotline", small, cal, workers=1)
    out = tmp_path / "cmp"
    assert (
        main(
            [
                "compare",
                "jingxing_2019",
                "--replay",
                str(path),
                "--calibrated",
                str(cal),
                "--replications",
                "4",
                "--arrangements",
                "street_chief,hotline",
                "--baseline",
                "hotline",
                "--out",
                str(out),
                "--quiet",
                "--force",  # a small budget's calibration fails its held-out check
            ]
        )
        == 0
    )
    record = json.loads((out / "compare.json").read_text())
    drawn = record["calibrated"]["drawn"]
    assert len(drawn) == 4 and len({json.dumps(d, sort_keys=True) for d in drawn}) > 1
    posterior = __import__("pandas").read_csv(cal / "posterior.csv")
    for d in drawn:  # every setting is one of the posterior's particles
        assert any(np.isclose(posterior[k], v).any() for k, v in d.items())
    printed = capsys.readouterr().out
    assert "each replication draws its parameters from the posterior" in printed
    assert "recorded" in printed


@pytest.mark.slow
def test_the_los_angeles_log_end_to_end(tmp_path, capsys):
    """A real export: a scenario for its city, the hotline calibrated with a small budget on the
    earlier 70% and checked on the rest, then every arrangement on the same requests with the
    fitted parameters drawn per replication; the calibrated hotline resembles the record."""
    from pathlib import Path

    import pandas as pd
    import yaml

    root = Path(__file__).resolve().parents[1]
    la = root / "tests" / "data" / "real" / "la311_2018_mini.csv"
    mapping = root / "scenarios" / "mappings" / "la_311.yaml"
    city, city_mapping = tmp_path / "la.yaml", tmp_path / "la.mapping.yaml"
    assert main(["scenario-from-log", str(la), "--mapping", str(mapping), "--out", str(city)]) == 0
    spec = yaml.safe_load((root / "scenarios" / "calibration" / "hotline.yaml").read_text())
    spec.update(population_size=14, generations=2, draws=4)  # a small budget
    small = tmp_path / "spec.yaml"
    small.write_text(yaml.safe_dump(spec))
    fitted = tmp_path / "fitted"
    log_args = [str(la), "--mapping", str(city_mapping)]
    assert (
        main(
            ["calibrate", str(city), "--log", *log_args, "--arrangement", "hotline"]
            + ["--spec", str(small), "--holdout", "0.3", "--out", str(fitted), "--quiet"]
            + ["--workers", "1"]  # one process: the same posterior on every run
        )
        == 0
    )
    record = json.loads((fitted / "calibration.json").read_text())
    assert record["held_out"] is not None and 0 <= record["held_out"]["share_inside"] <= 1
    assert (fitted / "fit.png").stat().st_size > 10_000
    for check in ("fit", "held_out"):
        rec, sim = record[check]["median_hours_recorded"], record[check]["median_hours_simulated"]
        assert abs(sim / rec - 1) <= 0.4, (check, rec, sim)
    # a small budget does not pass the held-out check: the counterfactual refuses to speak
    check = record["check"]
    assert check["passes"] is False and "4 posterior draws" in check["why"]
    told = capsys.readouterr().out
    m, p = check["median"], check["p90"]
    assert m["of"] >= 1 and p["of"] == m["of"]
    assert ("held-out part: median hours to resolution recorded ") in told and (
        f"medians {m['inside']} of {m['of']}, 90th percentiles {p['inside']} of {p['of']}"
    ) in told
    assert f"held-out check: FAILS: {check['why']}" in told
    # a poor fit is said first, before the numbers it rests on
    assert told.index("held-out check: FAILS") < told.index("held-out part: median hours")
    out = tmp_path / "counterfactual"
    args = ["compare", str(city), "--replay", *log_args, "--calibrated", str(fitted)]
    args += ["--replications", "3", "--arrangements", "hotline,street_chief", "--quiet"]
    args += ["--out", str(out)]
    capsys.readouterr()
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "did not pass its held-out check: " in err and "4 posterior draws" in err
    assert "--force" in err and not out.exists()
    assert main([*args, "--force"]) == 0
    printed = capsys.readouterr().out
    first = printed.splitlines()[0]
    assert first.startswith("WARNING: the calibration in ") and "held-out check" in first
    assert "apply to every arrangement" in printed
    assert "hotline, calibrated in" in printed and "Against the 12345 hotline" in printed
    assert "90% of draws" in printed or "over the posterior" in printed
    assert "do not narrow with more replications" in printed
    means = pd.read_csv(out / "comparison.csv").set_index("outcome")
    recorded = means.loc["resolution_median_h", "recorded"]
    assert recorded == pytest.approx(46.65, abs=0.01)  # the export's own median time to close
    assert abs(means.loc["resolution_median_h", "hotline"] / recorded - 1) <= 0.25
    assert json.loads((out / "compare.json").read_text())["calibrated"]["drawn"]


def test_a_refused_calibration_writes_nothing_even_with_rows_set_aside(tmp_path, capsys):
    path, log = _log(tmp_path, days=5)
    frame = log.frame.copy()
    frame.loc[0, "resolved_at"] = frame.loc[0, "reported_at"] - pd.Timedelta(hours=2)
    odd = tmp_path / "odd.csv"
    write_log(frame, odd)  # one closure before its report: its response is set aside
    spec = tmp_path / "spec.yaml"
    spec.write_text(json.dumps({**SPEC, "generations": 0}), encoding="utf-8")
    out = tmp_path / "out"
    args = ["calibrate", "jingxing_2019", "--log", str(odd), "--arrangement", "hotline"]
    assert main([*args, "--spec", str(spec), "--out", str(out), "--quiet"]) == 2
    assert "generations: must be ≥ 1" in capsys.readouterr().err
    assert not out.exists()
    # a spec that is neither a file nor a shipped name: said before the log is read
    assert main([*args, "--spec", "hotlien", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "calibration hotlien" in err and "shipped: grid, hotline" in err
    assert not out.exists()


@pytest.mark.parametrize("name", ["hotline", "grid"])
def test_the_shipped_specs_fit_the_shipped_scenario(name):
    from pathlib import Path

    from streetchief.calibration.spec import load_calibration
    from streetchief.scenario import shipped
    from streetchief.scenario.load import read_yaml_mapping

    base = read_yaml_mapping(shipped() / "jingxing_2019.yaml", CalibrationError, "a scenario")
    spec = Path(shipped()) / "calibration" / f"{name}.yaml"
    c = load_calibration(spec, base)  # every path exists and both ends of every range are valid
    # the arrangement's own values, or what every department does whatever the arrangement
    assert all(
        p.startswith((f"arrangements.{name}.", "categories.", "department_response."))
        for p in c.spec.parameters
    )


@pytest.mark.slow
def test_the_grid_baseline_is_recovered_too(tmp_path):
    truth = {"department_response.take_on.median": 3.0, "categories.*.lead_hours": 10.0}
    s = load_scenario("jingxing_2019", **truth)
    path = tmp_path / "grid.csv"
    write_log(simulated_log(s, "grid", seed=11, days=40), path)
    log = read_log(path, load_scenario("jingxing_2019"))
    spec = {
        "parameters": {
            "department_response.take_on.median": {
                "low": 0.25,
                "high": 32,
                "distribution": "loguniform",
            },
            "categories.*.lead_hours": {"low": 0, "high": 48},
        },
        "population_size": 30,
        "generations": 4,
        "draws": 4,
        "seed": 11,
    }
    r = calibrate("jingxing_2019", log, "grid", spec, tmp_path / "out", workers=1)
    for p, v in truth.items():
        lo, hi = r["fitted"][p]["interval_95"]
        assert lo <= v <= hi, (p, lo, hi)
    lo, hi = r["fitted"]["categories.*.lead_hours"]["interval_95"]
    assert hi - lo < 0.5 * 48  # the log taught something: half the prior's width at most


def test_calibrate_holds_out_the_later_part_by_default_and_says_the_verdict(tmp_path, capsys):
    """Without --holdout the later 30% is held out and checked; --holdout 0 fits without a part
    held out, and the verdict says so."""
    path, _ = _log(tmp_path, days=15)
    spec = tmp_path / "spec.yaml"
    spec.write_text(json.dumps({**SPEC, "population_size": 5, "generations": 1, "draws": 2}))
    args = ["calibrate", "jingxing_2019", "--log", str(path), "--arrangement", "hotline"]
    args += ["--spec", str(spec), "--quiet", "--workers", "1"]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    record = json.loads((tmp_path / "a" / "calibration.json").read_text())
    assert record["holdout"] == 0.3 and record["held_out"] is not None
    assert record["check"]["passes"] is False and "2 posterior draws" in record["check"]["why"]
    assert f"held-out check: FAILS: {record['check']['why']}" in capsys.readouterr().out
    assert main([*args, "--holdout", "0", "--out", str(tmp_path / "b")]) == 0
    record = json.loads((tmp_path / "b" / "calibration.json").read_text())
    assert record["held_out"] is None and record["check"]["why"].startswith("no held-out part")


def test_a_search_is_resumed_only_for_the_same_log_holdout_and_arrangement(tmp_path):
    """Everything that decides the search is in its identity: another log, holdout or
    arrangement is refused by name, not given the old posterior."""
    _, log = _log(tmp_path, days=15)
    _, other_log = _log(tmp_path, seed=9, days=15)
    small = {**SPEC, "population_size": 5, "generations": 1, "draws": 2}
    out = tmp_path / "out"
    first = calibrate("jingxing_2019", log, "hotline", small, out, workers=1)
    for change, said in (
        (dict(log=other_log), "another log or holdout (the rows fitted differ)"),
        (dict(holdout=0.3), "another log or holdout (the rows fitted differ), --holdout"),
        (dict(arrangement="grid"), "another --arrangement"),
    ):
        args = {"log": log, "arrangement": "hotline", "holdout": None, **change}
        with pytest.raises(CalibrationError, match=re.escape(said)):
            calibrate("jingxing_2019", args["log"], args["arrangement"], small, out,
                      workers=1, holdout=args["holdout"])  # fmt: skip
    again = calibrate("jingxing_2019", log, "hotline", small, out, workers=1)
    assert again["evaluations"] == first["evaluations"]  # the same search: adopted, not rerun
    assert again["fitted"] == first["fitted"]
    state = json.loads((out / "search.json").read_text())
    del state["identity"]  # as an older version wrote it
    (out / "search.json").write_text(json.dumps(state))
    with pytest.raises(CalibrationError, match="recorded by an older version"):
        calibrate("jingxing_2019", log, "hotline", small, out, workers=1)


@pytest.mark.parametrize("damage", ["garbage", "symlink", "poisoned"])
def test_a_damaged_or_poisoned_search_database_is_refused_not_adopted(tmp_path, damage):
    """abc.db is resumed only as a plain SQLite file holding values its prior can give."""
    import sqlite3

    _, log = _log(tmp_path, days=15)
    small = {**SPEC, "population_size": 5, "generations": 1, "draws": 2}
    out = tmp_path / "out"
    calibrate("jingxing_2019", log, "hotline", small, out, workers=1)
    db = out / "abc.db"
    if damage == "garbage":
        db.write_bytes(b"not a database at all" * 10)
        said = "is not a SQLite database"
    elif damage == "symlink":
        real = tmp_path / "elsewhere.db"
        db.rename(real)
        db.symlink_to(real)
        said = "is a symbolic link"
    else:
        with sqlite3.connect(db) as c:  # p0: the take-on median, prior 0.25 to 32
            c.execute("UPDATE parameters SET value = 5000 WHERE name = 'p0'")
        said = "outside its prior 0.25 to 32"
    before = (out / "calibration.json").read_text()
    with pytest.raises(CalibrationError, match=re.escape(said)):
        calibrate("jingxing_2019", log, "hotline", small, out, workers=1)
    assert (out / "calibration.json").read_text() == before  # the old result stays as it was


def test_verify_checks_a_calibration_folder(tmp_path, capsys):
    """Its files as written, its posterior inside the priors and giving the recorded values, its
    verdict following from its held-out checks; edited, each is a difference."""
    _, log = _log(tmp_path, days=15)
    small = {**SPEC, "population_size": 5, "generations": 1, "draws": 2}
    out = tmp_path / "out"
    calibrate("jingxing_2019", log, "hotline", small, out, workers=1, holdout=0.3)
    assert main(["verify", str(out)]) == 0
    assert "the search (" in capsys.readouterr().err  # says what it does not re-run
    assert "calibration.json held_out: its draws replayed" in verify(out).checked
    record = json.loads((out / "calibration.json").read_text())
    edited = json.loads(json.dumps(record))  # the fit and held-out checks run again, draw by draw
    edited["fit"]["distances"][1] *= 0.5
    edited["held_out"]["median_hours_simulated"] += 1.0
    (out / "calibration.json").write_text(json.dumps(edited))
    assert main(["verify", str(out)]) == 1
    said = capsys.readouterr().out
    assert "calibration.json: fit.distances.1: recorded" in said
    assert "calibration.json: held_out.median_hours_simulated: recorded" in said
    record["check"]["passes"] = True
    (out / "calibration.json").write_text(json.dumps(record))
    assert main(["verify", str(out)]) == 1
    assert "check says passes" in capsys.readouterr().out
    record["check"]["passes"] = False
    (out / "calibration.json").write_text(json.dumps(record))
    table = pd.read_csv(out / "posterior.csv")
    table.loc[0, FITTED] = 31.0  # inside the prior, but not what was fitted
    table.to_csv(out / "posterior.csv", index=False)
    assert main(["verify", str(out)]) == 1
    said = capsys.readouterr().out
    assert "posterior.csv: changed since it was written" in said


def test_a_calibration_failing_while_writing_leaves_the_previous_result_whole(
    tmp_path, monkeypatch
):
    import streetchief.calibration.run as run

    _, log = _log(tmp_path, days=15)
    small = {**SPEC, "population_size": 5, "generations": 1, "draws": 2}
    out = tmp_path / "out"
    calibrate("jingxing_2019", log, "hotline", small, out, workers=1)
    names = ("calibration.json", *run.CALIBRATION_FILES)
    before = {n: ((out / n).read_bytes(), (out / n).stat().st_ino) for n in names}

    def broken(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(run, "fit_figure", broken)
    with pytest.raises(OSError):
        calibrate("jingxing_2019", log, "hotline", small, out, workers=1)
    # not one file written again (each write replaces its file: a new inode)
    assert {n: ((out / n).read_bytes(), (out / n).stat().st_ino) for n in names} == before
    assert not (out / ".writing").exists()


def test_a_full_disk_is_said_in_words_and_leaves_a_folder_only_to_resume(
    tmp_path, monkeypatch, capsys
):
    """sqlite's 'database or disk is full' (what a full disk gives, checked on a 64 KiB tmpfs):
    our error, no traceback; a search that never started leaves no folder, one that has written
    its start is kept and the same command then finishes it."""
    import sqlite3

    import pyabc
    import sqlalchemy.exc

    path, _ = _log(tmp_path, days=10)
    spec = tmp_path / "spec.yaml"
    spec.write_text(json.dumps({**SPEC, "population_size": 10, "generations": 1, "draws": 2}))
    out = tmp_path / "new" / "fit"
    args = ["calibrate", "jingxing_2019", "--log", str(path), "--arrangement", "hotline"]
    args += ["--spec", str(spec), "--holdout", "0", "--out", str(out), "--quiet", "--workers", "1"]

    def full(*a, **k):
        raise sqlalchemy.exc.OperationalError(
            "INSERT INTO summary_statistics",
            {},
            sqlite3.OperationalError("database or disk is full"),
        )

    for step, left in (("new", False), ("run", True)):
        with monkeypatch.context() as m:
            m.setattr(pyabc.ABCSMC, step, full)
            assert main(args) == 2
        err = capsys.readouterr().err
        assert "the disk is full: the search could not be written" in err and "Traceback" not in err
        assert out.exists() is left and (tmp_path / "new").exists() is left
        if left:
            assert {p.name for p in out.iterdir()} >= {"abc.db", "search.json"}
    assert main(args) == 0 and (out / "calibration.json").is_file()
