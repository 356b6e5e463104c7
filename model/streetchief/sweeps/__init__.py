"""Parameter sweeps: a YAML spec → a design of points → paired runs → one tidy `runs.parquet`.

Vocabulary after the EMA Workbench: *uncertainties* are what the city cannot choose (volumes,
misrouting),
*levers* what it can (crews, hours). Each is a dotted path into the base scenario. A *point* is one
setting of all of them; each point runs `replications` times, and every replication runs all the
arrangements on the same issues (common random numbers: replication r uses seed + r, at every
point). Work is cut into *tasks*, one per (point, replication).

  spec.py            the spec, its checks, and the designs (grid, Latin hypercube, Sobol, Morris)
  task.py            one task, as a worker runs it
  local_executor.py  worker processes on this machine;  dask_executor.py  a Dask cluster
  store.py           results as one Parquet part per task, gathered; the folder's lock
  runner.py          `sweep()`: the tasks not yet done, out to an executor, into the store
  analysis.py        the advantage per point, sensitivity indices, figures
"""

from streetchief.errors import SweepError
from streetchief.sweeps.runner import SweepResult, sweep
from streetchief.sweeps.spec import Parameter, Sweep, SweepSpec, design_points, load_sweep
from streetchief.sweeps.task import run_task

__all__ = [
    "Parameter",
    "Sweep",
    "SweepError",
    "SweepResult",
    "SweepSpec",
    "design_points",
    "load_sweep",
    "run_task",
    "sweep",
]
