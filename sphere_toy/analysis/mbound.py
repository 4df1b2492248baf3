"""How large must m be? SphereFace's lower bound on the margin, derived from the geometry and checked by training.

SphereFace (Liu et al., CVPR 2017, arXiv:1704.08063), Sec. 3.4: Definition 1 calls m_min the smallest m such that for
every m > m_min the largest angle A-softmax allows between two features of one class is smaller than the smallest
angle it allows between features of two classes. Property 2 (two classes, Eq. 8-9): m_min ≥ 2 + √3 ≈ 3.73.
Property 3 (many classes whose weights are evenly spread, Eq. 10): m_min ≥ 3.

The geometry (2-D, the plane of two unit weights W1, W2 that are θ12 apart, 0 < θ12 ≤ π). A-softmax puts x in
class 1 with its full margin (λ = 0) where ψ(θ1) > cos θ2; ψ is strictly decreasing and ψ(θ2/m) = cos θ2, so that
is m·θ1 < θ2 (Sec. 3.3), θj ∈ [0, π] the angle between x and Wj. Class 1's allowed region is an arc around W1:
    towards W2 (θ1 + θ2 = θ12):     θ1 < θ12/(m+1)                                      ("near")
    away from W2 (θ2 = θ12 + θ1):   θ1 < θ12/(m−1), while θ12 + θ1 ≤ π; past the point opposite W2 θ2 shrinks
                                    again (θ2 = 2π − θ12 − θ1, an angle is never above π): θ1 < (2π − θ12)/(m+1)
                                    far = min(θ12/(m−1), (2π − θ12)/(m+1))              ("far"; m = 1: (2π − θ12)/2)
    max intra-class angle = near + far: the paper's Eq. 8, 2mθ12/(m²−1), while θ12 ≤ (m−1)π/m; its Eq. 9, 2π/(m+1),
                            beyond
    min inter-class angle = θ12 − 2·near = (m−1)θ12/(m+1) (the gap behind, 2π − θ12 − 2·far, is never smaller)
On Eq. 8's branch the criterion max intra < min inter reads 2m/(m−1) < m−1, m² − 4m + 1 > 0, m > 2 + √3 whatever
θ12 is; on Eq. 9's it reads θ12 > 2π/(m−1). So the two-class threshold is 2 + √3 for θ12 ≤ (√3 − 1)π ≈ 131.8° and
1 + 2π/θ12 above, down to 3 at θ12 = π: Property 2's 2 + √3 is the worst case over θ12. Two opposite weights are
the many-class case with two classes.
Many classes evenly spread in the plane (Eq. 10), neighbours θ apart, each class bounded by a neighbour on both
sides: max intra = 2θ/(m+1), min inter = (m−1)θ/(m+1); the criterion holds iff m > 3. At m = 3 the two are equal;
Definition 1 asks for m > m_min, so m = 3 does not do it: the smallest integer margin is 4 in both cases, the
paper's choice. m = 1 (M-softmax) leaves no margin: each class gets a half circle, max intra 180°, min inter 0°.

The assumptions, and which ones the toy's training check (`CHECK_SETTINGS`) meets:
  - features in the plane of the weights: met (2-D features, two classes);
  - the regions are those of the full margin: nearly, for the second half of training (λ passes 1 at 42% of the
    run and ends at about 0.19, λ_min = 0, which leaves m = 4 like m ≈ 3; the paper's face models stop at λ = 5,
    which weakens m = 4 to about m = 1.5);
  - classes evenly spread: two weights are "evenly spread" only at θ12 = π. The trained ones end 40°-140° apart,
    further apart the larger m (on every seed from m = 1 to m = 6), so the threshold at the learned θ12 is
    3.6-3.73: every integer m ≥ 4 is above it;
  - features fill the whole region the loss allows: NOT met, and this is what decides. The bound is a guarantee
    about the loss's regions, their worst case, not a prediction about trained features. Measured (5 seeds per m,
    600 steps): on the training features every seed meets the strict criterion at every m, m = 1 included, because
    they fill a small part of their arc; on the test features 2-7% of the points lie outside their class's arc at
    m ≥ 2 on four seeds (up to half on the fifth, whose run ends short of the full margin the arcs are drawn for),
    one such point is enough to break the strict criterion, and it holds on at most one seed of five at m ≥ 2 (on
    2 of 5 at m = 1, whose arc is the half circle); the robust form (95th percentile < 5th) holds on 3-5 seeds of 5
    at every m. `check_text` says this from the numbers of a run, and tests/test_mbound.py holds the run to it.

`check_text` is in the current language (`sphere_toy.i18n`); the numbers in it are computed, never translated.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np

from sphere_toy.analysis import evaluate
from sphere_toy.analysis import metrics
from sphere_toy.data import load
from sphere_toy.i18n import _, ngettext
from sphere_toy.experiment import Settings
from sphere_toy.train import train_grid

TWO_CLASS_BOUND = 2 + math.sqrt(3)  # Property 2: two classes, the worst case over θ12
MANY_CLASS_BOUND = 3.0  # Property 3: many classes evenly spread in the plane
BRANCH_ANGLE = (math.sqrt(3) - 1) * math.pi  # ≈ 131.8°: above this θ12 the two-class threshold falls below 2 + √3


def _check(m, theta) -> tuple[np.ndarray, np.ndarray]:
    m, theta = np.asarray(m, np.float64), np.asarray(theta, np.float64)
    if not (np.all(m >= 1) and np.all(theta > 0) and np.all(theta <= np.pi)):  # written so that NaN fails too
        raise ValueError(f"need m >= 1 and 0 < θ <= π, got m = {m}, θ = {theta}")
    return m, theta


def class_reach(m, theta12) -> tuple[np.ndarray, np.ndarray]:
    """How far class 1's allowed arc (m·θ1 < θ2) reaches from W1: (near, far) in radians.

    near = θ12/(m+1) towards W2; far = min(θ12/(m−1), (2π − θ12)/(m+1)) away from it (the first term is
    infinite at m = 1). Class 2's arc is the mirror image. m >= 1 (any real), 0 < θ12 <= π, broadcast together.
    """
    m, theta12 = _check(m, theta12)
    near = theta12 / (m + 1)
    far_line = np.divide(theta12, m - 1, out=np.full(np.broadcast(m, theta12).shape, np.inf), where=m > 1)
    far = np.minimum(far_line, (2 * np.pi - theta12) / (m + 1))  # past the point opposite W2, θ2 shrinks again
    return near, far


def two_class_angles(m, theta12) -> tuple[np.ndarray, np.ndarray]:
    """(max intra-class angle, min inter-class angle) A-softmax allows for two classes θ12 apart (Sec. 3.4, Eq. 8-9).

    max intra = near + far (`class_reach`): 2mθ12/(m²−1) while θ12 <= (m−1)π/m, else 2π/(m+1);
    min inter = (m−1)θ12/(m+1). Radians; the regions are open, so these are a supremum and an infimum.
    m >= 1, 0 < θ12 <= π (arrays broadcast).
    """
    near, far = class_reach(m, theta12)
    theta12 = np.asarray(theta12, np.float64)
    return near + far, theta12 - 2 * near


def many_class_angles(m, theta) -> tuple[np.ndarray, np.ndarray]:
    """(max intra, min inter) for many classes evenly spread in the plane, neighbours θ apart (Sec. 3.4, Eq. 10).

    Each class reaches θ/(m+1) towards each neighbour: max intra = 2θ/(m+1), min inter = (m−1)θ/(m+1).
    k classes: θ = 2π/k (k = 2 is two opposite weights, where it equals `two_class_angles(m, π)`).
    """
    m, theta = _check(m, theta)
    return 2 * theta / (m + 1), (m - 1) * theta / (m + 1)


def smallest_m(angles: Callable = two_class_angles, theta: float = np.pi / 2, *, hi: float = 64.0) -> float:
    """The m above which max intra < min inter, for `angles` (`two_class_angles` or `many_class_angles`) at θ.

    Found by bisection on the closed form: max intra falls and min inter rises with m, so the crossing is unique.
    Two classes: 2 + √3 for θ12 <= (√3 − 1)π (the default θ12 = 90° is one), 1 + 2π/θ12 above; many classes: 3.
    """

    def gap(m):
        intra, inter = angles(m, theta)
        return float(inter - intra)

    lo = 1.0
    if gap(lo) > 0:
        return lo
    for _step in range(200):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if gap(mid) > 0 else (mid, hi)
        if hi - lo < 1e-13:
            break
    return (lo + hi) / 2


# ---- a slow, independent reference (for the tests) ----


def brute_force_angles(m: float, weight_angles, n: int = 4000) -> tuple[float, float]:
    """(max intra, min inter) for class 0 by brute force: n points on the unit circle, each put in class i where
    m·θ_i < θ_j for every j ≠ i (θ from arccos of dot products), then the largest angle between two points of class 0
    and the smallest between a point of class 0 and a point of any other class, over all pairs.

    `weight_angles`: the directions of the class weights (radians), class 0 first. Accurate to about 2·(2π/n).
    """
    t = (np.arange(n) + 0.5) * (2 * np.pi / n)
    points = np.stack([np.cos(t), np.sin(t)], axis=1)  # (n, 2)
    w = np.array([[math.cos(a), math.sin(a)] for a in weight_angles])  # (C, 2)
    theta = np.arccos(np.clip(points @ w.T, -1.0, 1.0))  # (n, C)
    labels = np.full(n, -1)
    for i in range(len(w)):
        others = np.delete(theta, i, axis=1).min(axis=1)
        labels[m * theta[:, i] < others] = i
    mine, rest = points[labels == 0], points[labels > 0]
    intra = np.arccos(np.clip(mine @ mine.T, -1.0, 1.0)).max()
    inter = np.arccos(np.clip(mine @ rest.T, -1.0, 1.0)).min()
    return float(intra), float(inter)


# ---- the training check ----

CHECK_MS = (1, 2, 3, 4, 5, 6)  # every m the registry accepts for A-softmax (margins.LOSSES["asoftmax"])
# Two Gaussian blobs in 32-D, 2-D features, five initialisations of each m, trained in one grid call (about 1 s on
# two cores; it trained 2000 steps before the light default, benchmarks/bench_teaching.py). The overlap lies
# between two values that decide the answer without m: at 0.5-0.6 the blobs are so far apart that m = 1 already meets
# the strict criterion on most seeds; at the toy's default 1.0 about 5% of the test points are misclassified and no m
# can meet it. `check_text` says what a run shows, from its numbers.
CHECK_SETTINGS = Settings(
    data="blobs",
    classes=2,
    held_out=0,
    overlap=0.75,
    dim=2,
    hidden=(16,),
    steps=600,
    losses=tuple(f"asoftmax:{m}" for m in CHECK_MS),
    seeds=5,
)


@dataclass(frozen=True)
class MarginCheck:
    """One m of the training check, over its seeds: how many meet the paper's criterion on the test features, and
    the angles (radians, one per seed that trained; a diverged seed is only counted in `diverged`)."""

    m: int
    seeds: tuple[int, ...]  # the seeds that trained without NaN
    diverged: int  # seeds whose training produced NaN (not measured)
    strict: int  # seeds with max intra < min inter on the test features (metrics.angle_stats' criterion_met)
    robust: int  # seeds with p95 intra < p5 inter on the test features
    train_strict: int  # seeds with max intra < min inter on the training features (what the loss was shown)
    max_intra: tuple[float, ...]
    min_inter: tuple[float, ...]
    p95_intra: tuple[float, ...]
    p5_inter: tuple[float, ...]
    theta12: tuple[float, ...]  # the learned angle between W1 and W2
    inside: tuple[float, ...]  # fraction of test features inside their class's allowed arc, m·θ_y < θ_other

    @property
    def n(self) -> int:
        return len(self.seeds)

    @property
    def mean_max_intra(self) -> float:
        return float(np.mean(self.max_intra)) if self.n else math.nan

    @property
    def mean_min_inter(self) -> float:
        return float(np.mean(self.min_inter)) if self.n else math.nan

    @property
    def mean_theta12(self) -> float:
        return float(np.mean(self.theta12)) if self.n else math.nan

    @property
    def allowed(self) -> tuple[tuple[float, ...], tuple[float, ...]]:
        """The theory at each seed's learned θ12: (max intra, min inter) of `two_class_angles`."""
        if not self.n:
            return (), ()
        intra, inter = two_class_angles(self.m, np.clip(self.theta12, 1e-9, np.pi))
        return tuple(map(float, intra)), tuple(map(float, inter))


