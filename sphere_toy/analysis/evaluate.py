"""What a trained grid measures: one typed `ModelRecord` per model, and the open-set reports, computed once per run.

A `train.GridResult` is plain data (features, weights, history); this module reads numbers off it. The open-set
reports are the slow part (~0.2 s per model, ROC over up to 200 000 pairs), so they are memoised per result object
(by identity, dropped with the result): `jobs.train_settings` fills them in the background, and every tab, the
table and the CLI read the same numbers.
"""

from __future__ import annotations

import dataclasses
import math
import threading
import weakref
from dataclasses import dataclass

import numpy as np

from sphere_toy.analysis import metrics

_memo: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # result -> {key: report}
_lock = threading.Lock()


# a seed's view -> (a weak reference to the whole run, the view's indices in it). Weak both ways: the run keeps its
# view alive (in _memo), and the view must not keep the run alive, or neither would ever be freed.
_views: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def first_seed(result):
    """The models of the run's first seed, as a result of their own (what every view but the seeds' one shows);
    the run itself when it has one seed. The same object each time, and its open-set reports are the run's."""
    seeds = [s.seed for s in result.specs]
    if len(set(seeds)) == 1:
        return result
    key = "first_seed"
    with _lock:
        view = _memo.setdefault(result, {}).get(key)
    if view is None:
        indices = [g for g, seed in enumerate(seeds) if seed == seeds[0]]
        view = result.select(indices)
        with _lock:
            view = _memo[result].setdefault(key, view)
            _views.setdefault(view, (weakref.ref(result), indices))
    return view


def _memoised(result, key, compute):
    whole, indices = _views.get(result, (lambda: None, None))
    if whole() is not None:  # a view of a run: its reports are the run's
        return _memoised(whole(), (key[0], indices[key[1]]) if isinstance(key, tuple) else key, compute)
    with _lock:
        store = _memo.setdefault(result, {})
        if key in store:
            return store[key]
    value = compute()  # outside the lock: two threads may compute the same deterministic value; one is kept
    with _lock:
        return _memo[result].setdefault(key, value)


def open_set_report(result, g: int) -> dict | None:
    """`metrics.open_set_report` of model g on the held-out classes (threshold chosen on the training classes);
    None if it diverged or there are fewer than 2 held-out classes. Computed once per result."""
    data = result.data
    if result.diverged(g) or data.n_open_classes < 2:
        return None
    return _memoised(
        result,
        ("open_set", g),
        lambda: metrics.open_set_report(result.train_features[g], data.y_train, result.open_features[g], data.y_open),
    )


def open_set_reports(result) -> list[dict | None]:
    """`open_set_report` of every model, in grid order."""
    return [open_set_report(result, g) for g in range(len(result.specs))]


def input_open_set_report(result) -> dict | None:
    """The same verification on the raw inputs (pixels), with no net at all: the yardstick for the models.

    A 2-D or 3-D embedding learnt on a few classes has little room left for classes it never saw; comparing with the
    raw inputs shows how much of the open-set signal the bottleneck keeps (SphereFace's are 512-D).
    """
    data = result.data
    if data.n_open_classes < 2:
        return None
    return _memoised(
        result, "open_set_inputs", lambda: metrics.open_set_report(data.x_train, data.y_train, data.x_open, data.y_open)
    )


def measured(result) -> set:
    """Which reports of this result are already computed (for tests and the background job)."""
    with _lock:
        return set(_memo.get(result, {}))


