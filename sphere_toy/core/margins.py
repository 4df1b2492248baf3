"""The registry of losses: each loss declared once, as one setting of `losses.margin_logits`; everything else asks it.

A loss is a frozen `Loss`: its id, label, paper and colours, and the numbers that make it a setting of the single
logit function: a bias or not, W normalised or not, x normalised and scaled by s or kept at its length ‖x‖, and where
its margin goes (SphereFace's integer m in ψ(θ), ArcFace's angle, CosFace's cosine). A model is a `ModelSpec`: a loss,
its margin, its seed and its scale. `hyper(specs)` turns a grid of models into (G,) arrays, so one compiled call
trains any mix of losses with no Python branch. Training, metrics, figures, the CLI and the app ask the spec (its
name, colour, whether it anneals, its two-class boundary); no other module compares loss ids or tests a margin.

To add a loss:
  1. write its public `*_loss(features, weights, labels, ...)` in `losses.py` (formula, shapes, paper) as a call of
     `margin_logits`, with a test against a slow float64 reference in `tests/test_losses.py`;
  2. declare it below in `LOSSES` (`margin` says which argument of `margin_logits` its margin fills) and give it a
     `public` adapter;
  3. run `tests/test_margins.py`: it checks that the training logits of every registered loss equal its public
     function, that the grid trains it without NaN, and that its token round-trips through the URL and the CLI.
NormFace, CosFace and ArcFace were added this way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np

from sphere_toy.core import losses
from sphere_toy.i18n import N_, _


@dataclass(frozen=True)
class Loss:
    """One loss of the family, declared as a setting of `losses.margin_logits`."""

    id: str  # the token used in URLs, the CLI and JSON: "asoftmax"
    label: str  # for people: "A-softmax" (marked for translation; shown with `_(label)`, the same in every language)
    paper: str  # where its formula comes from (marked for translation: shown with `_(paper)`)
    bias: bool  # logits get a per-class bias b_j (softmax only)
    normalize_weights: bool  # ‖W_j‖ = 1
    scaled: bool  # x normalised and its length replaced by the scale s (NormFace, CosFace, ArcFace)
    margin: str | None  # which margin of `margin_logits` this loss sets: "m" | "angle_margin" | "cos_margin" | None
    margin_default: float = 0.0  # the toy's default margin (the neutral value when `margin` is None)
    margin_range: tuple[float, float] = (0.0, 0.0)  # the margins a URL or the CLI may ask for
    margin_choices: tuple = ()  # the margins the app's form offers
    neutral: float = 0.0  # the margin value that means "no margin" (1 for SphereFace's m, 0 for the others)
    anneals: bool = False  # trained with SphereFace's λ blend (only while it has a margin)
    baseline: str | None = None  # the loss this one is with its margin taken away (what a margin is measured against)
    target: str = "cos θ"  # the target logit per unit scale, in words (marked when it has words: shown with `_()`)
    boundary: str = "θ₁ = θ₂"  # its two-class decision boundary for class 1 (the margin's side)
    zone_rule: str = ""  # where a correctly classified sample of class i is still penalised (mathtext)
    colors: tuple[float, float, str] = (0.0, 0.0, "#111111")  # a colormap range for its margins, or one colour
    # (data only: `plots.style.model_colors` draws them)
    public: Callable | None = None  # (features, weights, bias, labels, margin, scale) -> scalar: its public loss

    @property
    def integer_margin(self) -> bool:
        return self.margin == "m"

    def check_margin(self, value: float) -> float:
        """The margin as this loss stores it (an int for SphereFace); ValueError with the allowed range if not."""
        if self.margin is None:
            if value != self.neutral:
                raise ValueError(f"{self.label} has no margin")
            return self.neutral
        lo, hi = self.margin_range
        if not (lo <= value <= hi) or (self.integer_margin and value != int(value)):
            kind = "an integer" if self.integer_margin else "a number"
            raise ValueError(f"the margin of {self.label} must be {kind} in {_num(lo)}..{_num(hi)}, got {value}")
        return int(value) if self.integer_margin else float(value)


def _num(x: float) -> str:
    """The shortest text that reads back as the same number: 4, 0.35 (never 4.0, never rounded)."""
    x = float(x)
    return str(int(x)) if x.is_integer() else repr(x)


LOSSES: Mapping[str, Loss] = MappingProxyType(
    {
        loss.id: loss
        for loss in (
            Loss(
                "softmax",
                N_("softmax"),
                N_("SphereFace Sec. 3.1, Eq. 1"),
                bias=True,
                normalize_weights=False,
                scaled=False,
                margin=None,
                target="‖W_y‖·cos θ (+ b)",
                boundary="(W₁ − W₂)·x + b₁ − b₂ = 0",
                colors=(0, 0, "#111111"),
                public=lambda f, w, b, y, margin, s: losses.softmax_loss(f, w, b, y),
            ),
            Loss(
                "msoftmax",
                N_("M-softmax"),
                N_("SphereFace Sec. 3.1, Eq. 3"),
                bias=False,
                normalize_weights=True,
                scaled=False,
                margin=None,
                boundary="θ₁ = θ₂",
                colors=(0, 0, "#6b7f99"),
                public=lambda f, w, b, y, margin, s: losses.m_softmax_loss(f, w, y),
            ),
            Loss(
                "asoftmax",
                N_("A-softmax"),
                N_("SphereFace Sec. 3.2, Eq. 6-7"),
                bias=False,
                normalize_weights=True,
                scaled=False,
                margin="m",
                margin_default=4,
                margin_range=(1, 6),
                margin_choices=(1, 2, 3, 4, 5, 6),
                neutral=1,
                anneals=True,
                baseline="msoftmax",
                target="ψ(θ) = (−1)ᵏ cos mθ − 2k",
                boundary="m·θ₁ = θ₂",
                zone_rule=r"$\psi(\theta_i) < \cos\theta_j$",
                colors=(0.0, 0.5, "plasma"),  # dark indigo .. magenta by m
                public=lambda f, w, b, y, margin, s: losses.a_softmax_loss(f, w, y, int(margin)),
            ),
            Loss(
                "normface",
                N_("NormFace"),
                N_("Wang et al. 2017, Sec. 3.3"),
                bias=False,
                normalize_weights=True,
                scaled=True,
                margin=None,
                target=N_("cos θ (x on a sphere of radius s)"),
                boundary="θ₁ = θ₂",
                colors=(0, 0, "#1b7837"),
                public=lambda f, w, b, y, margin, s: losses.normface_loss(f, w, y, s),
            ),
            Loss(
                "cosface",
                N_("CosFace"),
                N_("Wang et al. 2018, Eq. 4"),
                bias=False,
                normalize_weights=True,
                scaled=True,
                margin="cos_margin",
                margin_default=losses.COSFACE_MARGIN,
                margin_range=(0.0, 1.0),
                margin_choices=(0.1, 0.2, 0.35, 0.5, 0.7),
                baseline="normface",
                target="cos θ − m",
                boundary="cos θ₁ − cos θ₂ = m",
                zone_rule=r"$\cos\theta_i - m < \cos\theta_j$",
                colors=(0.45, 0.8, "YlOrBr"),
                public=lambda f, w, b, y, margin, s: losses.cosface_loss(f, w, y, s, margin),
            ),
            Loss(
                "arcface",
                N_("ArcFace"),
                N_("Deng et al. 2019, Eq. 3"),
                bias=False,
                normalize_weights=True,
                scaled=True,
                margin="angle_margin",
                margin_default=losses.ARCFACE_MARGIN,
                margin_range=(0.0, 1.2),
                margin_choices=(0.1, 0.2, 0.35, 0.5, 0.7),
                baseline="normface",
                target="cos(θ + m)",
                boundary="θ₁ + m = θ₂",
                zone_rule=r"$\theta_i + m > \theta_j$",
                colors=(0.55, 0.95, "Blues"),
                public=lambda f, w, b, y, margin, s: losses.arcface_loss(f, w, y, s, margin),
            ),
        )
    }
)
SCALE_RANGE = (1.0, 64.0)  # s, for the scaled losses


@dataclass(frozen=True)
class ModelSpec:
    """One model of a grid: a loss, its margin (None: the loss's default), a seed and a scale (None: the default).

    Canonical once built: a loss without a margin has its neutral margin, an unscaled loss has scale None.
    """

    loss: str  # an id of LOSSES
    margin: float | None = None  # SphereFace's integer m, CosFace's cosine margin or ArcFace's angle (radians)
    seed: int = 0  # initialisation; models with the same seed start from the same params
    scale: float | None = None  # s, for the scaled losses

    def __post_init__(self):
        if self.loss not in LOSSES:
            raise ValueError(f"loss must be one of {', '.join(LOSSES)}, got {self.loss!r}")
        loss = LOSSES[self.loss]
        margin = loss.margin_default if self.margin is None else self.margin
        object.__setattr__(self, "margin", loss.check_margin(margin))
        if loss.scaled:
            scale = losses.TOY_SCALE if self.scale is None else float(self.scale)
            if not SCALE_RANGE[0] <= scale <= SCALE_RANGE[1]:
                raise ValueError(f"scale must be in {_num(SCALE_RANGE[0])}..{_num(SCALE_RANGE[1])}, got {scale}")
            object.__setattr__(self, "scale", scale)
        elif self.scale is not None:
            raise ValueError(f"{loss.label} keeps the feature length ‖x‖: it takes no scale")

    @property
    def kind(self) -> Loss:
        return LOSSES[self.loss]

    @property
    def has_margin(self) -> bool:
        """Whether the target logit differs from cos θ (A-softmax m = 1, CosFace m = 0 and ArcFace m = 0 do not)."""
        return self.margin != self.kind.neutral

    @property
    def anneals(self) -> bool:
        """Trained with the λ blend: SphereFace's losses with a margin (λ changes nothing where there is none)."""
        return self.kind.anneals and self.has_margin

    @property
    def margin_text(self) -> str:
        """ "m=4", "m=0.35"; empty for a loss without a margin."""
        return "" if self.kind.margin is None else f"m={_num(self.margin)}"

    @property
    def name(self) -> str:
        """A label for legends: "softmax", "M-softmax", "A-softmax m=4", "CosFace m=0.35"."""
        return " ".join(filter(None, (self.kind.label, self.margin_text)))

    @property
    def display_name(self) -> str:
        """`name` in the current language, for figures and the page ("A-softmax m=4": the loss names are the same in
        every language, but they go through the catalog like any word shown). `name` stays English (CLI, JSON)."""
        return " ".join(filter(None, (_(self.kind.label), self.margin_text)))

    @property
    def token(self) -> str:
        """The model as the URL and the CLI write it: "softmax", "asoftmax:4", "cosface:0.35"."""
        return self.loss + ("" if self.kind.margin is None else f":{_num(self.margin)}")

    @property
    def slug(self) -> str:
        """A file-name-safe name: "softmax", "m-softmax", "a-softmax-m4", "cosface-m0.35"."""
        return "-".join(filter(None, (self.kind.label.lower(), self.margin_text.replace("=", ""))))

    @property
    def linestyle(self) -> str:
        """Dashed for a margin loss at its neutral margin: it trains the same as the loss without one."""
        return "--" if self.kind.margin is not None and not self.has_margin else "-"

    def logit_args(self) -> dict:
        """The keyword arguments of `losses.margin_logits` (and whether to use the bias) that make this loss."""
        kind = self.kind
        args = {
            "use_bias": float(kind.bias),
            "normalize": kind.normalize_weights,
            "scale": self.scale if kind.scaled else 0.0,
            "m": 1,
            "angle_margin": 0.0,
            "cos_margin": 0.0,
            "anneals": self.anneals,
        }
        if kind.margin is not None:
            args[kind.margin] = self.margin
        return args

    @property
    def training_key(self) -> tuple:
        """Everything its training depends on besides the data: its logits (`logit_args`) and its seed. Models with
        equal keys train identically, so a grid trains them once (`distinct`)."""
        return (*sorted(self.logit_args().items()), ("seed", self.seed))

    def public_loss(self, features, weights, bias, labels):
        """This model's loss through its public function in `losses` (what the tests hold training to)."""
        return self.kind.public(features, weights, bias, labels, self.margin, self.scale)


def parse(token: str, *, seed: int = 0, scale: float | None = None) -> ModelSpec:
    """A model from its token: "softmax", "asoftmax:4", "cosface:0.35" (a margin loss without ":m" takes its
    default); ValueError naming what is wrong."""
    loss, _sep, margin = token.strip().lower().partition(":")
    if loss not in LOSSES:
        raise ValueError(f"'{loss}' is not a loss; the losses are {', '.join(LOSSES)}")
    value = None
    if margin:
        try:
            value = float(margin)
        except ValueError:
            raise ValueError(f"the margin in '{token}' is not a number") from None
        if not math.isfinite(value):
            raise ValueError(f"the margin in '{token}' is not a number")
    return ModelSpec(loss, value, seed, scale if LOSSES[loss].scaled else None)


def model_grid(ms=(1, 2, 3, 4), seeds=(0,)) -> tuple[ModelSpec, ...]:
    """Softmax, M-softmax and A-softmax for each m, for each seed: the paper's Fig. 2 / Fig. 5 line-up."""
    return tuple(
        spec
        for seed in seeds
        for spec in (
            ModelSpec("softmax", seed=seed),
            ModelSpec("msoftmax", seed=seed),
            *(ModelSpec("asoftmax", int(m), seed) for m in ms),
        )
    )


def sphereface_tokens(ms) -> tuple[str, ...]:
    """The tokens of `model_grid(ms)`: how a link that only names A-softmax margins (m=1,4) reads."""
    return tuple(spec.token for spec in model_grid(ms))


def asoftmax_tokens(ms) -> tuple[str, ...]:
    """One A-softmax model per m: what the CLI's `--m` shorthand adds next to `--losses`."""
    return tuple(ModelSpec("asoftmax", int(m)).token for m in ms)


def distinct(specs) -> tuple[tuple[ModelSpec, ...], tuple[int, ...]]:
    """The models of a grid that train differently, and which of them each spec trains as.

    Specs with one `training_key` start from the same params and follow the same logits, so they are one model:
    A-softmax m = 1 is M-softmax (ψ(θ) = cos θ, SphereFace Sec. 3.2), CosFace m = 0 and ArcFace m = 0 are NormFace
    at the same scale. The grid trains the first of each once and gives every spec its result, which makes the
    equality exact (trained apart they differ by float rounding) and saves the copy's arithmetic.
    Returns (the specs to train, in order; for each of `specs` the index of its model among them).
    """
    index: dict[tuple, int] = {}
    trained, which = [], []
    for spec in specs:
        key = spec.training_key
        if key not in index:
            index[key] = len(trained)
            trained.append(spec)
        which.append(index[key])
    return tuple(trained), tuple(which)


def max_m(specs) -> int:
    """The largest SphereFace m of a grid (at least 1): the static bound for the Chebyshev recurrence."""
    return max([int(s.logit_args()["m"]) for s in specs] + [1])


def hyper(specs) -> dict:
    """The per-model settings of a grid as (G,) arrays: one compiled program trains any mix of losses."""
    args = [s.logit_args() for s in specs]
    dtypes = {
        "use_bias": jnp.float32,
        "normalize": bool,
        "scale": jnp.float32,
        "m": jnp.int32,
        "angle_margin": jnp.float32,
        "cos_margin": jnp.float32,
        "anneals": bool,
    }
    return {k: jnp.array([a[k] for a in args], dtype) for k, dtype in dtypes.items()}


MAX_M = 8  # a static bound for SphereFace's m in the views: one compiled program serves every loss and m up to it
_margin_logits = jax.jit(losses.margin_logits, static_argnames=("max_m",))


def margin_logits(spec: ModelSpec, features, weights, labels) -> np.ndarray:
    """A model's logits with its full margin (λ = 0) and unit W_j, as the views draw its margin zone: r·t(θ_i) for
    the label i, r·cos θ_j for the others. Compiled once per shape for every loss (margins traced). (N, C)."""
    args = spec.logit_args()
    return np.asarray(
        _margin_logits(
            features,
            weights,
            labels,
            normalize=True,
            scale=args["scale"],
            m=args["m"],
            angle_margin=args["angle_margin"],
            cos_margin=args["cos_margin"],
            lam=0.0,
            max_m=max(int(args["m"]), MAX_M),
        )
    )


def families(specs) -> list[str]:
    """The ids of the losses in a grid, in registry order."""
    present = {s.loss for s in specs}
    return [loss for loss in LOSSES if loss in present]


def explain(specs) -> str:
    """One line per loss of a grid, for a help text: "A-softmax: target ψ(θ) = ..., boundary m·θ₁ = θ₂"."""
    # TRANSLATORS: between two clauses of a list (a semicolon and a space in English).
    return _("; ").join(
        _("{loss}: target {target}, boundary {boundary}").format(
            loss=_(LOSSES[loss].label), target=_(LOSSES[loss].target), boundary=LOSSES[loss].boundary
        )
        for loss in families(specs)
    )


def target_curve(loss: Loss, margin: float, cos_theta, lam: float = 0.0) -> np.ndarray:
    """The loss's target logit per unit scale at these cosines (λ only for a loss that anneals), as NumPy."""
    spec = ModelSpec(loss.id, margin, scale=losses.TOY_SCALE if loss.scaled else None)
    args = spec.logit_args()
    m = int(args["m"])
    return np.asarray(
        losses.margin_target(
            np.asarray(cos_theta, np.float32),
            m=m,
            angle_margin=args["angle_margin"],
            cos_margin=args["cos_margin"],
            lam=lam if spec.anneals else 0.0,
        )
    )
