"""The whole experiment as one frozen value: what the app's form edits, what its URL holds, what its cache is keyed by.

`Settings` is a flat record of plain values (no Streamlit, no JAX) with its limits declared once in `LIMITS`. URL
values come in as text, so `Settings.from_query` parses and clamps them to the nearest valid value and says what it
changed in plain words, never raising; `to_query` writes the canonical text back, and the two round-trip exactly.
`data_config`, `train_config` and `specs` translate to the library's types, so the app itself holds no logic.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Mapping, NamedTuple

from sphere_toy.core import margins
from sphere_toy.data import N_DIGITS, DataConfig, load
from sphere_toy.i18n import N_, _, ngettext
from sphere_toy.core.losses import PAPER_LIKE_GAMMA, TOY_SCALE
from sphere_toy.core.margins import LOSSES, ModelSpec
from sphere_toy.safe_text import clip
from sphere_toy.train import Experiment, TrainConfig

_TRAIN = TrainConfig()  # the λ schedule defaults and the standard workload come from the library


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
                "lighting shared by everyone, through a fixed nonlinear renderer (sphere_toy/data.py)"
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


@dataclass(frozen=True)
class Settings:
    """One experiment: the data, the network, the optimiser, the λ schedule and the margins m to train.

    Field names are also the URL's query keys. Frozen, so it can key Streamlit's cache; construction validates.
    """

    data: str = "digits"  # "digits" | "blobs"
    classes: int = 6  # K classes trained on (closed set)
    held_out: int = 4  # H classes never trained on, for open-set verification (0 = none)
    samples: int = 150  # blobs and identities: samples generated per class
    nuisance: float = 2.0  # identities: strength of the shared pose/lighting variation
    imbalance: float = 1.0  # largest / smallest training class size (1 = balanced)
    overlap: float = 1.0  # blobs only: cluster spread
    dim: int = _TRAIN.feature_dim  # D, the feature dimension: 2 or 3 to draw, 8-32 for open-set work
    hidden: tuple[int, ...] = _TRAIN.hidden  # MLP hidden widths
    steps: int = _TRAIN.steps  # optimisation steps
    batch: int = _TRAIN.batch_size  # minibatch size
    lr: float = _TRAIN.learning_rate  # learning rate
    optimizer: str = _TRAIN.optimizer  # "adam" | "sgd"
    lambda_base: float = _TRAIN.lambda_base  # λ = max(λ_min, base·(1 + γ·step/steps)^(-power)): run_lambda_schedule
    lambda_gamma: float = _TRAIN.lambda_gamma
    lambda_power: float = _TRAIN.lambda_power
    lambda_min: float = _TRAIN.lambda_min
    losses: tuple[str, ...] = margins.sphereface_tokens((1, 2, 3, 4))  # one model each, as margins.parse tokens
    scale: float = TOY_SCALE  # s, for the losses that normalise x
    seed: int = 0  # data split/imbalance and initialisation
    seeds: int = 1  # initialisations per model: seed, seed + 1, ... (the data stay those of `seed`)

    def __post_init__(self):
        for name, limit in LIMITS.items():  # 10 and 10.0 are one setting: store floats as floats (one cache key)
            value = getattr(self, name)
            if limit.kind is float and isinstance(value, int) and not isinstance(value, bool):
                object.__setattr__(self, name, float(value))
        problems = self.problems()
        if problems:
            raise ValueError("; ".join(problems))

    def problems(self) -> list[str]:
        """Why these settings are invalid (empty if they are valid)."""
        out = []
        for name, limit in LIMITS.items():
            value = getattr(self, name)
            values = value if isinstance(value, tuple) else (value,)
            if name in _TUPLES:
                if not isinstance(value, tuple) or not 1 <= len(value) <= limit.max_len:
                    out.append(f"{name} must be a tuple of 1..{limit.max_len} values, got {value!r}")
                    continue
            for v in values:
                if name == "losses" and not _valid_token(v):
                    out.append(f"losses: {v!r} is not a model (e.g. softmax, asoftmax:4, cosface:0.35)")
                elif name != "losses" and not _valid_one(v, limit):
                    out.append(f"{name} = {v!r} is not valid ({_describe(limit)})")
        if not out and self.losses != canonical_tokens(self.losses):
            out.append(f"losses must be in registry order and distinct, got {self.losses}")
        if not out and self.seeds * len(self.losses) > MAX_GRID:
            out.append(f"seeds = {self.seeds} with {len(self.losses)} models makes more than {MAX_GRID} models")
        if not out and self.classes > self.max_classes():
            out.append(f"classes = {self.classes} is more than {self.max_classes()} for {self.data}")
        if not out and self.held_out > self.max_held_out():
            out.append(
                f"held_out = {self.held_out} is more than {self.max_held_out()} with classes = {self.classes} "
                f"of {self.data}"
            )
        return out

    def max_held_out(self) -> int:
        """Digits has ten classes in all, so trained + held-out <= 10; blobs and identities are generated."""
        if self.data == "digits":
            return min(MAX_HELD_OUT, N_DIGITS - self.classes)
        return MAX_HELD_OUT_IDENTITIES if self.data == "identities" else MAX_HELD_OUT

    def max_classes(self) -> int:
        return MAX_CLASSES[self.data]

    # ---- URL ----

    @classmethod
    def from_query(cls, params: Mapping[str, Any]) -> tuple["Settings", list[str]]:
        """Settings from URL query values, each clamped to the nearest valid value; never raises.

        `params` maps a field name to its text (or a list of texts, as a repeated URL key gives); unknown keys are
        ignored (the app keeps its view state there), missing ones take the default. Python values (ints, lists of
        ints) are accepted too, so the form's values go through the same checks. Returns the settings and at most
        one sentence per key that was changed, e.g. "m = 0 is out of range 1..6; using 1". The sentences are plain
        text; every outside value in them is `safe_text.clip`ped (show them with `safe_text.markdown_literal`).
        """
        problems: dict[str, list[str]] = {}  # per key, every change made; summarised to one warning per key
        values = {}
        if "m" in params and "losses" not in params:  # a link from before the family: m lists A-softmax's margins
            params = {**params, "losses": _legacy_m(params["m"], problems.setdefault("m", []))}
        for name, limit in LIMITS.items():
            if name in params:
                default = getattr(_DEFAULT, name)
                parse = _parse_tuple if name in _TUPLES else _parse_scalar
                values[name] = parse(name, params[name], limit, default, problems.setdefault(name, []))
        settings = dataclasses.replace(_DEFAULT, **_cross_field(values, problems))
        canonical = settings.to_query()
        warnings = [
            _one_warning(name, found, canonical["losses" if name == "m" else name])
            for name, found in problems.items()
            if found
        ]
        return settings, warnings

    def to_query(self) -> dict[str, str]:
        """Every field as canonical URL text: `from_query(s.to_query()) == (s, [])`."""
        return {
            name: ",".join(map(_text, v)) if isinstance(v, tuple) else _text(v)
            for name, v in ((f.name, getattr(self, f.name)) for f in dataclasses.fields(self))
        }

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)

    # ---- the library's types ----

    def data_config(self) -> DataConfig:
        return DataConfig(
            source=self.data,
            n_classes=self.classes,
            held_out=self.held_out,
            imbalance=self.imbalance,
            overlap=self.overlap,
            samples_per_class=self.samples,
            nuisance=self.nuisance,
            seed=self.seed,
        )

    def train_config(self) -> TrainConfig:
        return TrainConfig(
            hidden=self.hidden,
            feature_dim=self.dim,
            steps=self.steps,
            batch_size=self.batch,
            learning_rate=self.lr,
            optimizer=self.optimizer,
            lambda_base=self.lambda_base,
            lambda_gamma=self.lambda_gamma,
            lambda_power=self.lambda_power,
            lambda_min=self.lambda_min,
        )

    def experiment(self, *, first_chunk: bool = False) -> Experiment:
        """What these settings train: their data, models and training config. `first_chunk`: only the first chunk
        of steps, which compiles (or loads from the persistent cache) the whole run's program (`warmup`, `serve`)."""
        config = self.train_config()
        if first_chunk:
            config = dataclasses.replace(config, steps=config.chunk_steps)
        return Experiment(load(self.data_config()), self.specs(), config)

    def specs(self) -> tuple[ModelSpec, ...]:
        """One model per entry of `losses`, with this experiment's seed and scale."""
        return tuple(
            margins.parse(token, seed=self.seed + k, scale=self.scale)
            for k in range(self.seeds)
            for token in self.losses
        )

    def lineup(self) -> dict[str, list]:
        """The models as the form shows them: loss id -> its margins (empty for a loss without one)."""
        out: dict[str, list] = {}
        for spec in self.specs()[: len(self.losses)]:
            out.setdefault(spec.loss, [])
            if spec.kind.margin is not None:
                out[spec.loss].append(spec.margin)
        return out

    def describe(self) -> str:
        """One line for a status bar, in the current language: "digits, 6 classes + 4 held out, 3-D features, 3000
        steps, ..., seed 0"."""
        classes = _("{n} classes").format(n=self.classes)
        if self.held_out:
            classes = _("{classes} + {n} held out").format(classes=classes, n=self.held_out)
        parts = [_(DATA_NAMES[self.data]), classes]
        if self.imbalance != 1:
            parts.append(_("imbalance {value}").format(value=_text(self.imbalance)))
        specs = self.specs()[: len(self.losses)]
        scale = f" (s = {_text(self.scale)})" if any(s.kind.scaled for s in specs) else ""
        parts += [
            _("{dim}-D features").format(dim=self.dim),
            _("{n} steps").format(n=self.steps),
            _("{optimizer} lr {lr}").format(optimizer=self.optimizer, lr=_text(self.lr)),
            _models_text(specs) + scale,
            _("seeds {first}-{last}").format(first=self.seed, last=self.seed + self.seeds - 1)
            if self.seeds > 1
            else _("seed {seed}").format(seed=self.seed),
        ]
        return _(", ").join(parts)


