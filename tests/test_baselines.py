"""Fair baselines: the hotline and grid management against theory, mechanisms any arrangement can
switch on, the full ledger, outcomes from the problem's point of view, and who is served worst."""

import math

import numpy as np
import pandas as pd
import pytest
from conftest import batch_means_ci

from streetchief import load_scenario, run_scenario
from streetchief.cli import main
from streetchief.district import DistrictModel
from streetchief.equity import served, time_of_week, worst_served
from streetchief.problems import Problems
from streetchief.theory import erlang_c, mmc_sojourn, mmc_wait

INSTANT = {"dist": "fixed", "value": 0}
OFF = {"enabled": False}


def _hotline_mmc(c: int, lam: float, mu: float, issues: int):
    """The M/M/c scenario served by a hotline whose departments take no time: its operators are the
    queue."""
    hotline = {
        "operators": c,
        "handling": {"dist": "exponential", "mean": 1 / mu},
        "department_calendar": "always",
        "feedback": OFF,
    }
    return load_scenario(
        "textbook_mmc",
        **{
            "categories.k.rate_per_day": lam * 24,
            "run.days": issues / (lam * 24),
            "arrangements.hotline": hotline,
        },
    )


@pytest.mark.parametrize("rho", [0.5, 0.8])
def test_a_hotline_with_instant_departments_is_an_mmc_queue_on_its_operators(rho):
    c, mu = 3, 0.1
    lam = rho * c * mu
    s = _hotline_mmc(c, lam, mu, 50_000)
    t = run_scenario(s, ["hotline"], seed=11).tables["hotline"]
    rep, ack, disp = (t[k].to_numpy() for k in ("reported_at", "acknowledged_at", "dispatched_at"))
    done = ~np.isnan(disp)
    wq, wq_half = batch_means_ci((ack - rep)[done])  # an operator takes the call up: acknowledged
    w, w_half = batch_means_ci((disp - rep)[done])  # the work order written: dispatched
    assert abs(wq - mmc_wait(c, lam, mu)) <= wq_half, (wq, wq_half)
    assert abs(w - mmc_sojourn(c, lam, mu)) <= w_half, (w, w_half)
    assert ((ack - rep)[done] > 0).mean() == pytest.approx(erlang_c(c, lam, mu), abs=0.02)


def _only_patrols_find(**grid):
    """One zone where nobody reports anything: every problem is found by the grid supervisor's
    patrol."""
    base = {
        "operators": 1,
        "handling": INSTANT,
        "department_calendar": "always",
        "feedback": OFF,
        "patrol": {"by": "officers", "officers": 1, "calendar": "always", "hours": 0, **grid},
    }
    return load_scenario(
        "textbook_mmc",
        **{
            "merchants.reporting.initial_willingness": 0.0,
            "categories.k.rate_per_day": 24.0,
            "run.days": 2000,
            "arrangements.grid": base,
        },
    )


def test_grid_patrols_find_problems_at_their_analytical_rate():
    T, d = 12.0, 0.4  # a walk every 12 hours, finding each unreported problem with chance 0.4
    s = _only_patrols_find(interval_days=T / 24, detection=d)
    res = run_scenario(s, ["grid"], seed=5)
    t = res.tables["grid"].to_pandas()
    assert (t.discovered_by == "patrol").all() and len(t) > 45_000
    delay = (t.reported_at - t.arisen_at).to_numpy()
    # the next walk comes after a uniform wait; each walk finds it with chance d
    theory = T / 2 + T * (1 - d) / d
    se = delay.std(ddof=1) / np.sqrt(len(delay))
    assert abs(delay.mean() - theory) < 4 * se, (delay.mean(), theory, se)
    # found at the first walk after arising: with chance d
    first = (delay < T).mean()
    assert abs(first - d) < 4 * math.sqrt(d * (1 - d) / len(delay))
    assert res.summaries["grid"]["found_on_patrol"] == len(t)


