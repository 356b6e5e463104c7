"""`streetchief verify DIR`: check every file of a result folder and run its runs again.

A folder says what produced it: `summary.json` (a run or a recorded history), `compare.json` (a
comparison) or `sweep.json` (a sweep) hold the scenario's full content and sha256, the seeds, the
options, the versions, and the sha256 of every file written with it (`files`). verify checks, for
each record in the folder:

- every recorded file is there, unchanged (sha256); the recorded scenario matches its sha256;
- every output is derived again: each run re-run from the record (all replications, all sweep
  points; `sample` re-runs a random few, listed, to go faster: a comparison's tables and figures
  are then derived from the recorded rows of every replication, checked on those re-run), and its
  summary, per-issue records, tables and figures compared exactly with the files;
- a sweep's table against its design (every point and replication, the parameters, the seeds) and
  against its parts, and the counts in sweep.json against the table.

A record that is missing, damaged or empty is a `VerifyError` (the folder cannot be verified); any
difference is a line in `Verification.mismatches`, naming the file and the value.
"""

from __future__ import annotations

import io
import json
import math
import random
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from streetchief.errors import InputError, ScenarioError, VerifyError
from streetchief.files import csv_text, json_safe
from streetchief.folders import RECORDS, file_digests
from streetchief.outcomes import OUTCOMES, outcomes_of
from streetchief.provenance import content_hash, file_hash
from streetchief.scenario import load_scenario


@dataclass
class Verification:
    """What `verify` checked, and every difference it found."""

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
    if (fa or fb) and isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if math.isnan(float(a)) and math.isnan(float(b)):
            return []
    if a != b or isinstance(a, bool) != isinstance(b, bool):
        return [f"{path.rstrip('.')}: recorded {a!r}, re-run {b!r}"]
    return []


def verify(
    folder: str | Path, sample: int | None = None, force: bool = False, seed: int | None = None
) -> Verification:
    """Verify every record in `folder` (see the module's docstring). `sample`: re-run only that
    many replications or sweep tasks, drawn at random (`seed` to repeat a draw); `force`: re-run
    even past the size guard's limits."""
    folder = Path(folder)
    if not folder.is_dir():
        raise VerifyError(str(folder), ["not a folder"])
    names = [n for n in RECORDS if (folder / n).exists()]
    if not names:
        raise VerifyError(
            str(folder),
            [
                "no sweep.json, compare.json, summary.json, analysis.json or calibration.json "
                "here: not a result folder"
            ],
        )
    kinds = {
        "sweep.json": "sweep",
        "compare.json": "compare",
        "summary.json": "run",
        "analysis.json": "analysis",
        "calibration.json": "calibration",
    }
    v = Verification(folder, " and ".join(kinds[n] for n in names))
    if len(names) > 1:
        v.notes.append(
            f"this folder holds {len(names)} records ({', '.join(names)}): each is verified"
        )
    rng = random.Random(seed) if seed is not None else random.SystemRandom()
    for name in names:
        record = _read_record(folder / name)
        verifier = {
            "sweep.json": _verify_sweep,
            "compare.json": _verify_compare,
            "summary.json": _verify_run,
            "analysis.json": _verify_analysis,
            "calibration.json": _verify_calibration,
        }[name]
        verifier(folder, record, v, sample, rng, force)
    if "sweep.json" in names and (folder / "analysis" / "analysis.json").is_file():
        record = _read_record(folder / "analysis" / "analysis.json")
        _verify_analysis(folder / "analysis", record, v, sample, rng, force)
    listed = set()
    for name in names:
        listed |= set(_read_record(folder / name).get("files") or {})
    others = [
        f
        for f in file_digests(folder)
        if f not in listed and not f.startswith(("runs/", "analysis/"))
    ]
    if others and any("files" in _read_record(folder / n) for n in names):
        v.notes.append(f"not written with any record here, so not verified: {', '.join(others)}")
    return v


# --- reading records --------------------------------------------------------------------------
def _read_record(path: Path) -> dict:
    from streetchief.inputs import InputTooLarge, load_json

    try:
        doc = load_json(path)
    except json.JSONDecodeError as e:
        raise VerifyError(
            str(path), [f"line {e.lineno}, column {e.colno}: not valid JSON ({e.msg})"]
        ) from None
    except (OSError, InputTooLarge, UnicodeDecodeError) as e:
        why = getattr(e, "strerror", None) or e
        raise VerifyError(str(path), [f"cannot be read: {why}"]) from None
    if not isinstance(doc, dict):
        raise VerifyError(str(path), ["(top level): must be a JSON object (a result's record)"])
    return doc


def _need(record: dict, path: Path, key: str, kind, what: str, empty_ok: bool = False):
    """record[key], of the expected kind (and not empty); else a VerifyError naming the field."""
    value = record.get(key)
    ok = isinstance(value, kind) and not (isinstance(value, bool) and kind is not bool)
    if ok and isinstance(value, (int, float)) and not isinstance(value, bool):
        ok = math.isfinite(value) and value >= 0
    if ok and not empty_ok and isinstance(value, (dict, list, str)) and not value:
        raise VerifyError(str(path), [f"{key}: empty; nothing to verify"])
    if not ok:
        raise VerifyError(str(path), [f"{key}: must be {what}, got {value!r}"])
    return value


