"""网格化管理 (digital urban management): grid supervisors find the problems, a command centre
dispatches.

Grid supervisors (网格员) patrol their grids on shifts and file what they find (in published grid
systems most cases are found this way); citizens' reports come in too. The command centre verifies
each case and dispatches it to the department in one hop, reassigning what comes back; the
department handles it; the supervisor verifies the closure (核查结案), which closes the case.
"""

from __future__ import annotations

from pydantic import Field

from streetchief.arrangements.base import register
from streetchief.arrangements.central import CentralDispatch, CentralDispatchParams
from streetchief.components import FeedbackSpec, PatrolSpec


class GridParams(CentralDispatchParams):
    """Parameters of grid management: the supervisors' patrols, the command centre, the
    departments."""

    patrol: PatrolSpec = Field(
        PatrolSpec(enabled=True, by="officers"),
        description="the grid supervisors' patrols (their shifts)",
    )
    feedback: FeedbackSpec = Field(
        FeedbackSpec(), description="the supervisor verifies the closure (核查结案)"
    )


@register
class GridManagement(CentralDispatch):
    """网格化: grid supervisors patrol and file cases, a command centre verifies and dispatches
    them in one hop, departments handle them, and the supervisor verifies each closure."""

    name = "grid"
    Params = GridParams
