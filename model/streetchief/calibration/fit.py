"""Fitting an arrangement to a log's recorded responses with ABC-SMC (pyabc), resumable, with a
held-out check.

The arrangement replays the log's own arrivals; parameters drawn from the prior are kept when the
simulated responses come close enough to the recorded ones (`statistics.distance`), and each
generation tightens "close enough". What is left is a sample of the posterior: the parameter values
that reproduce the record, with their uncertainty, which `compare --calibrated` carries into its
intervals. The search's history lives in DIR/abc.db (SQLite): a search interrupted and started again
with the same command goes on from its last finished generation.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from streetchief.calibration.spec import Calibration, CalibrationError
from streetchief.calibration.statistics import distance, main_categories, statistics
from streetchief.files import write_json, write_text
from streetchief.scenario import load_scenario

QUANTILES = {"q025": 0.025, "q05": 0.05, "median": 0.5, "q95": 0.95, "q975": 0.975}


@dataclass
class Posterior:
    """Weighted samples of the fitted parameters (one column per dotted path)."""

    samples: pd.DataFrame
    weights: np.ndarray
    # values the log set directly (`leads: from_log`), the same in every draw
    given: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """Per parameter: the weighted mean and quantiles (a 90% and a 95% interval)."""
        out = {}
        w = self.weights / self.weights.sum()
        for p in self.samples.columns:
            x = self.samples[p].to_numpy(float)
            order = np.argsort(x)
            cum = np.cumsum(w[order])
            q = {
                k: float(x[order][min(np.searchsorted(cum, v), len(x) - 1)])
                for k, v in QUANTILES.items()
            }
            out[p] = {
                "mean": float(np.sum(w * x)),
                **q,
                "interval_90": [q["q05"], q["q95"]],
                "interval_95": [q["q025"], q["q975"]],
            }
        return out

    def draw(self, rng: np.random.Generator, n: int = 1) -> list[dict]:
        """n parameter settings drawn with the posterior's weights."""
        k = rng.choice(len(self.weights), size=n, p=self.weights / self.weights.sum())
        return [
            {**self.given, **{p: _plain(self.samples[p].iloc[j]) for p in self.samples.columns}}
            for j in k
        ]

    def medians(self) -> dict:
        return {p: s["median"] for p, s in self.summary().items()}

    @classmethod
    def read(cls, folder: Path) -> Posterior:
        df = pd.read_csv(Path(folder) / "posterior.csv")
        return cls(df.drop(columns="weight"), df["weight"].to_numpy(float))


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def replay_table(base: dict, log, arrangement: str, overrides: dict, seed: int):
    """`arrangement`'s per-issue records, replaying `log` on `base` with `overrides` set."""
    from streetchief.experiment import replay

    scenario = load_scenario(base, **overrides)
    res = replay(scenario, log, [arrangement], seed=seed, recorded=False, summaries=False)
    return res.tables[arrangement]


class Simulator:
    """The arrangement replaying a log with given parameters; picklable, for worker processes."""

    def __init__(
        self,
        base: dict,
        log,
        arrangement: str,
        categories: list[str],
        horizon: float,
        calibration: Calibration,
        names: dict[str, str],
    ):
        self.base, self.log, self.arrangement = base, log, arrangement
        self.categories, self.horizon = categories, horizon
        self.params, self.names, self.seed = (
            calibration.spec.parameters,
            names,
            calibration.spec.seed,
        )

    def overrides(self, values: dict) -> dict:
        """pyabc's names (p0, p1, ...) → dotted paths with their values, counts rounded."""
        return {
            path: self.params[path].value(float(values[key])) for key, path in self.names.items()
        }

    def run(self, overrides: dict, seed: int | None = None):
        if seed is None:  # a seed of its own for each setting, the same whatever process runs it
            text = json.dumps(overrides, sort_keys=True) + str(self.seed)
            seed = int(hashlib.sha256(text.encode()).hexdigest()[:8], 16)
        return replay_table(self.base, self.log, self.arrangement, overrides, seed)

    def __call__(self, values: dict) -> dict:
        table = self.run(self.overrides(values))
        return statistics(table, self.categories, self.horizon)


