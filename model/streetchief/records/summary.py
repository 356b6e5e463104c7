"""Summaries of a run: what the per-issue records tell, and what only the model knows.

`summarize_table` reads records alone, so a simulated run and a recorded history are summarised the
same way; `summarize` adds the model's own counts: the problems never reported, the outcomes from
the problem's point of view (from when it arose, unreported time included), and the ledger of
officials' hours. A streamed run gathers its `Totals` a row group at a time, in memory that does not
grow with the number of issues.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from streetchief.components.inspection import SANCTIONS
from streetchief.issues import CHIEF, PATROL


def _stats(x: np.ndarray) -> dict:
    x = x[~np.isnan(x)]
    if not len(x):
        return {"mean": None, "median": None, "p90": None, "p95": None, "n": 0}
    q = np.percentile(x, [50, 90, 95])
    return {
        "mean": float(x.mean()),
        "median": float(q[0]),
        "p90": float(q[1]),
        "p95": float(q[2]),
        "n": int(len(x)),
    }


def out_at(table: pa.Table) -> np.ndarray:
    """When each issue stopped being open: its fix, or its end without one (NaN: still open)."""
    return np.fmin(table["resolved_at"].to_numpy(), table["ended_at"].to_numpy())


def _sum_or_none(table: pa.Table, col: str, test=None):
    """The column's sum (or the count where `test` holds), None where the source cannot know it."""
    c = table[col]
    if len(c) and c.null_count == len(c):
        return None
    x = c.drop_null().to_numpy(zero_copy_only=False)
    return int((test(x) if test else x).sum())


def summarize_table(
    table: pa.Table,
    horizon: float,
    category_keys: list[str],
    sample_hours: float,
    window: tuple[float, float, float] | None = None,
) -> dict:
    """What the per-issue records alone tell: the same for a simulated and a recorded history.
    `window` (first, last, cap: `RunSpec.window`) bounds the problems whose hours per day are told
    apart from the run's length."""
    rep = table["reported_at"].to_numpy()
    res = table["resolved_at"].to_numpy()
    ack = table["acknowledged_at"].to_numpy()
    out = out_at(table)
    ended = ~np.isnan(table["ended_at"].to_numpy()) & np.isnan(res)
    on_time = table["on_time"].drop_null().to_numpy(zero_copy_only=False)
    n = len(rep)
    counts = (
        pa.table({"c": table["category"], "r": table["resolved_at"]})
        .to_pandas()
        .groupby("c", observed=True)
        .r.agg(["size", "count"])
    )  # count leaves out NaN: not resolved
    by_cat = {
        c: {"reported": int(counts["size"].get(c, 0)), "resolved": int(counts["count"].get(c, 0))}
        for c in category_keys
    }

    def mean_of(col, dtype=float):
        x = table[col].drop_null().to_numpy(zero_copy_only=False).astype(dtype)
        return float(x.mean()) if len(x) else (0.0 if n == 0 else None)

    grid = np.arange(0.0, horizon + 1e-9, sample_hours)
    _, at_midnight = backlog_curve(table, horizon, times=grid)
    how = table["ended_how"].drop_null().to_pylist()
    arisen = table["arisen_at"].to_numpy()
    resolved = int((~np.isnan(res)).sum())
    return {
        "issues_reported": n,
        "issues_resolved": resolved,
        "issues_ended_unfixed": int(ended.sum()),
        "ended_how": {k: how.count(k) for k in sorted(set(how))},
        "issues_open": int(np.isnan(out).sum()),
        "resolution_rate": resolved / n if n else None,
        "resolution_hours": _stats(res - rep),
        "acknowledgement_hours": _stats(ack - rep),
        "on_time_share": float(on_time.mean()) if len(on_time) else None,
        "bounces_per_issue": mean_of("bounces"),
        "hops_per_issue": mean_of("hops"),
        "coordinated_issues": _sum_or_none(table, "coordinated"),
        "reopened_issues": _sum_or_none(table, "reopened", lambda x: x > 0),
        "duplicate_reports": _sum_or_none(table, "duplicates"),
        "mean_backlog": open_hours(rep, out, horizon) / horizon if horizon > 0 else 0.0,
        "backlog_growth": _growth(table, horizon),
        "mean_backlog_midnight": float(at_midnight.mean()) if len(at_midnight) else 0.0,
        "unreported_hours": _stats(rep - arisen),
        "problem_hours": _stats(res - arisen),
        "_problem_parts": _problem_parts(arisen, res, out, horizon, window),
        "by_category": by_cat,
    }


def backlog_growth(table: pa.Table, horizon: float) -> tuple[float, float, bool] | None:
    """(issues a day the backlog still grows by over the last third of the run, where it stands at
    the end, unstable?): unstable when it climbs by more than a problem every two days and by more
    than 15% of where that third began (a settled backlog only wanders about its level; the
    shipped district's drifts by about 0.1 a day over a year). None for a run too short to tell."""
    return growth_of(*backlog_curve(table, horizon))


