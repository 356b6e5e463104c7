"""The seed's cases told from the model's own records: what happened to each, in words.

Nothing here is written beside the model: every time in a narration is read from the run's records
(`reported_at`, `acknowledged_at`, `coordinated_at`, `dispatched_at`, `resolved_at`, `closed_at`) or
derived from the issue's own work content (the crew on site from `resolved_at − work`, where the
crew's hours ran without a break). The report's own account comes from the issue log's observed
times.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from streetchief.i18n import arrangement, duration, tr, when

SEED_TAG = "[seed]"
EVENTS = ("reported", "acknowledged", "coordinated_at", "taken_on", "on_site", "resolved", "closed")


@dataclass
class CaseTimes:
    """One issue under one arrangement, as its records say (None: not by the end of the run)."""

    arrangement: str
    issue_id: str
    reporter: str
    department: str
    coordinated: bool
    reported: datetime
    acknowledged: datetime | None
    coordinated_at: datetime | None  # when the on-site coordination began
    taken_on: datetime | None
    on_site: datetime | None
    resolved: datetime | None
    closed: datetime | None
    coordinator: str | None = None  # who coordinates unclear issues: unit or chief

    def hours(self, event: str) -> float | None:
        """Hours from the report to `event`."""
        t = getattr(self, event)
        return None if t is None else (t - self.reported).total_seconds() / 3600


def seed_cases(log) -> list[str]:
    """The issue ids of the log's rows the seed reports (description starting with [seed])."""
    f = log.frame
    if "description" not in f:
        return []
    tagged = f.description.fillna("").astype(str).str.startswith(SEED_TAG)
    return f.issue_id[tagged].tolist()


def case_times(result, issue_id: str) -> dict[str, CaseTimes]:
    """The case under each simulated arrangement of a replay kept with its models."""
    start = result.scenario.run.start
    out = {}
    for name, table in result.tables.items():
        model = result.models.get(name)
        if model is None:  # the recorded history: it has no model
            continue
        ids = table["issue_id"].to_pylist()
        r = ids.index(issue_id)
        row = {c: table[c][r].as_py() for c in table.column_names}

        def at(hours, start=start):
            return None if hours is None or math.isnan(hours) else start + timedelta(hours=hours)

        slot = list(model.problems.issue_ids).index(issue_id)
        by = getattr(getattr(model.arrangement.params, "coordination", None), "by", None)
        out[name] = CaseTimes(
            arrangement=name,
            issue_id=issue_id,
            reporter=row["reporter"] or "",
            department=row["department"] or "",
            coordinated=bool(row["coordinated"]),
            coordinator=by,
            reported=at(row["reported_at"]),
            acknowledged=at(row["acknowledged_at"]),
            coordinated_at=at(row["coordinated_at"]),
            taken_on=at(row["dispatched_at"]),
            on_site=at(_on_site(model, slot, row)),
            resolved=at(row["resolved_at"]),
            closed=at(row["closed_at"]),
        )
    return out


def _on_site(model, slot: int, row: dict) -> float | None:
    """When the crew began the work: `work` hours before the fix, if its hours ran unbroken then
    (an urgent issue at night goes to the on-call crew, around the clock)."""
    res = row["resolved_at"]
    if res is None or math.isnan(res):
        return None
    work = model.issues.work[slot]
    dept = model.departments[model.department_keys.index(row["department"])]
    unbroken = abs(dept.crews.calendar.open_hours(res - work, res) - work) < 1e-9
    urgent = model.category_list[model.issues.category[slot]].urgent
    return res - work if unbroken or (urgent and dept.on_call is not None) else None


def narrate(c: CaseTimes, scenario, lang: str = "en", now: datetime | None = None) -> str:
    """One arrangement's handling of a case, in sentences; events after `now` are marked ahead."""
    dept = scenario.departments.get(c.department)
    dept_name = dept.name if dept is not None and lang == "zh" else c.department.replace("_", " ")

    def mark(t):  # what is still ahead of the clock is greyed, not hidden
        text = when(t, lang)
        if now is None or t <= now:
            return text
        return f"<span class='ahead' title='{tr('story.pending', lang)}'>{text}</span>"

    parts = [tr("story.reported", lang, when=mark(c.reported), who=c.reporter)]
    if c.acknowledged is not None:
        after = duration(c.hours("acknowledged"), lang)
        parts.append(tr("story.ack", lang, when=mark(c.acknowledged), after=after))
    steps = (
        (
            "coordinated_at",
            lambda t: tr(
                f"story.coordinated_{c.coordinator or 'chief'}", lang, dept=dept_name, when=mark(t)
            ),
        ),
        ("taken_on", lambda t: tr("story.taken", lang, dept=dept_name, when=mark(t))),
        ("on_site", lambda t: tr("story.on_site", lang, when=mark(t))),
        ("resolved", lambda t: tr("story.resolved", lang, when=mark(t))),
        ("closed", lambda t: tr("story.closed", lang, when=mark(t))),
    )
    for event, say in steps:
        t = getattr(c, event)
        if t is not None:
            parts.append(say(t))
        elif event in ("taken_on", "resolved"):
            parts.append(tr("story.not_yet", lang, what=tr(f"story.{event}_word", lang)))
    sep = ";" if lang == "zh" else "; "
    head = arrangement(c.arrangement, lang)
    return f"<b>{head}</b>: " + sep.join(parts) + ("。" if lang == "zh" else ".")


def report_account(log, issue_id: str, lang: str = "en") -> str:
    """What the log (the 2019 report) says happened to the case."""
    row = log.frame[log.frame.issue_id == issue_id].iloc[0]

    def at(col):
        v = row.get(col)
        return "—" if v is None or v != v else when(v.to_pydatetime(), lang)

    times = tr("story.report_times", lang, ack=at("acknowledged_at"), res=at("resolved_at"))
    return f"<b>{tr('story.report', lang)}</b>: {times}"


def _minute(t: datetime) -> datetime:
    return t.replace(second=0, microsecond=0)


def against_report(
    log, issue_id: str, times: dict[str, CaseTimes], lang: str = "en", now: datetime | None = None
) -> str:
    """Each arrangement's resolution beside the log's (the 2019 report's): how much earlier or
    later the model resolved the case, to the minute shown, from the records; a resolution still
    ahead of `now` is greyed, as in the narration. Empty when the log has no resolution."""
    row = log.frame[log.frame.issue_id == issue_id].iloc[0]
    recorded = row.get("resolved_at")
    if recorded is None or recorded != recorded:
        return ""
    if recorded.tzinfo is not None:  # the log's wall time, as report_account shows it
        recorded = recorded.tz_localize(None)
    recorded = _minute(recorded.to_pydatetime())
    parts = []
    for name, c in times.items():
        if c.resolved is None:
            text = tr("story.not_resolved", lang)
        else:  # minutes as the narration prints them: 08:59:31 is 1 min before 09:00
            hours = (_minute(c.resolved) - recorded).total_seconds() / 3600
            if hours == 0:
                text = tr("story.same_time", lang)
            else:
                key = "story.earlier" if hours < 0 else "story.later"
                text = tr(key, lang, span=duration(abs(hours), lang))
            if now is not None and c.resolved > now:
                title = tr("story.pending", lang)
                text = f"<span class='ahead' title='{title}'>{text}</span>"
        parts.append(f"{arrangement(name, lang)} {text}")
    sep = ";" if lang == "zh" else "; "
    head = tr("story.against", lang, when=when(recorded, lang))
    return f"<b>{head}</b>: " + sep.join(parts)
