"""A comparison told for a reader: the headline in words, the tables, and the files `compare`
writes."""

from __future__ import annotations

from pathlib import Path

from streetchief.equity import DIMENSIONS, worst_served
from streetchief.outcomes import OUTCOMES

LABELS = {
    "street_chief": "street chiefs",
    "hotline": "the 12345 hotline",
    "grid": "grid management",
    "multi_layer": "multi-layer routing",
    "recorded": "the recorded history",
}


PREDICTIVE = "90% predictive"  # the interval of a comparison whose replications draw parameters


def num(x) -> str:
    """A number for reading: thousands separated, three significant figures below 1000."""
    if x is None or x != x:
        return "—"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


COVERS = (
    "intervals: paired 95% CIs over the replications; they cover random variation only, not "
    "what is not known about the parameters (vary those: --set, a sweep)"
)


PREDICTIVE_COVERS = (
    "intervals: 90% predictive intervals of the paired difference over the posterior draws (one "
    "draw a replication): they cover what the calibration leaves unknown about the fitted values "
    "and the replication noise together, and do not narrow with more replications; the "
    "scenario's other values are fixed (vary them: --uncertainty)"
)


def said(row, less: str, more: str, unit: str = " h", who: str = "") -> str:
    """A paired difference in words: its size, its direction (under `who`), its interval."""
    way = (less if row.difference < 0 else more) + (f" {who}" if who else "")
    if row.ci_low != row.ci_low:
        return f"{num(abs(row.difference))}{unit} {way} (one replication: no interval)"
    predictive = getattr(row, "interval", None) == PREDICTIVE
    if row.ci_low <= 0 <= row.ci_high:
        if predictive:
            return (
                f"no clear difference over the posterior ({num(row.difference)}{unit} on "
                f"average; 90% of draws from {num(row.ci_low)} to {num(row.ci_high)})"
            )
        return (
            f"no significant difference ({num(row.difference)}{unit}, 95% CI "
            f"{num(row.ci_low)} to {num(row.ci_high)})"
        )
    lo, hi = sorted((abs(row.ci_low), abs(row.ci_high)))
    span = "90% of draws" if predictive else "95% CI"
    return f"{num(abs(row.difference))}{unit} {way} ({span} {num(lo)} to {num(hi)})"


def headline(cmp) -> str:
    """The treatment against the baseline, in words: speed on all issues and on the same problems,
    discovery, problems in the street per day, and the officials' hours."""
    t, b = cmp.treatment, cmp.baseline
    if t == b:
        return ""
    d = cmp.paired[(cmp.paired.arrangement == t)].set_index("outcome")
    res, common, per_day, left = (
        d.loc[k]
        for k in (
            "resolution_mean_h",
            "resolution_common_mean_h",
            "problem_hours_per_day",
            "unreported_problems",
        )
    )
    n = int(res.replications)
    lines = [f"Against {LABELS.get(b, b)} ({cmp.baseline_rule}), over {n} paired replications:"]
    under = f"under {LABELS.get(t, t)}"
    lines.append(
        "- speed, every reported issue: "
        + said(res, "faster on average", "slower on average", who=under)
    )
    shared = cmp.common_problems()
    if common.difference == common.difference:
        lines.append(
            f"- speed, the same problems ({num(shared)} a run, reported and fixed under every "
            "compared arrangement): " + said(common, "faster", "slower", who=under)
        )
    if left.arrangement_mean == left.baseline_mean == 0:
        lines.append("- discovery: no problem left unreported under either")
    else:
        lines.append(
            "- discovery: "
            + said(left, "fewer", "more", unit="", who=f"problems still unreported {under}")
            + f" at the end ({num(left.arrangement_mean)} against {num(left.baseline_mean)})"
        )
    if per_day.difference == per_day.difference:
        lines.append(
            f"- in the street ({cmp.window_words()}): "
            + said(per_day, "fewer", "more", unit="", who=f"problem-hours a day {under}")
        )
    else:
        lines.append(f"- in the street: no window of outcomes ({cmp.window_words()})")
    total, busy = d.loc["official_hours"], d.loc["official_busy_hours"]
    lines.append(
        f"- cost: {num(abs(total.difference))} {'more' if total.difference > 0 else 'fewer'} "
        f"officials' hours ({num(total.arrangement_mean)} against {num(total.baseline_mean)}, busy "
        f"and stand-by); busy on issues alone, {num(abs(busy.difference))} "
        f"{'more' if busy.difference > 0 else 'fewer'} ({num(busy.arrangement_mean)} against "
        f"{num(busy.baseline_mean)})"
    )
    lines.append(f"({PREDICTIVE_COVERS if 'interval' in cmp.paired else COVERS})")
    return "\n".join(lines)


def means_text(cmp) -> str:
    cols = list(cmp.means.columns[1:])
    width = max(14, *(len(c) + 1 for c in cols))
    out = [f"{'outcome (mean)':32s}" + "".join(f"{c:>{width}s}" for c in cols)]
    for _, row in cmp.means.iterrows():
        out.append(f"{row.outcome:32s}" + "".join(f"{num(row[c]):>{width}s}" for c in cols))
    return "\n".join(out)


