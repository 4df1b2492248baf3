"""What trains together, and where: which experiments may share one compiled call (`merge_key`), and where each
model of a call sits in the program's grid (`_layout`): specs that train alike counted once, the grid padded to the
devices and, merged, every experiment to as many models as the largest.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sphere_toy.core import margins
from sphere_toy.data import Dataset
from sphere_toy.train.step import device_count
from sphere_toy.train.types import TrainConfig


def merge_key(data: Dataset, config: TrainConfig) -> tuple:
    """Experiments with equal keys can train together in one compiled call (`train_experiments`): same array shapes,
    steps, batch and optimizer. Seeds, data values, margins, learning rates and λ schedules may differ."""
    shapes = tuple(np.shape(a) for a in (data.x_train, data.x_test, data.x_open))
    return (
        shapes,
        data.n_classes,
        tuple(config.hidden),
        config.feature_dim,
        config.steps,
        config.batch_size,
        config.optimizer,
        config.momentum,
        config.chunk_steps,
        config.snapshot_samples,
    )


class _Layout(NamedTuple):
    experiments: int  # experiments in the call, padded to a multiple of the device count when merged
    models: tuple  # the specs trained, in the program's order: E x M when merged, padded models included
    where: list  # per experiment (unpadded): its specs' places in `models`
    grid: tuple  # the program's model axes: (E, M) when merged, else (G,)


def _layout(specs: list) -> _Layout:
    """Where each model of a call trains, from each experiment's specs. Merged, the experiments are padded to a
    multiple of the device count (copies of the last), and each to as many models as the largest. In each, specs that
    train identically (A-softmax m = 1 and M-softmax of one seed) are one model: trained once, and `where` gives each
    spec its model's place in the grid. Alone, the models are padded to a multiple of the device count."""
    merged, n_dev, n = len(specs) > 1, device_count(), len(specs)
    specs = specs + [specs[-1]] * (-n % n_dev if merged else 0)
    trained = [margins.distinct(s) for s in specs]  # each: (its models, which model each spec is)
    if merged:  # padded models train for nothing and are dropped
        m_per = max(len(models) for models, _ in trained)
        padded = tuple(s for models, _ in trained for s in models + (models[-1],) * (m_per - len(models)))
        where = [e * m_per + np.asarray(which) for e, (_, which) in enumerate(trained[:n])]
        return _Layout(len(specs), padded, where, (len(specs), m_per))
    models, which = trained[0]
    padded = models + (models[-1],) * (-len(models) % n_dev)
    return _Layout(1, padded, [np.asarray(which)], (len(padded),))


def computed_models(specs: list) -> int:
    """How many models a call computes, when each experiment trains `specs[e]`: those that train alike counted once,
    and the padding to the device count and (merged) to the largest experiment included (`_layout`)."""
    return len(_layout([tuple(s) for s in specs]).models)
