"""The lower bound on m (SphereFace, Sec. 3.4): closed forms against brute force on the circle, the bound values,
the training check (trained once) and the figure, read back from what it draws."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.lines import Line2D
from matplotlib.text import Text

from sphere_toy.core import losses
from sphere_toy.analysis import mbound
from sphere_toy.analysis.mbound import (
    BRANCH_ANGLE,
    MANY_CLASS_BOUND,
    TWO_CLASS_BOUND,
    MarginCheck,
    brute_force_angles,
    check_text,
    class_reach,
    many_class_angles,
    smallest_m,
    two_class_angles,
)
from sphere_toy.plots.bound import bound_figure
from sphere_toy.plots.layout import figure_png
from sphere_toy.plots.style import MIN_FONT_PT

N = 2000  # points on the circle for the brute force
TOL = 4 * 2 * math.pi / N  # each end of an arc is found to within one grid step


# ---- closed forms against brute force ----


@settings(max_examples=40, deadline=None)
@given(m=st.floats(1.0, 8.0), theta12=st.floats(0.2, math.pi))
def test_two_class_angles_match_brute_force(m, theta12):
    intra, inter = two_class_angles(m, theta12)
    ref_intra, ref_inter = brute_force_angles(m, (0.0, theta12), n=N)
    assert abs(intra - ref_intra) < TOL and abs(inter - ref_inter) < TOL


@settings(max_examples=25, deadline=None)
@given(m=st.floats(1.0, 8.0), k=st.integers(3, 8))
def test_many_class_angles_match_brute_force(m, k):
    theta = 2 * math.pi / k
    intra, inter = many_class_angles(m, theta)
    ref_intra, ref_inter = brute_force_angles(m, [i * theta for i in range(k)], n=N)
    assert abs(intra - ref_intra) < TOL and abs(inter - ref_inter) < TOL


@pytest.mark.parametrize("m", [1.0, 1.5, 2.0, 3.0, 4.0, 6.5])
def test_two_opposite_weights_are_the_many_class_case(m):
    assert np.allclose(two_class_angles(m, math.pi), many_class_angles(m, math.pi))


@pytest.mark.parametrize("m", [1.2, 2.0, 3.0, 2 + math.sqrt(3), 4.0, 6.0])
@pytest.mark.parametrize("theta12", [0.3, 1.0, math.pi / 2, 2.0, 2.5, 3.0, math.pi])
def test_two_class_angles_are_the_papers_eq_8_and_9(m, theta12):
    """Eq. 8 while θ12 <= (m−1)π/m: 2mθ12/(m²−1); Eq. 9 beyond: (2π − θ12)/(m+1) + θ12/(m+1) = 2π/(m+1)."""
    intra, inter = two_class_angles(m, theta12)
    paper = 2 * m * theta12 / (m * m - 1) if theta12 <= (m - 1) * math.pi / m else 2 * math.pi / (m + 1)
    assert intra == pytest.approx(paper) and inter == pytest.approx((m - 1) * theta12 / (m + 1))


@pytest.mark.parametrize("m", range(1, 7))
def test_the_arcs_are_the_losss_own_rule(m):
    """m·θ1 < θ2 is A-softmax's own decision with its full margin, ψ(θ1) > cos θ2 (`losses.psi`)."""
    t1, t2 = np.meshgrid(np.linspace(0, np.pi, 181), np.linspace(0, np.pi, 181))
    clear = np.abs(m * t1 - t2) > 1e-3  # float32 cannot decide on the boundary itself
    wins = np.asarray(losses.psi(t1.astype(np.float32), m)) > np.cos(t2)
    assert np.array_equal(wins[clear], (m * t1 < t2)[clear])


def test_m_equal_1_is_a_half_circle_each_and_no_gap():
    near, far = class_reach(1.0, 1.0)
    assert near == pytest.approx(0.5) and far == pytest.approx((2 * math.pi - 1.0) / 2)
    assert np.allclose(two_class_angles(1.0, 1.0), (math.pi, 0.0))


