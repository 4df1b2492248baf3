"""The margin losses: softmax, M-softmax and A-softmax (SphereFace), and NormFace, CosFace and ArcFace after it.

Liu et al., "SphereFace: Deep Hypersphere Embedding for Face Recognition", CVPR 2017, arXiv:1704.08063.
Wang et al., "NormFace: L2 Hypersphere Embedding for Face Verification", ACM MM 2017, arXiv:1704.06369.
Wang et al., "CosFace: Large Margin Cosine Loss for Deep Face Recognition", CVPR 2018, arXiv:1801.09414
(the same loss as AM-softmax, Wang et al., IEEE SPL 2018, arXiv:1801.05599).
Deng et al., "ArcFace: Additive Angular Margin Loss for Deep Face Recognition", CVPR 2019, arXiv:1801.07698.

Conventions: features have shape (B, D), class weights (D, C) with column j the weight W_j of class j, labels (B,).
Every loss is one setting of `margin_logits`: they differ only in the bias, whether W and x are normalised (and the
scale s that replaces ‖x‖), and where the margin goes in the target logit: cos(mθ) (SphereFace, via ψ), cos(θ + m)
(ArcFace) or cos θ − m (CosFace). So a grid of models over all of them is vectorised with `jax.vmap`;
`sphere_toy.core.margins` declares each loss as such a setting.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import optax
from jax.typing import ArrayLike


def safe_norm(x: ArrayLike, axis: int = -1, keepdims: bool = False) -> jax.Array:
    """Euclidean norm whose gradient is finite (zero) at x = 0.

    d||x||/dx = x / ||x|| is 0/0 at the origin; the double `where` keeps the NaN out of the backward pass
    (a single `where` would still multiply a NaN by zero).
    """
    x = jnp.asarray(x)
    sq = jnp.sum(x * x, axis=axis, keepdims=keepdims)
    positive = sq > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, sq, 1)), 0)


def _as_m(m, max_m: int | None) -> tuple[jax.Array, int]:
    """m as an integer array, and the static bound used to unroll the Chebyshev recurrence."""
    if max_m is None:
        max_m = int(m)  # a concrete Python/NumPy int; a traced m needs max_m
    if max_m < 1:
        raise ValueError(f"m must be an integer >= 1, got {max_m}")
    return jnp.asarray(m, jnp.int32), max_m


def cos_m_theta(cos_theta: ArrayLike, m, *, max_m: int | None = None) -> jax.Array:
    """cos(mθ) as the Chebyshev polynomial T_m(cos θ).

    T_0 = 1, T_1 = c, T_{n+1} = 2c T_n - T_{n-1}; e.g. T_4(c) = 8c⁴ - 8c² + 1. A polynomial in c = cos θ has a
    finite gradient everywhere, unlike cos(m·arccos(c)) whose arccos has an infinite slope at c = ±1 (SphereFace,
    Sec. 3.2 and its official code).

    Args:
      cos_theta: cosines, any shape and float dtype.
      m: integer >= 1; may be a traced array (e.g. under `vmap`) when `max_m` bounds it.
      max_m: static upper bound on m, needed only when m is traced.
    Returns:
      T_m(cos_theta), same shape and dtype as cos_theta.
    """
    c = jnp.asarray(cos_theta)
    m, max_m = _as_m(m, max_m)
    t_prev, t = jnp.ones_like(c), c
    out = jnp.where(m == 1, t, jnp.zeros_like(c))
    for n in range(2, max_m + 1):  # unrolled: max_m is small and static
        t_prev, t = t, 2 * c * t - t_prev
        out = jnp.where(m == n, t, out)
    return out


def _psi_from_k(c: jax.Array, k: jax.Array, m, max_m: int | None) -> jax.Array:
    sign = 1 - 2 * (k % 2)  # (-1)^k without a float power
    return sign.astype(c.dtype) * cos_m_theta(c, m, max_m=max_m) - 2 * k.astype(c.dtype)


def psi(theta: ArrayLike, m, *, max_m: int | None = None) -> jax.Array:
    """The monotone margin function ψ(θ) = (-1)^k cos(mθ) - 2k, for θ in [kπ/m, (k+1)π/m], k = 0..m-1.

    cos(mθ) alone is not monotonic on [0, π], so a larger angle could earn a larger logit; the interval index k
    flips every other arch and shifts it down by 2, which makes ψ continuous and strictly decreasing from ψ(0) = 1
    to ψ(π) = 1 - 2m (SphereFace, Sec. 3.2, Eq. 7). On [0, π/m] (k = 0), ψ = cos(mθ).

    Args:
      theta: angles in radians in [0, π], any shape.
      m: integer margin >= 1 (traced allowed with `max_m`).
    Returns:
      ψ(theta), same shape.
    """
    theta = jnp.asarray(theta)
    m, max_m = _as_m(m, max_m)
    # k is piecewise constant: no gradient flows through it (and none is wanted).
    k = jnp.clip(jnp.floor(jax.lax.stop_gradient(theta) * m / jnp.pi), 0, m - 1).astype(jnp.int32)
    return _psi_from_k(jnp.cos(theta), k, m, max_m)


def psi_from_cos(cos_theta: ArrayLike, m, *, max_m: int | None = None) -> jax.Array:
    """ψ(θ) computed from c = cos θ alone, as the loss needs it.

    θ ≥ jπ/m exactly when c ≤ cos(jπ/m), so k counts the interval boundaries that c lies below: no arccos is ever
    taken, which keeps the gradient finite at c = ±1. For m = 4 this is the sign trick of common implementations
    (see `psi_m4_sign_trick`).
    """
    c = jnp.asarray(cos_theta)
    m, max_m = _as_m(m, max_m)
    j = jnp.arange(1, max(max_m, 2), dtype=c.dtype)  # boundaries j = 1..max_m-1
    bounds = jnp.cos(j * jnp.pi / m.astype(c.dtype))  # cos(jπ/m), decreasing in j
    below = (j < m) & (jax.lax.stop_gradient(c)[..., None] < bounds)
    k = jnp.sum(below, axis=-1).astype(jnp.int32)
    return _psi_from_k(c, k, m, max_m)


def psi_m4_sign_trick(cos_theta: ArrayLike) -> jax.Array:
    """ψ for m = 4 as written in many public A-softmax implementations, decoded.

    With c = cos θ: s3 = sign(c)·sign(cos 2θ) = (-1)^k and s4 = 2·sign(c) + s3 - 3 = -2k, because the sign of cos θ
    changes at π/2 and the sign of cos 2θ = 2c² - 1 at π/4 and 3π/4, the boundaries of the four intervals. Then
    ψ = s3·(8c⁴ - 8c² + 1) + s4. Kept for teaching; the losses use `psi_from_cos`, which works for every m.
    """
    c = jnp.asarray(cos_theta)
    sign_c = jnp.where(c >= 0, 1.0, -1.0).astype(c.dtype)
    sign_cos2 = jnp.where(2 * c * c - 1 >= 0, 1.0, -1.0).astype(c.dtype)
    s3 = sign_c * sign_cos2
    s4 = 2 * sign_c + s3 - 3
    return s3 * (8 * c**4 - 8 * c**2 + 1) + s4


def annealed_target(cos_theta: ArrayLike, m, lam: ArrayLike = 0.0, *, max_m: int | None = None) -> jax.Array:
    """A-softmax's target logit per unit ||x||·||W_y||: (λ cos θ_y + ψ(θ_y)) / (1 + λ), from c = cos θ_y alone.

    λ → ∞ gives cos θ (M-softmax), λ = 0 the full margin ψ (A-softmax); training anneals λ from large to small.
    The ψ(θ) figure draws it; `margin_target` is the same with the other losses' margins.
    """
    return margin_target(cos_theta, m=m, lam=lam, max_m=max_m)


def arcface_target(cos_theta: ArrayLike, m: ArrayLike) -> jax.Array:
    """ArcFace's target per unit scale: cos(θ + m) while θ + m < π, else cos θ − m·sin m (Deng et al., Sec. 3.1).

    cos(θ + m) = cos θ cos m − sin θ sin m stops decreasing at θ = π − m (it turns back up towards cos(π + m)), so
    a sample that far from its class would be pushed the wrong way. Where cos θ ≤ cos(π − m) the reference
    implementation (insightface, easy_margin off: its constants `th` = cos(π − m) and `mm` = m·sin m) falls back to
    cos θ − m·sin m, which keeps decreasing. Note that the fallback meets the arc one step lower, not at the same
    value: at θ = π − m the target drops from −1 to −cos m − m·sin m (by 0.117 at m = 0.5), so the target is
    strictly decreasing on [0, π] but not continuous there; this module keeps the reference's numbers.

    sin θ = √(1 − c²) has an infinite slope at c = ±1 (the NaN gradients reported against public ArcFace code):
    the double `where` gives sin θ a zero gradient exactly there, as `safe_norm` does at the origin.

    Args:
      cos_theta: c = cos θ_y, any shape, in [-1, 1].
      m: the additive angular margin in radians, 0 <= m < π (a scalar or broadcastable array; may be traced).
    Returns:
      the target, same shape as cos_theta. With m = 0 it is cos θ.
    """
    c = jnp.asarray(cos_theta)
    m = jnp.asarray(m, c.dtype)
    sin_sq = 1 - c * c
    inside = sin_sq > 0
    sin = jnp.where(inside, jnp.sqrt(jnp.where(inside, sin_sq, 1)), 0)
    arc = c * jnp.cos(m) - sin * jnp.sin(m)
    # θ + m < π exactly when c > cos(π − m); no arccos is taken, so no gradient goes through an angle.
    return jnp.where(c > jnp.cos(jnp.pi - m), arc, c - m * jnp.sin(m))


def margin_target(
    cos_theta: ArrayLike,
    *,
    m=1,
    angle_margin: ArrayLike = 0.0,
    cos_margin: ArrayLike = 0.0,
    lam: ArrayLike = 0.0,
    max_m: int | None = None,
) -> jax.Array:
    """The target logit per unit length, for the whole family, from c = cos θ_y alone:

      t(θ) = (λ cos θ + a(θ) − m₃) / (1 + λ),  a(θ) = ψ_m(θ) (SphereFace) or cos(θ + m₂) (ArcFace),

    with m₃ CosFace's cosine margin. m = 1, m₂ = 0 and m₃ = 0 give cos θ: no margin (softmax, M-softmax, NormFace).
    A loss uses one margin: `sphere_toy.core.margins` never sets both m > 1 and m₂ ≠ 0 (where m₂ ≠ 0, ψ is unused).
    λ blends the target with the plain cos θ, as SphereFace's training does (Sec. 3.2 and its appendix); the other
    losses train with λ = 0.

    Args:
      cos_theta: c, any shape. m: SphereFace's integer margin (traced allowed with `max_m`). angle_margin: m₂ in
        radians. cos_margin: m₃. lam: λ >= 0. All broadcast against c.
    Returns:
      t, same shape as c.
    """
    c = jnp.asarray(cos_theta)
    angle_margin = jnp.asarray(angle_margin, c.dtype)
    angular = jnp.where(angle_margin != 0, arcface_target(c, angle_margin), psi_from_cos(c, m, max_m=max_m))
    lam = jnp.asarray(lam, c.dtype)
    return (lam * c + angular - jnp.asarray(cos_margin, c.dtype)) / (1 + lam)


def margin_logits(
    features: ArrayLike,
    weights: ArrayLike,
    labels: ArrayLike,
    *,
    bias: ArrayLike | None = None,
    normalize: ArrayLike = True,
    scale: ArrayLike = 0.0,
    m=1,
    angle_margin: ArrayLike = 0.0,
    cos_margin: ArrayLike = 0.0,
    lam: ArrayLike = 0.0,
    max_m: int | None = None,
) -> jax.Array:
    """Logits of the whole family: every loss of this module is a setting of this one function.

    With r = ‖x‖ (SphereFace keeps the feature's length) or r = s (NormFace, CosFace, ArcFace normalise x and scale
    it by s), and ‖W_j‖ = 1 when `normalize`:
      other classes: f_j = r·‖W_j‖·cos θ_j + b_j   (= x·W_j + b_j when r = ‖x‖),
      target class:  f_y = r·‖W_y‖·t(θ_y) + b_y,   t = `margin_target`.
    SphereFace, Sec. 3.1-3.2, Eq. 3-7; NormFace Sec. 3; CosFace Eq. 4; ArcFace Eq. 3. With no margin, no
    normalisation, r = ‖x‖ and a bias this is softmax.

    Args:
      features: (B, D) embeddings x.
      weights: (D, C) class weights.
      labels: (B,) integer class ids.
      bias: (C,) or None (no bias).
      normalize: whether to use W_j / ||W_j||; may be a traced bool/0-1 array.
      scale: s > 0 replaces ‖x‖ by s (x normalised); 0 keeps ‖x‖. May be traced.
      m, angle_margin, cos_margin, lam, max_m: the target's margins and λ, as in `margin_target`.
    Returns:
      (B, C) logits.
    """
    x = jnp.asarray(features)
    w = effective_weights(weights, normalize)  # (D, C)
    w_norm = jnp.where(normalize, 1, safe_norm(w, axis=0))  # (C,)
    x_norm = safe_norm(x, axis=-1)  # (B,)
    dots = x @ w  # (B, C)
    # cos θ_j = x·W_j / (||x|| ||W_j||); a zero feature gets cos θ = 0 rather than 0/0.
    denom = x_norm[:, None] * w_norm[None, :]
    cos = jnp.clip(dots / jnp.where(denom > 0, denom, 1), -1, 1)  # (B, C)
    scale = jnp.asarray(scale, cos.dtype)
    r = jnp.where(scale > 0, scale, x_norm)  # (B,): the length the logits use
    # Without a scale the other logits are the plain dot products, bit for bit (softmax stays x·W + b).
    logits = jnp.where(scale > 0, r[:, None] * w_norm[None, :] * cos, dots)  # (B, C)
    cos_y = jnp.take_along_axis(cos, labels[:, None], axis=1)[:, 0]  # (B,)
    target = margin_target(cos_y, m=m, angle_margin=angle_margin, cos_margin=cos_margin, lam=lam, max_m=max_m)  # (B,)
    w_norm_y = jnp.take(w_norm, labels)  # (B,)
    logits = logits.at[jnp.arange(x.shape[0]), labels].set(w_norm_y * r * target)  # (B, C)
    if bias is not None:
        logits = logits + jnp.asarray(bias)[None, :]
    return logits


def _mean_cross_entropy(logits: jax.Array, labels: ArrayLike) -> jax.Array:
    return jnp.mean(optax.softmax_cross_entropy_with_integer_labels(logits, jnp.asarray(labels)))


def softmax_loss(features: ArrayLike, weights: ArrayLike, bias: ArrayLike, labels: ArrayLike) -> jax.Array:
    """Softmax cross-entropy with logits x·W + b (SphereFace, Sec. 3.1, Eq. 1).

    Two-class decision boundary: (W_1 - W_2)·x + b_1 - b_2 = 0, a hyperplane that need not pass through the origin.

    Args: features (B, D), weights (D, C), bias (C,), labels (B,). Returns: scalar mean loss.
    """
    logits = jnp.asarray(features) @ jnp.asarray(weights) + jnp.asarray(bias)  # (B, C)
    return _mean_cross_entropy(logits, labels)


def m_softmax_loss(features: ArrayLike, weights: ArrayLike, labels: ArrayLike) -> jax.Array:
    """Modified softmax: ||W_j|| = 1 (normalised here) and b = 0, so f_j = ||x|| cos θ_j (Sec. 3.1, Eq. 3).

    Two-class decision boundary: cos θ_1 = cos θ_2, which depends on angles only.

    Args: features (B, D), weights (D, C), labels (B,). Returns: scalar mean loss.
    """
    return _mean_cross_entropy(margin_logits(features, weights, labels, normalize=True, m=1), labels)


def a_softmax_loss(
    features: ArrayLike, weights: ArrayLike, labels: ArrayLike, m: int, lam: ArrayLike = 0.0
) -> jax.Array:
    """Angular softmax with margin m (Sec. 3.2, Eq. 6-7, with the λ-blend of the paper's training).

    f_y = (λ·||x||·cos θ_y + ||x||·ψ(θ_y)) / (1 + λ), f_j = ||x|| cos θ_j for j ≠ y, ||W_j|| = 1, b = 0.
    Class 1's decision boundary becomes cos(mθ_1) = cos θ_2: a sample must be m times closer in angle to its own
    class than to any other. m = 1 (or λ → ∞) is M-softmax.

    Args: features (B, D), weights (D, C), labels (B,), integer m >= 1, λ >= 0. Returns: scalar mean loss.
    """
    return _mean_cross_entropy(margin_logits(features, weights, labels, normalize=True, m=m, lam=lam), labels)


# Toy defaults for the normalised losses, measured on the default run (6 digits, 3-D features, 600 steps, seeds 0-2;
# `benchmarks/bench_family.py`). The papers' s = 64 serves 512-D faces and ~10⁴ classes, where the softmax must beat
# many rivals; six classes need far less. s acts as an inverse temperature: at s = 4 the loss never saturates and
# keeps pulling every class tight with or without a margin (θ_y 5-9° for all three), while at s = 16 the loss can
# reach ~0 without a margin, so the margin's own effect shows: mean θ_y 34° for NormFace against 22° for CosFace and
# 15° for ArcFace (p95 intra-class angle 50° / 35° / 35°), with test accuracy 99.2-99.8%. That contrast is what the
# toy teaches, hence s = 16. (The 3000-step run measured 28° / 12° / 10°.)
TOY_SCALE = 16.0
COSFACE_MARGIN = 0.35  # CosFace's own choice for faces; on the toy it still trains every class
ARCFACE_MARGIN = 0.5  # ArcFace's own choice (28.6°)


def normface_loss(features: ArrayLike, weights: ArrayLike, labels: ArrayLike, s: float = TOY_SCALE) -> jax.Array:
    """NormFace: features and weights normalised, logits f_j = s·cos θ_j, no bias (Wang et al. 2017, Sec. 3.3).

    With ‖x‖ removed, the logits are bounded by s, and s sets how sharp the softmax can get; it is M-softmax with
    every feature on a sphere of radius s. Two-class decision boundary: θ_1 = θ_2.

    Args: features (B, D), weights (D, C), labels (B,), scale s > 0. Returns: scalar mean loss.
    """
    return _mean_cross_entropy(margin_logits(features, weights, labels, scale=s), labels)


def cosface_loss(
    features: ArrayLike, weights: ArrayLike, labels: ArrayLike, s: float = TOY_SCALE, m: float = COSFACE_MARGIN
) -> jax.Array:
    """CosFace (large margin cosine loss, = AM-softmax): target f_y = s·(cos θ_y − m), others s·cos θ_j
    (Wang et al. 2018, Eq. 4). The margin is a constant taken off the cosine, whatever the angle.

    Two-class decision boundary for class 1: cos θ_1 − cos θ_2 = m.

    Args: features (B, D), weights (D, C), labels (B,), scale s > 0, margin m >= 0. Returns: scalar mean loss.
    """
    return _mean_cross_entropy(margin_logits(features, weights, labels, scale=s, cos_margin=m), labels)


def arcface_loss(
    features: ArrayLike, weights: ArrayLike, labels: ArrayLike, s: float = TOY_SCALE, m: float = ARCFACE_MARGIN
) -> jax.Array:
    """ArcFace (additive angular margin): target f_y = s·cos(θ_y + m), others s·cos θ_j (Deng et al., Eq. 3), with
    the reference fallback s·(cos θ_y − m·sin m) where θ_y > π − m (see `arcface_target`).

    The margin is a constant angle: the geodesic distance on the sphere. Two-class boundary: θ_1 + m = θ_2.

    Args: features (B, D), weights (D, C), labels (B,), scale s > 0, margin m in radians. Returns: scalar mean loss.
    """
    return _mean_cross_entropy(margin_logits(features, weights, labels, scale=s, angle_margin=m), labels)


def lambda_schedule(
    step: ArrayLike, base: float = 1000.0, gamma: float = 0.12, power: float = 1.0, lambda_min: float = 0.0
) -> jax.Array:
    """λ = max(λ_min, base·(1 + γ·step)^(-power)), the annealing of the official SphereFace code (γ per step).

    Training starts near M-softmax (λ large, an easy problem) and moves towards pure A-softmax (λ → λ_min).
    The official prototxt keeps λ_min = 5 for faces, but that leaves (5 cos θ + ψ)/6 as the target: for m = 4 the
    margin shrinks to roughly that of m ≈ 1.5, too little to see on a toy. Small nets on a few classes train fine
    with the full margin, so the toy default is λ_min = 0: once annealed, the loss is the A-softmax of the paper.
    (With the official power 1 that takes ~10⁵ steps; the toy anneals over its own run: `run_lambda_schedule`.)

    A pure function of the step: evaluating or plotting never moves the schedule.
    """
    step = jnp.asarray(step, jnp.float32)
    return jnp.maximum(lambda_min, base * (1 + gamma * step) ** (-power))


# γ per run: 0.12 a step, the toy's first schedule, over the default 600 steps. The net first learns its features
# near M-softmax, and that takes steps, not a share of the run: with 40 identities in 16-D, A-softmax m = 4 trains
# to 96-98% test accuracy at 600 steps with λ = 1 at 42% of the run, and to 10-14% (it never learns) with the
# 3000-step run's 8.5% (benchmarks/bench_teaching.py and docs/cli.md's sweep). PAPER_LIKE_GAMMA is that 3000-step run.
RUN_LAMBDA_GAMMA = 72.0
PAPER_LIKE_GAMMA = 360.0  # 0.12 a step over 3000 steps: λ = 1 at 8.5% of the run, λ ≈ 0.0077 at its end


def run_lambda_schedule(
    step: ArrayLike,
    steps: int,
    base: float = 1000.0,
    gamma: float = RUN_LAMBDA_GAMMA,
    power: float = 2.0,
    lambda_min: float = 0.0,
) -> jax.Array:
    """λ over a run of `steps` steps: λ = max(λ_min, base·(1 + γ·step/steps)^(-power)), `lambda_schedule` with
    γ/steps per step.

    The schedule is a function of the fraction of the run done, so every run length has the same shape: at the
    defaults λ passes 1 at (√1000 − 1)/72 ≈ 42% of the run and ends at 1000/73² ≈ 0.19 (A-softmax m = 4 then asks
    a sample 45° from its class to be 137° from the next, as if m were 3.0), whether the run is 300 steps or 3000.
    Power 2 rather than the official 1 gets a toy run there (power 1 would end at λ ≈ 14).

    Args: step, any shape (0-based); steps >= 1, the run's length. Returns λ of step's shape.
    """
    return lambda_schedule(step, base, gamma / steps, power, lambda_min)


def decision_logits(
    features: ArrayLike, weights: ArrayLike, *, bias: ArrayLike | None = None, normalize: ArrayLike = True
) -> jax.Array:
    """The logits a trained model classifies with: x·W + b, with W_j / ||W_j|| when `normalize`.

    The margin only shapes training; at test time every model predicts argmax_j of these (for M- and A-softmax:
    argmax_j cos θ_j, the angular decision rule of Sec. 3.1). Returns (B, C).
    """
    logits = jnp.asarray(features) @ effective_weights(weights, normalize)  # (B, C)
    return logits if bias is None else logits + jnp.asarray(bias)[None, :]


def effective_weights(weights: ArrayLike, normalize: ArrayLike = True) -> jax.Array:
    """W with unit columns when `normalize` (M-/A-softmax), else W unchanged (softmax). (D, C) -> (D, C)."""
    w = jnp.asarray(weights)
    w_norm = safe_norm(w, axis=0)  # (C,)
    return w * jnp.where(normalize, 1 / jnp.where(w_norm > 0, w_norm, 1), 1)
