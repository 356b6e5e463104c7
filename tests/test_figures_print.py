"""Figures survive a black-and-white printer: in grey, each arrangement is told apart by its dash,
marker or hatch, not by a tone the printer renders alike (street chief, hotline and grid come out
119, 87 and 106), and every chart with more than one arrangement carries a legend (or names each
bar under it) drawn in the same styles."""

import dataclasses
import itertools
from collections import defaultdict
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer
from matplotlib.lines import Line2D
from PIL import Image

from streetchief import plots, report
from streetchief.calibration.figures import fit_figure
from streetchief.experiment import compare
from streetchief.i18n import ARRANGEMENTS as ARRANGEMENT_NAMES
from streetchief.plots import dashboard_figure, equity_figure, styles
from streetchief.sweeps.analysis import boxplot_figure, load_runs
from streetchief.uncertainty.analysis import MAIN, answer
from streetchief.uncertainty.figures import discovery_figure, spread_figure

matplotlib.use("Agg")

STORED = Path(__file__).parent / "data" / "uncertainty" / "jingxing_2019"
SHIPPED = ["street_chief", "hotline", "grid", "multi_layer"]
OWN = ["one_stop", "mobile_desk"]  # a user's own arrangements, in no table
APART = 60  # grey levels two tones must differ by to read apart in print


# --- which arrangement an artist draws, and how it looks in grey ---------------------------------
def _words(fitted: str | None = None) -> dict[str, str]:
    words = {k: k for k in [*SHIPPED, "recorded", *OWN]}
    for table in (plots.LABELS, report.LABELS):
        words |= {w: k for k, w in table.items()}
    words |= {entry["zh"]: k for k, entry in ARRANGEMENT_NAMES.items()}
    if fitted:
        words["simulated"] = fitted
    return words


def arrangement_of(text: str, words: dict) -> str | None:
    """The arrangement a label names: the longest name in it ("street chiefs better")."""
    text = text.replace("\n", " ")
    found = [w for w in words if w in text]
    return words[max(found, key=len)] if found and not text.startswith("_") else None


@dataclasses.dataclass(frozen=True)
class Look:
    """What is left of an artist once printed in grey."""

    grey: float  # luminance once printed, on white paper
    dashes: object
    marker: str | None
    hatch: str | None

    def apart(self, other: "Look") -> bool:
        return (
            self.dashes != other.dashes
            or self.marker != other.marker
            or self.hatch != other.hatch
            or abs(self.grey - other.grey) >= APART
        )


def look(artist) -> Look:
    if isinstance(artist, Line2D):
        r, g, b, a = to_rgba(artist.get_color(), artist.get_alpha())
        ls = artist.get_linestyle()
        dashes = "none" if ls in ("None", "none", " ", "") else artist._unscaled_dash_pattern
        marker = artist.get_marker()
        marker = None if marker in (None, "None", "none", "", " ") else str(marker)
        hatch = None
    else:
        r, g, b, a = artist.get_facecolor()
        dashes, marker, hatch = None, None, artist.get_hatch() or None
    grey = 255 * (0.299 * r + 0.587 * g + 0.114 * b)
    return Look(round(a * grey + (1 - a) * 255, 1), dashes, marker, hatch)


def drawn(ax, words) -> dict[str, set[Look]]:
    """Each arrangement's looks in one axes: its labelled lines, bars and (first) boxes."""
    out = defaultdict(set)
    for line in ax.get_lines():
        if key := arrangement_of(line.get_label(), words):
            out[key].add(look(line))
    for c in ax.containers:
        if isinstance(c, BarContainer) and (key := arrangement_of(c.get_label() or "", words)):
            out[key] |= {look(p) for p in c.patches}
    for p in ax.patches:
        if key := arrangement_of(p.get_label() or "_", words):
            out[key].add(look(p))
    return out


def legend_entries(legend, words) -> dict[str, Look]:
    return {
        key: look(handle)
        for handle, text in zip(legend.legend_handles, legend.get_texts(), strict=True)
        if (key := arrangement_of(text.get_text(), words))
    }


def legend_of(ax, fig):
    """The axes' own legend, else the figure's, else one shared on the first panel."""
    return ax.get_legend() or (fig.legends[0] if fig.legends else fig.axes[0].get_legend())


