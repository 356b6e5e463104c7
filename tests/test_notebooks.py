"""Every notebook runs top to bottom (small settings); the widgets do what a user would try."""

import re
from pathlib import Path

import matplotlib
import nbformat
import pytest
from nbclient import NotebookClient

from streetchief.plots import LABELS

matplotlib.use("Agg")

from streetchief.widgets import CASES, Planner, Workshop  # noqa: E402

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path, monkeypatch):
    monkeypatch.setenv("STREETCHIEF_NOTEBOOK_SMALL", "1")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert not errors
    assert len(NOTEBOOKS) == 4


@pytest.fixture(scope="module")
def planner():
    return Planner(days=60, display_figure=False)


def test_untouched_controls_give_the_scenario_itself(planner):
    from streetchief import run_scenario

    fresh = Planner(days=60, display_figure=False)
    assert fresh.overrides() == {}
    direct = run_scenario(fresh.base, days=60)
    assert (
        fresh.result.summaries["multi_layer"]["resolution_hours"]
        == direct.summaries["multi_layer"]["resolution_hours"]
    )


def test_changing_a_control_reruns_both_arrangements_and_redraws(planner):
    runs, figure = planner.runs, planner.figure
    before = planner.result.summaries["multi_layer"]["resolution_hours"]["mean"]
    planner.layers.value = 1  # a shorter traditional path
    assert planner.runs == runs + 1 and planner.figure is not figure
    after = planner.result.summaries["multi_layer"]["resolution_hours"]["mean"]
    assert after < before
    assert (
        planner.result.summaries["street_chief"]["problems_arisen"]
        == planner.result.summaries["multi_layer"]["problems_arisen"]
    )  # the same problems in both
    planner.layers.value = planner.layers.max


def test_a_bad_value_is_refused_with_a_message_and_nothing_runs(planner):
    runs = planner.runs
    planner.crews["sanitation"].value = 0
    assert planner.runs == runs
    assert (
        "Refused" in planner.message.value
        and "departments.sanitation.crews: must be ≥ 1" in planner.message.value
    )
    planner.crews["sanitation"].value = 5
    assert planner.runs == runs + 1 and "median resolution" in planner.message.value


def test_the_planner_shows_each_arrangements_ledger_as_the_summaries_say(planner):
    import re

    html = planner.message.value
    for name, s in planner.result.summaries.items():
        label = LABELS.get(name, name)
        row = re.search(f"<b>{re.escape(label)}</b>(.*?)</tr>", html).group(1)
        assert f"{s['official_hours_total']:,.0f}" in row
        assert all(role in row for role in s["official_hours"])
        assert f"{s['resolution_hours']['median']:.1f} h" in row


def test_save_writes_a_valid_scenario_and_refuses_a_bad_name(planner, tmp_path):
    from streetchief import load_scenario

    planner.name.value = "../etc/passwd"
    assert planner.save(tmp_path) is None and "Refused" in planner.message.value
    planner.name.value = "tuned_district"
    planner.volume.value = 1.5
    path = planner.save(tmp_path)
    s = load_scenario(path)
    assert path == tmp_path / "tuned_district.yaml" and s.name == "tuned_district"
    assert s.categories["garbage"].rate_per_day == pytest.approx(
        planner.base.categories["garbage"].rate_per_day * 1.5
    )


def test_workshop_step_advances_the_clock_and_the_counters():
    w = Workshop(display_figure=False)
    t0, clock0, counts0 = w.t, w.clock.value, w.counts()
    w.step_button.click()
    assert w.t == pytest.approx(t0 + w.speed.value) and w.clock.value != clock0
    for _ in range(20):
        w.step()
    assert w.counts() != counts0
    w.play.value += 1  # Play advances like Step
    assert w.t == pytest.approx(t0 + 22 * w.speed.value)


def test_workshop_follows_the_seeds_night_case_in_both_arrangements():
    w = Workshop(display_figure=False)
    w.case.value = "the trash bins at 新王舍湿地公园, 28 Oct 23:00"
    assert "Mon 28 Oct 2019, 22:45" in w.clock.value
    w.step(1)  # 23:45: answered in the group, still waiting elsewhere
    assert re.search(
        r"street chief</b>: reported 28 Oct 23:00 ✓, acknowledged 28 Oct 23:\d\d ✓", w.story.value
    )
    assert re.search(
        r"multi-layer routing</b>: reported 28 Oct 23:00 ✓, acknowledged 29 Oct \d\d:\d\d,",
        w.story.value,
    )
    assert set(CASES) <= set(w.case.options)
