"""A stratified train/test split, and class imbalance made from a balanced set."""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np


def n_test_samples(n: int, test_fraction: float) -> int:
    """Test samples taken from a class of n: round(n * fraction), but at least 1 and leaving at least 1 to train."""
    if n < 2:
        return 0
    return min(n - 1, max(1, math.floor(n * test_fraction + 0.5)))


def stratified_split(
    x: np.ndarray, y: np.ndarray, test_fraction: float, *, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Put a random `test_fraction` of every class in the test part, the rest in train.

    Every class with >= 2 samples lands in both parts; a singleton class goes to train. Both parts keep the input's
    sample order. Returns (x_train, y_train, x_test, y_test).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in the open interval (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    is_test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        is_test[rng.permutation(idx)[: n_test_samples(idx.size, test_fraction)]] = True
    return x[~is_test], y[~is_test], x[is_test], y[is_test]


def imbalanced_sizes(counts: Sequence[int], ratio: float) -> list[int]:
    """Class sizes decaying geometrically from counts[0] to counts[0] / ratio, capped by what each class has."""
    k = len(counts)
    decay = [ratio ** (-i / (k - 1)) if k > 1 else 1.0 for i in range(k)]
    return [min(n, math.floor(counts[0] * d + 0.5)) for n, d in zip(counts, decay)]


def apply_imbalance(x: np.ndarray, y: np.ndarray, ratio: float, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Subsample classes so sizes decay geometrically, the largest/smallest being `ratio`.

    Classes are taken in increasing label order; the first keeps all its n_0 samples and class i keeps a random
    round(n_0 * ratio^(-i / (K-1))) of its own (or all of them if it has fewer). Sample order is kept.
    """
    if not (1.0 <= ratio < math.inf):
        raise ValueError(f"imbalance ratio must be finite and >= 1 (1 = balanced), got {ratio}")
    labels, counts = np.unique(y, return_counts=True)
    sizes = imbalanced_sizes(counts.tolist(), ratio)
    rng = np.random.default_rng(seed)
    keep = np.zeros(len(y), dtype=bool)
    for c, size in zip(labels, sizes):
        if size == 0:
            raise ValueError(f"imbalance ratio {ratio} leaves class {c} empty; use a ratio <= {2 * counts[0]}")
        keep[rng.permutation(np.flatnonzero(y == c))[:size]] = True
    return x[keep], y[keep]
