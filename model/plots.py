"""Figures shared by the CLI, notebooks and tests."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

from streetchief.files import atomic_write
from streetchief.records import backlog_curve

# colour-blind-safe (Okabe-Ito); labels in ASCII, since CJK fonts are often missing
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


def _resolution_and_backlog(ax1, ax2, result, fontsize=9, legend_below=False) -> None:
    """Resolution-time distributions (share of reported issues resolved within h hours) and the
    backlog over time, one line per arrangement; the first legend below its axes, where it
    hides no curve, if `legend_below`."""
    for name, table in result.tables.items():
        rep, res = table["reported_at"].to_numpy(), table["resolved_at"].to_numpy()
        h = np.sort((res - rep)[~np.isnan(res)])
        colour, label = COLOURS.get(name), LABELS.get(name, name)
        if len(h):
            ax1.step(
                np.maximum(h, 1e-3),
                np.arange(1, len(h) + 1) / len(rep),
                where="post",
                color=colour,
                label=f"{label}: median {np.median(h):.1f} h, mean {h.mean():.1f} h",
            )
        t, b = backlog_curve(table, result.horizon)
        ax2.plot(t / 24, b, color=colour, label=label)
    ax1.set_xscale("log")
    ax1.set_xlabel("hours from report to resolution (log scale)")
    ax1.set_ylabel("share of reported issues resolved")
    ax1.set_title("Resolution time")
    ax1.grid(alpha=0.3, which="both")
    if ax1.get_legend_handles_labels()[0]:
        where = {"loc": "upper center", "bbox_to_anchor": (0.5, -0.2)} if legend_below else {}
        ax1.legend(fontsize=fontsize, **({"loc": "best"} | where))
    else:
        ax1.text(0.5, 0.5, "no issue resolved in this run", ha="center", transform=ax1.transAxes)
    ax2.set_xlabel(f"day since {result.scenario.run.start:%Y-%m-%d}")
    ax2.set_ylabel("open issues (backlog)")
    ax2.set_title("Backlog over time")
    ax2.set_xlim(0, result.horizon / 24)
    ax2.grid(alpha=0.3)
    ax2.legend(loc="best", fontsize=fontsize)


def comparison_figure(result, path=None, replications: int | None = None):
    """Resolution-time distributions side by side, plus backlog over time, for one run (of
    `replications`, when it is the first of a comparison: the table's means are over all)."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5.5))
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
        plt.close(fig)
    return fig


def dashboard_figure(result, path=None, categories: int = 10):
    """The planner's four panels: resolution-time distributions, backlog over time, median
    resolution by category (the most frequent ones), on-time share."""
    fig, axes = plt.subplots(2, 2, figsize=(12, 7.5))
    (ax1, ax2), (ax3, ax4) = axes
    names = list(result.tables)
    _resolution_and_backlog(ax1, ax2, result, fontsize=8)
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
    for k, name in enumerate(names):
        ax3.barh(
            y + k * width,
            [medians[name].get(c, np.nan) for c in top],
            width,
            color=COLOURS.get(name),
            label=LABELS.get(name, name),
        )
    ax3.set_yticks(y + width * (len(names) - 1) / 2, top, fontsize=8)
    ax3.invert_yaxis()
    ax3.set_xlabel("median hours to resolution")
    ax3.set_title(f"By category (the {len(top)} most frequent)")
    ax3.grid(alpha=0.3, axis="x")
    shares = [result.summaries[n]["on_time_share"] or 0.0 for n in names]
    ax4.bar([LABELS.get(n, n) for n in names], shares, color=[COLOURS.get(n) for n in names])
    for k, v in enumerate(shares):
        ax4.text(k, v + 0.02, f"{v:.0%}", ha="center")
    ax4.set_ylim(0, 1.1)
    ax4.set_title("Resolved within the deadline")
    fig.suptitle(
        f"{result.scenario.name}: the same issues under each arrangement ({result.horizon / 24:g} "
        "days)"
    )
    fig.tight_layout()
    if path is not None:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
        plt.close(fig)
    return fig


def equity_figure(equity, arrangements: list[str], path=None, top: int = 12):
    """Who is served worst: mean hours from report to resolution per time of week, per zone and per
    category (the `top` slowest groups under any arrangement), one bar per arrangement."""
    from streetchief.equity import TIMES_OF_WEEK

    panels = [("time_of_week", "time of week"), ("zone", "zone"), ("category", "category")]
    fig, axes = plt.subplots(1, 3, figsize=(15, 6.5), gridspec_kw={"width_ratios": [1, 1.4, 1.4]})
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
            ax.barh(y + k * h, wide[a].to_numpy(), h, color=COLOURS.get(a), label=LABELS.get(a, a))
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
        plt.close(fig)
    return fig
