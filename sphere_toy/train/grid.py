"""Train a whole grid of models (any mix of the registered losses, margins and seeds) in one compiled call.

Training goes in chunks of `chunk_steps`, one call of the compiled program (`step._chunk_fn`) each, so a caller (the
app) can show progress and the run so far (`progress`'s `so_far`), and the features are snapshotted between chunks.
Several experiments with the same shapes train together in one call (`train_experiments`): how one laptop serves a
class. Around it: `padding` (the buckets of classes and rows the program sees), `layout` (what trains together, and
where in the grid), `cache` (the compiled programs a process keeps, on disk and in memory).
"""

from __future__ import annotations

import time
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np

from sphere_toy.core import margins
from sphere_toy.core.losses import effective_weights, run_lambda_schedule
from sphere_toy.core.models import NetConfig, init_params
from sphere_toy.data import Dataset
from sphere_toy.train import cache, padding
from sphere_toy.train.layout import _layout, merge_key
from sphere_toy.train.padding import _pad_classes, _pad_rows, padded_size
from sphere_toy.train.step import _chunk_fn, _final_features, _max_m, _optimizer
from sphere_toy.train.types import Experiment, GridResult, TrainConfig


def _batch_indices(n: int, steps: int, batch: int, seed: int) -> np.ndarray:
    """(steps, batch) sample indices: shuffled epochs, seeded, so every sample is seen once per epoch."""
    rng = np.random.default_rng(seed)
    need = steps * batch
    order = np.concatenate([rng.permutation(n) for _ in range(-(-need // n))])
    return order[:need].reshape(steps, batch).astype(np.int32)


Progress = Callable[..., None]  # progress(done, total, so_far): so_far(e) is experiment e's GridResult up to `done`


def train_grid(
    data: Dataset, specs, config: TrainConfig = TrainConfig(), progress: Progress | None = None
) -> GridResult:
    """Train every model of `specs` on `data` at once; `progress(done, total, so_far)` is called after each chunk,
    where `so_far()` is the run up to that step as a `GridResult` (for live pictures)."""
    return train_experiments([Experiment(data, tuple(specs), config)], progress)[0]


def train_experiments(experiments, progress: Progress | None = None) -> list[GridResult]:
    """Train the models of several experiments side by side in one compiled call, each on its own data, minibatch
    order, learning rate and λ schedule; one `GridResult` per experiment, as if it had been trained alone (to float
    rounding: a bigger grid sums in a different order). Every experiment must have the same `merge_key`.

    This is how one laptop serves a class: thirty students' seeds or margins on the same preset are one call.
    Specs that train alike (`margins.distinct`: A-softmax m = 1 and M-softmax of one seed) are one model, trained once.
    """
    experiments = [Experiment(data, tuple(specs), config) for data, specs, config in experiments]
    if not experiments or not all(e.specs for e in experiments):
        raise ValueError("every experiment must name at least one model")
    if len({merge_key(e.data, e.config) for e in experiments}) > 1:
        raise ValueError("experiments that differ in shapes, steps, batch or optimizer cannot train together")
    data, config = experiments[0].data, experiments[0].config
    merged = len(experiments) > 1
    layout = _layout([e.specs for e in experiments])
    padded_experiments = experiments + [experiments[-1]] * (layout.experiments - len(experiments))
    padded, where, grid = layout.models, layout.where, layout.grid

    def to_grid(leaf):  # a flat (G_padded, ...) array in the layout the program takes: (E, M, ...) when merged
        return leaf.reshape(grid + leaf.shape[1:])

    net = NetConfig(
        input_dim=data.n_features, n_classes=data.n_classes, hidden=tuple(config.hidden), feature_dim=config.feature_dim
    )
    n_bucket = padded_size(data.n_classes, padding.CLASS_BUCKET)
    inits = {
        seed: _pad_classes(init_params(net, key=jax.random.PRNGKey(seed)), n_bucket)
        for seed in sorted({s.seed for s in padded})
    }
    params = jax.tree.map(lambda *leaves: jnp.stack(leaves), *[inits[s.seed] for s in padded])
    tx = _optimizer(config.optimizer, config.momentum)
    state = jax.tree.map(to_grid, (params, jax.vmap(tx.init)(params), jnp.full(len(padded), -1, jnp.int32)))

    chunk = min(config.chunk_steps, config.steps)
    n_chunks = -(-config.steps // chunk)
    n_train = len(data.y_train)
    batch = min(config.batch_size, n_train)
    # One minibatch order per experiment (from its first seed): its models differ only by loss and initialisation.
    first_seeds = [min(s.seed for s in e.specs) for e in padded_experiments]
    orders = [_batch_indices(n_train, n_chunks * chunk, batch, seed) for seed in first_seeds]  # each (steps, B)
    # The samples whose features are snapshotted: snapshot_samples of them (fewer when the training set is smaller:
    # the program's rows are then padded to snapshot_samples, so that the program keeps its shape).
    snap_index = [
        np.sort(np.random.default_rng(seed).permutation(n_train)[: config.snapshot_samples]) for seed in first_seeds
    ]
    hyper = jax.tree.map(to_grid, margins.hyper(padded))
    schedules = [
        {
            "base": e.config.lambda_base,
            "gamma": e.config.lambda_gamma,
            "power": e.config.lambda_power,
            "min": e.config.lambda_min,
        }
        for e in padded_experiments
    ]
    if merged:
        batch_idx = np.stack(orders, 1)  # (steps, E, B)
        x_all = jnp.asarray(np.stack([_pad_rows(e.data.x_train) for e in padded_experiments]))  # (E, N_bucket, F)
        y_all = jnp.asarray(np.stack([_pad_rows(e.data.y_train) for e in padded_experiments]))  # (E, N_bucket)
        snap_x = jnp.asarray(
            np.stack(
                [_pad_rows(e.data.x_train[i], config.snapshot_samples) for e, i in zip(padded_experiments, snap_index)]
            )
        )
        sched = {k: jnp.asarray([s[k] for s in schedules], jnp.float32) for k in schedules[0]}  # each (E,)
        lr = jnp.asarray([e.config.learning_rate for e in padded_experiments], jnp.float32)  # (E,)
    else:
        batch_idx = orders[0]  # (steps, B)
        x_all, y_all = jnp.asarray(_pad_rows(data.x_train)), jnp.asarray(_pad_rows(data.y_train))
        snap_x = jnp.asarray(_pad_rows(data.x_train[snap_index[0]], config.snapshot_samples))
        sched = {k: jnp.float32(v) for k, v in schedules[0].items()}
        lr = jnp.float32(config.learning_rate)
    total, n_classes = jnp.int32(config.steps), jnp.int32(data.n_classes)

    run, snapshot = _chunk_fn(config.optimizer, float(config.momentum), chunk, _max_m(padded), merged)
    t0 = time.perf_counter()
    args = (state, batch_idx[:chunk], hyper, x_all, y_all, snap_x, jnp.int32(0), total, lr, sched, n_classes)
    cache._bound_compiled_programs(cache._program_key(experiments, layout))  # cache's own: a test may swap it
    compiled = run.lower(*args).compile()  # served from the persistent cache when another process compiled it

    def flat(array) -> np.ndarray:  # the program's (E, M, ...) back to (G_padded, ...); a no-op for one experiment
        array = np.asarray(array)
        return array.reshape((-1,) + array.shape[2:]) if merged else array

    def flat_steps(array) -> np.ndarray:  # (chunk, E, M) -> (chunk, G_padded)
        array = np.asarray(array)
        return array.reshape(array.shape[0], -1) if merged else array

    snapshots = [flat(snapshot(state[0], snap_x))]  # step 0; compiles the feature function too
    compile_seconds = time.perf_counter() - t0

    def result(e: int, done: int, params, nan_step, losses, accs, seconds: float) -> GridResult:
        """Experiment e's GridResult after `done` steps: its models' slices of the grid's arrays (only these are
        copied, so a live picture of one run costs what that run costs)."""
        ex, idx = experiments[e], where[e]
        mine = jax.tree.map(lambda leaf: flat(leaf)[idx], params)
        classes = ex.data.n_classes  # the head without its padding
        mine = {**mine, "head": {"w": mine["head"]["w"][..., :classes], "b": mine["head"]["b"][..., :classes]}}
        splits = (ex.data.x_train, ex.data.x_test, ex.data.x_open)
        rows = np.concatenate(splits)  # one call on rows padded to a bucket, without the head: one compiled program
        net = {"layers": mine["layers"], "feature": mine["feature"]}
        features = np.asarray(_final_features(net, jnp.asarray(_pad_rows(rows))))[:, : len(rows)]
        features = np.split(features, np.cumsum([len(x) for x in splits])[:-1], axis=1)
        normalize, use_bias = flat(hyper["normalize"])[idx], flat(hyper["use_bias"])[idx]
        weights = np.asarray(jax.vmap(effective_weights)(jnp.asarray(mine["head"]["w"]), jnp.asarray(normalize)))
        steps = np.arange(done)
        lam = np.asarray(
            run_lambda_schedule(
                steps,
                ex.config.steps,
                schedules[e]["base"],
                schedules[e]["gamma"],
                schedules[e]["power"],
                schedules[e]["min"],
            )
        )
        anneals = flat(hyper["anneals"])[idx]
        return GridResult(
            specs=ex.specs,
            config=ex.config,
            data=ex.data,
            weights=weights,
            bias=mine["head"]["b"] * use_bias[:, None],
            train_features=features[0],
            test_features=features[1],
            open_features=features[2],
            history={
                "step": steps + 1,
                "loss": np.concatenate([flat_steps(x)[:, idx] for x in losses])[:done].T,  # (G_e, done)
                "train_acc": np.concatenate([flat_steps(x)[:, idx] for x in accs])[:done].T,
                "lambda": np.where(anneals[:, None], lam[None, :], np.nan),
            },
            snapshot_steps=np.minimum(np.arange(len(losses) + 1) * chunk, config.steps),
            snapshot_index=snap_index[e],
            snapshots=np.stack([s[idx, : len(snap_index[e])] for s in snapshots[: len(losses) + 1]], axis=1),
            nan_step=flat(nan_step)[idx],
            compile_seconds=compile_seconds,
            train_seconds=seconds,
            params=mine,
        )

    t0 = time.perf_counter()
    losses, accs = [], []
    for i in range(n_chunks):
        start = i * chunk
        state, loss, acc, snap = compiled(
            state,
            batch_idx[start : start + chunk],
            hyper,
            x_all,
            y_all,
            snap_x,
            jnp.int32(start),
            total,
            lr,
            sched,
            n_classes,
        )
        losses.append(loss), accs.append(acc)
        snapshots.append(flat(snap))  # waits for the chunk to finish, so the progress shown is honest
        if progress is not None:
            done, now = min(start + chunk, config.steps), state
            elapsed = time.perf_counter() - t0
            progress(
                done,
                config.steps,
                lambda e=0, done=done, now=now, k=len(losses), t=elapsed: result(
                    e, done, now[0], now[2], losses[:k], accs[:k], t
                ),
            )
    params, _, nan_step = state
    seconds = time.perf_counter() - t0
    return [result(e, config.steps, params, nan_step, losses, accs, seconds) for e in range(len(experiments))]
