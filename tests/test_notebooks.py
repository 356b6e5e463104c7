"""Every notebook runs top to bottom (small settings); the widgets do what a user would try."""

import re
from pathlib import Path

import matplotlib
import nbformat
import pytest
from nbclient import NotebookClient

from streetchief.plots import LABELS

matplotlib.use("Agg")

from streetchief.widgets import Planner, Workshop  # noqa: E402

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
    assert len(NOTEBOOKS) >= 4


@pytest.fixture(scope="module")
def workshop():
    return Workshop()


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


def test_a_control_holds_only_what_the_scenario_allows(planner):
    assert planner.crews["sanitation"].min == 1  # no department without crews
    runs = planner.runs
    planner.office.value = (12.0, 12.0)
    assert planner.runs == runs and "Refused" in planner.message.value
    planner.office.value = (8.5, 17.5)


def test_the_planner_shows_each_arrangements_ledger_as_the_summaries_say(planner):
    import re

    html = planner.table.value
    for name, s in planner.result.summaries.items():
        label = LABELS.get(name, name)
        row = re.search(f"<b>{re.escape(label)}</b>(.*?)</tr>", html).group(1)
        assert f"{s['official_hours_total']:,.0f}" in row
        assert all(role in row for role in s["official_hours"])
        assert f"{s['resolution_hours']['median']:.1f} h" in row


def test_workshop_step_advances_the_clock_and_the_counters(workshop):
    def clock():
        return re.search(r"class='sc-clock'[^>]*>([^<]*)", workshop.view.value).group(1)

    workshop.reset()
    t0, clock0, counts0 = workshop.t, clock(), workshop.counts()
    workshop.step_button.click()
    assert workshop.t == pytest.approx(t0 + 1)
    assert clock() != clock0  # the clock a trainer reads moves, even at the window's start
    for _ in range(20):
        workshop.step(3)
    assert workshop.counts() != counts0
    workshop.reset_button.click()
    assert workshop.t == t0 and workshop.counts() == counts0


def test_workshop_shows_every_arrangement_and_its_costs(workshop):
    workshop.set_language("en")
    assert workshop.arrangements == list(workshop.scenario.arrangement_names)
    for name, s in workshop.result.summaries.items():
        assert f"data-arrangement='{name}'" in workshop.view.value
        row = re.search(
            f"<b>{re.escape(LABELS.get(name, name))}</b>(.*?)</tr>", workshop.costs.value
        )
        assert f"{s['official_hours_total']:,.0f}" in row.group(1)
    workshop.set_language("zh")
    assert "街长制" in workshop.view.value and "12345热线" in workshop.view.value


def test_workshop_plays_to_the_end_and_stops(workshop):
    import asyncio

    workshop.reset()
    workshop.speed.value = workshop.speed.max
    workshop.fps = 200  # as fast as it goes: the test waits for the end, not for the clock

    async def play():
        workshop.play()
        while workshop.playing:
            await asyncio.sleep(0.01)

    asyncio.run(asyncio.wait_for(play(), 60))
    assert workshop.t == workshop.end and not workshop.playing
    assert workshop.play_button.description == "▶ 播放"
    workshop.reset()


def test_workshop_follows_the_seeds_night_case_in_every_arrangement(workshop):
    workshop.set_language("en")
    workshop.case.value = "JX-0139"
    assert "Mon 28 Oct 22:45" in workshop.view.value
    times = workshop.case_times["JX-0139"]
    for name, c in times.items():
        assert "Mon 28 Oct 23:00" in workshop.story.value
        assert c.resolved.strftime("%H:%M") in workshop.story.value, name
    assert "The 2019 report" in workshop.story.value
    assert set(workshop.cases) <= {v for _, v in workshop.case.options}
    workshop.set_language("zh")
    assert "10月28日 周一 23:00" in workshop.story.value
