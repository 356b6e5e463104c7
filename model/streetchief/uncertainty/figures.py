"""The answer's figures: the spread of the difference across parameter sets, and where the
treatment wins over the two parameters that decide it most."""

from __future__ import annotations

import textwrap

import numpy as np

from streetchief.plots import styles
from streetchief.sweeps.analysis import _save
from streetchief.sweeps.labels import parameter_label
from streetchief.uncertainty.analysis import HEADLINE, MAIN, _better_sign, parameter_of

SHOWN = (MAIN, "problem_hours_per_day", "official_hours")


def spread_figure(ans, path=None, names: dict | None = None):
    """One panel per baseline × outcome: each set's mean difference, the treatment's side shaded,
    with the probability and its interval in the title."""
    import matplotlib.pyplot as plt

    names = names or {}
    t_name = names.get(ans.treatment, ans.treatment)
    shown = [o for o in SHOWN if (ans.table.outcome == o).any()]
    order = [ans.focus] + [b for b in ans.baselines if b != ans.focus]
    look = styles([ans.treatment, *order])  # a set is drawn in the style of the side it favours
    fig, axes = plt.subplots(
        len(order), len(shown), figsize=(4.6 * len(shown), 2.7 * len(order) + 0.8), squeeze=False
    )
    for i, b in enumerate(order):
        b_name = names.get(b, b)
        for j, o in enumerate(shown):
            ax = axes[i][j]
            col = f"{o}:{b}"
            if col not in ans.per_set:
                ax.set_axis_off()
                continue
            stable = ~(ans.per_set[f"unstable_{ans.treatment}"] | ans.per_set[f"unstable_{b}"])
            y = ans.per_set.loc[stable, col].dropna().to_numpy(float)
            r = ans.row(b, o)
            sign = _better_sign(o)
            wins = sign * y > 0
            jitter = np.random.default_rng(0).uniform(-0.3, 0.3, len(y))
            for mask, side, label in (
                (wins, ans.treatment, f"{t_name} better"),
                (~wins, b, f"{b_name} better"),
            ):
                ax.plot(y[mask], jitter[mask], **look[side].points(markersize=4.5), label=label)
            ax.axvline(0, color="black", lw=0.8)
            ax.axvline(r["median"], color="#555555", lw=1, ls="--", label="median")
            lo, hi = ax.get_xlim()
            ax.axvspan(
                *((0, hi) if sign > 0 else (lo, 0)),
                color=look[ans.treatment].colour,
                alpha=0.08,
                lw=0,
            )
            ax.set_xlim(lo, hi)
            ax.set_yticks([])
            ax.set_ylim(-0.5, 0.5)
            words, unit = HEADLINE[o]
            ax.set_title(
                f"against {b_name}: {words.split(' (')[0]}\nP = {r.p_better:.2f} (95% CI "
                f"{r.p_low:.2f} to {r.p_high:.2f}, {int(r.sets)} sets)",
                fontsize=9,
            )
            ax.set_xlabel(f"{t_name} − {b_name} ({unit})", fontsize=9)
            ax.tick_params(labelsize=8)
            ax.grid(axis="x", alpha=0.3)
    legend = {}  # each baseline's row adds its own "better"
    for ax in axes.flat:
        for handle, text in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(text, handle)
    if "median" in legend:
        legend["median"] = legend.pop("median")  # after the arrangements
    fig.legend(
        list(legend.values()),
        list(legend),
        loc="lower center",
        ncol=len(legend),
        fontsize=9,
        frameon=False,
    )
    fig.suptitle(
        f"{t_name} against each arrangement over {ans.sets} parameter sets: each point a set "
        f"(the mean of its {ans.replications} paired replications), the shaded side where "
        f"{t_name} are better",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.05, 1, 1))  # room for the legend below the panels
    return _save(fig, path)


def discovery_figure(ans, path=None, scenario=None, names: dict | None = None):
    """Against the strongest baseline (or the one named), the sets over the two parameters that
    decide the speed most, marked by whether the treatment is faster; the tree's best box drawn."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Rectangle

    from streetchief.sweeps.spec import SweepSpec

    names = names or {}
    b = ans.focus
    col = f"{MAIN}:{b}"
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    sens = ans.sensitivity[(ans.sensitivity.baseline == b) & (ans.sensitivity.outcome == MAIN)]
    if col not in ans.per_set or len(ans.parameters) < 2:
        ax.text(0.5, 0.5, "too few sets or parameters to draw", ha="center", transform=ax.transAxes)
        return _save(fig, path)
    box = next((x for x in ans.boxes if x["baseline"] == b and x["outcome"] == MAIN), None)
    best = max(box["leaves"], key=lambda leaf: leaf["share"]) if box and box["leaves"] else None
    by_share = sens.reindex(sens.prcc.abs().sort_values(ascending=False).index).parameter
    ranked = list(dict.fromkeys([*(best["box"] if best else []), *by_share, *ans.parameters]))
    px, py = ranked[0], ranked[1]
    spec = SweepSpec.model_validate(ans.meta["spec"])
    unit = ans.unit
    stable = ~(ans.per_set[f"unstable_{ans.treatment}"] | ans.per_set[f"unstable_{b}"]).to_numpy()
    y = ans.per_set[col].to_numpy(float)
    ok = stable & np.isfinite(y)
    wins = _better_sign(MAIN) * y > 0
    ix, iy = ans.parameters.index(px), ans.parameters.index(py)
    look = styles([ans.treatment, b])
    for mask, side in ((ok & wins, ans.treatment), (ok & ~wins, b)):
        ax.plot(
            unit[mask, ix],
            unit[mask, iy],
            **look[side].points(markersize=6.5),
            label=f"{names.get(side, side)} faster",
        )
    if best:
        (x0, x1), (y0, y1) = best["box"].get(px, (0, 1)), best["box"].get(py, (0, 1))
        ax.add_patch(Rectangle((x0, y0), x1 - x0, y1 - y0, fill=False, lw=2, ls="--", ec="black"))
        ax.plot(
            [], [], ls="--", c="black",
            label=f"box: faster in {best['share']:.0%} of its {best['sets']} sets",
        )  # fmt: skip
    for p, setter in ((px, ax.set_xticks), (py, ax.set_yticks)):
        qs = [0.0, 0.25, 0.5, 0.75, 0.999]
        prm = parameter_of(spec, p)
        if prm.values is not None:
            k = len(prm.values)
            setter([(i + 0.5) / k for i in range(k)], [str(v) for v in prm.values])
        else:
            setter(qs, [f"{prm.at(q):.3g}" for q in qs])
    ax.set_xlim(-0.02, 1.02)  # a set at a range's end is drawn whole
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(textwrap.fill(parameter_label(px, scenario), 70), fontsize=9)
    ax.set_ylabel(textwrap.fill(parameter_label(py, scenario), 45), fontsize=9)
    ax.set_title(
        f"Where {names.get(ans.treatment, ans.treatment)} are faster than {names.get(b, b)} on "
        "the same problems",
        fontsize=10,
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)
