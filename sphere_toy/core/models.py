"""The embedding net: an MLP with PReLU activations ending in a 2-D or 3-D feature, then the class weights.

SphereFace's nets use PReLU after every convolution (Liu et al., CVPR 2017, Sec. 4.1); for 8x8 digits and toy blobs
a few dense layers are enough. Params are a plain pytree of arrays, so `jax.vmap` stacks a whole grid of models.
"""

from __future__ import annotations

from dataclasses import dataclass

import jax
import jax.numpy as jnp
from jax.typing import ArrayLike

Params = dict  # {"layers": [{"w", "b", "alpha"}, ...], "feature": {"w", "b"}, "head": {"w", "b"}}


@dataclass(frozen=True)
class NetConfig:
    input_dim: int  # F, the input size (64 for 8x8 digits)
    n_classes: int  # C, classes trained on
    hidden: tuple[int, ...] = (64, 64)  # widths of the PReLU hidden layers
    feature_dim: int = 3  # D, the embedding's dimension: 2 or 3 to be drawn, more for open-set verification


def _dense_init(key: jax.Array, fan_in: int, fan_out: int) -> dict:
    # He initialisation, as for ReLU-family nets; biases start at zero.
    w = jax.random.normal(key, (fan_in, fan_out)) * jnp.sqrt(2.0 / fan_in)
    return {"w": w, "b": jnp.zeros(fan_out)}


def init_params(config: NetConfig, *, key: jax.Array) -> Params:
    """Random params for one net. The class weights W (D, C) start as random unit-scale columns, bias at 0."""
    widths = (config.input_dim, *config.hidden)
    keys = jax.random.split(key, len(widths) + 1)
    layers = []
    for k, fan_in, fan_out in zip(keys, widths[:-1], widths[1:]):
        layer = _dense_init(k, fan_in, fan_out)
        layer["alpha"] = jnp.full(fan_out, 0.25)  # PReLU slope for negative inputs, He et al. 2015's init
        layers.append(layer)
    feature = _dense_init(keys[-2], widths[-1], config.feature_dim)
    head_w = jax.random.normal(keys[-1], (config.feature_dim, config.n_classes))
    head = {"w": head_w, "b": jnp.zeros(config.n_classes)}
    return {"layers": layers, "feature": feature, "head": head}


def prelu(x: jax.Array, alpha: jax.Array) -> jax.Array:
    return jnp.where(x >= 0, x, alpha * x)


def embed(params: Params, x: ArrayLike) -> jax.Array:
    """Features of a batch: (B, F) inputs -> (B, D) embeddings. The last layer is linear, as SphereFace's fc5."""
    h = jnp.asarray(x)
    for layer in params["layers"]:
        h = prelu(h @ layer["w"] + layer["b"], layer["alpha"])  # (B, H)
    return h @ params["feature"]["w"] + params["feature"]["b"]  # (B, D)
