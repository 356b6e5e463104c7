"""Every notebook runs top to bottom (small settings); the widgets do what a user would try."""

import os
import re
from pathlib import Path

import matplotlib
import nbformat
import pytest
from nbclient import NotebookClient

from streetchief.i18n import role
from streetchief.plots import LABELS
from streetchief.uncertainty.analysis import MAIN

matplotlib.use("Agg")

from streetchief.widgets import Planner, Workshop  # noqa: E402

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


_EXECUTED: dict[Path, nbformat.NotebookNode] = {}


def _executed(path: Path):
    """The notebook run top to bottom in the small setting, with Jupyter's own (inline) figures;
    once per session, for the tests that read what it shows."""
    if path not in _EXECUTED:
        nb = nbformat.read(path, as_version=4)
        saved = {k: os.environ.get(k) for k in ("STREETCHIEF_NOTEBOOK_SMALL", "MPLBACKEND")}
        os.environ["STREETCHIEF_NOTEBOOK_SMALL"] = "1"
        os.environ.pop("MPLBACKEND", None)  # the kernel's inline figures, as a reader sees them
        try:
            NotebookClient(
                nb,
                timeout=300,
                kernel_name="python3",
                resources={"metadata": {"path": str(path.parent)}},
            ).execute()
        finally:
            for k, v in saved.items():
                os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
        _EXECUTED[path] = nb
    return _EXECUTED[path]


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(path):
    nb = _executed(path)
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert not errors
    assert len(NOTEBOOKS) >= 4


def _shown(cell) -> tuple[str, int]:
    """A cell's output as a reader sees it: its text (tables, prints) and how many images."""
    text, images = [], 0
    for o in cell.get("outputs", []):
        if o.output_type == "stream":
            text.append(o.text)
        data = o.get("data", {})
        images += "image/png" in data
        text += [data[k] for k in ("text/html", "text/markdown") if k in data]
        if not any(
            k in data
            for k in ("text/html", "image/png", "application/vnd.jupyter.widget-view+json")
        ):
            text.append(data.get("text/plain", ""))
    return "\n".join(text), images


DOTTED = re.compile(r"\b(arrangements|categories|departments|zones|calendars)\.\w")
SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")
FIGURES = {  # the cells that draw: one figure each, none shown twice
    "02_evaluator": {"02-cell-03", "02-cell-06", "02-cell-13", "02-cell-14", "02-cell-18"},
    "04_validation": {"04-cell-03", "04-cell-05", "04-cell-09"},
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(FIGURES))
def test_evaluator_and_validation_notebooks_read_as_words(name):
    nb = _executed(NOTEBOOKS[0].parent / f"{name}.ipynb")
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            assert "--out" not in cell.source and "--" not in cell.source.replace("---", "")
            continue
        text, images = _shown(cell)
        assert not SCIENTIFIC.search(text), (cell.id, SCIENTIFIC.search(text))
        assert not DOTTED.search(text), (cell.id, DOTTED.search(text))
        assert "--out" not in text and "Traceback" not in text, cell.id
        assert images == (1 if cell.id in FIGURES[name] else 0), (cell.id, images)


@pytest.mark.slow
def test_the_evaluators_heat_map_says_which_cells_are_missing():
    nb = _executed(NOTEBOOKS[0].parent / "02_evaluator.ipynb")
    cells = {c.id: _shown(c)[0] for c in nb.cells if c.cell_type == "code"}
    m = re.search(r"(\d+) of (\d+) cells hold no point of the design", cells["02-cell-13"])
    missing, total = int(m.group(1)), int(m.group(2))
    points = len(re.findall(r"<tr>\s*<th>\d+</th>", cells["02-cell-12"]))
    assert points == 6  # the small setting's six points, one row each
    # six points on a grid of their own levels: at most six cells hold one, the rest are marked
    assert total >= 6 and missing >= total - points and missing < total
    assert '"no point"' in cells["02-cell-13"]


