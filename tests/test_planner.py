"""The planner never loses work: controls set what they show, saves keep every comment and load
back, a shipped scenario is never overwritten, bad settings are refused in words."""

import asyncio
import re

import ipywidgets as W
import pytest
import yaml

from streetchief import load_scenario
from streetchief.scenario import resolve_path, shipped
from streetchief.widgets import Planner, unstable

BASE = resolve_path("jingxing_2019").read_text(encoding="utf-8")
MOVED = {
    "volume": 30.0,
    "crews.sanitation": 7,
    "liaison": 12.5,
    "night": "morning",
    "chief_hours": 6.0,
    "unclear": 1.5,
    "take_on": 2.5,
    "coordination": "chief",
    "grid_patrol": 1.0,
    "layers": 2,
    "office": (9.0, 17.0),
    "misrouting.0": 0.2,
    "misrouting.1": 0.05,
}


@pytest.fixture
def planner(tmp_path):
    return Planner(days=20, display_figure=False, folder=tmp_path)


def test_every_control_sets_the_value_it_shows(planner):
    planner.set_values(MOVED)
    sc = planner.scenario()
    base = planner.base
    total = sum(c.rate_per_day for c in sc.categories.values())
    assert total == pytest.approx(30.0)
    for k, c in sc.categories.items():  # each category keeps its share
        assert c.rate_per_day / total == pytest.approx(base.categories[k].rate_per_day / 23.7, 1e-3)
        assert c.unclear_share == pytest.approx(min(1, base.categories[k].unclear_share * 1.5))
    assert sc.departments["sanitation"].crews == 7
    p = sc.arrangement_params("street_chief")
    assert p.liaison_ack_day.median == pytest.approx(12.5 / 60) and p.night_coverage == "morning"
    assert sc.calendars["chief_duty"].weekly["mon"] == ["14:00-20:00"]  # 6 h a weekday
    assert sc.department_response.take_on.median == 2.5  # every arrangement's departments
    assert p.coordination.by == "chief"
    assert sc.arrangement_params("grid").patrol.interval_days == 1.0
    ml = sc.arrangement_params("multi_layer")
    assert [layer.misrouting for layer in ml.layers] == [0.2, 0.05]
    assert sc.calendars["traditional_office"].weekly["mon"] == ["09:00-12:00", "14:30-17:00"]


def test_untouched_controls_give_the_scenario_itself(planner):
    assert planner.overrides() == {} and planner.moved() == []
    assert planner.scenario_dict()["name"] == "jingxing_2019"
    for key, w in planner.controls.items():  # on its slider's steps: a browser keeps it there
        if hasattr(w, "step") and isinstance(w.value, float | tuple):
            for v in w.value if isinstance(w.value, tuple) else [w.value]:
                k = (v - w.min) / w.step
                assert abs(k - round(k)) < 1e-6, (key, v, w.min, w.step)
    # what a browser's float steps send back is not a move
    planner.set_values(
        {"volume": planner.volume.value + 3e-15, "office": (8.500000000000002, 17.5)}
    )
    assert planner.overrides() == {} and planner.moved() == []
    planner.set_values({"volume": 30.0})
    assert planner.moved() == ["volume"]
    assert planner.figure._suptitle.get_text().startswith("jingxing_2019, 1 changed:")
    runs = planner.runs
    planner.volume.value = 30.0 + 1e-12  # a browser echoing the value back: no run
    assert planner.runs == runs and "done" in planner.status.value
    planner.set_language("zh")
    assert planner.figure._suptitle.get_text().startswith("jingxing_2019(改动1项)")


