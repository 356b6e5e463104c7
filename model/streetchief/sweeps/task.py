"""One task of a sweep, as a worker runs it: every arrangement at one point and replication."""

from __future__ import annotations

import os
import time
import traceback

from streetchief.outcomes import OUTCOMES
from streetchief.scenario import load_scenario

FAULTS_VARIABLE = "STREETCHIEF_FAULTS"  # reliability tests only, e.g. "raise=0.2,kill=0.1"


def run_task(
    base: dict,
    overrides: dict,
    days: float | None,
    seed: int,
    arrangements: list[str],
    outcomes: list[str],
    save_issues: bool,
) -> dict:
    """Runs in a worker; returns plain data: outcome rows per arrangement, or the error."""
    from streetchief.experiment import run_scenario

    t0 = time.perf_counter()
    try:
        _injected_fault("before")
        scenario = load_scenario(base, **overrides)
        res = run_scenario(scenario, arrangements, seed, days)
        rows = {name: {k: OUTCOMES[k](s) for k in outcomes} for name, s in res.summaries.items()}
        issues = res.issues if save_issues else None
        _injected_fault("after")
        return {"rows": rows, "error": None, "seconds": time.perf_counter() - t0, "issues": issues}
    except Exception as e:  # recorded with the run, and the sweep goes on
        return {
            "rows": None,
            "error": f"{type(e).__name__}: {e}",
            "traceback": traceback.format_exc(),
            "seconds": time.perf_counter() - t0,
            "issues": None,
        }


def _injected_fault(when: str) -> None:
    """Faults on purpose, for the reliability tests: with STREETCHIEF_FAULTS="raise=P,kill=Q" a task
    raises with probability P, or its process is killed (SIGKILL) with probability Q, before or
    after its work. Unset (always, in normal use), this does nothing."""
    spec = os.environ.get(FAULTS_VARIABLE)
    if not spec:
        return
    import random
    import signal

    p = {k: float(v) for k, v in (kv.split("=") for kv in spec.split(",") if "=" in kv)}
    r = random.SystemRandom()
    if r.random() < p.get("kill", 0.0) / 2:
        os.kill(os.getpid(), signal.SIGKILL)
    if when == "after" and r.random() < p.get("raise", 0.0):
        raise RuntimeError("injected fault")
