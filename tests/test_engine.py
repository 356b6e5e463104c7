"""The engine: one clock for the per-issue steps and Mesa's scheduling, never going backwards."""

import mesa
import numpy as np
import pytest
from mesa.experimental.mesa_signals import ObservableSignals
from mesa.time import Schedule

from streetchief import load_scenario
from streetchief.district import DistrictModel
from streetchief.engine import EventModel
from streetchief.problems import Problems
from streetchief.records import issue_table


class Clerk(mesa.Agent):
    """Agent code that, while handling an issue on the hot path, sets up a recurring Mesa event, as
    Mesa's own queueing example teaches; everything that happens goes on one timeline."""

    def __init__(self, model):
        super().__init__(model)
        self.timeline = []

    def on_issue(self, _):
        self.model.schedule_recurring(self.round, Schedule(interval=6.0, start=6.0))

    def round(self):
        self.timeline.append(("round", self.model.time, self.model.now))

    def hour(self, k):
        self.timeline.append(("hour", self.model.time, self.model.now))


def test_a_recurring_mesa_event_from_agent_code_runs_at_its_due_time(jingxing):
    problems = Problems.generate(jingxing, seed=3, days=2)
    m = DistrictModel(jingxing, "street_chief", problems)
    clerk = Clerk(m)
    for k in range(1, 48):
        m.at(k + 0.5, clerk.hour, k)  # the hot path, every hour
    m.at(
        1.0, clerk.on_issue
    )  # scheduled from the hot path, after the 24 h backlog sample was queued
    m.run()
    rounds = [t for what, t, _ in clerk.timeline if what == "round"]
    assert rounds == [6.0, 12.0, 18.0, 24.0, 30.0, 36.0, 42.0, 48.0]
    times = [t for _, t, _ in clerk.timeline]
    assert times == sorted(times)  # each round ran in its place among the hot path's events
    assert all(t == now for _, t, now in clerk.timeline)  # Mesa's time and ours agree everywhere


@pytest.mark.parametrize("arrangement", load_scenario("jingxing_2019").arrangement_names)
def test_the_clock_never_goes_backwards_over_a_year(jingxing, arrangement):
    problems = Problems.generate(jingxing)
    watched = DistrictModel(jingxing, arrangement, problems)
    times = []

    def tick(signal):  # Mesa holds observers weakly: a named function, alive for the test
        times.append(signal.additional_kwargs["new"])

    watched.observe("time", ObservableSignals.CHANGED, tick)
    watched.run()
    plain = DistrictModel(jingxing, arrangement, problems).run()
    # every event that moved the clock was seen: more than one time per issue
    assert len(times) > 2 * len(issue_table(plain))
    assert np.all(np.diff(times) > 0)
    assert times[-1] == watched.now == watched.time == 365 * 24
    # observing the clock changes nothing in the results
    assert issue_table(watched).to_pandas().equals(issue_table(plain).to_pandas())


def test_run_for_step_and_run_until_all_run_the_merged_events():
    m = EventModel(rng=1)
    ran = []

    def note(tag):
        ran.append((tag, m.now, m.time))

    def mesa_note():
        ran.append(("mesa", m.now, m.time))

    for t in (0.5, 1.0, 2.5, 7.0):
        m.at(t, note, f"issue {t}")
    m.schedule_event(mesa_note, at=1.0)
    m.step()  # Mesa's step: one unit of time
    assert m.now == m.time == 1.0
    assert ran == [("issue 0.5", 0.5, 0.5), ("issue 1.0", 1.0, 1.0), ("mesa", 1.0, 1.0)]
    m.run_for(2.0)
    assert m.now == m.time == 3.0 and ran[-1] == ("issue 2.5", 2.5, 2.5)
    m.run_until(10.0)
    assert ran[-1] == ("issue 7.0", 7.0, 7.0) and m.now == 10.0


def test_events_due_now_keep_their_order_and_cancelled_mesa_events_never_run():
    m = EventModel(rng=1)
    order = []

    def first(_):
        order.append("first")
        m.at(2.0, order.append, "due now")  # due now: after the events already due now

    def never():
        order.append("cancelled")

    def rhythm():
        order.append(f"rhythm {m.now:g}")

    m.at(2.0, first)
    m.at(2.0, order.append, "second")
    m.schedule_event(never, at=1.5).cancel()
    kept = m.every(1.0, rhythm, start=2.5, end=3.5)
    m.run_until(5.0)
    assert order == ["first", "second", "due now", "rhythm 2.5", "rhythm 3.5"]
    assert kept.execution_count == 2


def test_scheduling_in_the_past_is_refused():
    m = EventModel(rng=1)
    m.run_until(5.0)
    with pytest.raises(ValueError, match="clock stands at 5"):
        m.at(4.0, print)
    with pytest.raises(ValueError):
        m.at(float("nan"), print)


def test_mesa_time_is_mesas_own_observable():
    from mesa.experimental.mesa_signals.core import Observable

    assert isinstance(mesa.Model.__dict__["time"], Observable)
    assert all("time" not in cls.__dict__ for cls in DistrictModel.__mro__ if cls is not mesa.Model)


def test_the_engine_is_the_only_module_that_touches_the_event_heap():
    from pathlib import Path

    import streetchief

    root = Path(streetchief.__file__).parent
    users = sorted(
        p.relative_to(root).as_posix()
        for p in root.rglob("*.py")
        if "_heap" in p.read_text(encoding="utf-8") or "_now_queue" in p.read_text(encoding="utf-8")
    )
    assert users == ["engine.py", "service_pool.py"]  # the engine and its queueing station


def test_a_mesa_without_the_internals_the_engine_builds_on_is_refused_in_words(monkeypatch):
    import mesa

    from streetchief import engine

    engine.check_mesa()  # this Mesa has them all
    monkeypatch.delattr(mesa.Model, "_advance_time")
    with pytest.raises(engine.MesaMismatch) as e:
        engine.check_mesa()
    said = str(e.value)
    assert "lacks Model._advance_time" in said and mesa.__version__ in said
    assert "pip install 'mesa>=3.5,<3.6'" in said
    monkeypatch.undo()
    original = mesa.Model.__init__

    def without_its_list(self, *a, **k):  # a Mesa whose Model keeps its events elsewhere
        original(self, *a, **k)
        del self._event_list

    monkeypatch.setattr(mesa.Model, "__init__", without_its_list)
    with pytest.raises(engine.MesaMismatch, match="lacks _event_list"):
        engine.EventModel(rng=1)