def lineup_tokens(lineup: Mapping[str, list]) -> list[str]:
    """The inverse of `Settings.lineup`: tokens for loss ids and their margins (a margin loss with none listed takes
    its default margin)."""
    out = []
    for loss, values in lineup.items():
        if loss in LOSSES and LOSSES[loss].margin is not None:
            out += [f"{loss}:{_text(float(v))}" for v in (values or [LOSSES[loss].margin_default])]
        else:
            out.append(loss)
    return out


def _models_text(specs) -> str:
    """ "softmax, M-softmax, A-softmax m = 1, 2, 4, CosFace m = 0.35": one loss, its margins together."""
    parts = []
    for loss in margins.families(specs):
        mine = [s for s in specs if s.loss == loss]
        margin_list = ", ".join(_text(s.margin) for s in mine if s.kind.margin is not None)
        parts.append(_(LOSSES[loss].label) + (f" m = {margin_list}" if margin_list else ""))
    return _(", ").join(parts)


# ---- parsing helpers ----


def _text(v) -> str:
    """Canonical URL text: repr of a float is the shortest string that parses back to the same float."""
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    return str(v)


def _describe(limit: Limit) -> str:
    """The allowed values in English, for `problems` (an exception's text, as everywhere in the library)."""
    if limit.choices:
        return "one of " + ", ".join(map(str, limit.choices))
    return f"range {_text(limit.kind(limit.lo))}..{_text(limit.kind(limit.hi))}"


