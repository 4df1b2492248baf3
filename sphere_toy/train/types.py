"""What a training run is told and what it gives back: `TrainConfig` (the workload and the λ schedule), `Experiment`
(data, models, config) and `GridResult` (plain arrays, every model of the grid)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import NamedTuple

import jax
import numpy as np

from sphere_toy.data import Dataset
from sphere_toy.core.losses import (
    RUN_LAMBDA_GAMMA,
)
from sphere_toy.core.margins import ModelSpec


MAX_FEATURE_DIM = 64  # the widest feature space a grid trains (open-set work; 2-D and 3-D to look at)


@dataclass(frozen=True)
class TrainConfig:
    hidden: tuple[int, ...] = (64, 64)  # hidden widths of the MLP
    feature_dim: int = 3  # D: 2 or 3 to look at; more (up to MAX_FEATURE_DIM) for open-set work
    # 600 steps: every effect the app teaches holds on every seed where the paper-like 3000 steps show it, at a fifth
    # of the cost (benchmarks/bench_teaching.py; `settings.PAPER_LIKE_STEPS` keeps the long run one click away).
    steps: int = 600  # optimisation steps
    batch_size: int = 128  # minibatch size (sampled as shuffled epochs)
    learning_rate: float = 3e-3
    optimizer: str = "adam"  # "adam" | "sgd" (SGD with momentum)
    momentum: float = 0.9  # SGD only
    # λ schedule over the run, λ = max(λ_min, base·(1 + γ·step/steps)^(-power)) (losses.run_lambda_schedule): from
    # λ = 1000 (≈ M-softmax) through λ = 1 at 42% of the run to λ ≈ 0.19 at its end, whatever its length.
    lambda_base: float = 1000.0
    lambda_gamma: float = RUN_LAMBDA_GAMMA  # per run: the official code's γ per step is lambda_gamma / steps
    lambda_power: float = 2.0
    lambda_min: float = 0.0  # 5 in the paper's face models, which leaves m = 4 with a margin like m ≈ 1.5
    chunk_steps: int = 100  # steps per jitted call; features are snapshotted after each chunk
    snapshot_samples: int = 300  # training samples whose features are snapshotted

    def __post_init__(self):
        checks = [
            (2 <= self.feature_dim <= MAX_FEATURE_DIM, f"feature_dim must be in 2..{MAX_FEATURE_DIM}"),
            (len(self.hidden) >= 1 and all(h >= 1 for h in self.hidden), "hidden widths must be >= 1"),
            (self.steps >= 1, "steps must be >= 1"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.learning_rate > 0, "learning_rate must be > 0"),
            (self.optimizer in ("adam", "sgd"), "optimizer must be 'adam' or 'sgd'"),
            (0 <= self.momentum < 1, "momentum must be in [0, 1)"),
            (
                self.lambda_base >= 0 and self.lambda_gamma >= 0 and self.lambda_power >= 0,
                "lambda_base, lambda_gamma and lambda_power must be >= 0",
            ),
            (self.lambda_min >= 0, "lambda_min must be >= 0"),
            (self.chunk_steps >= 1, "chunk_steps must be >= 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


@dataclass(frozen=True, eq=False)
class GridResult:
    """Everything a grid run produced, as NumPy arrays; index g runs over `specs`. Plain data: what is measured on
    it is in `sphere_toy.analysis.evaluate`."""

    specs: tuple[ModelSpec, ...]
    config: TrainConfig
    data: Dataset
    weights: np.ndarray  # (G, D, C) class weights as used to classify: unit columns where the loss normalises W
    bias: np.ndarray  # (G, C) zeros for every loss but softmax
    train_features: np.ndarray  # (G, N_train, D)
    test_features: np.ndarray  # (G, N_test, D)
    open_features: np.ndarray  # (G, N_open, D) held-out classes
    history: dict  # "step" (L,), and (G, L) "loss", "train_acc" (minibatch), "lambda" (NaN where it does not anneal)
    snapshot_steps: np.ndarray  # (S,) steps at which features were snapshotted, 0 included
    snapshot_index: np.ndarray  # (N_snap,) which training samples the snapshots follow
    snapshots: np.ndarray  # (G, S, N_snap, D)
    nan_step: np.ndarray  # (G,) first step whose loss or params were not finite, -1 if none
    compile_seconds: float
    train_seconds: float
    params: dict = field(repr=False)  # final params pytree, leaves stacked over G

    def select(self, indices) -> "GridResult":
        """The same run restricted to the models at `indices` (in that order): every per-model array sliced."""
        idx = np.asarray(indices, int)
        return dataclasses.replace(
            self,
            specs=tuple(self.specs[i] for i in idx),
            weights=self.weights[idx],
            bias=self.bias[idx],
            train_features=self.train_features[idx],
            test_features=self.test_features[idx],
            open_features=self.open_features[idx],
            history={k: v if k == "step" else v[idx] for k, v in self.history.items()},
            snapshots=self.snapshots[idx],
            nan_step=self.nan_step[idx],
            params=jax.tree.map(lambda leaf: leaf[idx], self.params),
        )

    @property
    def nbytes(self) -> int:
        """Bytes of its arrays: what keeping it in memory costs."""
        arrays = [
            self.weights,
            self.bias,
            self.train_features,
            self.test_features,
            self.open_features,
            self.snapshots,
            *self.history.values(),
            *jax.tree.leaves(self.params),
            *(getattr(self.data, k) for k in ("x_train", "y_train", "x_test", "y_test", "x_open", "y_open")),
        ]
        return sum(np.asarray(a).nbytes for a in arrays)

    def diverged(self, g: int) -> bool:
        return bool(self.nan_step[g] >= 0)

    def feature_scale(self, g: int) -> float:
        """Median feature length ‖x‖ on the training set (about 10-50 on a healthy run of this toy)."""
        return float(np.median(np.linalg.norm(self.train_features[g].astype(np.float64), axis=-1)))

    def blew_up(self, g: int) -> bool:
        """Finite but out of control: the features grew past BLOWUP_SCALE (with Adam at lr = 1..5 they reach 1e4-1e11
        while the loss still reports success). Angles are still defined, but the run is not one to learn from."""
        return not self.diverged(g) and not self.feature_scale(g) <= BLOWUP_SCALE  # written so that inf counts


BLOWUP_SCALE = 1e3  # median ‖x‖ above which a run's features count as blown up (healthy runs: 10-50)


class Experiment(NamedTuple):
    """One grid to train: its data, its models and its settings."""

    data: Dataset
    specs: tuple[ModelSpec, ...]
    config: TrainConfig
