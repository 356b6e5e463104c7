"""The answer under uncertainty: parameter sets drawn from a scenario's ranges, the probability
that the treatment is better, the variance split, what decides it and where it wins."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import Field

from streetchief import compare, load_scenario
from streetchief.arrangements import ARRANGEMENTS, Arrangement, ArrangementParams, register
from streetchief.cli import main
from streetchief.distributions import Duration, sampler
from streetchief.sweeps.spec import load_sweep
from streetchief.uncertainty import answer, uncertainty, uncertainty_sweep
from streetchief.uncertainty.analysis import MAIN, answer_text, box_words


class DelayParams(ArrangementParams):
    delay: Duration = Field(description="hours from the report to the department")
    idle: float = Field(0.0, description="does nothing: a parameter that decides nothing")


class _Delay(Arrangement):
    """Answers at once and passes the issue to the department after a fixed delay."""

    Params = DelayParams

    def __init__(self, model, params):
        super().__init__(model, params)
        self.delay = sampler(params.delay, model.rng)

    def receive(self, i):
        m = self.model
        m.acknowledge(i, at=m.now)
        m.at(m.now + self.delay(), self._passed, i)

    def _passed(self, i):
        self.model.dispatch(i)
        self.model.fix(i)

    def fixed(self, i):
        self.model.resolve(i)
        self.model.close(i)


for _name in ("toy_treatment", "toy_baseline"):
    if _name not in ARRANGEMENTS:
        register(type(_name, (_Delay,), {"name": _name, "__doc__": _Delay.__doc__}))


def _raw(name: str) -> dict:
    from streetchief.errors import ScenarioError
    from streetchief.scenario import read_yaml_mapping, resolve_path

    return read_yaml_mapping(resolve_path(name), ScenarioError, "sections")


def _toy(threshold=1.0, low=0.0, high=4.0) -> dict:
    """An instant department behind two arrangements that differ only in their delay: the
    treatment's is uncertain, the baseline's is `threshold`, so the treatment is faster exactly
    when its delay is below the threshold."""
    base = _raw("textbook_mmc")
    base["run"]["days"] = 40
    base["arrangements"] = {
        "toy_treatment": {"delay": {"dist": "fixed", "value": threshold}},
        "toy_baseline": {"delay": {"dist": "fixed", "value": threshold}},
    }
    base["uncertain"] = {
        "arrangements.toy_treatment.delay.value": {"low": low, "high": high, "why": "the toy's"},
        "arrangements.toy_treatment.idle": {"low": 0, "high": 1, "why": "decides nothing"},
    }
    return base


def test_one_parameter_deciding_at_a_threshold_gives_its_share_and_its_box(tmp_path):
    """The treatment is faster when its delay (uniform on 0-4 h) is below 1 h: a quarter of the
    range. The probability is that quarter within sampling error, and the tree's box is the
    threshold, on the deciding parameter, not the idle one."""
    ans = uncertainty(
        _toy(), sets=24, replications=1, treatment="toy_treatment", out=tmp_path / "u",
        workers=1, progress=False,
    )  # fmt: skip
    r = ans.row("toy_baseline")
    assert abs(r.p_better - 0.25) <= 0.1, r.p_better
    assert r.p_low <= 0.25 <= r.p_high  # the interval for the sets drawn covers the truth
    # the difference is the delay's: median of U(0, 4) − 1 = 1, 90% range about -0.8 to 2.8
    assert r["median"] == pytest.approx(1.0, abs=0.35)
    assert r.q05 == pytest.approx(-0.8, abs=0.35) and r.q95 == pytest.approx(2.8, abs=0.35)
    box = next(b for b in ans.boxes if b["baseline"] == "toy_baseline")
    best = max(box["leaves"], key=lambda leaf: leaf["share"])
    assert list(best["box"]) == ["arrangements.toy_treatment.delay.value"]
    lo, hi = best["box"]["arrangements.toy_treatment.delay.value"]
    assert lo == 0.0 and best["share"] >= 0.8
    spec = load_sweep(ans.meta["spec"], base=_toy()).spec
    assert abs(spec.parameters["arrangements.toy_treatment.delay.value"].at(hi) - 1.0) <= 0.3
    assert "≤ 1" in box_words(best["box"], spec) or "≤ 0.9" in box_words(best["box"], spec)
    sens = ans.sensitivity[ans.sensitivity.outcome == "resolution_common_mean_h"]
    sens = sens.set_index("parameter")
    assert sens.S1["arrangements.toy_treatment.delay.value"] > 0.8
    assert sens.S1["arrangements.toy_treatment.idle"] < 0.15
    # what decides it: the delay, whose rise favours the baseline; the idle value does not
    assert sens.decides.to_dict() == {
        "arrangements.toy_treatment.delay.value": True, "arrangements.toy_treatment.idle": False,
    }  # fmt: skip
    assert sens.prcc["arrangements.toy_treatment.delay.value"] > 0.9
    said = "\n".join(answer_text(ans))
    assert "what decides the speed on the same problems: " in said
    assert ", higher favours toy_baseline (PRCC +" in said and "idle" not in said


def test_ranges_collapsed_to_points_give_todays_compare(tmp_path):
    """Every range a single value (the scenario's own): each set is the plain comparison."""
    base = _raw("jingxing_2019")
    base["uncertain"] = {
        "department_response.take_on.median": {"values": [1.0], "why": "collapsed"},
        "arrangements.hotline.misrouting": {"values": [0.1], "why": "collapsed"},
    }
    ans = uncertainty(
        base, sets=3, replications=2, arrangements=["street_chief", "hotline"], days=50,
        out=tmp_path / "u", workers=1, progress=False,
    )  # fmt: skip
    plain = compare(
        load_scenario("jingxing_2019"), replications=2, days=50, baseline="hotline",
        arrangements=["street_chief", "hotline"],
    )  # fmt: skip
    for o in ("resolution_common_mean_h", "problem_hours_per_day", "official_hours"):
        want = plain.paired.set_index("outcome").loc[o, "difference"]
        got = ans.per_set[f"{o}:hotline"].to_numpy(float)
        assert np.allclose(got, want), (o, got, want)
        r = ans.row("hotline", o)
        assert r["median"] == pytest.approx(want) and r.sd_parameters == pytest.approx(0, abs=1e-9)


def _fake(sets: int, unstable: set[int] = frozenset(), seed: int = 3):
    """An uncertainty sweep's runs made up: the treatment's outcome is 2·x1 + x2 + noise (sd 0.5)
    in the quantiles x of two parameters, the baseline's 0."""
    sw = uncertainty_sweep(_toy(), sets, replications=2, treatment="toy_treatment")
    meta = {"name": "fake", "spec": sw.spec.model_dump(mode="json")}
    rng = np.random.default_rng(seed)
    rows = []
    for p, (x1, x2) in enumerate(sw.unit):
        for r in range(2):
            y = 2 * x1 + x2 + rng.normal(0, 0.5)
            for a, v in (("toy_treatment", y), ("toy_baseline", 0.0)):
                rows.append(
                    dict(
                        point_id=p, replication=r, arrangement=a, status="ok",
                        resolution_common_mean_h=v, unstable=float(p in unstable),
                    )
                )  # fmt: skip
    return pd.DataFrame(rows), meta


def test_the_variance_split_recovers_known_shares():
    """Var(2·x1) = 4/12, Var(x2) = 1/12, noise 0.25 per run: parameters are 5/12 of a run's
    variance against 0.25 (a share of 0.625). A set's mean of two runs has variance
    5/12 + 0.125, of which x1 explains 4/12 and x2 1/12 (first-order indices 0.615, 0.154)."""
    runs, meta = _fake(256)
    ans = answer(runs, meta)
    r = ans.row("toy_baseline")
    assert r.parameter_share == pytest.approx((5 / 12) / (5 / 12 + 0.25), abs=0.06)
    assert r.sd_replication == pytest.approx(0.5, abs=0.05)
    s1 = ans.sensitivity[ans.sensitivity.outcome == "resolution_common_mean_h"]
    s1 = s1.set_index("parameter").S1
    of_sets = 5 / 12 + 0.25 / 2
    assert s1["arrangements.toy_treatment.delay.value"] == pytest.approx(4 / 12 / of_sets, abs=0.1)
    assert s1["arrangements.toy_treatment.idle"] == pytest.approx(1 / 12 / of_sets, abs=0.1)


def test_partial_rank_correlation_finds_what_decides_and_leaves_noise_alone():
    """y = 2·x1 + x2 + noise: both decide, x1 more, and a third column of pure noise does not
    (PRCC on ranks, the others regressed out); too few sets for the columns gives NaN."""
    from streetchief.uncertainty.analysis import prcc

    rng = np.random.default_rng(5)
    x = rng.random((200, 3))
    y = 2 * x[:, 0] + x[:, 1] + rng.normal(0, 0.5, 200)
    rho, p = prcc(x, y)
    assert rho[0] > rho[1] > 0.3 and p[0] < 1e-6 and p[1] < 1e-3
    assert abs(rho[2]) < 0.2 and p[2] > 0.01
    # a monotone but not linear effect is found as well as a linear one: ranks
    rho_exp, _ = prcc(x, np.exp(6 * x[:, 0]) + x[:, 1])
    assert rho_exp[0] > 0.95
    assert np.isnan(prcc(x[:3], y[:3])[0]).all()


def test_an_unstable_set_is_counted_apart_not_averaged_in():
    runs, meta = _fake(32, unstable={0, 5, 9})
    r = answer(runs, meta).row("toy_baseline")
    assert r.unstable_sets == 3 and r.sets == 29


def test_the_shipped_ranges_are_valid_and_each_says_why():
    s = load_scenario("jingxing_2019")
    assert len(s.uncertain) >= 12
    for path, r in s.uncertain.items():
        assert len(r.why) > 10, path
    sw = uncertainty_sweep("jingxing_2019", 4)  # every path and both ends checked
    assert set(sw.points.columns) == set(s.uncertain)
    # a value given with --set is the user's: it is not drawn
    fixed = uncertainty_sweep("jingxing_2019", 4, settings={"observers.residents.expected": 0.5})
    assert "observers.residents.expected" not in fixed.points


def test_compare_uncertainty_from_the_command_line(tmp_path, capsys):
    out = tmp_path / "u"
    args = ["compare", "jingxing_2019", "--uncertainty", "3", "--days", "20", "--quiet"]
    args += ["--arrangements", "street_chief,hotline", "--workers", "1", "--out", str(out)]
    assert main(args) == 0
    printed = capsys.readouterr().out
    assert "parameter sets drawn from the scenario's ranges" in printed
    assert "against the 12345 hotline" in printed and "probability" in printed
    assert "95% CI for the number of sets drawn" in printed  # says what the interval covers
    names = {p.name for p in (out / "uncertainty").iterdir()}
    assert {"answer.txt", "answer.csv", "sets.csv", "uncertainty.png", "discovery.png"} <= names
    table = pd.read_csv(out / "uncertainty" / "answer.csv")
    row = table[(table.baseline == "hotline") & (table.outcome == "resolution_common_mean_h")]
    assert f"probability {row.p_better.iloc[0]:.2f}" in printed  # the words are the table's
    assert main(["verify", str(out), "--sample", "1"]) == 0  # the sweep beneath, re-run
    assert main(["parameters", "--uncertain", "jingxing_2019"]) == 0
    assert "department_response.take_on.median" in capsys.readouterr().out


STORED = Path(__file__).parent / "data" / "uncertainty" / "jingxing_2019"


def test_the_readmes_answer_under_uncertainty_is_what_the_stored_runs_give():
    """The README quotes `compare jingxing_2019 --uncertainty 64`; its runs are stored in
    tests/data, and every quoted line is what the analysis says of them."""
    import re

    from streetchief.report import LABELS
    from streetchief.sweeps.analysis import load_runs
    from streetchief.uncertainty import answer_text

    readme = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    block = r"<!-- uncertainty: .*? -->\n```\n(.*?)```\n<!-- end uncertainty -->"
    m = re.search(block, readme, re.S)
    assert m, "the README has no answer under uncertainty"
    runs, meta = load_runs(STORED)
    said = answer_text(answer(runs, meta), load_scenario("jingxing_2019"), LABELS)
    quoted = [line for line in m.group(1).splitlines() if line != "..."]
    assert len(quoted) >= 15
    for line in quoted:
        assert line in said, f"the README quotes what the analysis does not say:\n{line}"


def test_the_readmes_headline_is_the_answer_under_uncertainty():
    """The README's first sentence on the answer quotes the stored runs' probabilities, and the
    values it names as deciding it against the hotline decide it, each on the side it says."""
    from streetchief.sweeps.analysis import load_runs

    readme = " ".join((Path(__file__).parents[1] / "README.md").read_text("utf-8").split())
    runs, meta = load_runs(STORED)
    ans = answer(runs, meta)
    hotline, grid, layers = (ans.row(b) for b in ("hotline", "grid", "multi_layer"))
    assert ans.strongest == "hotline"
    assert (
        f"faster than the 12345 hotline on the same problems in {hotline.p_better:.0%} of the "
        f"plausible parameter sets (95% CI {hotline.p_low:.0%} to {hotline.p_high:.0%}, for the "
        f"{ans.sets} sets drawn), faster than grid management in {grid.p_better:.0%} "
        f"({grid.p_low:.0%} to {grid.p_high:.0%})"
    ) in readme
    assert layers.p_better == 1.0 and f"in all {layers.sets} sets where its queues" in readme
    for o, share in (("unreported_problems", 1.0), ("official_hours", 0.0)):
        assert ans.row("hotline", o).p_better == share
    sens = ans.sensitivity[
        (ans.sensitivity.baseline == "hotline") & (ans.sensitivity.outcome == MAIN)
    ].set_index("parameter")
    named = {  # the README's words: + favours the hotline (the difference rises)
        "arrangements.street_chief.misclaim": +1,
        "arrangements.street_chief.coordination.hours.median": +1,
        "arrangements.hotline.misrouting": -1,
        "department_response.take_on.median": -1,
        "department_response.pass_back.mean": -1,
    }
    for path, sign in named.items():
        assert sens.decides[path] and np.sign(sens.prcc[path]) == sign, path
    top4 = sens.prcc.abs().sort_values(ascending=False).iloc[:4]
    assert set(top4.index) < set(named)
    assert f"(partial rank correlations {top4.min():.2f} to {top4.max():.2f} in size)" in readme


@pytest.mark.slow
def test_the_stored_runs_are_the_models_own():
    """Two of the stored (set, replication) tasks, run again, give the stored outcomes exactly."""
    from streetchief.sweeps.analysis import load_runs
    from streetchief.sweeps.task import run_task

    runs, meta = load_runs(STORED)
    sw = load_sweep(meta["spec"], base=meta["base_scenario"])
    for point, rep in ((5, 0), (41, 1)):
        got = run_task(
            sw.base, sw.overrides(point), sw.spec.days, sw.spec.seed + rep,
            sw.spec.arrangements, ["resolution_common_mean_h", "official_hours"], False,
        )  # fmt: skip
        assert got["error"] is None, got["error"]
        stored = runs[(runs.point_id == point) & (runs.replication == rep)].set_index("arrangement")
        for a, row in got["rows"].items():
            for k, v in row.items():
                assert v == pytest.approx(stored.loc[a, k], rel=1e-12), (point, rep, a, k)


def test_a_range_at_a_place_the_scenario_lacks_is_named_in_its_own_section(tmp_path, capsys):
    from streetchief.errors import ScenarioError

    base = _toy()
    base["uncertain"]["departments.nope.crews"] = {"low": 1, "high": 3, "why": "a typo"}
    with pytest.raises(ScenarioError, match=r"uncertain\.departments\.nope\.crews = 1\.0: .*nope"):
        uncertainty_sweep(base, 4, treatment="toy_treatment")
    path = tmp_path / "city.yaml"
    text = (Path(__file__).parents[1] / "scenarios" / "jingxing_2019.yaml").read_text("utf-8")
    path.write_text(
        text + "  departments.nope.crews: {low: 1, high: 3, why: a typo}\n", encoding="utf-8"
    )
    out = tmp_path / "u"
    assert main(["compare", str(path), "--uncertainty", "4", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert f"scenario {path}" in err and "uncertain.departments.nope.crews" in err
    assert not out.exists()  # refused before anything was written


def _calibration_folder(folder: Path, medians=(0.5, 3.0, 40.0), weights=(0.5, 0.5, 0.0)) -> Path:
    """A calibration folder's two files as `streetchief calibrate` writes them: three particles
    of the departments' take-on median, the last with no weight."""
    import json

    from streetchief.calibration.run import base_of
    from streetchief.provenance import content_hash

    folder.mkdir()
    pd.DataFrame({"department_response.take_on.median": medians, "weight": weights}).to_csv(
        folder / "posterior.csv", index=False
    )
    record = {
        "arrangement": "hotline",
        "scenario": "jingxing_2019",
        "spec": {"parameters": {"department_response.take_on.median": {"low": 0.25, "high": 100}}},
        "check": {"passes": True, "why": "made up for the test"},
        "provenance": {"scenario_sha256": content_hash(base_of("jingxing_2019")[0])},
    }
    (folder / "calibration.json").write_text(json.dumps(record))
    return folder


def test_a_calibrated_folder_gives_each_set_a_posterior_draw_for_what_it_fitted(tmp_path, capsys):
    cal = _calibration_folder(tmp_path / "cal")
    sw = uncertainty_sweep("jingxing_2019", 40, calibrated=cal)
    fitted = "department_response.take_on.median"
    assert fitted not in sw.spec.uncertainties  # drawn from the posterior, not from its range
    values = sw.points[fitted]
    assert set(values) == {0.5, 3.0}  # both weighted particles, never the weightless one
    assert sw.spec.given_from == f"the posterior in {cal}"
    again = uncertainty_sweep("jingxing_2019", 40, calibrated=cal)
    assert values.tolist() == again.points[fitted].tolist()  # reproducible from the seed
    # the command line: the draws, the named baseline spoken of first, and a verifiable sweep
    out = tmp_path / "u"
    args = ["compare", "jingxing_2019", "--uncertainty", "3", "--days", "10", "--quiet"]
    args += ["--arrangements", "street_chief,hotline,grid", "--workers", "1", "--out", str(out)]
    assert main([*args, "--calibrated", str(cal), "--baseline", "grid"]) == 0
    printed = capsys.readouterr().out
    assert f"each parameter set draws {fitted} from the posterior in {cal}" in printed
    assert "and from the posterior in" in printed and "(1 value)" in printed
    against = [line for line in printed.splitlines() if line.startswith("against ")]
    assert against[0] == "against grid management (the baseline named):", against
    sets = pd.read_csv(out / "uncertainty" / "sets.csv")
    assert set(sets[fitted]) <= {0.5, 3.0}
    assert main(["verify", str(out), "--sample", "1"]) == 0
    assert main([*args, "--baseline", "multi_layer"]) == 2
    assert "--baseline 'multi_layer' is not among" in capsys.readouterr().err
    assert main([*args, "--calibrated", str(tmp_path / "none")]) == 2
    assert "not a calibration folder" in capsys.readouterr().err


@pytest.mark.parametrize(
    "given, message",
    [
        ({"department_response.take_on.sigma": [0.5, 0.6]}, "2 values for the design's 4 points"),
        ({"department_response.take_on.sigma": [0.5, 0.6, 0.7, -3]}, "= -3"),
        ({"department_response.take_on.median": [1, 1, 1, 1]}, "both given and drawn"),
    ],
)
def test_values_given_set_by_set_are_checked_before_anything_runs(given, message):
    from streetchief.errors import SweepError

    spec = uncertainty_sweep("jingxing_2019", 4).spec.model_dump(mode="json")
    with pytest.raises(SweepError, match=message):
        load_sweep({**spec, "given": given})


def test_too_few_sets_for_the_values_is_said_not_read_as_no_driver():
    """12 stable sets for 16 values: a partial rank correlation cannot be had (it needs 18)."""
    from streetchief.sweeps.analysis import load_runs

    runs, meta = load_runs(STORED)
    ans = answer(runs[runs.point_id < 12], meta)
    said = "\n".join(answer_text(ans))
    assert (
        "too few sets to tell (12 for 16 values; a partial rank correlation needs at least 18)"
        in said
    )
    assert "stands out" not in said


def test_the_answers_figures_say_the_tables_numbers_in_words_that_fit():
    """Each panel's title is its row of the answer (probability, its interval, the sets); the
    axes name the arrangements in words; no text runs out of the figure or into its neighbour."""
    import matplotlib

    matplotlib.use("Agg")
    from streetchief.report import LABELS
    from streetchief.sweeps.analysis import load_runs
    from streetchief.uncertainty.figures import SHOWN, discovery_figure, spread_figure

    ans = answer(*load_runs(STORED))
    fig = spread_figure(ans, names=LABELS)
    axes = fig.axes
    order = ["hotline", "grid", "multi_layer"]
    for i, b in enumerate(order):
        for j, o in enumerate(SHOWN):
            ax, r = axes[i * len(SHOWN) + j], ans.row(b, o)
            title = ax.get_title()
            assert title.startswith(f"against {LABELS[b]}: "), title
            assert (
                f"P = {r.p_better:.2f} (95% CI {r.p_low:.2f} to {r.p_high:.2f}, {r.sets} sets)"
                in title
            )
            assert ax.get_xlabel().startswith(f"street chiefs − {LABELS[b]} (")
    disc = discovery_figure(ans, scenario=load_scenario("jingxing_2019"), names=LABELS)
    assert "street chiefs are faster than the 12345 hotline" in disc.axes[0].get_title()
    for f in (fig, disc):
        f.canvas.draw()
        renderer = f.canvas.get_renderer()
        whole = f.bbox
        texts = [t for ax in f.axes for t in (ax.title, ax.xaxis.label, ax.yaxis.label)]
        texts = [t for t in texts if t.get_text()] + ([f._suptitle] if f._suptitle else [])
        boxes = [t.get_window_extent(renderer) for t in texts]
        for t, box in zip(texts, boxes, strict=True):
            assert t.get_fontsize() >= 8, t.get_text()
            assert box.x0 >= whole.x0 - 1 and box.x1 <= whole.x1 + 1, t.get_text()
        for k, a in enumerate(boxes):
            for c in boxes[k + 1 :]:
                assert not a.overlaps(c), "two labels overlap"