def _valid_token(v) -> bool:
    try:
        return isinstance(v, str) and margins.parse(v).token == v
    except ValueError:
        return False


def canonical_tokens(tokens) -> tuple[str, ...]:
    """Distinct tokens in registry order, margins increasing: one experiment has one spelling (and one cache key)."""
    order = list(LOSSES)
    specs = {margins.parse(t).token: margins.parse(t) for t in tokens}
    return tuple(sorted(specs, key=lambda t: (order.index(specs[t].loss), specs[t].margin)))


def _clamp_token(text: str, warnings: list[str]) -> str | None:
    """One model token parsed, its margin moved into its loss's range (with a warning); None (and a warning) if
    it names no loss."""
    shown = clip(text)
    loss, _sep, margin = text.strip().lower().partition(":")
    if loss not in LOSSES:
        warnings.append(
            _("losses: '{value}' is not one of {choices}; dropping it").format(value=shown, choices=", ".join(LOSSES))
        )
        return None
    kind = LOSSES[loss]
    if kind.margin is None:
        if margin:
            warnings.append(
                _("losses: {loss} has no margin; ignoring ':{margin}'").format(loss=_(kind.label), margin=clip(margin))
            )
        return loss
    if not margin:
        return margins.ModelSpec(loss).token
    value = _number(margin, float)
    if value is None:
        warnings.append(
            _("losses: the margin in '{value}' is not a number; using {used}").format(
                value=shown, used=_text(kind.margin_default)
            )
        )
        return margins.ModelSpec(loss).token
    lo, hi = kind.margin_range
    clamped = min(max(value, lo), hi)
    if kind.integer_margin and not float(clamped).is_integer():
        clamped = round(clamped)
    if clamped != value:
        message = (
            _("losses: {loss}'s margin {value} is out of range {lo}..{hi} (whole numbers); using {used}")
            if kind.integer_margin
            else _("losses: {loss}'s margin {value} is out of range {lo}..{hi}; using {used}")
        )
        warnings.append(
            message.format(loss=_(kind.label), value=_text(value), lo=_text(lo), hi=_text(hi), used=_text(clamped))
        )
    return margins.ModelSpec(loss, clamped).token


