"""The fit, drawn: recorded against simulated hours to resolution for the main categories."""

from __future__ import annotations

import numpy as np

from streetchief.files import atomic_write
from streetchief.plots import Style, style

# the simulated curves when the arrangement is not named: the blue they always had, with a dash and
# a marker of their own beside the recorded curve's
SIMULATED = Style("#0072B2", "--", "s", "\\\\")


def _ecdf(ax, x, **kw):
    x = np.sort(np.asarray(x, float))
    if len(x):
        ax.step(np.maximum(x, 1e-2), np.arange(1, len(x) + 1) / len(x), where="post", **kw)


def fit_figure(
    rows: list[tuple[str, object, dict]],
    categories: list[str],
    path=None,
    title: str = "",
    arrangement: str | None = None,
):
    """One row of panels per part of the log (fitted, held out): for each main category the
    recorded ECDF of hours to resolution against each posterior draw's (thin) and all draws pooled
    (thick), the simulated ones in the style of the `arrangement` fitted."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter

    shown = categories[:6]
    sim = style(arrangement) if arrangement else SIMULATED
    rec = style("recorded")
    fig, axes = plt.subplots(
        len(rows), len(shown), figsize=(3.2 * len(shown), 3.0 * len(rows) + 0.6), squeeze=False
    )
    for r, (label, recorded, check) in enumerate(rows):
        cats = recorded["category"].to_numpy(zero_copy_only=False).astype(str)
        h = recorded["resolved_at"].to_numpy() - recorded["reported_at"].to_numpy()
        for k, c in enumerate(shown):
            ax = axes[r][k]
            for draw in check["_hours"].get(c, []):
                _ecdf(ax, draw, **sim.line(marker="none", alpha=0.15, linewidth=0.8))
            pooled = np.concatenate(check["_hours"].get(c, [np.empty(0)]) or [np.empty(0)])
            _ecdf(ax, pooled, **sim.line(linewidth=2), label="simulated (posterior draws)")
            _ecdf(ax, h[(cats == c) & ~np.isnan(h)], **rec.line(linewidth=2), label="recorded")
            ax.set_xscale("log")
            ax.xaxis.set_minor_formatter(NullFormatter())  # decades only: minor labels collide
            ax.set_title(f"{label}: {c}"[:48], fontsize=9)
            ax.grid(alpha=0.3, which="both")
            if k == 0:
                ax.set_ylabel("share resolved within")
            if r == len(rows) - 1:
                ax.set_xlabel("hours from report to resolution")
    axes[0][0].legend(fontsize=7, loc="upper left", handlelength=4.5)  # a whole dash-dot-dot
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    if path is not None:
        atomic_write(path, lambda tmp: fig.savefig(tmp, dpi=100, format="png"))
        plt.close(fig)
    return fig
