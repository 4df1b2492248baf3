"""Pair angles (SphereFace Fig. 5, bottom row), the paper's criterion and the pairs that decide it, and target
angles."""

from __future__ import annotations


import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sphere_toy.analysis import metrics
from sphere_toy.data import shown_class_name
from sphere_toy.i18n import _
from sphere_toy.plots.layout import fit_legend, new_figure
from sphere_toy.plots.style import (
    GAP_COLOR,
    NEGATIVE_COLOR,
    OVERLAP_COLOR,
    POSITIVE_COLOR,
    check_trained,
    feature_dim,
    many_classes,
    model_label,
    needs_drawable,
    result_colors,
    styled,
    unit_rows,
)
from sphere_toy.plots.features import blend
from sphere_toy.plots.sphere import draw_sphere


def angle_hist(ax, result, g, bins, *, legend=True):
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
    st, _top = angle_hist(ax, result, g, bins)
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
        box.set(facecolor=blend([colors[j]], 0.35)[0], edgecolor=colors[j], lw=2)
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
