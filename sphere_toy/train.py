"""Train a whole grid of models (softmax, M-softmax, A-softmax for several m and seeds) in one compiled call.

The three losses are settings of one logit function (`losses.margin_logits`: bias on/off, weight normalisation
on/off, margin m, λ), so the per-model differences are arrays, not Python branches: `jax.vmap` runs every model of
the grid side by side and `jax.lax.scan` runs the steps. Training goes in chunks of `chunk_steps`, one jitted call
each, so a caller (the app) can show progress and the features can be snapshotted between chunks.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import time
from dataclasses import dataclass, field
from typing import Callable

import jax
import jax.numpy as jnp
import numpy as np
import optax
from jax.sharding import Mesh, PartitionSpec as P

from sphere_toy import metrics
from sphere_toy.data import Dataset
from sphere_toy.losses import decision_logits, effective_weights, lambda_schedule, margin_logits
from sphere_toy.models import NetConfig, embed, init_params


def enable_compilation_cache() -> str:
    """Point JAX's persistent compilation cache at a per-user directory, so a second process does not recompile.

    $SPHERE_TOY_CACHE wins; else $XDG_CACHE_HOME/sphere_toy/jax; else ~/.cache/sphere_toy/jax.
    """
    path = os.environ.get("SPHERE_TOY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "sphere_toy", "jax")
    os.makedirs(path, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # our programs are small: cache them all
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


enable_compilation_cache()

LOSSES = ("softmax", "msoftmax", "asoftmax")


@dataclass(frozen=True)
class ModelSpec:
    loss: str  # "softmax" | "msoftmax" | "asoftmax"
    m: int = 1  # angular margin; always 1 for softmax and M-softmax
    seed: int = 0  # initialisation; models with the same seed start from the same params

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {LOSSES}, got {self.loss!r}")
        if self.m < 1 or (self.loss != "asoftmax" and self.m != 1):
            raise ValueError(f"m must be >= 1, and 1 unless loss='asoftmax'; got loss={self.loss!r}, m={self.m}")

    @property
    def name(self) -> str:
        """A label for legends: "softmax", "M-softmax", "A-softmax m=4"."""
        return {"softmax": "softmax", "msoftmax": "M-softmax", "asoftmax": f"A-softmax m={self.m}"}[self.loss]


def model_grid(ms=(1, 2, 3, 4), seeds=(0,)) -> tuple[ModelSpec, ...]:
    """Softmax, M-softmax and A-softmax for each m, for each seed: the paper's Fig. 2 / Fig. 5 line-up."""
    return tuple(spec for seed in seeds for spec in (
        ModelSpec("softmax", 1, seed), ModelSpec("msoftmax", 1, seed),
        *(ModelSpec("asoftmax", int(m), seed) for m in ms)))


@dataclass(frozen=True)
class TrainConfig:
    hidden: tuple[int, ...] = (64, 64)  # hidden widths of the MLP
    feature_dim: int = 3  # D: 2 or 3
    steps: int = 3000  # optimisation steps
    batch_size: int = 128  # minibatch size (sampled as shuffled epochs)
    learning_rate: float = 3e-3
    optimizer: str = "adam"  # "adam" | "sgd" (SGD with momentum)
    momentum: float = 0.9  # SGD only
    # λ schedule, λ = max(λ_min, base·(1 + γ·step)^(-power)) (losses.lambda_schedule). The official code's power 1
    # needs ~10⁵ steps to anneal; power 2 gets a 3000-step toy run from λ = 1000 (≈ M-softmax) through λ = 1 at
    # step ~250 to λ ≈ 0.008 at the end, so the last 90% of training is A-softmax with its full margin.
    lambda_base: float = 1000.0
    lambda_gamma: float = 0.12
    lambda_power: float = 2.0
    lambda_min: float = 0.0  # 5 in the paper's face models, which leaves m = 4 with a margin like m ≈ 1.5
    chunk_steps: int = 100  # steps per jitted call; features are snapshotted after each chunk
    snapshot_samples: int = 300  # training samples whose features are snapshotted

    def __post_init__(self):
        checks = [
            (self.feature_dim in (2, 3), "feature_dim must be 2 or 3"),
            (len(self.hidden) >= 1 and all(h >= 1 for h in self.hidden), "hidden widths must be >= 1"),
            (self.steps >= 1, "steps must be >= 1"),
            (self.batch_size >= 1, "batch_size must be >= 1"),
            (self.learning_rate > 0, "learning_rate must be > 0"),
            (self.optimizer in ("adam", "sgd"), "optimizer must be 'adam' or 'sgd'"),
            (0 <= self.momentum < 1, "momentum must be in [0, 1)"),
            (self.lambda_base >= 0 and self.lambda_gamma >= 0 and self.lambda_power >= 0,
             "lambda_base, lambda_gamma and lambda_power must be >= 0"),
            (self.lambda_min >= 0, "lambda_min must be >= 0"),
            (self.chunk_steps >= 1, "chunk_steps must be >= 1"),
        ]
        for ok, message in checks:
            if not ok:
                raise ValueError(message)