@pytest.mark.slow
def test_validation_compares_like_with_like_and_checks_the_tandem_and_the_night_case():
    nb = _executed(NOTEBOOKS[0].parent / "04_validation.ipynb")
    cells = {c.id: _shown(c)[0] for c in nb.cells if c.cell_type == "code"}
    assert re.search(
        r"at ρ = 0.8: simulated [\d.]+ ± [\d.]+ h, theory 19.96 h", cells["04-cell-05"]
    )
    published = cells["04-cell-07"]
    assert "the same quantity on both sides" in published and "model (output)" in published
    assert "county offices" not in published and "see the workshop" not in published
    assert "% of " in published and "street chief " in published
    night = cells["04-cell-09"]
    assert "bins placed by 09:00 (as reported)" in night and "answered within an hour" in night


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
        assert all(role(r, "en") in row for r in s["official_hours"])
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
        row = re.search(f"<tr data-arrangement='{name}'>(.*?)</tr>", workshop.view.value)
        assert f"<b>{LABELS.get(name, name)}</b>" in row.group(1)
        assert f"{s['official_hours_total']:,.0f}" in row.group(1)
    workshop.set_language("zh")
    assert "街长制" in workshop.view.value and "12345热线" in workshop.view.value


@pytest.mark.slow
def test_workshop_plays_to_the_end_and_stops(workshop):
    import asyncio

    workshop.set_language("zh")
    workshop.set_time(workshop.end - 2 * workshop.speed.max)  # two seconds from the end
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
    story = re.search(r"<div class='sc-story'>(.*?)<div class='sc-live'>", workshop.view.value)
    for name, c in times.items():
        assert f">{c.reported:%H:%M}</td>" in story.group(1)
        assert c.resolved.strftime("%H:%M") in story.group(1), name
    assert "The 2019 report" in story.group(1)
    assert set(workshop.cases) <= {v for _, v in workshop.case.options}
    workshop.set_language("zh")
    assert "2019年报道" in workshop.view.value and ">23:00</td>" in workshop.view.value


@pytest.mark.slow
def test_the_evaluator_leads_with_the_answer_over_what_is_not_known():
    """The first cells print the answer the runs they made give, draw it, and list what decides
    it against the strongest baseline with each value's own correlation and side."""
    import html

    from streetchief import load_scenario
    from streetchief.report import LABELS as NAMES
    from streetchief.sweeps.analysis import load_runs
    from streetchief.sweeps.labels import parameter_label
    from streetchief.uncertainty import answer, answer_text
    from streetchief.uncertainty.analysis import short_label

    nb = _executed(NOTEBOOKS[0].parent / "02_evaluator.ipynb")
    cells = {c.id: _shown(c)[0] for c in nb.cells if c.cell_type == "code"}
    root = NOTEBOOKS[0].parent.parent
    ans = answer(*load_runs(root / "results" / "notebook_uncertainty" / "24"))
    base = load_scenario("jingxing_2019")
    said = answer_text(ans, base, NAMES)
    printed = cells["02-cell-01"]  # Markdown: each sentence, as a heading or a list item
    for line in said:
        assert line.strip().removeprefix("- ") in printed, line
    assert printed.index("against the 12345 hotline") < printed.index("against grid management")
    table = html.unescape(cells["02-cell-05"])
    b = ans.focus
    rows = ans.sensitivity[(ans.sensitivity.baseline == b) & (ans.sensitivity.outcome == MAIN)]
    assert f"street chiefs against {NAMES[b]}, over {int(ans.row(b).sets)} stable sets" in table
    for p, q in zip(rows.parameter, rows.prcc, strict=True):
        side = "street chiefs" if q < 0 else NAMES[b]
        label = short_label(parameter_label(p, base))
        row = rf"<th>{re.escape(label)}</th>\s*<td>{q:.2f}</td>\s*<td>{side}"
        assert re.search(row, table), (p, q)
    assert "..." not in table  # every label whole


