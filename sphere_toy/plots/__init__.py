"""Figures for teaching SphereFace (Liu et al., CVPR 2017, arXiv:1704.08063): data in, `matplotlib.figure.Figure` out.

This module: the margin function ψ(θ) (Sec. 3.2, Eq. 7), 2-D features with decision regions and the margin zone
(Fig. 2), pair-angle histograms (Fig. 5, bottom row), target angles, and the side-by-side comparison of all models.
The sphere views are in `plots3d`, training curves and the animation in `plots_training`, tables, ROC and CSV in
`plots_report`; everything is re-exported here, so `from sphere_toy.plots import ...` is the one import to use.

No math of its own: angles and metrics come from `sphere_toy.analysis.metrics`, ψ and logits from
`sphere_toy.core.losses`.
"""

from __future__ import annotations

import functools
from fractions import Fraction

import jax
import numpy as np
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch
from numpy.polynomial.chebyshev import cheb2poly

from sphere_toy.core import losses
from sphere_toy.core import margins
from sphere_toy.analysis import metrics
from sphere_toy.data import shown_class_name
from sphere_toy.i18n import _
from sphere_toy.plots.bound import bound_figure
from sphere_toy.plots.family import family_figure
from sphere_toy.plots.openset import lab_text, open_pairs_figure, seed_auc_figure
from sphere_toy.plots.sphere import draw_sphere, sphere_figure, sphere_plotly
from sphere_toy.plots.report import (
    criterion_text,
    features_csv,
    open_set_rows,
    open_set_summary,
    prior_rows,
    prior_text,
    roc_figure,
    stats_markdown,
    stats_rows,
)
from sphere_toy.plots.style import (
    GAP_COLOR,
    NEGATIVE_COLOR,
    OVERLAP_COLOR,
    POSITIVE_COLOR,
    Screen,
    check_trained,
    class_colors,
    class_legend,
    many_classes,
    display_width,
    diverged_message,
    drawable,
    feature_dim,
    figure_png,
    figure_language,
    fit_legend,
    message_panel,
    model_colors,
    model_label,
    model_slug,
    needs_drawable,
    new_figure,
    on_screen,
    panel_columns,
    result_colors,
    styled,
    unit_rows,
)
from sphere_toy.plots.training import snapshot_figure, snapshots_gif, snapshots_plotly, training_figure

__all__ = [
    "class_colors",
    "model_colors",
    "psi_figure",
    "family_figure",
    "bound_figure",
    "seed_auc_figure",
    "open_pairs_figure",
    "lab_text",
    "chebyshev_latex",
    "features_figure",
    "sphere_figure",
    "sphere_plotly",
    "angle_histogram_figure",
    "criterion_pairs_figure",
    "criterion_verdict",
    "target_angle_figure",
    "stats_rows",
    "stats_markdown",
    "compare_figure",
    "training_figure",
    "snapshot_figure",
    "snapshots_gif",
    "snapshots_plotly",
    "roc_figure",
    "open_set_rows",
    "open_set_summary",
    "criterion_text",
    "figure_png",
    "features_csv",
    "Screen",
    "on_screen",
    "display_width",
    "model_slug",
    "drawable",
    "prior_rows",
    "prior_text",
    "figure_language",
]

GRID = 240  # decision-background resolution (pixels per side)
_SHADES = ("#eef2fb", "#fbf3e6")  # alternate ψ intervals


# ---------------------------------------------------------------------------------------------------- ψ(θ)


def chebyshev_latex(m: int, *, terms_per_line: int | None = None) -> str:
    """cos(mθ) as the Chebyshev polynomial T_m(cos θ) in LaTeX, e.g. m=4: "\\cos 4\\theta = 8\\cos^4\\theta - ...".

    With `terms_per_line`, an `aligned` block: the leading term, then that many terms a line (for a narrow column:
    m = 8 has 5 terms).
    """
    coef = np.rint(cheb2poly([0] * m + [1])).astype(int)  # power-series coefficients, lowest degree first
    terms = []
    for p in range(m, -1, -1):
        c = int(coef[p])
        if c == 0:
            continue
        power = "" if p == 0 else r"\cos\theta" if p == 1 else rf"\cos^{{{p}}}\theta" if p >= 10 else rf"\cos^{p}\theta"
        body = (str(abs(c)) if abs(c) != 1 or p == 0 else "") + power
        terms.append(("- " if c < 0 else "+ ") + body if terms else ("-" if c < 0 else "") + body)
    lhs = r"\cos\theta" if m == 1 else rf"\cos {m}\theta"
    if terms_per_line is None or len(terms) == 1:
        return f"{lhs} = " + " ".join(terms)
    # The leading term beside "cos mθ =", then `terms_per_line` a line.
    lines = [terms[0]] + [" ".join(terms[i : i + terms_per_line]) for i in range(1, len(terms), terms_per_line)]
    return r"\begin{aligned}" + f"{lhs} &= " + r" \\ &\quad ".join(lines) + r"\end{aligned}"


