"""The buckets the compiled program sees: numbers of classes and of training samples rounded up, so that the
commonest change of form, the number of classes, does not compile again.

A run's arrays are padded up to its bucket (`_pad_rows`, `_pad_classes`); the padded classes are masked out of every
logit and the padded rows are never sampled, so the padding never reaches a result (`grid.train_experiments` cuts it
off). Read the buckets as `padding.CLASS_BUCKET` and `padding.ROW_BUCKET`, so that a test can set them here.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

# The compiled program sees the number of classes and of training samples rounded up to these buckets, so that the
# commonest form change, the number of classes, does not compile again within a bucket: 2..8 classes share one
# program, 9..16 the next (as long as the training samples stay within one multiple of ROW_BUCKET and the batch is
# no larger than the training set). The padded classes are masked out of every logit; the padded rows are never
# sampled.
CLASS_BUCKET = 8
ROW_BUCKET = 2048


def padded_size(n: int, bucket: int) -> int:
    """n rounded up to a multiple of `bucket` (a count of classes or samples as the compiled program sees it)."""
    return -(-n // bucket) * bucket


def _pad_rows(a: np.ndarray, rows: int | None = None) -> np.ndarray:
    """`a` with zero rows appended, up to `rows` (by default a multiple of ROW_BUCKET rows): (N, ...) -> (rows, ...)."""
    rows = padded_size(len(a), ROW_BUCKET) if rows is None else rows
    return np.concatenate([a, np.zeros((rows - len(a), *a.shape[1:]), a.dtype)])


def _pad_classes(params: dict, n_bucket: int) -> dict:
    """A net's params with its head widened to `n_bucket` classes: head w (D, C) -> (D, n_bucket) with columns of
    ones (any finite column would do), b (C,) -> (n_bucket,) with zeros. Masked out of every logit, the extra classes
    get no gradient: they never train or vote."""
    w, b = params["head"]["w"], params["head"]["b"]
    extra = n_bucket - w.shape[-1]
    head = {
        "w": jnp.concatenate([w, jnp.ones((w.shape[0], extra), w.dtype)], axis=1),
        "b": jnp.concatenate([b, jnp.zeros(extra, b.dtype)]),
    }
    return {**params, "head": head}
