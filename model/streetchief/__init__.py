"""streetchief: street chiefs (街长制) against the traditional routes of urban issues, on the same
problems: an agent-based model built on Mesa.

The names below are imported on first use, so that `import streetchief` (and `streetchief --help`)
stays fast: the model, pandas, pyarrow and Mesa load only when something runs.
"""

__version__ = "0.3.0"

# public name → the module that defines it
_EXPORTS = {
    "Scenario": "streetchief.scenario",
    "ScenarioError": "streetchief.scenario",
    "load_scenario": "streetchief.scenario",
    "DistrictModel": "streetchief.district",
    "run_arrangement": "streetchief.district",
    "Arrangement": "streetchief.arrangements",
    "ArrangementParams": "streetchief.arrangements",
    "register": "streetchief.arrangements",
    "ARRANGEMENTS": "streetchief.arrangements",
    "run_scenario": "streetchief.experiment",
    "compare": "streetchief.experiment",
    "replay": "streetchief.experiment",
    "recorded_history": "streetchief.experiment",
    "read_log": "streetchief.issue_log",
    "sweep": "streetchief.sweeps",
    "load_sweep": "streetchief.sweeps",
}

__all__ = [*_EXPORTS, "__version__"]


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'streetchief' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__():
    return sorted(__all__)
