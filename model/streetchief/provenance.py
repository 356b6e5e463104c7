"""What produced a result: package and dependency versions, git commit, host, and content hashes."""

from __future__ import annotations

import hashlib
import json
import platform
import socket
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from streetchief import __version__

DEPENDENCIES = (
    "mesa",
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "pydantic",
    "pyyaml",
    "dask",
    "distributed",
    "SALib",
    "matplotlib",  # the figures: verify draws them again with the same version
)


def content_hash(obj) -> str:
    """sha256 of the canonical JSON of `obj` (key order does not matter)."""
    return hashlib.sha256(
        json.dumps(obj, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def file_hash(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def git_commit() -> str | None:
    root = Path(__file__).resolve().parents[2]  # model/streetchief/provenance.py
    if not (root / ".git").exists():
        return None
    try:
        r = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5
        )
        return r.stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        return None


def versions(names=DEPENDENCIES) -> dict[str, str | None]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = None
    return out


def provenance() -> dict:
    """What produced a result: versions, the git commit, the host and the time."""
    return {
        "streetchief": __version__,
        "git_commit": git_commit(),
        "python": platform.python_version(),
        "dependencies": versions(),
        "host": socket.gethostname(),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def reproduction_record(scenario_parameters: dict) -> dict:
    """The `provenance` and `scenario_parameters` keys of a result's record: what produced it, and
    the scenario in full (with its sha256), enough to run it again without the YAML file."""
    return {
        "provenance": {**provenance(), "scenario_sha256": content_hash(scenario_parameters)},
        "scenario_parameters": scenario_parameters,
    }
