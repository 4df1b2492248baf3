"""Toy datasets for the SphereFace visualizer: Gaussian blobs, sklearn's 8x8 digits and synthetic identities.

A dataset has three parts: a closed set of K trained classes split into train and test (as in the paper's
closed-set identification), and an open set of H held-out classes the network never sees in training, used for
open-set verification (Liu et al., "SphereFace", CVPR 2017, arXiv:1704.08063, Sec. 1 and Fig. 1). Held-out labels
are numbered K..K+H-1 so they can never be mistaken for a trained label.

"identities" is the toy's stand-in for faces, where the open set is the whole point: many people, a few photos each,
and two photos of one person often differ by pose and lighting as much as photos of two people do. Each identity is
a point in a 16-D latent space (its face); a photo is that point moved by nuisance factors every identity shares
(pose, lighting, expression: six fixed latent directions with per-photo random amounts) plus a little noise, then
drawn by one fixed random "renderer" network into 64 inputs (see `identities`). Raw inputs are poor at telling
people apart by cosine; a network trained to classify the training identities learns to ignore the nuisance, and its
embedding then verifies people it never saw.

Everything is NumPy + scikit-learn and deterministic, nothing is downloaded: the same `DataConfig` gives
bit-identical arrays.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import pathlib
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from sphere_toy.i18n import N_, _

SOURCES = ("blobs", "digits", "identities")
N_DIGITS = 10  # sklearn's digits has the ten classes 0..9
MAX_IDENTITIES = 400  # identities: most trained identities (n_classes) load() accepts
MAX_HELD_OUT_IDENTITIES = 200  # identities: most held-out identities
# At overlap = 1 the nearest class centres are this many cluster standard deviations apart: a pair of blobs is then
# confused about Phi(-2) ~ 2% of the time by the Bayes rule, so the default is learnable but not trivial.
_SEPARATION = 4.0
_MIN_TRAIN, _MIN_TEST = 2, 1  # smallest per-class counts load() accepts after the split and the imbalance


@dataclass(frozen=True)
class DataConfig:
    """Everything that determines a dataset; frozen so it can be a cache key."""

    source: str = "digits"  # "blobs" | "digits" | "identities"
    n_classes: int = 6  # K classes trained on (closed set); identities: the people in the training set (<= 400)
    held_out: int = 4  # H extra classes used only for open-set verification (0 = none); digits: the classes after the
    #   trained ones, blobs: extra generated Gaussian classes, identities: people met only at test time (<= 200)
    classes: tuple[int, ...] | None = None  # digits only: explicit trained digit ids, e.g. (0, 1, 7), len must be K;
    #   held-out ones are then the first H of the remaining digits in increasing order
    imbalance: float = 1.0  # largest/smallest class size in the TRAINING set (1 = balanced); class 0 keeps all its
    #   n_0 samples and class i keeps n_0 * imbalance^(-i/(K-1)), so 1 trims every class to n_0 (exactly balanced)
    test_fraction: float = 0.2  # stratified fraction of each trained class kept for the closed-set test
    overlap: float = 1.0  # blobs only: cluster std in units of nearest-centre spacing / 4 (1 = nearest centres 4 std
    #   apart); larger = harder
    input_dim: int = 32  # blobs only: dimension of the input space
    samples_per_class: int = 150  # blobs and identities: samples generated per class before split and imbalance
    #   (identities: photos per person)
    nuisance: float = 2.0  # identities only: strength of the pose/lighting/expression variation every identity shares,
    #   in units of the typical spread between identities (0 = every photo of a person alike up to noise). The default
    #   is measured (IDENTITIES_PRESET, seeds 0..4): raw inputs verify unseen people at AUC 0.73, trained 3-D
    #   embeddings at 0.86-0.89 with every loss, 16-D ones at 0.97-0.98
    seed: int = 0  # seeds every random choice (blobs, identities' people and photos, split, imbalance subsampling);
    #   never the identities' renderer, which is fixed


# The identities set-up the `nuisance` default was measured at (40 people trained on, 20 met at test time, 60 photos
# each): a starting point for the open-set lab.
IDENTITIES_PRESET = DataConfig(source="identities", n_classes=40, held_out=20, samples_per_class=60)


@dataclass(frozen=True, eq=False)
class Dataset:
    """Closed-set train/test arrays plus open-set (held-out class) arrays."""

    x_train: np.ndarray  # (N_train, F) float32
    y_train: np.ndarray  # (N_train,) int32 in 0..K-1
    x_test: np.ndarray  # (N_test, F) float32
    y_test: np.ndarray  # (N_test,) int32 in 0..K-1
    x_open: np.ndarray  # (N_open, F) float32: samples of held-out classes (may be (0, F))
    y_open: np.ndarray  # (N_open,) int32 in K..K+H-1
    class_names: tuple[str, ...]  # names for labels 0..K+H-1, trained first, then held-out ("digit 7", "blob 3",
    #   "id 7")
    n_classes: int  # K

    @property
    def n_features(self) -> int:
        """F, the input dimension."""
        return self.x_train.shape[1]

    @property
    def n_open_classes(self) -> int:
        """H, the number of held-out classes."""
        return len(self.class_names) - self.n_classes


def blobs(
    n_classes: int, *, samples_per_class: int, input_dim: int, overlap: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Isotropic Gaussian clusters around random centres, standardised per feature.

    Centres are random Gaussian directions on the unit sphere, rescaled so the two nearest centres are exactly
    `spacing` = 1 apart; each sample is centre + sigma * N(0, I) with sigma = overlap * spacing / _SEPARATION. The std
    along the line joining two centres is sigma, so their confusion rate grows with `overlap` in any dimension.

    Returns:
        x: (n_classes * samples_per_class, input_dim) float32, zero mean and unit variance per feature.
        y: (n_classes * samples_per_class,) int32, class-blocked (samples_per_class of 0, then of 1, ...).
    """
    if n_classes < 1 or samples_per_class < 1 or input_dim < 2 or not (0.0 < overlap < math.inf):
        raise ValueError(
            "blobs needs n_classes >= 1, samples_per_class >= 1, input_dim >= 2 and finite overlap > 0, got "
            f"{n_classes}, {samples_per_class}, {input_dim}, {overlap}"
        )
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((n_classes, input_dim))  # (C, D)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    dist = np.linalg.norm(centres[:, None, :] - centres[None, :, :], axis=-1)  # (C, C)
    # Guard against two coincident draws (probability 0, but a division by zero would be silent).
    spacing = max(dist[~np.eye(n_classes, dtype=bool)].min(), 1e-12) if n_classes > 1 else 1.0
    centres /= spacing  # nearest pair now exactly 1 apart
    sigma = overlap / _SEPARATION
    y = np.repeat(np.arange(n_classes), samples_per_class)  # (N,)
    x = centres[y] + sigma * rng.standard_normal((y.size, input_dim))  # (N, D)
    # A global affine map changes no class boundary; it only puts inputs on the scale a small MLP trains well at.
    x = (x - x.mean(axis=0)) / x.std(axis=0)
    return x.astype(np.float32), y.astype(np.int32)


