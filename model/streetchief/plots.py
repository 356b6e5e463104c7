"""Figures shared by the CLI, notebooks and tests, in English or Chinese.

Chinese text is drawn with the Noto Sans SC subset shipped in `fonts/` (SIL Open Font License), so
that it shows on a machine without Chinese fonts; Latin text keeps matplotlib's own DejaVu Sans.
"""

from __future__ import annotations

import functools
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from streetchief.files import atomic_write
from streetchief.i18n import arrangement as arrangement_label
from streetchief.i18n import tr
from streetchief.records import backlog_curve


def _plt():
    """pyplot, imported when a figure is drawn: importing this module (the workshop does, for its
    colours and font) stays light."""
    import matplotlib.pyplot as plt

    return plt


CJK_FONT = Path(__file__).resolve().parent / "fonts" / "NotoSansSC-Subset.ttf"
# matplotlib falls back glyph by glyph along an explicit list of families (not a generic one)
FONT_FAMILY = ["DejaVu Sans", "Noto Sans SC"]


@functools.cache
def font_face_css() -> str:
    """The shipped Chinese font as a CSS @font-face, inline: a page needs nothing from outside."""
    import base64

    data = base64.b64encode(CJK_FONT.read_bytes()).decode("ascii")
    return (
        "@font-face{font-family:'Noto Sans SC';font-style:normal;font-weight:400;"
        f"src:url(data:font/ttf;base64,{data}) format('truetype');}}"
    )


@functools.cache
def use_cjk_font() -> list[str]:
    """Make the shipped Chinese font known to matplotlib (once); the families figures draw with."""
    from matplotlib import font_manager

    font_manager.fontManager.addfont(str(CJK_FONT))
    return FONT_FAMILY


def with_cjk_font(make):
    """Build a figure with the shipped Chinese font behind the Latin one."""

    @functools.wraps(make)
    def wrapper(*args, **kwargs):
        with _plt().rc_context({"font.family": use_cjk_font()}):
            return make(*args, **kwargs)

    return wrapper


# colour-blind-safe (Okabe-Ito)
COLOURS = {
    "street_chief": "#D55E00",
    "hotline": "#0072B2",
    "grid": "#009E73",
    "multi_layer": "#CC79A7",
    "recorded": "#555555",
}
LABELS = {
    "street_chief": "street chief",
    "hotline": "12345 hotline",
    "grid": "grid management",
    "multi_layer": "multi-layer routing",
    "recorded": "recorded history",
}


# In a black-and-white print the Okabe-Ito colours turn to near greys (street chief 119, hotline 87,
# grid 106): each arrangement is told apart by its dash, marker and hatch as well.
LINES = {
    "street_chief": ("-", "o", "///"),
    "hotline": ("--", "s", "\\\\\\"),
    "grid": (":", "^", "xxx"),
    # "-.", shorter: its gaps still show beside the marker in a legend's sample
    "multi_layer": ((0, (4, 1.5, 1, 1.5)), "D", ".."),
    "recorded": ((0, (7, 2, 1, 2, 1, 2)), "X", "++"),
}
# for an arrangement the tables do not know (a user's own): none of these is in LINES, so it
# never looks like a shipped one
_OTHER_COLOURS = ("#E69F00", "#56B4E9", "#000000", "#8C564B", "#999999", "#7F3C8D", "#117733")
_OTHER_DASHES = (
    (0, (5, 1)),
    (0, (3, 1, 1, 1, 1, 1)),
    (0, (1, 3)),
    (0, (8, 3, 2, 3)),
    (0, (4, 2, 4, 2, 1, 2)),
    (0, (2, 1)),
    (0, (10, 2)),
)
_OTHER_MARKERS = ("v", "P", "*", "<", ">", "h", "p", "1")
_OTHER_HATCHES = ("--", "||", "oo", "**", "OO", "-\\\\", "|/", "O.")


