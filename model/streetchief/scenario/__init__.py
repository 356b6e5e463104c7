"""Scenarios: the district, its actors, the arrangements and their parameters, read from a YAML
file.

`schema.py` holds the sections as typed classes; `load.py` reads and validates a file, listing every
problem with its path; `reference.py` describes every parameter (`streetchief parameters`).
"""

from streetchief.errors import ScenarioError
from streetchief.scenario.load import (
    apply_overrides,
    known_names,
    load_scenario,
    read_yaml_mapping,
    resolve_path,
    shipped,
    validate,
)
from streetchief.scenario.reference import parameter_reference
from streetchief.scenario.schema import Scenario

__all__ = [
    "Scenario",
    "ScenarioError",
    "apply_overrides",
    "known_names",
    "load_scenario",
    "parameter_reference",
    "read_yaml_mapping",
    "resolve_path",
    "shipped",
    "validate",
]