def test_patrols_switched_on_for_the_traditional_path_find_the_expected_share():
    # fixed willingness, and nobody else reports and nothing ends by itself: what the merchants
    # leave in the street stays there until a patrol finds it
    fixed = {
        "merchants.reporting.adaptive": False,
        "merchants.reporting.initial_willingness": 0.3,
        "arrangements.multi_layer.hears": {"merchants": 1.0},
        "categories.*.lifetime": None,
    }
    T, d, days = 24.0, 0.3, 365
    patrol = {
        "enabled": True,
        "by": "officers",
        "officers": 1,
        "calendar": "always",
        "hours": 0,
        "interval_days": T / 24,
        "detection": d,
    }
    without = load_scenario("jingxing_2019", **fixed)
    with_patrols = load_scenario(
        "jingxing_2019", **fixed, **{"arrangements.multi_layer.patrol": patrol}
    )
    problems = Problems.generate(without, seed=9, days=days)
    a = DistrictModel(without, "multi_layer", problems).run()
    b = DistrictModel(with_patrols, "multi_layer", problems).run()
    # the same problems go unreported in both (common random numbers, fixed willingness)
    never = np.array([problems.time[i] for zone in a.unreported for i in zone])
    walks = np.array([t for t, _ in b.components["patrol"].walks])
    assert len(never) > 4000 and len(walks) == days
    # each walk finds each problem still in the street with chance d: the share found by the first
    # walk after it arose is d
    before_last = never < walks[-1]
    t = b.issues
    found = [
        (t.reported_at[i] - t.arisen_at[i])
        for i in range(len(problems))
        if t.discovered_by[i] == "patrol"
    ]
    first = (np.array(found) < T).sum() / before_last.sum()
    se = math.sqrt(d * (1 - d) / before_last.sum())
    assert abs(first - d) < 4 * se, (first, d, se)
    # and the unreported at the end: each left with chance (1 - d)^(walks after it arose)
    after = len(walks) - np.searchsorted(walks, never, side="right")
    p_left = (1 - d) ** after
    left = sum(len(zone) for zone in b.unreported)
    assert abs(left - p_left.sum()) < 4 * math.sqrt((p_left * (1 - p_left)).sum()) + 1
    assert len(found) + left == len(never)  # nothing lost: found on patrol, or still in the street


def test_every_problem_is_accounted_for_under_every_arrangement(jingxing):
    res = run_scenario(jingxing, days=60, seed=2, keep_models=True)
    assert set(res.summaries) == {"street_chief", "hotline", "grid", "multi_layer"}
    for name, s in res.summaries.items():
        p, m = s["problems"], res.models[name]
        assert p["arisen"] == len(m.problems)
        gone = p["ended_before_report"]  # went by itself before anyone reported it
        assert (
            p["arisen"]
            == s["issues_reported"] + s["unreported_problems"] + s["self_fixed_problems"] + gone
        )
        assert p["reported"] == res.tables[name].num_rows
        t = res.tables[name].to_pandas()
        resolved_24 = ((t.resolved_at - t.arisen_at) <= 24).sum() + s["self_fixed_problems"]
        assert p["resolved_within_24h_share"] == pytest.approx(resolved_24 / p["arisen"])
        still = (t.resolved_at.isna() & t.ended_at.isna()).sum() + s["unreported_problems"]
        assert p["never_resolved_share"] == pytest.approx(still / p["arisen"])
        ended = t.ended_at.notna().sum() + gone
        assert p["ended_unfixed_share"] == pytest.approx(ended / p["arisen"])
        assert (t.arisen_at <= t.reported_at).all()


NIGHT = 14 * 24 + 23.0  # Monday 28 October 2019, 23:00


def _night_trash_bins(scenario, arrangement):
    problems = Problems.from_cases(
        scenario, [dict(time=NIGHT, zone="wangshe_wetland", category="trash_bins")], 20 * 24
    )
    return (
        run_scenario(scenario, [arrangement], problems=problems).tables[arrangement].to_pylist()[0]
    )


@pytest.mark.parametrize("arrangement", ["street_chief", "hotline"])  # both answer at night
def test_a_claim_on_the_departments_calendar_waits_for_the_morning_shift(arrangement):
    setting = "department_calendar"  # the arrangement's own, named; else the departments'
    own = load_scenario("jingxing_2019", **{f"arrangements.{arrangement}.{setting}": "own"})
    always = load_scenario("jingxing_2019", **{f"arrangements.{arrangement}.{setting}": "always"})
    morning = NIGHT + 8.0  # sanitation's day shift starts at 07:00
    assert _night_trash_bins(own, arrangement)["dispatched_at"] >= morning
    assert _night_trash_bins(always, arrangement)["dispatched_at"] < morning