@dataclass(frozen=True)
class Style:
    """How an arrangement is drawn: its colour, and the dash, marker and hatch that still tell it
    apart once printed in grey."""

    colour: str
    dashes: str | tuple
    marker: str
    hatch: str

    def line(self, **more) -> dict:
        """Keywords for a line (plot, step): markers spaced along it, not one per point."""
        return {
            "color": self.colour,
            "linestyle": self.dashes,
            "marker": self.marker,
            "markevery": 0.1,
            "markersize": 5,
            "linewidth": 1.6,
        } | more

    def points(self, **more) -> dict:
        """Keywords for points alone (plot with no line)."""
        return {
            "color": self.colour,
            "linestyle": "none",
            "marker": self.marker,
            "markersize": 5,
            "markeredgecolor": "white",
            "markeredgewidth": 0.5,
        } | more

    def bar(self, **more) -> dict:
        """Keywords for a bar or a box: filled, edged and hatched in a tone that shows on it."""
        tone = "white" if grey(self.colour) < 110 else "black"
        # before matplotlib 3.10 a hatch takes the edge's colour
        apart = {"hatchcolor": tone} if _hatch_colour_of_its_own() else {"edgecolor": tone}
        return {
            "facecolor": self.colour,
            "edgecolor": "black",
            "linewidth": 0.5,
            "hatch": self.hatch,
            **apart,
        } | more


@functools.cache
def _hatch_colour_of_its_own() -> bool:
    from matplotlib.patches import Patch

    return hasattr(Patch, "set_hatchcolor")


# a legend's line sample, in font sizes: long enough to show the dash on both sides of the marker
SAMPLE = 3.5


def grey(colour) -> float:
    """A colour's luminance in a greyscale print, 0 (black) to 255 (white), as PIL converts it."""
    from matplotlib.colors import to_rgb

    r, g, b = to_rgb(colour)
    return 255 * (0.299 * r + 0.587 * g + 0.114 * b)


def _other(name: str, k: int) -> Style:
    """The k-th candidate style of an arrangement not in the tables, drawn from its name: the same
    in every figure and every run (not Python's salted hash)."""
    i = zlib.crc32(name.encode("utf-8")) + k
    return Style(
        _OTHER_COLOURS[i % len(_OTHER_COLOURS)],
        _OTHER_DASHES[i % len(_OTHER_DASHES)],
        _OTHER_MARKERS[i % len(_OTHER_MARKERS)],
        _OTHER_HATCHES[i % len(_OTHER_HATCHES)],
    )


def styles(names) -> dict[str, Style]:
    """Each arrangement in `names` its style: the tables' own, else one drawn from its name and
    moved on while its dash, marker or hatch is already taken in this figure."""
    out = {n: Style(COLOURS[n], *LINES[n]) for n in names if n in LINES and n in COLOURS}
    for n in sorted(set(names) - set(out)):  # sorted: the same whatever order a figure draws
        taken = [(s.dashes, s.marker, s.hatch) for s in out.values()]
        candidates = [_other(n, k) for k in range(len(_OTHER_DASHES) * len(_OTHER_MARKERS))]
        free = [
            c
            for c in candidates
            if all(c.dashes != d and c.marker != m and c.hatch != h for d, m, h in taken)
        ]
        # with more arrangements than dashes, one that differs in one of them at least
        alike = [c for c in candidates if (c.dashes, c.marker, c.hatch) not in taken]
        out[n] = (free or alike)[0]
    return {n: out[n] for n in names}


def style(name: str) -> Style:
    """One arrangement's style, as `styles` gives it in a figure of its own."""
    return styles([name])[name]


def label(name: str, lang: str = "en") -> str:
    """An arrangement's name in a figure."""
    return LABELS.get(name, name) if lang == "en" else arrangement_label(name, lang)


