"""What one run of a scenario may ask for, checked when it is validated and again for a run's days.

Each field is checked alone by the schema; these checks need the scenario whole, or the run's
length: clock spans declared by an arrangement's parameters, working calendars with no open hour
in the run, a run's length, and recurring events (backlog
samples, patrols, inspections) so frequent that the run would never finish.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from pydantic import BaseModel

from streetchief.calendar import DAYS
from streetchief.scenario.schema import MAX_DAYS, Scenario, clock_span

MAX_RHYTHM_EVENTS = 5_000_000  # recurring events in one run: about a minute of the engine's time
MARGIN_DAYS = 60  # calendars reach this far past the run's end (late work still finishes)


def run_problems(scenario: Scenario, days: float | None = None, where: str = "") -> list[str]:
    """'path: what is wrong' lines for a run of `days` (default: the scenario's run.days);
    `where` says where `days` came from, e.g. ' with --days 900'."""
    days = scenario.run.days if days is None else days
    problems = _clock_problems(scenario)
    if not (isinstance(days, (int, float)) and 0 < days <= MAX_DAYS):
        return [*problems, f"days: must be a number > 0 and ≤ {MAX_DAYS:,}{where}, got {days!r}"]
    problems.extend(_calendar_problems(scenario, days, where))
    problems.extend(_rhythm_problems(scenario, days, where))
    return problems


def clock_span_fields(params: BaseModel, prefix: str):
    """(path, value) of the parameters declared as clock spans (pattern HH:MM-HH:MM), nested too."""
    for name, f in type(params).model_fields.items():
        value = getattr(params, name, None)
        patterns = [getattr(m, "pattern", None) or "" for m in f.metadata]
        if isinstance(value, str) and any(r"\d\d:\d\d-" in p for p in patterns):
            yield f"{prefix}.{f.alias or name}", value
        elif isinstance(value, BaseModel):
            yield from clock_span_fields(value, f"{prefix}.{f.alias or name}")


def _clock_problems(scenario: Scenario) -> list[str]:
    problems = []
    for name in scenario.arrangement_names:
        for path, value in clock_span_fields(
            scenario.arrangement_params(name), f"arrangements.{name}"
        ):
            try:
                clock_span(value, wraps=True)
            except ValueError as e:
                problems.append(f"{path}: {e}")
    return problems


def _calendar_problems(scenario: Scenario, days: float, where: str) -> list[str]:
    """Calendars without one open hour from the start to MARGIN_DAYS past the end: nothing that
    needs them could ever be done. Walks only as far as the first open day."""
    start = scenario.run.start
    holidays, workdays = set(scenario.holidays), set(scenario.workdays)
    horizon_days = math.ceil(days) + MARGIN_DAYS
    problems = []
    for key, cal in scenario.calendars.items():
        spans = cal.spans()
        if spans is None:
            continue
        origin = datetime(start.year, start.month, start.day)
        offset = (start - origin).total_seconds() / 3600
        found = False
        for d in range(horizon_days):
            day = (origin + timedelta(days=d)).date()
            if day in holidays:
                continue
            weekday = DAYS[day.weekday()]
            hours = spans.get(weekday) or (spans.get("mon") if day in workdays else None) or []
            if any(d * 24 + b - offset > 0 for _, b in hours):
                found = True
                break
        if not found:
            problems.append(
                f"calendars.{key}: no open hour from {start:%Y-%m-%d} to {MARGIN_DAYS} days after "
                f"the run's end{where} (holidays cover every open day); nothing that needs it "
                "could be done"
            )
    return problems


def _rhythm_problems(scenario: Scenario, days: float, where: str) -> list[str]:
    """Recurring events past MAX_RHYTHM_EVENTS in one run, each named with the smallest interval
    that fits."""
    hours = 24.0 * days
    rhythms = [
        ("run.backlog_sample_hours", scenario.run.backlog_sample_hours, 1.0, "hours"),
    ]
    for name in scenario.arrangement_names:
        params = scenario.arrangement_params(name)
        for field in type(params).model_fields:
            spec = getattr(params, field, None)
            interval = getattr(spec, "interval_days", None)
            if isinstance(spec, BaseModel) and interval is not None and spec.enabled:
                who = 1
                if field == "patrol":  # each patroller walks on a rhythm of their own
                    by_officers = getattr(spec, "by", "chiefs") == "officers"
                    who = max(spec.officers if by_officers else len(scenario.chiefs), 1)
                rhythms.append(
                    (f"arrangements.{name}.{field}.interval_days", interval, who, "days")
                )
    problems = []
    for path, interval, who, unit in rhythms:
        step = interval * (24.0 if unit == "days" else 1.0)
        events = who * hours / step
        if events > MAX_RHYTHM_EVENTS:
            least = who * hours / MAX_RHYTHM_EVENTS / (24.0 if unit == "days" else 1.0)
            problems.append(
                f"{path}: every {interval:g} {unit} makes {events:.3g} events in a run of "
                f"{days:g} days{where}; at most {MAX_RHYTHM_EVENTS:,} (choose ≥ {least:.3g} {unit})"
            )
    return problems
