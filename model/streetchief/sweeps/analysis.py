"""What a sweep says: the advantage per point, where it vanishes or reverses (in words and a
figure), sensitivity indices, and figures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from streetchief.errors import SweepError
from streetchief.files import atomic_write, write_csv, write_text
from streetchief.outcomes import HIGHER_IS_BETTER
from streetchief.stats import paired_interval
from streetchief.sweeps.labels import difference_label, outcome_label, parameter_label, readable
from streetchief.sweeps.spec import SweepSpec, design_points, unit_problem

META_COLUMNS = {
    "run_id",
    "point_id",
    "replication",
    "seed",
    "arrangement",
    "status",
    "error",
    "seconds",
}


def load_runs(folder: str | Path) -> tuple[pd.DataFrame, dict]:
    """(runs.parquet as a DataFrame, sweep.json) of a sweep's output folder."""
    folder = Path(folder)
    runs_path, meta_path = folder / "runs.parquet", folder / "sweep.json"
    if meta_path.exists() and not runs_path.exists():
        raise SweepError(
            str(folder),
            [
                "no runs.parquet yet: the sweep stopped before its first results were gathered; "
                "start it again with the same command to finish it (or gather what is done)"
            ],
        )
    if not runs_path.exists() or not meta_path.exists():
        raise SweepError(
            str(folder),
            [
                "not a sweep's output folder: it needs runs.parquet and sweep.json (run "
                "`streetchief sweep SPEC --out DIR` first)"
            ],
        )
    from streetchief.sweeps.runner import read_meta

    meta = read_meta(folder)
    try:
        runs = pd.read_parquet(runs_path)
    except Exception as e:  # damaged, or not Parquet
        raise SweepError(str(runs_path), [f"cannot be read ({type(e).__name__}: {e})"]) from None
    needed = {"point_id", "replication", "arrangement", "status"} - set(runs.columns)
    if needed or not isinstance(meta.get("spec"), dict):
        raise SweepError(str(folder), ["runs.parquet and sweep.json are not a sweep's results"])
    return runs, meta


def incomplete(runs: pd.DataFrame, meta: dict, folder: Path | None = None) -> str | None:
    """A sentence saying how much of the sweep is missing or failed, or None when it is whole."""
    from streetchief.sweeps.store import writing_now

    status = meta.get("status")
    if status == "running" and folder is not None and not writing_now(Path(folder)):
        status = "stopped while running: its process was killed"
    total = meta.get("runs_total")
    ok = int((runs.status == "ok").sum())
    failed = int((runs.status == "failed").sum())
    if not isinstance(total, int) or ok == total:
        return None
    missing = total - ok - failed
    return (
        f"the sweep is incomplete ({status}): {ok} of {total} runs done "
        f"({ok / total:.0%}), {missing} not run yet, {failed} failed; the analysis covers the "
        "points that ran: start the sweep again with the same command to finish it"
    )


def parameter_columns(runs: pd.DataFrame, meta: dict) -> list[str]:
    spec = meta["spec"]
    return [*spec.get("uncertainties", {}), *spec.get("levers", {})]


def advantage(
    runs: pd.DataFrame, meta: dict, outcome: str = "resolution_mean_h", level: float = 0.95
) -> pd.DataFrame:
    """Per point: each arrangement's mean, the paired difference treatment − baseline over
    replications with its confidence interval, and whether it is significant (excludes 0)."""
    spec = meta["spec"]
    base, treat = spec["baseline"], spec["treatment"]
    if not base or not treat:
        raise SweepError(
            meta.get("name", "sweep"),
            [
                "the sweep names no baseline and treatment to compare; analyse one arrangement's "
                "outcome instead (indices(..., of=NAME))"
            ],
        )
    if outcome not in runs:
        known = [
            c
            for c in runs.columns
            if c not in META_COLUMNS and c not in parameter_columns(runs, meta)
        ]
        raise SweepError(
            meta.get("name", "sweep"),
            [f"unknown outcome {outcome!r}; this sweep has: {', '.join(known)}"],
        )
    params = parameter_columns(runs, meta)
    ok = runs[runs.status == "ok"]
    wide = ok.pivot_table(
        index=["point_id", "replication"], columns="arrangement", values=outcome, aggfunc="first"
    )
    if base not in wide or treat not in wide:
        raise SweepError(
            meta.get("name", "sweep"), [f"no successful runs of both {base} and {treat}"]
        )
    diff = (wide[treat] - wide[base]).rename("d").reset_index()
    # a point where either side's queue does not keep up in some replication: its gap is the
    # length of the run, not a difference between arrangements
    stuck = (
        ok[ok.arrangement.isin([base, treat])].groupby("point_id").unstable.max().fillna(0) > 0
        if "unstable" in ok
        else pd.Series(dtype=bool)
    )
    rows = []
    first = runs.drop_duplicates("point_id").set_index("point_id")
    for point, g in diff.groupby("point_id"):
        mean, low, high, n = paired_interval(g.d, level)
        w = wide.loc[point]
        rows.append(
            {
                "point_id": point,
                **{p: first.loc[point, p] for p in params},
                base: w[base].mean(),
                treat: w[treat].mean(),
                "difference": mean,
                "ci_low": low,
                "ci_high": high,
                "replications": n,
                "significant": bool(n > 1 and (low > 0 or high < 0)),
                "unstable": bool(stuck.get(point, False)),
            }
        )
    return pd.DataFrame(rows)


