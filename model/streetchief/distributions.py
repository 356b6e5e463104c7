"""Time distributions named in scenarios, sampled in vectors.

Every duration in a scenario is one of these, in hours:
    {dist: fixed, value: 0.5}
    {dist: exponential, mean: 2.4}
    {dist: lognormal, median: 1.0, sigma: 0.8}
    {dist: gamma, mean: 4.0, cv: 0.5}
    {dist: empirical, values: [0.5, 1, 2]}        (resampled with equal weights)
    {dist: uniform, low: 0.1, high: 0.5}
"""

from __future__ import annotations

import itertools
from typing import Annotated, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field


class _Dist(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        raise NotImplementedError

    def mean(self) -> float:
        raise NotImplementedError


class Fixed(_Dist):
    """Always the same value: `{dist: fixed, value: 0.5}`."""

    dist: Literal["fixed"]
    value: float = Field(ge=0, allow_inf_nan=False)

    def sample(self, rng, n):
        return np.full(n, self.value)

    def mean(self):
        return self.value


class Exponential(_Dist):
    """`{dist: exponential, mean: 2.4}`."""

    dist: Literal["exponential"]
    mean_: float = Field(alias="mean", gt=0, allow_inf_nan=False)

    def sample(self, rng, n):
        return rng.exponential(self.mean_, n)

    def mean(self):
        return self.mean_


class Lognormal(_Dist):
    """`{dist: lognormal, median: 1.0, sigma: 0.8}`: the median and the log's standard deviation."""

    dist: Literal["lognormal"]
    median: float = Field(gt=0, allow_inf_nan=False)
    sigma: float = Field(ge=0, le=5, allow_inf_nan=False)

    def sample(self, rng, n):
        return rng.lognormal(np.log(self.median), self.sigma, n)

    def mean(self):
        return self.median * float(np.exp(self.sigma**2 / 2))


class Gamma(_Dist):
    """`{dist: gamma, mean: 4.0, cv: 0.5}`: the mean and the coefficient of variation."""

    dist: Literal["gamma"]
    mean_: float = Field(alias="mean", gt=0, allow_inf_nan=False)
    cv: float = Field(gt=0, le=10, allow_inf_nan=False, description="coefficient of variation")

    def sample(self, rng, n):
        shape = 1.0 / self.cv**2
        return rng.gamma(shape, self.mean_ / shape, n)

    def mean(self):
        return self.mean_


class Uniform(_Dist):
    """`{dist: uniform, low: 0.1, high: 0.5}`."""

    dist: Literal["uniform"]
    low: float = Field(ge=0, allow_inf_nan=False)
    high: float = Field(ge=0, allow_inf_nan=False)

    def sample(self, rng, n):
        return rng.uniform(self.low, self.high, n)

    def mean(self):
        return (self.low + self.high) / 2


class Empirical(_Dist):
    """`{dist: empirical, values: [0.5, 1, 2]}`: the values resampled with equal weights."""

    dist: Literal["empirical"]
    values: list[Annotated[float, Field(ge=0, allow_inf_nan=False)]] = Field(min_length=1)

    def sample(self, rng, n):
        return rng.choice(np.asarray(self.values, dtype=float), n)

    def mean(self):
        return float(np.mean(self.values))


Duration = Annotated[
    Fixed | Exponential | Lognormal | Gamma | Uniform | Empirical,
    Field(discriminator="dist"),
]

ZERO = Fixed(dist="fixed", value=0.0)


def sampler(dist: _Dist, rng: np.random.Generator, block: int = 4096):
    """A callable handing out draws one at a time from pre-drawn blocks (numpy per-call draws cost
    ~1 µs each). It is a C-level iterator's __next__, so a draw costs about as little as a Python
    call can; fixed values draw nothing."""
    if isinstance(dist, Fixed):
        return itertools.repeat(float(dist.value)).__next__

    def blocks():
        while True:
            yield dist.sample(rng, block).tolist()

    return itertools.chain.from_iterable(blocks()).__next__
