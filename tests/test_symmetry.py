"""A comparison no side can call rigged: departments behave the same under every arrangement,
every value that differs between arrangements says its source, problems live in the street as
they do (they end by themselves, several people see them), and outcomes do not grow with the
length of the run."""

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from streetchief import load_scenario, run_scenario
from streetchief.arrangements import ARRANGEMENTS
from streetchief.arrangements.base import DEPARTMENT_OVERRIDES
from streetchief.cli import main
from streetchief.district import DistrictModel
from streetchief.problems import Problems
from streetchief.scenario import resolve_path
from streetchief.scenario.differences import differences, markdown, source_comment
from streetchief.scenario.schema import DepartmentResponseSpec

ROOT = Path(__file__).resolve().parent.parent
TEXT = resolve_path("jingxing_2019").read_text(encoding="utf-8")
# what a department does, by the names it has had: none of them is an arrangement's own (a
# component's calendar is its own: a patrol's shifts, the feedback's hours)
DEPARTMENT_BEHAVIOUR = set(DepartmentResponseSpec.model_fields) - {"source", "calendar"} | {
    "claim",
    "claim_calendar",
    "sign_for",
    "department_accept",
    "return_delay",
    "unclear_pass",
    "acceptance_work",
}


def test_no_arrangement_has_a_department_parameter_of_its_own():
    for name, cls in ARRANGEMENTS.items():
        fields = set(cls.Params.model_fields)
        own = fields & DEPARTMENT_BEHAVIOUR
        assert not own, f"{name}: {sorted(own)} belong to department_response"
        for component in cls.components:  # nor does a component (sanctions' effect, ...)
            spec = cls.Params.model_fields[component].annotation
            assert not set(spec.model_fields) & DEPARTMENT_BEHAVIOUR, (name, component)
        assert set(DEPARTMENT_OVERRIDES) <= fields  # the named ways to change them


def test_every_arrangement_takes_issues_on_as_the_departments_do(jingxing):
    """Six hours more for departments to take an issue on delays every arrangement's dispatch by
    at least that much: none of them reads a take-on time of its own."""
    fixed = {
        "merchants.reporting.adaptive": False,
        "department_response.sanction_factor": 1.0,  # no sanction shortens it
        "arrangements.*.engagement.enabled": False,  # nor a fading engagement lengthen it
        "department_response.calendar": "always",
        "arrangements.*.department_calendar": None,
    }
    quick = load_scenario(
        "jingxing_2019", **fixed, **{"department_response.take_on": {"dist": "fixed", "value": 0}}
    )
    slow = load_scenario(
        "jingxing_2019", **fixed, **{"department_response.take_on": {"dist": "fixed", "value": 6}}
    )
    problems = Problems.generate(quick, seed=5, days=40)
    for name in quick.arrangement_names:
        waits = []
        for s in (quick, slow):
            t = run_scenario(s, [name], problems=problems).tables[name].to_pandas()
            waits.append((t.dispatched_at - t.reported_at).mean())
        assert waits[1] - waits[0] >= 5.5, (name, waits)


def test_the_readmes_table_is_the_scenarios_own():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- differing: .*? -->\n(.*?)\n<!-- end differing -->", readme, re.DOTALL)
    assert m, "the README has no table of what differs between arrangements"
    s = load_scenario("jingxing_2019")
    assert m.group(1).strip() == markdown(differences(s, TEXT), s.arrangement_names)


def test_every_value_that_differs_between_arrangements_says_its_source(jingxing):
    rows = differences(jingxing, TEXT)
    assert {"department_calendar", "hears", "patrol.interval_days"} <= {r.parameter for r in rows}
    for r in rows:
        for a, written in r.written.items():
            if written:
                assert r.tags[a], f"arrangements.{a}.{r.parameter}: no source tag"
        if r.parameter in DEPARTMENT_OVERRIDES:  # changed departments' behaviour: say why
            for a, v in r.values.items():
                assert v is None or (r.written[a] and r.tags[a]), (a, r.parameter)
    # the departments' own values: every one written, with its tag
    for key in set(DepartmentResponseSpec.model_fields) - {"source"}:
        comment, written = source_comment(TEXT, f"department_response.{key}")
        assert written and re.search(r"\[(seed|cal|log|assumption)", comment or ""), key


def test_a_tag_is_read_from_its_own_arrangements_line():
    assert "[seed]" in source_comment(TEXT, "arrangements.street_chief.department_calendar")[0]
    assert "Beijing" in source_comment(TEXT, "arrangements.hotline.department_calendar")[0]
    assert source_comment(TEXT, "arrangements.grid.department_calendar") == (None, False)
    comment, written = source_comment(TEXT, "arrangements.grid.patrol.detection")
    assert written and "Tianmen" in comment  # inside a flow mapping: its line's comment
    assert source_comment(TEXT, "arrangements.street_chief.patrol.enabled")[1] is False


def _nobody_reports(**more):
    return load_scenario(
        "textbook_mmc",
        **{
            "merchants.reporting.initial_willingness": 0.0,
            "run.days": 400,
            **more,
        },
    )