def test_liaison_night_coverage_on_watch_or_in_the_morning_and_its_hours():
    watch = load_scenario("jingxing_2019", **{"arrangements.street_chief.night_coverage": "watch"})
    morning = load_scenario(
        "jingxing_2019", **{"arrangements.street_chief.night_coverage": "morning"}
    )
    assert _night_trash_bins(watch, "street_chief")["acknowledged_at"] - NIGHT < 3
    assert _night_trash_bins(morning, "street_chief")["acknowledged_at"] >= NIGHT + 8.0  # 07:00
    days = 30
    standby = {}
    for name, s in (("watch", watch), ("morning", morning)):
        r = run_scenario(s, ["street_chief"], days=days)
        standby[name] = r.summaries["street_chief"]["official_hours_detail"]["liaison_officers"][
            "standby_hours"
        ]
    # a side duty: its watch allowance for every group-day watched
    groups, allowance = len(watch.liaison_groups), 2.0
    assert watch.arrangement_params("street_chief").liaison_watch_hours == allowance
    assert standby["watch"] == pytest.approx(groups * allowance * days)
    assert standby["morning"] == pytest.approx(groups * allowance * 15 / 24 * days)  # 07-22


def test_the_ledger_costs_every_official_role(jingxing):
    res = run_scenario(jingxing, days=30, seed=4, keep_models=True)
    roles = {name: set(s["official_hours"]) for name, s in res.summaries.items()}
    assert {"liaison_officers", "group_monitoring", "chiefs", "department_acceptance"} <= roles[
        "street_chief"
    ]
    assert {"dispatch_operators", "department_acceptance"} <= roles["hotline"]
    assert {"dispatch_operators", "patrol_officers", "department_acceptance"} <= roles["grid"]
    assert {"clerks: community office", "department_acceptance"} <= roles["multi_layer"]
    for s in res.summaries.values():
        assert s["official_hours_total"] == pytest.approx(sum(s["official_hours"].values()))
        assert s["official_hours_total"] == pytest.approx(
            s["official_hours_busy"] + s["official_hours_standby"]
        )
    # the hotline's operators: the district's share of a pooled centre, its busy time at the
    # centre's occupancy
    occupancy = jingxing.arrangement_params("hotline").pooled_occupancy
    centre = res.models["hotline"].arrangement.centre
    hot = res.summaries["hotline"]["official_hours_detail"]["dispatch_operators"]
    assert hot["busy_hours"] == pytest.approx(centre.busy_hours)
    assert hot["busy_hours"] + hot["standby_hours"] == pytest.approx(centre.busy_hours / occupancy)
    # the grid's command centre: its own 2 operators, on shift 07:00-19:00 whether busy or not
    grid = res.summaries["grid"]["official_hours_detail"]["dispatch_operators"]
    assert grid["busy_hours"] + grid["standby_hours"] == pytest.approx(2 * 12 * 30)
    ml = res.models["multi_layer"]
    assert res.summaries["multi_layer"]["official_hours"][
        "clerks: community office"
    ] == pytest.approx(ml.arrangement.layers[0].busy_hours)


def test_deadline_supervision_escalates_every_issue_still_open_at_its_limit(jingxing):
    # no fix fails here: a reopened issue's record keeps only its last fix
    s = load_scenario(
        "jingxing_2019",
        **{
            "arrangements.multi_layer.deadlines": {"enabled": True},
            "department_response.fix_fails": 0.0,
        },
    )
    m = DistrictModel(s, "multi_layer", Problems.generate(s, seed=3, days=60)).run()
    out = np.fmin(m.issues.resolved_at, m.issues.ended_at)  # fixed, or ended without a fix
    t = pd.DataFrame({"rep": m.issues.reported_at, "out": out, "deadline": m.issues.deadline_at})
    t = t[t.rep.notna()]
    late = ((t.out > t.deadline) | (t.out.isna() & (t.deadline <= m.end))).sum()
    assert m.components["deadlines"].escalations == late > 0
    assert sum(d.sanctions for d in m.departments) == late