class _Generations(logging.Handler):
    """Reports each generation pyabc starts (its log line "t: N, eps: ...") to `progress`."""

    def __init__(self, progress, total: int):
        super().__init__(logging.INFO)
        self.progress, self.total = progress, total

    def emit(self, record):
        text = record.getMessage()
        if self.progress is not None and text.startswith("t: "):
            self.progress(int(text[3:].split(",")[0]), self.total)


def _prior(calibration: Calibration):
    import pyabc

    names, rvs = {}, {}
    for k, (path, p) in enumerate(calibration.spec.parameters.items()):
        key = f"p{k}"
        names[key] = path
        if p.distribution == "loguniform":
            rvs[key] = pyabc.RV("loguniform", p.low, p.high)
        else:
            rvs[key] = pyabc.RV("uniform", p.low, p.high - p.low)
    return pyabc.Distribution(**rvs), names


def _sampler(executor: str, workers: int | None):
    import pyabc

    if executor == "dask":
        from streetchief.sweeps.dask_executor import secure_local_cluster

        client, cluster = secure_local_cluster(workers, silence_logs=logging.ERROR)
        return pyabc.sampler.DaskDistributedSampler(dask_client=client), (client, cluster)
    n = workers or os.cpu_count() or 1
    if n == 1:
        return pyabc.sampler.SingleCoreSampler(), ()
    _workers_die_with_their_coordinator()
    return pyabc.sampler.MulticoreEvalParallelSampler(n_procs=n), ()


_AT_FORK = []


def _workers_die_with_their_coordinator() -> None:
    """pyabc forks its workers: each ends with the coordinator, however it ends (SIGKILL
    included), and leaves Ctrl-C, TERM and HUP to it, quietly (no worker traceback)."""
    if _AT_FORK:
        return
    parent = os.getpid()
    forker = [parent]

    def before():
        forker[0] = os.getpid()  # the child's copy says which process forked it

    def in_child():
        import signal

        from streetchief.worker_processes import die_with

        if forker[0] != parent:  # a fork made by another process (a worker's own): not ours
            return
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_DFL)
        die_with(parent)  # already gone (killed while this forked): ends at once

    os.register_at_fork(before=before, after_in_child=in_child)
    _AT_FORK.append(in_child)


