"""The mechanism the seed describes, on its own cases."""

import numpy as np
import pytest

from streetchief import load_scenario, run_scenario
from streetchief.problems import Problems

MON_28_OCT_2300 = 14 * 24 + 23.0  # 2019-10-28 23:00, hours since 2019-10-14 00:00


def _nights(n=60, **case):
    """n reports posted at 23:00 on successive weekday nights (Mon–Thu)."""
    times = [d * 24 + 23.0 for d in range(14, 14 + 7 * ((n + 3) // 4)) if d % 7 < 4][:n]
    return [dict(time=t, **case) for t in times]


def _run(scenario, cases, horizon):
    horizon = max(
        horizon, max(c["time"] for c in cases) + 10 * 24
    )  # room for the last case to finish
    return run_scenario(
        scenario, problems=Problems.from_cases(scenario, cases, horizon), keep_models=True
    )


def test_23h_report_is_acknowledged_in_minutes_under_street_chief_and_waits_for_office_hours(
    jingxing,
):
    cases = _nights(zone="wangshe_wetland", category="trash_bins")
    res = _run(jingxing, cases, 60 * 24)
    sc, ml = res.tables["street_chief"], res.tables["multi_layer"]
    rep = sc["reported_at"].to_numpy()
    sc_ack = sc["acknowledged_at"].to_numpy() - rep
    # the liaison officer answers at night: median about the night reply delay (15 min), all
    # long before dawn
    assert np.median(sc_ack) == pytest.approx(0.25, rel=0.4)
    assert (sc_ack < 3).all()
    # multi-layer: nobody takes it up before the community office opens at 08:30 the next morning
    ml_ack = ml["acknowledged_at"].to_numpy() - ml["reported_at"].to_numpy()
    assert (ml_ack >= 9.5 - 1e-9).all()
    # street chief: the crew (day shift from 07:00) fixes the bins the next morning, as in the seed
    fixed = sc["resolved_at"].to_numpy() - rep
    assert (fixed >= 8 - 1e-9).all() and np.median(fixed) < 12
    # multi-layer: three layers' handling in office hours and the department's taking on come on
    # top of the same morning's crew
    ml_fixed = ml["resolved_at"].to_numpy() - ml["reported_at"].to_numpy()
    assert (ml_fixed >= 9.5).all() and np.median(ml_fixed) > np.median(fixed) + 3


def test_seed_trash_bin_case(jingxing):
    """新王舍湿地公园, 23:00: answered that night; at 07:00 the responsible unit on site, settling
    with township and community whose bins they were to be; the bins placed that morning."""
    res = _run(
        jingxing,
        [dict(time=MON_28_OCT_2300, zone="wangshe_wetland", category="trash_bins", unclear=True)],
        20 * 24,
    )
    sc = res.tables["street_chief"].to_pylist()[0]
    assert sc["acknowledged_at"] - sc["reported_at"] < 2
    seven = MON_28_OCT_2300 + 8  # 07:00 next morning, when sanitation's day begins
    assert sc["coordinated"] and sc["coordinated_at"] == pytest.approx(seven)  # no chief awaited
    assert sc["coordinated_at"] < sc["dispatched_at"] < sc["resolved_at"] < seven + 5
    assert sc["closed_at"] >= sc["resolved_at"]
    assert res.summaries["street_chief"]["official_hours"]["unit_coordination"] > 0  # the unit's
    ml = res.tables["multi_layer"].to_pylist()[0]
    assert ml["acknowledged_at"] >= MON_28_OCT_2300 + 9.5


def test_seed_street_light_case(jingxing):
    """南纬路口路灯坏了, evening of 23 Oct 2019: answered at once, fixed early next morning."""
    evening = 9 * 24 + 20.0
    res = _run(jingxing, [dict(time=evening, zone="nanwei_road", category="street_light")], 20 * 24)
    sc = res.tables["street_chief"].to_pylist()[0]
    assert sc["acknowledged_at"] - evening < 2
    assert evening + 11 <= sc["resolved_at"] <= evening + 16  # the maker's crew starts at 07:00


def test_unclear_issues_involve_the_chief_and_bounce_under_multi_layer(jingxing):
    cases = [
        dict(
            time=100.0 + 10 * k, zone="nanwei_road", category="sidewalk_repair", unclear=k % 2 == 0
        )
        for k in range(40)
    ]
    res = _run(jingxing, cases, 60 * 24)
    sc, ml = res.tables["street_chief"], res.tables["multi_layer"]
    unclear = np.array([c["unclear"] for c in sorted(cases, key=lambda c: c["time"])])
    assert (sc["coordinated"].to_numpy() == unclear).all()
    assert res.summaries["street_chief"]["chief_hours"] > 0
    esc = load_scenario("jingxing_2019").arrangement_params("multi_layer").escalate_after
    assert (ml["bounces"].to_numpy()[unclear] >= esc).all()
    assert not ml["coordinated"].to_numpy().any()


def test_chief_hours_are_zero_without_coordination_or_patrols():
    s = load_scenario(
        "jingxing_2019",
        **{
            "arrangements.street_chief.patrol.enabled": False,
            "arrangements.street_chief.patrol.hours": 2,
        },
    )
    cases = [dict(time=50.0, zone="nanwei_road", category="street_light", unclear=False)]
    res = run_scenario(s, ["street_chief"], problems=Problems.from_cases(s, cases, 200))
    assert res.summaries["street_chief"]["chief_hours"] == 0


def test_merchants_stop_reporting_when_ignored(jingxing):
    res = run_scenario(jingxing, days=180)
    sc, ml = res.summaries["street_chief"], res.summaries["multi_layer"]
    assert (
        ml["mean_willingness"]
        < jingxing.merchants.reporting.initial_willingness
        < sc["mean_willingness"]
    )
    assert ml["unreported_problems"] > sc["unreported_problems"]


def test_sanctions_make_departments_faster():
    base = {
        "arrangements.street_chief.patrol.enabled": False,
        "arrangements.street_chief.deadlines.enabled": False,
    }
    strict = load_scenario("jingxing_2019", **base, **{"department_response.sanction_factor": 0.1})
    lax = load_scenario(
        "jingxing_2019", **base, **{"arrangements.street_chief.inspection.enabled": False}
    )
    a = run_scenario(strict, ["street_chief"], days=120).summaries["street_chief"]
    b = run_scenario(lax, ["street_chief"], days=120).summaries["street_chief"]
    assert a["sanctions"] > 0 and b["sanctions"] == 0
    assert sum(a["sanctions_by_kind"].values()) == a["sanctions"]
    assert a["resolution_hours"]["mean"] < b["resolution_hours"]["mean"]


def test_sanctions_alone_make_departments_faster_with_the_campaign_fading_switched_off():
    # the same inspections (which also renew a campaign's zeal) on both sides; engagement off,
    # so only the sanction's multiplier differs: 0.1 (sanctioned departments ten times as quick
    # to take an issue on) against 1.0 (a sanction that changes nothing)
    same = {
        "arrangements.street_chief.patrol.enabled": False,
        "arrangements.street_chief.deadlines.enabled": False,
        "arrangements.street_chief.engagement.enabled": False,
        # slow to take issues on, so that issues run past their deadlines and a quicker take-on
        # is what a sanction buys
        "department_response.take_on.median": 24.0,
    }
    runs = {
        f: run_scenario(
            load_scenario("jingxing_2019", **same, **{"department_response.sanction_factor": f}),
            ["street_chief"],
            days=120,
        ).summaries["street_chief"]
        for f in (0.1, 1.0)
    }
    assert runs[0.1]["sanctions"] > 0 and runs[1.0]["sanctions"] > 0
    assert runs[0.1]["resolution_hours"]["mean"] < runs[1.0]["resolution_hours"]["mean"]
