"""What the notices measure on a run beyond `evaluate` and `metrics`: a model by its loss, θ_y, the borders'
offsets, the regions' widths, the share of a margin zone, the angle ψ asks for."""

from __future__ import annotations

import math

import numpy as np

from sphere_toy.analysis import evaluate
from sphere_toy.core import losses
from sphere_toy.core import margins
from sphere_toy.analysis import metrics
from sphere_toy.i18n import _
from sphere_toy.train import GridResult


def model_index(result: GridResult, loss: str, margin: float | None = None) -> int | None:
    """The index of the run's model of `loss` with this margin (none given: its largest margin), or None."""
    found = [g for g, s in enumerate(result.specs) if s.loss == loss and (margin is None or s.margin == margin)]
    return max(found, key=lambda g: result.specs[g].margin) if found else None


def untrained(result: GridResult, g: int | None, name: str) -> str | None:
    """Why model g has nothing to measure (absent, or diverged), as a sentence; None when it trained."""
    if g is None:
        return _("This run has no {model} model to measure.").format(model=name)
    if result.diverged(g):
        return _(
            "{model} diverged at step {step}, so there is nothing to measure; lower the learning rate or raise λ_min."
        ).format(model=result.specs[g].name, step=int(result.nan_step[g]))
    return None


def theta_y(result: GridResult, g: int) -> float:
    """Mean θ_y in degrees on the closed-set test features."""
    return math.degrees(evaluate.record(result, g).mean_target_angle)


def _circle(radius: float, n: int = 3600) -> np.ndarray:
    t = (np.arange(n) + 0.5) * (2 * np.pi / n)
    return radius * np.stack([np.cos(t), np.sin(t)], axis=1)  # (n, 2)


def border_offsets(result: GridResult, g: int) -> dict[tuple[int, int], float]:
    """The classes whose 2-D regions touch on the circle at the features' median length, each pair with its
    border's distance from the origin, |b_i − b_j| / ‖W_i − W_j‖ (the line (W_i − W_j)·x + b_i − b_j = 0)."""
    w, b = result.weights[g], result.bias[g]
    pred = metrics.predict(_circle(result.feature_scale(g)), w, b)
    pairs = sorted({(int(min(p, q)), int(max(p, q))) for p, q in zip(pred, np.roll(pred, -1)) if p != q})
    return {(i, j): float(abs(b[i] - b[j]) / np.linalg.norm(w[:, i] - w[:, j])) for i, j in pairs}


def width_change(result: GridResult, g: int, small: float) -> float:
    """How much (degrees) the widths of model g's 2-D regions differ between the circle of radius `small` and the
    circle at the features' median length: 0 for an angular rule, whatever the radii."""
    w, b = result.weights[g], result.bias[g]
    near = metrics.region_angles(w, b, small)
    far = metrics.region_angles(w, b, result.feature_scale(g))
    return float(np.max(np.abs(near - far)))


def margin_share(result: GridResult, g: int, rule: int) -> float:
    """The share of model g's closed-set test samples that clear the margin of `rule` (a model index): their own
    class's full-margin target logit above every other class's, r·t(θ_y) > r·cos θ_j (`margins.margin_logits`)."""
    y = result.data.y_test
    logits = margins.margin_logits(result.specs[rule], result.test_features[g], result.weights[g], y)  # (N, C)
    own = logits[np.arange(len(y)), y]
    rivals = np.where(np.arange(logits.shape[1]) == y[:, None], -np.inf, logits)  # (N, C), the own class left out
    return float(np.mean(own > rivals.max(axis=1)))


def required_angle(m: int, lam: float, theta: float) -> float:
    """The angle (radians) to the other class that A-softmax's blended target (λ cos θ + ψ(θ)) / (1 + λ) asks of a
    sample at angle `theta` from its own class, in two classes: arccos of the target."""
    target = float(losses.annealed_target(np.float32(math.cos(theta)), m, lam))
    return math.acos(min(max(target, -1.0), 1.0))