def growth_of(t: np.ndarray, b: np.ndarray) -> tuple[float, float, bool] | None:
    """`backlog_growth` of a backlog b counted at times t (hours)."""
    t, b = np.asarray(t, float), np.asarray(b, float)
    if len(t) < 6:
        return None
    tail = t >= t[-1] * 2 / 3
    if tail.sum() <= 2:
        return None
    days = t[tail] / 24
    slope, intercept = np.polyfit(days, b[tail], 1)
    began = max(intercept + slope * days[0], 1.0)
    climbing = bool(slope > 0.5 and slope * (days[-1] - days[0]) > 0.15 * began)
    return float(slope), float(b[-1]), climbing


def _growth(table: pa.Table, horizon: float) -> dict | None:
    return _growth_dict(backlog_growth(table, horizon))


def _growth_dict(g) -> dict | None:
    return None if g is None else dict(zip(("per_day", "at_end", "unstable"), g, strict=True))


def open_hours(reported: np.ndarray, out: np.ndarray, horizon: float) -> float:
    """Issue-hours open within [0, horizon]: the area under the open-issue count, so that divided
    by the horizon it is the time-averaged backlog (Little's law: L = λW on the same records)."""
    done = np.where(np.isnan(out), horizon, np.minimum(out, horizon))
    return float(np.clip(done - reported, 0.0, None).sum())


def _problem_parts(
    arisen: np.ndarray, resolved: np.ndarray, out: np.ndarray, end: float, window=None
) -> dict:
    """What the problem-level outcomes need from reported issues' records (sums, so that a streamed
    run can add them up a row group at a time)."""
    waited = resolved - arisen  # NaN while unresolved
    street = np.where(np.isnan(out), end, out) - arisen  # hours in the street, to the run's end
    parts = {
        "within_24h": int((waited <= 24).sum()),
        "within_72h": int((waited <= 72).sum()),
        "resolved": int((~np.isnan(resolved)).sum()),
        "ended": int((np.isnan(resolved) & ~np.isnan(out)).sum()),
        "open_hours": float(street.sum()),
        "window_problems": 0,
        "window_hours": 0.0,
    }
    if window is not None:
        first, last, cap = window
        inside = (arisen >= first) & (arisen < last)
        parts["window_problems"] = int(inside.sum())
        parts["window_hours"] = float(np.minimum(street[inside], cap).sum())
    return parts


def problem_outcomes(m, parts: dict, reported: int) -> dict:
    """Outcomes from the problem's point of view: every problem that arose, reported or not.
    Problems merchants fixed themselves (门前三包) count as resolved at once; problems that ended by
    themselves (a car drove off) or were closed with nothing to fix count apart. The window's
    problem-hours per day (`RunSpec.window`) do not grow with the length of the run."""
    unreported = np.array([m.issues.arisen_at[i] for zone in m.unreported for i in zone], float)
    expired = np.array(m.expired_unreported, float).reshape(-1, 2)  # (arose, ended)
    n = m.problems_arisen
    open_hours = (
        parts["open_hours"]
        + float((m.end - unreported).sum())
        + float((expired[:, 1] - expired[:, 0]).sum())
    )

    def share(k):
        return k / n if n else None

    return {
        "arisen": n,
        "reported": reported,
        "self_fixed": m.self_fixed,
        "ended_before_report": len(expired),
        "unreported_at_end": len(unreported),
        "resolved_within_24h_share": share(parts["within_24h"] + m.self_fixed),
        "resolved_within_72h_share": share(parts["within_72h"] + m.self_fixed),
        "ended_unfixed_share": share(parts["ended"] + len(expired)),
        "never_resolved_share": share(
            reported - parts["resolved"] - parts["ended"] + len(unreported)
        ),
        "open_problem_hours": open_hours,
        "window": _window_outcomes(m, parts, unreported, expired),
    }


def _window_outcomes(m, parts: dict, unreported: np.ndarray, expired: np.ndarray) -> dict | None:
    window = m.spec.run.window(m.end)
    if window is None:
        return None
    first, last, cap = window

    def inside(t):
        return (t >= first) & (t < last)

    a, e = expired[:, 0], expired[:, 1]
    fixed = np.asarray(m.self_fixed_at, float)
    problems = (
        parts["window_problems"] + int(inside(unreported).sum()) + int(inside(a).sum())
    ) + int(inside(fixed).sum())
    hours = (
        parts["window_hours"]
        + float(np.minimum(m.end - unreported[inside(unreported)], cap).sum())
        + float(np.minimum(e[inside(a)] - a[inside(a)], cap).sum())
    )
    days = (last - first) / 24
    return {
        "first_day": first / 24,
        "last_day": last / 24,
        "followed_days": cap / 24,
        "problems": problems,
        "problem_hours": hours,
        "problem_hours_per_day": hours / days,
        "problem_hours_mean": hours / problems if problems else None,
    }


