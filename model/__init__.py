"""streetchief: an agent-based model of street chiefs (街长制) versus multi-layer routing."""
__version__ = "0.1.0"

from model.scenario import Scenario, ScenarioError, load_scenario  # noqa: E402
from model.district import DistrictModel, run_arrangement  # noqa: E402
from model.arrangements import Arrangement, register, ARRANGEMENTS  # noqa: E402
from model.experiment import run_scenario, compare, replay, recorded_history  # noqa: E402
from model.issue_log import read_log  # noqa: E402
from model.sweeps import sweep, load_sweep  # noqa: E402

__all__ = ["Scenario", "ScenarioError", "load_scenario", "DistrictModel", "run_arrangement",
           "Arrangement", "register", "ARRANGEMENTS", "run_scenario", "compare", "replay",
           "recorded_history", "read_log", "sweep", "load_sweep", "__version__"]
