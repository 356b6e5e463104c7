"""The answer under uncertainty: every arrangement over parameter sets drawn from the ranges a
scenario gives for what it does not know (`uncertain:`), with the probability that the treatment is
better, the spread of the difference, what decides it and where it wins.

`run.py` draws the sets and runs them through the sweep machinery (local processes or Dask,
resumable, verifiable); `analysis.py` reads the runs and says what they show."""

from streetchief.uncertainty.analysis import Answer, answer, answer_markdown, answer_text
from streetchief.uncertainty.run import uncertainty, uncertainty_sweep

__all__ = [
    "Answer",
    "answer",
    "answer_markdown",
    "answer_text",
    "uncertainty",
    "uncertainty_sweep",
]
