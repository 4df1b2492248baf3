"""A whole grid run to one .npz and back (`python -m sphere_toy train --out`, `figures --from`)."""

from __future__ import annotations

import dataclasses
import json

import jax
import numpy as np

from sphere_toy.data import Dataset
from sphere_toy.core.margins import ModelSpec
from sphere_toy.core.models import NetConfig, init_params
from sphere_toy.train.types import GridResult, TrainConfig


def save_result(result: GridResult, path) -> None:
    """Write a whole grid run to one .npz: the data, features, weights, history, snapshots and the final params
    (NumPy arrays, with the specs and config as JSON text). `load_result` reads it back as a `GridResult`."""
    data = result.data
    np.savez_compressed(
        path,
        specs=json.dumps([dataclasses.asdict(s) for s in result.specs]),
        config=json.dumps(dataclasses.asdict(result.config)),
        class_names=np.array(data.class_names),
        n_classes=data.n_classes,
        **{f"data_{k}": getattr(data, k) for k in _DATA_ARRAYS},
        weights=result.weights,
        bias=result.bias,
        train_features=result.train_features,
        test_features=result.test_features,
        open_features=result.open_features,
        **{f"history_{k}": v for k, v in result.history.items()},
        snapshot_steps=result.snapshot_steps,
        snapshot_index=result.snapshot_index,
        snapshots=result.snapshots,
        nan_step=result.nan_step,
        compile_seconds=result.compile_seconds,
        train_seconds=result.train_seconds,
        **{f"params_{i}": leaf for i, leaf in enumerate(jax.tree.leaves(result.params))},
    )


_DATA_ARRAYS = ("x_train", "y_train", "x_test", "y_test", "x_open", "y_open")


def load_result(path) -> GridResult:
    """The `GridResult` that `save_result` wrote, to evaluate or draw again without training."""
    with np.load(path) as f:
        out = {k: f[k] for k in f.files}
    specs = tuple(ModelSpec(**s) for s in json.loads(str(out["specs"])))
    config = json.loads(str(out["config"]))
    config = TrainConfig(**{**config, "hidden": tuple(config["hidden"])})
    data = Dataset(
        **{k: out[f"data_{k}"] for k in _DATA_ARRAYS},
        class_names=tuple(map(str, out["class_names"])),
        n_classes=int(out["n_classes"]),
    )
    net = NetConfig(
        input_dim=data.n_features, n_classes=data.n_classes, hidden=config.hidden, feature_dim=config.feature_dim
    )
    structure = jax.tree.structure(jax.eval_shape(lambda: init_params(net, key=jax.random.PRNGKey(0))))
    n_leaves = structure.num_leaves
    params = jax.tree.unflatten(structure, [out[f"params_{i}"] for i in range(n_leaves)])
    return GridResult(
        specs=specs,
        config=config,
        data=data,
        weights=out["weights"],
        bias=out["bias"],
        train_features=out["train_features"],
        test_features=out["test_features"],
        open_features=out["open_features"],
        history={k[len("history_") :]: v for k, v in out.items() if k.startswith("history_")},
        snapshot_steps=out["snapshot_steps"],
        snapshot_index=out["snapshot_index"],
        snapshots=out["snapshots"],
        nan_step=out["nan_step"],
        compile_seconds=float(out["compile_seconds"]),
        train_seconds=float(out["train_seconds"]),
        params=params,
    )