def _pi_label(frac: Fraction) -> str:
    if frac == 0:
        return "0"
    num = "" if frac.numerator == 1 else str(frac.numerator)
    return f"{num}π" + ("" if frac.denominator == 1 else f"/{frac.denominator}")


MAX_M = margins.MAX_M  # the largest m the ψ slider offers; a static bound, one compiled program for every m


def _max_m(m: int) -> int:
    return max(int(m), MAX_M)


@functools.partial(jax.jit, static_argnames=("max_m",))
def _psi_curves(cos, m, lam, *, max_m: int):
    """cos(mθ), ψ(θ), the annealed target and the m = 4 sign trick on a grid of cos θ, in one compiled call (m and λ
    traced): one program from the persistent cache, where op-by-op calls compiled a dozen on a fresh server."""
    return (
        losses.cos_m_theta(cos, m, max_m=max_m),
        losses.psi_from_cos(cos, m, max_m=max_m),
        losses.annealed_target(cos, m, lam, max_m=max_m),
        losses.psi_m4_sign_trick(cos),
    )


@styled
def psi_figure(m: int, lam: float = 0.0) -> Figure:
    """cos θ, the raw cos(mθ) and the monotone ψ(θ) on [0, π], with the intervals [kπ/m, (k+1)π/m] shaded.

    With λ > 0 also the annealed target (λ cos θ + ψ(θ)) / (1 + λ) that training uses (Sec. 3.2); for m = 4 the
    sign-trick form of common implementations (s3 = (-1)^k, s4 = -2k) is written in each interval and drawn as dots.
    """
    m = int(m)
    if m < 1:
        raise ValueError(f"m must be an integer >= 1, got {m}")
    theta = np.linspace(0.0, np.pi, 721)
    cos = np.cos(theta)
    deg = np.degrees(theta)
    # ψ as the loss computes it, from cos θ; for m <= MAX_M a slider move never compiles anything.
    cos_m, psi, target, sign_trick = (np.asarray(a) for a in _psi_curves(cos, m, lam, max_m=_max_m(m)))
    fig = new_figure(9.5, 6.0)
    ax = fig.add_subplot()
    span = 2 * m
    top = 1 + (0.34 if m == 4 else 0.16) * span + 0.25
    for k in range(m):
        lo, hi = 180 * k / m, 180 * (k + 1) / m
        ax.axvspan(lo, hi, color=_SHADES[k % 2], zorder=0, gid="psi-interval")
        note = f"k={k}" + (f"\ns3={(-1) ** k:+d}\ns4={-2 * k:d}" if m == 4 else "")
        ax.text(
            (lo + hi) / 2,
            top - 0.03 * (top - 1 + span),
            note,
            ha="center",
            va="top",
            fontsize=11,
            linespacing=1.25,
            gid="psi-k-label",
        )
    ax.axhline(0, color="0.6", lw=0.8, zorder=1)
    ax.plot(deg, cos, color="#1f77b4", label="cos θ  (softmax, M-softmax)")
    if m > 1:
        ax.plot(deg, cos_m, color="0.35", ls="--", lw=1.8, label=_("cos {m}θ  (not monotonic)").format(m=m))
    ax.plot(deg, psi, color="#d62728", lw=3.2, label=f"ψ(θ)  (A-softmax, m={m})")
    if m == 4:
        every = slice(0, None, 24)
        ax.plot(
            deg[every],
            sign_trick[every],
            "o",
            ms=6,
            mfc="white",
            mec="#d62728",
            mew=1.6,
            label=_("sign trick: s3·cos 4θ + s4"),
        )
    if lam > 0:
        ax.plot(deg, target, color="#9467bd", ls="-.", lw=2.6, label=f"(λ cos θ + ψ(θ)) / (1+λ),  λ = {lam:g}")
    ax.set_xlim(0, 180)
    ax.set_ylim(1 - span - 0.3, top)
    ax.set_xticks(np.arange(0, 181, 30))
    ax.set_xlabel(_("θ: angle between feature x and its class weight W_y (degrees)"))
    ax.set_ylabel(_("target logit / ‖x‖"))
    top_ax = ax.secondary_xaxis("top")
    fracs = sorted({Fraction(k, m) for k in range(m + 1)} | {Fraction(0), Fraction(1, 2), Fraction(1)})
    top_ax.set_xticks([180 * float(f) for f in fracs], [_pi_label(f) for f in fracs])
    top_ax.tick_params(labelsize=10)
    fit_legend(fig, ax.get_legend_handles_labels()[0], loc="outside lower center", ncol=2, frameon=False)
    title = (
        _("A-softmax: ψ(θ) = (−1)ᵏ cos({m}θ) − 2k, m = {m}, annealed with λ = {lam}")
        if lam > 0
        else _("A-softmax: ψ(θ) = (−1)ᵏ cos({m}θ) − 2k, m = {m}")
    ).format(m=m, lam=f"{lam:g}")
    ax.set_title(f"{title}\n${chebyshev_latex(m)}$", fontsize=13)
    return fig


