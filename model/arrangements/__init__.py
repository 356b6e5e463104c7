"""Arrangements: the policy lever. Each is one file holding a class registered with `@register`.

An arrangement decides what happens to an issue between its report and its closure: who
acknowledges it, how it is routed to a department, who coordinates when responsibility is
unclear, how feedback goes back. See `base.py` for the interface; `street_chief.py` and
`multi_layer.py` are the two the toolkit compares.
"""
from streetchief.arrangements.base import ARRANGEMENTS, Arrangement, ArrangementParams, register
from streetchief.arrangements import multi_layer, street_chief  # noqa: F401  (registers them)

__all__ = ["ARRANGEMENTS", "Arrangement", "ArrangementParams", "register"]