def check(result) -> tuple[MarginCheck, ...]:
    """The A-softmax models of a two-class grid (`train.GridResult`), grouped by m: one `MarginCheck` per m."""
    if result.data.n_classes != 2:
        raise ValueError(f"the check is for two classes, got {result.data.n_classes}")
    records = evaluate.records(result)
    y, other = result.data.y_test, 1 - result.data.y_test
    out = []
    for m in sorted({int(s.margin) for s in result.specs if s.loss == "asoftmax"}):
        models = [g for g, s in enumerate(result.specs) if s.loss == "asoftmax" and s.margin == m]
        done = [g for g in models if records[g].ok]
        inside = []
        for g in done:
            feats, w = result.test_features[g], result.weights[g]
            own, rival = metrics.target_angles(feats, w, y), metrics.target_angles(feats, w, other)  # (N,), (N,)
            inside.append(float(np.mean(m * own < rival)))
        out.append(
            MarginCheck(
                m=m,
                seeds=tuple(result.specs[g].seed for g in done),
                diverged=len(models) - len(done),
                strict=sum(records[g].criterion_met for g in done),
                robust=sum(records[g].robust_criterion_met for g in done),
                train_strict=sum(
                    metrics.angle_stats(result.train_features[g], result.data.y_train)["criterion_met"] for g in done
                ),
                **{
                    k: tuple(getattr(records[g], f"{k}_angle") for g in done)
                    for k in ("max_intra", "min_inter", "p95_intra", "p5_inter")
                },
                theta12=tuple(records[g].min_weight_angle for g in done),
                inside=tuple(inside),
            )
        )
    return tuple(out)


