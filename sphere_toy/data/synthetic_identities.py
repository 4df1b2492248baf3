"""Synthetic identities, the toy's stand-in for faces: each person a point in a latent space, each photo that
point moved by shared nuisance factors (pose, light, expression), drawn into 64 inputs by one fixed random network."""

from __future__ import annotations

import functools
import math

import numpy as np


ID_LATENT_DIM = 16  # latent "face" space
ID_NUISANCE_DIM = 6  # shared nuisance directions: yaw, pitch, roll, light azimuth, light elevation, expression
ID_TRAIT_DIM = ID_LATENT_DIM - ID_NUISANCE_DIM  # identity traits, orthogonal to the nuisance directions
ID_INPUT_DIM = 64  # what the network sees (an 8x8 "photo", the size of the digits)
_ID_TRAIT_DECAY = 0.8  # trait j's spread is proportional to 0.8^j: a few traits tell people apart most (face shape),
#   many fine ones a little. For the look of it: equally strong traits (1.0) measured about the same open-set AUCs
#   (seeds 0..2, nuisance 2: raw 0.73, 3-D embeddings 0.87-0.90) with higher closed-set accuracy.
_ID_NOISE = 0.15  # isotropic latent noise per photo (what no factor explains): small, so that the nuisance decides
#   how hard verification is; at 0.3 the 3-D embeddings verified about 0.05 AUC worse at nuisance 2 (raw the same)
_ID_RENDER_HIDDEN = 128  # hidden width of the renderer
_ID_RENDER_SEED = 170408063  # SphereFace's arXiv id; the renderer never depends on DataConfig.seed


@functools.lru_cache(maxsize=1)
def _renderer() -> dict:
    """The fixed world of `identities`: latent axes, the 2-layer tanh renderer and its output standardisation.

    Drawn from `_ID_RENDER_SEED` alone, so every run, every seed and every identity share one renderer (as every face
    is photographed by the same physics). Arrays are read-only: the cache shares them.
    """
    rng = np.random.default_rng(_ID_RENDER_SEED)
    q, _r = np.linalg.qr(rng.standard_normal((ID_LATENT_DIM, ID_LATENT_DIM)))  # random orthonormal columns
    w1 = rng.standard_normal((ID_LATENT_DIM, _ID_RENDER_HIDDEN)) / math.sqrt(ID_LATENT_DIM)
    b1 = 0.5 * rng.standard_normal(_ID_RENDER_HIDDEN)
    w2 = rng.standard_normal((_ID_RENDER_HIDDEN, ID_INPUT_DIM)) / math.sqrt(_ID_RENDER_HIDDEN)
    # A fixed affine map puts the inputs on the scale a small MLP trains well at: zero mean and unit variance per
    # input for a standard normal latent (the scale of traits and of unit nuisance). Fixed, so not data-dependent.
    h = np.tanh(rng.standard_normal((4096, ID_LATENT_DIM)) @ w1 + b1) @ w2
    world = {
        "traits": q[:, :ID_TRAIT_DIM].T,
        "nuisance": q[:, ID_TRAIT_DIM:].T,  # (T, L) and (U, L), orthonormal rows
        "w1": w1,
        "b1": b1,
        "w2": w2,
        "mean": h.mean(axis=0),
        "std": h.std(axis=0),
    }
    for a in world.values():
        a.flags.writeable = False
    return world


def render(z: np.ndarray) -> np.ndarray:
    """The fixed renderer of `identities`: latents (N, 16) -> inputs (N, 64) float32, tanh(z W1 + b1) W2 standardised.

    A pure function of z (no seed): two datasets with different seeds are photos of different people by one camera.
    """
    w = _renderer()
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 2 or z.shape[1] != ID_LATENT_DIM:
        raise ValueError(f"render takes latents of shape (N, {ID_LATENT_DIM}), got {z.shape}")
    x = (np.tanh(z @ w["w1"] + w["b1"]) @ w["w2"] - w["mean"]) / w["std"]
    return x.astype(np.float32)


