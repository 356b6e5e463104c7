"""Every bad value a hostile or careless user tried gets our own error (what, where, what is
allowed) and exit status 2, never a traceback; what `validate` accepts, `run` runs; work too
large for this machine is refused before it starts, with an estimate and what to do instead."""

from pathlib import Path

import pytest
import yaml

from streetchief.cli import main
from streetchief.scenario import shipped

ROOT = Path(__file__).resolve().parent.parent
JINGXING = yaml.safe_load((shipped() / "jingxing_2019.yaml").read_text(encoding="utf-8"))


def _cli(capsys, *argv):
    capsys.readouterr()
    try:
        code = main([str(a) for a in argv])
    except SystemExit as e:  # argparse: its own "error:" line, exit 2
        code = e.code
    cap = capsys.readouterr()
    text = cap.out + cap.err
    assert "Traceback" not in text
    return code, text


@pytest.mark.parametrize(
    "argv, message",
    [
        (["run", "jingxing_2019", "--seed", "-1"], "--seed: must be from 0 to"),
        (["run", "jingxing_2019", "--days", "inf"], "--days: must be > 0 and ≤ 100,000"),
        (["run", "jingxing_2019", "--days", "nan"], "--days: must be > 0 and ≤ 100,000"),
        (["run", "jingxing_2019", "--days", "1000000"], "--days: must be > 0 and ≤ 100,000"),
        (["compare", "jingxing_2019", "--replications", "100001"], "must be from 1 to 10,000"),
        (["sweep", "scenarios/sweep_demo.yaml", "--workers", "0"], "--workers: must be from 1"),
        (["export-arrivals", "jingxing_2019", "--seed", "x", "--out", "a.csv"], "whole number"),
    ],
)
def test_command_line_values_obey_the_scenarios_limits(capsys, argv, message, tmp_path):
    code, text = _cli(capsys, *argv, *([] if "--out" in argv else ["--out", tmp_path / "o"]))
    assert code == 2 and message in text, text
    assert not (tmp_path / "o").exists()


def _scenario(tmp_path, edit=None, text=None):
    path = tmp_path / "s.yaml"
    if text is None:
        raw = yaml.safe_load(yaml.safe_dump(JINGXING))
        edit(raw)
        text = yaml.safe_dump(raw, allow_unicode=True)
    path.write_text(text, encoding="utf-8")
    return path


def _all_holidays(r):
    import datetime

    start = datetime.date(2019, 10, 14)
    r["run"]["days"] = 5
    r["holidays"] = [str(start + datetime.timedelta(days=d)) for d in range(-1, 70)]


def _set(path, value):
    def edit(r):
        node = r
        keys = path.split(".")
        for k in keys[:-1]:
            node = node[int(k)] if isinstance(node, list) else node[k]
        node[keys[-1]] = value

    return edit