def run_check(settings: Settings = CHECK_SETTINGS, progress=None) -> tuple[MarginCheck, ...]:
    """Train `settings` (one grid call) and `check` it: what the app runs through its job queue, without the queue."""
    return check(train_grid(load(settings.data_config()), settings.specs(), settings.train_config(), progress=progress))


def _ms_text(ms) -> str:
    """ "every m", "m ≤ 3", "m ≥ 4", "m = 1, 2, 4" (runs at either end of CHECK_MS said as a bound)."""
    ms = sorted(ms)
    if tuple(ms) == CHECK_MS:
        return _("every m")
    if len(ms) > 1 and ms == list(range(ms[0], ms[-1] + 1)):
        if ms[0] == CHECK_MS[0]:
            return "m ≤ {m}".format(m=ms[-1])
        if ms[-1] == CHECK_MS[-1]:
            return "m ≥ {m}".format(m=ms[0])
    return "m = {ms}".format(ms=", ".join(map(str, ms)))


def _counts_text(checks, field: str) -> str:
    """ "0/5 seeds (m ≤ 3) and 5/5 (m ≥ 4)": the m's grouped by their count of seeds, in order of m."""
    groups: dict[tuple[int, int], list[int]] = {}
    for c in checks:
        groups.setdefault((getattr(c, field), c.n), []).append(c.m)
    ordered = sorted(groups.items(), key=lambda kv: min(kv[1]))
    parts = [
        ngettext("{k}/{n} seed ({ms})", "{k}/{n} seeds ({ms})", n).format(k=k, n=n, ms=_ms_text(ms))
        if i == 0
        else _("{k}/{n} ({ms})").format(k=k, n=n, ms=_ms_text(ms))
        for i, ((k, n), ms) in enumerate(ordered)
    ]
    # TRANSLATORS: the last two items of a list: "0/5 seeds (m ≤ 3), 2/5 (m = 4) and 5/5 (m ≥ 5)".
    return parts[0] if len(parts) == 1 else _("{rest} and {last}").format(rest=_(", ").join(parts[:-1]), last=parts[-1])