def _scenario(record: dict, path: Path, v: Verification):
    params = _need(record, path, "scenario_parameters", dict, "the scenario's content")
    recorded = (record.get("provenance") or {}).get("scenario_sha256") or record.get(
        "scenario_sha256"
    )
    if recorded is None:
        v.notes.append(f"{path.name}: no scenario sha256 recorded (an older version)")
    elif content_hash(params) != recorded:
        v.mismatches.append(
            f"{path.name}: the recorded scenario does not match its recorded sha256 ({recorded}); "
            "it was changed after the run"
        )
    else:
        v.checked.append(f"{path.name} scenario sha256")
    try:
        scenario = load_scenario(params)
    except ScenarioError as e:
        raise VerifyError(str(path), [f"the recorded scenario no longer loads: {e}"]) from None
    _check_settings(record.get("settings") or {}, params, path, v)
    return scenario


def _check_settings(settings: dict, params: dict, path: Path, v: Verification) -> None:
    """Each `--set` value the record names is the recorded scenario's at its path, so the re-run
    replays it."""
    from streetchief.scenario import apply_overrides

    if not isinstance(settings, dict):
        raise VerifyError(str(path), ["settings: must map dotted paths to the values set"])
    for dotted, value in settings.items():
        try:
            same = apply_overrides(params, {dotted: value}, str(path)) == params
        except ScenarioError:
            same = False
        if same:
            v.checked.append(f"{path.name} --set {dotted}")
        else:
            v.mismatches.append(
                f"{path.name}: --set {dotted}={value!r} was recorded, but the recorded scenario "
                "does not hold it"
            )


def _check_files(
    folder: Path, record: dict, name: str, v: Verification, prefix="", expected=()
) -> None:
    """Every file the record lists is there, with the sha256 it had when it was written; a list
    lacking one of the `expected` files (what the command always writes) is itself a difference."""
    files = record.get("files")
    if isinstance(files, dict):
        for f in expected:
            if f not in files:
                v.mismatches.append(
                    f"{name}: files lists no sha256 for {f} (the command records every file "
                    "it writes)"
                )
    if files is None:
        v.notes.append(
            f"{name}: no file digests recorded (an older version); outputs re-derived only"
        )
        return
    if not isinstance(files, dict):
        raise VerifyError(str(folder / name), [f"files: must be a mapping, got {files!r}"])
    for rel, digest in sorted(files.items()):
        p = folder / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise VerifyError(str(folder / name), [f"files: {rel!r} is not inside the folder"])
        shown = prefix + rel
        if not p.is_file():
            v.mismatches.append(f"{shown}: recorded when written, now missing")
        elif file_hash(p) != digest:
            v.mismatches.append(
                f"{shown}: changed since it was written (sha256 recorded {str(digest)[:12]}…, "
                f"now {file_hash(p)[:12]}…)"
            )
        else:
            v.checked.append(f"{shown} sha256")


def _guard(estimate, force: bool, path: Path) -> None:
    from streetchief.budget import check

    check(estimate, force, str(path))


def _log_of(record: dict, folder: Path, path: Path):
    """The replayed log (a file, or the pages of one export) and its mapping, read as they were,
    after checking they are the same files: (path or paths, mapping, read_log's options)."""
    from streetchief.provenance import file_hash

    r = record["replay"]
    if not isinstance(r, dict) or not isinstance(r.get("log"), str):
        raise VerifyError(str(path), ["replay: must name the replayed log"])
    pages = r.get("log_files")
    if pages is not None and not (
        isinstance(pages, dict) and all(map(str.__instancecheck__, pages))
    ):
        raise VerifyError(str(path), ["replay.log_files: must map each page to its sha256"])
    wanted = [("log", page, digest) for page, digest in (pages or {}).items()] or [
        ("log", r["log"], r.get("log_sha256"))
    ]
    if r.get("mapping"):
        wanted.append(("mapping", r["mapping"], r.get("mapping_sha256")))
    found = {"log": [], "mapping": []}
    for key, given, want in wanted:
        p = Path(given)
        # an older record holds the path as given: relative to where the command ran
        candidates = [p] if p.is_absolute() else [p, folder / p, folder.parent / p]
        p = next((c for c in candidates if c.is_file()), None)
        if p is None:
            raise VerifyError(
                str(path), [f"the replayed {key} {given} is not there (or not a plain file)"]
            )
        if want and file_hash(p) != want:
            raise VerifyError(
                str(path), [f"the replayed {key} {p} has changed since the run (sha256 differs)"]
            )
        found[key].append(p)
    logs = found["log"] if len(found["log"]) > 1 else found["log"][0]
    mapping = found["mapping"][0] if found["mapping"] else None
    options = {
        "skip_invalid": bool(r.get("skip_invalid", False)),
        "timezone": r.get("timezone"),
        "set_aside_far": bool(r.get("set_aside_far", False)),
    }
    return logs, mapping, options


