"""Arrangements: the policy lever. Each is one file holding a class registered with `@register`.

An arrangement decides what happens to an issue between its report and its closure: who
acknowledges it, how it is routed to a department, who coordinates when responsibility is
unclear, how feedback goes back. `base.py` is the contract (and all an arrangement may use). The
toolkit ships four peers: `street_chief.py` (街长制), `hotline.py` (12345, 接诉即办), `grid.py`
(网格化) and `multi_layer.py` (the pre-reform path); the hotline and grid share `central.py`.
"""

# importing them registers them
from streetchief.arrangements import grid, hotline, multi_layer, street_chief  # noqa: F401
from streetchief.arrangements.base import ARRANGEMENTS, Arrangement, ArrangementParams, register

__all__ = ["ARRANGEMENTS", "Arrangement", "ArrangementParams", "register"]