@dataclass(frozen=True, eq=False)
class GridResult:
    """Everything a grid run produced, as NumPy arrays; index g runs over `specs`."""
    specs: tuple[ModelSpec, ...]
    config: TrainConfig
    data: Dataset
    weights: np.ndarray  # (G, D, C) class weights as used to classify: unit columns for M-/A-softmax
    bias: np.ndarray  # (G, C) zeros for M-/A-softmax
    train_features: np.ndarray  # (G, N_train, D)
    test_features: np.ndarray  # (G, N_test, D)
    open_features: np.ndarray  # (G, N_open, D) held-out classes
    history: dict  # "step" (L,), and (G, L) "loss", "train_acc" (minibatch), "lambda" (NaN where no margin)
    snapshot_steps: np.ndarray  # (S,) steps at which features were snapshotted, 0 included
    snapshot_index: np.ndarray  # (N_snap,) which training samples the snapshots follow
    snapshots: np.ndarray  # (G, S, N_snap, D)
    nan_step: np.ndarray  # (G,) first step whose loss or params were not finite, -1 if none
    compile_seconds: float
    train_seconds: float
    params: dict = field(repr=False)  # final params pytree, leaves stacked over G
    # Derived numbers that are slow to compute (open-set ROC: ~0.2 s per model), filled on first use. Plain data,
    # so it travels with the result when it is pickled or copied. Threads may race to fill an entry; each computes
    # the same deterministic value and a dict assignment is atomic, so the worst case is work done twice.
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def diverged(self, g: int) -> bool:
        return bool(self.nan_step[g] >= 0)

    def feature_scale(self, g: int) -> float:
        """Median feature length ‖x‖ on the training set (about 10-50 on a healthy run of this toy)."""
        return float(np.median(np.linalg.norm(self.train_features[g].astype(np.float64), axis=-1)))

    def blew_up(self, g: int) -> bool:
        """Finite but out of control: the features grew past BLOWUP_SCALE (with Adam at lr = 1..5 they reach 1e4-1e11
        while the loss still reports success). Angles are still defined, but the run is not one to learn from."""
        return not self.diverged(g) and not self.feature_scale(g) <= BLOWUP_SCALE  # written so that inf counts

    def _memoised(self, key, compute: Callable[[], object]):
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    def open_set_report(self, g: int) -> dict | None:
        """`metrics.open_set_report` of model g on the held-out classes (threshold chosen on training classes);
        None if it diverged or there are fewer than 2 held-out classes. Computed once per result."""
        data = self.data
        if self.diverged(g) or data.n_open_classes < 2:
            return None
        return self._memoised(("open_set", g), lambda: metrics.open_set_report(
            self.train_features[g], data.y_train, self.open_features[g], data.y_open))

    def open_set_reports(self) -> list[dict | None]:
        """`open_set_report` of every model, in grid order."""
        return [self.open_set_report(g) for g in range(len(self.specs))]

    def input_open_set_report(self) -> dict | None:
        """The same verification on the raw inputs (pixels), with no net at all: the yardstick for the models.

        A 2-D or 3-D embedding learnt on a few classes has little room left for classes it never saw; comparing
        with the raw inputs shows how much of the open-set signal the bottleneck keeps (SphereFace's are 512-D).
        """
        data = self.data
        if data.n_open_classes < 2:
            return None
        return self._memoised("open_set_inputs", lambda: metrics.open_set_report(
            data.x_train, data.y_train, data.x_open, data.y_open))

    def record(self, g: int) -> dict:
        """One model's summary numbers (angles in radians, on the closed-set test features).

        A model that diverged gets None for every measurement: its features are not to be trusted.
        """
        spec, data = self.specs[g], self.data
        rec = {"loss": spec.loss, "m": spec.m, "seed": spec.seed, "name": spec.name,
               "nan_step": int(self.nan_step[g]) if self.diverged(g) else None,
               "compile_seconds": self.compile_seconds, "train_seconds": self.train_seconds}
        keys = ("final_loss", "train_acc", "test_acc", "mean_target_angle", "max_intra_angle", "min_inter_angle",
                "p95_intra_angle", "p5_inter_angle", "mean_intra_angle", "mean_inter_angle", "criterion_met",
                "min_weight_angle", "weight_norms", "open_set_auc", "open_set_threshold", "open_set_accuracy")
        if self.diverged(g):
            return {**rec, **dict.fromkeys(keys)}
        w, b, feats = self.weights[g], self.bias[g], self.test_features[g]
        stats = metrics.angle_stats(feats, data.y_test)
        open_set = self.open_set_report(g) or {"auc": None, "threshold": None, "accuracy": None}
        return {
            **rec,
            "final_loss": float(self.history["loss"][g, -1]),
            "train_acc": metrics.accuracy(self.train_features[g], w, b, data.y_train),
            "test_acc": metrics.accuracy(feats, w, b, data.y_test),
            "mean_target_angle": float(np.mean(metrics.target_angles(feats, w, data.y_test))),
            **{k: stats[k] for k in keys[4:11]},
            "min_weight_angle": metrics.min_weight_angle(w),
            "weight_norms": metrics.weight_norms(w).tolist(),  # all 1 for M-/A-softmax; softmax's are free
            **{f"open_set_{k}": None if open_set[k] is None else float(open_set[k])
               for k in ("auc", "threshold", "accuracy")},
        }

    def records(self) -> list[dict]:
        return [self.record(g) for g in range(len(self.specs))]


