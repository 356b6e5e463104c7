"""`ServicePool`: the queueing station the arrangements are built from, c servers working first
come, first served on a calendar (clerks, crews, a chief's time on site).

It schedules on an `EventModel` (`engine.py`) but imports nothing of Mesa, so that the arrangements'
parameter schemas, and the commands that only read them, load without it.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from heapq import heappush
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from streetchief.engine import EventModel

INF = math.inf


class ServicePool:
    """c identical servers (clerks, crews, a chief's time), first come first served, on a calendar.

    A server taken while the calendar is closed starts at the next opening; work progresses only in
    open hours. With an always-open calendar this is exactly an M/M/c station.
    """

    __slots__ = ("model", "name", "calendar", "always", "free", "queue", "busy_hours", "served")

    def __init__(self, model: EventModel, name: str, servers: int, calendar):
        self.model, self.name, self.calendar = model, name, calendar
        self.always = calendar.always  # hot path: no calendar look-ups around the clock
        self.free = servers
        self.queue: deque = deque()
        self.busy_hours = 0.0
        self.served = 0

    def request(self, i: int, work: float, on_start: Callable | None, on_done: Callable) -> None:
        """Serve issue i for `work` hours: on_start(i, start) as it starts, then on_done(i)."""
        if self.free:
            self.free -= 1
            self._start(i, work, on_start, on_done)
        else:
            self.queue.append((i, work, on_start, on_done))

    def _start(self, i, work, on_start, on_done):
        model = self.model
        if self.always:
            start = model.now
            end = start + work
        else:
            start = self.calendar.next_open(model.now)
            end = self.calendar.advance(start, work)
        self.busy_hours += work
        if on_start is not None:
            on_start(i, start)
        if end == model.now:  # model.at, inlined: this is the hottest call
            model._now_queue.append((self._finish, (i, on_done)))
        elif end != INF:
            heappush(model._heap, (end, next(model._seq), self._finish, (i, on_done)))

    def _finish(self, job):
        i, on_done = job
        self.served += 1
        if self.queue:
            self._start(*self.queue.popleft())
        else:
            self.free += 1
        on_done(i)
