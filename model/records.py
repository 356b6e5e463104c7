"""Per-issue records (columnar) and the summary of a run."""
from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from model.agents import SANCTIONS
from model.district import DistrictModel

COLUMNS = ["issue_id", "arrangement", "category", "zone", "reporter", "discovered_by", "reported_at",
           "acknowledged_at", "dispatched_at", "resolved_at", "closed_at", "department", "hops", "bounces",
           "coordinated", "deadline_at", "on_time"]


def issue_table(m: DistrictModel) -> pa.Table:
    """One row per reported issue, in order of report time, resolved or still open."""
    reported = np.asarray(m.rec_reported)
    idx = np.flatnonzero(~np.isnan(reported))
    idx = idx[np.argsort(reported[idx], kind="stable")]
    p = m.problems

    def col(values, dtype=None):
        return np.asarray(values, dtype=dtype)[idx]

    resolved, deadline = col(m.rec_resolved, float), col(m.rec_deadline, float)
    on_time = pa.array(np.where(np.isnan(resolved), False, resolved <= deadline),
                       mask=np.isnan(resolved) & (deadline > m.end))   # still open, deadline not yet due: unknown
    names = lambda keys, codes: pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()), pa.array(keys))
    ids = pa.array(idx, pa.int64()) if p.issue_ids is None else pa.array(p.issue_ids[idx].tolist(), pa.string())
    return pa.table({
        "issue_id": ids,
        "arrangement": pa.array([m.arrangement.name] * len(idx), pa.string()).dictionary_encode(),
        "category": names(m.category_keys, p.category[idx]),
        "zone": names(m.zone_keys, p.zone[idx]),
        "reporter": pa.array(col(m.rec_reporter, object).tolist(), pa.string()),
        "discovered_by": pa.array(col(m.rec_discovered, object).tolist(), pa.string()).dictionary_encode(),
        "reported_at": reported[idx],
        "acknowledged_at": col(m.rec_ack, float),
        "dispatched_at": col(m.rec_dispatched, float),
        "resolved_at": resolved,
        "closed_at": col(m.rec_closed, float),
        "department": names(m.department_keys, col(m.rec_department, np.int32)),
        "hops": col(m.rec_hops, np.int32),
        "bounces": col(m.rec_bounces, np.int32),
        "coordinated": col(m.rec_coordinated, bool),
        "deadline_at": deadline,
        "on_time": on_time,
    })


def _stats(x: np.ndarray) -> dict:
    x = x[~np.isnan(x)]
    if not len(x):
        return {"mean": None, "median": None, "p90": None, "p95": None, "n": 0}
    q = np.percentile(x, [50, 90, 95])
    return {"mean": float(x.mean()), "median": float(q[0]), "p90": float(q[1]), "p95": float(q[2]), "n": int(len(x))}


def summarize_table(table: pa.Table, horizon: float, category_keys: list[str], sample_hours: float) -> dict:
    """What the per-issue records alone tell: the same for a simulated run and a recorded history."""
    rep = table["reported_at"].to_numpy()
    res = table["resolved_at"].to_numpy()
    ack = table["acknowledged_at"].to_numpy()
    on_time = table["on_time"].drop_null().to_numpy(zero_copy_only=False)
    n = len(rep)
    by_cat = {}
    cats = table["category"].to_numpy(zero_copy_only=False) if n else np.array([])
    for c in category_keys:
        mask = cats == c
        by_cat[c] = {"reported": int(mask.sum()), "resolved": int((~np.isnan(res[mask])).sum())}

    def mean_of(col, dtype=float):
        x = table[col].drop_null().to_numpy(zero_copy_only=False).astype(dtype)
        return float(x.mean()) if len(x) else (0.0 if n == 0 else None)

    grid = np.arange(0.0, horizon + 1e-9, sample_hours)
    _, backlog = backlog_curve(table, horizon, times=grid)
    return {
        "issues_reported": n,
        "issues_resolved": int((~np.isnan(res)).sum()),
        "issues_open": int(np.isnan(res).sum()),
        "resolution_hours": _stats(res - rep),
        "acknowledgement_hours": _stats(ack - rep),
        "on_time_share": float(on_time.mean()) if len(on_time) else None,
        "bounces_per_issue": mean_of("bounces"),
        "hops_per_issue": mean_of("hops"),
        "coordinated_issues": int(table["coordinated"].drop_null().to_numpy(zero_copy_only=False).sum())
        if table["coordinated"].null_count < n else None,
        "mean_backlog": float(backlog.mean()) if len(backlog) else 0.0,
        "by_category": by_cat,
    }


def summarize(m: DistrictModel, table: pa.Table) -> dict:
    s = summarize_table(table, m.end, m.category_keys, m.spec.run.backlog_sample_hours)
    by_cat = s.pop("by_category")
    return {
        **s,
        "chief_hours": float(m.arrangement.chief_hours()),
        "found_by_chiefs": int(sum(c.found for c in m.chiefs.values())),
        "unreported_problems": int(sum(len(z) for z in m.unreported)),
        "self_fixed_problems": m.self_fixed,
        "problems_arisen": len(m.problems),
        "sanctions": int(sum(d.sanctions for d in m.department_list)),
        "sanctions_by_kind": {k: int(sum(d.sanctions_by_kind[k] for d in m.department_list))
                              for k in SANCTIONS},
        "praises": int(sum(d.praises for d in m.department_list)),
        "mean_willingness": float(np.mean([x.willingness for z in m.merchants_by_zone for x in z])),
        "by_category": by_cat,
    }


def summarize_recorded(table: pa.Table, scenario, horizon: float) -> dict:
    """A recorded history's summary: what the records tell; what only a model knows is None."""
    s = summarize_table(table, horizon, list(scenario.categories), scenario.run.backlog_sample_hours)
    by_cat = s.pop("by_category")
    found = table["discovered_by"].to_numpy(zero_copy_only=False)
    return {**s, "chief_hours": None, "found_by_chiefs": int((found == "chief").sum()), "unreported_problems": None,
            "self_fixed_problems": None, "problems_arisen": None, "sanctions": None, "sanctions_by_kind": None,
            "praises": None, "mean_willingness": None, "by_category": by_cat}


def backlog_curve(table: pa.Table, horizon: float, points: int = 400, times: np.ndarray | None = None
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Issues reported and not yet resolved, at evenly spaced times (or the given ones)."""
    t = np.linspace(0, horizon, points) if times is None else times
    rep = np.sort(table["reported_at"].to_numpy())
    res = table["resolved_at"].to_numpy()
    res = np.sort(res[~np.isnan(res)])
    return t, np.searchsorted(rep, t, side="right") - np.searchsorted(res, t, side="right")


# --- writing, atomically: a result is either complete or absent -------------------------
def atomic_write(path: Path, write) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_parquet(table: pa.Table, path: Path) -> None:
    atomic_write(Path(path), lambda tmp: pq.write_table(table, tmp))


def write_json(obj, path: Path) -> None:
    def clean(x):
        if isinstance(x, float) and not math.isfinite(x):
            return None
        if isinstance(x, dict):
            return {k: clean(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return [clean(v) for v in x]
        return x
    atomic_write(Path(path), lambda tmp: Path(tmp).write_text(json.dumps(clean(obj), indent=2, ensure_ascii=False,
                                                                    default=str), encoding="utf-8"))


def write_text(text: str, path: Path) -> None:
    atomic_write(Path(path), lambda tmp: Path(tmp).write_text(text, encoding="utf-8"))
