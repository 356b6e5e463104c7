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


def num(x) -> str:
    """A number for reading: thousands separated, three significant figures below 1000."""
    if x is None or x != x:
        return "—"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}"


def _hours(x: float) -> str:
    return f"{abs(x):.1f} h"


def headline(cmp) -> str:
    """The treatment against the baseline, in words: speed, discovery, the officials' hours."""
    t, b = cmp.treatment, cmp.baseline
    if t == b:
        return ""
    d = cmp.paired[(cmp.paired.arrangement == t)].set_index("outcome")
    res, prob, left, hours = (
        d.loc[k]
        for k in (
            "resolution_mean_h",
            "open_problem_hours",
            "unreported_problems",
            "official_hours",
        )
    )
    n = int(res.replications)
    lines = [f"Against {LABELS.get(b, b)} ({cmp.baseline_rule}), over {n} paired replications:"]

    def said(row, less: str, more: str, unit: str = " h") -> str:
        way = less if row.difference < 0 else more
        if row.ci_low != row.ci_low:
            return f"{num(abs(row.difference))}{unit} {way} (one replication: no interval)"
        if row.ci_low <= 0 <= row.ci_high:
            return (
                f"no significant difference ({num(row.difference)}{unit}, 95% CI "
                f"{num(row.ci_low)} to {num(row.ci_high)})"
            )
        lo, hi = sorted((abs(row.ci_low), abs(row.ci_high)))
        return f"{num(abs(row.difference))}{unit} {way} (95% CI {num(lo)} to {num(hi)})"

    lines.append(
        f"- speed: {LABELS.get(t, t)} resolve a reported issue "
        + said(res, "faster on average", "slower on average")
    )
    if left.arrangement_mean == left.baseline_mean == 0:
        lines.append("- discovery: no problem left unreported under either")
    else:
        lines.append(
            "- discovery: "
            + said(left, "fewer", "more", unit="")
            + f" problems still unreported at the end ({num(left.arrangement_mean)} against "
            f"{num(left.baseline_mean)})"
        )
    lines.append(
        "- in the street, from arising to resolution (unreported time included): "
        + said(prob, "fewer problem-hours", "more problem-hours", unit="")
    )
    lines.append(
        f"- cost: {num(abs(hours.difference))} {'more' if hours.difference > 0 else 'fewer'} "
        f"officials' hours ({num(hours.arrangement_mean)} against {num(hours.baseline_mean)})"
    )
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
    out = [f"difference from {cmp.baseline}, with its 95% CI ({n} paired replications)"]
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
        "officials' hours over the run, by role (mean over replications; dedicated roles count "
        "their hours on duty, the others their hours on issues)"
    ]
    for a in cmp.arrangements:
        rows = cmp.ledger[cmp.ledger.arrangement == a]
        total = rows.hours.sum()
        parts = ", ".join(f"{r.role} {num(r.hours)}" for r in rows.itertuples())
        out.append(f"  {a:14s} {num(total):>10s}   {parts or '—'}")
    ce = cmp.cost_effectiveness()
    if len(ce):
        out.append(
            f"\ncost-effectiveness against {cmp.baseline} (problem-hours saved per extra official "
            "hour)"
        )
        for r in ce.itertuples():
            ratio = (
                "—"
                if r.saved_per_extra_official_hour != r.saved_per_extra_official_hour
                else num(r.saved_per_extra_official_hour)
            )
            out.append(
                f"  {r.arrangement:14s} saved {num(r.problem_hours_saved):>10s} problem-hours, "
                f"{num(r.extra_official_hours):>9s} extra official hours, ratio {ratio}: "
                f"{r.verdict}"
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


def comparison_tables(cmp) -> dict:
    """The comparison's tables, by the file name they are written to."""
    return {
        "comparison.csv": cmp.means,
        "differences.csv": cmp.paired,
        "replications.csv": cmp.per_run,
        "equity.csv": cmp.equity,
        "ledger.csv": cmp.ledger,
        "cost_effectiveness.csv": cmp.cost_effectiveness(),
    }


def draw_figures(cmp, folder: Path) -> list[str]:
    """comparison.png (replication 0) and equity.png in `folder`; their names."""
    from streetchief.plots import comparison_figure, equity_figure

    comparison_figure(cmp.first, Path(folder) / "comparison.png", cmp.per_run.replication.nunique())
    equity_figure(cmp.equity, cmp.arrangements, Path(folder) / "equity.png")
    return ["comparison.png", "equity.png"]