_LEGACY_M = Limit(int, 1, 6, max_len=6)  # links made before the family: m=1,2,3,4 (A-softmax margins)


def _legacy_m(raw, warnings: list[str]) -> list[str]:
    """The models an old link's m meant: softmax, M-softmax and A-softmax for each m (clamped as links then were)."""
    texts = _as_texts(raw)
    if len(texts) > MAX_ITEMS:
        warnings.append(_too_many_read("m", len(texts)))
        texts = texts[:MAX_ITEMS]
    ms = sorted({v for v in (_clamp_one("m", t, _LEGACY_M, None, warnings) for t in texts) if v is not None})
    if len(ms) > _LEGACY_M.max_len:
        warnings.append(_too_many_allowed("m", len(ms), _LEGACY_M.max_len))
        ms = ms[: _LEGACY_M.max_len]
    return list(margins.sphereface_tokens(ms or (1, 2, 3, 4)))


def _valid_one(v, limit: Limit) -> bool:
    if limit.kind is int and (not isinstance(v, int) or isinstance(v, bool)):
        return False
    if limit.kind is float and (not isinstance(v, (int, float)) or isinstance(v, bool) or not math.isfinite(v)):
        return False
    if limit.kind is str and not isinstance(v, str):
        return False
    if limit.choices:
        return v in limit.choices
    return limit.lo <= v <= limit.hi


def _as_texts(raw) -> list[str]:
    """A URL value as a list of texts: "1,2" and ["1", "2"] and [1, 2] all give ["1", "2"]."""
    items = raw if isinstance(raw, (list, tuple)) else [raw]
    out = []
    for item in items:
        out.extend(t.strip() for t in str(item).split(",") if t.strip())
    return out


def _number(text: str, kind: type):
    """int or float from text, or None if it is not a finite number. "4.0" is an int; "4.5" is not."""
    try:
        x = float(text)
    except (TypeError, ValueError, OverflowError):
        return None
    if not math.isfinite(x):
        return None
    if kind is int:
        return int(x) if x.is_integer() else None
    return x


def _one_warning(name: str, found: list[str], used: str) -> str:
    """One key's changes as one sentence: the change itself, or the first of many and what is used instead."""
    if len(found) == 1:
        return found[0]
    more = len(found) - 1
    return ngettext(
        "{first} (and {more} more problem with {name}); using {name} = {used}",
        "{first} (and {more} more problems with {name}); using {name} = {used}",
        more,
    ).format(first=found[0], more=f"{more:,}", name=name, used=clip(used))


def _too_many_read(name: str, count: int) -> str:
    return _("{name} has {count} values; only the first {most} are read").format(
        name=name, count=f"{count:,}", most=MAX_ITEMS
    )


def _too_many_allowed(name: str, count: int, most: int) -> str:
    return _("{name} has {count} values, at most {most} are allowed; using the first {most}").format(
        name=name, count=count, most=most
    )


def _allowed(limit: Limit) -> str:
    """`_describe` in the current language, for the warnings."""
    if limit.choices:
        return _("one of {choices}").format(choices=", ".join(map(str, limit.choices)))
    return _("range {lo}..{hi}").format(lo=_text(limit.kind(limit.lo)), hi=_text(limit.kind(limit.hi)))


def _clamp_one(name: str, text: str, limit: Limit, default, warnings: list[str]):
    """One value parsed and moved to the nearest valid one, with a warning when it was changed.

    Text that is no valid value at all gives `default`; default=None (an element of a tuple) means "drop it".
    """
    shown = clip(text)
    fallback = _("dropping it") if default is None else _("using {value}").format(value=_text(default))
    if limit.kind is str:
        value = text.strip().lower()
        if value in limit.choices:
            return value
        warnings.append(
            _("{name} '{value}' is not one of {choices}; {fallback}").format(
                name=name, value=shown, choices=", ".join(limit.choices), fallback=fallback
            )
        )
        return default
    value = _number(text, limit.kind)
    if value is None:
        message = (
            _("{name} '{value}' is not a whole number; {fallback}")
            if limit.kind is int and _number(text, float) is not None
            else _("{name} '{value}' is not a number; {fallback}")
        )
        warnings.append(message.format(name=name, value=shown, fallback=fallback))
        return default
    if limit.choices:
        nearest = min(limit.choices, key=lambda c: (abs(c - value), c))
        if nearest != value:
            warnings.append(
                _("{name} = {value} is not {allowed}; using {used}").format(
                    name=name, value=_text(value), allowed=_allowed(limit), used=nearest
                )
            )
        return nearest
    lo, hi = limit.kind(limit.lo), limit.kind(limit.hi)
    clamped = min(max(value, lo), hi)
    if clamped != value:
        warnings.append(
            _("{name} = {value} is out of {allowed}; using {used}").format(
                name=name, value=_text(value), allowed=_allowed(limit), used=_text(clamped)
            )
        )
    return clamped