def _compare_tables(name: str, file: Path, again, v: Verification) -> None:
    """A Parquet file of per-issue records against the records of the re-run, cell by cell."""
    import pyarrow.parquet as pq

    if not file.is_file():
        v.mismatches.append(f"{name}: missing")
        return
    try:
        have = pq.read_table(file)
    except Exception as e:  # damaged or not Parquet
        v.mismatches.append(f"{name}: unreadable ({type(e).__name__})")
        return
    have = have.replace_schema_metadata(None)
    again = again.replace_schema_metadata(None)
    v.checked.append(f"{name} ({again.num_rows} records)")
    if have.schema.names != again.schema.names:
        v.mismatches.append(
            f"{name}: columns {have.schema.names} in the file, {again.schema.names} re-run"
        )
        return
    if have.num_rows != again.num_rows:
        v.mismatches.append(f"{name}: {have.num_rows} records in the file, {again.num_rows} re-run")
        return
    for col in have.schema.names:
        k = _first_difference(have.column(col), again.column(col))
        if k is not None:
            x, y = have.column(col)[k].as_py(), again.column(col)[k].as_py()
            v.mismatches.append(f"{name}: row {k}, column {col}: file has {x!r}, re-run {y!r}")
        elif have.column(col).type != again.column(col).type:
            v.mismatches.append(f"{name}: column {col}: type differs")


def _first_difference(a, b) -> int | None:
    """The first row where two columns differ (NaN equals NaN), or None; vectorised for numbers."""
    import numpy as np
    import pyarrow as pa

    if a.equals(b):
        return None
    numeric = all(pa.types.is_floating(c.type) or pa.types.is_integer(c.type) for c in (a, b))
    if numeric:
        x = a.to_numpy(zero_copy_only=False).astype(float)
        y = b.to_numpy(zero_copy_only=False).astype(float)
        same = (x == y) | (np.isnan(x) & np.isnan(y))
        bad = np.flatnonzero(~same)
        return int(bad[0]) if len(bad) else None
    for k, (x, y) in enumerate(zip(a.to_pylist(), b.to_pylist(), strict=True)):
        if _same(x, y):
            return k
    return None


def _compare_csv(name: str, file: Path, text: str, v: Verification) -> None:
    """A CSV output against the text derived again, naming the first cell that differs."""
    if not file.is_file():
        v.mismatches.append(f"{name}: missing")
        return
    v.checked.append(name)
    _compare_text(name, file.read_text(encoding="utf-8"), text, v)


def _compare_text(name: str, have: str, text: str, v: Verification, where: str = "") -> None:
    """CSV text as written against the text derived again; `where` says which rows they are."""
    import pandas as pd

    if have == text:
        return
    try:
        a = pd.read_csv(io.StringIO(have), dtype=str, keep_default_na=False)
        b = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    except Exception:  # not CSV any more
        v.mismatches.append(f"{name}: not the table derived again (not readable as CSV)")
        return
    if list(a.columns) != list(b.columns) or len(a) != len(b):
        v.mismatches.append(
            f"{name}{where}: {len(a)} rows × {list(a.columns)} in the file, {len(b)} rows × "
            f"{list(b.columns)} derived again"
        )
        return
    for k in range(len(a)):
        for c in a.columns:
            if a.at[k, c] != b.at[k, c]:
                label = b.iat[k, 0]
                v.mismatches.append(
                    f"{name}{where}: row {k + 1} ({label}), column {c}: file has "
                    f"{a.at[k, c]!r}, derived again {b.at[k, c]!r}"
                )
                return
    v.mismatches.append(f"{name}{where}: differs from the table derived again (formatting)")


# --- a run ------------------------------------------------------------------------------------
def _verify_run(folder: Path, record: dict, v: Verification, sample, rng, force) -> None:
    from streetchief.budget import estimate_run
    from streetchief.experiment import recorded_history, replay, run_scenario, run_streamed
    from streetchief.issue_log import read_log

    path = folder / "summary.json"
    _check_files(folder, record, "summary.json", v)
    scenario = _scenario(record, path, v)
    arrangements = _need(record, path, "arrangements", dict, "each arrangement's summary")
    days = _need(record, path, "days", (int, float), "the days that ran (a number > 0)")
    seed = _need(record, path, "seed", int, "the seed (a whole number ≥ 0)")
    names = list(arrangements)
    log = None
    try:
        if record.get("replay"):
            log_path, mapping, options = _log_of(record, folder, path)
            log = read_log(log_path, scenario, mapping, **options)
            simulated = [n for n in names if n != "recorded"]
            _guard(estimate_run(scenario, days, len(simulated), problems=len(log)), force, path)
            if not simulated:  # a recorded history: nothing simulated, read it again
                res = recorded_history(scenario, log, days)
            else:
                res = replay(scenario, log, simulated, seed, days)
        elif record.get("streamed"):
            _guard(estimate_run(scenario, days, len(names), streamed=True), force, path)
            with tempfile.TemporaryDirectory() as d:
                res = run_streamed(scenario, d, names, seed, days)
                for name in names:
                    _compare_tables(
                        f"issues/{name}.parquet",
                        folder / "issues" / f"{name}.parquet",
                        _read(Path(d) / "issues" / f"{name}.parquet"),
                        v,
                    )
            for s in [*res.summaries.values(), *arrangements.values()]:
                if isinstance(s, dict):
                    s.pop("records", None)
        else:
            _guard(estimate_run(scenario, days, len(names)), force, path)
            res = run_scenario(scenario, names, seed, days)
    except (InputError, ValueError) as e:
        if isinstance(e, VerifyError) or type(e).__name__ == "SizeError":
            raise
        v.mismatches.append(f"summary.json: the recorded run no longer runs: {e}")
        return
    for name, recorded in arrangements.items():
        again = json_safe(res.summaries.get(name, {}))
        v.checked.append(f"summary.json {name}")
        v.mismatches.extend(f"summary.json: {name}: {d}" for d in _same(recorded, again))
    if not record.get("streamed"):
        _compare_tables("issues.parquet", folder / "issues.parquet", res.issues, v)
    if log is not None:
        _side_files(folder, log, res, v)