def identity_latents(
    n_identities: int, *, samples_per_class: int, nuisance: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """The latent points of `identities` before rendering: prototype + nuisance * shared factors + noise.

    Identity i draws its traits and photos from its own stream (child i of `SeedSequence(seed)`), so person i is the
    same person whatever the number of identities, and its first n photos are the same whatever samples_per_class;
    the nuisance strength only scales the shared factors, leaving the rest of every draw as it was.

    Returns:
        z: (n_identities * samples_per_class, 16) float64.
        y: (n_identities * samples_per_class,) int32, identity-blocked (samples_per_class of 0, then of 1, ...).
    """
    if n_identities < 1 or samples_per_class < 1 or not (0.0 <= nuisance < math.inf):
        raise ValueError(
            "identities needs n_identities >= 1, samples_per_class >= 1 and finite nuisance >= 0, got "
            f"{n_identities}, {samples_per_class}, {nuisance}"
        )
    w = _renderer()
    spread = _ID_TRAIT_DECAY ** np.arange(ID_TRAIT_DIM)
    spread /= np.sqrt(np.mean(spread**2))  # mean trait variance 1: the typical spread between identities
    traits = np.empty((n_identities, ID_TRAIT_DIM))
    draws = np.empty((n_identities, samples_per_class, ID_NUISANCE_DIM + ID_LATENT_DIM))
    for i, stream in enumerate(np.random.SeedSequence(seed).spawn(n_identities)):
        rng = np.random.default_rng(stream)
        traits[i] = rng.standard_normal(ID_TRAIT_DIM)
        draws[i] = rng.standard_normal((samples_per_class, ID_NUISANCE_DIM + ID_LATENT_DIM))  # row-major: prefixes
    prototypes = (traits * spread) @ w["traits"]  # (I, L): each person's face, in the trait directions only
    pose, noise = draws[..., :ID_NUISANCE_DIM], draws[..., ID_NUISANCE_DIM:]  # (I, S, U), (I, S, L)
    z = prototypes[:, None, :] + nuisance * pose @ w["nuisance"] + _ID_NOISE * noise  # (I, S, L)
    y = np.repeat(np.arange(n_identities), samples_per_class)
    return z.reshape(-1, ID_LATENT_DIM), y.astype(np.int32)


def identities(
    n_identities: int, *, samples_per_class: int, nuisance: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Synthetic people photographed under varying pose and lighting: the toy's stand-in for face recognition.

    Each identity (a person) is a prototype in a 16-D latent space: 10 identity traits of decreasing spread (a few
    that tell people apart most, like face shape, many finer ones). A photo of that person is the prototype plus the
    nuisance factors every person shares (six fixed latent directions standing for yaw, pitch, roll, light azimuth,
    light elevation and expression, each with a random standard-normal amount per photo, times `nuisance`) plus a
    little noise, drawn into 64 inputs by `render`, one fixed random 2-layer tanh network (the same for every seed).
    What the knobs mean for a face system:

    - identities trained on (`DataConfig.n_classes`): the people in the training set. The more people, the more the
      network learns what makes faces differ in general rather than what tells these few apart (with 3-D features
      at nuisance 2 and 20 people held out, measured AUC: 10 trained people ~0.88, 40 ~0.87, 100 ~0.92).
    - identities held out (`DataConfig.held_out`): people met only at test time (the open set), compared by cosine
      similarity of their embeddings (verification: same person or not?).
    - `samples_per_class`: photos per person.
    - `nuisance`: how much pose, lighting and expression vary between photos, relative to how much people differ
      (1 = each nuisance direction varies as much as an average identity trait); the network must learn to ignore
      it. At 0 the raw inputs verify unseen people almost perfectly (AUC ~1.0); at the default 2 a pair of photos of
      one person is often less alike than a pair of two people (raw-input AUC ~0.73), while a network trained on 40
      people verifies 20 new ones at AUC ~0.86-0.89 with 3-D features and ~0.97-0.98 with 16-D ones.

    Returns:
        x: (n_identities * samples_per_class, 64) float32, standardised by a fixed map (about zero mean, unit variance).
        y: (n_identities * samples_per_class,) int32, identity-blocked.
    """
    z, y = identity_latents(n_identities, samples_per_class=samples_per_class, nuisance=nuisance, seed=seed)
    return render(z), y
