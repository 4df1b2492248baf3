"""Angular metrics for learned features: closed-set accuracy, the paper's angle criterion, open-set verification.

SphereFace (Liu et al., CVPR 2017, arXiv:1704.08063) asks that the largest angle between two features of one class be
smaller than the smallest angle between features of two classes (abstract, Sec. 1; the margin m_min that guarantees
it is derived in Sec. 3.4), and Fig. 5 shows it as histograms of positive-pair and negative-pair angles. Verification
scores a pair by the cosine of its angle (Sec. 4.1) on identities never trained on (the open set, Fig. 1).

Conventions: features (N, D) for any D, labels (N,) ints, class weights (D, C) with column j the weight W_j, bias (C,).
Angles are in radians. Plain NumPy (+ sklearn.metrics for ROC); no JAX, so it runs on whatever the trainer returns.
"""

from __future__ import annotations

import numpy as np

EXACT_MAX_N = 3000  # angle_stats uses the full (N, N) cosine matrix up to here: 3000² float64 is 72 MB
MAX_PAIRS = 200_000  # default cap on pairs for pair_angles / verification
GRAM_MAX_N = 3000  # pair_cosines reads pairs off the full (N, N) Gram matrix up to this N (72 MB in float64)


def predict(features, weights, bias) -> np.ndarray:
    """Predicted class: argmax_j x·W_j + b_j (SphereFace, Sec. 3.1, Eq. 1-2).

    With unit W_j and b = 0 (M-/A-softmax) this is argmax_j ||x|| cos θ_j = argmax_j cos θ_j: the angular rule
    of Sec. 3.1. Shapes: features (N, D), weights (D, C), bias (C,) -> (N,) int.
    """
    logits = np.asarray(features) @ np.asarray(weights) + np.asarray(bias)  # (N, C)
    return np.argmax(logits, axis=1)


def accuracy(features, weights, bias, labels) -> float:
    """Closed-set accuracy: mean over i of [predict(x_i) == y_i]. Shapes as in `predict`, labels (N,)."""
    return float(np.mean(predict(features, weights, bias) == np.asarray(labels)))


def unit_rows(x) -> np.ndarray:
    """Rows scaled to unit norm, x_i / ||x_i||; zero rows stay zero (so their cosine with anything is 0, not NaN)."""
    x = np.asarray(x, dtype=np.float64)
    norms = np.linalg.norm(x, axis=1, keepdims=True)  # (N, 1)
    return np.divide(x, norms, out=np.zeros_like(x), where=norms > 0)


def _arccos(c) -> np.ndarray:
    """arccos with the cosine clipped to [-1, 1]: a normalised dot product can round to 1 + 1e-16, arccos of it NaN."""
    return np.arccos(np.clip(c, -1.0, 1.0))


def cosine_matrix(a, b) -> np.ndarray:
    """Cosine similarities cos θ_ij = a_i·b_j / (||a_i|| ||b_j||), clipped to [-1, 1].

    A zero vector has no direction; its cosine with everything is defined as 0 (angle π/2) instead of 0/0 = NaN.
    Shapes: a (Na, D), b (Nb, D) -> (Na, Nb).
    """
    return np.clip(unit_rows(a) @ unit_rows(b).T, -1.0, 1.0)  # (Na, Nb)


def angle_matrix(a, b) -> np.ndarray:
    """Angles θ_ij = arccos(cos θ_ij) in [0, π] between rows of a (Na, D) and rows of b (Nb, D) -> (Na, Nb)."""
    return _arccos(cosine_matrix(a, b))


def target_angles(features, weights, labels) -> np.ndarray:
    """θ_{y_i}: angle between each feature x_i and the weight of its own class W_{y_i} (Sec. 3.2, Eq. 6).

    A-softmax pushes θ_y below θ_j / m for every other class j. Shapes: features (N, D), weights (D, C),
    labels (N,) -> (N,). A zero feature or weight gives π/2 (see `cosine_matrix`).
    """
    w_own = unit_rows(np.asarray(weights).T)[np.asarray(labels)]  # (N, D): row i is Ŵ_{y_i}
    return _arccos(np.sum(unit_rows(features) * w_own, axis=1))