SCENARIOS = {
    "holidays over the whole run": (_all_holidays, "calendars.office: no open hour"),
    "start in 9999": (_set("run.start", "9999-12-01"), "run.start: the year must be from 1900"),
    "night 99:99-77:77": (
        _set("arrangements.street_chief.night", "99:99-77:77"),
        "arrangements.street_chief.night: '99:99' is not a clock time from 00:00 to 24:00",
    ),
    "night 24:00-24:59": (
        _set("arrangements.street_chief.night", "24:00-24:59"),
        "'24:59' is not a clock time",
    ),
    "office until 24:30": (
        _set("calendars.office.weekly.mon", ["08:30-24:30"]),
        "calendars.office.weekly: mon: '24:30' is not a clock time",
    ),
    "overlapping spans": (
        _set("calendars.office.weekly.mon", ["08:00-12:00", "10:00-14:00"]),
        "calendars.office.weekly: mon: '08:00-12:00' and '10:00-14:00' overlap",
    ),
    "backlog sampled every 1e-6 h": (
        _set("run.backlog_sample_hours", 1e-6),
        "run.backlog_sample_hours: every 1e-06 hours makes 8.76e+09 events",
    ),
    "patrols every 1e-9 days": (
        _set("arrangements.street_chief.patrol.interval_days", 1e-9),
        "arrangements.street_chief.patrol.interval_days: every 1e-09 days",
    ),
    "10,000 grid supervisors patrolling every 0.001 days": (  # each walks on a rhythm of own
        lambda r: (
            _set("arrangements.grid.patrol.officers", 10_000)(r),
            _set("arrangements.grid.patrol.interval_days", 0.001)(r),
        ),
        "arrangements.grid.patrol.interval_days: every 0.001 days makes 3.65e+09 events",
    ),
    "inspections every 1e-9 days": (
        _set("arrangements.street_chief.inspection.interval_days", 1e-9),
        "inspection.interval_days: every 1e-09 days",
    ),
    "seed past int64": (_set("run.seed", 2**70), "run.seed: must be ≤"),
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_bad_scenario_values_are_refused_alike_by_validate_and_run(tmp_path, capsys, name):
    edit, message = SCENARIOS[name]
    path = _scenario(tmp_path, edit)
    code, text = _cli(capsys, "validate", path)
    assert code == 2 and message in text and str(path) in text, text
    code, text = _cli(capsys, "run", path, "--days", "2", "--out", tmp_path / "o", "--quiet")
    assert code == 2 and message in text, text
    assert not (tmp_path / "o").exists()


def test_holidays_over_a_replayed_logs_window_get_our_error(tmp_path, capsys):
    """A replay moves the run's start to the log's first day: its calendars are checked there."""
    import datetime

    def edit(r):
        r["run"]["days"] = 3
        r["holidays"] = [
            str(datetime.date(2019, 10, 17) + datetime.timedelta(d)) for d in range(120)
        ]

    path = _scenario(tmp_path, edit)
    cases = ROOT / "scenarios" / "jingxing_2019_cases.csv"
    code, text = _cli(capsys, "run", path, "--replay", cases, "--out", tmp_path / "o", "--quiet")
    assert code == 2 and "calendars.chief_duty: no open hour from 2019-10-21" in text, text
    assert not (tmp_path / "o").exists()


def test_days_on_the_command_line_get_the_scenarios_checks(tmp_path, capsys):
    path = _scenario(tmp_path, _set("run.backlog_sample_hours", 0.01))  # fine for 365 days
    assert _cli(capsys, "validate", path)[0] == 0
    code, text = _cli(capsys, "run", path, "--days", "90000", "--out", tmp_path / "o")
    assert code == 2 and "with --days 90000" in text and "backlog_sample_hours" in text


def test_duplicate_keys_are_refused_with_both_lines(tmp_path, capsys):
    text = (shipped() / "textbook_mmc.yaml").read_text(encoding="utf-8")
    lines = text.splitlines()
    at = next(k for k, line in enumerate(lines) if line.startswith("description:"))
    lines.insert(at + 1, "description: a second one")
    path = _scenario(tmp_path, text="\n".join(lines) + "\n")
    code, out = _cli(capsys, "validate", path)
    assert code == 2
    assert f"duplicate key 'description' (first at line {at + 1}, again at line {at + 2})" in out


@pytest.mark.parametrize(
    "text, message",
    [
        ("name: " + "[" * 50_000 + "]" * 50_000 + "\n", "nested deeper than 64 levels"),
        ("name: " + "{a: " * 5_000 + "1" + "}" * 5_000 + "\n", "nested deeper than"),
        (
            "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
            + "".join(
                f"{c}: &{c} [{', '.join(['*' + p] * 10)}]\n"
                for p, c in zip("abcdef", "bcdefg", strict=True)
            )
            + "name: *g\n",
            "more than 2,000,000 values",
        ),
        ("# " + "x" * (17 * 2**20) + "\nname: x\n", "cannot read: too large: 17,8"),
    ],
)
def test_deep_aliased_or_huge_files_are_refused(tmp_path, capsys, text, message):
    path = _scenario(tmp_path, text=text)
    code, out = _cli(capsys, "validate", path)
    assert code == 2 and message in out, out[:300]
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    code, out = _cli(capsys, "sweep", spec, "--out", tmp_path / "o")
    assert code == 2 and message in out, out[:300]


# --- size guards ------------------------------------------------------------------------------
def test_a_huge_volume_is_refused_with_an_estimate_and_a_hint(tmp_path, capsys):
    path = _scenario(tmp_path, _set("categories.garbage.rate_per_day", 1e7))
    code, text = _cli(capsys, "validate", path)
    assert code == 0 and "past the size guard's limits" in text
    code, text = _cli(capsys, "run", path, "--out", tmp_path / "o", "--quiet")
    assert code == 2 and "too large" in text and "TiB of memory" in text and "--stream" in text
    assert "--force" in text and not (tmp_path / "o").exists()
    code, text = _cli(capsys, "run", path, "--stream", "--out", tmp_path / "o", "--quiet")
    assert code == 2 and "time" in text and "> 12 h" in text and "fewer --days" in text


def test_ten_million_merchants_are_refused_with_an_estimate_and_a_hint(tmp_path, capsys):
    """Every merchant is an agent: 10,000,000 in one zone validate with a note and are refused
    before a run exhausts the memory (about 3 GB for two days)."""
    path = _scenario(tmp_path, _set("zones.nanwei_road.merchants", 10_000_000))
    code, text = _cli(capsys, "validate", path)
    assert code == 0 and "past the size guard's limits" in text
    code, text = _cli(capsys, "run", path, "--days", "2", "--out", tmp_path / "o", "--quiet")
    assert code == 2 and "too large" in text and "GiB of memory" in text
    assert "fewer merchants (zones.<key>.merchants)" in text and not (tmp_path / "o").exists()


def test_the_megacity_without_stream_is_refused_with_the_hint(tmp_path, capsys):
    code, text = _cli(capsys, "run", "megacity", "--out", tmp_path / "o", "--quiet")
    assert code == 2 and "25,000,000 problems" in text and "use --stream" in text


def test_a_trend_that_explodes_is_refused_even_with_force(tmp_path, capsys):
    path = _scenario(tmp_path, _set("arrivals.trend_per_year", 10))
    code, text = _cli(capsys, "run", path, "--days", "3650", "--force", "--out", tmp_path / "o")
    assert code == 2 and "no run can hold more than 1e+11" in text


def test_a_sweep_of_600000_runs_is_refused_unless_forced(tmp_path, capsys):
    spec = yaml.safe_load((ROOT / "scenarios" / "sweep_demo.yaml").read_text(encoding="utf-8"))
    spec["samples"] = 100_000
    path = tmp_path / "spec.yaml"
    path.write_text(yaml.safe_dump(spec), encoding="utf-8")
    code, text = _cli(capsys, "sweep", path, "--out", tmp_path / "o", "--quiet")
    assert code == 2 and "600,000 runs > 200,000" in text and "fewer points" in text
    assert not (tmp_path / "o").exists()


# --- files that cannot be written, records that cannot be read ----------------------------------
def test_an_unwritable_out_names_it_and_exits_2(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    for argv in (
        ["run", "jingxing_2019", "--days", "1", "--out", blocker / "sub"],
        ["compare", "jingxing_2019", "--days", "1", "--out", blocker / "sub"],
        ["export-arrivals", "jingxing_2019", "--days", "1", "--out", blocker / "a.csv"],
        ["import-log", ROOT / "scenarios" / "jingxing_2019_cases.csv", "--out", blocker / "b.csv"],
        ["replay-history", ROOT / "scenarios" / "jingxing_2019_cases.csv", "--out", blocker / "c"],
    ):
        code, text = _cli(capsys, *argv)
        assert code == 2 and str(blocker) in text and ".tmp" not in text, (argv, text)


def test_corrupt_sweep_records_are_refused_by_analyze(tmp_path, capsys):
    (tmp_path / "runs.parquet").write_bytes(b"PAR1 not really")
    (tmp_path / "sweep.json").write_text('{"digest": "x", "spec": ')
    code, text = _cli(capsys, "analyze", tmp_path)
    assert code == 2 and "sweep.json" in text and "cannot be read" in text
    (tmp_path / "sweep.json").write_text('{"digest": "x", "spec": {}}')
    code, text = _cli(capsys, "analyze", tmp_path)
    assert code == 2 and "runs.parquet" in text and "cannot be read" in text