# The identities' world. Fixed constants: changing any of them changes every identities dataset.
ID_LATENT_DIM = 16  # latent "face" space
ID_NUISANCE_DIM = 6  # shared nuisance directions: yaw, pitch, roll, light azimuth, light elevation, expression
ID_TRAIT_DIM = ID_LATENT_DIM - ID_NUISANCE_DIM  # identity traits, orthogonal to the nuisance directions
ID_INPUT_DIM = 64  # what the network sees (an 8x8 "photo", the size of the digits)
DIGIT_PIXELS = 64  # sklearn's digits: 8x8 pixels
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


def _digits_csv() -> pathlib.Path | None:
    """The digits file scikit-learn ships (`sklearn/datasets/data/digits.csv.gz`), found without importing
    scikit-learn; None if it is not where scikit-learn has always kept it."""
    spec = importlib.util.find_spec("sklearn")  # finds the package on the path; runs none of it
    for folder in (spec.submodule_search_locations or []) if spec else []:
        path = pathlib.Path(folder, "datasets", "data", "digits.csv.gz")
        if path.is_file():
            return path
    return None


@functools.lru_cache(maxsize=1)
def _all_digits() -> tuple[np.ndarray, np.ndarray]:
    """sklearn's bundled digits (no download), pixels in [0, 1]; cached because it parses a CSV.

    Read straight from scikit-learn's file, as `load_digits` reads it: importing scikit-learn takes about a second,
    which a fresh server's first run would wait for. `tests/test_data.py` checks it equals `load_digits`."""
    path = _digits_csv()
    if path is None:  # a scikit-learn that keeps its data elsewhere: ask it (slower, same arrays)
        from sklearn.datasets import load_digits

        x, y = load_digits(return_X_y=True)
    else:
        table = np.loadtxt(path, delimiter=",")  # (1797, 65): 64 pixels, then the digit
        x, y = table[:, :-1], table[:, -1].astype(int)
    x = (x / 16.0).astype(np.float32)  # pixel intensities are 0..16
    x.flags.writeable = y.flags.writeable = False  # shared by the cache: nobody may edit it in place
    return x, y


