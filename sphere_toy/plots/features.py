"""2-D features with the decision regions and each loss's margin zone (SphereFace Fig. 2): raw on the left,
normalised onto the unit circle on the right."""

from __future__ import annotations


import numpy as np
from matplotlib import patheffects
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import FancyArrowPatch, Patch

from sphere_toy.core import losses
from sphere_toy.core import margins
from sphere_toy.analysis import metrics
from sphere_toy.data import shown_class_name
from sphere_toy.i18n import _
from sphere_toy.plots.layout import fit_legend, narrow_screen, new_figure, wide_screen, wrap_to_width
from sphere_toy.plots.style import (
    check_trained,
    class_legend,
    feature_dim,
    many_classes,
    model_label,
    result_colors,
    styled,
    unit_rows,
)


GRID = 240  # decision-background resolution (pixels per side)


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


def blend(colors, strength):
    """Class colours mixed with white: light backgrounds that keep the hue."""
    rgb = np.array([[int(c[i : i + 2], 16) / 255 for i in (1, 3, 5)] for c in colors])
    return 1 - strength * (1 - rgb)


def _background(ax, result, g, lim, *, angular):
    colors = result_colors(result)[: result.data.n_classes]
    labels, zone = decision_grid(result, g, lim, angular=angular)
    img = np.where(zone[..., None], blend(colors, 0.42)[labels], blend(colors, 0.2)[labels])
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


def feature_limit(*arrays) -> float:
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


def raw_panel(ax, result, g, *, show_test, show_open, lim, small=False):
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


def legend_handles(result, *, show_test=True, show_open=True, zone=False, rule: str | None = None):
    data, colors = result.data, result_colors(result)
    names = [shown_class_name(name) for name in data.class_names]
    handles = class_legend(result, held_out=False)
    if show_open and data.n_open_classes:  # the held-out classes: counted when many, else named
        held = (
            _("held-out: {n} classes").format(n=data.n_open_classes)
            if many_classes(result)
            else _("held-out: {names}").format(names=_(", ").join(names[data.n_classes :]))
        )
        handles.append(Line2D([], [], ls="", marker="x", color=colors[-1], mew=2, label=held))
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
    wide, narrow = wide_screen(), narrow_screen()  # the legend beside the panels; or (a phone) the panels stacked
    fig = new_figure(6.5, 13) if narrow else new_figure(14, 7.4)
    grid = (
        fig.add_gridspec(1, 3, width_ratios=(1, 1, 1.4)) if wide else fig.add_gridspec(*((2, 1) if narrow else (1, 2)))
    )
    ax_raw, ax_dir = fig.add_subplot(grid[0, 0]), fig.add_subplot(grid[1, 0] if narrow else grid[0, 1])
    feats = (result.train_features[g], result.test_features[g]) + ((result.open_features[g],) if show_open else ())
    lim = feature_limit(*feats)
    zone, scale = raw_panel(ax_raw, result, g, show_test=show_test, show_open=show_open, lim=lim)
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
    title, rings = (
        _("directions x/‖x‖\n{rule}").format(rule=rule),
        _("drawn on rings: held-out r = 0.88, train r = 1, test r = 1.12"),
    )
    if wide:  # height is short: the rule and the rings over the legend, beside the panels
        head, _sep, rule_line = title.partition("\n")
        ax_dir.set_title(head)
        rings = f"{rule_line}\n{rings}"
    else:
        ax_dir.set_title(title)
        ax_dir.set_xlabel(rings, fontsize=11)
    rec_acc = metrics.accuracy(result.test_features[g], result.weights[g], result.bias[g], result.data.y_test)
    fig.suptitle(
        _("{model}: 2-D features (test accuracy {accuracy})").format(
            model=model_label(result, g), accuracy=f"{rec_acc:.1%}"
        )
    )
    handles = legend_handles(
        result, show_test=show_test, show_open=show_open, zone=zone, rule=result.specs[g].kind.zone_rule
    )
    if wide:
        key = fig.add_subplot(grid[0, 2])
        key.axis("off")
        legend = fit_legend(key, handles, ncol=2, loc="center left", frameon=False, borderaxespad=0, title=rings)
        legend.set_alignment("left")
        wrap_to_width(legend.get_title(), 0.45)
        for ax in (ax_raw, ax_dir):  # each panel has about a third of the width
            wrap_to_width(ax.title, 0.3)
            wrap_to_width(ax.xaxis.label, 0.3)
    else:
        ncol = 2 if narrow else _legend_columns(len(handles))
        fit_legend(fig, handles, loc="outside lower center", ncol=ncol, frameon=False)
    return fig