def _read(path: Path):
    import pyarrow.parquet as pq

    return pq.read_table(path)


def _side_files(folder: Path, log, res, v: Verification) -> None:
    """rejected_rows.csv and outside_window.csv of a replay, derived again from the log."""
    from streetchief.files import capped

    for name, frame in (("rejected_rows.csv", log.rejected), ("outside_window.csv", res.outside)):
        if frame is not None and len(frame):
            _compare_csv(name, folder / name, csv_text(capped(frame)), v)
        elif (folder / name).exists():
            v.mismatches.append(f"{name}: present, but the log gives no such rows")


# --- a calibration ----------------------------------------------------------------------------
def _verify_calibration(folder: Path, record: dict, v: Verification, sample, rng, force) -> None:
    """The files as written, the posterior valid (the fitted parameters inside their priors), the
    fitted values and intervals as the posterior gives them, the held-out verdict as its checks
    give it. The search itself is not run again (say so)."""
    import math

    from streetchief.calibration.run import CALIBRATION_FILES, held_out_check, read_posterior
    from streetchief.errors import InputError

    path = folder / "calibration.json"
    _check_files(folder, record, "calibration.json", v, expected=CALIBRATION_FILES)
    try:
        posterior, _ = read_posterior(folder)
    except InputError as e:
        v.mismatches.extend(f"posterior.csv: {p}" for p in e.problems)
        return
    v.checked.append("posterior.csv inside the priors")
    fitted = record.get("fitted")
    if not isinstance(fitted, dict):
        raise VerifyError(str(path), ["fitted: must give each fitted value's summary"])
    again = posterior.summary()
    for p, s in again.items():
        was = fitted.get(p) or {}
        for k in ("median", "q05", "q95"):
            a, b = was.get(k), s[k]
            if not isinstance(a, int | float) or not math.isclose(
                a, b, rel_tol=1e-9, abs_tol=1e-12
            ):
                v.mismatches.append(
                    f"calibration.json: fitted.{p}.{k} {a!r}, the posterior gives {b!r}"
                )
    v.checked.append("calibration.json fitted values")
    held, check = record.get("held_out"), record.get("check")
    if isinstance(check, dict):
        verdict = held_out_check(held, int(check.get("draws") or 0))
        if verdict["passes"] != check.get("passes") or verdict["why"] != check.get("why"):
            v.mismatches.append(
                f"calibration.json: check says {'passes' if check.get('passes') else 'fails'} "
                f"({check.get('why')}); its held-out rows give: {verdict['why']}"
            )
        v.checked.append("calibration.json held-out verdict")
    else:
        v.notes.append("calibration.json: no held-out verdict recorded (an older version)")
    _rerun_checks(folder, record, posterior, v)
    v.notes.append(
        f"calibration: the search ({record.get('evaluations', '?')} evaluations) is not run "
        "again (run calibrate with the same spec into a new folder to reproduce it); its "
        "posterior's checks are: the draws replayed on the log's fitted and held-out parts"
    )


def _rerun_checks(folder: Path, record: dict, posterior, v: Verification) -> None:
    """The fit and held-out checks run again from the record: the scenario, the log (the same
    file, read the same way), the spec and the holdout, with the posterior as written; every
    draw's numbers equal the recorded ones (each draw's seed is recorded by the spec)."""
    import yaml

    from streetchief.calibration.run import Fit, public, split
    from streetchief.calibration.spec import CalibrationError, load_calibration
    from streetchief.issue_log import read_log

    path = folder / "calibration.json"
    base = _need(record, path, "scenario_parameters", dict, "the scenario's content")
    spec = _need(record, path, "spec", dict, "the calibration spec")
    arrangement = _need(record, path, "arrangement", str, "the fitted arrangement's name")
    holdout = record.get("holdout") or 0.0
    if not isinstance(holdout, int | float) or not 0 <= holdout < 1:
        raise VerifyError(str(path), [f"holdout: must be a number from 0 to 1, got {holdout!r}"])
    log_path, mapping, options = _log_of({"replay": record.get("log")}, folder, path)
    try:
        scenario = load_scenario(base)
        log = read_log(log_path, scenario, mapping, **options)
        calibration = load_calibration(spec, base)
        fit_log, test_log = split(log, holdout) if holdout else (log, None)
        fit = Fit(base, yaml.safe_dump(base), scenario, calibration, fit_log, test_log, arrangement)
        fitted, held, _ = fit.checks(posterior)
    except (CalibrationError, InputError, ScenarioError, ValueError, KeyError) as e:
        v.mismatches.append(f"the recorded calibration's checks no longer run: {e}")
        return
    for name, again in (("fit", fitted), ("held_out", held)):
        diffs = _same(record.get(name), json_safe(public(again)))
        v.mismatches.extend(f"calibration.json: {name}.{d}" for d in diffs[:10])
        v.checked.append(f"calibration.json {name}: its draws replayed")