ADVANTAGE, NO_DIFFERENCE, REVERSAL = "advantage", "no significant difference", "reversal"
UNSTABLE = "a queue does not keep up"


def verdicts(adv: pd.DataFrame, outcome: str) -> pd.Series:
    """Per point: the treatment's advantage (significantly better), no significant difference, a
    reversal (the baseline significantly better), or no verdict where a queue does not keep up
    (its backlog still climbs at the end: the gap would grow with the run's length)."""
    sign = 1 if outcome in HIGHER_IS_BETTER else -1
    better = adv.significant & (np.sign(adv.difference) == sign)
    worse = adv.significant & (np.sign(adv.difference) == -sign)
    v = np.where(better, ADVANTAGE, np.where(worse, REVERSAL, NO_DIFFERENCE))
    if "unstable" in adv:
        v = np.where(adv.unstable.astype(bool), UNSTABLE, v)
    return pd.Series(v, index=adv.index)


def _association(values: pd.Series, inside: pd.Series) -> tuple[float, str]:
    """How differently a parameter is spread where the advantage vanishes than over all points
    (0: the same, 1: no overlap), and that difference in words."""
    v_in, v_all = values[inside], values
    if pd.api.types.is_numeric_dtype(values) and values.nunique() > 3:
        from scipy import stats

        ks = stats.ks_2samp(v_in.astype(float), values[~inside].astype(float)).statistic
        m_in, m_all = float(v_in.median()), float(v_all.median())
        way = "higher" if m_in > m_all else "lower"
        return ks, f"is {way} there: median {m_in:.3g} against {m_all:.3g} over all points"
    share_in = v_in.astype(str).value_counts(normalize=True)
    share_all = v_all.astype(str).value_counts(normalize=True)
    tv = 0.5 * share_in.sub(share_all, fill_value=0).abs().sum()
    top = (share_in / share_all.reindex(share_in.index)).idxmax()
    return tv, (
        f"is {top} at {share_in[top]:.0%} of them, against {share_all[top]:.0%} of all points"
    )


def where_it_vanishes(
    adv: pd.DataFrame,
    params: list[str],
    outcome: str,
    treatment: str,
    baseline: str,
    top: int = 3,
    design_points: int | None = None,
) -> tuple[list[str], list[str]]:
    """(sentences, parameters): the verdicts counted in words, and the parameters that most set the
    points where the advantage vanishes or reverses apart from the others, strongest first. With
    `design_points` more than the points that ran, the words speak of those points only."""
    ran = len(adv)
    every, any_ = "at every point of this design", "at any point of this design"
    if design_points is not None and ran < design_points:
        left = f"the {ran} points that ran ({design_points - ran} of the design's "
        left += f"{design_points} have not)"
        every, any_ = f"at every one of {left}", f"at any of {left}"
    v = verdicts(adv, outcome)
    stable = (v != UNSTABLE).to_numpy()
    counts = v.value_counts()
    better = "higher" if outcome in HIGHER_IS_BETTER else "lower"
    lines = [
        f"{treatment} against {baseline} in {outcome} ({better} is better), at {int(stable.sum())} "
        f"points: an advantage at {counts.get(ADVANTAGE, 0)}, no significant difference at "
        f"{counts.get(NO_DIFFERENCE, 0)}, a reversal at {counts.get(REVERSAL, 0)}."
    ]
    if not stable.all():
        lines[0] += (
            f" At {counts[UNSTABLE]} more, a queue does not keep up (its backlog still climbs at "
            "the end): no verdict there, and they are left out of what follows."
        )
    adv, v = adv[stable], v[stable]
    if not len(adv):
        return lines, []
    inside = v != ADVANTAGE
    if not inside.any():
        return lines + [f"The advantage holds {every}."], []
    if inside.all():
        return lines + [f"{treatment} has no significant advantage {any_}."], []
    ranked = sorted(((*_association(adv[p], inside), p) for p in params), reverse=True)
    lines.append(
        f"Where the advantage vanishes or reverses ({int(inside.sum())} points), compared with all "
        "points:"
    )
    lines += [f"- {p} {words} (difference {score:.2f})" for score, words, p in ranked[:top]]
    return lines, [p for _, _, p in ranked]


