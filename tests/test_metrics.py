"""Tests for sphere_toy.analysis.metrics: slow loop references, hand-made geometry, invariances, open-set protocol,
edges."""

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sphere_toy.analysis import metrics
from sphere_toy.analysis.metrics import (
    accuracy,
    angle_histogram,
    angle_stats,
    choose_threshold,
    cosine_matrix,
    min_weight_angle,
    open_set_report,
    pair_angles,
    pair_indices,
    predict,
    target_angles,
    verification,
    weight_angles,
    weight_norms,
)


def _angle(a, b) -> float:
    """Reference angle of two vectors, one pair at a time, in plain Python."""
    na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(x * x for x in b))
    if na == 0 or nb == 0:
        return math.pi / 2
    return math.acos(max(-1.0, min(1.0, sum(x * y for x, y in zip(a, b)) / (na * nb))))


def _ref_pairs(x, y):
    """Positive and negative pair angles by an explicit double loop over i < j."""
    pos, neg = [], []
    for i, j in itertools.combinations(range(len(x)), 2):
        (pos if y[i] == y[j] else neg).append(_angle(x[i], x[j]))
    return np.array(pos), np.array(neg)


def _random(n=40, d=3, c=4, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, c, size=n)


def _clusters(n_classes, per_class, d=3, spread=0.05, seed=0, first_label=0):
    """Tight clusters around random unit directions: perfectly separable by angle."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(n_classes, d))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    labels = np.repeat(np.arange(n_classes), per_class)
    x = centres[labels] + spread * rng.normal(size=(len(labels), d))
    return x * rng.uniform(0.5, 3.0, size=(len(labels), 1)), labels + first_label


# Three unit weights 120° apart in 2-D and features lying exactly on them (different radii).
W3 = np.stack([[math.cos(a), math.sin(a)] for a in (0, 2 * math.pi / 3, 4 * math.pi / 3)], axis=1)  # (2, 3)
Y3 = np.array([0, 0, 1, 1, 2, 2, 2])
X3 = W3.T[Y3] * np.array([1.0, 2.5, 0.3, 1.0, 4.0, 1.0, 0.7])[:, None]


# --- predict / accuracy ---------------------------------------------------------------------------------------------


def test_predict_matches_loop_and_bias_flips_a_decision():
    x, _ = _random(30, 3)
    w = np.random.default_rng(1).normal(size=(3, 5))
    b = np.random.default_rng(2).normal(size=5)
    ref = [max(range(5), key=lambda j: float(x[i] @ w[:, j] + b[j])) for i in range(30)]
    np.testing.assert_array_equal(predict(x, w, b), ref)
    # x = (1, 0): logits 1.0 and 0.9 without bias pick class 0; a bias of +0.2 on class 1 flips it.
    xf, wf = np.array([[1.0, 0.0]]), np.array([[1.0, 0.9], [0.0, 0.0]])
    assert predict(xf, wf, np.zeros(2))[0] == 0
    assert predict(xf, wf, np.array([0.0, 0.2]))[0] == 1
    assert accuracy(xf, wf, np.zeros(2), np.array([0])) == 1.0
    assert accuracy(xf, wf, np.array([0.0, 0.2]), np.array([0])) == 0.0


def test_accuracy_on_hand_made_geometry():
    assert accuracy(X3, W3, np.zeros(3), Y3) == 1.0
    assert accuracy(X3, W3, np.zeros(3), (Y3 + 1) % 3) == 0.0


# --- cosines and angles ---------------------------------------------------------------------------------------------


def test_cosine_matrix_matches_loop():
    a, _ = _random(7, 4, seed=3)
    b, _ = _random(5, 4, seed=4)
    ref = [[math.cos(_angle(a[i], b[j])) for j in range(5)] for i in range(7)]
    np.testing.assert_allclose(cosine_matrix(a, b), ref, atol=1e-12)


def test_zero_vectors_give_no_nan():
    x = np.array([[0.0, 0.0, 0.0], [1.0, 2.0, 2.0], [0.0, 0.0, 0.0]])
    y = np.array([0, 0, 1])
    c = cosine_matrix(x, x)
    assert np.isfinite(c).all() and c[0, 1] == 0 and c[0, 0] == 0
    w = np.array([[0.0, 1.0], [0.0, 0.0], [0.0, 0.0]])  # class 0 has a zero weight
    np.testing.assert_allclose(target_angles(x, w, y), [np.pi / 2, np.pi / 2, np.pi / 2])
    assert np.isfinite(weight_angles(w)).all() and np.isfinite(min_weight_angle(w))
    pos, neg = pair_angles(x, y)
    assert np.isfinite(pos).all() and np.isfinite(neg).all()
    assert all(np.isfinite(v) for v in angle_stats(x, y).values())


def test_target_angles_match_loop():
    x, y = _random(25, 3, c=4, seed=5)
    w = np.random.default_rng(6).normal(size=(3, 4))
    ref = [_angle(x[i], w[:, y[i]]) for i in range(25)]
    np.testing.assert_allclose(target_angles(x, w, y), ref, atol=1e-9)


def test_hand_made_three_classes_at_120_degrees():
    np.testing.assert_allclose(target_angles(X3, W3, Y3), 0.0, atol=1e-7)  # arccos(1 - ε) is ~1e-8
    assert min_weight_angle(W3) == pytest.approx(2 * np.pi / 3)
    np.testing.assert_allclose(weight_angles(W3), (2 * np.pi / 3) * (1 - np.eye(3)), atol=1e-12)
    np.testing.assert_allclose(weight_norms(W3 * [1.0, 2.0, 3.0]), [1.0, 2.0, 3.0])
    s = angle_stats(X3, Y3)
    assert s["criterion_met"] and s["exact"]
    assert s["max_intra_angle"] == pytest.approx(0.0, abs=1e-7)
    assert s["min_inter_angle"] == pytest.approx(2 * np.pi / 3)
    assert s["n_pos_pairs"] == 1 + 1 + 3 and s["n_neg_pairs"] == 21 - 5


def test_overlapping_classes_fail_the_criterion():
    rng = np.random.default_rng(7)
    x = rng.normal(size=(60, 2)) + [[3.0, 0.0]]  # one cloud, labels at random: the classes overlap
    y = rng.integers(0, 2, size=60)
    s = angle_stats(x, y)
    assert not s["criterion_met"]
    assert s["max_intra_angle"] > s["min_inter_angle"]


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000), st.floats(1e-3, 1e3), st.floats(1e-3, 1e3))
def test_angles_invariant_to_positive_scaling(seed, s1, s2):
    x, y = _random(12, 3, c=3, seed=seed)
    w = np.random.default_rng(seed + 1).normal(size=(3, 3))
    scale = np.random.default_rng(seed + 2).uniform(1e-3, 1e3, size=(12, 1))
    np.testing.assert_allclose(cosine_matrix(x * scale, x * s1), cosine_matrix(x, x), atol=1e-12)
    np.testing.assert_allclose(target_angles(x * scale, w * s2, y), target_angles(x, w, y), atol=1e-6)
    np.testing.assert_allclose(weight_angles(w * s2), weight_angles(w), atol=1e-6)
    for a, b in zip(pair_angles(x * scale, y), pair_angles(x, y)):
        np.testing.assert_allclose(a, b, atol=1e-6)
    assert np.all((cosine_matrix(x * scale, x) >= -1) & (cosine_matrix(x * scale, x) <= 1))


# --- pairs and the criterion ----------------------------------------------------------------------------------------


def test_pair_angles_split_matches_loop():
    x, y = _random(30, 3, c=3, seed=8)
    pos, neg = pair_angles(x, y)
    ref_pos, ref_neg = _ref_pairs(x, y)
    np.testing.assert_allclose(pos, ref_pos, atol=1e-9)  # same i < j row-major order as the loop
    np.testing.assert_allclose(neg, ref_neg, atol=1e-9)


@pytest.mark.parametrize("max_pairs", [10_000, 100])
def test_pair_cosines_from_the_gram_matrix_equal_the_row_wise_ones(monkeypatch, max_pairs):
    x, y = _random(60, 64, c=4, seed=3)
    gram = metrics.pair_cosines(x, y, max_pairs=max_pairs)
    monkeypatch.setattr(metrics, "GRAM_MAX_N", 0)  # force the O(P·D) path
    rows = metrics.pair_cosines(x, y, max_pairs=max_pairs)
    np.testing.assert_allclose(gram[0], rows[0], atol=1e-12)
    np.testing.assert_array_equal(gram[1], rows[1])


def test_pair_indices_subsample_is_deterministic_uniform_and_valid():
    n, p = 300, 5000
    i, j = pair_indices(n, max_pairs=p, seed=3)
    assert len(i) == p and np.all(i < j) and np.all(j < n) and np.all(i >= 0)
    assert len(set(zip(i.tolist(), j.tolist()))) == p  # without replacement
    i2, j2 = pair_indices(n, max_pairs=p, seed=3)
    np.testing.assert_array_equal(i, i2)
    np.testing.assert_array_equal(j, j2)
    assert not np.array_equal(i, pair_indices(n, max_pairs=p, seed=4)[0])
    # Uniform over pairs: row i holds n-1-i pairs, so the mean of i over pairs is (n-2)/3 (sd of the mean ~ 1).
    assert abs(i.mean() - (n - 2) / 3) < 4.0
    # pair_angles uses exactly these pairs, in this order, split by label.
    x, y = _random(n, 3, c=5, seed=9)
    pos, neg = pair_angles(x, y, max_pairs=p, seed=3)
    ref = np.array([_angle(x[a], x[b]) for a, b in zip(i, j)])
    same = y[i] == y[j]
    np.testing.assert_allclose(pos, ref[same], atol=1e-9)
    np.testing.assert_allclose(neg, ref[~same], atol=1e-9)


def test_angle_stats_match_loop():
    x, y = _random(45, 3, c=4, seed=10)
    ref_pos, ref_neg = _ref_pairs(x, y)
    s = angle_stats(x, y)
    assert s["max_intra_angle"] == pytest.approx(max(ref_pos))
    assert s["min_inter_angle"] == pytest.approx(min(ref_neg))
    assert s["p95_intra_angle"] == pytest.approx(np.percentile(ref_pos, 95))
    assert s["p5_inter_angle"] == pytest.approx(np.percentile(ref_neg, 5))
    assert s["mean_intra_angle"] == pytest.approx(sum(ref_pos) / len(ref_pos))
    assert s["mean_inter_angle"] == pytest.approx(sum(ref_neg) / len(ref_neg))
    assert s["criterion_met"] == (max(ref_pos) < min(ref_neg))
    assert (s["n_pos_pairs"], s["n_neg_pairs"]) == (len(ref_pos), len(ref_neg))


def test_angle_stats_exact_despite_small_max_pairs_and_subsampled_above_limit(monkeypatch):
    x, y = _random(45, 3, c=4, seed=10)
    assert angle_stats(x, y, max_pairs=10) == angle_stats(x, y)  # small N: all pairs, never the subsample
    monkeypatch.setattr(metrics, "EXACT_MAX_N", 20)
    s = angle_stats(x, y, max_pairs=100)
    assert not s["exact"] and s["n_pos_pairs"] + s["n_neg_pairs"] == 100


def test_angle_stats_without_positive_pairs_is_nan_not_met():
    s = angle_stats(np.eye(3), np.array([0, 1, 2]))
    assert math.isnan(s["max_intra_angle"]) and not s["criterion_met"]
    assert s["min_inter_angle"] == pytest.approx(np.pi / 2)


def test_min_weight_angle_needs_two_classes():
    with pytest.raises(ValueError):
        min_weight_angle(np.ones((2, 1)))


def test_angle_histogram_is_a_density():
    counts, edges = angle_histogram(np.random.default_rng(11).uniform(0, np.pi, 1000), bins=18)
    assert counts.shape == (18,) and edges.shape == (19,)
    assert np.sum(counts * np.diff(edges)) == pytest.approx(1.0)
    assert edges[0] == 0 and edges[-1] == pytest.approx(np.pi)
    counts, edges = angle_histogram([])
    assert np.all(counts == 0) and len(edges) == len(counts) + 1


# --- threshold and open-set verification ----------------------------------------------------------------------------


def test_choose_threshold_separates_separable_pairs():
    x, y = _clusters(4, 15, spread=0.05, seed=12)
    t = choose_threshold(x, y)
    pos, neg = pair_angles(x, y)
    assert np.cos(pos).min() > t > np.cos(neg).max()  # every pair right, with the midpoint margin
    assert t == pytest.approx((np.cos(pos).min() + np.cos(neg).max()) / 2)
    r = verification(x, y, t)
    assert r["accuracy"] == 1.0 and r["auc"] == 1.0


def test_choose_threshold_matches_brute_force():
    x, y = _random(40, 2, c=3, seed=13)
    cos = np.array([math.cos(_angle(x[i], x[j])) for i, j in itertools.combinations(range(40), 2)])
    same = np.array([y[i] == y[j] for i, j in itertools.combinations(range(40), 2)])

    def bal(t):
        return (np.mean(cos[same] >= t) + np.mean(cos[~same] < t)) / 2

    best = max(bal(t) for t in np.unique(cos))
    assert bal(choose_threshold(x, y)) == pytest.approx(best)


def test_choose_threshold_ignores_the_open_set():
    xt, yt = _clusters(3, 20, spread=0.3, seed=14)
    reports = [
        open_set_report(xt, yt, *_clusters(3, 10, spread=s, seed=k, first_label=3))
        for k, s in [(15, 0.05), (16, 1.0), (17, 0.5)]
    ]
    assert len({r["threshold"] for r in reports}) == 1
    assert reports[0]["threshold"] == choose_threshold(xt, yt)
    assert len({r["train_accuracy"] for r in reports}) == 1


def test_verification_auc_one_for_clusters_half_for_random():
    x, y = _clusters(4, 12, spread=0.02, seed=18, first_label=6)
    r = verification(x, y, 0.9)
    assert r["auc"] == 1.0 and r["n_pairs"] == 48 * 47 // 2
    assert r["fpr"][0] == 0 and r["tpr"][-1] == 1
    xr, yr = _random(400, 3, c=5, seed=19)
    r = verification(xr, yr, 0.0)
    assert abs(r["auc"] - 0.5) < 0.05 and abs(r["accuracy"] - 0.5) < 0.05


def test_verification_subsamples_like_pair_angles():
    x, y = _random(200, 3, c=5, seed=20)
    r = verification(x, y, 0.5, max_pairs=1000, seed=1)
    pos, neg = pair_angles(x, y, max_pairs=1000, seed=1)
    assert r["n_pairs"] == 1000 and r["n_pos_pairs"] == len(pos)
    ref = (np.mean(np.cos(pos) >= 0.5) + np.mean(np.cos(neg) < 0.5)) / 2
    assert r["accuracy"] == pytest.approx(ref)


@pytest.mark.parametrize(
    "x, y",
    [
        (np.ones((5, 3)), np.zeros(5, dtype=int)),  # one class: no negative pair
        (np.eye(3), np.array([0, 1, 2])),  # one sample per class: no positive pair
        (np.ones((1, 3)), np.array([0])),  # no pair at all
        (np.zeros((0, 3)), np.zeros(0, dtype=int)),  # empty
    ],
)
def test_degenerate_open_set_returns_none(x, y):
    r = verification(x, y, 0.5)
    assert r["auc"] is None and r["accuracy"] is None and len(r["fpr"]) == 0 and len(r["tpr"]) == 0
    xt, yt = _clusters(3, 10, seed=21)
    assert open_set_report(xt, yt, x, y)["auc"] is None


def test_choose_threshold_rejects_degenerate_training_set():
    with pytest.raises(ValueError):
        choose_threshold(np.ones((4, 2)), np.zeros(4, dtype=int))


def test_deciding_pairs_against_a_loop_over_every_pair():
    rng = np.random.default_rng(3)
    feats, labels = rng.normal(size=(40, 3)), rng.integers(0, 4, size=40)
    best = {"max_intra": (-1.0, None), "min_inter": (np.inf, None)}
    for i in range(40):
        for j in range(i + 1, 40):
            c = feats[i] @ feats[j] / (np.linalg.norm(feats[i]) * np.linalg.norm(feats[j]))
            angle = np.arccos(np.clip(c, -1, 1))
            if labels[i] == labels[j] and angle > best["max_intra"][0]:
                best["max_intra"] = (angle, (i, j))
            if labels[i] != labels[j] and angle < best["min_inter"][0]:
                best["min_inter"] = (angle, (i, j))
    pairs = metrics.deciding_pairs(feats, labels)
    assert pairs == {name: pair for name, (_, pair) in best.items()}
    st = metrics.angle_stats(feats, labels)  # the same pairs decide the criterion's numbers
    assert st["max_intra_angle"] == pytest.approx(best["max_intra"][0])
    assert st["min_inter_angle"] == pytest.approx(best["min_inter"][0])
    assert metrics.deciding_pairs(feats, np.zeros(40, int))["min_inter"] is None  # one class: no inter pair


def test_region_angles_are_the_share_of_the_circle_each_class_wins():
    from sphere_toy.analysis.metrics import region_angles

    w = np.array([[1.0, -1.0], [0.0, 0.0]])  # two opposite weights: half the circle each
    np.testing.assert_allclose(region_angles(w, np.zeros(2), 1.0), [180, 180], atol=0.2)
    # a bias moves the border: x·W_0 + b_0 = x·W_1 + b_1 at x = −b_0/2 (b_1 = 0), so at radius 1 with b_0 = 1
    # class 0 wins where cos t > −0.5, i.e. 240° of the circle; at a large radius the bias stops mattering
    np.testing.assert_allclose(region_angles(w, np.array([1.0, 0.0]), 1.0), [240, 120], atol=0.2)
    np.testing.assert_allclose(region_angles(w, np.array([1.0, 0.0]), 1e6), [180, 180], atol=0.2)
    with pytest.raises(ValueError, match="2-D"):
        region_angles(np.ones((3, 2)), np.zeros(2), 1.0)


def test_rank_correlation_is_spearmans_rho():
    from sphere_toy.analysis.metrics import rank_correlation

    assert rank_correlation([1, 2, 3, 4], [10, 20, 30, 45]) == pytest.approx(1.0)
    assert rank_correlation([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    assert rank_correlation([1, 2, 3], [5, 5, 5]) is None  # a constant side has no ranking
    x, y = [3, 1, 4, 1, 5, 9, 2, 6], [2, 7, 1, 8, 2, 8, 1, 8]
    want = np.corrcoef(_average_ranks(x), _average_ranks(y))[0, 1]  # ranks with ties averaged, by hand
    assert rank_correlation(x, y) == pytest.approx(want)


def _average_ranks(x):
    x = np.asarray(x, float)
    return np.array([np.mean([i for i, v in enumerate(sorted(x)) if v == xi]) for xi in x])


def _separation_by_pairs(features, labels):
    """Kornblith et al.'s R² read off its definition: class-weighted means of 1 − cos over every ordered pair."""
    classes = sorted(set(labels.tolist()))
    members = {k: features[labels == k] for k in classes}

    def mean_distance(a, b):
        return np.mean([1 - a_i @ b_j / np.linalg.norm(a_i) / np.linalg.norm(b_j) for a_i in a for b_j in b])

    within = np.mean([mean_distance(members[k], members[k]) for k in classes])
    total = np.mean([mean_distance(members[j], members[k]) for j in classes for k in classes])
    return 1 - within / total


