"""What the parameter sets show: for each baseline and outcome, the probability that the treatment
is better, the spread of the paired difference (parameter uncertainty apart from replication
noise), what decides it (RBD-FAST first-order indices, SALib) and the boxes of the ranges where the
treatment wins or loses (a shallow decision tree, scikit-learn)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from streetchief.errors import SweepError
from streetchief.outcomes import HIGHER_IS_BETTER

# the outcomes the answer speaks of, with what "better" means for the treatment in words
HEADLINE = {
    "resolution_common_mean_h": ("faster on the same problems", "h"),
    "resolution_mean_h": ("faster over every reported issue", "h"),
    "problem_hours_per_day": ("leaves fewer problem-hours in the street a day", "problem-hours"),
    "unreported_problems": ("leaves fewer problems unreported at the end", "problems"),
    "official_hours": ("costs fewer officials' hours (busy and stand-by)", "h"),
    "official_busy_hours": ("costs fewer officials' busy hours", "h"),
}
MAIN = "resolution_common_mean_h"
SENSITIVITY = ["baseline", "outcome", "parameter", "S1", "S1_conf", "prcc", "prcc_p", "decides"]


@dataclass
class Answer:
    """The treatment against each baseline over the parameter sets."""

    treatment: str
    baselines: list[str]
    strongest: str  # the baseline the treatment fares worst against on the main outcome
    sets: int
    replications: int
    parameters: list[str]
    table: pd.DataFrame  # one row per baseline × outcome
    per_set: pd.DataFrame  # one row per set: its parameters, stability and mean differences
    sensitivity: pd.DataFrame  # baseline, outcome, parameter, S1, S1_conf
    boxes: list[dict]  # per baseline × outcome: the tree's leaves in words
    meta: dict = field(repr=False, default_factory=dict)
    unit: np.ndarray | None = field(repr=False, default=None)  # each set's quantiles in [0, 1)
    named: str | None = None  # a baseline the user named, spoken of first instead of the strongest

    @property
    def focus(self) -> str:
        """The baseline spoken of first and drawn: the one named, else the strongest."""
        return self.named or self.strongest

    def row(self, baseline: str, outcome: str = MAIN) -> pd.Series:
        t = self.table
        return t[(t.baseline == baseline) & (t.outcome == outcome)].iloc[0]


def _better_sign(outcome: str) -> int:
    """+1 where a positive difference (treatment − baseline) is better for the treatment."""
    return 1 if outcome in HIGHER_IS_BETTER else -1


def answer(
    runs: pd.DataFrame,
    meta: dict,
    outcomes: list[str] | None = None,
    baseline: str | None = None,
) -> Answer:
    """The answer from an uncertainty sweep's runs (`runs.parquet`, `sweep.json`); a `baseline`
    named is spoken of first (default: the strongest)."""
    from streetchief.sweeps.spec import SweepSpec, design_points

    spec = SweepSpec.model_validate(meta["spec"])
    points, unit = design_points(spec)
    params = list(spec.parameters) + list(spec.given)
    if spec.given:  # a posterior's draws enter the analysis as their quantiles in the sample
        from scipy.stats import rankdata

        ranks = [(rankdata(points[g], method="average") - 0.5) / len(points) for g in spec.given]
        unit = np.column_stack([unit, *ranks])
    treat = spec.treatment
    baselines = [a for a in spec.arrangements if a != treat]
    ok = runs[runs.status == "ok"]
    outcomes = [o for o in (outcomes or list(HEADLINE)) if o in ok]
    if not len(ok) or not outcomes:
        raise SweepError(meta.get("name", "uncertainty"), ["no successful runs to analyse"])
    unstable = (
        (ok.groupby(["point_id", "arrangement"]).unstable.max().unstack(fill_value=0) > 0)
        if "unstable" in ok
        else pd.DataFrame(False, index=range(len(points)), columns=spec.arrangements)
    ).reindex(index=range(len(points)), columns=spec.arrangements, fill_value=False)
    per_set = points.copy()
    per_set.insert(0, "set", range(len(points)))
    for a in spec.arrangements:
        per_set[f"unstable_{a}"] = unstable[a].to_numpy(bool)
    # each outcome by (set, replication) × arrangement, once for every baseline
    wides = {
        o: ok.pivot_table(
            index=["point_id", "replication"], columns="arrangement", values=o, aggfunc="first"
        )
        for o in outcomes
    }
    rows, sens, boxes = [], [], []
    for b in baselines:
        stable = ~(unstable[treat] | unstable[b]).to_numpy(bool)
        for o in outcomes:
            wide = wides[o]
            if treat not in wide or b not in wide:
                continue
            d = (wide[treat] - wide[b]).astype(float).dropna()
            g = d.groupby(level="point_id")
            m = g.mean().reindex(range(len(points)))
            per_set[f"{o}:{b}"] = m.to_numpy()
            use = stable & m.notna().to_numpy()
            within, runs_of = (x.reindex(m.index)[use] for x in (g.var(ddof=1), g.size()))
            rows.append(_summary(b, o, m[use], within, runs_of))
            rows[-1]["unstable_sets"] = int((~stable & m.notna().to_numpy()).sum())
            if use.sum() >= 8:
                y = m[use].to_numpy(float)
                sens.extend(_sensitivity(b, o, params, unit[use], y))
                boxes.append(_boxes(b, o, spec, unit[use], _better_sign(o) * y > 0))
    table = pd.DataFrame(rows)
    if table.empty:
        raise SweepError(meta.get("name", "uncertainty"), ["no set with both arrangements' runs"])
    main = table[table.outcome == MAIN] if (table.outcome == MAIN).any() else table
    # the strongest baseline: where the treatment's chance of being better is lowest
    strongest = main.sort_values(["p_better", "median"], ascending=[True, False]).baseline.iloc[0]
    if baseline is not None and baseline not in baselines:
        raise SweepError(
            meta.get("name", "uncertainty"),
            [f"baseline {baseline!r} is not among the compared ({', '.join(baselines)})"],
        )
    return Answer(
        treat,
        baselines,
        strongest,
        len(points),
        spec.replications,
        params,
        table,
        per_set,
        pd.DataFrame(sens, columns=SENSITIVITY),
        boxes,
        meta,
        unit,
        baseline,
    )


def _summary(baseline, outcome, m: pd.Series, within: pd.Series, runs_of: pd.Series) -> dict:
    """Probability better, quantiles across sets, and the variance split of one difference."""
    from scipy.stats import binomtest

    n = len(m)
    sign = _better_sign(outcome)
    k = int((sign * m > 0).sum())
    lo, hi = binomtest(k, n).proportion_ci(0.95, method="wilson") if n else (math.nan, math.nan)
    reps = float(runs_of.mean()) if n else math.nan  # replications in a set's mean
    w = float(within.mean()) if within.notna().any() else math.nan  # one run's replication var
    between = float(m.var(ddof=1)) if n > 1 else math.nan
    param = max(between - (w / reps if math.isfinite(w) else 0.0), 0.0) if n > 1 else math.nan
    total = param + w if math.isfinite(w) else math.nan
    return {
        "baseline": baseline,
        "outcome": outcome,
        "sets": n,
        "p_better": k / n if n else math.nan,
        "p_low": float(lo),
        "p_high": float(hi),
        "median": float(m.median()) if n else math.nan,
        "q05": float(m.quantile(0.05)) if n else math.nan,
        "q95": float(m.quantile(0.95)) if n else math.nan,
        "sd_parameters": math.sqrt(param) if math.isfinite(param) else math.nan,
        "sd_replication": math.sqrt(w) if math.isfinite(w) else math.nan,
        "parameter_share": param / total if total and math.isfinite(total) else math.nan,
    }


def _sensitivity(baseline, outcome, params, x: np.ndarray, y: np.ndarray) -> list[dict]:
    """Per parameter: its partial rank correlation with the difference (PRCC: the others'
    ranks regressed out, as for Latin hypercube designs; p-values with a 5% false discovery
    rate over the parameters) and its RBD-FAST first-order share of the variance (SALib)."""
    from SALib.analyze import rbd_fast
    from scipy.stats import false_discovery_control

    from streetchief.sweeps.spec import unit_problem

    if np.ptp(y) == 0:
        return [dict(baseline=baseline, outcome=outcome, parameter=p, S1=0.0, S1_conf=0.0,
                     prcc=0.0, prcc_p=1.0, decides=False) for p in params]  # fmt: skip
    harmonics = max(1, min(10, (len(y) - 1) // 8))
    r = rbd_fast.analyze(unit_problem(params), x, y, M=harmonics, num_resamples=100, seed=1)
    rho, pv = prcc(x, y)
    decides = false_discovery_control(np.nan_to_num(pv, nan=1.0)) < 0.05
    return [
        dict(baseline=baseline, outcome=outcome, parameter=p, S1=float(s), S1_conf=float(c),
             prcc=float(q), prcc_p=float(v), decides=bool(d))
        for p, s, c, q, v, d in zip(params, r["S1"], r["S1_conf"], rho, pv, decides, strict=True)
    ]  # fmt: skip


def prcc(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Partial rank correlation of y with each column of x, and its two-sided p-value (t with
    n − 2 − (D − 1) degrees of freedom). NaN where too few sets for the parameters."""
    from scipy.stats import rankdata, t

    n, d = x.shape
    dof = n - 2 - (d - 1)
    rho, pv = np.full(d, np.nan), np.full(d, np.nan)
    if dof < 1:
        return rho, pv
    rx, ry = rankdata(x, axis=0), rankdata(y)
    ones = np.ones((n, 1))
    for j in range(d):
        others = np.hstack([ones, np.delete(rx, j, axis=1)])
        res = [v - others @ np.linalg.lstsq(others, v, rcond=None)[0] for v in (rx[:, j], ry)]
        den = np.linalg.norm(res[0]) * np.linalg.norm(res[1])
        if den == 0:
            continue
        rho[j] = float(np.clip(res[0] @ res[1] / den, -1.0, 1.0))
        tt = rho[j] * math.sqrt(dof / max(1e-300, 1 - rho[j] ** 2))
        pv[j] = float(2 * t.sf(abs(tt), dof))
    return rho, pv