@dataclass(frozen=True)
class ModelRecord:
    """One model's summary numbers. Angles in radians, on the closed-set test features; a model that diverged has
    `nan_step` set and None for every measurement (its features are not to be trusted)."""

    loss: str  # an id of `margins.LOSSES`
    margin: float  # its margin (SphereFace's m is an integer; the neutral value for a loss without one)
    scale: float | None  # s for the scaled losses, None where the feature keeps its length
    seed: int
    name: str  # "A-softmax m=4"
    nan_step: int | None  # first step that was not finite, None if training stayed finite
    compile_seconds: float
    train_seconds: float
    final_loss: float | None = None
    train_acc: float | None = None
    test_acc: float | None = None
    mean_target_angle: float | None = None  # mean θ_y, the angle between a feature and its class weight
    max_intra_angle: float | None = None
    min_inter_angle: float | None = None
    p95_intra_angle: float | None = None
    p5_inter_angle: float | None = None
    mean_intra_angle: float | None = None
    mean_inter_angle: float | None = None
    criterion_met: bool | None = None  # the paper's strict criterion: max intra < min inter
    robust_criterion_met: bool | None = None  # p95 intra < p5 inter
    min_weight_angle: float | None = None
    weight_norms: tuple[float, ...] | None = None  # all 1 where the loss normalises W; softmax's are free
    open_set_auc: float | None = None
    open_set_threshold: float | None = None
    open_set_accuracy: float | None = None
    input_open_set_auc: float | None = None  # the raw inputs' AUC on the same held-out pairs (no net): the yardstick
    class_separation: float | None = None  # Kornblith et al.'s R² of the test features' directions (0..1)
    open_set_rank1: float | None = None  # 1:N identification of the held-out classes, one gallery photo each
    input_open_set_rank1: float | None = None  # the same on the raw inputs: the yardstick

    @property
    def ok(self) -> bool:
        return self.nan_step is None

    def as_json(self) -> dict:
        """A JSON-ready dict (NaN and infinity become None)."""
        out = dataclasses.asdict(self)
        out["weight_norms"] = None if self.weight_norms is None else list(self.weight_norms)
        return {k: None if isinstance(v, float) and not math.isfinite(v) else v for k, v in out.items()}


def record(result, g: int) -> ModelRecord:
    """Model g's `ModelRecord`."""
    spec, data = result.specs[g], result.data
    base = input_open_set_report(result)
    head = ModelRecord(
        loss=spec.loss,
        margin=spec.margin,
        scale=spec.scale,
        seed=spec.seed,
        name=spec.name,
        nan_step=int(result.nan_step[g]) if result.diverged(g) else None,
        compile_seconds=result.compile_seconds,
        train_seconds=result.train_seconds,
        input_open_set_auc=None if base is None or base["auc"] is None else float(base["auc"]),
        input_open_set_rank1=metrics.identification_rank1(data.x_open, data.y_open) if data.n_open_classes else None,
    )
    if result.diverged(g):
        return head
    w, b, feats = result.weights[g], result.bias[g], result.test_features[g]
    stats = metrics.angle_stats(feats, data.y_test)
    open_set = open_set_report(result, g) or {}
    angles = {
        k: stats[k]
        for k in (
            "max_intra_angle",
            "min_inter_angle",
            "p95_intra_angle",
            "p5_inter_angle",
            "mean_intra_angle",
            "mean_inter_angle",
        )
    }
    return dataclasses.replace(
        head,
        final_loss=float(result.history["loss"][g, -1]),
        train_acc=metrics.accuracy(result.train_features[g], w, b, data.y_train),
        test_acc=metrics.accuracy(feats, w, b, data.y_test),
        mean_target_angle=float(np.mean(metrics.target_angles(feats, w, data.y_test))),
        **{k: None if v is None else float(v) for k, v in angles.items()},
        criterion_met=bool(stats["criterion_met"]),
        robust_criterion_met=bool(stats["robust_criterion_met"]),
        min_weight_angle=metrics.min_weight_angle(w),
        class_separation=metrics.class_separation(feats, data.y_test),
        open_set_rank1=metrics.identification_rank1(result.open_features[g], data.y_open)
        if data.n_open_classes
        else None,
        weight_norms=tuple(float(v) for v in metrics.weight_norms(w)),
        **{
            f"open_set_{k}": None if open_set.get(k) is None else float(open_set[k])
            for k in ("auc", "threshold", "accuracy")
        },
    )


def records(result) -> list[ModelRecord]:
    return [record(result, g) for g in range(len(result.specs))]


# ---- answers over seeds ----


@dataclass(frozen=True)
class SeedAUCs:
    """One model of the line-up over every seed of the run: its open-set AUC per seed (None where it diverged)."""

    token: str  # the model, as `margins.parse` reads it: "asoftmax:4"
    name: str  # "A-softmax m=4"
    seeds: tuple[int, ...]
    aucs: tuple[float | None, ...]

    @property
    def finite(self) -> list[float]:
        return [a for a in self.aucs if a is not None]

    @property
    def mean(self) -> float | None:
        return float(np.mean(self.finite)) if self.finite else None

    @property
    def sd(self) -> float | None:
        """Sample standard deviation over seeds (None with fewer than two)."""
        return float(np.std(self.finite, ddof=1)) if len(self.finite) > 1 else None

    @property
    def text(self) -> str:
        """ "0.888 ± 0.021" ("-" if every seed diverged, no ± with one seed)."""
        if self.mean is None:
            return "-"
        return f"{self.mean:.3f}" + ("" if self.sd is None else f" ± {self.sd:.3f}")