def test_save_and_load_keep_every_control_and_every_comment(planner, tmp_path):
    planner.set_values(MOVED)
    planner.name.value = "tuned_district"
    path = planner.save()
    assert path == tmp_path / "tuned_district.yaml"
    text = path.read_text(encoding="utf-8")
    comments = lambda t: [line.split("#", 1)[1].strip() for line in t.splitlines() if "#" in line]  # noqa: E731
    saved_comments = comments(text)
    for c in comments(BASE):  # every comment and source tag of the base survives
        assert any(c in s for s in saved_comments), c
    for tag in ("[seed]", "[cal", "[assumption]"):
        assert text.count(tag) >= BASE.count(tag)
    assert (
        "# planner base: jingxing_2019" in text
        and "# changed: departments.sanitation.crews: 5 -> 7" in text
    )
    assert load_scenario(path).name == "tuned_district"
    fresh = Planner(days=20, display_figure=False, folder=tmp_path)
    assert fresh.load("tuned_district")
    assert fresh.values() == planner.values()  # every control comes back, 6 chief hours as 6
    assert fresh.scenario_dict() | {"description": 0} == yaml.safe_load(text) | {"description": 0}
    assert "differ" not in fresh.message.value


def test_save_never_overwrites_a_shipped_scenario_and_asks_before_a_users(planner, tmp_path):
    before = (shipped() / "jingxing_2019.yaml").read_bytes()
    planner.name.value = "jingxing_2019"
    assert planner.save() is None and "shipped" in planner.message.value
    assert planner.save(folder=shipped()) is None
    assert (shipped() / "jingxing_2019.yaml").read_bytes() == before
    planner.name.value = "mine"
    first = planner.save()
    planner.crews["sanitation"].value = 9
    assert planner.save() is None and "Overwrite" in planner.message.value
    assert "Refused" not in planner.message.value  # a question: the run's own words stay
    assert "keeps up" in planner.message.value or "Unstable" in planner.message.value
    planner.set_language("zh")
    assert "已存在" in planner.message.value and "覆盖" in planner.message.value
    planner.set_language("en")
    assert planner.overwrite_button.layout.display != "none"
    assert load_scenario(first).departments["sanitation"].crews == 5  # not yet replaced
    planner.overwrite_button.click()
    assert load_scenario(first).departments["sanitation"].crews == 9


def test_overwrite_replaces_only_the_file_it_asked_about(planner):
    """Asked about "mine", then the name changed to "other" (a file too): Overwrite is withdrawn,
    and a save under "other" asks again; "other" is never replaced without its own question."""
    planner.name.value = "mine"
    planner.save()
    planner.name.value = "other"
    other = planner.save()
    before = other.read_bytes()
    planner.crews["sanitation"].value = 9
    planner.name.value = "mine"
    assert planner.save() is None and planner.overwrite_button.layout.display != "none"
    planner.name.value = "other"
    assert planner.overwrite_button.layout.display == "none"  # the question was about "mine"
    assert planner.save(overwrite=True) is None  # as a click left over from "mine" would
    assert other.read_bytes() == before and "Overwrite" in planner.message.value
    planner.overwrite_button.click()  # now asked about "other": it may
    assert load_scenario(other).departments["sanitation"].crews == 9


@pytest.mark.parametrize("name", ["../etc/passwd", "", "1abc", "a b"])
def test_a_bad_name_is_refused_in_words(planner, name):
    planner.name.value = name
    assert planner.save() is None
    assert "letters, digits and _" in planner.message.value


def test_collapsed_office_hours_are_refused_not_ignored(planner):
    runs = planner.runs
    planner.office.value = (10.0, 10.0)
    assert planner.runs == runs
    assert "office hours (traditional path): 10:00 to 10:00" in planner.message.value