def _boxes(baseline, outcome, spec, x: np.ndarray, better: np.ndarray) -> dict:
    """The leaves of a depth-2 decision tree on which sets the treatment is better in: each a box
    of the ranges (per parameter, a quantile interval), its sets and its share better."""
    from sklearn.tree import DecisionTreeClassifier

    params = list(spec.parameters) + list(spec.given)
    out = {"baseline": baseline, "outcome": outcome, "share": float(better.mean()), "leaves": []}
    if better.all() or not better.any():
        return out
    tree = DecisionTreeClassifier(
        max_depth=2, min_samples_leaf=max(5, math.ceil(0.1 * len(better))), random_state=0
    ).fit(x, better)
    t = tree.tree_

    def walk(node, box):
        if t.children_left[node] == -1:
            inside = np.all([(x[:, j] >= lo) & (x[:, j] < hi) for j, (lo, hi) in box.items()], 0)
            inside = inside if box else np.ones(len(x), bool)
            out["leaves"].append(
                {
                    "box": {params[j]: list(v) for j, v in box.items()},
                    "sets": int(inside.sum()),
                    "share": float(better[inside].mean()) if inside.any() else math.nan,
                }
            )
            return
        j, u = int(t.feature[node]), float(t.threshold[node])
        lo, hi = box.get(j, (0.0, 1.0))
        walk(t.children_left[node], {**box, j: (lo, min(hi, u))})
        walk(t.children_right[node], {**box, j: (max(lo, u), hi)})

    walk(0, {})
    return out


