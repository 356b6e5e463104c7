"""The command line as a user runs it."""

import subprocess
import sys

import pandas as pd

from streetchief.cli import main


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


def test_compare_writes_table_csv_and_figure(tmp_path, capsys):
    assert (
        main(
            [
                "compare",
                "jingxing_2019",
                "--replications",
                "3",
                "--days",
                "30",
                "--out",
                str(tmp_path),
                "--quiet",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    assert "street_chief" in printed and "95% CI" in printed
    table = pd.read_csv(tmp_path / "comparison.csv")
    assert {"outcome", "street_chief", "multi_layer", "difference", "ci_low", "ci_high"} <= set(
        table.columns
    )
    row = table.set_index("outcome").loc["resolution_mean_h"]
    assert row.ci_low <= row.difference <= row.ci_high
    assert row.difference < 0  # street chiefs resolve faster in the seed's district
    runs = pd.read_csv(tmp_path / "replications.csv")
    assert len(runs) == 6 and runs.seed.nunique() == 3
    png = (tmp_path / "comparison.png").read_bytes()
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