def search(
    calibration: Calibration,
    simulator: Simulator,
    observed: dict,
    out: Path,
    executor: str = "local",
    workers: int | None = None,
    progress=None,
    identity: dict | None = None,
) -> tuple[Posterior, dict]:
    """ABC-SMC over the spec's parameters, resumed from DIR/abc.db when it holds this search:
    the same spec and scenario and the same `identity` (what else decides the search: the
    arrangement, the rows fitted, the holdout); anything else is refused by name."""
    import pyabc

    logging.getLogger("ABC").setLevel(logging.INFO)  # its generations drive the progress bar
    logging.getLogger("ABC").propagate = False
    for name in (
        "ABC.History",
        "ABC.Sampler",
        "ABC.Population",
        "ABC.Distance",
        "ABC.Epsilon",
        "ABC.Adaptation",
        "ABC.Transition",
        "ABC.Predictor",
    ):
        logging.getLogger(name).setLevel(logging.WARNING)
    spec = calibration.spec
    prior, names = _prior(calibration)
    state_path, db = out / "search.json", out / "abc.db"
    state = json.loads(state_path.read_text(encoding="utf-8")) if state_path.exists() else {}
    identity = {"spec_and_scenario": calibration.digest, **(identity or {})}
    if state and (state.get("digest") != calibration.digest or state.get("identity") != identity):
        if "identity" not in state:
            raise CalibrationError(
                str(out),
                [
                    f"holds a search ({state.get('name')!r}) recorded by an older version, which "
                    "did not keep the log, holdout and arrangement it was started with: choose "
                    "another --out, or delete the folder to start again"
                ],
            )
        before = state["identity"]
        differ = [IDENTITY_WORDS.get(k, k) for k in identity if before.get(k) != identity[k]]
        raise CalibrationError(
            str(out),
            [
                f"holds a search started with another {', '.join(differ) or 'input'} "
                f"({state.get('name')!r}); resuming it would give its posterior for this one: "
                "choose another --out, or delete the folder to start again"
            ],
        )
    sampler, keep = _sampler(executor, workers)
    np.random.seed(spec.seed)  # pyabc draws from numpy's global generator
    t0 = time.perf_counter()
    try:
        abc = pyabc.ABCSMC(
            simulator, prior, distance, population_size=spec.population_size, sampler=sampler
        )
        if state and (db.exists() or db.is_symlink()):
            _check_db(db, out)
            try:
                history = abc.load(f"sqlite:///{db}", state["run_id"])
                history.max_t  # noqa: B018 (reads the database: a damaged one fails here)
            except Exception as e:  # sqlalchemy and pandas raise several kinds on a bad file
                raise CalibrationError(
                    str(db),
                    [
                        f"cannot be resumed from ({type(e).__name__}: {str(e)[:200]}); delete "
                        "it (or the folder) to start the search again"
                    ],
                ) from None
        else:
            db.unlink(missing_ok=True)
            history = abc.new(f"sqlite:///{db}", observed)
            state = {
                "name": spec.name,
                "digest": calibration.digest,
                "identity": identity,
                "run_id": history.id,
            }
            write_json(state, state_path)
        remaining = spec.generations - (history.max_t + 1)
        if remaining > 0:
            logger = logging.getLogger("ABC")
            own = logger.handlers[:]  # pyabc prints every generation: ours reports it instead
            logger.handlers = [_Generations(progress, spec.generations)]
            try:
                history = abc.run(max_nr_populations=remaining, minimum_epsilon=spec.min_epsilon)
            finally:
                logger.handlers = own
        if progress is not None:
            progress(spec.generations, spec.generations)
    except Exception as e:
        if _disk_full(e):
            raise CalibrationError(
                str(db),
                [
                    "the disk is full: the search could not be written (sqlite: "
                    f"{str(e).splitlines()[0][:120]}); free some space, or choose another --out; "
                    "each generation already written is kept (sqlite writes a generation whole or "
                    "not at all), and the same command resumes from it, with fresh draws from there"
                ],
            ) from None
        raise
    finally:
        for thing in keep:
            thing.close()
    df, w = history.get_distribution(m=0, t=history.max_t)
    for key, path in names.items():  # an adopted search must hold what this prior can give
        p = calibration.spec.parameters[path]
        x = pd.to_numeric(df.get(key), errors="coerce").to_numpy(float) if key in df else None
        if x is None or not np.isfinite(x).all() or (x < p.low).any() or (x > p.high).any():
            raise CalibrationError(
                str(db),
                [
                    f"holds values of {path} outside its prior {p.low:g} to {p.high:g} (another "
                    "spec's search, or an edited file): delete it to start the search again"
                ],
            )
    samples = pd.DataFrame(
        {path: df[key].map(calibration.spec.parameters[path].value) for key, path in names.items()}
    )
    pops = history.get_all_populations()
    info = {
        "evaluations": int(history.total_nr_simulations),
        "generations": int(history.max_t + 1),
        "epsilons": [float(e) for e in pops.epsilon.to_numpy() if math.isfinite(e)],
        "search_seconds": time.perf_counter() - t0,
        "executor": executor,
        "workers": workers,
        "method": f"ABC-SMC (pyabc {pyabc.__version__})",
    }
    return Posterior(samples.reset_index(drop=True), np.asarray(w, float)), info


def _disk_full(e: BaseException) -> bool:
    """A failed write for want of space: sqlite's own words, or the system's ENOSPC."""
    import errno

    for x in (e, e.__cause__, getattr(e, "orig", None)):
        if isinstance(x, OSError) and x.errno == errno.ENOSPC:
            return True
        if x is not None and "disk is full" in str(x):
            return True
    return False