# --- a comparison -----------------------------------------------------------------------------
def _verify_compare(folder: Path, record: dict, v: Verification, sample, rng, force) -> None:
    import pandas as pd

    from streetchief.budget import estimate_compare
    from streetchief.experiment import (
        compare,
        means_table,
        paired_differences,
        replay,
        run_scenario,
    )
    from streetchief.issue_log import read_log
    from streetchief.report import COMPARE_FILES, comparison_tables

    path = folder / "compare.json"
    _check_files(folder, record, "compare.json", v, expected=COMPARE_FILES)
    scenario = _scenario(record, path, v)
    rows = _need(record, path, "per_run", list, "every run's outcomes")
    seed = _need(record, path, "seed", int, "the seed (a whole number ≥ 0)")
    baseline = _need(record, path, "baseline", str, "an arrangement's name")
    treatment = _need(record, path, "treatment", str, "an arrangement's name")
    names = record.get("arrangements") or [treatment, baseline]
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise VerifyError(str(path), ["arrangements: must be a list of the arrangements' names"])
    drawn = (record.get("calibrated") or {}).get("drawn")
    days = record.get("days")
    if days is not None:
        days = _need(record, path, "days", (int, float), "the days that ran (a number > 0)")
    if not all(isinstance(r, dict) and isinstance(r.get("replication"), int) for r in rows):
        raise VerifyError(str(path), ["per_run: every row needs its replication (a whole number)"])
    per_run = pd.DataFrame(rows)
    reps = sorted(set(per_run.replication))
    n = record.get("replications")
    if n != len(reps) or reps != list(range(len(reps))):
        v.mismatches.append(
            f"compare.json: replications {n!r}, but per_run holds replications {reps[:10]}"
        )
    if drawn is not None and (not isinstance(drawn, list) or len(drawn) != len(reps)):
        raise VerifyError(
            str(path), ["calibrated.drawn: must hold one parameter setting per replication"]
        )
    if sample is None or sample >= len(reps):
        chosen = reps
    else:  # replication 0 always: the figure is drawn from it, a replay's history is in it
        chosen = [reps[0], *sorted(rng.sample(reps[1:], max(sample, 1) - 1))]
    if len(chosen) < len(reps):
        v.notes.append(
            f"compare: re-ran {len(chosen)} of {len(reps)} replications (0, then drawn at "
            f"random): {', '.join(map(str, chosen))}; the other replications' rows, as recorded, "
            "derive the tables and figures"
        )
    log = None
    if record.get("replay"):
        log_path, mapping, options = _log_of(record, folder, path)
        log = read_log(log_path, scenario, mapping, **options)
    problems = len(log) if log is not None else None
    _guard(estimate_compare(scenario, len(chosen), days, problems, len(names)), force, path)

    def check_row(r, name, got, s):
        want = [x for x in rows if x["replication"] == r and x.get("arrangement") == name]
        v.checked.append(f"replication {r} {name}")
        if len(want) != 1:
            v.mismatches.append(f"compare.json: replication {r} {name}: {len(want)} rows")
            return
        diffs = _same({k: want[0].get(k) for k in OUTCOMES}, got)
        v.mismatches.extend(f"compare.json: replication {r} {name}: {d}" for d in diffs)
        if want[0].get("seed") != s:
            v.mismatches.append(
                f"compare.json: replication {r} {name}: seed {want[0].get('seed')!r}, "
                f"but replication {r} runs with {s}"
            )

    if len(chosen) == len(reps):  # everything again: every table and figure derived anew
        try:
            cmp = compare(
                scenario,
                len(reps),
                seed,
                days,
                baseline=baseline,
                treatment=treatment,
                log=log,
                arrangements=names,
                drawn=drawn,
            )
        except (ScenarioError, ValueError, KeyError) as e:
            v.mismatches.append(f"the recorded comparison no longer runs: {e}")
            return
        for row in json_safe(cmp.per_run.to_dict(orient="records")):
            check_row(
                row["replication"], row["arrangement"], {k: row[k] for k in OUTCOMES}, row["seed"]
            )
        for name, table in comparison_tables(cmp).items():
            _compare_csv(name, folder / name, csv_text(table), v)
        _compare_figure(folder, record, cmp, v)
        return
    from streetchief.experiment import (
        LEDGER_COLUMNS,
        Comparison,
        _with,
        equity_means,
        ledger_means,
        replication_rows,
        scenario_parameters,
    )

    plain = scenario_parameters(scenario) if drawn else None
    runs_equity, runs_ledger = _recorded_rows(folder, v, reps)
    first, recorded = None, None
    for r in chosen:
        s = seed + r
        sc = scenario if not drawn else _with(scenario, plain, drawn[r])
        try:
            res = (
                run_scenario(sc, names, s, days)
                if log is None
                else replay(sc, log, names, s, days, recorded=(r == 0))
            )
        except (ScenarioError, ValueError, KeyError) as e:
            v.mismatches.append(f"replication {r}: the recorded run no longer runs: {e}")
            continue
        for name, summary in res.summaries.items():
            check_row(r, name, json_safe(outcomes_of(summary)), s)
        if r == reps[0]:
            first = res
            recorded = res.summaries.get("recorded") if log is not None else None
        _, served_rows, hours = replication_rows(res, r, s, recorded)
        for name, written, derived in (
            ("equity_by_replication.csv", runs_equity, pd.concat(served_rows, ignore_index=True)),
            ("ledger_by_replication.csv", runs_ledger, pd.DataFrame(hours, columns=LEDGER_COLUMNS)),
        ):
            if written is not None:
                _compare_replication(name, written, derived, r, v)
    # the tables that follow from the recorded rows alone
    shown = names + (["recorded"] if (per_run.arrangement == "recorded").any() else [])
    differences = paired_differences(per_run, baseline, names, predictive=bool(drawn))
    tables = {
        "replications.csv": per_run,
        "comparison.csv": means_table(per_run, shown),
        "differences.csv": differences,
    }
    for name, table in tables.items():
        _compare_csv(name, folder / name, csv_text(table), v)
    if first is None:
        return  # replication 0 no longer runs (said above): nothing to draw the rest from
    cmp = Comparison(
        per_run=per_run,
        means=tables["comparison.csv"],
        paired=differences,
        equity=equity_means(runs_equity) if runs_equity is not None else pd.DataFrame(),
        ledger=ledger_means(runs_ledger, len(reps)) if runs_ledger is not None else pd.DataFrame(),
        first=first,
        baseline=baseline,
        treatment=treatment,
        arrangements=names,
    )
    tables = {"cost_effectiveness.csv": cmp.cost_effectiveness()}
    if runs_equity is not None and runs_ledger is not None:
        tables |= {
            "equity.csv": cmp.equity,
            "ledger.csv": cmp.ledger,
            "equity_by_replication.csv": runs_equity,
            "ledger_by_replication.csv": runs_ledger,
        }
    for name, table in tables.items():
        _compare_csv(name, folder / name, csv_text(table), v)
    if runs_equity is not None:
        _compare_figure(folder, record, cmp, v)


