"""接诉即办: a 12345-style hotline, around the clock, one hop to the department.

A dispatch centre answers every call (operators with handling times; Beijing reports 3.7 minutes
from call to work order), writes a work order to the responsible department, reassigns what comes
back (退单), and calls the reporter back (回访) once the problem is fixed; departments sign for work
orders within a time limit, and supervision escalates overdue orders (督办).
"""

from __future__ import annotations

from streetchief.arrangements.base import register
from streetchief.arrangements.central import CentralDispatch, CentralDispatchParams


class HotlineParams(CentralDispatchParams):
    """Parameters of the 12345 hotline (接诉即办): its dispatch centre, departments and callback."""


@register
class Hotline(CentralDispatch):
    """接诉即办: a 12345 hotline's centre answers around the clock and sends a work order to the
    department in one hop; returns are reassigned, overdue orders escalated, reporters called."""

    name = "hotline"
    Params = HotlineParams