# ---------------------------------------------------------------------------------------------------- 2-D features


def decision_grid(result, g: int, lim: float, *, angular: bool = False, n: int = GRID):
    """Predicted class and margin zone at the n×n pixel centres of [-lim, lim]²; (labels (n, n), zone (n, n)).

    `angular`: classify by argmax cos θ_j (unit W_j, no bias), the rule on the unit circle; otherwise the model's
    own rule argmax x·W_j + b_j. The zone (a model with a margin): where the target logit t(θ_i) < max_{j≠i} cos θ_j
    for the predicted class i (ψ(θ_i) for A-softmax, cos θ_i − m for CosFace, cos(θ_i + m) for ArcFace), i.e. a sample
    of class i there is correctly classified yet still penalised by the margin (λ = 0: the full margin, not the blend
    used early in A-softmax's training). Computed with the loss's own `margin_logits`, set by its registry entry.
    """
    centres = -lim + (np.arange(n) + 0.5) * (2 * lim / n)
    gx, gy = np.meshgrid(centres, centres)  # row = y, column = x (imshow with origin="lower")
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)  # (n², 2)
    w, b = result.weights[g], result.bias[g]
    if angular:
        w, b = np.asarray(losses.effective_weights(w, True)), np.zeros_like(b)
    labels = metrics.predict(pts, w, b)
    spec = result.specs[g]
    zone = np.zeros(len(pts), bool)
    if spec.has_margin:
        # (n², C): r·t(θ_i) at i, r·cos θ_j elsewhere; margins traced, so one compile serves every loss and m <= MAX_M.
        logits = np.array(margins.margin_logits(spec, pts, result.weights[g], labels))
        own = logits[np.arange(len(pts)), labels]
        logits[np.arange(len(pts)), labels] = -np.inf
        zone = own < logits.max(axis=1)
    return labels.reshape(n, n), zone.reshape(n, n)


def _blend(colors, strength):
    """Class colours mixed with white: light backgrounds that keep the hue."""
    rgb = np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in colors])
    return 1 - strength * (1 - rgb)


def _background(ax, result, g, lim, *, angular):
    colors = result_colors(result)[: result.data.n_classes]
    labels, zone = decision_grid(result, g, lim, angular=angular)
    img = np.where(zone[..., None], _blend(colors, 0.42)[labels], _blend(colors, 0.2)[labels])
    ax.imshow(
        img, extent=(-lim, lim, -lim, lim), origin="lower", interpolation="nearest", zorder=0, gid="decision-regions"
    )
    if zone.any():
        c = -lim + (np.arange(zone.shape[0]) + 0.5) * (2 * lim / zone.shape[0])
        ax.contourf(c, c, zone.astype(float), levels=[0.5, 1.5], colors="none", hatches=["///"], zorder=1)
    return bool(zone.any())


def _arrows(ax, weights, colors, length, *, names: bool = True):
    """One arrow per class weight, from the origin; the longest is `length` long (relative norms kept); named W_j
    unless `names` is off (too many classes to name)."""
    norms = np.linalg.norm(weights, axis=0)
    scale = length / max(norms.max(), 1e-12)
    outline = [patheffects.withStroke(linewidth=4.5, foreground="white")]
    for j, color in enumerate(colors):
        tip = weights[:, j] * scale
        ax.add_patch(
            FancyArrowPatch(
                (0, 0),
                tip,
                arrowstyle="-|>",
                mutation_scale=20,
                lw=2.6,
                color=color,
                zorder=5,
                gid="weight-arrow",
                path_effects=outline,
            )
        )
        if names:
            ax.text(
                *(tip * 1.13),
                f"$W_{{{j}}}$",
                color=color,
                fontsize=12,
                fontweight="bold",
                ha="center",
                va="center",
                zorder=6,
                path_effects=outline,
            )
    return scale