def pair_indices(n: int, *, max_pairs: int = MAX_PAIRS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Indices (i, j), i < j, of all n(n-1)/2 unordered pairs, or of a uniform random subset of max_pairs of them.

    The subset is drawn without replacement by `np.random.default_rng(seed)` (deterministic for a given n, seed)
    and returned in the same row-major order as the full list. Returns two (P,) int arrays.
    """
    total = n * (n - 1) // 2
    if total <= max_pairs:
        return np.triu_indices(n, k=1)
    k = np.sort(np.random.default_rng(seed).choice(total, size=max_pairs, replace=False))  # linear pair ids
    starts = np.arange(n) * (2 * n - np.arange(n) - 1) // 2  # (n,) id of pair (i, i+1): row i of the triangle
    i = np.searchsorted(starts, k, side="right") - 1
    return i, k - starts[i] + i + 1


def pair_cosines(features, labels, *, max_pairs: int = MAX_PAIRS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Cosine of every pair from `pair_indices` and whether the pair is positive (same label).

    Up to GRAM_MAX_N samples from the (N, N) Gram matrix of unit features (one BLAS call, fast for wide raw
    inputs); beyond, row-wise dot products, so memory is O(P·D), never O(N²). Returns (cos (P,), same (P,) bool).
    """
    u, labels = unit_rows(features), np.asarray(labels)
    i, j = pair_indices(len(u), max_pairs=max_pairs, seed=seed)
    dots = (u @ u.T)[i, j] if len(u) <= GRAM_MAX_N else np.sum(u[i] * u[j], axis=1)
    return np.clip(dots, -1.0, 1.0), labels[i] == labels[j]


def pair_angles(features, labels, *, max_pairs: int = MAX_PAIRS, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Angles of unordered pairs i < j, split into positive (y_i = y_j) and negative (y_i ≠ y_j) pairs (Fig. 5).

    All N(N-1)/2 pairs if that is at most max_pairs, otherwise a deterministic uniform random subset of exactly
    max_pairs pairs (see `pair_indices`). Shapes: features (N, D), labels (N,) -> (positive (P+,), negative (P-,)).
    """
    cos, same = pair_cosines(features, labels, max_pairs=max_pairs, seed=seed)
    theta = _arccos(cos)
    return theta[same], theta[~same]


def _stat(fn, x) -> float:
    return float(fn(x)) if len(x) else float("nan")


def angle_stats(features, labels, *, max_pairs: int = MAX_PAIRS, seed: int = 0) -> dict:
    """The paper's criterion numbers: max intra-class angle vs. min inter-class angle (abstract, Sec. 3.4, Fig. 5).

    criterion_met = max_{y_i = y_j} θ_ij < min_{y_i ≠ y_j} θ_ij. A single outlier decides a max, so the robust
    p95_intra_angle (95th percentile of positive-pair angles) and p5_inter_angle (5th percentile of negative ones)
    are given too, with the means. Exact over all pairs, from the (N, N) cosine matrix, when N <= EXACT_MAX_N;
    above that from the `pair_angles` subset ("exact" is then False, and the max/min are only estimates).
    If there are no positive (or no negative) pairs their statistics are NaN and criterion_met is False.
    Shapes: features (N, D), labels (N,). Returns angles as floats, pair counts "n_pos_pairs"/"n_neg_pairs" as
    ints, and bools "criterion_met", "robust_criterion_met" (p95 intra < p5 inter) and "exact".
    """
    labels = np.asarray(labels)
    exact = len(labels) <= EXACT_MAX_N
    if exact:
        theta = _arccos(cosine_matrix(features, features))  # (N, N)
        upper = np.triu(np.ones(theta.shape, dtype=bool), k=1)  # each unordered pair once, no self-pairs
        same = labels[:, None] == labels[None, :]  # (N, N)
        pos, neg = theta[upper & same], theta[upper & ~same]
    else:
        pos, neg = pair_angles(features, labels, max_pairs=max_pairs, seed=seed)
    stats = {
        "max_intra_angle": _stat(np.max, pos),
        "min_inter_angle": _stat(np.min, neg),
        "p95_intra_angle": _stat(lambda a: np.percentile(a, 95), pos),
        "p5_inter_angle": _stat(lambda a: np.percentile(a, 5), neg),
        "mean_intra_angle": _stat(np.mean, pos),
        "mean_inter_angle": _stat(np.mean, neg),
        "n_pos_pairs": len(pos),
        "n_neg_pairs": len(neg),
    }
    stats["criterion_met"] = bool(stats["max_intra_angle"] < stats["min_inter_angle"])  # NaN compares False
    stats["robust_criterion_met"] = bool(stats["p95_intra_angle"] < stats["p5_inter_angle"])
    stats["exact"] = exact
    return stats


def deciding_pairs(features, labels) -> dict:
    """The two pairs that decide the strict criterion: the same-class pair with the largest angle and the
    different-class pair with the smallest one (abstract; Fig. 5). One outlier moves either, which is why the strict
    form fails on data where the robust p95/p5 form holds: these are the pairs to look at.

    Shapes: features (N, D), labels (N,), N <= EXACT_MAX_N (all N² pairs are compared). Returns
    {"max_intra": (i, j), "min_inter": (i, j)} with i < j indices into the rows, or None where there is no such pair.
    """
    labels = np.asarray(labels)
    if len(labels) > EXACT_MAX_N:
        raise ValueError(f"deciding_pairs compares all pairs: at most {EXACT_MAX_N} features, got {len(labels)}")
    theta = _arccos(cosine_matrix(features, features))  # (N, N)
    upper = np.triu(np.ones(theta.shape, dtype=bool), k=1)
    same = labels[:, None] == labels[None, :]
    out = {}
    for name, mask, pick in (("max_intra", upper & same, np.argmax), ("min_inter", upper & ~same, np.argmin)):
        if not mask.any():
            out[name] = None
            continue
        rows, cols = np.nonzero(mask)
        k = pick(theta[rows, cols])
        out[name] = (int(rows[k]), int(cols[k]))
    return out


def weight_angles(weights) -> np.ndarray:
    """Angles between class weight columns, arccos(W_i·W_j / (||W_i|| ||W_j||)). weights (D, C) -> (C, C).

    The diagonal is set to exactly 0 (a vector with itself), rather than arccos(1 - ε) ≈ 1e-8 from rounding.
    """
    theta = angle_matrix(np.asarray(weights).T, np.asarray(weights).T)  # (C, C)
    np.fill_diagonal(theta, 0.0)
    return theta


def min_weight_angle(weights) -> float:
    """Smallest angle between two different class weights, min_{i ≠ j} ∠(W_i, W_j). weights (D, C), C >= 2."""
    theta = weight_angles(weights)
    if len(theta) < 2:
        raise ValueError(f"need at least 2 classes for an angle between weights, got {len(theta)}")
    return float(np.min(theta[~np.eye(len(theta), dtype=bool)]))


def weight_norms(weights) -> np.ndarray:
    """||W_j|| for each class j: (D, C) -> (C,).

    Plain softmax can learn larger norms for classes with more samples (a class prior; it need not, and on small
    toy problems often does not); M-softmax rules it out by fixing ||W_j|| = 1 (Sec. 3.1 and the paper's
    appendix on weight normalisation).
    """
    return np.linalg.norm(np.asarray(weights, dtype=np.float64), axis=0)


def angle_histogram(angles, bins: int = 36, range: tuple[float, float] = (0.0, np.pi)):
    """Density-normalised histogram of angles (integrates to 1 over `range`), as the pair histograms of Fig. 5.

    Density rather than counts lets positive and negative pairs share an axis although negatives far outnumber
    positives. Default: 36 bins of 5° on [0, π]. No angles gives all-zero counts instead of 0/0.
    Returns (counts (bins,), edges (bins + 1,)), as `np.histogram`.
    """
    angles = np.asarray(angles, dtype=np.float64).ravel()
    if angles.size == 0:
        return np.zeros(bins), np.linspace(range[0], range[1], bins + 1)
    return np.histogram(angles, bins=bins, range=range, density=True)


def _balanced_accuracy(cos, same, threshold: float) -> float:
    """(TPR + TNR) / 2 of the rule "same identity iff cos >= threshold"; both classes of pair must be present."""
    said_same = cos >= threshold
    return float((np.mean(said_same[same]) + np.mean(~said_same[~same])) / 2)


def choose_threshold(features, labels, *, max_pairs: int = MAX_PAIRS, seed: int = 0) -> float:
    """Cosine threshold t maximising balanced verification accuracy (TPR + TNR) / 2 on pairs of the TRAINING set.

    Balanced, because negative pairs outnumber positives about C to 1 and plain accuracy would be won by "never
    same". The best t lies between two consecutive distinct pair scores; the midpoint is returned (max margin, as
    for a 1-D SVM). It only ever sees the arrays passed in: give it training classes, never test pairs.
    Pairs as in `pair_angles`. Shapes: features (N, D), labels (N,). Raises if there is no positive or no
    negative pair.
    """
    return _best_threshold(*pair_cosines(features, labels, max_pairs=max_pairs, seed=seed))


def _best_threshold(cos, same) -> float:
    if same.all() or not same.any():
        raise ValueError("choose_threshold needs both positive and negative training pairs")
    from sklearn.metrics import roc_curve  # here, not at import: scikit-learn takes ~1 s (the first page waits)

    fpr, tpr, thr = roc_curve(same, cos, drop_intermediate=False)  # thr decreasing, thr[0] = inf (say "never same")
    k = 1 + int(np.argmax((tpr[1:] + 1 - fpr[1:]) / 2))  # skip thr[0]: an infinite threshold is no answer
    return float((thr[k] + thr[k + 1]) / 2) if k + 1 < len(thr) else float(thr[k])


def verification(features, labels, threshold: float, *, max_pairs: int = MAX_PAIRS, seed: int = 0) -> dict:
    """Open-set verification on held-out classes: score a pair by cos θ, call it "same" iff cos θ >= threshold.

    Pairs as in `pair_angles`. Returns {"fpr", "tpr" (ROC curve arrays), "auc", "threshold", "accuracy" (balanced
    accuracy (TPR + TNR) / 2 at the threshold), "n_pairs", "n_pos_pairs"}. With fewer than 2 classes or no positive
    pair there is no ROC: auc and accuracy are None and the curves empty (no exception).
    Shapes: features (N, D), labels (N,).
    """
    cos, same = pair_cosines(features, labels, max_pairs=max_pairs, seed=seed)
    out = {"threshold": float(threshold), "n_pairs": len(cos), "n_pos_pairs": int(np.sum(same))}
    if same.all() or not same.any():  # also covers N < 2 (no pairs at all)
        return {**out, "fpr": np.empty(0), "tpr": np.empty(0), "auc": None, "accuracy": None}
    from sklearn.metrics import auc, roc_curve

    fpr, tpr, _ = roc_curve(same, cos)
    return {
        **out,
        "fpr": fpr,
        "tpr": tpr,
        "auc": float(auc(fpr, tpr)),  # = roc_auc_score, without a second sort
        "accuracy": _balanced_accuracy(cos, same, threshold),
    }


def open_set_report(
    train_features, train_labels, open_features, open_labels, *, max_pairs: int = MAX_PAIRS, seed: int = 0
) -> dict:
    """Threshold chosen on training classes, then applied to held-out classes (the open-set protocol, Fig. 1).

    Returns `verification` on the open set plus "train_accuracy", the balanced accuracy at that threshold on the
    training pairs (the gap between the two is how well the features generalise to unseen identities).
    """
    cos, same = pair_cosines(train_features, train_labels, max_pairs=max_pairs, seed=seed)
    t = _best_threshold(cos, same)  # = choose_threshold(train_features, train_labels), pairs computed once
    report = verification(open_features, open_labels, t, max_pairs=max_pairs, seed=seed)
    return {**report, "train_accuracy": _balanced_accuracy(cos, same, t)}


def class_separation(features, labels) -> float | None:
    """Class separation R² = 1 − d̄_within / d̄_total of the features' directions (Kornblith, Chen, Lee, Norouzi, "Why
    Do Better Loss Functions Lead to Less Transferable Features?", NeurIPS 2021, Sec. 5; the notes' LDA idea).

    With the cosine distance d(a, b) = 1 − cos θ_ab, and every class weighted alike (K classes, N_k samples each):
        d̄_within = Σ_k Σ_{m,n ∈ k} d(x_m, x_n) / (K N_k²),
        d̄_total = Σ_{j,k} Σ_{m ∈ j, n ∈ k} d(x_m, x_n) / (K² N_j N_k).
    For unit rows u = x/‖x‖ and class means μ_k = mean_{m ∈ k} u_m, that is
        R² = 1 − (1 − mean_k ‖μ_k‖²) / (1 − ‖mean_k μ_k‖²):
    the within-class share of the directions' variance taken away. 0: classes no tighter than the whole set; 1: each
    class one direction. None with fewer than two classes or all directions equal. Shapes: features (N, D), labels (N,).
    """
    labels = np.asarray(labels)
    classes = np.unique(labels)
    if len(classes) < 2:
        return None
    u = unit_rows(features)
    means = np.stack([u[labels == k].mean(axis=0) for k in classes])  # (K, D)
    within = 1.0 - float(np.mean(np.sum(means**2, axis=1)))
    total = 1.0 - float(np.sum(means.mean(axis=0) ** 2))
    return None if total <= 1e-12 else 1.0 - within / total


def identification_rank1(features, labels) -> float | None:
    """1:N identification (closed gallery): each class's first sample is its gallery photo, every other sample a probe
    matched to the gallery photo of largest cosine; the share of probes matched to their own class (rank-1 accuracy).

    The notes' "verification / identification" on people never trained on. None with fewer than two classes or no
    probe. Shapes: features (N, D), labels (N,).
    """
    labels = np.asarray(labels)
    classes, first = np.unique(labels, return_index=True)
    probes = np.setdiff1d(np.arange(len(labels)), first)
    if len(classes) < 2 or len(probes) == 0:
        return None
    best = np.argmax(cosine_matrix(np.asarray(features)[probes], np.asarray(features)[first]), axis=1)
    return float(np.mean(classes[best] == labels[probes]))


def region_angles(weights, bias, radius: float, *, n: int = 3600) -> np.ndarray:
    """The angle (degrees) of the circle of `radius` where each class wins, argmax_j x·W_j + b_j, in 2-D.

    With b = 0 the rule is angular and the widths do not depend on the radius; softmax's bias makes them depend on
    it (near the origin the largest b_j wins everywhere), so the radius should be where the features are (their
    median ‖x‖). Shapes: weights (2, C), bias (C,) -> (C,), summing to 360.
    """
    weights = np.asarray(weights)
    if weights.shape[0] != 2:
        raise ValueError(f"region_angles needs 2-D features, got {weights.shape[0]}-D weights")
    t = (np.arange(n) + 0.5) * (2 * np.pi / n)
    points = radius * np.stack([np.cos(t), np.sin(t)], axis=1)  # (n, 2)
    counts = np.bincount(predict(points, weights, bias), minlength=weights.shape[1])
    return counts * (360.0 / n)


def ranks(values) -> np.ndarray:
    """Ranks 0..n−1 of `values`, ties at their mean rank: (n,) -> (n,)."""
    values = np.asarray(values, float)
    rank = np.empty(len(values))
    rank[np.argsort(values, kind="stable")] = np.arange(len(values))
    _unique, inverse = np.unique(values, return_inverse=True)
    return (np.bincount(inverse, rank) / np.bincount(inverse))[inverse]


def rank_correlation(a, b) -> float | None:
    """Spearman's ρ: the correlation of the ranks (ties get their mean rank); None when either side is constant."""
    ra, rb = ranks(a), ranks(b)
    if np.std(ra) == 0 or np.std(rb) == 0:
        return None
    return float(np.corrcoef(ra, rb)[0, 1])