def ledger_summary(m) -> dict:
    """The officials' hours by role (busy and stand-by, `Role`), their totals, and the detail."""
    roles = m.ledger()
    return {
        "official_hours": {k: float(r.hours) for k, r in roles.items()},
        "official_hours_total": float(sum(r.hours for r in roles.values())),
        "official_hours_busy": float(sum(r.busy_hours for r in roles.values())),
        "official_hours_standby": float(sum(r.standby_hours for r in roles.values())),
        "official_hours_detail": {
            k: {"busy_hours": float(r.busy_hours), "standby_hours": float(r.standby_hours)}
            for k, r in roles.items()
        },
        "crew_hours": float(m.crew_hours()),
    }


def summarize(m, table: pa.Table | None, from_records: dict | None = None) -> dict:
    """A simulated run's summary: what its records tell (`table`, or `from_records` gathered
    already) and what only the model knows (chief hours, unreported problems, sanctions, ...)."""
    s = (
        dict(from_records)
        if from_records is not None
        else summarize_table(
            table,
            m.end,
            m.category_keys,
            m.spec.run.backlog_sample_hours,
            m.spec.run.window(m.end),
        )
    )
    s.setdefault("by_category", {})
    by_cat = s.pop("by_category")
    parts = s.pop("_problem_parts")
    return {
        **s,
        "problems": problem_outcomes(m, parts, s["issues_reported"]),
        **ledger_summary(m),
        "chief_hours": float(m.chief_hours),
        "found_by_chiefs": int(sum(c.found for c in m.chiefs.values())),
        "found_on_patrol": _found_on_patrol(m),
        "unreported_problems": int(sum(len(z) for z in m.unreported)),
        "self_fixed_problems": m.self_fixed,
        "problems_arisen": m.problems_arisen,
        "sanctions": int(sum(d.sanctions for d in m.departments)),
        "sanctions_by_kind": {
            k: int(sum(d.sanctions_by_kind[k] for d in m.departments)) for k in SANCTIONS
        },
        "praises": int(sum(d.praises for d in m.departments)),
        "mean_willingness": float(np.mean([x.willingness for z in m.merchants_by_zone for x in z])),
        "by_category": by_cat,
    }


def _found_on_patrol(m) -> int:
    patrols = m.components.get("patrol")
    return int(sum(p.found for p in patrols.patrollers)) if patrols is not None else 0


def summarize_recorded(table: pa.Table, scenario, horizon: float) -> dict:
    """A recorded history's summary: what the records tell; what only a model knows is None."""
    s = summarize_table(
        table,
        horizon,
        list(scenario.categories),
        scenario.run.backlog_sample_hours,
        scenario.run.window(horizon),
    )
    by_cat = s.pop("by_category")
    s.pop("_problem_parts")
    found = table["discovered_by"].to_numpy(zero_copy_only=False)
    # issues a log closed without resolving them (cancelled, duplicates) ended, not resolved
    s["issues_dropped"] = s["issues_ended_unfixed"]
    return {
        **s,
        "problems": None,
        "official_hours": None,
        "official_hours_total": None,
        "official_hours_busy": None,
        "official_hours_standby": None,
        "official_hours_detail": None,
        "crew_hours": None,
        "chief_hours": None,
        "found_by_chiefs": int((found == CHIEF).sum()),
        "found_on_patrol": int((found == PATROL).sum()),
        "unreported_problems": None,
        "self_fixed_problems": None,
        "problems_arisen": None,
        "sanctions": None,
        "sanctions_by_kind": None,
        "praises": None,
        "mean_willingness": None,
        "by_category": by_cat,
    }


