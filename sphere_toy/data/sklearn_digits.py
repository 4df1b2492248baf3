"""scikit-learn's bundled 8x8 digits, read from its CSV (no download), by digit id."""

from __future__ import annotations

import functools
import importlib.util
import pathlib
from typing import Sequence

import numpy as np

from sphere_toy.errors import SettingError


N_DIGITS = 10  # sklearn's digits has the ten classes 0..9
DIGIT_PIXELS = 64  # sklearn's digits: 8x8 pixels


def _digits_csv() -> pathlib.Path | None:
    """The digits file scikit-learn ships (`sklearn/datasets/data/digits.csv.gz`), found without importing
    scikit-learn; None if it is not where scikit-learn has always kept it."""
    spec = importlib.util.find_spec("sklearn")  # finds the package on the path; runs none of it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = pathlib.Path(folder, "datasets", "data", "digits.csv.gz")
        if path.is_file():
            return path
    return None


@functools.lru_cache(maxsize=1)
def _all_digits() -> tuple[np.ndarray, np.ndarray]:
    """sklearn's bundled digits (no download), pixels in [0, 1]; cached because it parses a CSV.

    Read straight from scikit-learn's file, as `load_digits` reads it: importing scikit-learn takes about a second,
    which a fresh server's first run would wait for. `tests/test_data.py` checks it equals `load_digits`."""
    path = _digits_csv()
    if path is None:  # a scikit-learn that keeps its data elsewhere: ask it (slower, same arrays)
        from sklearn.datasets import load_digits

        x, y = load_digits(return_X_y=True)
    else:
        table = np.loadtxt(path, delimiter=",")  # (1797, 65): 64 pixels, then the digit
        x, y = table[:, :-1], table[:, -1].astype(int)
    x = (x / 16.0).astype(np.float32)  # pixel intensities are 0..16
    x.flags.writeable = y.flags.writeable = False  # shared by the cache: nobody may edit it in place
    return x, y


def digits(classes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 digits of the given classes, labels remapped to 0..len(classes)-1 in the given order.

    Returns:
        x: (N, 64) float32 pixels in [0, 1], in sklearn's sample order.
        y: (N,) int32, y == i where the digit is classes[i].
    """
    check_digit_ids(classes, "classes")
    x_all, y_all = _all_digits()
    keep = np.isin(y_all, classes)
    remap = np.full(N_DIGITS, -1, dtype=np.int32)
    remap[list(classes)] = np.arange(len(classes))
    return x_all[keep], remap[y_all[keep]]  # boolean indexing copies


def check_digit_ids(classes: Sequence[int], name: str) -> None:
    """Raise SettingError (naming the setting `name`) unless `classes` are distinct digit ids in 0..9."""
    for c in classes:
        if not 0 <= c < N_DIGITS:
            raise SettingError(f"{{{name}}} must be digit ids in 0..{N_DIGITS - 1}, got {c} in {tuple(classes)}", name)
    if len(set(classes)) != len(classes):
        raise SettingError(f"{{{name}}} must not repeat a digit id, got {tuple(classes)}", name)