def named_under_each_bar(ax, words) -> bool:
    """Bars told apart by the tick label under each, not by a legend."""
    ticks = ax.get_xticks()
    names = [arrangement_of(t.get_text(), words) for t in ax.get_xticklabels()]
    for c in ax.containers:
        key = arrangement_of(c.get_label() or "", words)
        for p in c.patches:
            k = int(np.argmin(np.abs(ticks - (p.get_x() + p.get_width() / 2))))
            if names[k] != key:
                return False
    return bool(ax.containers)


def check_print(fig, words, expected: set[str]) -> None:
    """Every arrangement drawn apart from every other in grey; a legend in the same styles."""
    per_axes = {ax: drawn(ax, words) for ax in fig.axes}
    whole = defaultdict(set)
    for per in per_axes.values():
        for key, looks in per.items():
            whole[key] |= looks
    assert set(whole) == expected, sorted(whole)
    for a, b in itertools.combinations(sorted(whole), 2):
        for x, y in itertools.product(whole[a], whole[b]):
            assert x.apart(y), f"{a} and {b} print alike: {x} / {y}"
    for ax, per in per_axes.items():
        if len(per) < 2:
            continue
        if ax.get_legend() is None and named_under_each_bar(ax, words):
            continue
        legend = legend_of(ax, fig)
        assert legend is not None, f"{ax.get_title()!r}: no legend"
        entries = legend_entries(legend, words)
        for key, looks in per.items():
            assert key in entries, f"{ax.get_title()!r}: {key} not in the legend"
            assert entries[key] in looks, f"{ax.get_title()!r}: {key}'s legend entry differs"


# --- the figures, drawn once from small inputs ---------------------------------------------------
@pytest.fixture(scope="module")
def comparison(jingxing):
    return compare(jingxing, replications=2, days=2, seed=3)


@pytest.fixture(scope="module")
def with_own(comparison):
    """The comparison's first run and equity with two arrangements of a user's own beside."""
    res, eq = comparison.first, comparison.equity
    copies = dict(zip(OWN, ["hotline", "grid"], strict=True))
    run = dataclasses.replace(
        res,
        tables={**res.tables, **{n: res.tables[c] for n, c in copies.items()}},
        summaries={**res.summaries, **{n: res.summaries[c] for n, c in copies.items()}},
    )
    extra = [eq[eq.arrangement == c].assign(arrangement=n) for n, c in copies.items()]
    return run, pd.concat([eq, *extra], ignore_index=True)


@pytest.fixture(scope="module")
def figures(comparison, with_own, jingxing, tmp_path_factory):
    """Every figure that shows arrangements: name -> (figure, the arrangements it must show,
    the words naming them)."""
    import matplotlib.pyplot as plt

    every = set(SHIPPED)
    out = {}
    made = []  # what report.draw_figures draws, kept (it closes them once written)

    def keeping(draw):
        def kept(*args, **kwargs):
            made.append(draw(*args, **kwargs))
            return made[-1]

        return kept

    with pytest.MonkeyPatch.context() as mp:
        for name in ("comparison_figure", "equity_figure"):
            mp.setattr(plots, name, keeping(getattr(plots, name)))
        written = report.draw_figures(comparison, tmp_path_factory.mktemp("compare"))
    assert written == ["comparison.png", "equity.png"]
    words = _words()
    out["comparison.png"] = (made[0], every, words)
    out["equity.png"] = (made[1], every, words)
    out["dashboard"] = (dashboard_figure(comparison.first), every, words)
    out["dashboard zh"] = (dashboard_figure(comparison.first, lang="zh"), every, words)
    run, eq = with_own
    out["dashboard, own"] = (dashboard_figure(run), every | set(OWN), words)
    out["equity, own"] = (equity_figure(eq, [*SHIPPED, *OWN]), every | set(OWN), words)

    runs, meta = load_runs(STORED)
    ans = answer(runs, meta, outcomes=[MAIN])
    out["uncertainty"] = (spread_figure(ans, names=report.LABELS), every, words)
    out["discovery"] = (
        discovery_figure(ans, scenario=jingxing, names=report.LABELS),
        {ans.treatment, ans.focus},
        words,
    )
    out["boxplots"] = (
        boxplot_figure(runs, "department_response.sanction_factor", MAIN),
        every,
        words,
    )

    recorded = comparison.first.tables["hotline"]
    resolved = recorded.filter(recorded["resolved_at"].is_valid())
    cats = pd.Series(resolved["category"].to_pylist()).value_counts().index[:3].tolist()

    def hours(table):
        c = table["category"].to_numpy(zero_copy_only=False).astype(str)
        h = table["resolved_at"].to_numpy() - table["reported_at"].to_numpy()
        return {k: [h[(c == k) & ~np.isnan(h)] * f for f in (0.8, 1.25)] for k in cats}

    rows = [
        ("fitted", recorded, {"_hours": hours(comparison.first.tables["street_chief"])}),
        ("held out", recorded, {"_hours": hours(comparison.first.tables["grid"])}),
    ]
    for fitted in ("street_chief", None):
        fig = fit_figure(rows, cats, title="fit", arrangement=fitted)
        shown = fitted or "simulated"
        out[f"calibration, {shown}"] = (fig, {shown, "recorded"}, _words(shown))
    yield out
    for fig, _, _ in out.values():
        plt.close(fig)


