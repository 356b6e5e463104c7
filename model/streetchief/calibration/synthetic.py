"""Logs simulated from known parameters: what a city would have recorded had the model been right.

Used to check that a calibration gets known parameters back, and to measure calibration's speed.
"""

from __future__ import annotations

import pandas as pd

from streetchief.issues import CHIEF, MERCHANT


def simulated_log(scenario, arrangement: str, seed: int, days: float) -> pd.DataFrame:
    """Every issue of one run of `arrangement`, in the issue-log format with its observed responses
    (acknowledged_at, resolved_at, closed_at as local times)."""
    from streetchief.experiment import run_scenario

    table = (
        run_scenario(scenario, [arrangement], seed=seed, days=days).tables[arrangement].to_pandas()
    )
    start = pd.Timestamp(scenario.run.start)

    def when(col):
        return (start + pd.to_timedelta(table[col], unit="h")).dt.round("s")

    return pd.DataFrame(
        {
            "reported_at": when("reported_at"),
            "issue_id": table.issue_id.astype(str),
            "zone": table.zone.astype(str),
            "category": table.category.astype(str),
            "discovered_by": table.discovered_by.astype(str).where(
                table.discovered_by.astype(str) == CHIEF, MERCHANT
            ),
            "acknowledged_at": when("acknowledged_at"),
            "resolved_at": when("resolved_at"),
            "closed_at": when("closed_at"),
        }
    )