def region_figure(adv: pd.DataFrame, x: str, y: str, outcome: str, path=None, scenario=None):
    """The design's points over two parameters, marked: the advantage holds, vanishes, reverses."""
    import matplotlib.pyplot as plt

    v = verdicts(adv, outcome)
    styles = {
        ADVANTAGE: ("#0072B2", "o"),
        NO_DIFFERENCE: ("#999999", "s"),
        REVERSAL: ("#D55E00", "^"),
        UNSTABLE: ("#000000", "x"),
    }
    fig, ax = plt.subplots(figsize=(7.5, 5.5))
    rng = np.random.default_rng(0)

    def coords(col):
        if pd.api.types.is_numeric_dtype(adv[col]) and adv[col].nunique() > 3:
            return adv[col].astype(float).to_numpy(), None
        cats = sorted(adv[col].astype(str).unique())
        codes = adv[col].astype(str).map({c: k for k, c in enumerate(cats)}).to_numpy(float)
        return codes + rng.uniform(-0.2, 0.2, len(codes)), cats

    xs, xcats = coords(x)
    ys, ycats = coords(y)
    for values, cats, scale in ((xs, xcats, ax.set_xscale), (ys, ycats, ax.set_yscale)):
        if cats is None and values.min() > 0 and values.max() / values.min() > 20:
            scale("log")  # a range over orders of magnitude (loguniform) reads better on a log axis
    for verdict, (colour, marker) in styles.items():
        m = (v == verdict).to_numpy()
        if verdict == UNSTABLE and not m.any():
            continue
        ax.scatter(
            xs[m],
            ys[m],
            c=colour,
            marker=marker,
            s=50,
            label=f"{verdict} ({m.sum()})",
            edgecolor="white" if marker != "x" else None,
            linewidth=0.5 if marker != "x" else 1.5,
        )
    if xcats:
        ax.set_xticks(range(len(xcats)), xcats)
    if ycats:
        ax.set_yticks(range(len(ycats)), ycats)
    ax.set_xlabel(parameter_label(x, scenario))
    ax.set_ylabel(parameter_label(y, scenario))
    ax.legend(
        fontsize=8, title=f"{outcome_label(outcome)}: treatment against baseline", title_fontsize=8
    )
    ax.set_title("Where the advantage holds, vanishes or reverses")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return _save(fig, path)


def indices(
    runs: pd.DataFrame,
    meta: dict,
    outcome: str = "resolution_mean_h",
    of: str = "difference",
    seed: int = 1,
) -> pd.DataFrame:
    """Sobol (S1, ST) or Morris (mu_star, sigma) indices with 95% confidence intervals, for the
    designs that have them; `of` is "difference" (treatment − baseline) or an arrangement."""
    spec = SweepSpec.model_validate(meta["spec"])
    if spec.design not in ("sobol", "morris"):
        raise SweepError(
            meta.get("name", "sweep"),
            [
                f"indices need a sobol or morris design; this one is {spec.design} (see the "
                "tornado figure instead)"
            ],
        )
    points, unit = design_points(spec)
    if of == "difference":
        y = advantage(runs, meta, outcome).set_index("point_id")["difference"]
    else:
        ok = runs[(runs.status == "ok") & (runs.arrangement == of)]
        if not len(ok):
            raise SweepError(meta.get("name", "sweep"), [f"no successful runs of {of!r}"])
        y = ok.groupby("point_id")[outcome].mean()
    y = y.reindex(range(len(points)))
    if y.isna().any():
        missing = int(y.isna().sum())
        raise SweepError(
            meta.get("name", "sweep"),
            [
                f"{missing} of {len(points)} points have no result; indices need all (run the "
                "sweep again to finish or retry them)"
            ],
        )
    names = list(spec.parameters)
    problem = unit_problem(names)
    Y = y.to_numpy(float)
    if spec.design == "sobol":
        from SALib.analyze import sobol

        r = sobol.analyze(problem, Y, calc_second_order=False, seed=seed)
        return pd.DataFrame(
            {
                "parameter": names,
                "S1": r["S1"],
                "S1_conf": r["S1_conf"],
                "ST": r["ST"],
                "ST_conf": r["ST_conf"],
            }
        )
    from SALib.analyze import morris

    r = morris.analyze(problem, np.clip(unit, 0, 1), Y, num_levels=spec.morris_levels, seed=seed)
    return pd.DataFrame(
        {
            "parameter": names,
            "mu_star": r["mu_star"],
            "mu_star_conf": r["mu_star_conf"],
            "sigma": r["sigma"],
        }
    )


