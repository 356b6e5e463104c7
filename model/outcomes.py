"""Outcomes: the numbers a comparison and a sweep read from each run's summary, by name.

Issue outcomes count from the report; problem outcomes count from when the problem arose, so that
finding problems (discovery) and fixing them (speed) can be told apart. Official hours are the
ledger's total (`records.summary.ledger_summary`).
"""

from __future__ import annotations


def _problems(key):
    def read(s):
        p = s.get("problems")
        return None if p is None else p[key]

    return read


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
    "problem_resolution_mean_h": lambda s: s["problem_hours"]["mean"],
    "unreported_mean_h": lambda s: s["unreported_hours"]["mean"],
    "problems_within_24h_share": _problems("resolved_within_24h_share"),
    "problems_within_72h_share": _problems("resolved_within_72h_share"),
    "problems_never_resolved_share": _problems("never_resolved_share"),
    "open_problem_hours": _problems("open_problem_hours"),
    "unreported_problems": lambda s: s["unreported_problems"],
    "chief_hours": lambda s: s["chief_hours"],
    "official_hours": lambda s: s["official_hours_total"],
}

# outcomes where more is better; for the others less is better (hours, backlog, bounces, ...)
HIGHER_IS_BETTER = {"on_time_share", "problems_within_24h_share", "problems_within_72h_share"}

# what each outcome means, for tables and figures
MEANINGS = {
    "resolution_mean_h": "hours from report to resolution, mean",
    "resolution_median_h": "… median",
    "resolution_p90_h": "… 90th percentile",
    "acknowledgement_mean_h": "hours from report to an answer, mean",
    "on_time_share": "share of issues resolved by their deadline",
    "issues_reported": "issues reported",
    "issues_open": "issues still open at the end",
    "mean_backlog": "open issues, on average",
    "bounces_per_issue": "times an issue was sent back",
    "problem_resolution_mean_h": "hours from a problem arising to its resolution (reported ones), "
    "mean",
    "unreported_mean_h": "hours a reported problem went unreported, mean",
    "problems_within_24h_share": "share of problems resolved within 24 h of arising",
    "problems_within_72h_share": "share of problems resolved within 72 h of arising",
    "problems_never_resolved_share": "share of problems not resolved by the end",
    "open_problem_hours": "problem-hours in the street (arising to resolution, or the end)",
    "unreported_problems": "problems never reported by the end",
    "chief_hours": "street chiefs' hours on this duty",
    "official_hours": "officials' hours, all roles (the ledger)",
}


def outcomes_of(summary: dict, names=None) -> dict:
    """The named outcomes (all by default) of one run's summary."""
    return {k: OUTCOMES[k](summary) for k in (names or OUTCOMES)}
