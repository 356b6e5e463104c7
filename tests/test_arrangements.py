"""An arrangement of one's own is one file: here, a one-stop window (一站式受理) in a file of the
tests' own, `tests/data/plugins/one_stop.py`, using only the documented plug-in contract
(streetchief/arrangements/base.py)."""

from pathlib import Path

import numpy as np
import pytest

from streetchief import load_scenario, run_scenario
from streetchief.arrangements import ARRANGEMENTS, register
from streetchief.arrangements.plugins import load_plugins

# the user's own file (tests/data/plugins/one_stop.py), imported as a scenario's plugins: would;
# it registers itself, and is withdrawn here to be registered for each test by `one_stop`
assert not load_plugins([str(Path(__file__).resolve().parent / "data/plugins/one_stop.py")], None)
OneStopWindow = ARRANGEMENTS.pop("one_stop")
OneStopParams = OneStopWindow.Params


@pytest.fixture(autouse=True)
def one_stop():
    """Registered for each test and withdrawn after: nothing of it is left for other test files
    (a real `one_stop` of the package's would otherwise be refused)."""
    register(OneStopWindow)
    yield OneStopWindow
    ARRANGEMENTS.pop(OneStopWindow.name, None)


def test_a_name_taken_by_another_arrangement_is_refused_with_both_origins():
    class Impostor(OneStopWindow):
        """Another class under a shipped arrangement's name."""

        name = "hotline"

    with pytest.raises(TypeError) as e:
        register(Impostor)
    said = str(e.value)
    assert "'hotline' is taken by streetchief.arrangements.hotline.Hotline" in said, said
    assert "test_arrangements" in said and "Impostor" in said
    assert ARRANGEMENTS["hotline"].__name__ == "Hotline"
    assert register(OneStopWindow) is OneStopWindow  # the same class again: no clash


def test_an_arrangement_of_ones_own_runs_beside_the_shipped_ones():
    s = load_scenario(
        "jingxing_2019",
        **{
            "arrangements.one_stop": {
                "answer": {"dist": "fixed", "value": 0.06},
                "dispatch": {"dist": "exponential", "mean": 0.5},
                "inspection": {"enabled": True, "interval_days": 3},
            }
        },
    )
    res = run_scenario(s, days=30)
    assert set(res.tables) == {"street_chief", "hotline", "grid", "multi_layer", "one_stop"}
    t = res.tables["one_stop"]
    ack = t["acknowledged_at"].to_numpy() - t["reported_at"].to_numpy()
    assert np.allclose(ack, 0.06)
    s1 = res.summaries["one_stop"]
    assert s1["issues_resolved"] + s1["issues_ended_unfixed"] > 0.9 * s1["issues_reported"]
    assert s1["praises"] > 0  # the inspection component it declared ran


def test_a_component_without_its_settings_is_refused():
    class Bare(OneStopWindow):
        """Declares patrols without a `patrol` field."""

        name = "bare"
        components = frozenset({"patrol"})

    with pytest.raises(TypeError, match="needs a field `patrol: PatrolSpec`"):
        register(Bare)
    assert "bare" not in ARRANGEMENTS


ONE_STOP = {
    "answer": {"dist": "fixed", "value": 0.06},
    "dispatch": {"dist": "exponential", "mean": 0.5},
}


@pytest.mark.parametrize("name", ["street_chief", "hotline", "grid", "multi_layer"])
def test_the_shipped_arrangements_pass_the_conformance_kit(name):
    from streetchief.testing import check_arrangement

    s = check_arrangement(ARRANGEMENTS[name], days=20)
    assert s["issues_reported"] > 0


def test_an_arrangement_of_ones_own_passes_the_kit_and_a_broken_one_is_named():
    from streetchief.testing import check_arrangement

    assert check_arrangement(OneStopWindow, ONE_STOP, days=20)["issues_resolved"] > 0

    class Backdated(OneStopWindow):
        """Answers before the post: a clock run backwards."""

        name = "backdated"

        def receive(self, i):
            m = self.model
            m.acknowledge(i, at=m.now)
            m.issues.reported_at[i] = m.now + 1.0  # the record now says answered before posted
            m.at(m.now + self.order(), self._ordered, i)

    try:
        with pytest.raises(AssertionError, match="backdated: acknowledged_at before reported_at"):
            check_arrangement(Backdated, ONE_STOP, days=20)
    finally:
        ARRANGEMENTS.pop("backdated", None)

    class Unseeded(OneStopWindow):
        """Answers after a delay from an unseeded generator: no two runs alike."""

        name = "unseeded"

        def __init__(self, model, params):
            super().__init__(model, params)
            fresh = np.random.default_rng()
            self.answer = lambda: float(fresh.exponential(0.1))

    try:
        with pytest.raises(AssertionError, match="unseeded: the same seed gave other records"):
            check_arrangement(Unseeded, ONE_STOP, days=20)
    finally:
        ARRANGEMENTS.pop("unseeded", None)

    class Forgetful(OneStopWindow):
        """Takes unknown keys: its parameters forbid nothing."""

        name = "forgetful"

        class Params(OneStopParams):
            model_config = {"extra": "allow"}

    try:
        with pytest.raises(AssertionError, match="forgetful: an unknown parameter was accepted"):
            check_arrangement(Forgetful, ONE_STOP, days=20)
    finally:
        ARRANGEMENTS.pop("forgetful", None)


def test_the_contracts_own_example_runs_and_passes_the_conformance_kit():
    """The example in `arrangements/base.py`'s docstring, as a user would copy it into a file:
    it compiles, registers, and runs beside multi-layer routing with every invariant kept."""
    import textwrap

    import streetchief.arrangements.base as base
    from streetchief.testing import check_arrangement

    doc = base.__doc__
    block = doc[
        doc.index("Write one in a file of its own:") : doc.index("and name it in a scenario")
    ]
    code = textwrap.dedent(block.split(":", 1)[1]).strip("\n")
    assert 'name = "hotline"' in code
    code = code.replace('name = "hotline"', 'name = "docstring_hotline"')  # 12345's is taken
    namespace: dict = {}
    try:
        exec(compile(code, "arrangements/base.py docstring", "exec"), namespace)
        answer = {"dist": "gamma", "mean": 0.1, "cv": 0.5}
        s = check_arrangement(namespace["Hotline"], {"answer": answer}, days=10)
        assert s["issues_resolved"] > 0
    finally:
        ARRANGEMENTS.pop("docstring_hotline", None)


def test_a_dispatch_centre_is_extended_through_its_public_hooks():
    """A plug-in built on the hotline overrides `order` and `signed` (the contract's hooks), and the
    model calls them: every work order passes through the subclass."""
    from streetchief.arrangements.hotline import Hotline
    from streetchief.scenario import load_scenario
    from streetchief.testing import check_arrangement

    seen = {"order": 0, "signed": 0}

    class CountingHotline(Hotline):
        name = "counting_hotline"

        def order(self, i):
            seen["order"] += 1
            super().order(i)

        def signed(self, i):
            seen["signed"] += 1
            super().signed(i)

    params = dict(load_scenario("jingxing_2019").arrangements["hotline"])
    try:
        s = check_arrangement(CountingHotline, params, days=10)
    finally:
        ARRANGEMENTS.pop("counting_hotline", None)
    assert s["issues_resolved"] > 0 and seen["signed"] > 0
    assert seen["order"] >= seen["signed"]  # a work order sent back is ordered again
