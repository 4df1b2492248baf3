"""How each field of the experiment may vary (`LIMITS`: a range or a list of choices, and the words the app
shows), and the bounds that hold across fields."""

from __future__ import annotations

from types import MappingProxyType
from typing import Mapping, NamedTuple

from sphere_toy.core import margins
from sphere_toy.i18n import N_
from sphere_toy.train import TrainConfig


TRAIN_DEFAULTS = TrainConfig()  # the λ schedule defaults and the standard workload come from the library


class Limit(NamedTuple):
    """How one field may vary: a numeric range [lo, hi] or a list of choices, plus the words the app shows."""

    kind: type  # int | float | str; tuple fields give the kind of one element
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()  # non-empty for fields picked from a list (the nearest one wins for numbers)
    label: str = ""  # marked with N_ (English here, in the CLI and in tests); the app shows _(label)
    help: str = ""  # the same: _(help)
    max_len: int = 1  # tuple fields: how many elements at most


DATA_NAMES = {"digits": N_("digits"), "blobs": N_("blobs"), "identities": N_("identities")}  # the app: _(name)
MAX_HELD_OUT = 8  # digits and blobs
MAX_CLASSES = {"digits": 10, "blobs": 10, "identities": 100}  # classes trained on, per source
MAX_HELD_OUT_IDENTITIES = 50
MAX_ITEMS = 32  # values read from one URL key at most (a list field holds at most 10): a 10 kB list costs nothing
MAX_MODELS = 10  # models in one line-up (the whole family with A-softmax m = 1..4 is 9)
MAX_GRID = 30  # models in one grid, seeds included (a line-up of 6 over 5 seeds)
LIMITS: Mapping[str, Limit] = MappingProxyType(
    {
        "data": Limit(
            str,
            choices=("digits", "blobs", "identities"),
            label=N_("Data"),
            help=N_(
                "scikit-learn's 8x8 handwritten digits (real images); Gaussian blobs in 32-D (a clean toy); "
                "or synthetic identities, the toy's faces: many people, each photo moved by pose and "
                "lighting shared by everyone, through a fixed nonlinear renderer "
                "(sphere_toy/data/synthetic_identities.py)"
            ),
        ),
        "classes": Limit(
            int,
            2,
            max(MAX_CLASSES.values()),
            label=N_("Classes trained on"),
            help=N_(
                "K: how many classes the network learns to separate (the closed set). Digits and blobs: "
                "up to 10; identities (people in the training set): up to 100"
            ),
        ),
        "held_out": Limit(
            int,
            0,
            MAX_HELD_OUT_IDENTITIES,
            label=N_("Held-out classes (open set)"),
            help=N_(
                "Classes never seen in training, used only to test verification by cosine similarity "
                "(the Open-set tab). Digits: at most 10 minus the trained classes; blobs: 8; identities "
                "(people met only at test time): 50."
            ),
        ),
        "samples": Limit(
            int,
            20,
            300,
            label=N_("Samples per class"),
            help=N_(
                "Blobs and identities: samples generated per class before the train/test split "
                "(identities: photos per person). Digits have their own, about 180 per digit."
            ),
        ),
        "nuisance": Limit(
            float,
            0.0,
            4.0,
            label=N_("Nuisance (identities)"),
            help=N_(
                "Identities only: how strongly pose, lighting and expression move a photo, shared by "
                "every person; 0 = every photo of a person alike. The net must learn to ignore it: the "
                "larger, the worse cosine on the raw inputs verifies people."
            ),
        ),
        "imbalance": Limit(
            float,
            1.0,
            50.0,
            label=N_("Class imbalance"),
            help=N_(
                "Largest / smallest training class size; 1 = balanced. Softmax's free weight norms "
                "can absorb class size as a prior; M-softmax normalises the weights, so they cannot."
            ),
        ),
        "overlap": Limit(
            float,
            0.25,
            4.0,
            label=N_("Blob overlap"),
            help=N_("Blobs only: cluster spread; 1 = nearest centres 4 standard deviations apart, larger = harder"),
        ),
        "dim": Limit(
            int,
            choices=(2, 3, 8, 16, 32),
            label=N_("Feature dimension"),
            help=N_(
                "2: features in the plane, decision regions drawn (paper Fig. 2). 3: features on the sphere "
                "(paper Fig. 5). 8-32: too many to draw, but closer to a face model (SphereFace's have 512): "
                "the angles, the table, the training curves and the open-set tab work at any dimension."
            ),
        ),
        "hidden": Limit(
            int,
            1,
            256,
            max_len=4,
            label=N_("Hidden widths"),
            help=N_("Widths of the MLP's hidden layers, comma-separated, e.g. 64,64 (1 to 4 layers)"),
        ),
        "steps": Limit(
            int,
            10,
            20_000,
            label=N_("Training steps"),
            help=N_("Optimisation steps; every model of the grid takes the same minibatches"),
        ),
        "batch": Limit(int, 8, 1024, label=N_("Batch size"), help=N_("Samples per minibatch")),
        "lr": Limit(
            float, 1e-5, 10.0, label=N_("Learning rate"), help=N_("Step size; too large and training diverges (NaN)")
        ),
        "optimizer": Limit(
            str, choices=("adam", "sgd"), label=N_("Optimizer"), help=N_("Adam, or SGD with momentum 0.9")
        ),
        "lambda_base": Limit(
            float,
            0.0,
            100_000.0,
            label=N_("λ base"),
            help=N_(
                "A-softmax trains on (λ·cos θ + ψ(θ)) / (1 + λ): λ large is M-softmax, λ = 0 the full "
                "margin. λ = max(λ_min, base·(1 + γ·step/steps)^(-power)) starts at base."
            ),
        ),
        "lambda_gamma": Limit(
            float,
            0.0,
            1_000_000.0,
            label=N_("λ γ"),
            help=N_("How fast λ decays over the run: γ/steps a step, so the shape is the same for every run length"),
        ),
        "lambda_power": Limit(
            float, 0.0, 4.0, label=N_("λ power"), help=N_("The decay's exponent (the paper's code uses 1)")
        ),
        "lambda_min": Limit(
            float,
            0.0,
            1000.0,
            label=N_("λ_min"),
            help=N_(
                "Floor of λ. The paper's face models use 5, which weakens m = 4 to about m = 1.5; "
                "raise it if A-softmax diverges."
            ),
        ),
        "losses": Limit(
            str,
            max_len=MAX_MODELS,
            label=N_("Models"),
            help=N_(
                "The losses to train side by side, each with its margin: A-softmax's m (SphereFace; the "
                "paper uses 4), CosFace's cosine margin, ArcFace's angle in radians. In a link: "
                "losses=softmax,msoftmax,asoftmax:4,normface,cosface:0.35,arcface:0.5"
            ),
        ),
        "scale": Limit(
            float,
            *margins.SCALE_RANGE,
            label=N_("Scale s (NormFace, CosFace, ArcFace)"),
            help=N_(
                "These losses put every feature on a sphere of radius s; s bounds the logits and sets how "
                "confident the softmax can get. The papers use 64 for faces; a few classes need far less."
            ),
        ),
        "seed": Limit(
            int,
            0,
            999_999,
            label=N_("Seed"),
            help=N_("Seeds the data split and the initial weights: same seed, same run"),
        ),
        "seeds": Limit(
            int,
            1,
            5,
            label=N_("Seeds per model"),
            help=N_(
                "Train every model this many times, from the initial weights of seed, seed + 1, …, in the "
                "same compiled call. The Open-set tab shows each loss's AUC over them (mean, spread and "
                "every seed), so a difference between losses comes with its uncertainty; the other tabs "
                "show the first seed."
            ),
        ),
    }
)