def _feature_limit(*arrays) -> float:
    """Half-width of a square view around the origin holding (nearly) every point; outliers may fall outside."""
    pts = np.concatenate([a.reshape(-1, 2) for a in arrays])
    return 1.12 * float(np.percentile(np.abs(pts), 99.5)) if len(pts) else 1.0


def _scatter_splits(ax, result, g, feats, *, show_test, show_open, small=False):
    data, colors = result.data, result_colors(result)
    k = data.n_classes
    s = 0.6 if small else 1.0
    if show_open and len(data.y_open):
        ax.scatter(
            *feats["open"].T, c=[colors[y] for y in data.y_open], marker="x", s=22 * s, lw=1.1 * s, alpha=0.7, zorder=2
        )
    ax.scatter(*feats["train"].T, c=[colors[y] for y in data.y_train], marker="o", s=14 * s, lw=0, alpha=0.8, zorder=3)
    if show_test:
        ax.scatter(
            *feats["test"].T,
            c=[colors[y] for y in data.y_test],
            marker="^",
            s=34 * s,
            edgecolors="black",
            lw=0.6,
            zorder=4,
        )
    return k


def _raw_panel(ax, result, g, *, show_test, show_open, lim, small=False):
    feats = {"train": result.train_features[g], "test": result.test_features[g], "open": result.open_features[g]}
    zone = _background(ax, result, g, lim, angular=False)
    _scatter_splits(ax, result, g, feats, show_test=show_test, show_open=show_open, small=small)
    scale = _arrows(
        ax, result.weights[g], result_colors(result)[: result.data.n_classes], 0.8 * lim, names=not many_classes(result)
    )
    ax.axhline(0, color="0.5", lw=0.6, zorder=1)
    ax.axvline(0, color="0.5", lw=0.6, zorder=1)
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), aspect="equal")
    return zone, scale


def _legend_handles(result, *, show_test=True, show_open=True, zone=False, rule: str | None = None):
    data, colors = result.data, result_colors(result)
    names = [shown_class_name(name) for name in data.class_names]
    handles = class_legend(result, held_out=False)
    if show_open and data.n_open_classes and many_classes(result):
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="x",
                color=colors[-1],
                mew=2,
                label=_("held-out: {n} classes").format(n=data.n_open_classes),
            )
        )
    elif show_open and data.n_open_classes:
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="x",
                color=colors[-1],
                mew=2,
                label=_("held-out: {names}").format(names=_(", ").join(names[data.n_classes :])),
            )
        )
    handles.append(Line2D([], [], ls="", marker="o", color="0.3", label=_("train"), gid="legend-train"))
    if show_test:
        handles.append(Line2D([], [], ls="", marker="^", color="0.3", mec="black", ms=8, label=_("test")))
    if zone:
        rule = rule or _("target logit below a rival's")
        label = _("margin zone (still penalised):\n{rule} for some j ≠ i").format(rule=rule)
        handles.append(Patch(facecolor="0.78", hatch="///", label=label))
    return handles