@pytest.mark.parametrize("m, theta", [(0.99, 1.0), (2.0, 0.0), (2.0, math.pi + 1e-9), (math.nan, 1.0), (2.0, math.nan)])
def test_outside_the_geometry_raises(m, theta):
    with pytest.raises(ValueError):
        two_class_angles(m, theta)


# ---- the bounds, from the closed forms ----


def test_bound_constants():
    assert TWO_CLASS_BOUND**2 - 4 * TWO_CLASS_BOUND + 1 == pytest.approx(0.0, abs=1e-12)
    assert MANY_CLASS_BOUND == 3.0
    assert math.degrees(BRANCH_ANGLE) == pytest.approx(131.77, abs=0.01)


@pytest.mark.parametrize("theta12", [0.1, 1.0, math.pi / 2, 2.0, BRANCH_ANGLE])
def test_two_class_threshold_is_2_plus_sqrt3_on_eq_8s_branch(theta12):
    assert smallest_m(two_class_angles, theta12) == pytest.approx(TWO_CLASS_BOUND, abs=1e-9)


@pytest.mark.parametrize("theta12", [2.4, 2.8, 3.1, math.pi])
def test_two_class_threshold_falls_to_3_beyond_it(theta12):
    assert smallest_m(two_class_angles, theta12) == pytest.approx(1 + 2 * math.pi / theta12, abs=1e-9)


def test_the_worst_case_over_theta12_is_2_plus_sqrt3():
    worst = max(smallest_m(two_class_angles, t) for t in np.linspace(0.05, math.pi, 60))
    assert worst == pytest.approx(TWO_CLASS_BOUND, abs=1e-9)


@pytest.mark.parametrize("theta", [0.3, 2 * math.pi / 3, math.pi / 2, math.pi])
def test_many_class_threshold_is_3(theta):
    assert smallest_m(many_class_angles, theta) == pytest.approx(MANY_CLASS_BOUND, abs=1e-9)


def test_integer_margins_fail_at_3_and_hold_from_4_for_every_angle():
    thetas = np.linspace(0.05, math.pi, 200)
    for angles in (two_class_angles, many_class_angles):
        intra3, inter3 = angles(3.0, thetas)
        intra4, inter4 = angles(4.0, thetas)
        assert not np.any(intra3 < inter3) and np.all(intra4 < inter4)


# ---- the sentence, for runs of every kind (no training) ----


def _checks(strict, robust=None, train=None, inside=None, n=5):
    out = []
    for m, k in zip(mbound.CHECK_MS, strict):
        out.append(
            MarginCheck(
                m=m,
                seeds=tuple(range(n)),
                diverged=0,
                strict=k,
                robust=(robust or strict)[m - 1],
                train_strict=(train or [n] * 6)[m - 1],
                max_intra=(0.5,) * n,
                min_inter=(1.0,) * n,
                p95_intra=(0.4,) * n,
                p5_inter=(1.1,) * n,
                theta12=(math.radians(150),) * n,
                inside=((inside or [1.0] * 6)[m - 1],) * n,
            )
        )
    return out


def test_text_says_when_the_run_agrees_with_the_bound():
    text = check_text(_checks([0, 0, 0, 5, 5, 5]))
    assert "0/5 seeds (m ≤ 3) and 5/5 (m ≥ 4)" in text and "as the bound says" in text and "3.73" in text


def test_text_says_when_every_m_meets_it():
    text = check_text(_checks([5] * 6))
    assert "5/5 seeds (every m)" in text and "15/15 seeds above it" in text and "below it do too" in text


def test_text_says_when_nothing_meets_it_and_why():
    text = check_text(_checks([0] * 6, inside=[1.0, 1.0, 1.0, 0.9, 0.9, 0.9]))
    assert "0/5 seeds (every m)" in text and "0/15 seeds above it" in text and "10% of the test features" in text


def test_text_when_every_model_diverged():
    empty = [MarginCheck(m, (), 5, 0, 0, 0, (), (), (), (), (), ()) for m in mbound.CHECK_MS]
    assert "diverged" in check_text(empty)


# ---- the training check (trained once) ----


