"""Issues in flight: what is known of each reported problem and what has happened to it, by slot.

A problem (`problems.py`) becomes an *issue* when someone reports it; from then on it holds a slot
in the run's `IssueBook` until its record is written (`records/`). The book's columns are plain
lists indexed by slot: the hot path reads single items, about five times faster than from numpy. In
an ordinary run the slot is the problem's number; a streamed run reuses the slots of closed issues,
so that memory follows the issues open at once, not all the issues of the run.

Arrangements read the columns and record what they do through the methods (`hop`, `bounce`,
`coordinate`); the lifecycle steps (acknowledge, dispatch, fix, resolve, close) are the model's.
"""

from __future__ import annotations

import math

# who discovered an issue (the `discovered_by` column): a merchant along the zone, a street chief,
# a patrol officer or grid supervisor on patrol, or someone else who saw it (a resident, ...)
MERCHANT, CHIEF, PATROL, PUBLIC = "merchant", "chief", "patrol", "public"

NAN = math.nan


class IssueBook:
    """The issues of one run, a slot each.

    What the problem brings (read only for arrangements):
        zone[i], category[i]      indices into the scenario's zones and categories
        arisen_at[i]              hours since the start when the problem arose (before any report)
        work[i]                   crew hours on site
        unclear[i]                responsibility unclear (category share or zone boundary)
        closure_u[i], reopen_u[i] its draws for a closure without a fix and a fix that fails
    The record (written by the model's lifecycle steps, read by anyone):
        reported_at[i], acknowledged_at[i], dispatched_at[i], resolved_at[i], closed_at[i],
        ended_at[i], deadline_at[i]
                                  hours since the start; NaN until it happens
        ended_how[i]              expired, cancelled or no_action if it ended without a fix
        reopened[i]               times a fix did not hold
        department[i]             index of the responsible department
        reporter[i], discovered_by[i]   who reported it; a merchant, a chief or a patrol found it
        hops[i], bounces[i], coordinated[i], coordinated_at[i]
                                  recorded by the arrangement through the methods below
    `column(default)` gives an arrangement a list of its own per-issue state.
    """

    def __init__(self, capacity: int, problem_columns: dict[str, list] | None = None):
        self.capacity = capacity
        self._columns: list[
            tuple[list, object, bool]
        ] = []  # (list, default, reset when a slot is reused)
        self.reported_at = self.column(NAN)
        self.acknowledged_at = self.column(NAN)
        self.dispatched_at = self.column(NAN)
        self.resolved_at = self.column(NAN)
        self.closed_at = self.column(NAN)
        self.ended_at = self.column(NAN)  # the problem ended without a fix
        self.ended_how: list = self.column(None)
        self.reopened = self.column(0)
        self.duplicates = self.column(0)  # later reports of the same problem while it was open
        self.deadline_at = self.column(NAN)
        self.department = self.column(-1)
        self.hops = self.column(0)
        self.bounces = self.column(0)
        self.coordinated = self.column(False)
        self.coordinated_at = self.column(NAN)
        self.reporter: list = self.column(None)
        self.discovered_by: list = self.column(None)
        self.merchant: list = self.column(None)  # the Merchant agent who reported it, if one did
        self.open: set[int] = set()  # reported and not yet resolved
        if (
            problem_columns is None
        ):  # slots are reused: the problem's own columns are written per issue
            self.zone, self.category = self.column(0, reset=False), self.column(0, reset=False)
            self.arisen_at = self.column(NAN, reset=False)
            self.work, self.unclear = self.column(0.0, reset=False), self.column(False, reset=False)
            self.closure_u, self.reopen_u = self.column(1.0, reset=False), self.column(1.0, False)
            self.lead = self.column(0.0, reset=False)
            self.number = self.column(-1, reset=False)  # the problem's number in the run
            self._free = list(range(capacity - 1, -1, -1))
        else:  # slot = problem number: the problems' own lists
            self.zone, self.category = problem_columns["zone"], problem_columns["category"]
            self.arisen_at = problem_columns["arisen_at"]
            self.work, self.unclear = problem_columns["work"], problem_columns["unclear"]
            self.closure_u, self.reopen_u = (
                problem_columns["closure_u"],
                problem_columns["reopen_u"],
            )
            self.lead = problem_columns["lead"]
            self.number = None
            self._free = None

    # --- what arrangements record --------------------------------------------------------------
    def hop(self, i: int) -> None:
        """Issue i moved one step along its route (a forward, a department's claim)."""
        self.hops[i] += 1

    def bounce(self, i: int) -> None:
        """Issue i was sent back: it went to the wrong place, or a department passed it on."""
        self.bounces[i] += 1

    def coordinate(self, i: int, at: float) -> None:
        """Issue i is coordinated on site (现场协调) from time `at`, by a street chief or the
        responsible unit."""
        self.coordinated[i] = True
        self.coordinated_at[i] = at

    def column(self, default, reset: bool = True) -> list:
        """A list with one entry per slot, starting at `default` and, if `reset`, set back to it
        when a streamed run gives the slot to a new issue."""
        lst = [default] * self.capacity
        self._columns.append((lst, default, reset))
        return lst

    # --- slots of a streamed run ---------------------------------------------------------------
    @property
    def reuses_slots(self) -> bool:
        return self._free is not None

    def take_slot(self) -> int:
        """A free slot, its record columns reset."""
        if not self._free:
            self._grow()
        s = self._free.pop()
        for lst, default, reset in self._columns:
            if reset:
                lst[s] = default
        return s

    def free_slot(self, s: int) -> None:
        self._free.append(s)

    def held_slots(self) -> list[int]:
        """Slots of reported issues not yet freed (at the end of a streamed run: the open ones)."""
        free = set(self._free)
        reported = self.reported_at
        return [s for s in range(self.capacity) if s not in free and reported[s] == reported[s]]

    def _grow(self) -> None:
        old = self.capacity
        self.capacity = 2 * old
        for lst, default, _ in self._columns:
            lst.extend([default] * old)
        self._free.extend(range(self.capacity - 1, old - 1, -1))