def test_a_language_switch_keeps_what_is_said_and_draws_once(planner, monkeypatch):
    import streetchief.widgets as widgets

    planner.update()
    planner.office.value = (10.0, 10.0)  # refused: the last run stays, the refusal is what is said
    drawn = []
    real = widgets._dashboard_png
    monkeypatch.setattr(widgets, "_dashboard_png", lambda *a: drawn.append(a) or real(*a))
    planner.set_language("zh")
    assert len(drawn) == 1  # the figure once, in Chinese
    assert "未采用" in planner.message.value and "10:00 to 10:00" in planner.message.value
    assert "跟得上" not in planner.message.value and planner.status.value == ""
    planner.language.value = "en"  # the toggle a user presses
    assert len(drawn) == 2 and "Refused:" in planner.message.value
    planner.office.value = tuple(planner.initial["office"])  # back where the figure stands
    assert "Refused" not in planner.message.value and "keeps up" in planner.message.value
    planner.office.value = (9.0, 17.0)  # accepted: a run, and its words in the chosen language
    planner.set_language("zh")
    assert "每种处置方式都跟得上" in planner.message.value
    assert planner.status.value == f"第{planner.runs}次运行完成"


def test_drags_are_debounced_and_an_overtaken_run_is_abandoned(tmp_path):
    async def drag():
        p = Planner(days=20, display_figure=False, folder=tmp_path, debounce=0.2)
        runs = p.runs
        for v in (4, 5, 6, 7, 8, 9):  # a 1-second drag: six values
            p.crews["sanitation"].value = v
            await asyncio.sleep(0.02)
        assert "waiting" in p.status.value
        await asyncio.sleep(0.6)
        while p.running:
            await asyncio.sleep(0.05)
        return p, runs

    p, runs = asyncio.run(drag())
    assert p.runs == runs + 1  # one run, after the user stopped
    assert p.result.scenario.departments["sanitation"].crews == 9


@pytest.mark.slow
def test_an_interval_from_replications_and_an_unstable_system_in_words(tmp_path):
    p = Planner(days=30, display_figure=False, folder=tmp_path)
    p.replications.value = 3
    assert len(p.results) == 3 and "95% CI" in p.table.value
    p.replications.value = 1
    p.crews["sanitation"].value = 1
    p.volume.value = p.volume.max
    assert any("sanitation" in w or "backlog grows" in w for w in unstable(p.result))
    assert "Unstable" in p.message.value
    p.set_language("zh")
    assert "积压失控" in p.message.value and "积压每天增加" in p.message.value


@pytest.mark.slow
def test_a_backlog_still_climbing_at_the_end_of_a_year_is_flagged_and_stays_flagged(tmp_path):
    """Twice the seed's volume: the traditional path's backlog climbs all year (0 → 1,500 in
    the first third, on to 2,800, more slowly): not keeping up, though it does not double in
    the last two thirds. The default volume flags nothing; a save keeps the flag in view."""
    p = Planner(days=365, display_figure=False, folder=tmp_path)
    p.update()
    assert unstable(p.result) == [] and "keeps up" in p.message.value
    p.volume.value = 48.4
    assert any(w.startswith("multi-layer routing:") for w in unstable(p.result))
    p.name.value = "busy"
    assert p.save() is not None
    assert "Saved" in p.message.value and "Unstable" in p.message.value


def test_one_figure_per_view(planner):
    import matplotlib.pyplot as plt

    planner.crews["sanitation"].value = 6
    assert plt.get_fignums() == []  # nothing for pyplot to show again under the widget
    assert planner.image.value[:4] == b"\x89PNG"