def _resolution_and_backlog(
    ax1, ax2, result, fontsize=9, lang="en", legend_below: bool = False
) -> None:
    """Resolution-time distributions (share of reported issues resolved within h hours) and the
    backlog over time, one line per arrangement; the first legend below its axes, where it
    hides no curve, if `legend_below`."""
    look = styles(list(result.tables))
    for name, table in result.tables.items():
        rep, res = table["reported_at"].to_numpy(), table["resolved_at"].to_numpy()
        h = np.sort((res - rep)[~np.isnan(res)])
        text = label(name, lang)
        if len(h):
            ax1.step(
                np.maximum(h, 1e-3),
                np.arange(1, len(h) + 1) / len(rep),
                where="post",
                **look[name].line(),
                label=tr(
                    "fig.median_label",
                    lang,
                    name=text,
                    hours=f"{np.median(h):.1f}",
                    mean=f"{h.mean():.1f}",
                ),
            )
        t, b = backlog_curve(table, result.horizon)
        ax2.plot(t / 24, b, **look[name].line(), label=text)
    ax1.set_xscale("log")
    ax1.set_xlabel(tr("fig.hours_to_resolution", lang))
    ax1.set_ylabel(tr("fig.share_resolved", lang))
    ax1.set_title(tr("fig.resolution_time", lang))
    ax1.grid(alpha=0.3, which="both")
    if ax1.get_legend_handles_labels()[0]:
        where = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.2)} if legend_below else {}
        ax1.legend(fontsize=fontsize, handlelength=SAMPLE, **({"loc": "best"} | where))
    else:
        ax1.text(0.5, 0.5, tr("fig.none_resolved", lang), ha="center", transform=ax1.transAxes)
    ax2.set_xlabel(tr("fig.day_since", lang, start=f"{result.scenario.run.start:%Y-%m-%d}"))
    ax2.set_ylabel(tr("fig.backlog_axis", lang))
    ax2.set_title(tr("fig.backlog", lang))
    ax2.set_xlim(0, result.horizon / 24)
    ax2.grid(alpha=0.3)
    ax2.legend(loc="best", fontsize=fontsize, handlelength=SAMPLE)


@with_cjk_font
def comparison_figure(result, path=None, replications: int | None = None):
    """Resolution-time distributions side by side, plus backlog over time, for one run (of
    `replications`, when it is the first of a comparison: the table's means are over all)."""
    fig, (ax1, ax2) = _plt().subplots(1, 2, figsize=(12, 5.5))
    _resolution_and_backlog(ax1, ax2, result, legend_below=True)
    source = (
        f"issues replayed from {Path(result.replay['log']).name}, seed {result.seed}"
        if result.replay
        else f"seed {result.seed}"
    )
    if replications and replications > 1:
        source += f": replication 1 of {replications}"
    fig.suptitle(f"{result.scenario.name}: the same issues under each arrangement\n({source})")
    fig.tight_layout()
    if path is not None:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=120, format="png"))
        _plt().close(fig)
    return fig