def backlog_curve(
    table: pa.Table, horizon: float, points: int = 400, times: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Issues reported and not yet resolved (nor ended without a fix), at evenly spaced times (or
    the given ones)."""
    t = np.linspace(0, horizon, points) if times is None else times
    rep = np.sort(table["reported_at"].to_numpy())
    out = out_at(table)
    out = np.sort(out[~np.isnan(out)])
    return t, np.searchsorted(rep, t, side="right") - np.searchsorted(out, t, side="right")


class Totals:
    """What a summary needs, gathered a row group at a time in memory that does not grow with the
    issues: counts, sums, and durations in 0.6%-wide logarithmic bins for the percentiles."""

    EDGES = np.concatenate([[0.0], np.geomspace(1e-4, 1e6, 4001)])

    def __init__(self, categories: int):
        self.n = self.resolved = self.on_time = self.on_time_known = self.coordinated = 0
        self.bounces = self.hops = 0
        self.by_category = np.zeros((categories, 2), np.int64)
        names = ("resolution", "acknowledgement", "unreported", "problem")
        self.hist = {k: np.zeros(len(self.EDGES) - 1, np.int64) for k in names}
        self.sums = dict.fromkeys(names, 0.0)
        self.counts = dict.fromkeys(names, 0)
        self.parts: dict = {}
        self.ended_how: dict[str, int] = {}
        self.reopened = self.duplicates = 0
        self.issue_hours = 0.0  # the area under the open-issue count
        self.end = self.window = None  # set by the sink: the run's end, the outcomes' window

    def add(self, t: pa.Table) -> None:
        rep, res, ack, arisen = (
            t[c].to_numpy() for c in ("reported_at", "resolved_at", "acknowledged_at", "arisen_at")
        )
        out = out_at(t)
        cats = t["category"].combine_chunks().indices.to_numpy()
        done = ~np.isnan(res)
        self.n += len(rep)
        self.resolved += int(done.sum())
        self.issue_hours += open_hours(rep, out, self.end)
        for how in t["ended_how"].drop_null().to_pylist():
            self.ended_how[how] = self.ended_how.get(how, 0) + 1
        self.reopened += int((t["reopened"].to_numpy() > 0).sum())
        self.duplicates += int(t["duplicates"].to_numpy().sum())
        np.add.at(self.by_category, (cats, 0), 1)
        np.add.at(self.by_category, (cats[done], 1), 1)
        known = t["on_time"].drop_null().to_numpy(zero_copy_only=False)
        self.on_time += int(known.sum())
        self.on_time_known += len(known)
        self.coordinated += int(t["coordinated"].to_numpy(zero_copy_only=False).sum())
        self.bounces += int(t["bounces"].to_numpy().sum())
        self.hops += int(t["hops"].to_numpy().sum())
        for k, v in _problem_parts(arisen, res, out, self.end, self.window).items():
            self.parts[k] = self.parts.get(k, 0) + v
        durations = {
            "resolution": res - rep,
            "acknowledgement": ack - rep,
            "unreported": rep - arisen,
            "problem": res - arisen,
        }
        for name, d in durations.items():
            d = d[~np.isnan(d)]
            self.hist[name] += np.histogram(np.clip(d, 0, self.EDGES[-1]), self.EDGES)[0]
            self.sums[name] += float(d.sum())
            self.counts[name] += len(d)

    def stats(self, name: str) -> dict:
        n = self.counts[name]
        if not n:
            return {"mean": None, "median": None, "p90": None, "p95": None, "n": 0}
        cum = np.cumsum(self.hist[name])

        def q(p):
            k = int(np.searchsorted(cum, p * n))
            below = cum[k - 1] if k else 0
            lo, hi = self.EDGES[k], self.EDGES[k + 1]
            return float(lo + (hi - lo) * (p * n - below) / max(self.hist[name][k], 1))

        return {
            "mean": self.sums[name] / n,
            "median": q(0.5),
            "p90": q(0.9),
            "p95": q(0.95),
            "n": n,
        }


def summarize_streamed(m, totals: Totals) -> dict:
    """A streamed run's summary, from its totals (percentiles within 0.6%) and backlog samples."""
    t = totals
    n = t.n
    ended = sum(t.ended_how.values())
    base = {
        "issues_reported": n,
        "issues_resolved": t.resolved,
        "issues_ended_unfixed": ended,
        "ended_how": dict(sorted(t.ended_how.items())),
        "issues_open": n - t.resolved - ended,
        "resolution_rate": t.resolved / n if n else None,
        "resolution_hours": t.stats("resolution"),
        "acknowledgement_hours": t.stats("acknowledgement"),
        "on_time_share": t.on_time / t.on_time_known if t.on_time_known else None,
        "bounces_per_issue": t.bounces / n if n else 0.0,
        "hops_per_issue": t.hops / n if n else 0.0,
        "coordinated_issues": t.coordinated,
        "reopened_issues": t.reopened,
        "duplicate_reports": t.duplicates,
        "mean_backlog": t.issue_hours / m.end if m.end > 0 else 0.0,
        "mean_backlog_midnight": float(np.mean([b for _, b in m.backlog_samples]))
        if m.backlog_samples
        else 0.0,
        "backlog_growth": _growth_dict(growth_of(*zip(*m.backlog_samples, strict=True)))
        if m.backlog_samples
        else None,
        "unreported_hours": t.stats("unreported"),
        "problem_hours": t.stats("problem"),
        "_problem_parts": dict(t.parts),
    }
    full = summarize(m, None, base)
    full["by_category"] = {
        c: {"reported": int(t.by_category[k, 0]), "resolved": int(t.by_category[k, 1])}
        for k, c in enumerate(m.category_keys)
    }
    return full