@pytest.mark.slow
def test_the_evaluators_sweep_is_against_the_strongest_baseline_and_says_so():
    """The sweep part compares street chiefs with the answer's strongest baseline (not a fixed
    one), names it, and its counts are those of the sweep's own runs."""
    import html
    import json

    from streetchief.report import LABELS as NAMES
    from streetchief.sweeps.analysis import advantage, load_runs
    from streetchief.sweeps.labels import ARRANGEMENT_WORDS
    from streetchief.uncertainty import answer

    nb = _executed(NOTEBOOKS[0].parent / "02_evaluator.ipynb")
    cells = {c.id: html.unescape(_shown(c)[0]) for c in nb.cells if c.cell_type == "code"}
    root = NOTEBOOKS[0].parent.parent
    focus = answer(*load_runs(root / "results" / "notebook_uncertainty" / "24")).focus
    assert focus != "multi_layer"  # the strongest baseline here is not the traditional path
    assert cells["02-cell-08"].startswith(f"street chiefs against {NAMES[focus]}: 6 points")
    folders = [
        f
        for f in (root / "results" / "notebook_sweep").glob("*/")
        if (f / "sweep.json").exists()
        and json.loads((f / "sweep.json").read_text())["spec"]["baseline"] == focus
    ]
    runs, meta = load_runs(max(folders, key=lambda f: (f / "sweep.json").stat().st_mtime))
    assert meta["spec"]["arrangements"] == ["street_chief", focus]
    adv = advantage(runs, meta, "resolution_mean_h")
    words = ARRANGEMENT_WORDS[focus]
    assert f"difference (street chief − {words})" in cells["02-cell-12"]
    same = int((~adv.significant).sum())
    assert (
        f"against {NAMES[focus]}: {same} of {len(adv)} points with no significant difference"
        in cells["02-cell-16"]
    )


@pytest.mark.slow
def test_the_calibration_notebook_says_its_held_out_check_in_words_and_refuses_a_poor_fit():
    import html
    import json

    nb = _executed(NOTEBOOKS[0].parent / "05_calibration.ipynb")
    cells = {c.id: html.unescape(_shown(c)[0]) for c in nb.cells if c.cell_type == "code"}
    root = NOTEBOOKS[0].parent.parent
    record = json.loads(
        (root / "results/calibration_la_small/hotline/calibration.json").read_text()
    )
    c, said = record["check"], cells["05-cell-10"]
    m = re.search(
        r"median lies inside the model's 90% band \((\d+) posterior draws\) in (\d+) of (\d+) "
        r"categories and the 90th percentile in (\d+) of (\d+)",
        said,
    )
    assert m, said
    assert [int(x) for x in m.groups()] == [
        c["draws"],
        c["median"]["inside"],
        c["median"]["of"],
        c["p90"]["inside"],
        c["p90"]["of"],
    ]
    held = re.search(r"<th>1</th>\s*<td>held out \(later 30%\)</td>(.*?)</tr>", said, re.S)
    cells_ = re.findall(r"<td>(.*?)</td>", held.group(1))
    assert cells_[0] == f"{record['held_out']['median_hours_recorded']:.1f}"
    assert cells_[2:] == [
        f"{c['median']['inside']} of {c['median']['of']}",
        f"{sum(r['inside'] for r in record['held_out']['checks'] if r['statistic'] == 'p90')} of "
        f"{c['p90']['of']}",
    ]
    if c["passes"]:
        assert "passes its held-out check" in said and "Poor fit" not in said
    else:  # the small setting's 4 draws cannot pass: it is flagged, and nothing is compared
        assert "Poor fit: the held-out check fails." in said
        assert "The counterfactual refuses to speak" in cells["05-cell-13"]
        assert cells["05-cell-15"].startswith("not run: the calibration did not pass")