BLOWUP_SCALE = 1e3  # median ‖x‖ above which a run's features count as blown up (healthy runs: 10-50)


def _optimizer(name: str, momentum: float) -> optax.GradientTransformation:
    # The learning rate is applied outside, as a traced scalar, so a new rate does not recompile.
    return optax.scale_by_adam() if name == "adam" else optax.trace(decay=momentum)


def _hyper(specs) -> dict:
    """The per-model settings that turn the one logit function into each loss, as (G,) arrays."""
    return {
        "use_bias": jnp.array([s.loss == "softmax" for s in specs], jnp.float32),
        "normalize": jnp.array([s.loss != "softmax" for s in specs]),
        "m": jnp.array([s.m for s in specs], jnp.int32),
        "margin": jnp.array([s.m > 1 for s in specs]),
    }


@functools.lru_cache(maxsize=None)
def _mesh() -> Mesh:
    return Mesh(np.array(jax.devices()), ("g",))


@functools.lru_cache(maxsize=None)
def _chunk_fn(optimizer: str, momentum: float, chunk_steps: int, max_m: int):
    """The jitted chunk of training for one set of static settings; created once per process."""
    tx = _optimizer(optimizer, momentum)

    def loss_fn(params, x, y, hyper, lam):
        feats = embed(params, x)  # (B, D)
        bias = params["head"]["b"] * hyper["use_bias"]
        logits = margin_logits(feats, params["head"]["w"], y, bias=bias, normalize=hyper["normalize"],
                               m=hyper["m"], lam=lam, max_m=max_m)  # (B, C)
        loss = optax.softmax_cross_entropy_with_integer_labels(logits, y).mean()
        pred = jnp.argmax(decision_logits(feats, params["head"]["w"], bias=bias, normalize=hyper["normalize"]), -1)
        return loss, jnp.mean(pred == y)

    def one_step(params, opt_state, nan_step, idx, hyper, x_all, y_all, step, total, lr, lam):
        x, y = x_all[idx], y_all[idx]  # (B, F), (B,)
        (loss, acc), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, y, hyper, lam)
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

    # Every model sees the same minibatch (idx is shared), so the first layer is one matmul for the whole grid.
    grid_step = jax.vmap(one_step, in_axes=(0, 0, 0, None, 0, None, None, None, None, None, 0))

    def run_shard(state, batch_idx, hyper, x_all, y_all, snap_x, start, total, lr, sched):
        # One device's share of the grid. batch_idx: (chunk, B), shared by all models; sched: the λ schedule.
        def body(carry, inputs):
            params, opt_state, nan_step = carry
            step, idx = inputs
            lam = lambda_schedule(step, sched["base"], sched["gamma"], sched["power"], sched["min"])
            lam_g = jnp.where(hyper["margin"], lam, 0.0)  # (G,): λ only matters where there is a margin
            params, opt_state, nan_step, (loss, acc) = grid_step(
                params, opt_state, nan_step, idx, hyper, x_all, y_all, step, total, lr, lam_g)
            return (params, opt_state, nan_step), (loss, acc)

        steps = start + jnp.arange(chunk_steps)
        state, (loss, acc) = jax.lax.scan(body, state, (steps, batch_idx))  # loss, acc: (chunk, G)
        snapshot = jax.vmap(embed, in_axes=(0, None))(state[0], snap_x)  # (G, N_snap, D)
        return state, loss, acc, snapshot

    # The models are independent, so the grid is split across devices: on a CPU each core trains its share
    # (see sphere_toy/__init__.py), which is where the speed of a small grid comes from.
    run = jax.jit(jax.shard_map(
        run_shard, mesh=_mesh(),
        in_specs=(P("g"), P(), P("g"), P(), P(), P(), P(), P(), P(), P()),
        out_specs=(P("g"), P(None, "g"), P(None, "g"), P("g"))))
    return run


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
    values and never make a new program.
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