def differences_text(cmp) -> str:
    others = [a for a in cmp.arrangements if a != cmp.baseline]
    n = cmp.per_run.replication.nunique()
    out = [
        f"difference from {cmp.baseline}, with its 95% CI over {n} paired replications (random "
        "variation only)"
        if "interval" not in cmp.paired
        else f"difference from {cmp.baseline}, with the 90% range of its {n} paired replications, "
        "each with its own posterior draw (the fitted values' uncertainty and random variation)"
    ]
    out.append(f"{'outcome':32s}" + "".join(f"{a:>37s}" for a in others))
    p = cmp.paired.set_index(["outcome", "arrangement"])
    for k in OUTCOMES:
        cells = []
        for a in others:
            r = p.loc[(k, a)]
            ci = "" if r.ci_low != r.ci_low else f" [{num(r.ci_low)}, {num(r.ci_high)}]"
            cells.append(f"{num(r.difference) + ci:>37s}")
        out.append(f"{k:32s}" + "".join(cells))
    return "\n".join(out)


def ledger_text(cmp) -> str:
    out = [
        "officials' hours over the run, by role (mean over replications): busy on issues + on "
        "stand-by (a dedicated role's shift beyond its busy time, a shared role's watch "
        "allowance) = total"
    ]
    for a in cmp.arrangements:
        rows = cmp.ledger[cmp.ledger.arrangement == a]
        busy, standby = rows.busy_hours.sum(), rows.standby_hours.sum()
        parts = ", ".join(
            f"{r.role} {num(r.busy_hours)}"
            + (f" + {num(r.standby_hours)}" if r.standby_hours else "")
            for r in rows.itertuples()
        )
        out.append(
            f"  {a:14s} {num(busy):>8s} + {num(standby):>8s} = {num(busy + standby):>8s}   "
            f"{parts or '—'}"
        )
    ce = cmp.cost_effectiveness()
    if len(ce):
        out.append(
            f"\ncost-effectiveness against {cmp.baseline}: problem-hours in the street saved a "
            f"day ({cmp.window_words()}) per extra official hour a day, on all hours and on busy "
            "hours"
        )
        for r in ce.itertuples():
            out.append(
                f"  {r.arrangement:14s} saves {num(r.problem_hours_saved_per_day):>7s} a day for "
                f"{num(r.extra_official_hours_per_day):>6s} more official hours a day "
                f"(ratio {num(r.saved_per_extra_official_hour)}; busy only: "
                f"{num(r.extra_busy_hours_per_day)} a day, ratio "
                f"{num(r.saved_per_extra_busy_hour)}): {r.verdict}"
            )
    return "\n".join(out)


def worst_text(cmp) -> str:
    out = ["served worst (the longest mean resolution; groups of at least 10 issues)"]
    for a in cmp.arrangements:
        w = worst_served(cmp.equity, a)
        bits = [
            f"{dim.replace('_', ' ')} {w[dim][0]} ({w[dim][1]:.1f} h, {w[dim][2]:.0%} on time)"
            for dim in DIMENSIONS
            if dim in w
        ]
        out.append(f"  {a:14s} " + "; ".join(bits))
    return "\n".join(out)


def comparison_text(cmp) -> str:
    """Everything `compare` prints."""
    parts = [
        headline(cmp),
        means_text(cmp),
        differences_text(cmp),
        ledger_text(cmp),
        worst_text(cmp),
    ]
    return "\n\n".join(p for p in parts if p)


# every file `compare` writes beside compare.json (its record lists each with its sha256)
COMPARE_FILES = (
    "comparison.csv",
    "differences.csv",
    "replications.csv",
    "equity.csv",
    "ledger.csv",
    "cost_effectiveness.csv",
    "equity_by_replication.csv",
    "ledger_by_replication.csv",
    "comparison.png",
    "equity.png",
)


def comparison_tables(cmp) -> dict:
    """The comparison's tables, by the file name they are written to."""
    return {
        "comparison.csv": cmp.means,
        "differences.csv": cmp.paired,
        "replications.csv": cmp.per_run,
        "equity.csv": cmp.equity,
        "ledger.csv": cmp.ledger,
        "cost_effectiveness.csv": cmp.cost_effectiveness(),
        # what equity.csv and ledger.csv average: verify --sample re-derives them from these
        "equity_by_replication.csv": cmp.equity_runs,
        "ledger_by_replication.csv": cmp.ledger_runs,
    }


def draw_figures(cmp, folder: Path) -> list[str]:
    """comparison.png (replication 0) and equity.png in `folder`; their names."""
    from streetchief.plots import comparison_figure, equity_figure

    comparison_figure(cmp.first, Path(folder) / "comparison.png", cmp.per_run.replication.nunique())
    equity_figure(cmp.equity, cmp.arrangements, Path(folder) / "equity.png")
    return ["comparison.png", "equity.png"]
