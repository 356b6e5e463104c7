"""Arrangements: the policy lever. Each is one file holding a class registered with `@register`.

An arrangement decides what happens to an issue between its report and its closure: who
acknowledges it, how it is routed to a department, who coordinates when responsibility is
unclear, how feedback goes back. `base.py` is the contract (and all an arrangement may use);
`street_chief.py` and `multi_layer.py` are the two the toolkit ships.
"""

from streetchief.arrangements import multi_layer, street_chief  # noqa: F401  (registers them)
from streetchief.arrangements.base import ARRANGEMENTS, Arrangement, ArrangementParams, register

__all__ = ["ARRANGEMENTS", "Arrangement", "ArrangementParams", "register"]
