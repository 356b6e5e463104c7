"""The simulator against queueing theory: Erlang C, tandem M/M/c stations, Little's law."""

import numpy as np
import pytest
from conftest import batch_means_ci

from streetchief import load_scenario, run_scenario
from streetchief.theory import erlang_c, mmc_sojourn, mmc_wait, tandem_sojourn


def test_erlang_c_worked_example():
    # CALIBRATION.md: M/M/3, λ = 0.2, μ = 0.1 → C = 4/9, Wq = 40/9
    assert erlang_c(3, 0.2, 0.1) == pytest.approx(4 / 9)
    assert mmc_wait(3, 0.2, 0.1) == pytest.approx(40 / 9)
    assert mmc_sojourn(3, 0.2, 0.1) == pytest.approx(40 / 9 + 10)


@pytest.mark.parametrize("rho, issues", [(0.5, 40_000), (0.8, 60_000), (0.9, 120_000)])
def test_mmc_matches_erlang_c(rho, issues):
    c, mu = 3, 0.1
    lam = rho * c * mu
    days = issues / (lam * 24)
    s = load_scenario("textbook_mmc", **{"categories.k.rate_per_day": lam * 24, "run.days": days})
    table = run_scenario(s, ["multi_layer"], seed=7).tables["multi_layer"]
    rep, ack, res = (table[k].to_numpy() for k in ("reported_at", "acknowledged_at", "resolved_at"))
    done = ~np.isnan(res)
    wq, wq_half = batch_means_ci((ack - rep)[done])
    w, w_half = batch_means_ci((res - rep)[done])
    assert abs(wq - mmc_wait(c, lam, mu)) <= wq_half, (wq, wq_half, mmc_wait(c, lam, mu))
    assert abs(w - mmc_sojourn(c, lam, mu)) <= w_half, (w, w_half, mmc_sojourn(c, lam, mu))
    # the share that waits at all is the Erlang C probability
    waited = ((ack - rep)[done] > 0).mean()
    assert waited == pytest.approx(erlang_c(c, lam, mu), abs=0.02)


def test_tandem_matches_sum_of_mmc():
    s = load_scenario("textbook_tandem", **{"run.days": 2500})
    table = run_scenario(s, ["multi_layer"], seed=3).tables["multi_layer"]
    rep, res = table["reported_at"].to_numpy(), table["resolved_at"].to_numpy()
    w, half = batch_means_ci((res - rep)[~np.isnan(res)])
    theory = tandem_sojourn([(3, 1 / 2.4)] * 4, 1.0)
    assert theory == pytest.approx(19.96, abs=0.01)
    assert abs(w - theory) <= half, (w, half, theory)


def test_tandem_misrouting_follows_jackson_visits():
    # a dispatcher that misroutes with probability p and gets the issue back: bounces p/(1-p)
    # per issue.
    # 5 clerks keep the first layer stable at 1/(1-p) visits per issue (ρ = 0.64); with 3 it
    # would be
    # overloaded (ρ = 1.07) and issues stuck in its queue would not have bounced yet.
    p = 0.25
    s = load_scenario(
        "textbook_tandem",
        **{
            "run.days": 300,
            "arrangements.multi_layer.layers.0.misrouting": p,
            "arrangements.multi_layer.layers.0.clerks": 5,
        },
    )
    table = run_scenario(s, ["multi_layer"], seed=5).tables["multi_layer"]
    bounces = table["bounces"].to_numpy()
    se = bounces.std(ddof=1) / np.sqrt(len(bounces))
    assert abs(bounces.mean() - p / (1 - p)) < 4 * se, (bounces.mean(), se)


@pytest.mark.parametrize("arrangement", ["multi_layer", "street_chief"])
def test_littles_law_on_the_district(jingxing, arrangement):
    """Time-average open issues, counted by the model as it runs, equals λ·W from the records; the
    summary's mean backlog is that time average (not the count at midnight)."""
    s = load_scenario(
        "jingxing_2019", **{"run.backlog_sample_hours": 0.3719}
    )  # not a divisor of a day
    res = run_scenario(s, [arrangement], days=365, keep_models=True)
    m, table = res.models[arrangement], res.tables[arrangement]
    horizon = res.horizon
    rep = table["reported_at"].to_numpy()
    out = np.fmin(table["resolved_at"].to_numpy(), table["ended_at"].to_numpy())  # fixed, or gone
    in_system = np.where(np.isnan(out), horizon, out) - rep
    lam, w = len(rep) / horizon, in_system.mean()
    samples = np.array([n for _, n in m.backlog_samples])
    assert samples.mean() == pytest.approx(lam * w, rel=0.03)
    assert res.summaries[arrangement]["mean_backlog"] == pytest.approx(lam * w, rel=1e-9)


def test_a_lead_time_is_a_pure_delay_between_dispatch_and_the_crew():
    # M/M/3 with a scheduled service: the crew comes lead_hours after dispatch and no one is busy
    # meanwhile, so every sojourn grows by exactly the lead and the queue's waits do not change
    base = load_scenario("textbook_mmc", **{"run.days": 200})
    late = load_scenario("textbook_mmc", **{"run.days": 200, "categories.k.lead_hours": 30.0})
    a = run_scenario(base, ["multi_layer"], seed=4).tables["multi_layer"]
    b = run_scenario(late, ["multi_layer"], seed=4).tables["multi_layer"]
    for k in ("reported_at", "acknowledged_at", "dispatched_at"):
        assert np.array_equal(a[k].to_numpy(), b[k].to_numpy(), equal_nan=True), k
    ra, rb = a["resolved_at"].to_numpy(), b["resolved_at"].to_numpy()
    both = ~np.isnan(ra) & ~np.isnan(rb)
    assert both.sum() > 400
    assert np.allclose(rb[both] - ra[both], 30.0)


def test_a_drawn_lead_delays_each_problem_by_its_own_draw_the_same_under_every_arrangement():
    # the wait is drawn per problem from its own stream: each sojourn grows by that problem's
    # draw (no crew is busy meanwhile), the draws follow the lognormal asked for, and the other
    # problems' columns are not moved by adding it
    from scipy import stats

    lead = {"dist": "lognormal", "median": 12.0, "sigma": 1.0}
    base = load_scenario("textbook_mmc", **{"run.days": 200})
    late = load_scenario("textbook_mmc", **{"run.days": 200, "categories.k.lead": lead})
    res = run_scenario(late, seed=4, keep_models=True)
    a = run_scenario(base, ["multi_layer"], seed=4).tables["multi_layer"]
    b = res.tables["multi_layer"]
    for k in ("reported_at", "acknowledged_at", "dispatched_at"):
        assert np.array_equal(a[k].to_numpy(), b[k].to_numpy(), equal_nan=True), k
    ra, rb = a["resolved_at"].to_numpy(), b["resolved_at"].to_numpy()
    both = ~np.isnan(ra) & ~np.isnan(rb)
    extra = rb[both] - ra[both]
    assert both.sum() > 400 and extra.std() > 5  # each its own draw, not one lead for all
    z = np.log(extra) - np.log(12.0)  # standard normal if the lead is the lognormal asked for
    assert stats.kstest(z, "norm").pvalue > 0.01
    # the same problem waits as long under every arrangement: common random numbers
    waits = {k: list(m.issues.lead) for k, m in res.models.items()}
    first = next(iter(waits.values()))
    assert all(np.array_equal(w, first) for w in waits.values())