def _parse_scalar(name, raw, limit, default, warnings):
    texts = (
        _as_texts(raw)
        if limit.kind is not str
        else [str(t) for t in (raw if isinstance(raw, (list, tuple)) else [raw])]
    )
    if not texts:
        warnings.append(_("{name} is empty; using {used}").format(name=name, used=_text(default)))
        return default
    if len(texts) > 1:
        warnings.append(
            _("{name} has {count} values; using the last, '{value}'").format(
                name=name, count=f"{len(texts):,}", value=clip(texts[-1])
            )
        )
    return _clamp_one(name, texts[-1], limit, default, warnings)


def _parse_tuple(name, raw, limit, default, warnings):
    texts = _as_texts(raw)
    if len(texts) > MAX_ITEMS:
        warnings.append(_too_many_read(name, len(texts)))
        texts = texts[:MAX_ITEMS]
    if name == "losses":  # a set of models: one each, in registry order
        values = [v for v in (_clamp_token(t, warnings) for t in texts) if v is not None]
        values = list(canonical_tokens(values))
    else:
        values = [v for v in (_clamp_one(name, t, limit, None, warnings) for t in texts) if v is not None]
    if len(values) > limit.max_len:
        warnings.append(_too_many_allowed(name, len(values), limit.max_len))
        values = values[: limit.max_len]
    if not values:
        warnings.append(
            _("{name} has no valid value; using {used}").format(name=name, used=",".join(map(str, default)))
        )
        return default
    return tuple(values)


def _cross_field(values: dict, problems: dict[str, list[str]]) -> dict:
    """Rules between fields: digits has only ten classes, so trained + held-out <= 10; at most MAX_GRID models."""
    losses = values.get("losses", _DEFAULT.losses)
    if values.get("seeds", 1) * len(losses) > MAX_GRID:
        most = MAX_GRID // len(losses)
        problems.setdefault("seeds", []).append(
            _("seeds = {seeds} with {models} models is more than {most} models to train; using {used}").format(
                seeds=values["seeds"], models=len(losses), most=MAX_GRID, used=most
            )
        )
        values = {**values, "seeds": most}
    data = values.get("data", _DEFAULT.data)
    classes = values.get("classes", _DEFAULT.classes)
    if classes > MAX_CLASSES[data]:
        problems.setdefault("classes", []).append(
            _("classes = {classes} is more than {data} allows ({most}); using {most}").format(
                classes=classes, data=_(DATA_NAMES[data]), most=MAX_CLASSES[data]
            )
        )
        values = {**values, "classes": MAX_CLASSES[data]}
    probe = dataclasses.replace(_DEFAULT, **{k: v for k, v in values.items() if k != "held_out"}, held_out=0)
    held_out = values.get("held_out", _DEFAULT.held_out)
    if held_out > probe.max_held_out():
        problems.setdefault("held_out", []).append(
            _(
                "held_out = {held_out} is too many: {data} with {classes} trained classes allows at most {most}; "
                "using {most}"
            ).format(
                held_out=held_out, data=_(DATA_NAMES[probe.data]), classes=probe.classes, most=probe.max_held_out()
            )
        )
        held_out = probe.max_held_out()
    return {**values, "held_out": held_out}


_TUPLES = ("hidden", "losses")
QUERY_KEYS = (*LIMITS, "m")  # the URL keys `from_query` reads: the fields, and m from links made before the family
_DEFAULT = Settings()


_FAMILY = ("asoftmax:4", "normface", "cosface:0.35", "arcface:0.5")
PAPER_LIKE_STEPS = 3000  # with losses.PAPER_LIKE_GAMMA: the run every default trained before the light default


class Preset(NamedTuple):
    settings: Settings
    description: str  # what to look at, one line (marked with N_: the app shows _(description))