def box_words(box: dict, spec, scenario=None) -> str:
    """A box of quantile intervals as conditions on the parameters' own values."""
    from streetchief.sweeps.labels import parameter_label, readable

    parts = []
    for path, (lo, hi) in box.items():
        p = parameter_of(spec, path)
        name = short_label(parameter_label(path, scenario))
        if p.values is not None:
            k = len(p.values)
            chosen = [v for i, v in enumerate(p.values) if lo <= (i + 0.5) / k < hi]
            parts.append(f"{short_label(name)} is {' or '.join(map(str, chosen))}")
        elif lo <= 0.0:
            parts.append(f"{name} ≤ {readable(p.at(hi))}")
        elif hi >= 1.0:
            parts.append(f"{name} > {readable(p.at(lo))}")
        else:
            parts.append(f"{name} from {readable(p.at(lo))} to {readable(p.at(hi))}")
    return " and ".join(parts)


class _Drawn:
    """A value given set by set (a posterior's draws), read like a range: its quantiles."""

    values = None

    def __init__(self, values):
        self.sample = np.sort(np.asarray(values, float))

    def at(self, u: float) -> float:
        return float(np.quantile(self.sample, min(max(u, 0.0), 1.0)))


def parameter_of(spec, path: str):
    """The range a parameter was drawn from, or its given values (`_Drawn`)."""
    return spec.parameters[path] if path in spec.parameters else _Drawn(spec.given[path])


