"""A room of runs as one experiment: the numbers each finished run leaves behind, and what the room's seeds say.

A class that trains one experiment with a seed per student is a sample of that experiment's seeds. Each run of it
leaves `SeedNumbers` per seed (a few numbers per model, no features), and `paired` compares two models of the
line-up seed by seed, each seed with itself: both models of a seed saw the same data split, the same initial
weights and the same minibatches, so their difference is the loss's, and the spread of the differences over the
room's seeds is how much a single run can mislead.

No Streamlit and no threads here: `serving.room.Room` keeps the numbers of a server's runs, and `plots.room` draws
and words them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from sphere_toy.analysis import evaluate, metrics
from sphere_toy.experiment import Settings
from sphere_toy.i18n import N_

RAD_TO_DEG = 180.0 / math.pi


@dataclass(frozen=True)
class Measure:
    """A number the room compares: its key in `SeedNumbers.values`, its name (N_-marked) and how it is printed."""

    key: str
    label: str  # N_-marked, translated where shown: a figure's axis or title
    noun: str  # N_-marked: the same at the start of a sentence
    unit: str  # printed after the value: "°" or ""
    digits: int  # decimals printed


THETA_Y = Measure("theta_y", N_("mean θ_y (°)"), N_("Mean θ_y"), "°", 1)
TEST_ACC = Measure("test_acc", N_("test accuracy"), N_("Test accuracy"), "", 3)
OPEN_SET_AUC = Measure("open_set_auc", N_("open-set AUC"), N_("Open-set AUC"), "", 3)
SEPARATION = Measure("separation", N_("class separation R²"), N_("Class separation R²"), "", 3)
MEASURES: tuple[Measure, ...] = (THETA_Y, TEST_ACC, OPEN_SET_AUC, SEPARATION)
BY_KEY: dict[str, Measure] = {m.key: m for m in MEASURES}
ROBUST = "robust"  # the robust criterion (p95 intra < p5 inter) as 1.0 or 0.0: counted, not averaged
MIN_SEEDS = 3  # the fewest seeds whose differences the room puts into words (two give no spread worth a sentence)


@dataclass(frozen=True)
class SeedNumbers:
    """One seed of one run: each model's numbers, by its token ("asoftmax:4"), None where it has none (it diverged,
    or its open-set AUC is not measured yet, or there are no held-out classes).

    `run` is the run's seed (its data split; `Settings.seed`) and `seed` this model's initialisation (run + k for a
    run of several seeds): together they name the sample."""

    run: int
    seed: int
    values: Mapping[str, Mapping[str, float | None]]  # token -> {measure key or ROBUST: value}

    def value(self, token: str, key: str) -> float | None:
        return self.values.get(token, {}).get(key)


@dataclass(frozen=True)
class RoomRun:
    """A finished run as the room keeps it: its settings, how long ago it finished, and its seeds' numbers."""

    settings: Settings
    age: float  # seconds between its end and the moment the room was read
    seeds: tuple[SeedNumbers, ...]
    measured: bool  # its open-set AUCs are in (they are measured while the server is idle)


def experiment_key(settings: Settings) -> Settings:
    """The experiment a run belongs to in the room: its settings but the seed (every seed of one experiment)."""
    return settings.replace(seed=0)


@dataclass(frozen=True)
class Group:
    """The room's runs of one experiment (`experiment_key`), oldest first, read at one moment (`version`)."""

    key: Settings
    runs: tuple[RoomRun, ...]
    version: int = 0  # the room's count of changes when it was read: a new version, a new picture

    @property
    def samples(self) -> tuple[SeedNumbers, ...]:
        """Every seed of every run: the room's sample of this experiment."""
        return tuple(s for run in self.runs for s in run.seeds)

    @property
    def tokens(self) -> tuple[str, ...]:
        """The line-up's models, as `margins.parse` reads them."""
        return self.key.losses

    @property
    def measured(self) -> int:
        """Runs whose open-set AUCs are in."""
        return sum(run.measured for run in self.runs)

    def mine(self, settings: Settings | None) -> int | None:
        """The run seed of `settings` if the room holds that run (a student's own), else None."""
        if settings is None or experiment_key(settings) != self.key:
            return None
        return settings.seed if any(run.settings == settings for run in self.runs) else None


def quick_numbers(result, g: int) -> dict[str, float | None]:
    """Model g's numbers that take milliseconds (everything but the open-set AUC): mean θ_y in degrees, the robust
    criterion (1.0 or 0.0), test accuracy and class separation, on the closed-set test features. All None if the
    model diverged (`evaluate.record` says the same)."""
    keys = (THETA_Y.key, TEST_ACC.key, SEPARATION.key, ROBUST, OPEN_SET_AUC.key)
    if result.diverged(g):
        return dict.fromkeys(keys)
    data, feats, w = result.data, result.test_features[g], result.weights[g]
    stats = metrics.angle_stats(feats, data.y_test)
    return {
        THETA_Y.key: float(np.mean(metrics.target_angles(feats, w, data.y_test))) * RAD_TO_DEG,
        TEST_ACC.key: metrics.accuracy(feats, w, result.bias[g], data.y_test),
        SEPARATION.key: metrics.class_separation(feats, data.y_test),
        ROBUST: float(bool(stats["robust_criterion_met"])),
        OPEN_SET_AUC.key: None,  # measured later, while the server is idle (`open_set_auc`)
    }