def _legend_columns(n: int) -> int:
    return n if n <= 5 else -(-n // 2)  # at most two balanced rows


@styled
def features_figure(result, g: int, *, show_test: bool = True, show_open: bool = True) -> Figure:
    """2-D features of model g: raw, with decision regions and weight arrows; and as directions on the unit circle.

    Left: argmax x·W + b on a grid (softmax: regions need not be rays through the origin; M-/A-softmax: angular
    sectors), the margin zone hatched for a loss with a margin (`decision_grid`). Right: x/‖x‖ (train on r = 1, test
    on r = 1.12, held-out on r = 0.88, so they do not hide each other) with the sectors of the angular rule
    argmax cos θ_j.
    """
    check_trained(result, g)
    if feature_dim(result) != 2:
        raise ValueError("features_figure draws 2-D features; for 3-D results use sphere_figure (or sphere_plotly)")
    fig = new_figure(14, 7.4)
    ax_raw, ax_dir = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    feats = (result.train_features[g], result.test_features[g]) + ((result.open_features[g],) if show_open else ())
    lim = _feature_limit(*feats)
    zone, scale = _raw_panel(ax_raw, result, g, show_test=show_test, show_open=show_open, lim=lim)
    ax_raw.set_title(_("raw features x  (arrows: W_j × {scale})").format(scale=f"{scale:.3g}"))
    ax_raw.set(xlabel=_("feature 1"), ylabel=_("feature 2"))

    _background(ax_dir, result, g, 1.45, angular=True)
    t = np.linspace(0, 2 * np.pi, 361)
    ax_dir.plot(np.cos(t), np.sin(t), color="0.4", lw=1.0, zorder=1)
    rings = {
        "train": (result.train_features[g], 1.0),
        "test": (result.test_features[g], 1.12),
        "open": (result.open_features[g], 0.88),
    }
    _scatter_splits(
        ax_dir,
        result,
        g,
        {k: unit_rows(f) * r for k, (f, r) in rings.items()},
        show_test=show_test,
        show_open=show_open,
    )
    _arrows(
        ax_dir,
        np.asarray(losses.effective_weights(result.weights[g], True)),
        result_colors(result)[: result.data.n_classes],
        0.62,
        names=not many_classes(result),
    )
    ax_dir.set(xlim=(-1.45, 1.45), ylim=(-1.45, 1.45), aspect="equal", xticks=[-1, 0, 1], yticks=[-1, 0, 1])
    rule = (
        _("sectors: nearest W_j by angle (softmax itself also uses ‖W_j‖ and b)")
        if result.specs[g].kind.bias
        else _("sectors: nearest W_j by angle = the model's rule")
    )
    ax_dir.set_title(_("directions x/‖x‖\n{rule}").format(rule=rule))
    ax_dir.set_xlabel(_("drawn on rings: held-out r = 0.88, train r = 1, test r = 1.12"), fontsize=11)
    rec_acc = metrics.accuracy(result.test_features[g], result.weights[g], result.bias[g], result.data.y_test)
    fig.suptitle(
        _("{model}: 2-D features (test accuracy {accuracy})").format(
            model=model_label(result, g), accuracy=f"{rec_acc:.1%}"
        )
    )
    handles = _legend_handles(
        result, show_test=show_test, show_open=show_open, zone=zone, rule=result.specs[g].kind.zone_rule
    )
    fit_legend(fig, handles, loc="outside lower center", ncol=_legend_columns(len(handles)), frameon=False)
    return fig


# ---------------------------------------------------------------------------------------------------- angles


def _angle_hist(ax, result, g, bins, *, legend=True):
    """Positive/negative pair-angle densities (per degree) of the test features, with the criterion lines.

    Returns (metrics.angle_stats, the y-limit used)."""
    feats, y = result.test_features[g], result.data.y_test
    pos, neg = metrics.pair_angles(feats, y)
    st = metrics.angle_stats(feats, y)
    per_degree = np.pi / 180  # density per radian -> per degree
    top = 0.0
    for angles, color, name in ((pos, POSITIVE_COLOR, _("same class")), (neg, NEGATIVE_COLOR, _("different class"))):
        counts, edges = metrics.angle_histogram(angles, bins=bins)
        top = max(top, float(np.max(counts, initial=0)) * per_degree)
        ax.stairs(counts * per_degree, np.degrees(edges), fill=True, color=color, alpha=0.35)
        ax.stairs(counts * per_degree, np.degrees(edges), color=color, lw=2, label=f"{name} ({len(angles)})")
    hi, lo = np.degrees(st["max_intra_angle"]), np.degrees(st["min_inter_angle"])
    p95, p5 = np.degrees(st["p95_intra_angle"]), np.degrees(st["p5_inter_angle"])
    met, robust = st["criterion_met"], st["robust_criterion_met"]
    # The robust version (percentiles) as a light band: one outlier pair decides a max or a min.
    ax.axvspan(min(p95, p5), max(p95, p5), color=GAP_COLOR if robust else OVERLAP_COLOR, alpha=0.13, lw=0)
    ax.axvline(hi, color=POSITIVE_COLOR, lw=2.6, gid="max-intra")
    ax.axvline(lo, color=NEGATIVE_COLOR, lw=2.6, gid="min-inter")
    ax.axvline(p95, color=POSITIVE_COLOR, lw=1.8, ls="--", gid="p95-intra")
    ax.axvline(p5, color=NEGATIVE_COLOR, lw=1.8, ls="--", gid="p5-inter")
    # The paper's criterion itself as a bracket between max intra and min inter: a gap (met) or an overlap.
    ax.annotate(
        "",
        xy=(hi, 0.93),
        xytext=(lo, 0.93),
        xycoords=("data", "axes fraction"),
        arrowprops={"arrowstyle": "<->", "color": GAP_COLOR if met else OVERLAP_COLOR, "lw": 2.2},
    )
    ax.text(
        (hi + lo) / 2,
        0.965,
        _("gap") if met else _("overlap"),
        transform=ax.get_xaxis_transform(),
        ha="center",
        va="bottom",
        color=GAP_COLOR if met else OVERLAP_COLOR,
        fontsize=11,
        fontweight="bold",
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9},
    )
    ax.set_ylim(0, 1.15 * top or 1.0)
    ax.set_xlim(0, 180)
    ax.set_xticks(np.arange(0, 181, 30))
    ax.set_xlabel(_("angle between two test features (degrees)"))
    if legend:  # under the plot, not on it; the criterion's lines are named by style, their numbers are in the title
        fit_legend(
            ax.figure,
            ax.get_legend_handles_labels()[0] + criterion_lines(),
            loc="outside lower center",
            ncol=2,
            frameon=False,
        )
    return st, 1.15 * top or 1.0


