"""A fifth arrangement really is one file: written in a folder of its own, named in a scenario's
`plugins:`, it runs in `compare`, draws in the planner and passes the conformance kit, with no
edit of the package."""

import sys
from pathlib import Path

import pytest
import yaml

from streetchief import load_scenario
from streetchief.arrangements import ARRANGEMENTS
from streetchief.cli import main
from streetchief.errors import ScenarioError
from streetchief.scenario import resolve_path

ONE_STOP = (Path(__file__).resolve().parent / "data" / "plugins" / "one_stop.py").read_text(
    encoding="utf-8"
)  # the user's file, copied into a folder of their own by `own_folder`
PARAMS = {
    "answer": {"dist": "fixed", "value": 0.05},
    "dispatch": {"dist": "exponential", "mean": 0.5},
}


@pytest.fixture
def own_folder(tmp_path):
    """A folder of a user's own: the arrangement's file and a scenario naming it."""
    (tmp_path / "one_stop.py").write_text(ONE_STOP, encoding="utf-8")
    raw = yaml.safe_load(resolve_path("jingxing_2019").read_text(encoding="utf-8"))
    raw["plugins"] = ["one_stop.py"]
    raw["arrangements"]["one_stop"] = PARAMS
    (tmp_path / "city.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    yield tmp_path
    ARRANGEMENTS.pop("one_stop", None)
    for k in [k for k in sys.modules if k.startswith("streetchief_plugin_one_stop_")]:
        del sys.modules[k]


def test_an_arrangement_in_a_file_of_ones_own_runs_in_compare_the_planner_and_the_kit(
    own_folder, monkeypatch, capsys
):
    from streetchief.testing import check_arrangement
    from streetchief.widgets import Planner

    monkeypatch.chdir(own_folder.parent)  # the file is found beside the scenario, not here
    out = own_folder / "result"
    args = ["compare", str(own_folder / "city.yaml"), "--days", "20", "--replications", "2"]
    assert main([*args, "--quiet", "--out", str(out)]) == 0
    record = (out / "compare.json").read_text(encoding="utf-8")
    assert '"one_stop"' in record and (out / "comparison.png").stat().st_size > 10_000
    planner = Planner(own_folder / "city.yaml", days=20, display_figure=False)
    assert "one_stop" in planner.result.summaries
    shown = [t for ax in planner.figure.axes for t in ax.get_legend_handles_labels()[1]]
    assert any("one" in t and "stop" in t for t in shown), shown
    cls = ARRANGEMENTS["one_stop"]
    assert cls.__module__.startswith("streetchief_plugin_one_stop_")
    assert check_arrangement(cls, PARAMS, days=20)["issues_resolved"] > 0


def test_a_plugin_that_is_missing_or_fails_is_named_without_a_traceback(own_folder):
    raw = yaml.safe_load((own_folder / "city.yaml").read_text(encoding="utf-8"))
    raw["plugins"] = ["nowhere.py", "no_such_module_here"]
    (own_folder / "bad.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    (own_folder / "broken.py").write_text("raise ValueError('half written')\n", "utf-8")
    with pytest.raises(ScenarioError) as e:
        load_scenario(own_folder / "bad.yaml")
    said = "\n".join(e.value.problems)
    assert f"plugins[0] '{own_folder / 'nowhere.py'}': no such file" in said  # found beside it
    assert "plugins[1] 'no_such_module_here': cannot be imported" in said
    assert "arrangements.one_stop: unknown arrangement" in said and "plugins:" in said
    raw["plugins"] = ["broken.py"]
    (own_folder / "bad.yaml").write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    with pytest.raises(ScenarioError) as e:
        load_scenario(own_folder / "bad.yaml")
    assert any("raised ValueError: half written" in p for p in e.value.problems)