def open_set_auc(result, g: int) -> float | None:
    """Model g's open-set AUC: the Open-set tab's own number (`evaluate.open_set_report`, computed once per run)."""
    report = evaluate.open_set_report(result, g)
    return None if report is None or report["auc"] is None else float(report["auc"])


def seed_numbers(result, run_seed: int, *, auc: bool = False) -> tuple[SeedNumbers, ...]:
    """Every seed of a trained run as `SeedNumbers`, in the order of its seeds; with `auc`, the open-set AUC too
    (about 0.07 s a model; the room measures it while the server is idle)."""
    by_seed: dict[int, dict[str, dict]] = {}
    for g, spec in enumerate(result.specs):
        numbers = quick_numbers(result, g)
        if auc:
            numbers[OPEN_SET_AUC.key] = open_set_auc(result, g)
        by_seed.setdefault(spec.seed, {})[spec.token] = numbers
    return tuple(SeedNumbers(run_seed, seed, values) for seed, values in by_seed.items())


# ---- two models, seed by seed ----


def t_interval(diffs, level: float = 0.95) -> tuple[float, float] | None:
    """The `level` confidence interval of the mean of `diffs` (Student's t): mean ± t_{(1+level)/2, n−1}·s/√n, with s
    the sample standard deviation. None with fewer than two values. A paired t-interval when `diffs` are the
    differences of two models on the same seeds."""
    from scipy import stats  # here, not at import: the page that never compares seeds never pays for scipy

    x = np.asarray(diffs, dtype=float)
    n = len(x)
    if n < 2:
        return None
    half = float(stats.t.ppf((1 + level) / 2, n - 1) * np.std(x, ddof=1) / math.sqrt(n))
    mean = float(np.mean(x))
    return mean - half, mean + half


@dataclass(frozen=True)
class Paired:
    """Model `a` against model `b` on one measure, over the seeds where both have it: `diffs` = a − b per seed."""

    measure: Measure
    a: str  # tokens
    b: str
    diffs: tuple[float, ...]
    samples: tuple[tuple[int, int], ...]  # (run, seed) of each difference, in the same order

    @property
    def n(self) -> int:
        return len(self.diffs)

    @property
    def lower(self) -> int:
        """Seeds on which a's value is below b's."""
        return sum(d < 0 for d in self.diffs)

    @property
    def higher(self) -> int:
        return sum(d > 0 for d in self.diffs)

    @property
    def mean(self) -> float | None:
        return float(np.mean(self.diffs)) if self.diffs else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """The paired 95% t-interval of the mean difference (None under two seeds)."""
        return t_interval(self.diffs)

    @property
    def direction(self) -> int:
        """-1 or +1 when the room settles which is larger (at least `MIN_SEEDS` seeds and an interval that leaves out
        0), else 0."""
        interval = self.interval
        if self.n < MIN_SEEDS or interval is None:
            return 0
        low, high = interval
        return -1 if high < 0 else 1 if low > 0 else 0

    def of(self, run: int, seed: int) -> float | None:
        """The difference on one sample, None if the room has none for it."""
        return dict(zip(self.samples, self.diffs)).get((run, seed))


def paired(samples, measure: Measure | str, a: str, b: str) -> Paired:
    """`a` − `b` on `measure` for every sample (`SeedNumbers`) where both have a value."""
    measure = BY_KEY[measure] if isinstance(measure, str) else measure
    diffs, keys = [], []
    for s in samples:
        va, vb = s.value(a, measure.key), s.value(b, measure.key)
        if va is not None and vb is not None and math.isfinite(va) and math.isfinite(vb):
            diffs.append(va - vb)
            keys.append((s.run, s.seed))
    return Paired(measure, a, b, tuple(diffs), tuple(keys))


def holds(samples, token: str) -> tuple[int, int]:
    """On how many samples the robust criterion holds for `token`, and out of how many where it was measured."""
    found = [s.value(token, ROBUST) for s in samples]
    found = [v for v in found if v is not None]
    return int(sum(found)), len(found)


def values(samples, token: str, measure: Measure) -> list[tuple[int, int, float]]:
    """(run, seed, value) of `token` on `measure`, for every sample that has it."""
    out = []
    for s in samples:
        v = s.value(token, measure.key)
        if v is not None and math.isfinite(v):
            out.append((s.run, s.seed, v))
    return out


def default_pair(tokens) -> tuple[str, str] | None:
    """The pair a room compares first: the line-up's last model with a margin against the loss it adds the margin
    to (A-softmax m=4 against M-softmax in the default run), else its last two models; None for fewer than two."""
    from sphere_toy.core import margins

    tokens = list(tokens)
    for token in reversed(tokens):
        spec = margins.parse(token)
        if spec.has_margin and spec.kind.baseline in tokens:
            return token, spec.kind.baseline
    return (tokens[-1], tokens[-2]) if len(tokens) >= 2 else None
