"""Mechanisms any arrangement can switch on: patrols that find problems nobody reported, inspections
and supervised time limits that hold departments to account, feedback that closes the loop with the
reporter, and a campaign's engagement that fades unless renewed.

An arrangement lists the ones it uses in its `components`; its parameters hold each one's settings
under the same name (`patrol:`, `inspection:`, `deadlines:`, `engagement:`, `feedback:`), and the
model builds those that are enabled.
"""

from __future__ import annotations

from streetchief.components.deadlines import DeadlineSpec, DeadlineSupervision
from streetchief.components.engagement import Engagement, EngagementSpec
from streetchief.components.feedback import Feedback, FeedbackSpec
from streetchief.components.inspection import InspectionGroup, InspectionSpec
from streetchief.components.patrol import Patrols, PatrolSpec

# name → (its settings, what the model builds from them), in the order they are built
COMPONENTS: dict[str, tuple[type, type]] = {
    "engagement": (EngagementSpec, Engagement),
    "patrol": (PatrolSpec, Patrols),
    "inspection": (InspectionSpec, InspectionGroup),
    "deadlines": (DeadlineSpec, DeadlineSupervision),
    "feedback": (FeedbackSpec, Feedback),
}


def build_components(model, arrangement) -> dict[str, object]:
    """The enabled components of `arrangement`, built on `model`."""
    built = {}
    for name, (_, cls) in COMPONENTS.items():
        if name in arrangement.components:
            spec = getattr(arrangement.params, name)
            if spec.enabled:
                built[name] = cls(model, spec, arrangement)
    return built


__all__ = [
    "COMPONENTS",
    "DeadlineSpec",
    "DeadlineSupervision",
    "Engagement",
    "EngagementSpec",
    "Feedback",
    "FeedbackSpec",
    "InspectionGroup",
    "InspectionSpec",
    "PatrolSpec",
    "Patrols",
    "build_components",
]
