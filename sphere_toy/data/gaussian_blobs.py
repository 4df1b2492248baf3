"""Seeded Gaussian blobs: well-separated classes in any input dimension, the quickest data to train on."""

from __future__ import annotations

import math

import numpy as np


_SEPARATION = 4.0


def blobs(
    n_classes: int, *, samples_per_class: int, input_dim: int, overlap: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters around random centres, standardised per feature.

    Centres are random Gaussian directions on the unit sphere, rescaled so the two nearest centres are exactly
    `spacing` = 1 apart; each sample is centre + sigma * N(0, I) with sigma = overlap * spacing / _SEPARATION. The std
    along the line joining two centres is sigma, so their confusion rate grows with `overlap` in any dimension.

    Returns:
        x: (n_classes * samples_per_class, input_dim) float32, zero mean and unit variance per feature.
        y: (n_classes * samples_per_class,) int32, class-blocked (samples_per_class of 0, then of 1, ...).
    """
    if n_classes < 1 or samples_per_class < 1 or input_dim < 2 or not (0.0 < overlap < math.inf):
        raise ValueError(
            "blobs needs n_classes >= 1, samples_per_class >= 1, input_dim >= 2 and finite overlap > 0, got "
            f"{n_classes}, {samples_per_class}, {input_dim}, {overlap}"
        )
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_classes, input_dim))  # (C, D)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    dist = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=-1)  # (C, C)
    # Guard against two coincident draws (probability 0, but a division by zero would be silent).
    spacing = max(dist[~np.eye(n_classes, dtype=bool)].min(), 1e-12) if n_classes > 1 else 1.0
    centres /= spacing  # nearest pair now exactly 1 apart
    sigma = overlap / _SEPARATION
    y = np.repeat(np.arange(n_classes), samples_per_class)  # (N,)
    x = centres[y] + sigma * rng.standard_normal((y.size, input_dim))  # (N, D)
    # A global affine map changes no class boundary; it only puts inputs on the scale a small MLP trains well at.
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x.astype(np.float32), y.astype(np.int32)


# The identities' world. Fixed constants: changing any of them changes every identities dataset.
