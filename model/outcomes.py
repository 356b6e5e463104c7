"""Outcomes: the numbers a comparison and a sweep read from each run's summary, by name."""

from __future__ import annotations

OUTCOMES = {  # name in the comparison table → how to read it from a summary
    "resolution_mean_h": lambda s: s["resolution_hours"]["mean"],
    "resolution_median_h": lambda s: s["resolution_hours"]["median"],
    "resolution_p90_h": lambda s: s["resolution_hours"]["p90"],
    "acknowledgement_mean_h": lambda s: s["acknowledgement_hours"]["mean"],
    "on_time_share": lambda s: s["on_time_share"],
    "issues_reported": lambda s: s["issues_reported"],
    "issues_open": lambda s: s["issues_open"],
    "mean_backlog": lambda s: s["mean_backlog"],
    "bounces_per_issue": lambda s: s["bounces_per_issue"],
    "chief_hours": lambda s: s["chief_hours"],
    "unreported_problems": lambda s: s["unreported_problems"],
}


def outcomes_of(summary: dict, names=None) -> dict:
    """The named outcomes (all by default) of one run's summary."""
    return {k: OUTCOMES[k](summary) for k in (names or OUTCOMES)}
