"""What the evaluator sees is read by a non-programmer: parameters in words with units, numbers
without scientific notation, heat-map cells without a point marked as missing."""

import re

import matplotlib
import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from streetchief import load_scenario
from streetchief.scenario import shipped
from streetchief.sweeps.analysis import (
    MISSING,
    UNDEFINED,
    heatmap_figure,
    tornado,
    tornado_figure,
)
from streetchief.sweeps.labels import outcome_label, parameter_label, readable, readable_table

matplotlib.use("Agg")
DOTTED = re.compile(r"\b(arrangements|categories|departments|zones|calendars)\.\w")
SCIENTIFIC = re.compile(r"\d[eE][+-]?\d")


def _sweep_parameters():
    out = []
    for name in ("sweep_demo", "sweep_fairness"):
        spec = yaml.safe_load((shipped() / f"{name}.yaml").read_text(encoding="utf-8"))
        out += [*spec.get("uncertainties", {}), *spec.get("levers", {})]
    return out


@pytest.fixture(scope="module")
def base():
    return load_scenario("jingxing_2019")


@pytest.mark.parametrize("path", _sweep_parameters())
def test_every_shipped_sweep_parameter_reads_as_words(path, base):
    label = parameter_label(path, base)
    assert not DOTTED.search(label) and "_" not in label.split(":")[0], label
    assert "*" not in label, label
    assert ": " in label and len(label) < 120, label


def test_layers_carry_their_names_and_units_are_said(base):
    path = "arrangements.multi_layer.layers.0.misrouting"
    assert parameter_label(path, base) == "community office: share sent to the wrong place (0–1)"
    assert parameter_label("department_response.take_on.median", base).endswith("(median, h)")
    assert parameter_label("categories.illegal_parking.rate_per_day") == (
        "illegal parking: problems a day"
    )
    assert outcome_label("resolution_median_h") == "hours from report to resolution, median (h)"
    cv = parameter_label("arrangements.multi_layer.layers.0.handling.cv", base)
    assert cv.endswith("(coefficient of variation)")  # a ratio: no unit
    assert parameter_label("arrivals.bursts.0.hours") == "arrivals: how long it lasts (h)"
    assert parameter_label("arrangements.grid.patrol.hours").endswith("hours a round (h)")
    assert parameter_label("categories.*.unclear_share").startswith("every category: ")


@given(st.floats(allow_nan=False, allow_infinity=False, min_value=-1e12, max_value=1e12))
def test_numbers_for_reading_have_no_scientific_notation(x):
    text = readable(x)
    assert not SCIENTIFIC.search(text), text
    if abs(x) >= 0.01:  # three significant digits, or the whole number
        assert float(text.replace(",", "")) == pytest.approx(x, rel=5e-3, abs=5e-3)


def test_readable_values():
    assert readable(-1093.4) == "-1,093" and readable(0.000123) == "0.0001"
    assert readable(float("nan")) == "—" and readable(True) == "yes" and readable(2.0) == "2"
    assert readable(float("inf")) == "∞" and readable(float("-inf")) == "−∞"


def _advantage(missing: bool) -> pd.DataFrame:
    """Nine points on a 3 × 3 grid of two parameters, one cell left without a point."""
    x, y = np.meshgrid([1.0, 2.0, 3.0], [0.1, 0.2, 0.3])
    adv = pd.DataFrame(
        {
            "departments.sanitation.crews": x.ravel(),
            "arrangements.multi_layer.layers.0.misrouting": y.ravel(),
            "multi_layer": 60.0,
            "street_chief": 14.0,
            "difference": -1093.4 + np.arange(9.0),
        }
    )
    return adv.drop(index=4) if missing else adv


def _texts(fig) -> list[str]:
    out = []
    for ax in fig.axes:
        out += [ax.get_xlabel(), ax.get_ylabel(), ax.get_title()]
        out += [t.get_text() for t in ax.texts]
        out += [t.get_text() for t in ax.get_xticklabels() + ax.get_yticklabels()]
        if ax.get_legend():
            out += [t.get_text() for t in ax.get_legend().get_texts()]
    return out


@pytest.mark.parametrize("missing", [True, False])
def test_heat_map_marks_a_cell_without_a_point_and_reads_as_words(base, missing):
    import matplotlib.pyplot as plt

    adv = _advantage(missing)
    fig = heatmap_figure(
        adv,
        "departments.sanitation.crews",
        "arrangements.multi_layer.layers.0.misrouting",
        "resolution_mean_h",
        scenario=base,
    )
    texts = _texts(fig)
    cells = [t.get_text() for t in fig.axes[0].texts]
    assert cells.count(MISSING) == (1 if missing else 0)  # the middle cell says it is missing
    hatched = [p for p in fig.axes[0].patches if p.get_hatch()]
    assert len(hatched) == (1 if missing else 0)
    if missing:  # drawn over the cell, in grey: not the colour of "no difference"
        (cell,) = hatched
        assert cell.get_xy() == (0.5, 0.5) and cell.get_facecolor()[:3] != (1.0, 1.0, 1.0)
    assert "-1,093" in texts and not any(SCIENTIFIC.search(t) for t in texts)
    assert not any(DOTTED.search(t) for t in texts + [fig.axes[1].get_ylabel()])
    ylabel = fig.axes[0].get_ylabel().replace("\n", " ")
    assert ylabel == "community office: share sent to the wrong place (0–1)"
    plt.close(fig)


def test_a_cell_whose_points_have_no_value_is_not_called_empty(base):
    import matplotlib.pyplot as plt

    adv = _advantage(False)
    adv.loc[4, "difference"] = np.nan  # the middle point: the outcome undefined in every run
    params = ["departments.sanitation.crews", "arrangements.multi_layer.layers.0.misrouting"]
    fig = heatmap_figure(adv, *params, "resolution_mean_h", scenario=base)
    cells = [t.get_text() for t in fig.axes[0].texts]
    assert cells.count(UNDEFINED) == 1 and MISSING not in cells
    assert (fig.missing_cells, fig.undefined_cells) == (0, 1)
    plt.close(fig)


def test_tornado_and_tables_read_as_words(base):
    import matplotlib.pyplot as plt

    adv = _advantage(False)
    params = ["departments.sanitation.crews", "arrangements.multi_layer.layers.0.misrouting"]
    tor = tornado(adv, params)
    fig = tornado_figure(tor, adv.difference.mean(), "resolution_mean_h", scenario=base)
    texts = _texts(fig)
    assert "sanitation: crews" in texts and not any(DOTTED.search(t) for t in texts)
    assert "street chief − multi-layer routing" in fig.axes[0].get_xlabel().replace("\n", " ")
    plt.close(fig)
    hotline = adv.rename(columns={"multi_layer": "hotline"})  # the pair the table holds is named
    fig = tornado_figure(tornado(hotline, params), 0.0, "resolution_mean_h", scenario=base)
    assert "street chief − 12345 hotline" in fig.axes[0].get_xlabel().replace("\n", " ")
    plt.close(fig)
    table = readable_table(adv, base, outcome="resolution_mean_h")
    shown = table.to_html() + " ".join(map(str, table.columns))
    assert not DOTTED.search(shown) and not SCIENTIFIC.search(shown)
    assert "-1,093" in shown and "sanitation: crews" in table.columns
