"""What the queue does with a run unless it is told otherwise (`jobs.Jobs`'s defaults): train one experiment
(`train_settings`) or several in one compiled call (`train_together`), each keeping the cost estimate calibrated to
this machine; say which runs may train together (`merge_key`); and measure a finished run while the worker is idle
(`measure`).
"""

from __future__ import annotations

from typing import Callable, Hashable

from sphere_toy.analysis import evaluate
from sphere_toy.data import load
from sphere_toy.experiment import Settings
from sphere_toy.serving import cost
from sphere_toy.train import GridResult, merge_key as _shape_key, train_experiments, train_grid

Progress = Callable[..., None]  # progress(done, total, so_far=None); so_far(i) is run i's result so far


def train_settings(settings: Settings, progress: Progress | None = None) -> GridResult:
    """The grid an experiment describes, trained with a progress callback (`train.train_grid`'s)."""
    result = train_grid(*settings.experiment(), progress=progress)
    cost.CALIBRATION.observe([settings], result.train_seconds)  # estimates follow this machine
    return result


def train_together(settings: list[Settings], progress: Progress) -> list[GridResult]:
    """Several experiments with one `merge_key` in one compiled call (`train.train_experiments`)."""
    results = train_experiments([s.experiment() for s in settings], progress)
    cost.CALIBRATION.observe(settings, results[0].train_seconds)
    return results


def merge_key(settings: Settings) -> Hashable:
    """Runs with equal keys can train together: their data have the same shapes, and so on (`train.merge_key`)."""
    return _shape_key(load(settings.data_config()), settings.train_config())


def measure(result: GridResult, busy: Callable[[], bool] = lambda: False) -> None:
    """The open-set reports (~0.15 s a model), computed while the worker is idle so that the Open-set tab need not;
    `evaluate` keeps them with the result object, and a tab opened sooner computes them itself. Stops between two
    models once `busy()` (a run is waiting): measuring never delays a run."""
    for g in range(len(result.specs)):
        if busy():
            return
        evaluate.open_set_report(result, g)
    if not busy():
        evaluate.input_open_set_report(result)
