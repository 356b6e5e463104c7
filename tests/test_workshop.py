"""The trainer's app in the kernel: what each frame shows is what the records say."""

import re

import numpy as np
import pytest

from streetchief.i18n import arrangement, duration, tr
from streetchief.workshop import ENDED, Workshop, statuses

TRASH_BINS = "JX-0139"


@pytest.fixture(scope="module")
def workshop():
    return Workshop()


def _panel(view: str, k: str) -> dict:
    m = re.search(
        rf"data-arrangement='{k}' data-open='(\d+)' data-resolved='(\d+)' data-ended='(\d+)'", view
    )
    return dict(zip(("open", "resolved", "ended"), map(int, m.groups()), strict=True))


def test_every_issue_reported_is_open_resolved_or_ended_and_the_panels_say_so(workshop):
    """Expired, cancelled and dropped problems leave the map and the open count when they end:
    an issue that ended without a fix is not open forever."""
    for t in (5.0, 60.0, 200.0, workshop.end):
        workshop.set_time(t)
        view = workshop.view.value
        for k, table in workshop.tables.items():
            s = statuses(table, t, workshop.work[k])
            reported = int((table.reported_at <= t).sum())
            shown = _panel(view, k)
            assert shown["open"] + shown["resolved"] + shown["ended"] == reported
            ended = (table.ended_at <= t) & ~(table.resolved_at <= t)
            assert shown["ended"] == int(ended.sum()) == int((s == ENDED).sum())
    assert any(_panel(view, k)["ended"] for k in workshop.tables)  # the seed week has some


def test_the_live_chart_of_open_issues_is_the_panels_count(workshop):
    """The open-issues line at each half hour is the count its panel shows at that time; it is
    drawn up to the clock and no further."""
    for n in (10, 300, 600):
        t = float(workshop.grid_t[n])
        workshop.set_time(t)
        view = workshop.view.value
        for k in workshop.tables:
            assert workshop.open_curve[k][n] == _panel(view, k)["open"], (k, t)
            line = re.search(rf"<polyline data-arrangement='{k}' points='([^']*)'", view)
            assert len(line.group(1).split()) == n + 1
    dashes = re.findall(
        r"<polyline data-arrangement='\w+' [^>]*?(stroke-dasharray='[^']*')?/>", view
    )
    assert len(set(dashes)) == len(workshop.tables)  # each its own dash, for a greyscale print


def test_the_live_chart_draws_each_arrangement_as_the_figures_do(workshop):
    """Colour and dash are the printed figures' (`plots.LINES`): a trainer's handout and the
    screen tell the arrangements apart the same way."""
    from streetchief.plots import COLOURS, LINES

    workshop.set_time(float(workshop.grid_t[200]))
    view = workshop.view.value
    width = 2.6
    matplotlib_units = {"-": (), "--": (3.7, 1.6), ":": (1, 1.65)}
    for k in workshop.tables:
        line = re.search(rf"<polyline data-arrangement='{k}' [^>]*/>", view).group(0)
        assert f"stroke='{COLOURS[k]}'" in line
        d = LINES[k][0]
        seq = matplotlib_units[d] if isinstance(d, str) else d[1]
        dash = re.search(r"stroke-dasharray='([^']*)'", line)
        assert (dash.group(1).split() if dash else []) == [f"{v * width:.3g}" for v in seq], k
    assert "stroke-dasharray" not in re.search(
        r"<polyline data-arrangement='street_chief' [^>]*/>", view
    ).group(0)  # the street chief's solid line, as in every figure