def test_class_separation_is_kornbliths_r2_from_its_pairwise_definition():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(4), [5, 9, 3, 7])  # unequal classes: each is weighted alike
    features = rng.normal(size=(len(labels), 3)) + 2 * rng.normal(size=(4, 3))[labels]
    assert metrics.class_separation(features, labels) == pytest.approx(_separation_by_pairs(features, labels), 1e-12)
    one_direction = np.eye(3)[labels % 3] * rng.uniform(1, 5, size=(len(labels), 1))  # lengths do not count
    assert metrics.class_separation(one_direction, labels % 3) == pytest.approx(1.0)
    assert metrics.class_separation(features, np.zeros(len(labels))) is None


def test_rank1_identification_matches_probes_to_the_nearest_gallery_photo_by_cosine():
    rng = np.random.default_rng(1)
    labels = np.repeat([3, 7, 9], 4)
    features = rng.normal(size=(12, 5))
    gallery = {k: features[np.flatnonzero(labels == k)[0]] for k in (3, 7, 9)}
    hits = []
    for i in range(12):
        if i in {np.flatnonzero(labels == k)[0] for k in (3, 7, 9)}:
            continue  # a gallery photo is not a probe
        cos = {k: features[i] @ g / np.linalg.norm(features[i]) / np.linalg.norm(g) for k, g in gallery.items()}
        hits.append(max(cos, key=cos.get) == labels[i])
    assert metrics.identification_rank1(features, labels) == pytest.approx(np.mean(hits))
    separated = np.eye(5)[labels % 5] + 0.01 * features
    assert metrics.identification_rank1(separated, labels) == 1.0
    assert metrics.identification_rank1(features[:1], labels[:1]) is None