def short_label(label: str, width: int = 60) -> str:
    """A parameter's label short enough for a sentence: its first clause."""
    head, _, rest = label.partition(": ")
    text = rest or head
    for cut in ("; ", " (", ", "):
        if len(text) > width and cut in text[20:]:
            text = text[: 20 + text[20:].index(cut)]
    return f"{head}: {text}" if rest else text


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def answer_text(ans: Answer, scenario=None, names: dict | None = None) -> list[str]:
    """The answer in sentences; the last line says what the figures cover."""
    from streetchief.report import LABELS
    from streetchief.sweeps.labels import parameter_label, readable
    from streetchief.sweeps.spec import SweepSpec

    spec = SweepSpec.model_validate(ans.meta["spec"]) if ans.meta else None
    names = {**LABELS, **(names or {})}
    t_name = names.get(ans.treatment, ans.treatment)
    given = list(spec.given) if spec is not None else []
    drawn = len(ans.parameters) - len(given)
    posterior = (
        f" and from {spec.given_from or 'the values given'} ({_plural(len(given), 'value')})"
        if given
        else ""
    )
    lines = [
        f"Over {ans.sets} parameter sets drawn from the scenario's ranges for what it does not "
        f"know ({_plural(drawn, 'value')}){posterior}, {ans.replications} paired replications "
        f"each, {t_name} against each arrangement:"
    ]
    order = [ans.focus] + [b for b in ans.baselines if b != ans.focus]
    for b in order:
        why = ""
        if len(order) > 1 and b == ans.strongest:
            why = " (the strongest: where the chance on speed is lowest)"
        elif b == ans.named:
            why = " (the baseline named)"
        lines.append(f"against {names.get(b, b)}{why}:")
        for o, (words, unit) in HEADLINE.items():
            sel = ans.table[(ans.table.baseline == b) & (ans.table.outcome == o)]
            if sel.empty:
                continue
            r = sel.iloc[0]
            if not r.sets:
                lines.append(f"- {words}: no stable set to compare")
                continue
            split = (
                f"; {r.parameter_share:.0%} of its variance between parameter sets"
                if math.isfinite(r.parameter_share)
                else ""
            )
            unstable = (
                f"; {_plural(int(r.unstable_sets), 'unstable set')} left out"
                if r.unstable_sets
                else ""
            )
            lines.append(
                f"- {words}: probability {r.p_better:.2f} ({r.p_low:.2f} to {r.p_high:.2f}); "
                f"difference {readable(r['median'])} {unit} (median), 90% of sets from "
                f"{readable(r.q05)} to {readable(r.q95)}{split}{unstable}"
            )
        sel = ans.sensitivity[(ans.sensitivity.baseline == b) & (ans.sensitivity.outcome == MAIN)]
        top = sel[sel.decides.astype(bool)] if "decides" in sel else sel.iloc[:0]
        top = top.reindex(top.prcc.abs().sort_values(ascending=False).index)
        if len(top):
            drivers = "; ".join(
                f"{short_label(parameter_label(p, scenario))}, higher favours "
                f"{t_name if _better_sign(MAIN) * q > 0 else names.get(b, b)} (PRCC {q:+.2f})"
                for p, q in zip(top.parameter, top.prcc, strict=True)
            )
            lines.append(f"  what decides the speed on the same problems: {drivers}")
        elif len(sel) and sel.prcc.isna().all():
            lines.append(
                "  what decides the speed on the same problems: too few sets to tell "
                f"({int(ans.row(b).sets)} for "
                f"{len(ans.parameters)} values; a partial rank correlation needs at least "
                f"{len(ans.parameters) + 2}); draw more sets, or read the boxes below"
            )
        elif len(sel):
            lines.append(
                f"  what decides the speed on the same problems: no value's partial rank "
                "correlation with it stands "
                f"out at a 5% false discovery rate over {int(ans.row(b).sets)} sets; draw more "
                "sets, or read the boxes below"
            )
        box = next((x for x in ans.boxes if x["baseline"] == b and x["outcome"] == MAIN), None)
        if box and box["leaves"] and spec is not None:
            best = max(box["leaves"], key=lambda leaf: leaf["share"])
            worst = min(box["leaves"], key=lambda leaf: leaf["share"])
            lines.append(
                f"  faster in {best['share']:.0%} of the {best['sets']} sets where "
                f"{box_words(best['box'], spec, scenario)}; in {worst['share']:.0%} of the "
                f"{worst['sets']} where {box_words(worst['box'], spec, scenario)}"
            )
        elif box is not None and box["share"] in (0.0, 1.0):
            lines.append(f"  {'faster' if box['share'] == 1 else 'slower'} in every stable set")
    lines.append(
        "(probability: the share of stable parameter sets in which "
        f"{t_name} are better, with a 95% CI for the number of sets drawn; difference: "
        f"{t_name} − the other, its median and 90% range across the sets, which covers the "
        "parameters' uncertainty and each set's replication noise; variance between sets: "
        "parameter uncertainty's share of one run's variance, the rest replication noise; what "
        "decides it: the values whose partial rank correlation with the difference across "
        "sets (PRCC) is significant at a 5% false discovery rate, the sign saying which side a "
        "higher value helps (sensitivity.csv adds RBD-FAST first-order shares, SALib); the "
        "boxes: a depth-2 decision tree (scikit-learn); an unstable set, where a queue does not "
        "keep up, is counted apart)"
    )
    return lines


def answer_markdown(ans: Answer, scenario=None, names: dict | None = None) -> str:
    """The answer's sentences as Markdown, for a notebook: a heading line per baseline, its
    outcomes as a list, what decides it nested below, the note on what the figures cover last."""
    out = []
    for line in answer_text(ans, scenario, names):
        if line.startswith("against "):
            out += ["", f"**{line}**", ""]
        elif line.startswith("- "):
            out.append(line)
        elif line.startswith("  "):
            out.append(f"    - {line.strip()}")
        elif line.startswith("("):
            out += ["", f"*{line}*"]
        else:
            out.append(line)
    return "\n".join(out)