def criterion_lines() -> list:
    """Legend entries for the criterion's lines (new ones each time: a legend takes its handles' labels as they are
    when it is made, and these are in the figure's language)."""
    return [
        Line2D([], [], color="0.3", lw=2.6, label=_("strict: max / min")),
        Line2D([], [], color="0.3", lw=1.8, ls="--", label=_("robust: p95 / p5")),
    ]


def criterion_verdict(st: dict, *, short: bool = False) -> str:
    """The paper's criterion in its strict and its robust form, one line each, as the figures and the app say it.

    `short`: the numbers without their names ("strict ✗ 111.0° ≥ 8.6°"), for small panels."""
    hi, lo = np.degrees(st["max_intra_angle"]), np.degrees(st["min_inter_angle"])
    p95, p5 = np.degrees(st["p95_intra_angle"]), np.degrees(st["p5_inter_angle"])
    met, robust = st["criterion_met"], st["robust_criterion_met"]
    marks = {
        "strict": "✓" if met else "✗",
        "robust": "✓" if robust else "✗",
        "cmp": "<" if met else "≥",
        "robust_cmp": "<" if robust else "≥",
        "max": f"{hi:.1f}°",
        "min": f"{lo:.1f}°",
        "p95": f"{p95:.1f}°",
        "p5": f"{p5:.1f}°",
    }
    if short:
        return (
            _("strict {strict} {max} {cmp} {min}").format(**marks)
            + "\n"
            + _("robust {robust} {p95} {robust_cmp} {p5}").format(**marks)
        )
    return (
        _("strict {strict}  max intra {max} {cmp} min inter {min}").format(**marks)
        + "\n"
        + _("robust {robust}  p95 intra {p95} {robust_cmp} p5 inter {p5}").format(**marks)
    )


@styled
def criterion_pairs_figure(result, g: int) -> Figure:
    """Where the strict criterion is decided: the test features as directions, with the same-class pair of largest
    angle (max intra) and the different-class pair of smallest angle (min inter) joined and labelled.

    2-D: on the unit circle; 3-D: on the unit sphere. One such pair decides each side of max intra < min inter.
    """
    check_trained(result, g)
    needs_drawable(result, "criterion_pairs_figure")
    feats, y = result.test_features[g], result.data.y_test
    pairs, st = metrics.deciding_pairs(feats, y), metrics.angle_stats(feats, y)
    colors, unit = result_colors(result), unit_rows(feats)
    three_d = feature_dim(result) == 3
    fig = new_figure(7.0, 6.4)
    ax = fig.add_subplot(projection="3d" if three_d else None)
    if three_d:
        draw_sphere(ax, result, g, feats, y, small=True)
    else:
        t = np.linspace(0, 2 * np.pi, 361)
        ax.plot(np.cos(t), np.sin(t), color="0.6", lw=1.0)
        ax.scatter(*unit.T, c=[colors[c] for c in y], s=28, alpha=0.6, lw=0)
        ax.set(xlim=(-1.35, 1.35), ylim=(-1.35, 1.35), aspect="equal", xticks=[-1, 0, 1], yticks=[-1, 0, 1])
    for name, color, key in (
        (_("max intra {angle}: {a} and {b}"), POSITIVE_COLOR, "max_intra"),
        (_("min inter {angle}: {a} and {b}"), NEGATIVE_COLOR, "min_inter"),
    ):
        if pairs[key] is None:
            continue
        ends = unit[list(pairs[key])]  # (2, D)
        a, b = (shown_class_name(result.data.class_names[y[i]]) for i in pairs[key])
        ax.plot(
            *ends.T,
            color=color,
            lw=3,
            marker="o",
            ms=11,
            mfc="white",
            mew=2.6,
            zorder=10,
            label=name.format(angle=f"{np.degrees(st[f'{key}_angle']):.1f}°", a=a, b=b),
        )
    fit_legend(ax, loc="upper center", bbox_to_anchor=(0.5, -0.02), frameon=False)
    ax.set_title(
        _("{model}: the pairs that decide\n{verdict}").format(
            model=model_label(result, g), verdict=criterion_verdict(st).splitlines()[0]
        )
    )
    return fig