# A preset's name is its key: English, as links and tests write it; marked with N_, so the app shows _(name).
PRESETS: Mapping[str, Preset] = MappingProxyType(
    {
        N_("Paper Fig. 2: 2-D features"): Preset(
            Settings(dim=2, losses=margins.sphereface_tokens((4,))),
            N_(
                "Features in the plane: softmax's regions are not rays through the origin (it has a bias), M-softmax's "
                "are "
                "angular sectors, and A-softmax with m = 4 squeezes each class into a narrow wedge with gaps between."
            ),
        ),
        N_("Paper Fig. 5: 3-D features, m = 1..4"): Preset(
            Settings(dim=3, losses=margins.sphereface_tokens((1, 2, 3, 4))),
            N_(
                "Features on the sphere: as m grows each class shrinks to a tighter cap and the class weights spread "
                "apart. "
                "In Compare, the same-class and different-class angle histograms pull apart: the robust form of the "
                "paper's "
                "criterion (95th-percentile intra-class < 5th-percentile inter-class angle) holds for the angular "
                "losses, "
                "with a gap that widens with m; the strict max < min is spoilt by a few outliers on data this small."
            ),
        ),
        N_("Paper Fig. 5 at 3000 steps"): Preset(
            Settings(
                dim=3,
                losses=margins.sphereface_tokens((1, 2, 3, 4)),
                steps=PAPER_LIKE_STEPS,
                lambda_gamma=PAPER_LIKE_GAMMA,
            ),
            N_(
                "The default line-up trained five times longer, as the toy trained every run before its default was "
                "made "
                "light. Measured over five seeds (benchmarks/bench_teaching.py), every effect the lessons point at "
                "shows "
                "in both; this one takes five times the wait. Compare the two yourself."
            ),
        ),
        N_("SphereFace vs CosFace vs ArcFace, 2-D"): Preset(
            Settings(dim=2, losses=_FAMILY),
            N_(
                "The margin family on the same data, from the same start: NormFace (no margin), A-softmax m = 4, "
                "CosFace "
                "m = 0.35 and ArcFace m = 0.5. Features shows each loss's own margin zone (hatched); its shape is the "
                "loss's boundary rule: m·θ₁ = θ₂, cos θ₁ − cos θ₂ = m, θ₁ + m = θ₂. The Target logits tab (the margin "
                "family) draws the same rules as curves."
            ),
        ),
        N_("SphereFace vs CosFace vs ArcFace, 3-D"): Preset(
            Settings(dim=3, losses=_FAMILY),
            N_(
                "The same four losses with features on the sphere. In Compare, look at how tight each class's cap is "
                "and "
                "at the same-class against different-class angle histograms; the stats table gives mean θ_y and the "
                "p95 "
                "intra-class angle for each loss, measured on this run."
            ),
        ),
        N_("Imbalanced classes"): Preset(
            # 1000 steps: at 600 M-softmax's regions follow class size on 4 of 5 seeds, at 1000 on all five
            # (benchmarks/bench_teaching.py); 16 units keep it cheaper than the default run all the same.
            Settings(
                data="blobs",
                dim=2,
                imbalance=20.0,
                overlap=1.5,
                hidden=(16,),
                optimizer="sgd",
                lr=0.01,
                steps=1000,
                losses=margins.sphereface_tokens((4,)),
            ),
            N_(
                "Class 0 has 20x the training samples of the last class. Softmax's ‖W_j‖ and b_j are free, so it can "
                "turn "
                "class size into a prior: the paper's reason to fix ‖W‖ = 1 and b = 0. Features shows, under the "
                "figure, "
                "each class's size next to its weight's length, its bias and the width of the region it wins, with "
                "their "
                "rank correlations measured on this run. Look at the arrow lengths, then at the angular models' "
                "regions: "
                "on this toy they follow class size too (measured over 10 seeds in the README)."
            ),
        ),
        N_("Open-set identities"): Preset(
            Settings(
                data="identities",
                classes=40,
                held_out=20,
                samples=60,
                dim=3,
                hidden=(32, 32),
                losses=("softmax", "msoftmax", "asoftmax:2", "asoftmax:4"),
                seeds=5,
            ),
            N_(
                "40 synthetic people to train on, 20 more met only at test time, 60 photos each with pose and lighting "
                "shared by everyone. Every loss trains five times (seeds) in one call. The Open-set tab verifies the "
                "new "
                "people by the cosine of their features against cosine on the raw photos, and says from the numbers "
                "whether the margin helps and how sure that is."
            ),
        ),
    }
)
