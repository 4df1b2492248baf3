"""Train a whole grid of models (any mix of the registered losses, margins and seeds) in one compiled call.

Every loss is a setting of one logit function (`losses.margin_logits`; `margins.hyper` gives each model's bias,
normalisation, scale, margins and λ gating), so the per-model differences are arrays, not Python branches: `jax.vmap`
runs every model of the grid side by side and `jax.lax.scan` runs the steps. Training goes in chunks of
`chunk_steps`, one jitted call each, so a caller (the app) can show progress and the run so far (`progress`'s
`so_far`), and the features are snapshotted between chunks. Several experiments with the same shapes train together
in one call (`train_experiments`): how one laptop serves a class.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, PartitionSpec as P

from sphere_toy.core import margins
from sphere_toy.data import Dataset
from sphere_toy.core.losses import (
    decision_logits,
    effective_weights,
    margin_logits,
    run_lambda_schedule,
)
from sphere_toy.core.models import NetConfig, embed, init_params
from sphere_toy.train.types import Experiment, GridResult, TrainConfig


def enable_compilation_cache() -> str:
    """Point JAX's persistent compilation cache at a per-user directory, so a second process does not recompile.

    $SPHERE_TOY_CACHE wins; else $XDG_CACHE_HOME/sphere_toy/jax; else ~/.cache/sphere_toy/jax.
    """
    path = os.environ.get("SPHERE_TOY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "sphere_toy", "jax"
    )
    os.makedirs(path, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # our programs are small: cache them all
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


enable_compilation_cache()

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


def _optimizer(name: str, momentum: float) -> optax.GradientTransformation:
    # The learning rate is applied outside, as a traced scalar, so a new rate does not recompile.
    return optax.scale_by_adam() if name == "adam" else optax.trace(decay=momentum)


@functools.lru_cache(maxsize=None)
def _mesh() -> Mesh:
    return Mesh(np.array(jax.devices()), ("g",))


def device_count() -> int:
    """The devices a grid is split across (one per CPU core, sphere_toy/__init__.py): a call's models, or merged
    its experiments, are padded to a multiple of it."""
    return len(_mesh().devices)


def model_logits(head: dict, features, labels, hyper: dict, lam, max_m: int) -> jax.Array:
    """One model's training logits: `losses.margin_logits` set by its row of `margins.hyper` (its loss), with λ
    where the model anneals. head: {"w": (D, C), "b": (C,)}; features (B, D), labels (B,) -> (B, C)."""
    return margin_logits(
        features,
        head["w"],
        labels,
        bias=head["b"] * hyper["use_bias"],
        normalize=hyper["normalize"],
        scale=hyper["scale"],
        m=hyper["m"],
        angle_margin=hyper["angle_margin"],
        cos_margin=hyper["cos_margin"],
        lam=jnp.where(hyper["anneals"], lam, 0.0),
        max_m=max_m,
    )


@functools.lru_cache(maxsize=None)
def _chunk_fn(optimizer: str, momentum: float, chunk_steps: int, max_m: int, merged: bool):
    """The jitted chunk of training for one set of static settings; created once per process.

    One experiment (`merged` False): params have a leading model axis G, and every model sees the same minibatch, so
    the first layer is one matmul for the whole grid. Several (`merged` True, `train_experiments`): params are
    (E, M, ...), E experiments of M models; each experiment has its own data, minibatches, learning rate and λ
    schedule, and within it the M models share the minibatch as above. Either way the head has C_bucket classes
    (`padded_size`) and the traced `n_classes` says how many are real (the same for every experiment of a call).
    """
    tx = _optimizer(optimizer, momentum)

    def loss_fn(params, x, y, hyper, lam, n_classes):
        feats = embed(params, x)  # (B, D)
        # The head has a bucket's worth of classes (CLASS_BUCKET); those beyond n_classes are no class: out of
        # every logit, so they take no probability, no gradient and no prediction.
        real = jnp.arange(params["head"]["w"].shape[-1]) < n_classes  # (C_bucket,)
        logits = jnp.where(real, model_logits(params["head"], feats, y, hyper, lam, max_m), -jnp.inf)  # (B, C_bucket)
        loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
        bias = params["head"]["b"] * hyper["use_bias"]
        decision = decision_logits(feats, params["head"]["w"], bias=bias, normalize=hyper["normalize"])
        pred = jnp.argmax(jnp.where(real, decision, -jnp.inf), -1)
        return loss, jnp.mean(pred == y)

    def one_step(params, opt_state, nan_step, x, y, hyper, step, total, lr, lam, n_classes):
        (loss, acc), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, y, hyper, lam, n_classes)
        updates, new_opt = tx.update(grads, opt_state, params)
        new_params = jax.tree.map(lambda p, u: p - lr * u, params, updates)
        leaves_finite = [jnp.all(jnp.isfinite(p)) for p in jax.tree.leaves(new_params)]
        finite = jnp.isfinite(loss) & jnp.all(jnp.array(leaves_finite))
        active = step < total
        # A model that produced NaN/inf is frozen at its last good params and remembers the first bad step.
        nan_step = jnp.where(active & ~finite & (nan_step < 0), step, nan_step)
        keep = active & (nan_step < 0)
        params = jax.tree.map(lambda new, old: jnp.where(keep, new, old), new_params, params)
        opt_state = jax.tree.map(lambda new, old: jnp.where(keep, new, old), new_opt, opt_state)
        return params, opt_state, nan_step, (loss, acc)

    # The models of one experiment share the minibatch x: the first layer is one matmul for all of them.
    models_step = jax.vmap(one_step, in_axes=(0, 0, 0, None, None, 0, None, None, None, None, None))

    def experiment_step(params, opt_state, nan_step, idx, hyper, x_all, y_all, step, total, lr, lam, n_classes):
        return models_step(params, opt_state, nan_step, x_all[idx], y_all[idx], hyper, step, total, lr, lam, n_classes)

    def experiment_snapshot(params, snap_x):
        return jax.vmap(embed, in_axes=(0, None))(params, snap_x)  # (M, snapshot_samples, D), padding included

    if merged:  # experiments side by side: each its own minibatch indices, data, rate and λ
        grid_step = jax.vmap(experiment_step, in_axes=(0, 0, 0, 0, 0, 0, 0, None, None, 0, 0, None))
        grid_snapshot = jax.vmap(experiment_snapshot)
    else:
        grid_step, grid_snapshot = experiment_step, experiment_snapshot

    def run_shard(state, batch_idx, hyper, x_all, y_all, snap_x, start, total, lr, sched, n_classes):
        # One device's share of the grid. batch_idx: (chunk, B), merged (chunk, E, B); sched: the λ schedule;
        # x_all, y_all: the training set, its rows padded (`ROW_BUCKET`; the padding is never sampled).
        def body(carry, inputs):
            params, opt_state, nan_step = carry
            step, idx = inputs
            lam = run_lambda_schedule(
                step, total, sched["base"], sched["gamma"], sched["power"], sched["min"]
            )  # () or (E,)
            params, opt_state, nan_step, (loss, acc) = grid_step(
                params, opt_state, nan_step, idx, hyper, x_all, y_all, step, total, lr, lam, n_classes
            )
            return (params, opt_state, nan_step), (loss, acc)

        steps = start + jnp.arange(chunk_steps)
        state, (loss, acc) = jax.lax.scan(body, state, (steps, batch_idx))  # loss, acc: (chunk, G) or (chunk, E, M)
        return state, loss, acc, grid_snapshot(state[0], snap_x)  # (G, N_snap, D) or (E, M, N_snap, D)

    # The models (merged: the experiments) are independent, so the grid is split across devices: on a CPU each core
    # trains its share (see sphere_toy/__init__.py), which is where the speed of a small grid comes from.
    per = P("g") if merged else P()  # per experiment when merged, else shared by the whole grid
    run = jax.jit(
        jax.shard_map(
            run_shard,
            mesh=_mesh(),
            in_specs=(P("g"), P(None, "g") if merged else P(), P("g"), per, per, per, P(), P(), per, per, P()),
            out_specs=(P("g"), P(None, "g"), P(None, "g"), P("g")),
        )
    )
    return run, jax.jit(grid_snapshot)


@jax.jit
def _final_features(params, x):
    return jax.vmap(embed, in_axes=(0, None))(params, x)  # (G, N, D)


MAX_PROGRAMS = 6  # distinct grid shapes whose compiled programs a process keeps in memory
_programs: set = set()


def _bound_compiled_programs(signature) -> None:
    """Forget JAX's in-memory compiled programs once more than MAX_PROGRAMS grid shapes have been trained.

    JAX keeps what it traced and compiled for every input shape: about 85 MB per grid shape here (twelve hidden
    widths took a process from 300 MB to 1.3 GB and it never shrank). A server meets new shapes for as long as it
    runs (every student's network), so the caches are cleared before a seventh shape compiles; shapes seen before
    then come back from the persistent disk cache in well under a second. Seeds, rates and schedules are traced
    values and never make a new program, nor does a number of classes within its bucket (CLASS_BUCKET).
    """
    if signature in _programs:
        return
    if len(_programs) >= MAX_PROGRAMS:
        jax.clear_caches()
        _programs.clear()
    _programs.add(signature)


def _batch_indices(n: int, steps: int, batch: int, seed: int) -> np.ndarray:
    """(steps, batch) sample indices: shuffled epochs, seeded, so every sample is seen once per epoch."""
    rng = np.random.default_rng(seed)
    need = steps * batch
    order = np.concatenate([rng.permutation(n) for _ in range(-(-need // n))])
    return order[:need].reshape(steps, batch).astype(np.int32)


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


def _max_m(specs) -> int:
    """The largest A-softmax margin a program is compiled for: two buckets, m up to 4 (the paper's) or up to 8."""
    return 4 if margins.max_m(specs) <= 4 else margins.MAX_M


def _program_key(experiments: list, layout: _Layout) -> tuple:
    """What decides the compiled training program of a call: its static settings and every input's shape (the grid,
    the network, the bucket of its classes and training rows, the batch, the chunk, the snapshot). Two calls with
    the same key run the same program."""
    data, config = experiments[0].data, experiments[0].config
    n_train = len(data.y_train)
    return (
        config.optimizer,
        float(config.momentum),
        min(config.chunk_steps, config.steps),
        _max_m(layout.models),
        len(experiments) > 1,
        layout.grid,
        padded_size(n_train, ROW_BUCKET),
        data.n_features,
        tuple(config.hidden),
        config.feature_dim,
        padded_size(data.n_classes, CLASS_BUCKET),
        min(config.batch_size, n_train),
        config.snapshot_samples,
    )


def program_key(experiments) -> tuple:
    """The key of the program that trains `experiments` together (one: alone), as `_bound_compiled_programs` keeps
    it. A pure function of the experiments' shapes and static settings, so a caller may keep it (`cost`)."""
    experiments = [Experiment(*e) for e in experiments]
    return _program_key(experiments, _layout([e.specs for e in experiments]))


def in_memory(key: tuple) -> bool:
    """True if this process holds the program of `key` (`program_key`): training it compiles nothing."""
    return key in _programs


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
    n_bucket = padded_size(data.n_classes, CLASS_BUCKET)
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
    _bound_compiled_programs(_program_key(experiments, layout))
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
