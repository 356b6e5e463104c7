"""Arrivals follow their profiles: hour of day per category, weekday, holidays, trend, bursts.

Goodness of fit is judged over many seeds: the chi-square p-values must look uniform (a
Kolmogorov–Smirnov test), and the same counts must reject a profile they were not drawn from.
"""

import numpy as np
import pytest
from scipy import stats

from streetchief import ScenarioError, load_scenario
from streetchief.problems import Problems, arrival_intensity

SEEDS = range(20)
DAYS = 1000


@pytest.fixture(scope="module")
def district():
    return load_scenario("jingxing_2019")


@pytest.fixture(scope="module")
def draws(district):
    """(per seed: problems), and the expected counts of the same window."""
    return [Problems.generate(district, seed, DAYS) for seed in SEEDS], arrival_intensity(
        district, 24.0 * DAYS
    )


def _bin_of(problems, lam):
    return np.searchsorted(lam.edges, problems.time, side="right") - 1


def _uniform_p_values(p_values):
    return stats.kstest(p_values, "uniform").pvalue


@pytest.mark.parametrize("category", ["street_light", "illegal_parking", "noise", "garbage"])
def test_counts_per_clock_hour_follow_the_category_profile(district, draws, category):
    problems_by_seed, lam = draws
    k = list(district.categories).index(category)
    expected = np.bincount(lam.hour, weights=lam.expected[:, k], minlength=24)
    flat = np.full(24, expected.sum() / 24)
    p_fit, p_flat = [], []
    for p in problems_by_seed:
        hours = lam.hour[_bin_of(p, lam)[p.category == k]]
        observed = np.bincount(hours, minlength=24)
        p_fit.append(stats.chisquare(observed, expected * observed.sum() / expected.sum()).pvalue)
        p_flat.append(stats.chisquare(observed, flat * observed.sum() / flat.sum()).pvalue)
    assert _uniform_p_values(p_fit) > 1e-3, p_fit
    assert max(p_flat) < 1e-6  # the hour-of-day shape is really there


def test_category_mix_weekdays_and_holidays_follow_the_scenario(district, draws):
    problems_by_seed, lam = draws
    day_type = lam.weekday + 7 * lam.holiday  # 14 kinds of day
    exp_type = np.bincount(day_type, weights=lam.expected.sum(axis=1), minlength=14)
    exp_cat = lam.expected.sum(axis=0)
    p_type, p_cat = [], []
    for p in problems_by_seed:
        obs_type = np.bincount(day_type[_bin_of(p, lam)], minlength=14)
        keep = exp_type > 0
        p_type.append(
            stats.chisquare(obs_type[keep], exp_type[keep] * obs_type.sum() / exp_type.sum()).pvalue
        )
        obs_cat = np.bincount(p.category, minlength=len(exp_cat))
        p_cat.append(stats.chisquare(obs_cat, exp_cat * obs_cat.sum() / exp_cat.sum()).pvalue)
    assert _uniform_p_values(p_type) > 1e-3 and _uniform_p_values(p_cat) > 1e-3
    # fewer reports on holidays: the scenario's factor 0.6, seen in the counts per holiday hour
    hol = lam.holiday[_bin_of(problems_by_seed[0], lam)]

    def per_hour(mask, n_hours):
        return mask.sum() / n_hours

    widths = np.diff(lam.edges)
    ratio = per_hour(hol, widths[lam.holiday].sum()) / per_hour(~hol, widths[~lam.holiday].sum())
    expected_ratio = (lam.expected[lam.holiday].sum() / widths[lam.holiday].sum()) / (
        lam.expected[~lam.holiday].sum() / widths[~lam.holiday].sum()
    )
    assert expected_ratio == pytest.approx(
        0.6, abs=0.05
    )  # the weekdays holidays fall on shift it a little
    assert ratio == pytest.approx(expected_ratio, rel=0.08)


def test_total_volume_matches_the_daily_rates(district, draws):
    problems_by_seed, lam = draws
    counts = np.array([len(p) for p in problems_by_seed])
    # Poisson: mean = variance = expected total
    assert abs(counts.mean() - lam.expected.sum()) < 4 * np.sqrt(lam.expected.sum() / len(counts))


def test_trend_doubles_volume_in_a_year():
    s = load_scenario("textbook_mmc", **{"arrivals": {"trend_per_year": 1.0}})
    ratios = []
    for seed in range(10):
        t = Problems.generate(s, seed, 730).time
        ratios.append((t >= 8760).sum() / (t < 8760).sum())
    assert np.mean(ratios) == pytest.approx(2.0, rel=0.03)


def test_a_storm_burst_adds_its_problems_in_its_zone_and_hours(district):
    burst = {
        "start": "2019-11-20T21:00",
        "hours": 4,
        "category": "street_light",
        "zone": "nanwei_road",
        "expected": 200,
    }
    stormy = load_scenario("jingxing_2019", **{"arrivals.bursts": [burst]})
    lights, nanwei = (
        list(district.categories).index("street_light"),
        list(district.zones).index("nanwei_road"),
    )
    a, b = (37 * 24 + 21, 37 * 24 + 25)  # 2019-11-20 21:00 is day 37 after 14 October
    extra = []
    for seed in range(20):
        for s, sign in ((stormy, 1), (district, -1)):
            p = Problems.generate(s, seed, 60)
            in_storm = (p.time >= a) & (p.time < b) & (p.category == lights) & (p.zone == nanwei)
            extra.append(sign * in_storm.sum())
    per_seed = np.array(extra).reshape(20, 2).sum(axis=1)
    assert per_seed.mean() == pytest.approx(200, abs=4 * np.sqrt(200 / 20) + 1)


@pytest.mark.parametrize(
    "override, message",
    [
        (
            {"arrivals.profiles": {"night": [1] * 23}},
            "arrivals.profiles: night: needs 24 hourly weights",
        ),
        (
            {"categories.noise.profile": "midnight"},
            "categories.noise.profile: unknown profile 'midnight'",
        ),
        (
            {
                "arrivals.bursts": [
                    {"start": "2019-11-20T21:00", "hours": 4, "category": "lights", "expected": 5}
                ]
            },
            "arrivals.bursts.0.category: unknown category 'lights'",
        ),
        ({"arrivals.holiday_factor": -1}, "arrivals.holiday_factor: must be ≥ 0"),
        ({"run.timezone": "Mars/Olympus"}, "run.timezone: unknown time zone 'Mars/Olympus'"),
    ],
)
def test_bad_arrival_parameters_are_refused_with_their_path(override, message):
    with pytest.raises(ScenarioError) as e:
        load_scenario("jingxing_2019", **override)
    assert message in str(e.value)
