"""A plain (non-editable) install in a fresh virtual environment, outside the checkout, runs the
demo with the shipped scenarios it carries as package data, next to a user's own model.py."""

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LEFT_OUT = shutil.ignore_patterns(
    ".git",
    ".venv",
    "results",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "notebooks",
    "tests",
)


@pytest.mark.slow
def test_a_plain_install_outside_the_checkout_runs_the_comparison(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=LEFT_OUT)
    wheels = tmp_path / "wheels"
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(wheels),
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    assert build.returncode == 0, build.stderr[-2000:]
    assert "BuildBackendWarning" not in build.stderr, build.stderr[-2000:]
    # a fresh environment, its dependencies (not streetchief) borrowed from this one by a .pth line
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    wheel = next(wheels.glob("streetchief-*.whl"))
    install = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "--quiet",
            str(wheel),
        ],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stderr[-2000:]

    work = tmp_path / "a_users_folder"  # a Mesa user's folder, with its own model.py
    work.mkdir()
    (work / "model.py").write_text("WHO = 'the user'\n", encoding="utf-8")
    where = subprocess.run(
        [
            python,
            "-c",
            "import model, streetchief; from streetchief.scenario import shipped; "
            "print(model.WHO); print(streetchief.__file__); print(shipped())",
        ],
        capture_output=True,
        text=True,
        cwd=work,
    )
    who, package, scenarios = where.stdout.split("\n")[:3]
    assert who == "the user"
    assert package.startswith(site) and scenarios.startswith(site)  # the installed copy, not ours
    assert Path(scenarios, "jingxing_2019.yaml").is_file()
    assert Path(scenarios, "mappings", "nyc_311.yaml").is_file()
    assert Path(scenarios, "calibration", "hotline.yaml").is_file()
    assert Path(scenarios, "reports", "jingxing_2019_cases.yaml").is_file()  # the story
    assert any(Path(package).parent.joinpath("fonts").glob("*.ttf"))  # Chinese offline

    run = subprocess.run(
        [
            venv / "bin" / "streetchief",
            "compare",
            "jingxing_2019",
            "--days",
            "30",
            "--replications",
            "2",
            "--out",
            "out",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        cwd=work,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "resolution_mean_h" in run.stdout
    assert {"comparison.csv", "comparison.png", "compare.json"} <= {
        p.name for p in (work / "out").iterdir()
    }
    version = subprocess.run(
        [python, "-m", "streetchief", "--version"], capture_output=True, text=True
    )
    assert version.stdout.startswith("streetchief ")


def test_one_version_in_the_code_the_changelog_and_the_citation():
    """`__version__` (pyproject reads it) is the CHANGELOG's newest entry and CITATION.cff's."""
    import re

    import yaml

    import streetchief

    root = Path(__file__).resolve().parent.parent
    newest = re.search(
        r"^## (\d+\.\d+\.\d+)", (root / "CHANGELOG.md").read_text(encoding="utf-8"), re.M
    )
    assert newest.group(1) == streetchief.__version__
    cff = yaml.safe_load((root / "CITATION.cff").read_text(encoding="utf-8"))
    assert str(cff["version"]) == streetchief.__version__ and cff["cff-version"] == "1.2.0"
    assert cff["license"] == "MIT" and cff["authors"]
