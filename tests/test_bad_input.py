"""Bad scenarios: every problem named by its path, a non-zero exit, nothing written."""

import pytest
import yaml

from streetchief import ScenarioError, load_scenario
from streetchief.cli import main
from streetchief.scenario import shipped

BASE = (shipped() / "jingxing_2019.yaml").read_text(encoding="utf-8")


def _edited(tmp_path, edit):
    raw = yaml.safe_load(BASE)
    edit(raw)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return path


CASES = {
    "out of range": (
        lambda r: r["departments"]["traffic_police"].update(crews=0),
        "departments.traffic_police.crews: must be ≥ 1, got 0",
    ),
    "wrong type": (
        lambda r: r["departments"]["sanitation"].update(crews="five"),
        "departments.sanitation.crews: Input should be a valid integer",
    ),
    "unknown key": (
        lambda r: r["run"].update(sede=3),
        "run.sede: unknown key; allowed here: start, days, seed, backlog_sample_hours",
    ),
    "missing section": (lambda r: r.pop("categories"), "categories: required, missing"),
    "dangling reference": (
        lambda r: r["zones"]["nanwei_road"].update(chief="chief_99"),
        "zones.nanwei_road.chief: unknown chief 'chief_99'; known: chief_01",
    ),
    "unknown distribution": (
        lambda r: r["categories"]["noise"].update(work={"dist": "weibull", "k": 2}),
        "categories.noise.work: dist must be one of fixed, exponential",
    ),
    "probability above 1": (
        lambda r: r["categories"]["noise"].update(unclear_share=1.5),
        "categories.noise.unclear_share: must be ≤ 1, got 1.5",
    ),
    "bad office hours": (
        lambda r: r["calendars"]["office"]["weekly"].update(mon=["12:00-08:30"]),
        "calendars.office.weekly: mon: '12:00-08:30' ends before it starts",
    ),
    "arrangement parameter": (
        lambda r: r["arrangements"]["multi_layer"]["layers"][1].update(misrouting=1.2),
        "arrangements.multi_layer.layers.1.misrouting: must be < 1, got 1.2",
    ),
    "arrangement calendar": (
        lambda r: r["arrangements"]["multi_layer"].update(department_calendar="nights"),
        "arrangements.multi_layer.department_calendar: unknown calendar 'nights'",
    ),
    "unknown arrangement": (
        lambda r: r["arrangements"].update(hotline_12345={}),
        "arrangements.hotline_12345: unknown arrangement; known: multi_layer, street_chief",
    ),
    "negative rate": (
        lambda r: r["categories"]["garbage"].update(rate_per_day=-1),
        "categories.garbage.rate_per_day: must be ≥ 0, got -1",
    ),
}


@pytest.mark.parametrize("name", CASES)
def test_each_error_names_its_path(tmp_path, name, capsys):
    edit, expected = CASES[name]
    path = _edited(tmp_path, edit)
    with pytest.raises(ScenarioError) as e:
        load_scenario(path)
    assert any(
        p.startswith(expected.split("; known")[0]) or expected in p for p in e.value.problems
    ), e.value.problems
    out = tmp_path / "out"
    assert main(["run", str(path), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and expected.split(":")[0] in err
    assert not out.exists()


def test_all_problems_are_reported_at_once(tmp_path):
    def edit(r):
        for f, _ in (CASES["out of range"], CASES["unknown key"], CASES["dangling reference"]):
            f(r)

    with pytest.raises(ScenarioError) as e:
        load_scenario(_edited(tmp_path, edit))
    assert len(e.value.problems) >= 3


def test_yaml_syntax_error_gives_line(tmp_path, capsys):
    path = tmp_path / "broken.yaml"
    path.write_text(BASE.replace("  days: 365", "  days: [365"), encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    days = BASE.splitlines().index("  days: 365") + 1  # the error shows on the line after it
    assert f"line {days + 1}" in err and "not valid YAML" in err


def test_yaml_is_loaded_safely(tmp_path):
    path = tmp_path / "evil.yaml"
    path.write_text("!!python/object/apply:os.system ['echo pwned']\n", encoding="utf-8")
    with pytest.raises(ScenarioError):
        load_scenario(path)


def test_missing_scenario_lists_shipped_ones(capsys):
    assert main(["run", "no_such_city", "--quiet"]) == 2
    assert "jingxing_2019" in capsys.readouterr().err


def test_bad_override_path():
    with pytest.raises(ScenarioError, match="departments.fire_brigade.crews: no such place"):
        load_scenario("jingxing_2019", **{"departments.fire_brigade.crews": 2})


def test_cli_rejects_bad_numbers(capsys):
    with pytest.raises(SystemExit) as e:
        main(["compare", "jingxing_2019", "--replications", "0"])
    assert e.value.code == 2
    assert "--replications: must be from 1 to 10,000, got 0" in capsys.readouterr().err


def test_unwritable_output_folder_fails_before_running(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    assert main(["run", "jingxing_2019", "--days", "1", "--out", str(blocker), "--quiet"]) == 2
    assert f"--out {blocker} is a file, not a folder" in capsys.readouterr().err
    assert blocker.read_text() == "not a folder"
