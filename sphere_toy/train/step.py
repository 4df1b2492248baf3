"""The compiled training program: one chunk of steps for every model of a grid, split across the devices.

Every loss is a setting of one logit function (`losses.margin_logits`; `margins.hyper` gives each model's bias,
normalisation, scale, margins and λ gating), so the per-model differences are arrays, not Python branches: `jax.vmap`
runs every model of the grid side by side, `jax.lax.scan` runs a chunk's steps, and `jax.shard_map` splits the models
(merged: the experiments) across the devices, one per CPU core. `grid.train_experiments` calls it chunk by chunk.
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, PartitionSpec as P

from sphere_toy.core import margins
from sphere_toy.core.losses import decision_logits, margin_logits, run_lambda_schedule
from sphere_toy.core.models import embed


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


def _max_m(specs) -> int:
    """The largest A-softmax margin a program is compiled for: two buckets, m up to 4 (the paper's) or up to 8."""
    return 4 if margins.max_m(specs) <= 4 else margins.MAX_M


@functools.lru_cache(maxsize=None)
def _chunk_fn(optimizer: str, momentum: float, chunk_steps: int, max_m: int, merged: bool):
    """The jitted chunk of training for one set of static settings; created once per process.

    One experiment (`merged` False): params have a leading model axis G, and every model sees the same minibatch, so
    the first layer is one matmul for the whole grid. Several (`merged` True, `grid.train_experiments`): params are
    (E, M, ...), E experiments of M models; each experiment has its own data, minibatches, learning rate and λ
    schedule, and within it the M models share the minibatch as above. Either way the head has C_bucket classes
    (`padding.padded_size`) and the traced `n_classes` says how many are real (the same for every experiment of a call).
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