IDENTITY_WORDS = {
    "spec_and_scenario": "spec or scenario",
    "arrangement": "--arrangement",
    "fitted_rows": "log or holdout (the rows fitted differ)",
    "holdout": "--holdout",
}


def _check_db(db: Path, out: Path) -> None:
    """abc.db as a search writes it: a plain SQLite file in the folder, not a link."""
    import stat

    st = os.lstat(db)
    if stat.S_ISLNK(st.st_mode) or not stat.S_ISREG(st.st_mode):
        raise CalibrationError(
            str(db), ["is a symbolic link or not a plain file; a search's database never is"]
        )
    with open(db, "rb") as f:
        head = f.read(16)
    if head != b"SQLite format 3\x00":
        raise CalibrationError(
            str(db),
            ["is not a SQLite database (damaged?): delete it to start the search again"],
        )


def rows_digest(frame: pd.DataFrame) -> str:
    """The content of a log's rows (what is fitted), whatever file they came from."""
    h = pd.util.hash_pandas_object(frame.reset_index(drop=True), index=False).to_numpy()
    return hashlib.sha256(h.tobytes() + ",".join(map(str, frame.columns)).encode()).hexdigest()[:16]


def observe(log, scenario, categories_n: int):
    """(the recorded table, its categories, the window's hours) of a log's observed responses."""
    from streetchief.experiment import recorded_history

    rec = recorded_history(scenario, log)
    table = rec.tables["recorded"]
    return table, main_categories(table, categories_n), rec.horizon


def predictive(
    simulator: Simulator,
    posterior: Posterior,
    recorded,
    categories: list[str],
    draws: int,
    seed: int,
) -> dict:
    """Posterior draws replayed on `simulator`'s log: per main category the recorded median and 90th
    percentile of hours to resolution against the draws' 90% interval and the share inside; the
    distance of each draw; the overall median hours to resolution, recorded and simulated; and the
    draws' hours to resolution by category (for the figure)."""
    rng = np.random.default_rng(seed)
    observed = statistics(recorded, categories, simulator.horizon)
    per_draw, dists, medians, hours = [], [], [], {c: [] for c in categories}
    for k, values in enumerate(posterior.draw(rng, draws)):
        table = simulator.run(values, seed=seed + k)
        dists.append(distance(statistics(table, categories, simulator.horizon), observed))
        per_draw.append(_hours_by_category(table, categories))
        medians.append(_overall_median(table))
        for c, h in _resolution_hours(table, categories).items():
            hours[c].append(h)
    rec = _hours_by_category(recorded, categories)
    rows, inside = [], []
    for c in categories:
        for name in ("median", "p90"):
            sims = np.array([d[c][name] for d in per_draw if c in d], float)
            if c not in rec or not len(sims):
                continue
            lo, hi = np.percentile(sims, [5, 95])
            ok = bool(lo <= rec[c][name] <= hi)
            inside.append(ok)
            rows.append(
                {
                    "category": c,
                    "statistic": name,
                    "recorded": rec[c][name],
                    "low": float(lo),
                    "high": float(hi),
                    "simulated_median": float(np.median(sims)),
                    "inside": ok,
                }
            )
    sim_medians = [m for m in medians if m is not None]
    return {
        "distance_median": float(np.median(dists)),
        "distances": [float(d) for d in dists],
        "share_inside": float(np.mean(inside)) if inside else None,
        "checks": rows,
        "median_hours_recorded": _overall_median(recorded),
        "median_hours_simulated": float(np.median(sim_medians)) if sim_medians else None,
        "median_hours_simulated_interval_90": (
            [float(x) for x in np.percentile(sim_medians, [5, 95])] if sim_medians else None
        ),
        "_hours": hours,
    }


def _resolution_hours(table, categories: list[str]) -> dict:
    cats = table["category"].to_numpy(zero_copy_only=False).astype(str)
    h = table["resolved_at"].to_numpy() - table["reported_at"].to_numpy()
    return {c: h[(cats == c) & ~np.isnan(h)] for c in categories}