@dataclass(frozen=True)
class MarginEffect:
    """A margin model against its loss without the margin (`Loss.baseline`), seed by seed: both start from the same
    initial weights and see the same minibatches, so the difference is the margin's."""

    name: str  # "A-softmax m=4"
    baseline: str  # "M-softmax"
    diffs: tuple[float, ...]  # AUC(model) − AUC(baseline), per seed where both trained

    @property
    def mean(self) -> float:
        return float(np.mean(self.diffs))

    @property
    def sd(self) -> float | None:
        return float(np.std(self.diffs, ddof=1)) if len(self.diffs) > 1 else None

    @property
    def higher(self) -> int:
        """On how many seeds the margin model scored higher."""
        return sum(d > 0 for d in self.diffs)

    @property
    def consistent(self) -> bool:
        """Every seed agrees on the sign (and there are at least 3 of them): a finding, not noise."""
        return len(self.diffs) >= 3 and self.higher in (0, len(self.diffs))


def seed_aucs(result) -> list[SeedAUCs]:
    """Per model of the line-up (in its order), the open-set AUC of every seed."""
    tokens = list(dict.fromkeys(s.token for s in result.specs))
    seeds = tuple(dict.fromkeys(s.seed for s in result.specs))
    out = []
    for token in tokens:
        by_seed = {s.seed: g for g, s in enumerate(result.specs) if s.token == token}
        reports = [open_set_report(result, by_seed[seed]) if seed in by_seed else None for seed in seeds]
        name = result.specs[next(iter(by_seed.values()))].name
        out.append(SeedAUCs(token, name, seeds, tuple(None if r is None else r["auc"] for r in reports)))
    return out


def margin_effects(result) -> list[MarginEffect]:
    """Each margin model of the line-up against its baseline loss, when the line-up has that loss."""
    from sphere_toy.core import margins

    rows = {row.token: row for row in seed_aucs(result)}
    out = []
    for token, row in rows.items():
        spec = margins.parse(token)
        base = spec.kind.baseline
        if not spec.has_margin or base not in rows:
            continue
        pairs = [(a, b) for a, b in zip(row.aucs, rows[base].aucs) if a is not None and b is not None]
        if pairs:
            out.append(MarginEffect(row.name, rows[base].name, tuple(a - b for a, b in pairs)))
    return out


# ---- the class prior under imbalance ----


@dataclass(frozen=True)
class ClassPrior:
    """What a model gives each training class, against how many samples the class had (SphereFace, Sec. 3.1: free
    ‖W_j‖ and b_j can learn a prior from imbalanced data). ρ: Spearman's rank correlation with the class size."""

    name: str
    sizes: tuple[int, ...]  # training samples per class
    norms: tuple[float, ...]  # ‖W_j‖ (all 1 where the loss normalises W)
    biases: tuple[float, ...]  # b_j (all 0 but for softmax)
    angles: tuple[float, ...] | None  # degrees of the circle at the median ‖x‖ where class j wins (2-D only)
    rho_norms: float | None
    rho_biases: float | None
    rho_angles: float | None


def class_prior(result, g: int) -> ClassPrior | None:
    """Model g's per-class weights, biases and (2-D) region widths against the class sizes; None if it diverged."""
    if result.diverged(g):
        return None
    data = result.data
    sizes = np.bincount(data.y_train, minlength=data.n_classes)
    w, b = result.weights[g], result.bias[g]
    norms = metrics.weight_norms(w)
    angles = None
    if w.shape[0] == 2:
        radius = float(np.median(np.linalg.norm(result.train_features[g], axis=-1)))
        angles = metrics.region_angles(w, b, radius)
    return ClassPrior(
        name=result.specs[g].name,
        sizes=tuple(int(s) for s in sizes),
        norms=tuple(float(v) for v in norms),
        biases=tuple(float(v) for v in b),
        angles=None if angles is None else tuple(float(v) for v in angles),
        rho_norms=metrics.rank_correlation(norms, sizes),
        rho_biases=metrics.rank_correlation(b, sizes),
        rho_angles=None if angles is None else metrics.rank_correlation(angles, sizes),
    )
