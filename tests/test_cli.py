"""The command line as a user runs it."""

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from streetchief.cli import main


def test_every_commands_help_reads_as_written(capsys):
    """A description is printed as written: a percent sign once, never argparse's escape."""
    import argparse

    from streetchief.cli import _parser

    parser = _parser()
    subs = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    assert len(subs.choices) >= 10
    for name, sub in subs.choices.items():
        text = sub.format_help()
        assert "%%" not in text, f"streetchief {name} --help prints '%%'"
    assert "95% confidence interval" in subs.choices["compare"].format_help()


def test_help_explains_every_command():
    out = subprocess.run(
        [sys.executable, "-m", "streetchief", "--help"], capture_output=True, text=True, check=True
    ).stdout
    for word in (
        "run",
        "compare",
        "validate",
        "scenarios",
        "SCENARIO",
        "replay-history",
        "export-arrivals",
        "import-log",
        "--replay",
    ):
        assert word in out
    out = subprocess.run(
        [sys.executable, "-m", "streetchief", "run", "--help"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for word in (
        "--arrangement",
        "--seed",
        "--days",
        "--out",
        "--quiet",
        "issues.parquet",
        "--replay",
        "--mapping",
        "--skip-invalid",
    ):
        assert word in out


def test_compare_writes_tables_figures_and_a_headline_that_agrees_with_them(tmp_path, capsys):
    args = [
        "compare",
        "jingxing_2019",
        "--replications",
        "4",
        "--days",
        "120",
        "--out",
        str(tmp_path),
    ]
    assert main([*args, "--quiet"]) == 0
    printed = capsys.readouterr().out
    means = pd.read_csv(tmp_path / "comparison.csv").set_index("outcome")
    assert list(means.columns) == ["street_chief", "hotline", "grid", "multi_layer"]
    diff = pd.read_csv(tmp_path / "differences.csv")
    baseline = diff.baseline.iloc[0]
    # the strongest baseline: the shortest mean resolution other than the treatment's
    others = means.loc["resolution_mean_h"].drop("street_chief")
    assert baseline == others.idxmin()
    assert set(diff.arrangement) == set(means.columns) - {baseline}
    row = diff.set_index(["arrangement", "outcome"]).loc[("street_chief", "resolution_mean_h")]
    assert row.ci_low <= row.difference <= row.ci_high
    assert row.difference == pytest.approx(
        means.loc["resolution_mean_h", "street_chief"] - means.loc["resolution_mean_h", baseline]
    )
    # the headline says it in words, with the same numbers
    import re

    lines = printed.splitlines()
    paired = diff.set_index(["arrangement", "outcome"]).loc["street_chief"]

    def quoted(start: str, pattern: str, outcome: str):
        """The headline's line for `outcome` quotes its difference and interval, signed or in
        words, as the differences table has them."""
        line = next(x for x in lines if x.startswith(start))
        r = paired.loc[outcome]
        plain = re.sub(r"(?<=\d),(?=\d)", "", line)  # thousands separators
        if r.ci_low <= 0 <= r.ci_high:
            found = re.search(
                r"no significant difference \((-?[\d.]+)[ h]*, 95% CI (-?[\d.]+) to (-?[\d.]+)\)",
                plain,
            )
            said, lo, hi = map(float, found.groups())
            assert [said, lo, hi] == pytest.approx([r.difference, r.ci_low, r.ci_high], rel=0.01)
            return line
        word = ("faster", "fewer") if r.difference < 0 else ("slower", "more")
        said, lo, hi = map(float, re.search(pattern.format(*word), plain).groups())
        assert said == pytest.approx(abs(r.difference), rel=0.01), line
        assert sorted([lo, hi]) == pytest.approx(sorted([abs(r.ci_low), abs(r.ci_high)]), rel=0.01)
        return line

    number = r"([\d.]+)"
    quoted(
        "- speed, every reported issue:",
        rf": {number} h {{}} on average under street chiefs \(95% CI {number} to {number}\)",
        "resolution_mean_h",
    )
    common = quoted(
        "- speed, the same problems",
        rf": {number} h {{}} under street chiefs \(95% CI {number} to {number}\)",
        "resolution_common_mean_h",
    )
    runs = pd.read_csv(tmp_path / "replications.csv")
    assert f"({runs.common_problems.mean():,.0f} a run" in common
    street = quoted(
        "- in the street",
        rf"\): {number} {{1}} problem-hours a day under street chiefs \(95% CI {number} to "
        rf"{number}\)",
        "problem_hours_per_day",
    )
    assert "from day 14 to day 90, each followed for up to 30 days" in street
    assert any("random variation only" in x for x in lines)  # what the intervals cover
    assert len(runs) == 16 and runs.seed.nunique() == 4
    ledger = pd.read_csv(tmp_path / "ledger.csv")
    assert (
        ledger.hours.round(6).tolist()
        == (ledger.busy_hours + ledger.standby_hours).round(6).tolist()
    )
    by = ledger.groupby("arrangement")[["hours", "busy_hours"]].sum()
    assert by.hours.round(3).to_dict() == means.loc["official_hours"].round(3).to_dict()
    assert by.busy_hours.round(3).to_dict() == means.loc["official_busy_hours"].round(3).to_dict()
    assert {
        "liaison_officers",
        "dispatch_operators",
        "patrol_officers",
        "department_acceptance",
    } <= set(ledger.role)
    equity = pd.read_csv(tmp_path / "equity.csv")
    assert set(equity.dimension) == {"zone", "category", "time_of_week"}
    for name in ("comparison.png", "equity.png"):
        png = (tmp_path / name).read_bytes()
        assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 20_000


def test_run_one_arrangement_and_validate(tmp_path, capsys):
    assert (
        main(
            [
                "run",
                "jingxing_2019",
                "--arrangement",
                "street_chief",
                "--days",
                "5",
                "--out",
                str(tmp_path),
                "--quiet",
            ]
        )
        == 0
    )
    df = pd.read_parquet(tmp_path / "issues.parquet")
    assert set(df.arrangement) == {"street_chief"}
    assert (
        main(
            [
                "run",
                "jingxing_2019",
                "--arrangement",
                "hotline_x",
                "--quiet",
                "--out",
                str(tmp_path / "x"),
            ]
        )
        == 2
    )
    assert main(["validate", "textbook_tandem"]) == 0
    assert "valid" in capsys.readouterr().out
    assert main(["scenarios"]) == 0
    assert "jingxing_2019" in capsys.readouterr().out


def test_parameters_lists_every_section_with_units(capsys):
    assert main(["parameters"]) == 0
    out = capsys.readouterr().out
    for path in (
        "departments.<name>.crews",
        "categories.<name>.work",
        "arrangements.multi_layer.layers.<n>.misrouting",
        "arrangements.street_chief.liaison_ack_night",
        "merchants.reporting.learning_rate",
    ):
        assert path in out
    assert "duration (h)" in out


@pytest.mark.parametrize(
    "command",
    [
        ["export-arrivals", "jingxing_2019", "--days", "3"],
        ["run", "jingxing_2019", "--days", "1"],
    ],
)
def test_no_command_writes_into_the_shipped_files(tmp_path, capsys, command):
    import streetchief
    from streetchief.scenario import shipped

    for target in (
        shipped() / "jingxing_2019_cases.csv",
        shipped() / "new_folder",
        Path(streetchief.__file__).parent / "x.csv",
    ):
        before = target.read_bytes() if target.is_file() else None
        assert main([*command, "--out", str(target)]) == 2
        err = capsys.readouterr().err
        assert "a command never writes over what ships with streetchief" in err
        assert (target.read_bytes() if target.is_file() else None) == before
        assert target.exists() == (before is not None)
