"""`streetchief verify DIR`: run a result folder's runs again and confirm identical outcomes.

A folder says what produced it: `summary.json` (a run), `compare.json` (a comparison) or
`sweep.json` (a sweep) hold the scenario's full content, the seeds, the options and the versions.
"""

from __future__ import annotations

import json
import math
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from streetchief.errors import ScenarioError, VerifyError
from streetchief.files import json_safe
from streetchief.outcomes import OUTCOMES, outcomes_of
from streetchief.scenario import load_scenario


@dataclass
class Verification:
    """What `verify` ran again, and every difference it found."""

    folder: Path
    kind: str
    checked: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checked) and not self.mismatches


def _same(a, b, path="") -> list[str]:
    """Differences between two JSON-like values; floats must be equal (NaN equals NaN)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for k in sorted(set(a) | set(b), key=str):
            if k not in a or k not in b:
                out.append(f"{path}{k}: only in {'the record' if k in a else 'the re-run'}")
            else:
                out.extend(_same(a[k], b[k], f"{path}{k}."))
        return out
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [f"{path.rstrip('.')}: {len(a)} items recorded, {len(b)} re-run"]
        return [
            d for k, (x, y) in enumerate(zip(a, b, strict=True)) for d in _same(x, y, f"{path}{k}.")
        ]
    fa, fb = isinstance(a, float), isinstance(b, float)
    if (fa or fb) and a is not None and b is not None:
        if math.isnan(float(a)) and math.isnan(float(b)):
            return []
    if a != b:
        return [f"{path.rstrip('.')}: recorded {a!r}, re-run {b!r}"]
    return []


def _log_of(record: dict, folder: Path):
    """The replayed log (a file, or the pages of one export), read as it was, after checking it is
    the same: (the path or paths, the mapping, skip_invalid, the time zone)."""
    from streetchief.provenance import file_hash

    r = record["replay"]
    pages = r.get("log_files") or {r["log"]: r.get("log_sha256")}
    for name, digest in pages.items():
        path = Path(name)
        if not path.is_file():
            raise VerifyError(
                str(folder), [f"the replayed log {path} is not there any more; cannot re-run"]
            )
        if digest and file_hash(path) != digest:
            raise VerifyError(
                str(folder), [f"the replayed log {path} has changed since the run (sha256 differs)"]
            )
    paths = list(pages) if len(pages) > 1 else next(iter(pages))
    return paths, r.get("mapping"), r.get("skip_invalid", False), r.get("timezone")


def verify(folder: str | Path, sample: int = 3, seed: int = 0) -> Verification:
    folder = Path(folder)
    if (folder / "sweep.json").exists():
        return _verify_sweep(folder, sample, seed)
    if (folder / "compare.json").exists():
        return _verify_compare(folder, sample, seed)
    if (folder / "summary.json").exists():
        return _verify_run(folder)
    raise VerifyError(
        str(folder), ["no sweep.json, compare.json or summary.json here: not a result folder"]
    )


def _scenario(record: dict, folder: Path):
    try:
        return load_scenario(record["scenario_parameters"])
    except ScenarioError as e:
        raise VerifyError(str(folder), [f"the recorded scenario no longer loads: {e}"]) from None


def _verify_run(folder: Path) -> Verification:
    from streetchief.experiment import replay, run_scenario, run_streamed
    from streetchief.issue_log import read_log

    record = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    v = Verification(folder, "run")
    scenario = _scenario(record, folder)
    names = list(record["arrangements"])
    if record.get("replay"):
        path, mapping, skip, tz = _log_of(record, folder)
        if "recorded" in names:
            names.remove("recorded")
        if not names:  # a recorded history: nothing simulated, re-read it
            from streetchief.experiment import recorded_history

            res = recorded_history(
                scenario, read_log(path, scenario, mapping, skip, tz), record["days"]
            )
        else:
            res = replay(
                scenario,
                read_log(path, scenario, mapping, skip, tz),
                names,
                record["seed"],
                record["days"],
            )
    elif record.get("streamed"):
        with tempfile.TemporaryDirectory() as d:
            res = run_streamed(scenario, d, names, record["seed"], record["days"])
            for s in res.summaries.values():
                s.pop("records", None)
        for s in record["arrangements"].values():
            s.pop("records", None)
    else:
        res = run_scenario(scenario, names, record["seed"], record["days"])
    for name, recorded in record["arrangements"].items():
        again = json_safe(res.summaries.get(name, {}))
        diffs = _same(recorded, again)
        v.checked.append(name)
        v.mismatches.extend(f"{name}: {d}" for d in diffs)
    return v


def _verify_compare(folder: Path, sample: int, seed: int) -> Verification:
    from streetchief.experiment import replay, run_scenario
    from streetchief.issue_log import read_log

    record = json.loads((folder / "compare.json").read_text(encoding="utf-8"))
    v = Verification(folder, "compare")
    scenario = _scenario(record, folder)
    rows = record["per_run"]
    reps = sorted({r["replication"] for r in rows})
    chosen = sorted(random.Random(seed).sample(reps, min(sample, len(reps))))
    log = None
    if record.get("replay"):
        path, mapping, skip, tz = _log_of(record, folder)
        log = read_log(path, scenario, mapping, skip, tz)
    names = [record["treatment"], record["baseline"]]
    for r in chosen:
        s = record["seed"] + r
        res = (
            run_scenario(scenario, names, s, record["days"])
            if log is None
            else replay(scenario, log, names, s, record["days"], recorded=False)
        )
        for name in names:
            want = next(x for x in rows if x["replication"] == r and x["arrangement"] == name)
            got = outcomes_of(res.summaries[name])
            diffs = _same({k: want[k] for k in OUTCOMES}, json_safe(got))
            v.checked.append(f"replication {r} {name}")
            v.mismatches.extend(f"replication {r} {name}: {d}" for d in diffs)
    return v


def _verify_sweep(folder: Path, sample: int, seed: int) -> Verification:
    import pandas as pd

    from streetchief.sweeps import load_sweep, run_task

    meta = json.loads((folder / "sweep.json").read_text(encoding="utf-8"))
    v = Verification(folder, "sweep")
    if "base_scenario" not in meta:
        raise VerifyError(
            str(folder),
            ["sweep.json does not hold the base scenario (written by an older version)"],
        )
    sw = load_sweep(meta["spec"], base=meta["base_scenario"])
    if sw.digest != meta["digest"]:
        raise VerifyError(
            str(folder), ["the recorded spec does not give the recorded design (digest differs)"]
        )
    runs = pd.read_parquet(folder / "runs.parquet")
    ok = runs[runs.status == "ok"]
    tasks = sorted({(int(p), int(r)) for p, r in zip(ok.point_id, ok.replication, strict=True)})
    if not tasks:
        raise VerifyError(str(folder), ["no successful runs to verify"])
    chosen = sorted(random.Random(seed).sample(tasks, min(sample, len(tasks))))
    s = sw.spec
    outcomes = s.outcomes or list(OUTCOMES)
    for p, r in chosen:
        result = run_task(
            sw.base, sw.overrides(p), s.days, s.seed + r, s.arrangements, outcomes, False
        )
        if result["error"]:
            v.mismatches.append(f"point {p} replication {r}: now fails: {result['error']}")
            continue
        for a in s.arrangements:
            row = ok[(ok.point_id == p) & (ok.replication == r) & (ok.arrangement == a)].iloc[0]
            want = {k: (None if pd.isna(row[k]) else float(row[k])) for k in outcomes}
            got = {
                k: (None if result["rows"][a][k] is None else float(result["rows"][a][k]))
                for k in outcomes
            }
            v.checked.append(f"point {p} replication {r} {a}")
            v.mismatches.extend(
                f"point {p} replication {r} {a}: {d}" for d in _same(want, json_safe(got))
            )
    return v
