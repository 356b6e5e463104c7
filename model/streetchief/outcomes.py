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


def _window(key):
    def read(s):
        w = (s.get("problems") or {}).get("window")
        return None if w is None else w[key]

    return read


OUTCOMES = {  # name in the comparison table → how to read it from a summary
    "resolution_mean_h": lambda s: s["resolution_hours"]["mean"],
    "resolution_median_h": lambda s: s["resolution_hours"]["median"],
    "resolution_p90_h": lambda s: s["resolution_hours"]["p90"],
    "resolution_common_mean_h": lambda s: (s.get("common_problems") or {}).get("resolution_mean_h"),
    "common_problems": lambda s: (s.get("common_problems") or {}).get("problems"),
    "acknowledgement_mean_h": lambda s: s["acknowledgement_hours"]["mean"],
    "on_time_share": lambda s: s["on_time_share"],
    "resolution_rate": lambda s: s["resolution_rate"],
    "issues_reported": lambda s: s["issues_reported"],
    "issues_ended_unfixed": lambda s: s["issues_ended_unfixed"],
    "issues_open": lambda s: s["issues_open"],
    "mean_backlog": lambda s: s["mean_backlog"],
    "mean_backlog_midnight": lambda s: s["mean_backlog_midnight"],
    "unstable": lambda s: (
        None if s.get("backlog_growth") is None else float(s["backlog_growth"]["unstable"])
    ),
    "bounces_per_issue": lambda s: s["bounces_per_issue"],
    "problem_resolution_mean_h": lambda s: s["problem_hours"]["mean"],
    "unreported_mean_h": lambda s: s["unreported_hours"]["mean"],
    "problems_within_24h_share": _problems("resolved_within_24h_share"),
    "problems_within_72h_share": _problems("resolved_within_72h_share"),
    "problems_never_resolved_share": _problems("never_resolved_share"),
    "problems_ended_unfixed_share": _problems("ended_unfixed_share"),
    "problem_hours_per_day": _window("problem_hours_per_day"),
    "open_problem_hours": _problems("open_problem_hours"),
    "unreported_problems": lambda s: s["unreported_problems"],
    "chief_hours": lambda s: s["chief_hours"],
    "official_hours": lambda s: s["official_hours_total"],
    "official_busy_hours": lambda s: s["official_hours_busy"],
    "official_standby_hours": lambda s: s["official_hours_standby"],
}

# outcomes where more is better; for the others less is better (hours, backlog, bounces, ...)
HIGHER_IS_BETTER = {
    "on_time_share",
    "resolution_rate",
    "problems_within_24h_share",
    "problems_within_72h_share",
}

# what each outcome means, for tables and figures
MEANINGS = {
    "resolution_mean_h": "hours from report to resolution, mean",
    "resolution_median_h": "… median",
    "resolution_p90_h": "… 90th percentile",
    "resolution_common_mean_h": "… mean, over the problems every compared arrangement reported "
    "and fixed (like with like)",
    "common_problems": "problems every compared arrangement reported and fixed",
    "acknowledgement_mean_h": "hours from report to an answer, mean",
    "on_time_share": "share of issues resolved by their deadline (of those fixed or overdue)",
    "resolution_rate": "share of reported issues fixed by the end (a 12345 resolution rate)",
    "issues_reported": "issues reported",
    "issues_ended_unfixed": "issues that ended without a fix (gone by itself, cancelled, nothing "
    "to do)",
    "issues_open": "issues still open at the end",
    "mean_backlog": "open issues, averaged over time",
    "mean_backlog_midnight": "open issues at midnight, averaged over the nights",
    "unstable": "1 where the backlog still climbs at the end (the queue does not keep up), else 0",
    "bounces_per_issue": "times an issue was sent back",
    "problem_resolution_mean_h": "hours from a problem arising to its resolution (reported ones), "
    "mean",
    "unreported_mean_h": "hours a reported problem went unreported, mean",
    "problems_within_24h_share": "share of problems resolved within 24 h of arising",
    "problems_within_72h_share": "share of problems resolved within 72 h of arising",
    "problems_never_resolved_share": "share of problems still in the street at the end",
    "problems_ended_unfixed_share": "share of problems that ended without a fix (gone by "
    "itself, cancelled, nothing to do)",
    "problem_hours_per_day": "problem-hours in the street per day, over the problems arising in "
    "the window (each followed up to the cool-down)",
    "open_problem_hours": "problem-hours in the street over the whole run (arising to a fix or "
    "an end, or the run's end): grows with the run's length",
    "unreported_problems": "problems never reported by the end",
    "chief_hours": "street chiefs' hours on this duty",
    "official_hours": "officials' hours, all roles, busy and stand-by (the ledger)",
    "official_busy_hours": "officials' hours on issues (busy)",
    "official_standby_hours": "officials' hours on duty or on watch, waiting (stand-by)",
}


def outcomes_of(summary: dict, names=None) -> dict:
    """The named outcomes (all by default) of one run's summary."""
    return {k: OUTCOMES[k](summary) for k in (names or OUTCOMES)}