@with_cjk_font
def dashboard_figure(
    result,
    path=None,
    categories: int = 10,
    lang: str = "en",
    figure=None,
    title_name: str | None = None,
):
    """The planner's four panels: resolution-time distributions, backlog over time, median
    resolution by category (the most frequent ones), on-time share. With `figure` (a matplotlib
    Figure made apart from pyplot), it is drawn there: nothing shows it a second time.
    `title_name` names the scenario in the title (else the scenario's own name)."""
    fig = figure if figure is not None else _plt().figure(figsize=(12, 7.5))
    axes = fig.subplots(2, 2)
    (ax1, ax2), (ax3, ax4) = axes
    names = list(result.tables)
    _resolution_and_backlog(ax1, ax2, result, fontsize=8, lang=lang)
    medians = {}
    for name, table in result.tables.items():
        hours = table["resolved_at"].to_numpy() - table["reported_at"].to_numpy()
        cats = table["category"].to_numpy(zero_copy_only=False).astype(str)
        medians[name] = {
            c: np.nanmedian(hours[cats == c]) if np.isfinite(hours[cats == c]).any() else np.nan
            for c in np.unique(cats)
        }
    first = result.tables[names[0]]["category"].to_numpy(zero_copy_only=False).astype(str)
    top = [
        c
        for c, _ in sorted(
            zip(*np.unique(first, return_counts=True), strict=True), key=lambda x: -x[1]
        )
    ][:categories]
    y = np.arange(len(top))
    width = 0.8 / max(1, len(names))
    look = styles(names)
    for k, name in enumerate(names):
        ax3.barh(
            y + k * width,
            [medians[name].get(c, np.nan) for c in top],
            width,
            **look[name].bar(),
            label=label(name, lang),
        )
    cats = result.scenario.categories
    shown = [cats[c].name if lang == "zh" and c in cats else c.replace("_", " ") for c in top]
    ax3.set_yticks(y + width * (len(names) - 1) / 2, shown, fontsize=8)
    ax3.invert_yaxis()
    ax3.set_xlabel(tr("fig.median_hours", lang))
    ax3.set_title(tr("fig.by_category", lang, n=len(top)))
    ax3.grid(alpha=0.3, axis="x")
    # below the axes: inside, it would hide the longest bar wherever that falls
    ax3.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    shares = [result.summaries[n]["on_time_share"] or 0.0 for n in names]
    for k, n in enumerate(names):
        ax4.bar(k, shares[k], **look[n].bar(), label=label(n, lang))
    import textwrap

    # each bar named under it, its legend; side by side, never run together
    ticks = [textwrap.fill(label(n, lang), 12) for n in names]
    ax4.set_xticks(range(len(names)), ticks, fontsize=8)
    for k, v in enumerate(shares):
        ax4.text(k, v + 0.02, f"{v:.0%}", ha="center")
    ax4.set_ylim(0, 1.1)
    limits = sorted({c.deadline_hours for c in result.scenario.categories.values()})
    if limits:  # which deadline: each category's own
        lo, hi = limits[0], limits[-1]
        span = f"{lo:g}" if lo == hi else f"{lo:g}–{hi:g}"
        ax4.set_title(textwrap.fill(tr("fig.on_time_within", lang, span=span), 40))
    else:
        ax4.set_title(tr("fig.on_time", lang))
    fig.suptitle(
        tr(
            "fig.dashboard_title",
            lang,
            name=title_name or result.scenario.name,
            days=f"{result.horizon / 24:g}",
        )
    )
    fig.tight_layout()
    if path is not None:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
        _plt().close(fig)
    return fig


@with_cjk_font
def equity_figure(equity, arrangements: list[str], path=None, top: int = 12):
    """Who is served worst: mean hours from report to resolution per time of week, per zone and per
    category (the `top` slowest groups under any arrangement), one bar per arrangement."""
    from streetchief.equity import TIMES_OF_WEEK

    look = styles(arrangements)
    panels = [("time_of_week", "time of week"), ("zone", "zone"), ("category", "category")]
    fig, axes = _plt().subplots(
        1, 3, figsize=(15, 6.5), gridspec_kw={"width_ratios": [1, 1.4, 1.4]}
    )
    for ax, (dim, title) in zip(axes, panels, strict=True):
        d = equity[equity.dimension == dim]
        wide = d.pivot_table(index="group", columns="arrangement", values="resolution_mean_h")
        wide = wide.reindex(columns=[a for a in arrangements if a in wide.columns])
        if dim == "time_of_week":
            wide = wide.reindex([t for t in TIMES_OF_WEEK if t in wide.index])
        else:
            wide = wide.loc[wide.max(axis=1).sort_values(ascending=False).index[:top]]
        y = np.arange(len(wide))
        h = 0.8 / max(1, len(wide.columns))
        for k, a in enumerate(wide.columns):
            ax.barh(y + k * h, wide[a].to_numpy(), h, **look[a].bar(), label=LABELS.get(a, a))
        ax.set_yticks(y + h * (len(wide.columns) - 1) / 2, wide.index, fontsize=8)
        ax.invert_yaxis()
        ax.set_xlabel("mean hours from report to resolution")
        shown = "" if dim == "time_of_week" else f" (the {len(wide)} slowest)"
        ax.set_title(f"By {title}{shown}")
        ax.grid(alpha=0.3, axis="x")
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    fig.suptitle("Who is served worst: the same problems under each arrangement")
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    if path is not None:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
        _plt().close(fig)
    return fig