@pytest.mark.slow
def test_compare_saved_scenarios_shows_the_table_and_one_chart_of_them_all(planner):
    import matplotlib.pyplot as plt

    planner.name.value = "a"
    planner.save()
    planner.crews["sanitation"].value = 1  # one crew: the bins wait far longer
    planner.volume.value = planner.volume.max  # and the most problems: a backlog that grows
    planner.name.value = "b"
    planner.save()
    seen = {}
    real = planner._compare_runs

    def watched(scenarios):  # what the page shows while the runs go on
        seen.update(status=planner.status.value, disabled=planner.compare_button.disabled)
        return real(scenarios)

    planner._compare_runs = watched
    assert planner.compare_saved(["a", "b"])
    assert seen == {"status": "<b>comparing 2 saved scenarios…</b>", "disabled": True}
    assert not planner.compare_button.disabled and "comparing" not in planner.status.value
    assert len(re.findall("<tr><td>a</td>", planner.comparison.value)) == 4
    assert len(re.findall("<tr><td>b</td>", planner.comparison.value)) == 4
    # a scenario in which an arrangement does not keep up says so under the table, by name
    said = re.findall(r"Unstable:</b> (\w+): ([^<]+)</div>", planner.comparison.value)
    assert said == [(n, w) for n, r in planner.comparison_runs.items() for w in unstable(r)]
    assert said and {n for n, _ in said} == {"b"}
    # one chart, not a dashboard each: a bar per scenario and arrangement, its median written on it
    fig = planner.comparison_figure
    assert planner.comparison_view.children == (planner.comparison_image,)
    assert planner.comparison_image.value[:4] == b"\x89PNG"
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    medians = {
        n: [r.summaries[a]["resolution_hours"]["median"] for a in r.summaries]
        for n, r in planner.comparison_runs.items()
    }
    heights = [b.get_height() for c in ax.containers for b in c]
    assert heights == pytest.approx(medians["a"] + medians["b"])
    written = [[t.get_text() for t in ax.texts[i * 4 : i * 4 + 4]] for i in range(2)]
    assert written == [[f"{m:.1f}" for m in medians[n]] for n in ("a", "b")]
    assert medians["b"] != medians["a"]  # each its own run
    # legible: the chart is shown at its own pixel size, its smallest text 12 pt at 90 dpi
    assert fig.get_size_inches()[0] * fig.dpi == 900
    assert planner.comparison_image.layout.max_width == "900px"
    sizes = [t.get_fontsize() for t in ax.texts + ax.get_xticklabels()]
    assert min(sizes) >= 12
    assert plt.get_fignums() == []  # nothing for pyplot to show again
    assert planner.comparison_view in planner.widget().children[-1].children
    english = planner.comparison_image.value
    planner.language.value = "zh"  # the comparison follows the switch, without a run
    assert "情景" in planner.comparison.value and "街长制" in planner.comparison.value
    assert planner.comparison_image.value != english
    assert "街长制" in [t.get_text() for t in planner.comparison_figure.axes[0].get_xticklabels()]


def test_control_labels_follow_the_language_switch(planner):
    import unicodedata

    def cjk(text):
        return any(unicodedata.name(ch, "").startswith("CJK") for ch in text)

    english = {k: w.description for k, w in planner.controls.items()}
    buttons = [
        planner.save_button,
        planner.overwrite_button,
        planner.load_button,
        planner.compare_button,
    ]
    english_buttons = [b.description for b in buttons]
    runs, value = planner.runs, planner.night.value
    planner.language.value = "zh"
    assert planner.runs == runs  # a language is not a new run
    for k, w in planner.controls.items():
        assert w.description != english[k] and cjk(w.description), (k, w.description)
    assert planner.controls["crews.sanitation"].description == "环卫:班组数"
    assert planner.controls["misrouting.0"].description == "社区:转错比例"
    assert [label for label, _ in planner.night.options] == ["值守", "次日早上"]
    assert planner.night.value == value
    for b, before in zip(buttons, english_buttons, strict=True):
        assert b.description != before and cjk(b.description)
    for w in (planner.replications, planner.name, planner.saved, planner.compare_select):
        assert cjk(w.description)
    assert cjk(planner.header.value) and cjk(planner.crews_box.get_title(0))
    assert "解决用时中位数" in planner.table.value and "街长制" in planner.table.value
    planner.language.value = "en"
    assert {k: w.description for k, w in planner.controls.items()} == english
    assert [b.description for b in buttons] == english_buttons
    assert "median resolution" in planner.table.value


