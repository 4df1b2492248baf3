"""Every model of a run side by side: the paper's Fig. 2 (2-D) or Fig. 5 (3-D) on one screen."""

from __future__ import annotations


from matplotlib.figure import Figure
from matplotlib.patches import Patch

from sphere_toy.i18n import _
from sphere_toy.plots.layout import fit_legend, new_figure, panel_columns
from sphere_toy.plots.style import (
    NEGATIVE_COLOR,
    POSITIVE_COLOR,
    diverged_message,
    drawable,
    feature_dim,
    message_panel,
    model_label,
    needs_drawable,
    styled,
)
from sphere_toy.plots.angles import angle_hist, criterion_lines, criterion_verdict
from sphere_toy.plots.features import feature_limit, legend_handles, raw_panel
from sphere_toy.plots.sphere import draw_sphere


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
    lim = feature_limit(*[result.train_features[g] for g in ok]) if dim == 2 and ok else 1.0
    hist_axes, zone_any, ymax = [], False, 0.0
    for g in range(n):
        name = names[g]
        if show_top:
            top = fig.add_subplot(top_cell(g), projection="3d" if dim == 3 and not result.diverged(g) else None)
            if result.diverged(g):
                message_panel(top, name, diverged_message(result, g))
            elif dim == 2:
                zone, _scale = raw_panel(top, result, g, show_test=False, show_open=False, lim=lim, small=True)
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
            st, top_y = angle_hist(bottom, result, g, bins, legend=False)
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
            for h in legend_handles(result, show_test=False, show_open=False, zone=zone_any)
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