@pytest.fixture(scope="module")
def checks():
    return mbound.run_check()


def test_check_has_every_m_and_every_seed(checks):
    s = mbound.CHECK_SETTINGS
    assert [c.m for c in checks] == list(mbound.CHECK_MS)
    for c in checks:
        assert c.n + c.diverged == s.seeds and c.diverged == 0
        assert c.seeds == tuple(range(s.seed, s.seed + s.seeds))
        assert 0 <= c.strict <= c.n and 0 <= c.robust <= c.n and 0 <= c.train_strict <= c.n
        assert all(0 <= x <= math.pi for x in c.max_intra + c.min_inter + c.theta12)


def test_check_shows_what_the_docstring_says(checks):
    """The finding written in mbound's docstring: on the training features every seed meets the criterion at every
    m (m = 1 included); on the test features not every seed does even above the bound; the weights end further
    apart the larger m."""
    assert all(c.train_strict == c.n for c in checks)
    above = [c for c in checks if c.m > TWO_CLASS_BOUND]
    assert sum(c.strict for c in above) < sum(c.n for c in above)
    assert all(last > first for first, last in zip(checks[0].theta12, checks[-1].theta12))


def test_a_failure_above_the_bound_has_features_outside_their_arc(checks):
    """Above the bound the arcs guarantee the criterion, so a seed that fails must have a feature outside its arc."""
    for c in checks:
        if c.m > TWO_CLASS_BOUND:
            intra, inter = c.allowed
            assert all(a < b for a, b in zip(intra, inter))
            failed = c.n - c.strict
            assert sum(x < 1.0 for x in c.inside) >= failed


def test_check_text_states_the_numbers(checks):
    text = check_text(checks)
    for c in checks:
        assert "{k}/{n}".format(k=c.strict, n=c.n) in text and "{k}/{n}".format(k=c.robust, n=c.n) in text
    assert "{:.2f}".format(TWO_CLASS_BOUND) in text


# ---- the figure ----


def _lines(fig, gid):
    return [a for a in fig.findobj(Line2D) if a.get_gid() == gid]


def _texts(fig, gid):
    return [t.get_text() for t in fig.findobj(Text) if t.get_gid() == gid]


@pytest.mark.parametrize("m, theta12", [(4, 90.0), (2, 150.0), (1, 90.0), (3.5, 170.0)])
def test_figure_draws_the_closed_forms(m, theta12):
    fig = bound_figure(m, theta12)
    intra, inter = two_class_angles(m, math.radians(theta12))
    assert "{:.1f}°".format(math.degrees(intra)) in _texts(fig, "max-intra-label")[0]
    assert "{:.1f}°".format(math.degrees(inter)) in _texts(fig, "min-inter-label")[0]
    # class 1's arc as drawn spans max intra
    (arc,) = _lines(fig, "class-1-arc")
    angles = np.unwrap(np.arctan2(arc.get_ydata(), arc.get_xdata()))
    assert angles.max() - angles.min() == pytest.approx(intra, abs=1e-6)
    # the crossings sit at 2 + √3 and 3, on the min inter curve
    for gid, bound in (("two-class-crossing", TWO_CLASS_BOUND), ("many-class-crossing", MANY_CLASS_BOUND)):
        (marker,) = _lines(fig, gid)
        assert marker.get_xdata()[0] == pytest.approx(bound) and marker.get_ydata()[0] == pytest.approx(
            (bound - 1) / (bound + 1)
        )
    assert all(t.get_fontsize() >= MIN_FONT_PT for t in fig.findobj(Text) if t.get_text())
    assert figure_png(fig)[:4] == b"\x89PNG"


def test_figure_with_the_check_shows_its_counts(checks):
    fig = bound_figure(4, checks=checks)
    cells = _texts(fig, "check-cell")
    assert len(cells) == 5 * len(checks)
    for c in checks:
        assert "{k}/{n}".format(k=c.strict, n=c.n) in cells and "{k}/{n}".format(k=c.train_strict, n=c.n) in cells
    assert figure_png(fig)[:4] == b"\x89PNG"
