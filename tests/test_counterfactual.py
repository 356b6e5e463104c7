"""A counterfactual stands on a calibration only when the calibration can bear it: its posterior
names what the spec fitted, inside the priors, with valid weights; it belongs to the scenario
compared; it passed its held-out check. Otherwise `compare --calibrated` refuses (exit 2, with the
reason), or with --force prints the warning first. Its interval is the predictive spread over the
posterior's draws, which does not narrow with more replications."""

import json

import numpy as np
import pandas as pd
import pytest

from streetchief import compare, load_scenario
from streetchief.calibration import draw_overrides
from streetchief.calibration.run import base_of
from streetchief.cli import main
from streetchief.experiment import paired_interval
from streetchief.provenance import content_hash

FITTED = "department_response.take_on.median"


def _folder(tmp_path, passes=True, scenario="jingxing_2019", posterior=None, **record):
    folder = tmp_path / "cal"
    folder.mkdir()
    table = posterior if posterior is not None else {FITTED: [0.5, 40.0], "weight": [0.5, 0.5]}
    pd.DataFrame(table).to_csv(folder / "posterior.csv", index=False)
    body = {
        "arrangement": "hotline",
        "scenario": scenario,
        "spec": {"parameters": {FITTED: {"low": 0.25, "high": 100}}},
        "check": {"passes": passes, "why": "held-out medians 1 of 8 inside the draws' 90% band"},
        "provenance": {"scenario_sha256": content_hash(base_of(scenario)[0])},
        **record,
    }
    (folder / "calibration.json").write_text(json.dumps(body))
    return folder


def _compare(tmp_path, folder, *more):
    out = tmp_path / "out"
    args = ["compare", "jingxing_2019", "--calibrated", str(folder), "--days", "5"]
    args += ["--replications", "2", "--arrangements", "street_chief,hotline", "--quiet"]
    return main([*args, "--out", str(out), *more]), out


@pytest.mark.parametrize(
    "case, said",
    [
        (dict(passes=False), "did not pass its held-out check: held-out medians 1 of 8"),
        (dict(scenario="textbook_mmc"), "was fitted to another scenario ('textbook_mmc'"),
        (dict(check=None), "records no held-out check"),
    ],
)
def test_a_calibration_that_cannot_bear_a_counterfactual_is_refused_or_warned_first(
    tmp_path, capsys, case, said
):
    folder = _folder(tmp_path, **case)
    code, out = _compare(tmp_path, folder)
    err = capsys.readouterr().err
    assert code == 2 and said in err and "--force" in err
    assert not out.exists()  # refused before anything is written
    code, out = _compare(tmp_path, folder, "--force")
    printed = capsys.readouterr().out
    assert code == 0 and printed.splitlines()[0].startswith("WARNING: ")
    assert said in printed.splitlines()[0]
    record = json.loads((out / "compare.json").read_text())
    assert record["calibrated"]["warnings"] and record["calibrated"]["posterior_sha256"]


def test_a_passing_calibration_of_this_scenario_speaks_and_says_whom_its_values_apply_to(
    tmp_path, capsys
):
    code, _ = _compare(tmp_path, _folder(tmp_path))
    printed = capsys.readouterr().out
    assert code == 0 and "WARNING" not in printed
    assert f"the fitted {FITTED} apply to every arrangement" in printed
    assert "90% predictive intervals of the paired difference over the posterior" in printed


@pytest.mark.parametrize(
    "posterior, said",
    [
        (
            {
                FITTED: [1.0],
                "arrangements.street_chief.liaison_ack_night.median": [500],
                "weight": [1],
            },
            "arrangements.street_chief.liaison_ack_night.median: not a parameter the calibration",
        ),
        ({FITTED: [1e6], "weight": [1]}, "row 2 holds 1000000.0, outside the prior 0.25 to 100"),
        ({FITTED: [1.0]}, "no weight column"),
        ({FITTED: [1.0, 2.0], "weight": [float("nan"), 1]}, "weight: every weight a finite"),
        ({FITTED: [1.0], "weight": [0]}, "weight: every weight a finite"),
        ({"weight": [1]}, f"missing the fitted parameter(s) {FITTED}"),
    ],
)
def test_a_posterior_holds_only_what_was_fitted_inside_its_priors(
    tmp_path, capsys, posterior, said
):
    code, out = _compare(tmp_path, _folder(tmp_path, posterior=posterior))
    err = capsys.readouterr().err
    assert code == 2 and said in err and "posterior.csv" in err and "Traceback" not in err
    assert not out.exists()


def test_an_empty_posterior_is_our_error(tmp_path, capsys):
    folder = _folder(tmp_path)
    (folder / "posterior.csv").write_text("")
    code, _ = _compare(tmp_path, folder)
    err = capsys.readouterr().err
    assert code == 2 and "posterior.csv" in err and "cannot be read as a table" in err


def test_the_counterfactual_interval_does_not_narrow_as_replications_grow(tmp_path):
    """Two particles far apart (departments take 0.5 h or 40 h to take an issue on): the spread
    of the paired difference over the draws stays about as wide with 40 replications as with 10,
    while a standard error's interval over the same runs narrows."""
    folder = _folder(tmp_path)
    s = load_scenario("jingxing_2019")
    widths, ses = [], []
    for n in (10, 40):
        cmp = compare(
            s, n, days=6, baseline="hotline", arrangements=["street_chief", "hotline"],
            drawn=draw_overrides(folder, n, 1),
        )  # fmt: skip
        row = cmp.paired.set_index(["arrangement", "outcome"]).loc[
            ("street_chief", "resolution_mean_h")
        ]
        assert row.interval == "90% predictive"
        widths.append(row.ci_high - row.ci_low)
        pr = cmp.per_run.set_index(["arrangement", "replication"]).resolution_mean_h
        _, lo, hi, _ = paired_interval((pr.loc["street_chief"] - pr.loc["hotline"]).astype(float))
        ses.append(hi - lo)
    assert widths[1] >= 0.5 * widths[0], widths  # the posterior's spread stays
    assert ses[1] < 0.8 * ses[0] and widths[1] > 2 * ses[1], (ses, widths)  # a t-interval's goes
    assert np.isfinite(widths).all()
