"""The event engine: one clock, one merged queue of what happens when, and pools of servers.

`EventModel` is a `mesa.Model` that runs two event lists merged in time order:

- the per-issue steps (`at`, `after`): a plain heap of (time, sequence, function, argument),
  which runs about 25 times as many events a second as Mesa's event list (3.9 million against
  145,000, measured here);
- Mesa's own event list, for the actors' rhythms (patrols, inspections, samples): `schedule_event`,
  `schedule_recurring`, and `every` here.

Every way Mesa moves the clock (`run_until`, `run_for`, `step`) runs the merged loop, and Mesa's
list tells the engine of every event added to it, however it was scheduled. So no event runs late
and the clock never goes backwards. Mesa's `time` stays Mesa's observable: it is kept equal to `now`
at every event, and signals its changes whenever anyone observes it. `now` is the same value as a
plain attribute, which the hot path reads.

`ServicePool` (in `service_pool.py`, which needs no Mesa, so that schemas import without it) is the
queueing station the arrangements are built from; it is importable from here too.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections import deque
from collections.abc import Callable
from heapq import heappop, heappush

import mesa
from mesa.experimental.mesa_signals import ObservableSignals
from mesa.time import EventList, Schedule

from streetchief.service_pool import ServicePool

INF = math.inf
__all__ = ["EventModel", "MesaMismatch", "ServicePool", "check_mesa"]

# Mesa's internals this engine builds on (no public hook lets a model merge its own event queue
# with Mesa's, nor take over run_until/run_for/step): checked once, so that a Mesa release that
# moves them fails here, in words, not deep inside a run
MESA_INTERNALS = {
    "Model._advance_time": lambda: callable(getattr(mesa.Model, "_advance_time", None)),
    "EventList._events": lambda: hasattr(EventList(), "_events"),
    "EventList.add_event": lambda: callable(getattr(EventList, "add_event", None)),
}
MESA_INSTANCE = ("_default_schedule", "_event_list")  # a Model's, set by its __init__


class MesaMismatch(RuntimeError):
    """The installed Mesa lacks an internal the engine builds on."""


def check_mesa(missing: list[str] | None = None) -> None:
    """Refuse, naming what is missing and the Mesa that has it, unless every internal is there."""
    missing = [n for n, ok in MESA_INTERNALS.items() if not ok()] if missing is None else missing
    if missing:
        raise MesaMismatch(
            f"this Mesa ({getattr(mesa, '__version__', '?')}) lacks {', '.join(missing)}, which "
            "streetchief's event engine builds on (model/streetchief/engine.py); install the Mesa "
            "it is tested with (3.5): pip install 'mesa>=3.5,<3.6'"
        )


check_mesa()


class _WatchedEventList(EventList):
    """Mesa's event list, telling the engine of each event added earlier than its next one."""

    def __init__(self, engine: EventModel):
        super().__init__()
        self._engine = engine

    def add_event(self, event) -> None:
        heappush(self._events, event)
        if event.time < self._engine._mesa_next:
            self._engine._mesa_next = event.time

    def head_time(self) -> float:
        """Time of the heap's first event (perhaps cancelled: never after the next live one)."""
        return self._events[0].time if self._events else INF


class EventModel(mesa.Model):
    """A Mesa model driven by events only: nothing happens between events, and nothing ticks.

    Schedule per-issue steps with `at(t, fn, arg)` or `after(hours, fn, arg)`, rhythms with `every`
    or Mesa's own `schedule_event` and `schedule_recurring`; run with `run_until(t)` (or Mesa's
    `run_for`, `step`). `now` and Mesa's `time` always hold the current time.
    """

    def __init__(self, rng=None):
        super().__init__(rng=rng)
        check_mesa([n for n in MESA_INSTANCE if not hasattr(self, n)])
        self._default_schedule.stop()  # event-driven: no unit-time ticking
        self.now: float = self.time
        self._heap: list = []
        self._seq = itertools.count()
        self._now_queue: deque = deque()  # events due now, in the order they were scheduled
        self._mesa_next = INF
        self._rhythms: list[Callable] = []  # Mesa holds callbacks weakly: `every` keeps them alive
        self._event_list = _WatchedEventList(self)

    # --- scheduling ----------------------------------------------------------------------------
    def at(self, t: float, fn: Callable, arg=None) -> None:
        """Run fn(arg) at time t (the per-issue hot path).

        Events due now skip the heap and wait in a FIFO: they run after the heap's events due now,
        which were all scheduled before them, so the order is exactly the heap's (time, then
        scheduling order).
        """
        now = self.now
        if t > now:
            heappush(self._heap, (t, next(self._seq), fn, arg))
        elif t == now:
            self._now_queue.append((fn, arg))
        else:
            raise ValueError(f"cannot schedule an event at {t!r} h: the clock stands at {now} h")

    def after(self, hours: float, fn: Callable, arg=None) -> None:
        """Run fn(arg) `hours` from now."""
        self.at(self.now + hours, fn, arg)

    def every(
        self, hours: float, fn: Callable, *, start: float | None = None, end: float | None = None
    ):
        """Run fn() every `hours`, from `start` (default: `hours` from now) until `end`; Mesa's
        `schedule_recurring`, with the callback kept alive for the run."""
        self._rhythms.append(fn)
        return self.schedule_recurring(fn, Schedule(interval=hours, start=start, end=end))

    # --- running -------------------------------------------------------------------------------
    def _advance_time(self, until: float) -> None:
        """Mesa's one path for `run_until`, `run_for` and `step`: run every event due by `until`,
        both lists merged in time order, then stand the clock at `until`."""
        if until < self.now:
            warnings.warn(
                f"run until {until}: the clock already stands at {self.now}",
                RuntimeWarning,
                stacklevel=3,
            )
            return
        heap, now_queue, events = self._heap, self._now_queue, self._event_list
        observed = self._time_observed()
        while True:
            if now_queue and not (heap and heap[0][0] == self.now):
                fn, arg = now_queue.popleft()
                fn(arg)
                continue
            t_issue = heap[0][0] if heap else INF
            if t_issue <= self._mesa_next:
                if t_issue > until:
                    break
                t, _, fn, arg = heappop(heap)
                if observed:
                    self.now = self.time = t
                else:
                    self.now = self._time = t  # Mesa's own store, as its descriptor writes it
                fn(arg)
            else:
                if self._mesa_next > until:
                    break
                try:
                    event = events.pop_event()
                except IndexError:  # only cancelled events were left
                    self._mesa_next = INF
                    continue
                self._mesa_next = events.head_time()
                if (
                    event.time > until or event.time > t_issue
                ):  # the head was cancelled: not due yet
                    events.add_event(event)
                    continue
                self.now = self.time = event.time
                event.execute()
                observed = self._time_observed()
        if observed:
            self.now = self.time = until
        else:
            self.now = self._time = until

    def _time_observed(self) -> bool:
        return self._has_subscribers("time", ObservableSignals.CHANGED)