FIGURES = [
    "comparison.png",
    "equity.png",
    "dashboard",
    "dashboard zh",
    "dashboard, own",
    "equity, own",
    "uncertainty",
    "discovery",
    "boxplots",
    "calibration, street_chief",
    "calibration, simulated",
]


@pytest.mark.parametrize("name", FIGURES)
def test_each_arrangement_prints_apart_with_a_legend_in_its_style(figures, name):
    fig, expected, words = figures[name]
    check_print(fig, words, expected)


def test_the_by_category_bars_are_hatched_apart_and_have_a_legend(figures):
    fig, _, words = figures["dashboard"]
    by_category = fig.axes[2]
    entries = legend_entries(by_category.get_legend(), words)
    assert set(entries) == set(SHIPPED)
    assert len({e.hatch for e in entries.values()}) == len(SHIPPED)


def _sample(grey: np.ndarray, box, size) -> np.ndarray:
    """Where a legend sample leaves the tone it stands on: its drawing, whatever its grey."""
    h = grey.shape[0]
    cx, cy = int(round((box.x0 + box.x1) / 2)), int(round(h - (box.y0 + box.y1) / 2))
    w2, h2 = size
    crop = grey[cy - h2 : cy + h2 + 1, cx - w2 : cx + w2 + 1].astype(int)
    tone = np.bincount(crop.ravel()).argmax()
    return np.abs(crop - tone) > 40


def test_legend_samples_differ_as_printed_pixels(figures):
    """Rasterised and turned grey as a printer would, the legend samples of any two arrangements
    (the lines of the resolution times, the bars by category) are not the same picture."""
    fig, _, words = figures["dashboard"]
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    grey = np.asarray(Image.fromarray(np.asarray(fig.canvas.buffer_rgba())).convert("L"))
    for ax in (fig.axes[0], fig.axes[2]):
        legend = ax.get_legend()
        boxes = {
            arrangement_of(t.get_text(), words): handle.get_window_extent(renderer)
            for handle, t in zip(legend.legend_handles, legend.get_texts(), strict=True)
        }
        assert set(boxes) == set(SHIPPED)
        size = (
            int(max(b.width for b in boxes.values()) / 2),
            int(max(b.height for b in boxes.values()) / 2) + 1,
        )
        samples = {k: _sample(grey, b, size) for k, b in boxes.items()}
        for a, b in itertools.combinations(SHIPPED, 2):
            differ = (samples[a] ^ samples[b]).sum() / max(1, (samples[a] | samples[b]).sum())
            assert differ > 0.1, f"{ax.get_title()}: {a} and {b} print the same legend sample"


def test_an_arrangement_of_ones_own_gets_a_style_of_its_own_the_same_every_time():
    many = [*SHIPPED, "recorded", *OWN, *(f"desk_{k}" for k in range(6))]
    drawn_styles = styles(many)
    assert styles(list(reversed(many))) == drawn_styles  # whatever order a figure draws them in
    assert styles([*SHIPPED, "one_stop"])["one_stop"] == drawn_styles["one_stop"]
    shipped = [drawn_styles[n] for n in [*SHIPPED, "recorded"]]
    for n in [*OWN, *(f"desk_{k}" for k in range(6))]:
        s = drawn_styles[n]
        assert all(
            s.dashes != t.dashes and s.marker != t.marker and s.hatch != t.hatch for t in shipped
        ), n
    looks = [(s.dashes, s.marker, s.hatch) for s in drawn_styles.values()]
    assert len(set(looks)) == len(looks)
