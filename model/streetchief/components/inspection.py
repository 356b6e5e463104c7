"""The inspection group (督查考核组): inspections that sanction departments with overdue issues."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

# escalating with each consecutive inspection that finds overdue issues: 通报, 媒体曝光, 约谈问责
SANCTIONS = ("notice", "exposure", "accountability_talk")


class InspectionSpec(BaseModel):
    """Periodic inspections: departments with overdue issues are sanctioned, which makes them
    respond faster for a while (by their own `sanction_factor`); departments with none are
    praised."""

    model_config = ConfigDict(extra="forbid")
    enabled: bool = Field(True, description="inspections take place")
    interval_days: float = Field(7.0, gt=0, le=365, description="days between inspections")
    sanction_days: float = Field(
        30.0, ge=0, le=3650, description="how long a sanction keeps a department alert"
    )


class InspectionGroup:
    """督查考核组: inspects every `interval_days`. A department with overdue issues is sanctioned,
    each time more severely (notice, exposure, accountability talk: 通报, 媒体曝光, 约谈问责),
    and responds faster while sanctioned; a department with none is praised. Each inspection also
    renews the campaign's engagement, where that component is on."""

    def __init__(self, model, spec: InspectionSpec, arrangement=None):
        self.model = model
        self.interval_hours, self.sanction_hours = spec.interval_days * 24, spec.sanction_days * 24
        self.inspections = 0
        model.every(self.interval_hours, self.inspect)

    def inspect(self) -> None:
        model = self.model
        issues = model.issues
        self.inspections += 1
        now = model.now
        overdue = {issues.department[i] for i in issues.open if issues.deadline_at[i] < now}
        for k, dept in enumerate(model.departments):
            if k in overdue:
                dept.sanction(now + self.sanction_hours)
            else:
                dept.sanction_level = 0
                if dept.resolved:
                    dept.praises += 1
        engagement = model.components.get("engagement")
        if engagement is not None:
            engagement.renew()


__all__ = ["SANCTIONS", "InspectionGroup", "InspectionSpec"]