def _levels(x: pd.Series, bins: int = 6) -> pd.Series:
    """The values themselves when few, else equal-width bins labelled by their middle."""
    if x.nunique() <= 12:
        return x
    cut = pd.cut(x.astype(float), bins)
    return cut.map(lambda iv: round(iv.mid, 3)).astype(float)


def tornado(adv: pd.DataFrame, params: list[str]) -> pd.DataFrame:
    """Per parameter: the mean advantage over the lowest and the highest third of its values."""
    rows = []
    for p in params:
        x = (
            adv[p].astype(float)
            if pd.api.types.is_numeric_dtype(adv[p])
            else adv[p].astype("category").cat.codes
        )
        lo, hi = x.quantile(1 / 3), x.quantile(2 / 3)
        low, high = adv.difference[x <= lo].mean(), adv.difference[x >= hi].mean()
        rows.append(
            {"parameter": p, "low_third": low, "high_third": high, "swing": abs(high - low)}
        )
    out = pd.DataFrame(rows).sort_values("swing", ascending=True)
    out.attrs["pair"] = _pair(adv)  # (baseline, treatment), for the figure's words
    return out


# --- figures --------------------------------------------------------------------------------------
MISSING = "no point"  # what a heat-map cell without a point of the design says
UNDEFINED = "no value"  # a cell with points whose outcome is undefined in every replication