# the columns of the per-replication tables that hold names, read back as text whatever they say
_NAMES = {"arrangement": str, "dimension": str, "group": str, "role": str}


def _recorded_rows(folder: Path, v: Verification, reps: list[int]):
    """equity_by_replication.csv and ledger_by_replication.csv as written (None for a folder of
    a version that wrote neither: its equity and ledger tables checked by sha256 only)."""
    import pandas as pd

    out = []
    for name in ("equity_by_replication.csv", "ledger_by_replication.csv"):
        path = folder / name
        if not path.is_file():
            v.notes.append(
                f"{name}: not in the folder (an older version): equity.csv, ledger.csv and "
                "equity.png checked by their sha256 only"
            )
            out.append(None)
            continue
        try:
            frame = pd.read_csv(path, dtype=_NAMES, keep_default_na=False, na_values=[""])
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as e:
            v.mismatches.append(f"{name}: not readable as the table written ({e})")
            out.append(None)
            continue
        problem = _rows_problem(frame, name, reps)
        if problem:
            v.mismatches.append(f"{name}: {problem}")
            out.append(None)
            continue
        for col, kind in _NAMES.items():
            if col in frame:
                frame[col] = frame[col].fillna("").astype(kind)
        out.append(frame)
    return out


def _rows_problem(frame, name: str, reps: list[int]) -> str | None:
    """What makes a per-replication table unlike the one compare writes, or None: its columns,
    numbers where numbers go, every replication's label, each row's key once per replication."""
    import pandas as pd

    from streetchief.experiment import EQUITY_VALUES, LEDGER_COLUMNS, LEDGER_HOURS

    equity = name.startswith("equity")
    keys = ["arrangement", "dimension", "group"] if equity else ["arrangement", "role"]
    numbers = EQUITY_VALUES if equity else LEDGER_HOURS
    wanted = [*keys, *numbers, "replication"] if equity else LEDGER_COLUMNS
    missing = [c for c in wanted if c not in frame]
    if missing:
        return f"no column {', '.join(missing)} (compare writes {', '.join(wanted)})"
    if not len(frame):
        return "no rows (every replication has some)"
    for c in [*numbers, "replication"]:
        if pd.to_numeric(frame[c], errors="coerce").isna().sum() > frame[c].isna().sum():
            return f"column {c}: a value that is not a number"
    labels = sorted(set(frame.replication))
    if labels != sorted(set(reps)):
        return f"replications {labels[:10]}, but the comparison has {sorted(set(reps))[:10]}"
    twice = frame.duplicated([*keys, "replication"])
    if twice.any():
        k = int(twice.to_numpy().argmax())
        return (
            f"row {k + 1}: the same {', '.join(keys)} twice in replication {frame.replication[k]}"
        )
    return None


def _compare_replication(name: str, rows, derived, r: int, v: Verification) -> None:
    """Replication r's rows of a per-replication table against the same rows of the re-run."""
    if "replication" not in rows:
        v.mismatches.append(f"{name}: no replication column")
        return
    v.checked.append(f"{name} replication {r}")
    have = csv_text(rows[rows.replication == r])
    _compare_text(name, have, csv_text(derived), v, f": replication {r}, its rows")