def test_every_control_label_says_its_unit_in_both_languages(planner):
    # what a reader needs beside the number: minutes or hours, days, a share, a count, a factor
    units = {
        "en": {
            "volume": "a day",
            "liaison": "(min)",
            "chief_hours": "(h)",
            "take_on": "(h)",
            "grid_patrol": "days",
            "unclear": "×",
            "office": "08:30–17:30",
            "crews.": "crews",
            "layers": "layers",
            "misrouting.": "misrouting",
        },
        "zh": {
            "volume": "每天",
            "liaison": "(分钟)",
            "chief_hours": "(小时)",
            "take_on": "(小时)",
            "grid_patrol": "(天)",
            "unclear": "×",
            "office": "08:30–17:30",
            "crews.": "班组数",
            "layers": "层级数",
            "misrouting.": "比例",
        },
    }
    for lang in ("zh", "en"):
        planner.language.value = lang
        for key, w in planner.controls.items():
            if isinstance(w, W.ToggleButtons):
                continue  # a choice of words, no number
            unit = next(
                u
                for k, u in units[lang].items()
                if key == k or key.startswith(k) and k.endswith(".")
            )
            assert unit in w.description, (lang, key, w.description)
            if key.startswith("misrouting."):
                assert w.readout_format == ".0%"  # a share, read as a percentage
            if key == "office":
                assert not w.readout  # the label's clock times, not 8.5 – 17.5


def test_every_control_says_its_meaning_unit_and_own_source(planner):
    for key, w in planner.controls.items():
        tip = w.tooltip or ""
        assert "Source:" in tip and tip.split("Source:")[0].strip() not in ("", "None"), key
        assert "null" not in tip and "None" not in tip, key
    # each arrangement's value cites its own line, not the first line with the same key
    assert "chiefs find problems" not in planner.controls["grid_patrol"].tooltip
    assert "Tianmen" in planner.controls["grid_patrol"].tooltip
    assert "no source measures it" in planner.controls["take_on"].tooltip
    assert "[seed] the bins" in planner.controls["coordination"].tooltip


def test_the_page_carries_the_chinese_font_and_labels_fit(planner):
    box = planner.widget()
    assert "sc-planner" in box._dom_classes
    style = box.children[0].value
    assert "@font-face{font-family:'Noto Sans SC'" in style and ".sc-planner" in style
    width = int(planner.volume.style.description_width.rstrip("px"))
    for lang in ("zh", "en"):
        planner.set_language(lang)
        for key, w in planner.controls.items():  # about 14 px a Chinese character, 7 a Latin one
            text = w.description
            need = sum(14 if ord(ch) > 0x2E80 else 7 for ch in text)
            assert need <= width, (lang, key, text, need)


def test_a_saved_header_gives_numbers_as_set_not_float_noise(planner):
    planner.unclear.value = 0.1 + 0.2  # what a slider's steps can leave: 0.30000000000000004
    planner.name.value = "noisy"
    header = planner.save().read_text(encoding="utf-8").splitlines()[2]
    assert header.startswith("# planner controls:") and '"unclear": 0.3,' in header
    assert not re.search(r"\d\.\d{9,}", header), header


def test_office_hours_read_as_clock_times_and_misrouting_as_a_percentage(planner):
    planner.set_language("en")
    planner.office.value = (8.5, 17.5)
    assert planner.office.description == "office hours (traditional path) 08:30–17:30"
    assert planner.office.readout is False  # "8.5 – 17.5" is not shown
    planner.office.value = (9.0, 18.0)
    assert planner.office.description.endswith("09:00–18:00")
    planner.set_language("zh")
    assert planner.office.description == "传统路径办公时间 09:00–18:00"
    assert all(w.readout_format == ".0%" for w in planner.misrouting)


def test_a_saved_scenario_holds_the_values_the_controls_show_and_loads_without_a_false_alarm(
    planner,
):
    planner.set_language("en")
    planner.liaison.value = 29.999999999999996  # a slider's steps can leave this: 0.49999… h
    planner.name.value = "liaison"
    path = planner.save()
    saved = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert saved["arrangements"]["street_chief"]["liaison_ack_day"]["median"] == 0.5
    assert not re.search(r"\d\.\d{9,}", path.read_text(encoding="utf-8"))
    assert planner.load("liaison")
    assert "differ" not in planner.message.value
