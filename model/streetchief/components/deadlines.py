"""Supervised time limits (限期办结, 督办): an issue still open at its limit is escalated."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class DeadlineSpec(BaseModel):
    """Time limits watched issue by issue: one still open when its limit passes is escalated at once
    (督办), and its department is sanctioned, as an inspection finding it overdue would."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(False, description="time limits are supervised issue by issue")
    urgent_hours: float | None = Field(
        None,
        gt=0,
        le=8760,
        description="time limit of urgent categories (default: the category's deadline)",
    )
    normal_hours: float | None = Field(
        None,
        gt=0,
        le=8760,
        description="time limit of the others (default: the category's deadline)",
    )
    sanction_days: float = Field(
        30.0, ge=0, le=3650, description="how long an escalation keeps a department alert"
    )


class DeadlineSupervision:
    """Watches every reported issue's time limit; at the limit, an issue still open is escalated."""

    def __init__(self, model, spec: DeadlineSpec, arrangement=None):
        self.model, self.spec = model, spec
        self.escalations = 0
        # each category's limit, looked up once: every report is watched
        self.limits = [self._limit_of(c) for c in model.category_list]
        model.on_report.append(self.watch)

    def _limit_of(self, category) -> float:
        limit = self.spec.urgent_hours if category.urgent else self.spec.normal_hours
        return category.deadline_hours if limit is None else limit

    def watch(self, i: int) -> None:
        m = self.model
        issues = m.issues
        reported = issues.reported_at[i]
        # the report time goes with the check: a streamed run may give the slot to another issue
        m.at(reported + self.limits[issues.category[i]], self._due, (i, reported))

    def _due(self, job) -> None:
        i, reported = job
        issues = self.model.issues
        if issues.reported_at[i] != reported or i not in issues.open:
            return
        self.escalations += 1
        dept = self.model.departments[issues.department[i]]
        dept.sanction(self.model.now + self.spec.sanction_days * 24)
