"""The whole experiment as one frozen value: what the app's form edits, what its URL holds, what its cache is keyed by.

`Settings` is a flat record of plain values (no Streamlit, no JAX) with its limits declared once in `LIMITS`. URL
values come in as text, so `Settings.from_query` parses and clamps them to the nearest valid value and says what it
changed in plain words, never raising; `to_query` writes the canonical text back, and the two round-trip exactly.
`data_config`, `train_config` and `specs` translate to the library's types, so the app itself holds no logic.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Mapping

from sphere_toy.core import margins
from sphere_toy.data import N_DIGITS, DataConfig, load
from sphere_toy.errors import SettingError
from sphere_toy.i18n import _
from sphere_toy.core.losses import TOY_SCALE
from sphere_toy.core.margins import LOSSES, ModelSpec
from sphere_toy.train import Experiment, TrainConfig
from sphere_toy.experiment.limits import (
    DATA_NAMES,
    LIMITS,
    MAX_CLASSES,
    MAX_GRID,
    MAX_HELD_OUT,
    MAX_HELD_OUT_IDENTITIES,
    TRAIN_DEFAULTS,
)
from sphere_toy.experiment.query import (
    describe_limit,
    legacy_m,
    one_warning,
    parse_scalar,
    parse_tuple,
    url_text,
    valid_one,
    valid_token,
    canonical_tokens,
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
    dim: int = TRAIN_DEFAULTS.feature_dim  # D, the feature dimension: 2 or 3 to draw, 8-32 for open-set work
    hidden: tuple[int, ...] = TRAIN_DEFAULTS.hidden  # MLP hidden widths
    steps: int = TRAIN_DEFAULTS.steps  # optimisation steps
    batch: int = TRAIN_DEFAULTS.batch_size  # minibatch size
    lr: float = TRAIN_DEFAULTS.learning_rate  # learning rate
    optimizer: str = TRAIN_DEFAULTS.optimizer  # "adam" | "sgd"
    lambda_base: float = (
        TRAIN_DEFAULTS.lambda_base
    )  # λ = max(λ_min, base·(1 + γ·step/steps)^(-power)): run_lambda_schedule
    lambda_gamma: float = TRAIN_DEFAULTS.lambda_gamma
    lambda_power: float = TRAIN_DEFAULTS.lambda_power
    lambda_min: float = TRAIN_DEFAULTS.lambda_min
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
            raise SettingError.joined(problems)

    def problems(self) -> list[SettingError]:
        """Why these settings are invalid (empty if they are valid), each naming the fields it is about."""
        out = []
        for name, limit in LIMITS.items():
            value = getattr(self, name)
            values = value if isinstance(value, tuple) else (value,)
            field = "{" + name + "}"
            if name in _TUPLES:
                if not isinstance(value, tuple) or not 1 <= len(value) <= limit.max_len:
                    text = f"{field} must be a tuple of 1..{limit.max_len} values, got {value!r}"
                    out.append(SettingError(text, name))
                    continue
            for v in values:
                if name == "losses" and not valid_token(v):
                    text = f"{field}: {v!r} is not a model (e.g. softmax, asoftmax:4, cosface:0.35)"
                    out.append(SettingError(text, name))
                elif name != "losses" and not valid_one(v, limit):
                    out.append(SettingError(f"{field} = {v!r} is not valid ({describe_limit(limit)})", name))
        if not out and self.losses != canonical_tokens(self.losses):
            out.append(SettingError(f"{{losses}} must be in registry order and distinct, got {self.losses}", "losses"))
        if not out and self.seeds * len(self.losses) > MAX_GRID:
            out.append(
                SettingError(
                    f"{{seeds}} = {self.seeds} with {len(self.losses)} models makes more than {MAX_GRID} models",
                    "seeds",
                    "losses",
                )
            )
        if not out and self.classes > self.max_classes():
            out.append(
                SettingError(
                    f"{{classes}} = {self.classes} is more than {self.max_classes()} for {self.data}", "classes"
                )
            )
        if not out and self.held_out > self.max_held_out():
            out.append(
                SettingError(
                    f"{{held_out}} = {self.held_out} is more than {self.max_held_out()} with {{classes}} = "
                    f"{self.classes} of {self.data}",
                    "held_out",
                    "classes",
                )
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
            params = {**params, "losses": legacy_m(params["m"], problems.setdefault("m", []))}
        for name, limit in LIMITS.items():
            if name in params:
                default = getattr(_DEFAULT, name)
                parse = parse_tuple if name in _TUPLES else parse_scalar
                values[name] = parse(name, params[name], limit, default, problems.setdefault(name, []))
        settings = dataclasses.replace(_DEFAULT, **_cross_field(values, problems))
        canonical = settings.to_query()
        warnings = [
            one_warning(name, found, canonical["losses" if name == "m" else name])
            for name, found in problems.items()
            if found
        ]
        return settings, warnings

    def to_query(self) -> dict[str, str]:
        """Every field as canonical URL text: `from_query(s.to_query()) == (s, [])`."""
        return {
            name: ",".join(map(url_text, v)) if isinstance(v, tuple) else url_text(v)
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

    def describe(self, *, seed: bool = True) -> str:
        """One line for a status bar, in the current language: "digits, 6 classes + 4 held out, 3-D features, 3000
        steps, ..., seed 0"; without `seed`, the experiment whatever its seed (a room's)."""
        classes = _("{n} classes").format(n=self.classes)
        if self.held_out:
            classes = _("{classes} + {n} held out").format(classes=classes, n=self.held_out)
        parts = [_(DATA_NAMES[self.data]), classes]
        if self.imbalance != 1:
            parts.append(_("imbalance {value}").format(value=url_text(self.imbalance)))
        specs = self.specs()[: len(self.losses)]
        scale = f" (s = {url_text(self.scale)})" if any(s.kind.scaled for s in specs) else ""
        parts += [
            _("{dim}-D features").format(dim=self.dim),
            _("{n} steps").format(n=self.steps),
            _("{optimizer} lr {lr}").format(optimizer=self.optimizer, lr=url_text(self.lr)),
            _models_text(specs) + scale,
        ]
        if seed:
            parts.append(
                _("seeds {first}-{last}").format(first=self.seed, last=self.seed + self.seeds - 1)
                if self.seeds > 1
                else _("seed {seed}").format(seed=self.seed)
            )
        return _(", ").join(parts)


def lineup_tokens(lineup: Mapping[str, list]) -> list[str]:
    """The inverse of `Settings.lineup`: tokens for loss ids and their margins (a margin loss with none listed takes
    its default margin)."""
    out = []
    for loss, values in lineup.items():
        if loss in LOSSES and LOSSES[loss].margin is not None:
            out += [f"{loss}:{url_text(float(v))}" for v in (values or [LOSSES[loss].margin_default])]
        else:
            out.append(loss)
    return out


def _models_text(specs) -> str:
    """ "softmax, M-softmax, A-softmax m = 1, 2, 4, CosFace m = 0.35": one loss, its margins together."""
    parts = []
    for loss in margins.families(specs):
        mine = [s for s in specs if s.loss == loss]
        margin_list = ", ".join(url_text(s.margin) for s in mine if s.kind.margin is not None)
        parts.append(_(LOSSES[loss].label) + (f" m = {margin_list}" if margin_list else ""))
    return _(", ").join(parts)


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