def test_engagement_fades_without_inspections_and_inspections_renew_it(jingxing):
    days = 360
    lax = load_scenario("jingxing_2019", **{"arrangements.street_chief.inspection.enabled": False})
    m_lax = DistrictModel(lax, "street_chief", Problems.generate(lax, days=days)).run()
    m_kept = DistrictModel(jingxing, "street_chief", Problems.generate(jingxing, days=days)).run()
    spec = lax.arrangement_params("street_chief").engagement
    # no inspection: the lost part halves every half-life
    expected = spec.floor + (1 - spec.floor) * 0.5 ** (days / spec.half_life_days)
    assert m_lax.engagement() == pytest.approx(expected)
    assert m_kept.engagement() > m_lax.engagement() + 0.2
    # replies slow down as it fades: the last month's against the first
    t = pd.DataFrame({"rep": m_lax.issues.reported_at, "ack": m_lax.issues.acknowledged_at})
    t = t[t.rep.notna()]
    ack = t.ack - t.rep
    first, last = ack[t.rep < 30 * 24].median(), ack[t.rep > (days - 30) * 24].median()
    assert last > 1.5 * first


def test_times_of_week_on_the_districts_clock(jingxing):
    start = jingxing.run.start  # Monday 14 October 2019, 00:00
    hours = np.array(
        [9.0, 19.5, 23.0, 3.0, 5 * 24 + 12.0, 24 * 80 + 10]
    )  # ... Sat noon; 2020-01-02
    got = time_of_week(hours, start, {pd.Timestamp("2020-01-02").date()})
    assert got.tolist() == ["weekday daytime", "evening", "night", "night", "weekend", "holiday"]


def test_the_worst_served_group_is_named_from_the_records(jingxing):
    res = run_scenario(jingxing, ["multi_layer"], days=60, seed=6)
    t = res.tables["multi_layer"]
    eq = served(t, jingxing.run.start, set(jingxing.holidays)).assign(arrangement="multi_layer")
    w = worst_served(eq, "multi_layer", min_issues=10)
    df = t.to_pandas()
    df["h"] = df.resolved_at - df.reported_at
    by_zone = df.groupby(df.zone.astype(str)).agg(n=("h", "size"), mean=("h", "mean"))
    by_zone = by_zone[by_zone.n >= 10]
    assert w["zone"][0] == by_zone["mean"].idxmax()
    assert w["zone"][1] == pytest.approx(by_zone["mean"].max())


@pytest.mark.parametrize(
    "path, value, message",
    [
        ("arrangements.hotline.operators", 0, "arrangements.hotline.operators: must be ≥ 1, got 0"),
        (
            "arrangements.grid.patrol.detection",
            1.5,
            "arrangements.grid.patrol.detection: must be ≤ 1, got 1.5",
        ),
        (
            "arrangements.street_chief.department_calendar",
            "nights",
            "street_chief.department_calendar: unknown calendar 'nights'",
        ),
        (
            "department_response.calendar",
            "evenings",
            'department_response.calendar: unknown calendar (or "own", "always") \'evenings\'',
        ),
        (
            "arrangements.street_chief.claim",
            {"dist": "fixed", "value": 1},
            "arrangements.street_chief.claim: moved to department_response.take_on",
        ),
        (
            "arrangements.hotline.hears",
            {"merchants": 1.0, "tourists": 1.0},
            "arrangements.hotline.hears.tourists: unknown observer; known: merchants, passers_by, "
            "residents",
        ),
        (
            "arrangements.grid.patrol.calendar",
            "nowhere",
            "arrangements.grid.patrol.calendar: unknown calendar",
        ),
        ("arrangements.street_chief.night_coverage", "sometimes", "night_coverage: must be one of"),
        (
            "arrangements.street_chief.engagement.floor",
            0,
            "arrangements.street_chief.engagement.floor: must be > 0",
        ),
        ("arrangements.hotline.deadlines.urgent_hours", -2, "urgent_hours: must be > 0, got -2"),
        (
            "arrangements.multi_layer.department_calendar",
            "later",
            "department_calendar: unknown calendar 'later'",
        ),
        (
            "arrangements.hotline.feedback.calendar",
            "soon",
            "feedback.calendar: unknown calendar 'soon'",
        ),
    ],
)
def test_a_bad_value_in_a_new_parameter_is_refused_with_its_path_and_nothing_is_written(
    tmp_path, capsys, path, value, message
):
    import yaml

    from streetchief.scenario import apply_overrides, resolve_path

    raw = yaml.safe_load(resolve_path("jingxing_2019").read_text(encoding="utf-8"))
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        yaml.safe_dump(apply_overrides(raw, {path: value}, "test"), allow_unicode=True),
        encoding="utf-8",
    )
    out = tmp_path / "out"
    assert (
        main(
            [
                "compare",
                str(bad),
                "--days",
                "2",
                "--replications",
                "2",
                "--out",
                str(out),
                "--quiet",
            ]
        )
        == 2
    )
    assert message in capsys.readouterr().err
    assert not out.exists() or not any(out.iterdir())