def test_problems_that_end_by_themselves_expire_at_their_rate():
    mean = 6.0
    s = _nobody_reports(**{"categories.k.lifetime": {"dist": "exponential", "mean": mean}})
    m = DistrictModel(s, "multi_layer", Problems.generate(s, seed=3)).run()
    gone = np.array(m.expired_unreported)
    lived = gone[:, 1] - gone[:, 0]
    assert len(lived) > 1500 and sum(len(z) for z in m.unreported) < 5
    se = lived.std(ddof=1) / math.sqrt(len(lived))
    assert abs(lived.mean() - mean) < 4 * se, (lived.mean(), se)
    from scipy import stats

    assert stats.kstest(lived, "expon", args=(0, mean)).pvalue > 0.001
    # without a lifetime they stay in the street until the end
    kept = _nobody_reports()
    m = DistrictModel(kept, "multi_layer", Problems.generate(kept, seed=3)).run()
    assert not m.expired_unreported and sum(len(z) for z in m.unreported) == len(m.problems)


def test_a_reported_problem_that_ends_by_itself_is_counted_apart(jingxing):
    """A parked car gone before the police come: the issue ends without a fix, is neither resolved
    nor open, and the crew only travels."""
    s = jingxing
    cases = [
        dict(time=24 * d + 10.0, zone="pingshe_road", category="illegal_parking", lifetime=0.05)
        for d in range(7)
    ]
    res = run_scenario(s, ["hotline"], problems=Problems.from_cases(s, cases, 10 * 24))
    t = res.tables["hotline"].to_pandas()
    assert (t.ended_how == "expired").all() and t.resolved_at.isna().all()
    assert np.allclose(t.ended_at - t.arisen_at, 0.05)
    assert t.on_time.isna().all() and t.closed_at.notna().all()
    summary = res.summaries["hotline"]
    assert summary["issues_ended_unfixed"] == 7 and summary["issues_open"] == 0
    assert summary["ended_how"] == {"expired": 7} and summary["resolution_rate"] == 0


def test_residents_report_through_the_channels_that_hear_them():
    """Nobody's merchant reports: residents do, after their delay, to the arrangements that hear
    them (the hotline), and not through a liaison group."""
    s = load_scenario(
        "jingxing_2019",
        **{
            "merchants.reporting.initial_willingness": 0.0,
            "merchants.reporting.adaptive": False,
            "observers.passers_by.expected": 0.0,
            "arrangements.street_chief.patrol.enabled": False,
            "categories.*.lifetime": None,  # nothing goes before residents get round to it
        },
    )
    res = run_scenario(s, ["street_chief", "hotline"], days=60, keep_models=True)
    assert res.summaries["street_chief"]["issues_reported"] == 0
    t = res.tables["hotline"].to_pandas()
    assert (t.discovered_by == "public").all() and (t.reporter == "residents").all()
    m = res.models["hotline"]
    expected = s.observers["residents"].expected
    # each problem left in the street gets Poisson(expected) residents' reports: the first of
    # them makes it an issue, the others come as duplicates while it is open
    arisen = m.problems_arisen - m.self_fixed
    share = len(t) / arisen
    assert share == pytest.approx(1 - math.exp(-expected), abs=0.04)
    assert t.duplicates.sum() > 0 and res.summaries["hotline"]["duplicate_reports"] == int(
        t.duplicates.sum()
    )
    delay = (t.reported_at - t.arisen_at).median()
    assert 1.0 < delay < 16.0  # about the residents' median delay of 4 h, the first of several


def test_a_grid_year_finds_a_published_share_of_cases_by_patrol(jingxing):
    """Tianmen (2016) 95.7%, Kunming (2024) 97.6% of grid cases found by supervisors: the grid's
    share of the public's reports is calibrated to that range
    (scenarios/tools/calibrate_grid.py)."""
    for seed in (4, 5):
        t = run_scenario(jingxing, ["grid"], seed=seed).tables["grid"]
        found = (t["discovered_by"].to_numpy(zero_copy_only=False) == "patrol").mean()
        assert 0.957 <= found <= 0.976, (seed, found)


def _stationary(**more):
    return load_scenario(
        "jingxing_2019",
        **{
            "merchants.reporting.adaptive": False,
            "arrangements.*.engagement.enabled": False,
            **more,
        },
    )


@pytest.mark.slow
def test_problem_hours_per_day_do_not_grow_with_the_horizon():
    """In a stationary district (no fading campaign, merchants who do not learn), the problem-hours
    a day over the window's problems are the same after 90 days as after 365, within sampling
    error, where the run's total grows with the square of the horizon (never-reported problems
    stay in the street)."""
    s = _stationary()
    short = [run_scenario(s, ["hotline"], seed=k, days=90).summaries["hotline"] for k in range(6)]
    per_day = np.array([x["problems"]["window"]["problem_hours_per_day"] for x in short])
    year = run_scenario(s, ["hotline"], seed=99, days=365).summaries["hotline"]["problems"]
    se = per_day.std(ddof=1) / math.sqrt(len(per_day))
    gap = abs(per_day.mean() - year["window"]["problem_hours_per_day"])
    assert gap < 4 * se * math.sqrt(1 + 1 / len(per_day)), (per_day, year["window"])
    total_90 = np.mean([x["problems"]["open_problem_hours"] for x in short]) / 90
    assert year["open_problem_hours"] / 365 > 1.5 * total_90  # the old measure grows