def test_resolution_so_far_is_the_records_median(workshop):
    workshop.set_language("en")
    workshop.set_time(120.0)
    view = workshop.view.value
    for k, table in workshop.tables.items():
        done = table.resolved_at <= 120.0
        median = np.median((table.resolved_at - table.reported_at)[done])
        row = re.search(rf"<tr data-arrangement='{k}'>(.*?)</tr>", view).group(1)
        assert f">{median:.1f} h<" in row
        total = workshop.result.summaries[k]["official_hours_total"]
        assert f">{total:,.0f}</td>" in row  # officials' hours in sight, not in an accordion


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_end_frame_says_who_was_faster_by_how_much_and_at_what_cost(workshop, lang):
    """At the end, over the maps: the mean report-to-resolution hours on the problems every
    arrangement resolved (what `compare` compares), the fastest and its lead, officials' hours,
    and what the numbers cover."""
    workshop.set_language(lang)
    workshop.set_time(workshop.end - 1)
    assert "sc-summary" not in workshop.view.value
    workshop.to_end()
    view = workshop.view.value
    sums = workshop.result.summaries
    means = {k: s["common_problems"]["resolution_mean_h"] for k, s in sums.items()}
    fastest = min(means, key=means.get)
    second = sorted(means.values())[1]
    box = re.search(r"<div class='sc-summary' data-fastest='(\w+)'>(.*?)</div>", view)
    assert box.group(1) == fastest
    text = box.group(2)
    for k, v in means.items():
        assert f"{arrangement(k, lang)} {v:.1f} h" in text
        assert f"{arrangement(k, lang)} {sums[k]['official_hours_total']:,.0f}" in text
    lead = duration(second - means[fastest], lang)
    assert lead in text and arrangement(fastest, lang) in text
    assert str(next(iter(sums.values()))["common_problems"]["problems"]) in text
    assert tr("summary.covers", lang, seed=workshop.seed) in text


def test_picking_a_case_after_the_end_clears_the_end_message(workshop):
    workshop.set_language("zh")
    workshop.to_end()
    assert "回放结束" in workshop.view.value
    workshop.pick(TRASH_BINS)
    assert "回放结束" not in workshop.view.value and "sc-summary" not in workshop.view.value
    workshop.to_end()
    workshop.reset()
    assert "回放结束" not in workshop.view.value


def test_the_scrubber_and_the_clock_move_together(workshop):
    workshop.scrubber.value = 100.0
    assert workshop.t == 100.0 and "data-t='100.0000'" in workshop.view.value
    workshop.step(2)
    assert workshop.scrubber.value == 102.0
    workshop.scrubber.value = workshop.scrubber.max
    assert workshop.t == workshop.end and "sc-summary" in workshop.view.value


def test_the_maps_carry_no_printed_names_and_every_place_is_named_on_hover(workshop):
    """Nineteen names in four panels cannot be read from the back of the room: none is printed
    over the roads; each road and area carries its name as a tooltip."""
    for lang in ("en", "zh"):
        workshop.set_language(lang)
        maps = re.findall(r"<svg class='sc-map'.*?</svg>", workshop.view.value)
        assert len(maps) == len(workshop.tables)
        names = {
            z.name if lang == "zh" else k.replace("_", " ").title()
            for k, z in workshop.scenario.zones.items()
        }
        for m in maps:
            assert "<text" not in m
            assert set(re.findall(r"<title>([^<]*)</title>", m)) == names


def test_the_export_is_one_page_that_needs_nothing_from_outside(workshop, tmp_path):
    workshop.set_language("en")
    workshop.pick(TRASH_BINS)
    workshop.set_time(60.0)
    page = workshop.export_html(tmp_path / "bins.html").read_text(encoding="utf-8")
    assert not re.search(r"(src|href)=['\"]?(https?:)?//", page)  # nothing fetched
    assert "@font-face" in page and "base64," in page  # the Chinese font travels inside
    assert "class='sc-timeline'" in page and "class='sc-summary'" in page
    assert "The report's words" in page and "gives 09:00" in page
    for k, s in workshop.result.summaries.items():  # the comparison table: the records' numbers
        row = re.search(rf"<tr data-arrangement='{k}'><th>(.*?)</tr>", page).group(1)
        cells = re.findall(r"<td>(.*?)</td>", row)
        assert row.startswith(arrangement(k, "en"))
        assert cells[0] == f"{s['common_problems']['resolution_mean_h']:.1f} h"
        assert cells[3:5] == [str(s["issues_resolved"]), str(s["issues_ended_unfixed"])]
    assert list(tmp_path.iterdir()) == [tmp_path / "bins.html"]  # no half-written side file


def test_save_offers_the_page_as_a_download_from_the_browser(workshop):
    import base64

    workshop.set_language("zh")
    workshop.pick(TRASH_BINS)
    workshop.export_button.click()
    link = re.search(
        r"<a download='(workshop_JX-0139_zh\.html)' href='data:text/html;charset=utf-8;base64,"
        r"([A-Za-z0-9+/=]+)'>",
        workshop.notice.value,
    )
    page = base64.b64decode(link.group(2)).decode("utf-8")
    assert page == workshop.export_page()
    assert "报道原文" in page and "谁更快" in page