def _hours_by_category(table, categories: list[str]) -> dict:
    cats = table["category"].to_numpy(zero_copy_only=False).astype(str)
    h = table["resolved_at"].to_numpy() - table["reported_at"].to_numpy()
    out = {}
    for c in categories:
        x = h[(cats == c) & ~np.isnan(h)]
        if len(x) >= 5:
            out[c] = {"median": float(np.median(x)), "p90": float(np.percentile(x, 90))}
    return out


def _overall_median(table) -> float | None:
    h = table["resolved_at"].to_numpy() - table["reported_at"].to_numpy()
    h = h[~np.isnan(h)]
    return float(np.median(h)) if len(h) else None


def set_in_text(
    base_text: str, settings: dict, header: str = "set on the command line (--set)"
) -> str:
    """The scenario's text with `--set` values in place, its comments kept, each one marked."""
    import io

    from ruamel.yaml import YAML

    round_trip = YAML()
    round_trip.preserve_quotes = True
    round_trip.width = 4096
    doc = round_trip.load(base_text)
    for path_, value in settings.items():
        for node, key in _places(doc, path_.split(".")):
            node[key] = value
    buf = io.StringIO()
    round_trip.dump(doc, buf)
    lines = "".join(f"#   {p}: {_short(v)}\n" for p, v in settings.items())
    return f"# {header}:\n{lines}{buf.getvalue()}"


def _short(v) -> str:
    """A value for a header line: an empirical distribution by its size and median."""
    if isinstance(v, dict) and v.get("dist") == "empirical":
        x = v.get("values") or [0]
        return f"empirical, {len(x)} quantiles, median {float(np.median(x)):.4g} h"
    return repr(v)


def write_fitted_yaml(
    base_text: str, posterior: Posterior, log_sha: str | None, path: Path
) -> None:
    """The base scenario's text with the fitted values (posterior medians) set, its comments and
    source tags kept; each fitted value marked [log] with its interval and the log's sha256."""
    import io

    from ruamel.yaml import YAML

    round_trip = YAML()  # ruamel's round-trip loader: plain data and comments, no Python objects
    round_trip.preserve_quotes = True
    round_trip.width = 4096
    doc = round_trip.load(base_text)
    summary = posterior.summary()
    fitted_lines = []
    for path_, s in summary.items():
        value = float(f"{s['median']:.4g}")
        if posterior.samples[path_].dtype.kind in "iu":
            value = int(round(value))
        lo, hi = s["interval_95"]
        note = f"[log] fitted (posterior median; 95% interval {lo:.4g}–{hi:.4g})"
        for node, key in _places(doc, path_.split(".")):
            node[key] = value
            flow = getattr(getattr(node, "fa", None), "flow_style", lambda: False)()
            if not flow:  # a comment inside {…} would break the line: the header says it
                try:
                    node.yaml_add_eol_comment(note, key)
                except (AttributeError, TypeError):
                    pass
        fitted_lines.append(f"#   {path_}: {value} {note}")
    buf = io.StringIO()
    round_trip.dump(doc, buf)
    header = (
        f"# fitted by streetchief calibrate to a log with sha256 {log_sha};\n"
        "# the fitted values are marked [log]:\n" + "\n".join(fitted_lines) + "\n"
    )
    write_text(header + buf.getvalue(), path)


def _places(node, keys: list[str]):
    """(container, key) for a dotted path in a round-trip YAML document (`*`: every key)."""
    head, rest = keys[0], keys[1:]
    if not rest and head != "*" and not isinstance(node, list):
        yield node, head  # a value the base leaves at its default is written in
        return
    if isinstance(node, list):
        items = list(enumerate(node)) if head == "*" else [(int(head), node[int(head)])]
    else:
        items = list(node.items()) if head == "*" else [(head, node[head])]
    for k, child in items:
        if rest:
            yield from _places(child, rest)
        else:
            yield node, k
