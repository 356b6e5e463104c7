"""A conformance kit for arrangements, as scikit-learn's `check_estimator` is for estimators:
`check_arrangement(cls)` runs the invariants every arrangement must keep on a short run of a
scenario, and raises `AssertionError` naming the first one broken.

    from streetchief.testing import check_arrangement
    check_arrangement(OneStopWindow, params={"answer": {...}, "dispatch": {...}})

The invariants: no issue lost (every reported issue has one record, and is resolved, ended
unfixed or still open); times ordered (reported ≤ answered ≤ dispatched ≤ resolved ≤ closed);
the same seed gives the same records; the problems are the same as under another arrangement
(common random numbers); the officials' ledger adds up; a parameter it does not know is refused.
"""

from __future__ import annotations

import numpy as np

TIMES = ["reported_at", "acknowledged_at", "dispatched_at", "resolved_at", "closed_at"]


def check_arrangement(
    cls,
    params: dict | None = None,
    scenario: str = "jingxing_2019",
    days: float = 30,
    seed: int = 1,
) -> dict:
    """Run `cls` (an Arrangement subclass; registered here if it is not yet) beside the scenario's
    multi-layer routing for `days`, with `params` as its `arrangements.<name>` section (or the
    scenario's own), and check the invariants. Returns its summary."""
    from streetchief.arrangements import ARRANGEMENTS, register
    from streetchief.errors import ScenarioError
    from streetchief.experiment import run_scenario
    from streetchief.scenario import load_scenario

    name = cls.name
    if ARRANGEMENTS.get(name) is not cls:
        register(cls)
    section = {} if params is None else {f"arrangements.{name}": params}
    sc = load_scenario(scenario, **section)
    other = next(a for a in sc.arrangement_names if a != name)
    names = [name, other]
    res = run_scenario(sc, names, days=days, seed=seed, keep_models=True)
    table, summary, model = res.tables[name], res.summaries[name], res.models[name]

    # no issue lost
    ids = table["issue_id"].to_numpy()
    assert len(ids) == len(np.unique(ids)), f"{name}: an issue has two records"
    reported = {i for i, t in enumerate(model.issues.reported_at) if t == t}
    assert set(ids.tolist()) == reported, f"{name}: a reported issue has no record"
    assert summary["issues_reported"] == (
        summary["issues_resolved"] + summary["issues_ended_unfixed"] + summary["issues_open"]
    ), f"{name}: reported ≠ resolved + ended unfixed + open"
    assert summary["issues_reported"] > 0, f"{name}: no issue reported in {days:g} days"

    # times ordered, for the issues fixed
    t = table.to_pandas()
    fixed = t[t.ended_how.isna()]
    steps = np.column_stack([fixed[c].to_numpy() for c in TIMES])
    for a in range(len(TIMES) - 1):
        later = steps[:, a + 1]
        happened = ~np.isnan(later)
        assert not np.isnan(steps[happened, a]).any(), f"{name}: {TIMES[a + 1]} without {TIMES[a]}"
        assert (steps[happened, a] <= later[happened] + 1e-9).all(), (
            f"{name}: {TIMES[a + 1]} before {TIMES[a]}"
        )
    assert (t.reported_at <= res.horizon + 1e-9).all(), f"{name}: a report after the run's end"

    # the same seed gives the same records
    again = run_scenario(sc, [name], days=days, seed=seed).tables[name]
    assert again.to_pandas().equals(t), f"{name}: the same seed gave other records"  # NaN = NaN

    # common random numbers: the same problems as under the other arrangement
    assert summary["problems_arisen"] == res.summaries[other]["problems_arisen"], (
        f"{name}: other problems than {other}'s on the same seed (its own draws must come from "
        "model.rng or an arrangement stream, never the problems')"
    )

    # the ledger adds up
    hours = summary.get("official_hours") or {}
    assert np.isclose(sum(hours.values()), summary.get("official_hours_total") or 0.0), (
        f"{name}: officials' hours by role do not add up to the total"
    )

    # a parameter it does not know is refused, by name
    try:
        load_scenario(scenario, **{f"arrangements.{name}": {**(params or {}), "no_such_key": 1}})
    except ScenarioError as e:
        assert any("no_such_key" in p for p in e.problems), f"{name}: refused, but not by name"
    else:
        raise AssertionError(f"{name}: an unknown parameter was accepted")
    return summary
