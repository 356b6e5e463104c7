"""Calibration: fit an arrangement's parameters to a log's recorded responses, check the fit on a
held-out part of the log, and carry the parameters' uncertainty into comparisons.

  spec.py        the calibration spec: parameters (dotted paths with ranges) and the search's budget
  statistics.py  what is compared: hours to acknowledge and to resolve per category, share resolved,
                 backlog; and the distance between recorded and simulated
  leads.py       what the log tells directly: each category's wait from its close times, pooled
  fit.py         the search (ABC-SMC with pyabc), the posterior, the predictive checks, fitted.yaml
  run.py         `streetchief calibrate`: everything, written to DIR
  figures.py     fit.png
"""

from streetchief.calibration.run import calibrate, coverage_rows, draw_overrides, held_out_words
from streetchief.calibration.spec import CalibrationError, CalibrationSpec, load_calibration

__all__ = [
    "CalibrationError",
    "CalibrationSpec",
    "calibrate",
    "coverage_rows",
    "draw_overrides",
    "held_out_words",
    "load_calibration",
]