def _compare_figure(folder: Path, record: dict, cmp, v: Verification) -> None:
    """comparison.png (replication 0) and equity.png (every replication) drawn again, byte for
    byte with the same matplotlib, whatever the record says of them."""
    from importlib import metadata

    from streetchief.plots import comparison_figure, equity_figure

    drawn_with = ((record.get("provenance") or {}).get("dependencies") or {}).get("matplotlib")
    if drawn_with != metadata.version("matplotlib"):
        v.notes.append(
            f"comparison.png, equity.png: drawn with matplotlib {drawn_with}, not drawn again "
            "(checked by their sha256 only)"
        )
        return
    with tempfile.TemporaryDirectory() as d:
        comparison_figure(cmp.first, Path(d) / "comparison.png", record.get("replications"))
        equity_figure(cmp.equity, cmp.arrangements, Path(d) / "equity.png")
        for name, what in (
            ("comparison.png", "the figure drawn again from replication 0"),
            ("equity.png", "the figure drawn again from the replications"),
        ):
            png = folder / name
            v.checked.append(name)
            if not png.is_file() or png.read_bytes() != (Path(d) / name).read_bytes():
                v.mismatches.append(f"{name}: not {what}")


# --- a sweep ----------------------------------------------------------------------------------
def _verify_sweep(folder: Path, record: dict, v: Verification, sample, rng, force) -> None:
    import pandas as pd

    from streetchief.budget import estimate_sweep
    from streetchief.sweeps import load_sweep, run_task
    from streetchief.sweeps.runner import _task_table
    from streetchief.sweeps.store import gather, read_parts

    path = folder / "sweep.json"
    _check_files(folder, record, "sweep.json", v)
    spec = _need(record, path, "spec", dict, "the sweep's spec")
    base = _need(record, path, "base_scenario", dict, "the base scenario's content")
    digest = _need(record, path, "digest", str, "the sweep's digest")
    if content_hash(base) != record.get("scenario_sha256"):
        v.mismatches.append(
            "sweep.json: the recorded base scenario does not match its recorded sha256"
        )
    try:
        sw = load_sweep(spec, base=base)
    except InputError as e:
        raise VerifyError(str(path), [f"the recorded spec no longer loads: {e}"]) from None
    if sw.digest != digest:
        raise VerifyError(
            str(path), ["the recorded spec does not give the recorded design (digest differs)"]
        )
    s = sw.spec
    outcomes = s.outcomes or list(OUTCOMES)
    status = record.get("status")
    if not (folder / "runs.parquet").is_file():
        raise VerifyError(
            str(folder),
            [
                f"no runs.parquet: the sweep ({status}) stopped before its first results were "
                "gathered; start it again with the same command, then verify"
            ],
        )
    try:
        runs = pd.read_parquet(folder / "runs.parquet")
    except Exception as e:  # damaged, not Parquet
        v.mismatches.append(f"runs.parquet: unreadable ({type(e).__name__})")
        return
    # the parts, each checked as a resumed sweep checks it, gathered again
    parts, problems = read_parts(folder, sw, lambda p, r: _task_table(sw, p, r, None, outcomes))
    v.mismatches.extend(problems)
    gathered = gather(parts, s.arrangements)
    if not problems:
        v.checked.append(f"runs/ ({len(parts)} parts)")
        if not _frames_equal(gathered, runs):
            v.mismatches.append("runs.parquet: not the parts in runs/ gathered")
    # the table against the design
    expected = {(p, r) for p, r in sw.tasks}
    keys = list(zip(runs.get("point_id", []), runs.get("replication", []), strict=False))
    if "run_id" in runs and not runs.run_id.is_unique:
        dup = sorted(set(runs.run_id[runs.run_id.duplicated()]))
        v.mismatches.append(f"runs.parquet: run ids given twice: {', '.join(map(str, dup[:5]))}")
    present = {(int(p), int(r)) for p, r in keys}
    foreign = sorted(present - expected)
    if foreign:
        v.mismatches.append(f"runs.parquet: runs not in the design: {foreign[:5]}")
    missing = sorted(expected - present)
    total, ok_n = len(runs), int((runs.get("status") == "ok").sum()) if len(runs) else 0
    failed_n = int((runs.get("status") == "failed").sum()) if len(runs) else 0
    for key, have in (("runs_done", ok_n), ("runs_failed", failed_n)):
        if record.get(key) != have:
            v.mismatches.append(f"sweep.json: {key} {record.get(key)!r}, runs.parquet has {have}")
    if missing:
        shown = ", ".join(f"point {p} replication {r}" for p, r in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        if status == "complete":
            v.mismatches.append(f"runs.parquet: missing from a complete sweep: {shown}{more}")
        else:
            v.notes.append(
                f"the sweep is {status}: {len(missing)} of {len(expected)} tasks not run yet "
                f"({shown}{more})"
            )
    _check_design(sw, runs, v)
    # the outcomes, run again
    ok = runs[runs.get("status") == "ok"] if total else runs
    tasks = sorted({(int(p), int(r)) for p, r in zip(ok.point_id, ok.replication, strict=True)})
    tasks = [t for t in tasks if t in expected]
    if not tasks:
        raise VerifyError(str(folder), ["no successful runs to verify"])
    chosen = tasks if sample is None or sample >= len(tasks) else sorted(rng.sample(tasks, sample))
    if len(chosen) < len(tasks):
        v.notes.append(
            f"sweep: re-ran {len(chosen)} of {len(tasks)} tasks, drawn at random: "
            + ", ".join(f"point {p} replication {r}" for p, r in chosen[:20])
            + (" ..." if len(chosen) > 20 else "")
        )
    _guard(estimate_sweep(sw, 1, len(chosen)), force, path)
    for p, r in chosen:
        result = run_task(
            sw.base, sw.overrides(p), s.days, s.seed + r, s.arrangements, outcomes, s.save_issues
        )
        if result["error"]:
            v.mismatches.append(f"point {p} replication {r}: now fails: {result['error']}")
            continue
        if s.save_issues:  # the per-issue records saved with the sweep
            name = f"issues/point={p}/replication={r}/part-0.parquet"
            _compare_tables(name, folder / name, result["issues"], v)
        for a in s.arrangements:
            rows = ok[(ok.point_id == p) & (ok.replication == r) & (ok.arrangement == a)]
            v.checked.append(f"point {p} replication {r} {a}")
            if len(rows) != 1:
                v.mismatches.append(f"point {p} replication {r} {a}: {len(rows)} rows")
                continue
            row = rows.iloc[0]
            want = {k: (None if pd.isna(row.get(k)) else float(row.get(k))) for k in outcomes}
            got = {
                k: (None if result["rows"][a][k] is None else float(result["rows"][a][k]))
                for k in outcomes
            }
            v.mismatches.extend(
                f"runs.parquet: point {p} replication {r} {a}: {d}"
                for d in _same(want, json_safe(got))
            )


def _frames_equal(a, b) -> bool:
    import pandas as pd

    try:
        pd.testing.assert_frame_equal(
            a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False
        )
        return True
    except (AssertionError, ValueError, TypeError):
        return False


def _check_design(sw, runs, v: Verification) -> None:
    """Each row's identity (run id, seed) and parameters are the design's for its point."""
    s = sw.spec
    params = list(sw.points.columns)
    absent = [c for c in ["run_id", "point_id", "replication", "seed", *params] if c not in runs]
    if absent:
        v.mismatches.append(f"runs.parquet: columns missing: {', '.join(absent)}")
        return
    bad = 0
    for rowd in runs.to_dict("records"):
        p, r, a = int(rowd["point_id"]), int(rowd["replication"]), rowd.get("arrangement")
        if not (0 <= p < len(sw.points)):
            continue
        want = {
            "run_id": f"p{p:05d}-r{r:04d}-{a}",
            "seed": s.seed + r,
            **sw.overrides(p),
        }
        for col, value in want.items():
            got = rowd.get(col)
            if _same(value, got.item() if hasattr(got, "item") else got):
                bad += 1
                if bad <= 10:
                    v.mismatches.append(
                        f"runs.parquet: point {p} replication {r} {a}: {col} is {got!r}, the "
                        f"design gives {value!r}"
                    )
    if bad > 10:
        v.mismatches.append(f"runs.parquet: ... {bad - 10} more cells differ from the design")
    v.checked.append(f"runs.parquet against the design ({len(runs)} rows)")


# --- a sweep's analysis -----------------------------------------------------------------------
def _verify_analysis(folder: Path, record: dict, v: Verification, sample, rng, force) -> None:
    """The analysis drawn again from its sweep's runs: every table, and the figures when the
    matplotlib is the same."""
    from importlib import metadata

    from streetchief.sweeps.analysis import analyze

    path = folder / "analysis.json"
    _check_files(folder, record, "analysis.json", v, f"{folder.name}/")
    sweep_dir = Path(_need(record, path, "sweep", str, "the sweep's folder"))
    outcome = _need(record, path, "outcome", str, "an outcome's name")
    if not (sweep_dir / "runs.parquet").is_file():
        raise VerifyError(str(path), [f"the analysed sweep {sweep_dir} is not there any more"])
    if file_hash(sweep_dir / "runs.parquet") != record.get("runs_sha256"):
        v.notes.append(
            f"{folder.name}/: drawn from an earlier runs.parquet (the sweep went on, or was "
            "changed, since): run analyze again"
        )
        return
    same_matplotlib = ((record.get("provenance") or {}).get("dependencies") or {}).get(
        "matplotlib"
    ) == metadata.version("matplotlib")
    with tempfile.TemporaryDirectory() as d:
        analyze(sweep_dir, outcome, record.get("x"), record.get("y"), Path(d))
        for again in sorted(Path(d).iterdir()):
            name = f"{folder.name}/{again.name}"
            if again.suffix == ".csv":
                _compare_csv(name, folder / again.name, again.read_text(encoding="utf-8"), v)
            elif same_matplotlib:
                v.checked.append(name)
                mine = folder / again.name
                if not mine.is_file() or mine.read_bytes() != again.read_bytes():
                    v.mismatches.append(f"{name}: not the figure drawn again from the sweep")
    if not same_matplotlib:
        v.notes.append(f"{folder.name}/: figures checked by their sha256 only (another matplotlib)")