@styled
def angle_histogram_figure(result, g: int, *, bins: int = 36) -> Figure:
    """Angles of same-class vs different-class test pairs (paper Fig. 5, bottom) and the criterion max < min."""
    check_trained(result, g)
    fig = new_figure(9.5, 7.0)
    ax = fig.add_subplot()
    st, _top = _angle_hist(ax, result, g, bins)
    ax.set_ylabel(_("density (per degree)"))
    ax.set_title(
        _("{model}: pair angles on the test set\n{verdict}").format(
            model=model_label(result, g), verdict=criterion_verdict(st)
        )
    )
    return fig


@styled
def target_angle_figure(result, g: int) -> Figure:
    """θ_y, the angle between each test feature and its own class weight W_y, per class (box + points)."""
    check_trained(result, g)
    data, colors = result.data, result_colors(result)
    theta = np.degrees(metrics.target_angles(result.test_features[g], result.weights[g], data.y_test))
    fig = new_figure(min(max(7.0, 1.2 * data.n_classes + 2), 14.0), 5.4)  # many classes: narrower boxes
    ax = fig.add_subplot()
    groups = [theta[data.y_test == j] for j in range(data.n_classes)]
    boxes = ax.boxplot(
        groups,
        positions=range(data.n_classes),
        widths=0.55,
        patch_artist=True,
        showfliers=False,
        medianprops={"color": "black", "lw": 2},
    )
    rng = np.random.default_rng(0)  # jitter only: where a point is drawn across its box
    for j, (box, values) in enumerate(zip(boxes["boxes"], groups)):
        box.set(facecolor=_blend([colors[j]], 0.35)[0], edgecolor=colors[j], lw=2)
        ax.scatter(
            j + rng.uniform(-0.18, 0.18, len(values)),
            values,
            color=colors[j],
            s=6 if many_classes(result) else 16,
            zorder=3,
            alpha=0.85,
        )
    ax.axhline(
        theta.mean(), color="0.3", ls="--", lw=1.5, label=_("mean θ_y = {angle}").format(angle=f"{theta.mean():.1f}°")
    )
    every = -(-data.n_classes // 12)  # at most 12 names under the axis
    ticks = range(0, data.n_classes, every)
    ax.set_xticks(ticks, [shown_class_name(data.class_names[j]) for j in ticks], rotation=30 if len(ticks) > 6 else 0)
    ax.set_ylim(0, max(10.0, float(theta.max()) * 1.1))
    ax.set_ylabel(_("θ_y: angle to own class weight (degrees)"))
    fit_legend(ax, loc="upper right")
    ax.set_title(
        _("{model}: target angles θ_y on the test set\n(smaller = tighter classes)").format(
            model=model_label(result, g)
        )
    )
    return fig


# ---------------------------------------------------------------------------------------------------- comparison


@styled
def compare_figure(result, *, bins: int = 36, rows: str = "both") -> Figure:
    """All models side by side on the same data: features (top; the paper's Fig. 2 in 2-D, Fig. 5 in 3-D) and
    pair-angle histograms (bottom), with shared axes. Diverged models get a panel that says so.

    `rows`: "both" (one picture, for slides), or "features" / "angles" alone: the app draws them as two pictures,
    so that moving the bins slider redraws only the histograms.
    """
    if rows not in ("both", "features", "angles"):
        raise ValueError(f"rows must be 'both', 'features' or 'angles', got {rows!r}")
    if not drawable(result):  # features of more than 3 dimensions cannot be drawn: the angles alone
        if rows == "features":
            needs_drawable(result, "compare_figure's features")
        rows = "angles"
    n, dim = len(result.specs), feature_dim(result)
    show_top, show_bottom = rows != "angles", rows != "features"
    top_ratio = 1.25 if dim == 3 else 1.0
    names = [model_label(result, g).replace(" m=", "\nm=") for g in range(n)]  # "A-softmax\nm=4": two short lines
    longest = {
        "strict": "✗",
        "robust": "✗",
        "cmp": "≥",
        "robust_cmp": "≥",
        "max": "180.0°",
        "min": "180.0°",
        "p95": "180.0°",
        "p5": "180.0°",
    }
    verdict_lines = (
        [
            _("strict {strict} {max} {cmp} {min}").format(**longest),
            _("robust {robust} {p95} {robust_cmp} {p5}").format(**longest),
        ]
        if show_bottom
        else []
    )
    title_texts = [line for name in names for line in name.split("\n")] + verdict_lines
    cols = panel_columns(
        n, blocks=show_top + show_bottom, title_lines=2 + len(verdict_lines), title_chars=max(map(len, title_texts))
    )  # the lines of panels that fit the screen best
    lines = -(-n // cols)
    ratios = ([top_ratio] * lines) * show_top + [1.0] * lines * show_bottom
    fig = new_figure(3.5 * cols + 0.5, 0.9 + 3.65 * sum(ratios))
    grid = fig.add_gridspec(len(ratios), cols, height_ratios=ratios)
    top_cell = lambda g: grid[g // cols, g % cols]  # noqa: E731
    bottom_cell = lambda g: grid[lines * show_top + g // cols, g % cols]  # noqa: E731
    ok = [g for g in range(n) if not result.diverged(g)]
    lim = _feature_limit(*[result.train_features[g] for g in ok]) if dim == 2 and ok else 1.0
    hist_axes, zone_any, ymax = [], False, 0.0
    for g in range(n):
        name = names[g]
        if show_top:
            top = fig.add_subplot(top_cell(g), projection="3d" if dim == 3 and not result.diverged(g) else None)
            if result.diverged(g):
                message_panel(top, name, diverged_message(result, g))
            elif dim == 2:
                zone, _scale = _raw_panel(top, result, g, show_test=False, show_open=False, lim=lim, small=True)
                zone_any |= zone
                top.set_title(name)
                top.tick_params(labelsize=10, labelleft=g % cols == 0)  # same limits: numbers at the left only
            else:
                draw_sphere(top, result, g, result.train_features[g], result.data.y_train, small=True)
                top.set_title(name, pad=0)
        if show_bottom:
            bottom = fig.add_subplot(bottom_cell(g), sharey=hist_axes[0] if hist_axes else None)
            if result.diverged(g):
                message_panel(bottom, "" if show_top else name, _("no angles: diverged"))
                continue
            st, top_y = _angle_hist(bottom, result, g, bins, legend=False)
            verdict = criterion_verdict(st, short=True)
            ymax = max(ymax, top_y)
            bottom.set_title(verdict if show_top else f"{name}\n{verdict}", fontsize=10.5)
            bottom.set_xlabel(_("pair angle (°)"))
            bottom.set_xticks([0, 45, 90, 135, 180])
            bottom.tick_params(labelleft=g % cols == 0)  # shared y-axis: its numbers at the left only
            if g % cols == 0:
                bottom.set_ylabel(_("density (per degree)"))
            hist_axes.append(bottom)
    if hist_axes:
        hist_axes[0].set_ylim(0, ymax)  # shared by all histogram panels
    handles = []
    if show_top:
        handles += [
            h
            for h in _legend_handles(result, show_test=False, show_open=False, zone=zone_any)
            if h.get_gid() != "legend-train"
        ]
    if show_bottom:
        handles += [
            Patch(color=POSITIVE_COLOR, alpha=0.5, label=_("same-class pairs")),
            Patch(color=NEGATIVE_COLOR, alpha=0.5, label=_("different-class pairs")),
        ] + criterion_lines()
    fit_legend(fig, handles, loc="outside lower center", ncol=min(len(handles), 9), frameon=False)
    view = _("training features and weights") if dim == 2 else _("training features on the unit sphere")
    title = {
        "both": _("{view} (top), test pair angles (bottom)").format(view=view),
        "features": view,
        "angles": _("angles between pairs of test features"),
    }[rows]
    fig.suptitle(_("Same data, {n} losses: {title}").format(n=n, title=title))
    return fig