def test_the_backlog_is_averaged_over_time_not_sampled_at_midnight():
    s = load_scenario("textbook_mmc", **{"run.days": 60})
    t = run_scenario(s, ["multi_layer"]).tables["multi_layer"].to_pandas()
    s_ = run_scenario(s, ["multi_layer"]).summaries["multi_layer"]
    open_hours = (t.resolved_at.fillna(60 * 24).clip(upper=60 * 24) - t.reported_at).sum()
    assert s_["mean_backlog"] == pytest.approx(open_hours / (60 * 24))
    assert s_["mean_backlog_midnight"] != pytest.approx(s_["mean_backlog"], rel=1e-3)


def test_a_set_value_is_checked_recorded_and_replayed_by_verify(tmp_path, capsys):
    out = tmp_path / "set"
    args = ["compare", "jingxing_2019", "--days", "20", "--replications", "2", "--quiet"]
    settings = [
        "--set",
        "department_response.take_on.median=3",
        "--set",
        "arrangements.street_chief.coordination.by=chief",
    ]
    assert main([*args, *settings, "--out", str(out)]) == 0
    record = json.loads((out / "compare.json").read_text(encoding="utf-8"))
    assert record["settings"] == {
        "department_response.take_on.median": 3,
        "arrangements.street_chief.coordination.by": "chief",
    }
    scenario = record["scenario_parameters"]
    assert scenario["department_response"]["take_on"]["median"] == 3
    assert main(["verify", str(out)]) == 0
    # a recorded setting the recorded scenario does not hold is a difference
    record["settings"]["department_response.take_on.median"] = 4
    (out / "compare.json").write_text(json.dumps(record), encoding="utf-8")
    capsys.readouterr()
    assert main(["verify", str(out)]) == 1
    assert "--set department_response.take_on.median=4" in capsys.readouterr().out
    # the same value set twice: the later wins; a bad path or value is refused, nothing written
    bad = tmp_path / "bad"
    assert main([*args, "--set", "department_response.take_on.medain=2", "--out", str(bad)]) == 2
    assert "take_on" in capsys.readouterr().err and not bad.exists()
    with pytest.raises(SystemExit):
        main([*args, "--set", "department_response", "--out", str(bad)])
    assert "write PATH=VALUE" in capsys.readouterr().err


@pytest.mark.slow
def test_the_readmes_table_of_what_decides_is_what_the_model_gives():
    """Every row of the README's one-setting-at-a-time table, run again (about 40 s)."""
    import importlib.util

    path = ROOT / "scenarios" / "tools" / "what_decides.py"
    spec = importlib.util.spec_from_file_location("what_decides", path)
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("| setting | speed, same problems (h) | problem-hours a day |")
    written = readme[start:].split("\n\n")[0].strip()
    assert written == tool.table()


@pytest.mark.slow
def test_the_readmes_demo_headline_is_what_make_demo_prints(tmp_path, capsys):
    """The README quotes `make demo`'s headline, means and ledger: the same command prints them."""
    main(["compare", "jingxing_2019", "--replications", "10", "--out", str(tmp_path / "demo")])
    printed = capsys.readouterr().out
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rest = readme[readme.index("`make demo` runs this comparison") :]
    blocks = rest.split("```")[1:4:2]  # the headline with the means, then the ledger
    assert "outcome (mean)" in blocks[0] and "cost-effectiveness" in blocks[1]
    for line in "\n".join(blocks).splitlines():
        assert line.rstrip() in printed, f"the README quotes what make demo does not print:\n{line}"


def test_a_set_value_changes_its_own_place_even_where_yaml_shares_a_node(tmp_path):
    """A YAML alias makes two places one object; --set on one must leave the other as written."""
    text = TEXT.replace(
        "    response: {no_action: 0.09",
        "    response: {take_on: &take_on {dist: lognormal, median: 1.0, sigma: 0.8}, "
        "no_action: 0.09",
        1,
    ).replace("  take_on: {dist: lognormal, median: 1.0, sigma: 0.8}", "  take_on: *take_on", 1)
    assert "*take_on" in text
    path = tmp_path / "aliased.yaml"
    path.write_text(text, encoding="utf-8")
    s = load_scenario(path, **{"department_response.take_on.median": 5.0})
    assert s.department_response.take_on.median == 5.0
    own = [k for k, d in s.departments.items() if d.response.take_on is not None]
    assert own and all(s.departments[k].response.take_on.median == 1.0 for k in own)