def test_where_the_advantage_vanishes_is_said_in_words_from_the_points():
    from streetchief.sweeps.analysis import ADVANTAGE, REVERSAL, verdicts, where_it_vanishes

    rng = np.random.default_rng(1)
    n = 60
    unclear = rng.uniform(0, 0.4, n)
    calendar = rng.choice(["always", "own", "office"], n)
    noise = rng.uniform(0, 1, n)
    # the treatment is faster where responsibility is rarely unclear, slower where it often is
    diff = np.where(unclear > 0.25, 20.0, np.where(unclear < 0.15, -20.0, 0.0))
    half = np.where(diff == 0, 5.0, 2.0)
    adv = pd.DataFrame(
        {
            "unclear": unclear,
            "calendar": calendar,
            "noise": noise,
            "difference": diff,
            "ci_low": diff - half,
            "ci_high": diff + half,
            "significant": diff != 0,
        }
    )
    v = verdicts(adv, "resolution_mean_h")
    assert (v[diff < 0] == ADVANTAGE).all() and (v[diff > 0] == REVERSAL).all()
    words, ranked = where_it_vanishes(
        adv, ["calendar", "noise", "unclear"], "resolution_mean_h", "street_chief", "hotline"
    )
    counts = (diff < 0).sum(), (diff == 0).sum(), (diff > 0).sum()
    assert words[0].endswith(
        f"an advantage at {counts[0]}, no significant difference at {counts[1]}, "
        f"a reversal at {counts[2]}."
    )
    assert ranked[0] == "unclear" and words[2].startswith("- unclear is higher there")
    # where more is better, the same differences mean the opposite
    assert (verdicts(adv, "on_time_share")[diff < 0] == REVERSAL).all()


def test_the_fairness_sweep_varies_what_decides_the_sign_on_both_sides():
    from streetchief.scenario import shipped
    from streetchief.sweeps import load_sweep

    sw = load_sweep(shipped() / "sweep_fairness.yaml")
    params = set(sw.spec.parameters)
    # each category's unclear share on its own
    assert {f"categories.{c}.unclear_share" for c in sw_base().categories} <= params
    assert {
        "department_response.take_on.median",
        "department_response.calendar",
        "arrangements.hotline.centre_calendar",
        "arrangements.street_chief.night_coverage",
        "arrangements.street_chief.coordination.by",
        "chiefs.*.calendar",
    } <= params
    # every switch that one side has, the other has too
    for side in (
        "patrol.enabled",
        "inspection.enabled",
        "engagement.enabled",
        "department_calendar",
    ):
        assert {f"arrangements.street_chief.{side}", f"arrangements.hotline.{side}"} <= params
    assert {"arrangements.hotline.misrouting", "arrangements.street_chief.misclaim"} <= params
    assert (sw.spec.baseline, sw.spec.treatment) == ("hotline", "street_chief")
    assert "unstable" in sw.spec.outcomes
    # every categorical setting is tried somewhere in the design
    for p in (
        "arrangements.street_chief.department_calendar",
        "arrangements.street_chief.night_coverage",
        "arrangements.street_chief.coordination.by",
    ):
        assert set(sw.points[p]) == set(sw.spec.parameters[p].values)


def sw_base():
    return load_scenario("jingxing_2019")