def _verdict(checks) -> str:
    """The strict criterion on the test features above the bound (m > 2 + √3, i.e. m ≥ 4) against below it, and why.

    Above the bound a seed can fail only if some feature lies outside its class's allowed arc (the regions then
    guarantee the criterion), so a failure there is explained by the measured fraction outside, never guessed at.
    """
    above = [c for c in checks if c.m > TWO_CLASS_BOUND]
    below = [c for c in checks if c.m < TWO_CLASS_BOUND]
    counts = {
        "a": sum(c.strict for c in above),
        "na": sum(c.n for c in above),
        "b": sum(c.strict for c in below),
        "nb": sum(c.n for c in below),
    }
    if not above:
        return _("no m above the bound was trained; below it {b}/{nb} seeds meet the criterion").format(**counts)
    if counts["a"] == counts["na"] and counts["b"] == 0:
        return _("as the bound says, {a}/{na} seeds above it meet the criterion and {b}/{nb} below it").format(**counts)
    if counts["a"] == counts["na"]:
        return _(
            "{a}/{na} seeds above it meet the criterion, as promised, and {b}/{nb} below it do too: the bound "
            "is the worst case, features filling their whole allowed arc, and these fill less"
        ).format(**counts)
    outside = float(np.mean([1 - x for c in above for x in c.inside]))
    return _(
        "{a}/{na} seeds above it meet the criterion and {b}/{nb} below it. The bound holds only while every "
        "feature stays inside its class's allowed arc (m·θ_y < θ_other), and {outside} of the test features at "
        "m ≥ 4 lie outside it"
    ).format(outside="{:.0%}".format(outside), **counts)


def check_text(checks) -> str:
    """What the run shows, computed from the checks: the seeds meeting the strict and the robust criterion on the
    test features at each m and the strict one on the training features; then the bound against the run
    (`_verdict`)."""
    checks = [c for c in checks if c.n]
    if not checks:
        return _("Every model diverged: there is nothing to measure.")
    low, high = (math.degrees(f(c.mean_theta12 for c in checks)) for f in (min, max))
    # TRANSLATORS: {verdict} is one of the sentences that start "as the bound says", "no m above the bound", ...
    return _(
        "On the test features the paper's criterion (max intra-class angle < min inter-class angle) holds on "
        "{strict}, its robust form (95th percentile < 5th) on {robust}. On the training features the criterion "
        "holds on {train}. The bound is m > {bound} for two classes (m > 3 for weights 180° apart; these end "
        "{low}°-{high}° apart): {verdict}."
    ).format(
        strict=_counts_text(checks, "strict"),
        robust=_counts_text(checks, "robust"),
        train=_counts_text(checks, "train_strict"),
        bound="{:.2f}".format(TWO_CLASS_BOUND),
        low="{:.0f}".format(low),
        high="{:.0f}".format(high),
        verdict=_verdict(checks),
    )
