"""What a log tells directly: each category's wait from its own close times, shrunk across
categories, matched to the record by simulation, and carried into every draw of the posterior."""

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from streetchief import load_scenario
from streetchief.calibration import calibrate, draw_overrides
from streetchief.calibration.leads import PRIOR_ISSUES, fit_leads, lead_overrides, match
from streetchief.calibration.run import check_calibrated, read_posterior
from streetchief.calibration.synthetic import simulated_log
from streetchief.cli import main
from streetchief.issue_log import read_log, write_log

ROOT = Path(__file__).resolve().parents[1]


def _table(hours: dict[str, np.ndarray]):
    cats = [c for c, h in hours.items() for _ in h]
    h = np.concatenate(list(hours.values()))
    return pa.table({"category": cats, "reported_at": np.zeros(len(h)), "resolved_at": h})


def test_a_big_category_keeps_its_own_distribution_and_a_small_one_leans_on_the_citys():
    rng = np.random.default_rng(3)
    many = rng.lognormal(np.log(50), 1.0, 3000)
    # two humps, as logs close part of a category at once and the rest days later: no lognormal
    humps = np.concatenate([np.full(400, 0.01), rng.lognormal(np.log(60), 0.3, 600)])
    few = np.array([1000.0, 1100.0, 1200.0])
    fits = fit_leads(
        _table({"many": many, "humps": humps, "few": few}), ["many", "humps", "few", "none"]
    )
    assert np.median(fits["many"].target) == pytest.approx(np.median(many), rel=0.05)
    assert fits["many"].own_weight == pytest.approx(3000 / (3000 + PRIOR_ISSUES))
    # the humps stay humps: 40% closed at once, the median in the second hump
    assert (fits["humps"].target <= 0.01).mean() == pytest.approx(0.4, abs=0.03)
    assert 35 < np.median(fits["humps"].target) < 55  # the second hump's 1/6 quantile: 44.8
    # three issues weigh 3/33 against the city: its median is the city's, not 1,100 h
    assert fits["few"].own_weight == pytest.approx(3 / 33)
    assert np.median(fits["few"].target) < 100 and fits["few"].target.max() >= 1000
    # none closed: the city's own distribution
    city = np.concatenate([many, humps, few])
    assert fits["none"].issues == 0 and fits["none"].own_weight == 0
    assert np.median(fits["none"].target) == pytest.approx(np.median(city), rel=0.05)
    assert lead_overrides(fits)["categories.many.lead"]["dist"] == "empirical"


@pytest.fixture(scope="module")
def los_angeles(tmp_path_factory):
    """The shared LA export's city, its log, and the earlier 70% of it."""
    from streetchief.calibration.run import split

    d = tmp_path_factory.mktemp("la")
    la = ROOT / "tests" / "data" / "real" / "la311_2018_mini.csv"
    mapping = ROOT / "scenarios" / "mappings" / "la_311.yaml"
    city = d / "la.yaml"
    args = ["scenario-from-log", str(la), "--mapping", str(mapping), "--out", str(city)]
    assert main(args) == 0
    sc = load_scenario(city)
    log = read_log(la, sc, d / "la.mapping.yaml")
    return city, sc, log, split(log, 0.3)[0]


def test_the_waits_bring_each_categorys_simulated_close_times_onto_the_record(los_angeles):
    """On the shared LA export's earlier 70%: one wait for every category misses the encampments'
    median (weeks) by 71%; each category's own wait, matched, brings the simulated medians of
    the large categories within 15% of the recorded (bulky items, dumping and appliances within
    1%)."""
    from streetchief.calibration.leads import close_hours
    from streetchief.errors import ScenarioError
    from streetchief.experiment import recorded_history, replay
    from streetchief.scenario import read_yaml_mapping

    city, sc, _, early = los_angeles
    base = read_yaml_mapping(city, ScenarioError, "a scenario")
    recorded = recorded_history(sc, early).tables["recorded"]
    big = [
        "bulky_items",
        "illegal_dumping_pickup",
        "metal_household_appliances",
        "electronic_waste",
        "homeless_encampment",
    ]
    rec = {c: np.median(h) for c, h in close_hours(recorded, big).items()}

    def simulate(overrides):
        s = load_scenario(base, **overrides)
        return replay(s, early, ["hotline"], seed=1, recorded=False, summaries=False).tables[
            "hotline"
        ]

    def misses(table):
        return {c: abs(np.median(h) / rec[c] - 1) for c, h in close_hours(table, big).items()}

    one = misses(simulate({"categories.*.lead_hours": 43.0}))  # one wait for all: 43 h
    assert max(one.values()) > 0.3, one
    fits = fit_leads(recorded, list(sc.categories))
    rounds = match(fits, simulate)
    assert rounds[-1] < rounds[0] / 2  # each round moves the waits onto the record
    own = misses(simulate(lead_overrides(fits)))
    assert all(m <= 0.15 for m in own.values()), own  # encampments: 170 issues, 0.11
    assert max(own.values()) < max(one.values()) / 3


def test_a_from_log_calibration_carries_its_waits_into_every_draw_and_names_the_scenario(
    tmp_path,
):
    s = load_scenario("jingxing_2019", **{"department_response.take_on.median": 4.0})
    path = tmp_path / "log.csv"
    write_log(simulated_log(s, "hotline", seed=5, days=15), path)
    log = read_log(path, load_scenario("jingxing_2019"))
    spec = {
        "leads": "from_log",
        "parameters": {
            "department_response.take_on.median": {
                "low": 0.25,
                "high": 32,
                "distribution": "loguniform",
            }
        },
        "population_size": 5,
        "generations": 1,
        "draws": 2,
    }
    out = tmp_path / "fit"
    r = calibrate("jingxing_2019", log, "hotline", spec, out, workers=1, holdout=0.3)
    categories = list(load_scenario("jingxing_2019").categories)
    assert sorted(r["from_log"]) == sorted(f"categories.{c}.lead" for c in categories)
    assert set(r["leads"]["categories"]) == set(categories)
    assert all(v["source"].startswith("[log]") for v in r["leads"]["categories"].values())
    posterior, record = read_posterior(out)
    assert posterior.given == r["from_log"]
    for d in draw_overrides(out, 3, 1):  # every replication of a counterfactual has them
        assert {k: d[k] for k in r["from_log"]} == r["from_log"]
        assert "department_response.take_on.median" in d
    fitted = load_scenario(out / "fitted.yaml")  # the waits written into the fitted scenario
    for c in categories:
        assert fitted.categories[c].lead.values == r["from_log"][f"categories.{c}.lead"]["values"]
    # the posterior names the scenario as the user gave it (the waits are the calibration's)
    warnings = check_calibrated(out, "jingxing_2019", force=True)
    assert not any("another scenario" in w for w in warnings)
    assert json.loads((out / "calibration.json").read_text())["spec"]["leads"] == "from_log"