def heatmap_figure(adv: pd.DataFrame, x: str, y: str, outcome: str, path=None, scenario=None):
    """The mean advantage over two parameters' levels, blue where the treatment does better; a
    cell no point of the design fell in is grey, hatched and says so (never the white of "no
    difference")."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch, Rectangle

    cells = adv.assign(_x=_levels(adv[x]), _y=_levels(adv[y]))
    grid = cells.pivot_table(
        index="_y", columns="_x", values="difference", aggfunc="mean", dropna=False
    )
    values = grid.to_numpy(float)
    points = (
        cells.groupby(["_y", "_x"]).size().unstack().reindex(index=grid.index, columns=grid.columns)
    )
    empty = points.isna().to_numpy() | (points.fillna(0).to_numpy() == 0)
    fig, ax = plt.subplots(figsize=(8, 5.5))
    lim = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
    im = ax.imshow(
        values,
        origin="lower",
        cmap="RdBu" if outcome in HIGHER_IS_BETTER else "RdBu_r",
        vmin=-lim,
        vmax=lim,
        aspect="auto",
    )
    ax.set_xticks(range(len(grid.columns)), [readable(v) for v in grid.columns])
    ax.set_yticks(range(len(grid.index)), [readable(v) for v in grid.index])
    for (i, j), v in np.ndenumerate(values):
        if v == v:
            ax.text(j, i, readable(v), ha="center", va="center", fontsize=8)
        else:
            ax.add_patch(
                Rectangle(
                    (j - 0.5, i - 0.5),
                    1,
                    1,
                    facecolor="#bdbdbd",
                    hatch="///",
                    edgecolor="#7f7f7f",
                    linewidth=0,
                )
            )
            what = MISSING if empty[i, j] else UNDEFINED
            ax.text(j, i, what, ha="center", va="center", fontsize=7, color="#333")
    ax.set_xlabel(_wrap(parameter_label(x, scenario), 70))
    ax.set_ylabel(_wrap(parameter_label(y, scenario), 45))
    base, treat = _pair(adv)
    fig.colorbar(im, ax=ax, label=_wrap(difference_label(outcome, treat, base)))
    if np.isnan(values).any():
        grey = {"facecolor": "#bdbdbd", "hatch": "///", "edgecolor": "#7f7f7f"}
        handles = [Patch(**grey, label=f"{MISSING}: no point of the design in the cell")]
        if (np.isnan(values) & ~empty).any():
            handles.append(
                Patch(**grey, label=f"{UNDEFINED}: points, but the outcome undefined in every run")
            )
        ax.legend(
            handles=handles, loc="upper left", bbox_to_anchor=(0, -0.12), fontsize=8, frameon=False
        )
    ax.set_title("Street-chief advantage (mean over the points in each cell)")
    fig.missing_cells, fig.cells = int(empty.sum()), int(values.size)
    fig.undefined_cells = int((np.isnan(values) & ~empty).sum())
    fig.tight_layout()
    return _save(fig, path)


def _pair(adv: pd.DataFrame) -> tuple[str, str]:
    """The baseline and the treatment of an advantage table (its two arrangement columns)."""
    from streetchief.sweeps.labels import ARRANGEMENT_WORDS

    names = [c for c in adv.columns if c in ARRANGEMENT_WORDS]
    return (names[0], names[1]) if len(names) == 2 else ("multi_layer", "street_chief")


def _wrap(text: str, width: int = 48) -> str:
    import textwrap

    return "\n".join(textwrap.wrap(text, width))


def indices_figure(ind: pd.DataFrame, outcome: str, path=None, scenario=None):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.6 * len(ind) + 1.5))
    y = np.arange(len(ind))
    if "ST" in ind:
        ax.barh(y + 0.2, ind.ST, 0.4, xerr=ind.ST_conf, label="total (ST)", color="#1f77b4")
        ax.barh(y - 0.2, ind.S1, 0.4, xerr=ind.S1_conf, label="first order (S1)", color="#aec7e8")
        ax.set_xlabel("Sobol index (95% CI)")
    else:
        ax.barh(y, ind.mu_star, 0.6, xerr=ind.mu_star_conf, color="#1f77b4", label="mu*")
        ax.set_xlabel("Morris mu* (effect per unit of the parameter's range, 95% CI)")
    ax.set_yticks(y, [_wrap(parameter_label(p, scenario), 40) for p in ind.parameter])
    ax.legend(fontsize=8)
    ax.set_title(_wrap(f"What drives the advantage in {outcome_label(outcome)}", 60))
    ax.grid(alpha=0.3, axis="x")
    fig.tight_layout()
    return _save(fig, path)


def tornado_figure(tor: pd.DataFrame, overall: float, outcome: str, path=None, scenario=None):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 0.6 * len(tor) + 1.5))
    y = np.arange(len(tor))
    ax.barh(
        y,
        tor.low_third - overall,
        left=overall,
        color="#aec7e8",
        label="lowest third of the values",
    )
    ax.barh(y, tor.high_third - overall, left=overall, color="#1f77b4", label="highest third")
    ax.axvline(overall, color="k", lw=0.8)
    ax.set_yticks(y, [_wrap(parameter_label(p, scenario), 40) for p in tor.parameter])
    base, treat = tor.attrs.get("pair", ("multi_layer", "street_chief"))
    ax.set_xlabel(_wrap("mean " + difference_label(outcome, treat, base), 70))
    ax.legend(fontsize=8)
    ax.set_title("Tornado: how far each parameter moves the advantage")
    fig.tight_layout()
    return _save(fig, path)


def boxplot_figure(runs: pd.DataFrame, parameter: str, outcome: str, path=None, scenario=None):
    import matplotlib.pyplot as plt

    from streetchief.plots import LABELS, styles

    ok = runs[runs.status == "ok"].assign(_level=lambda d: _levels(d[parameter]))
    levels = sorted(ok._level.dropna().unique())
    arrs = list(dict.fromkeys(ok.arrangement))
    look = styles(arrs)
    fig, ax = plt.subplots(figsize=(min(14, max(6, 0.6 * len(levels) * len(arrs) + 2)), 4.5))
    width = 0.8 / len(arrs)
    for k, a in enumerate(arrs):
        data = [ok[(ok.arrangement == a) & (ok._level == lv)][outcome].dropna() for lv in levels]
        pos = np.arange(len(levels)) + (k - (len(arrs) - 1) / 2) * width
        b = ax.boxplot(
            data,
            positions=pos,
            widths=width * 0.9,
            patch_artist=True,
            manage_ticks=False,
            medianprops={"color": "black", "linewidth": 1.5},  # shows on every fill
            label=LABELS.get(a, a),  # on its first box: one legend entry an arrangement
        )
        for patch in b["boxes"]:
            patch.set(**look[a].bar())
    ax.legend(fontsize=8)
    ax.set_xticks(range(len(levels)), [readable(v) for v in levels])
    ax.set_xlabel(parameter_label(parameter, scenario))
    ax.set_ylabel(_wrap(outcome_label(outcome), 40))
    ax.grid(alpha=0.3, axis="y")
    what = parameter_label(parameter, scenario)
    ax.set_title(_wrap(f"{outcome_label(outcome)}, per level of {what}", 80))
    fig.tight_layout()
    return _save(fig, path)


def _save(fig, path):
    import matplotlib.pyplot as plt

    if path is not None:
        atomic_write(Path(path), lambda tmp: fig.savefig(tmp, dpi=110, format="png"))
        plt.close(fig)
    return fig


def analysis_record(folder: str | Path, outcome: str, x: str | None, y: str | None) -> dict:
    """What produced an analysis (analysis.json, for `streetchief verify`): the sweep folder, the
    options and the sha256 of the runs it read."""
    from streetchief.provenance import file_hash, provenance

    folder = Path(folder).resolve()
    return {
        "kind": "analysis",
        "sweep": str(folder),
        "runs_sha256": file_hash(folder / "runs.parquet"),
        "outcome": outcome,
        "x": x,
        "y": y,
        "provenance": provenance(),
    }


def base_scenario(meta: dict):
    """The sweep's base scenario, for names (a layer's); None when it cannot be loaded here."""
    from streetchief.errors import ScenarioError
    from streetchief.scenario import load_scenario

    try:
        return load_scenario(meta["spec"]["scenario"])
    except (ScenarioError, OSError, KeyError, TypeError, ValueError):
        return None


def analyze(
    folder: str | Path,
    outcome: str = "resolution_mean_h",
    x: str | None = None,
    y: str | None = None,
    out: str | Path | None = None,
) -> dict:
    """Everything `streetchief analyze` writes: tables and figures in `out` (DIR/analysis)."""
    runs, meta = load_runs(folder)
    out = Path(out) if out is not None else Path(folder) / "analysis"
    params = parameter_columns(runs, meta)
    for name, p in (("--x", x), ("--y", y)):
        if p is not None and p not in params:
            raise SweepError(
                str(folder),
                [f"{name} {p!r} is not a parameter of this sweep; it has: {', '.join(params)}"],
            )
    adv = advantage(runs, meta, outcome)
    adv["verdict"] = verdicts(adv, outcome)
    scenario = base_scenario(meta)
    write_csv(adv, out / "advantage.csv")
    base, treat = meta["spec"]["baseline"], meta["spec"]["treatment"]
    points = meta.get("points")
    words, deciding = where_it_vanishes(
        adv, params, outcome, treat, base, design_points=points if isinstance(points, int) else None
    )
    report = {
        "advantage": adv,
        "figures": [],
        "baseline": base,
        "treatment": treat,
        "words": words,
        "incomplete": incomplete(runs, meta, folder),
    }
    write_text("\n".join(words) + "\n", out / "where_it_vanishes.txt")
    if len(params) > 1:
        rx = x or (deciding[0] if deciding else params[0])
        ry = y or next(p for p in (deciding or params) + params if p != rx)
        region_figure(adv, rx, ry, outcome, out / "region.png", scenario)
        report["figures"].append(out / "region.png")
    # gaps only where both queues keep up: an unstable point's would grow with the run's length
    steady = adv[~adv.unstable] if "unstable" in adv else adv
    # by default, the two parameters that move the advantage most
    tor = tornado(steady, params)
    ranked = [p for p in tor.parameter[::-1] if pd.api.types.is_numeric_dtype(adv[p])] or params
    x = x or ranked[0]
    y = y or next((p for p in ranked if p != x), None)
    if y is not None:
        heatmap_figure(steady, x, y, outcome, out / "heatmap.png", scenario)
        report["figures"].append(out / "heatmap.png")
    if meta["spec"]["design"] in ("sobol", "morris"):
        ind = indices(runs, meta, outcome)
        write_csv(ind, out / "indices.csv")
        indices_figure(ind, outcome, out / "indices.png", scenario)
        report["indices"] = ind
        report["figures"].append(out / "indices.png")
    else:
        write_csv(tor, out / "tornado.csv")
        tornado_figure(tor, steady.difference.mean(), outcome, out / "tornado.png", scenario)
        report["tornado"] = tor
        report["figures"].append(out / "tornado.png")
    boxplot_figure(runs, x, outcome, out / "boxplots.png", scenario)
    report["figures"].append(out / "boxplots.png")
    report["out"] = out
    return report
