import numpy as np
import pytest
from scipy import stats

from streetchief import load_scenario


@pytest.fixture(scope="session")
def jingxing():
    return load_scenario("jingxing_2019")


def batch_means_ci(x: np.ndarray, batches: int = 20, level: float = 0.99, warmup: float = 0.1):
    """Mean and half-width of a batch-means interval (in arrival order, warm-up dropped)."""
    x = x[int(len(x) * warmup) :]
    x = x[: len(x) // batches * batches].reshape(batches, -1).mean(axis=1)
    half = stats.t.ppf(0.5 + level / 2, batches - 1) * x.std(ddof=1) / np.sqrt(batches)
    return x.mean(), half