def digits(classes: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
    """The 8x8 digits of the given classes, labels remapped to 0..len(classes)-1 in the given order.

    Returns:
        x: (N, 64) float32 pixels in [0, 1], in sklearn's sample order.
        y: (N,) int32, y == i where the digit is classes[i].
    """
    _check_digit_ids(classes, "classes")
    x_all, y_all = _all_digits()
    keep = np.isin(y_all, classes)
    remap = np.full(N_DIGITS, -1, dtype=np.int32)
    remap[list(classes)] = np.arange(len(classes))
    return x_all[keep], remap[y_all[keep]]  # boolean indexing copies


def _n_test(n: int, test_fraction: float) -> int:
    """Test samples taken from a class of n: round(n * fraction), but at least 1 and leaving at least 1 to train."""
    if n < 2:
        return 0
    return min(n - 1, max(1, math.floor(n * test_fraction + 0.5)))


def stratified_split(
    x: np.ndarray, y: np.ndarray, test_fraction: float, *, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Put a random `test_fraction` of every class in the test part, the rest in train.

    Every class with >= 2 samples lands in both parts; a singleton class goes to train. Both parts keep the input's
    sample order. Returns (x_train, y_train, x_test, y_test).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in the open interval (0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    is_test = np.zeros(len(y), dtype=bool)
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        is_test[rng.permutation(idx)[: _n_test(idx.size, test_fraction)]] = True
    return x[~is_test], y[~is_test], x[is_test], y[is_test]


def _imbalanced_sizes(counts: Sequence[int], ratio: float) -> list[int]:
    """Class sizes decaying geometrically from counts[0] to counts[0] / ratio, capped by what each class has."""
    k = len(counts)
    decay = [ratio ** (-i / (k - 1)) if k > 1 else 1.0 for i in range(k)]
    return [min(n, math.floor(counts[0] * d + 0.5)) for n, d in zip(counts, decay)]


def apply_imbalance(x: np.ndarray, y: np.ndarray, ratio: float, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Subsample classes so sizes decay geometrically, the largest/smallest being `ratio`.

    Classes are taken in increasing label order; the first keeps all its n_0 samples and class i keeps a random
    round(n_0 * ratio^(-i / (K-1))) of its own (or all of them if it has fewer). Sample order is kept.
    """
    if not (1.0 <= ratio < math.inf):
        raise ValueError(f"imbalance ratio must be finite and >= 1 (1 = balanced), got {ratio}")
    labels, counts = np.unique(y, return_counts=True)
    sizes = _imbalanced_sizes(counts.tolist(), ratio)
    rng = np.random.default_rng(seed)
    keep = np.zeros(len(y), dtype=bool)
    for c, size in zip(labels, sizes):
        if size == 0:
            raise ValueError(f"imbalance ratio {ratio} leaves class {c} empty; use a ratio <= {2 * counts[0]}")
        keep[rng.permutation(np.flatnonzero(y == c))[:size]] = True
    return x[keep], y[keep]


def _check_digit_ids(classes: Sequence[int], name: str) -> None:
    """Raise unless `classes` are distinct digit ids in 0..9."""
    for c in classes:
        if not 0 <= c < N_DIGITS:
            raise ValueError(f"{name} must be digit ids in 0..{N_DIGITS - 1}, got {c} in {tuple(classes)}")
    if len(set(classes)) != len(classes):
        raise ValueError(f"{name} must not repeat a digit id, got {tuple(classes)}")


def _fits(samples_per_class: int, test_fraction: float, imbalance: float) -> bool:
    """Whether equal classes of this size keep >= _MIN_TRAIN train and >= _MIN_TEST test samples each."""
    n_test = _n_test(samples_per_class, test_fraction)
    n_train = samples_per_class - n_test
    return n_test >= _MIN_TEST and min(_imbalanced_sizes([n_train, n_train], imbalance)) >= _MIN_TRAIN


def _min_samples_per_class(test_fraction: float, imbalance: float) -> int:
    """Smallest samples_per_class that _fits (it is monotone in samples_per_class: double, then bisect)."""
    hi = 2
    while not _fits(hi, test_fraction, imbalance):
        hi *= 2
    lo = hi // 2  # _fits(lo) is False, or lo == 1
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if _fits(mid, test_fraction, imbalance) else (mid, hi)
    return hi


def _validate(config: DataConfig) -> None:
    """Raise ValueError naming the offending field and its allowed range."""
    c = config
    if c.source not in SOURCES:
        raise ValueError(f"source must be one of {SOURCES}, got {c.source!r}")
    if c.n_classes < 2:
        raise ValueError(f"n_classes must be >= 2, got {c.n_classes}")
    if c.held_out < 0:
        raise ValueError(f"held_out must be >= 0, got {c.held_out}")
    # Written as `not (ok)` so that NaN, which fails every comparison, is rejected too.
    if not (1.0 <= c.imbalance < math.inf):
        raise ValueError(f"imbalance must be finite and >= 1 (1 = balanced), got {c.imbalance}")
    if not (0.0 < c.test_fraction < 1.0):
        raise ValueError(f"test_fraction must be in the open interval (0, 1), got {c.test_fraction}")
    if not (0.0 < c.overlap < math.inf):
        raise ValueError(f"overlap must be finite and > 0, got {c.overlap}")
    if not (0.0 <= c.nuisance < math.inf):
        raise ValueError(f"nuisance must be finite and >= 0, got {c.nuisance}")
    if c.seed < 0:
        raise ValueError(f"seed must be >= 0, got {c.seed}")
    if c.input_dim < 2:
        raise ValueError(f"input_dim must be >= 2, got {c.input_dim}")
    if c.source == "digits":
        if c.n_classes + c.held_out > N_DIGITS:
            raise ValueError(
                f"n_classes + held_out must be <= {N_DIGITS} for digits ({N_DIGITS} digits exist), "
                f"got {c.n_classes} + {c.held_out}"
            )
        if c.classes is not None:
            _check_digit_ids(c.classes, "classes")
            if len(c.classes) != c.n_classes:
                raise ValueError(f"classes must list n_classes={c.n_classes} digit ids, got {len(c.classes)}")
    else:
        if c.classes is not None:
            raise ValueError(f"classes applies to source='digits' only, must be None for {c.source!r}")
        if c.source == "identities" and c.n_classes > MAX_IDENTITIES:
            raise ValueError(f"n_classes must be <= {MAX_IDENTITIES} for identities, got {c.n_classes}")
        if c.source == "identities" and c.held_out > MAX_HELD_OUT_IDENTITIES:
            raise ValueError(f"held_out must be <= {MAX_HELD_OUT_IDENTITIES} for identities, got {c.held_out}")
        need = _min_samples_per_class(c.test_fraction, c.imbalance)
        if c.samples_per_class < need:
            raise ValueError(
                f"samples_per_class must be >= {need} to leave {_MIN_TRAIN} training and {_MIN_TEST} test samples "
                f"per class with imbalance={c.imbalance} and test_fraction={c.test_fraction}, "
                f"got {c.samples_per_class}"
            )


# A class's name is a word and its number ("digit 7", "id 12", "blob 3", made in `load`): stored in English with the
# data (and in saved runs); `shown_class_name` puts it in the current language for a figure or a table.
_CLASS_NAMES = {"digit": N_("digit {n}"), "id": N_("id {n}"), "blob": N_("blob {n}")}


def shown_class_name(name: str) -> str:
    """A class name of `load` ("digit 7") in the current language; any other name as it is."""
    word, _sep, number = name.partition(" ")
    return _(_CLASS_NAMES[word]).format(n=number) if word in _CLASS_NAMES and number.isdigit() else name


def input_width(config: DataConfig) -> int:
    """The width of the inputs `load(config)` gives, without loading them: 64 pixels for the digits, ID_INPUT_DIM
    for the identities, `input_dim` for the blobs (what a run's cost and its first layer depend on)."""
    return {"digits": DIGIT_PIXELS, "identities": ID_INPUT_DIM}.get(config.source, config.input_dim)


def load(config: DataConfig) -> Dataset:
    """Build the dataset `config` describes: the one entry point for the trainer, the CLI and the app."""
    _validate(config)
    k, h = config.n_classes, config.held_out
    # Independent streams for the three random steps, so e.g. changing the split never changes the blobs.
    seed_source, seed_split, seed_imbalance = (
        int(s.generate_state(1)[0]) for s in np.random.SeedSequence(config.seed).spawn(3)
    )
    if config.source == "digits":
        trained = tuple(config.classes) if config.classes is not None else tuple(range(k))
        held = tuple(d for d in range(N_DIGITS) if d not in trained)[:h]
        x, y = digits(trained + held)  # labels 0..K-1 trained, K..K+H-1 held out
        names = tuple(f"digit {d}" for d in trained + held)
    elif config.source == "identities":
        x, y = identities(k + h, samples_per_class=config.samples_per_class, nuisance=config.nuisance, seed=seed_source)
        names = tuple(f"id {i}" for i in range(k + h))
    else:
        x, y = blobs(
            k + h,
            samples_per_class=config.samples_per_class,
            input_dim=config.input_dim,
            overlap=config.overlap,
            seed=seed_source,
        )
        names = tuple(f"blob {i}" for i in range(k + h))
    is_open = y >= k
    x_train, y_train, x_test, y_test = stratified_split(x[~is_open], y[~is_open], config.test_fraction, seed=seed_split)
    x_train, y_train = apply_imbalance(x_train, y_train, config.imbalance, seed=seed_imbalance)
    train_counts = np.bincount(y_train, minlength=k)
    test_counts = np.bincount(y_test, minlength=k)
    if train_counts.min() < _MIN_TRAIN or test_counts.min() < _MIN_TEST:
        # Only reachable for digits (generated sources were checked in _validate): ~140 training images per digit.
        # floor(n_0 / r + 0.5) >= _MIN_TRAIN  <=>  r <= n_0 / (_MIN_TRAIN - 0.5); rounded down so the bound is safe.
        limit = math.floor(100 * train_counts[0] / (_MIN_TRAIN - 0.5)) / 100
        raise ValueError(
            f"imbalance must be <= {limit} for these classes: imbalance={config.imbalance} leaves "
            f"{train_counts.min()} training samples in a class (need >= {_MIN_TRAIN})"
        )
    return Dataset(
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        x_open=x[is_open],
        y_open=y[is_open],
        class_names=names,
        n_classes=k,
    )