def train_grid(data: Dataset, specs, config: TrainConfig = TrainConfig(),
               progress: Callable[[int, int], None] | None = None) -> GridResult:
    """Train every model of `specs` on `data` at once; `progress(done, total)` is called after each chunk."""
    specs = tuple(specs)
    if not specs:
        raise ValueError("specs must name at least one model")
    n_dev = len(_mesh().devices)
    padded = specs + (specs[-1],) * (-len(specs) % n_dev)  # a multiple of the device count; extras are dropped
    net = NetConfig(input_dim=data.n_features, n_classes=data.n_classes, hidden=tuple(config.hidden),
                    feature_dim=config.feature_dim)
    seeds = sorted({s.seed for s in specs})
    inits = {seed: init_params(net, key=jax.random.PRNGKey(seed)) for seed in seeds}
    params = jax.tree.map(lambda *leaves: jnp.stack(leaves), *[inits[s.seed] for s in padded])
    tx = _optimizer(config.optimizer, config.momentum)
    state = (params, jax.vmap(tx.init)(params), jnp.full(len(padded), -1, jnp.int32))

    chunk = min(config.chunk_steps, config.steps)
    n_chunks = -(-config.steps // chunk)
    batch = min(config.batch_size, len(data.y_train))
    # One minibatch order for the whole grid (from the first seed): models differ only by loss and initialisation.
    batch_idx = _batch_indices(len(data.y_train), n_chunks * chunk, batch, seeds[0])  # (steps, B)
    snap_index = np.sort(np.random.default_rng(seeds[0]).permutation(len(data.y_train))[:config.snapshot_samples])
    x_all, y_all = jnp.asarray(data.x_train), jnp.asarray(data.y_train)
    snap_x = x_all[snap_index]
    hyper = _hyper(padded)
    schedule = {"base": config.lambda_base, "gamma": config.lambda_gamma, "power": config.lambda_power,
                "min": config.lambda_min}
    sched = {k: jnp.float32(v) for k, v in schedule.items()}
    lr, total = jnp.float32(config.learning_rate), jnp.int32(config.steps)

    run = _chunk_fn(config.optimizer, float(config.momentum), chunk, max(s.m for s in specs))
    t0 = time.perf_counter()
    args = (state, batch_idx[:chunk], hyper, x_all, y_all, snap_x, jnp.int32(0), total, lr, sched)
    _bound_compiled_programs((config.optimizer, config.momentum, chunk, max(s.m for s in specs),
                              tuple(np.shape(leaf) for leaf in jax.tree.leaves(args))))
    compiled = run.lower(*args).compile()  # served from the persistent cache when another process compiled it
    snapshots = [np.asarray(_final_features(state[0], snap_x))]  # step 0; compiles the feature function too
    compile_seconds = time.perf_counter() - t0

    t0 = time.perf_counter()
    losses, accs = [], []
    for i in range(n_chunks):
        start = i * chunk
        state, loss, acc, snap = compiled(state, batch_idx[start:start + chunk], hyper, x_all, y_all, snap_x,
                                          jnp.int32(start), total, lr, sched)
        losses.append(loss), accs.append(acc)
        snapshots.append(np.asarray(snap))  # waits for the chunk to finish, so the progress shown is honest
        if progress is not None:
            progress(min(start + chunk, config.steps), config.steps)
    params, _, nan_step = state
    train_seconds = time.perf_counter() - t0

    g = len(specs)
    params = jax.tree.map(lambda leaf: leaf[:g], params)
    loss = np.concatenate([np.asarray(l) for l in losses])[:config.steps, :g].T  # (G, steps)
    acc = np.concatenate([np.asarray(a) for a in accs])[:config.steps, :g].T
    steps = np.arange(config.steps)
    lam = np.asarray(lambda_schedule(steps, **{("lambda_min" if k == "min" else k): v for k, v in schedule.items()}))
    margin = np.array([s.m > 1 for s in specs])
    splits = (data.x_train, data.x_test, data.x_open)
    features = np.asarray(_final_features(params, jnp.asarray(np.concatenate(splits))))  # one call: one compile
    features = np.split(features, np.cumsum([len(x) for x in splits])[:-1], axis=1)
    normalize = np.asarray(hyper["normalize"])[:g]
    weights = np.asarray(jax.vmap(effective_weights)(params["head"]["w"], jnp.asarray(normalize)))
    bias = np.asarray(params["head"]["b"]) * np.asarray(hyper["use_bias"])[:g, None]
    return GridResult(
        specs=specs, config=config, data=data, weights=weights, bias=bias,
        train_features=features[0], test_features=features[1], open_features=features[2],
        history={"step": steps + 1, "loss": loss, "train_acc": acc,
                 "lambda": np.where(margin[:, None], lam[None, :], np.nan)},
        snapshot_steps=np.minimum(np.arange(n_chunks + 1) * chunk, config.steps), snapshot_index=snap_index,
        snapshots=np.stack(snapshots, axis=1)[:g], nan_step=np.asarray(nan_step)[:g],
        compile_seconds=compile_seconds, train_seconds=train_seconds,
        params=jax.tree.map(np.asarray, params))


def save_result(result: GridResult, path) -> None:
    """Write a grid's features, labels, weights, history and snapshots to one .npz (NumPy arrays and JSON text)."""
    data = result.data
    np.savez_compressed(
        path,
        specs=json.dumps([dataclasses.asdict(s) for s in result.specs]),
        config=json.dumps(dataclasses.asdict(result.config)),
        class_names=np.array(data.class_names), n_classes=data.n_classes,
        y_train=data.y_train, y_test=data.y_test, y_open=data.y_open,
        weights=result.weights, bias=result.bias, train_features=result.train_features,
        test_features=result.test_features, open_features=result.open_features,
        **{f"history_{k}": v for k, v in result.history.items()},
        snapshot_steps=result.snapshot_steps, snapshot_index=result.snapshot_index, snapshots=result.snapshots,
        nan_step=result.nan_step, compile_seconds=result.compile_seconds, train_seconds=result.train_seconds)


def load_result(path) -> dict:
    """Read what `save_result` wrote back: a dict of arrays, with "specs" as ModelSpecs, "config" a TrainConfig."""
    with np.load(path) as f:
        out = {k: f[k] for k in f.files}
    out["specs"] = tuple(ModelSpec(**s) for s in json.loads(str(out["specs"])))
    config = json.loads(str(out["config"]))
    out["config"] = TrainConfig(**{**config, "hidden": tuple(config["hidden"])})
    out["history"] = {k[len("history_"):]: out.pop(k) for k in list(out) if k.startswith("history_")}
    return out
