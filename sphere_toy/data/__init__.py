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

import math
from dataclasses import dataclass

import numpy as np

from sphere_toy.errors import SettingError
from sphere_toy.i18n import N_, _
from sphere_toy.data.gaussian_blobs import blobs
from sphere_toy.data.sklearn_digits import DIGIT_PIXELS, N_DIGITS, check_digit_ids, digits
from sphere_toy.data.split import imbalanced_sizes, n_test_samples, apply_imbalance, stratified_split
from sphere_toy.data.synthetic_identities import (
    ID_INPUT_DIM,
    ID_LATENT_DIM,
    ID_NUISANCE_DIM,
    ID_TRAIT_DIM,
    identities,
    identity_latents,
    render,
)

__all__ = [  # the data's public names, whichever module of this package defines them
    "DIGIT_PIXELS",
    "ID_INPUT_DIM",
    "ID_LATENT_DIM",
    "ID_NUISANCE_DIM",
    "ID_TRAIT_DIM",
    "IDENTITIES_PRESET",
    "MAX_HELD_OUT_IDENTITIES",
    "MAX_IDENTITIES",
    "N_DIGITS",
    "SOURCES",
    "DataConfig",
    "Dataset",
    "apply_imbalance",
    "blobs",
    "digits",
    "identities",
    "identity_latents",
    "input_width",
    "load",
    "render",
    "shown_class_name",
    "stratified_split",
]
SOURCES = ("blobs", "digits", "identities")
MAX_IDENTITIES = 400  # identities: most trained identities (n_classes) load() accepts
MAX_HELD_OUT_IDENTITIES = 200  # identities: most held-out identities
# At overlap = 1 the nearest class centres are this many cluster standard deviations apart: a pair of blobs is then
# confused about Phi(-2) ~ 2% of the time by the Bayes rule, so the default is learnable but not trivial.
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


def _fits(samples_per_class: int, test_fraction: float, imbalance: float) -> bool:
    """Whether equal classes of this size keep >= _MIN_TRAIN train and >= _MIN_TEST test samples each."""
    n_test = n_test_samples(samples_per_class, test_fraction)
    n_train = samples_per_class - n_test
    return n_test >= _MIN_TEST and min(imbalanced_sizes([n_train, n_train], imbalance)) >= _MIN_TRAIN


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
    """Raise SettingError naming the offending field and its allowed range."""
    c = config
    if c.source not in SOURCES:
        raise SettingError(f"{{source}} must be one of {SOURCES}, got {c.source!r}", "source")
    if c.n_classes < 2:
        raise SettingError(f"{{n_classes}} must be >= 2, got {c.n_classes}", "n_classes")
    if c.held_out < 0:
        raise SettingError(f"{{held_out}} must be >= 0, got {c.held_out}", "held_out")
    # Written as `not (ok)` so that NaN, which fails every comparison, is rejected too.
    if not (1.0 <= c.imbalance < math.inf):
        raise SettingError(f"{{imbalance}} must be finite and >= 1 (1 = balanced), got {c.imbalance}", "imbalance")
    if not (0.0 < c.test_fraction < 1.0):
        raise SettingError(
            f"{{test_fraction}} must be in the open interval (0, 1), got {c.test_fraction}", "test_fraction"
        )
    if not (0.0 < c.overlap < math.inf):
        raise SettingError(f"{{overlap}} must be finite and > 0, got {c.overlap}", "overlap")
    if not (0.0 <= c.nuisance < math.inf):
        raise SettingError(f"{{nuisance}} must be finite and >= 0, got {c.nuisance}", "nuisance")
    if c.seed < 0:
        raise SettingError(f"{{seed}} must be >= 0, got {c.seed}", "seed")
    if c.input_dim < 2:
        raise SettingError(f"{{input_dim}} must be >= 2, got {c.input_dim}", "input_dim")
    if c.source == "digits":
        if c.n_classes + c.held_out > N_DIGITS:
            raise SettingError(
                f"{{n_classes}} + {{held_out}} must be <= {N_DIGITS} for digits ({N_DIGITS} digits exist), "
                f"got {c.n_classes} + {c.held_out}",
                "n_classes",
                "held_out",
            )
        if c.classes is not None:
            check_digit_ids(c.classes, "classes")
            if len(c.classes) != c.n_classes:
                raise SettingError(
                    f"{{classes}} must list {{n_classes}}={c.n_classes} digit ids, got {len(c.classes)}",
                    "classes",
                    "n_classes",
                )
    else:
        if c.classes is not None:
            raise SettingError(f"{{classes}} applies to source='digits' only, must be None for {c.source!r}", "classes")
        if c.source == "identities" and c.n_classes > MAX_IDENTITIES:
            raise SettingError(
                f"{{n_classes}} must be <= {MAX_IDENTITIES} for identities, got {c.n_classes}", "n_classes"
            )
        if c.source == "identities" and c.held_out > MAX_HELD_OUT_IDENTITIES:
            raise SettingError(
                f"{{held_out}} must be <= {MAX_HELD_OUT_IDENTITIES} for identities, got {c.held_out}", "held_out"
            )
        need = _min_samples_per_class(c.test_fraction, c.imbalance)
        if c.samples_per_class < need:
            raise SettingError(
                f"{{samples_per_class}} must be >= {need} to leave {_MIN_TRAIN} training and {_MIN_TEST} test "
                f"samples per class with {{imbalance}}={c.imbalance} and {{test_fraction}}={c.test_fraction}, "
                f"got {c.samples_per_class}",
                "samples_per_class",
                "imbalance",
                "test_fraction",
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
