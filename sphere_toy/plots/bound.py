"""How large must m be? SphereFace's lower bound on m (Sec. 3.4, Properties 2 and 3) as a figure a class can read.

Left: the geometry for one m, in the plane of two unit weights W1, W2 that are θ12 apart: the arc each class is
allowed (m·θ1 < θ2 for class 1), the margin between them, and the two angles the paper compares, the largest angle
within class 1's arc and the smallest angle between the two arcs, each marked with its value. Right: those two
angles against m, as fractions of θ12, for two classes (Eq. 8) and for many classes evenly spread (Eq. 10, which two
opposite weights also follow); they cross at 2 + √3 and at 3. With a training check (`mbound.check`), a table under
the curves, on the same m axis: how many seeds met the criterion, and how many test features stayed in their arcs.

Every number comes from `sphere_toy.analysis.mbound`; this module only draws. Each text is one message with named
`str.format` fields, translated when the figure is built (`_`, in the figure language: see `plots.style`).
"""

from __future__ import annotations

import math

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle, Wedge

from sphere_toy.analysis import mbound
from sphere_toy.i18n import _
from sphere_toy.plots.layout import fit_legend, narrow_screen, new_figure, plotly_sizes, wrap_to_width
from sphere_toy.plots.style import NEGATIVE_COLOR, POSITIVE_COLOR, class_colors, styled

MANY_COLOR = "#7f3b08"  # the many-class max intra curve (brown): not a class colour, not the two-class curve's
HOLDS_COLOR = "#e5f5e0"  # where the criterion holds whatever θ12 is
CELL_COLOR = "#2ca02c"  # the table's cells, darker the more seeds met the criterion
M_LIM = (0.5, 6.6)  # the m axis: room for the table's first column, and past the registry's largest m (6)
SHORT_LINES = 30  # a place fewer lines of text tall than this gets the legend on the right
Y_MAX = 1.5  # the curves' axis, as a fraction of θ12 (the two-class max intra leaves it near m = 1.9)


def _deg(x: float, digits: int = 1) -> str:
    return "{value:.{digits}f}°".format(value=math.degrees(x), digits=digits)


def _point(angle_deg: float, radius: float) -> tuple[float, float]:
    a = math.radians(angle_deg)
    return radius * math.cos(a), radius * math.sin(a)


def _arc(ax, lo_deg: float, hi_deg: float, radius: float, color: str, *, lw: float, ticks: bool, gid: str) -> None:
    """An arc of the circle of `radius` from lo to hi degrees (counter-clockwise); with `ticks`, radial end ticks
    as on a dimension line."""
    t = np.radians(np.linspace(lo_deg, hi_deg, 200))
    ax.plot(radius * np.cos(t), radius * np.sin(t), color=color, lw=lw, solid_capstyle="butt", gid=gid)
    if ticks:
        for a in (lo_deg, hi_deg):
            ax.plot(*zip(_point(a, radius - 0.06), _point(a, radius + 0.06)), color=color, lw=lw)


def _label(ax, angle_deg: float, radius: float, text: str, color: str, gid: str) -> None:
    """Bold text just outside the circle of `radius` at `angle_deg`, aligned away from the centre."""
    x, y = _point(angle_deg, radius)
    ha = "left" if x > 0.3 else "right" if x < -0.3 else "center"
    va = "bottom" if y > 0.3 else "top" if y < -0.3 else "center"
    ax.text(
        x,
        y,
        text,
        ha=ha,
        va=va,
        color=color,
        fontsize=12,
        fontweight="bold",
        gid=gid,
        zorder=8,
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9},
    )


def _geometry(ax, m: float, theta12: float) -> tuple[float, float]:
    """Panel (a): each class's allowed arc on the unit circle for this m and θ12 (radians), W1 on the left and W2 on
    the right of the bisector (up). Returns (max intra, min inter) in radians, as drawn and labelled."""
    near, far = (math.degrees(float(v)) for v in mbound.class_reach(m, theta12))
    intra, inter = (float(v) for v in mbound.two_class_angles(m, theta12))
    half = math.degrees(theta12) / 2
    ws = (90 + half, 90 - half)  # the directions of W1 and W2 (degrees)
    arcs = ((ws[0] - near, ws[0] + far), (ws[1] - far, ws[1] + near))  # counter-clockwise (lo, hi) of each class
    colors = class_colors(2)
    t = np.linspace(0, 2 * np.pi, 361)
    ax.plot(np.cos(t), np.sin(t), color="0.7", lw=1.2, ls=(0, (4, 3)), zorder=1)
    for j in range(2):
        ax.add_patch(Wedge((0, 0), 1.0, *arcs[j], fc=colors[j], alpha=0.22, ec="none", zorder=1))
        _arc(ax, *arcs[j], 1.0, colors[j], lw=6, ticks=False, gid="class-{j}-arc".format(j=j + 1))
        ax.annotate(
            "",
            xy=_point(ws[j], 0.93),
            xytext=(0, 0),
            zorder=4,
            arrowprops={"arrowstyle": "-|>,head_width=0.3,head_length=0.6", "color": colors[j], "lw": 2.6},
        )
        side = 1 if j == 0 else -1  # each weight's name on its outer side, away from the other weight
        x, y = _point(ws[j] + side * 14, 0.72)
        ax.text(
            x,
            y,
            "W₁" if j == 0 else "W₂",
            color=colors[j],
            fontsize=15,
            fontweight="bold",
            ha="center",
            va="center",
            zorder=5,
        )
    _arc(ax, ws[1], ws[0], 0.24, "0.35", lw=1.6, ticks=False, gid="theta12-arc")
    ax.text(
        0,
        -0.06,
        "θ₁₂ = {angle}".format(angle=_deg(theta12, 0)),
        ha="center",
        va="top",
        fontsize=12,
        color="0.2",
        zorder=5,
    )
    # The two angles of the criterion: class 1's whole arc, and the gap between the arcs on the side they face.
    _arc(ax, *arcs[0], 1.16, POSITIVE_COLOR, lw=3, ticks=True, gid="max-intra-arc")
    _label(
        ax,
        max(sum(arcs[0]) / 2, 135.0),
        1.25,
        _("max intra\n{angle}").format(angle=_deg(intra)),
        POSITIVE_COLOR,
        "max-intra-label",
    )
    if inter > 0:  # m = 1 leaves no gap
        _arc(ax, arcs[1][1], arcs[0][0], 1.16, NEGATIVE_COLOR, lw=3, ticks=True, gid="min-inter-arc")
    _label(ax, 90, 1.25, _("min inter\n{angle}").format(angle=_deg(inter)), NEGATIVE_COLOR, "min-inter-label")
    ax.text(
        0,
        -0.5,
        _("margin: no class") if inter > 0 else _("no margin:\nthe arcs touch"),
        ha="center",
        va="top",
        fontsize=11,
        color="0.4",
    )
    low = min(-1.05, 1.16 * min(math.sin(math.radians(a)) for a in np.linspace(*arcs[0], 50)) - 0.15)
    ax.set(xlim=(-1.75, 1.75), ylim=(low, 1.9), aspect="equal", anchor="N")
    ax.set_axis_off()
    title = (
        _("m = {m}, θ₁₂ = {angle}: the criterion holds")
        if intra < inter
        else _("m = {m}, θ₁₂ = {angle}: the criterion fails")
    )
    ax.set_title(title.format(m="{:g}".format(m), angle=_deg(theta12, 0)))
    return intra, inter


def _curves(ax, m: float, theta12: float) -> list:
    """Panel (b): max intra and min inter as fractions of θ12 against m: two classes on the paper's branch (Eq. 8,
    θ12 <= (√3 − 1)π, its worst case), many classes evenly spread (Eq. 10); their crossings marked. Returns the
    legend's handles."""
    ms = np.linspace(1.0, M_LIM[1], 800)
    many_intra, inter = mbound.many_class_angles(ms, 1.0)  # fractions of the angle between neighbours
    # Two classes at a small θ12: on Eq. 8's branch wherever the curve is on the axis, 2m/(m²−1) as for any
    # θ12 <= (√3 − 1)π (a θ12 above that has its own curve, between this one and the many-class one).
    small = 0.01
    two_intra = mbound.two_class_angles(ms, small)[0] / small
    ax.axvspan(mbound.TWO_CLASS_BOUND, M_LIM[1], color=HOLDS_COLOR, zorder=0)
    ax.plot(ms, inter, color=NEGATIVE_COLOR, lw=3.2, zorder=3, gid="min-inter-curve")
    ax.plot(ms, np.minimum(two_intra, 2 * Y_MAX), color=POSITIVE_COLOR, lw=3.2, zorder=3, gid="two-class-intra-curve")
    ax.plot(ms, many_intra, color=MANY_COLOR, lw=2.6, ls="--", zorder=3, gid="many-class-intra-curve")
    for bound, color, gid in (
        (mbound.TWO_CLASS_BOUND, POSITIVE_COLOR, "two-class-crossing"),
        (mbound.MANY_CLASS_BOUND, MANY_COLOR, "many-class-crossing"),
    ):
        ax.axvline(bound, color=color, lw=1.5, ls=":", zorder=2)
        ax.plot(
            [bound],
            [float(mbound.many_class_angles(bound, 1.0)[1])],
            "o",
            ms=12,
            mfc="white",
            mec=color,
            mew=2.8,
            zorder=6,
            gid=gid,
        )
    top = ax.secondary_xaxis("top")
    top.set_xticks([mbound.MANY_CLASS_BOUND, mbound.TWO_CLASS_BOUND], ["3", "2 + √3"])
    for label, color, ha in zip(top.get_xticklabels(), (MANY_COLOR, POSITIVE_COLOR), ("right", "left")):
        label.set(color=color, fontweight="bold", fontsize=12, ha=ha)
    intra_here, inter_here = (float(v) / theta12 for v in mbound.two_class_angles(m, theta12))
    if min(intra_here, inter_here) < Y_MAX:  # the left panel's pair, on this axis
        ax.plot([m, m], [min(intra_here, Y_MAX), inter_here], color="0.3", lw=1.2, zorder=4)
        ax.plot([m], [inter_here], "o", ms=10, color=NEGATIVE_COLOR, zorder=7, gid="this-m")
        if intra_here < Y_MAX:
            ax.plot([m], [intra_here], "o", ms=10, color=POSITIVE_COLOR, zorder=7, gid="this-m")
    ax.set(xlim=M_LIM, ylim=(0, Y_MAX), xticks=range(1, 7), ylabel=_("angle / θ₁₂"))
    ax.spines["left"].set_bounds(0, Y_MAX)
    ax.set_title(_("The two angles against m"), fontsize=13)
    ax.grid(axis="y", color="0.9", lw=0.8)
    return [
        Line2D([], [], color=NEGATIVE_COLOR, lw=3.2, label=_("min inter: (m−1)/(m+1)")),
        Line2D([], [], color=POSITIVE_COLOR, lw=3.2, label=_("max intra, two classes: 2m/(m²−1)")),
        Line2D([], [], color=MANY_COLOR, lw=2.6, ls="--", label=_("max intra, many classes: 2/(m+1)")),
        Patch(color=HOLDS_COLOR, label=_("m > 2 + √3: holds for any θ₁₂")),
        Line2D([], [], ls="", marker="o", ms=10, color="0.3", label=_("the left panel's m and θ₁₂")),
    ]


def _table(ax, checks) -> None:
    """Panel (c): the training check on the curves' m axis: seeds meeting the criterion (strict and robust on the
    test features, strict on the training features), the test features inside their class's arc, the learned θ12."""
    rows = (
        (_("max < min, test"), "strict"),
        (_("p95 < p5, test"), "robust"),
        (_("max < min, train"), "train_strict"),
        (_("test in their arc"), "inside"),
        (_("learned θ₁₂"), "theta12"),
    )
    for i, (_name, field) in enumerate(rows):
        y = len(rows) - 1 - i
        for c in checks:
            text, share = _cell(c, field)
            ax.add_patch(
                Rectangle(
                    (c.m - 0.43, y - 0.42),
                    0.86,
                    0.84,
                    facecolor=CELL_COLOR,
                    edgecolor="0.6",
                    lw=0.8,
                    alpha=0.0 if share is None else 0.1 + 0.7 * share,
                )
            )
            ax.text(c.m, y, text, ha="center", va="center", fontsize=12, fontweight="bold", gid="check-cell")
    ax.set(
        xlim=M_LIM,
        ylim=(-0.5, len(rows) - 0.5),
        xticks=range(1, 7),
        yticks=range(len(rows)),
        yticklabels=[r[0] for r in reversed(rows)],
        xlabel="m",
    )
    for bound, color in ((mbound.TWO_CLASS_BOUND, POSITIVE_COLOR), (mbound.MANY_CLASS_BOUND, MANY_COLOR)):
        ax.axvline(bound, color=color, lw=1.5, ls=":")
    ax.spines[["left", "bottom"]].set_visible(False)
    ax.tick_params(length=0)
    ax.set_title(_("Trained on two blobs, 2-D features: seeds meeting the criterion"), fontsize=12)


def _cell(c, field: str) -> tuple[str, float | None]:
    """One cell of the table: its text and how far to shade it (the share of seeds or features; None: no shade)."""
    if not c.n:
        return "–", None
    if field == "inside":
        share = float(np.mean(c.inside))
        return "{:.0%}".format(share), share
    if field == "theta12":
        return "{:.0f}°".format(math.degrees(c.mean_theta12)), None
    k = getattr(c, field)
    return "{k}/{n}".format(k=k, n=c.n), k / c.n


@styled
def bound_figure(m: float = 4, theta12_deg: float = 90.0, checks=None) -> Figure:
    """Left: the allowed arcs for this m and θ12 (degrees) with the max intra- and min inter-class angles marked.
    Right: both against m, crossing at 2 + √3 (two classes) and 3 (many classes); with `checks` (`mbound.check`)
    a table underneath, on the same m axis, of what training did. m >= 1 (any real), 0 < θ12 <= 180."""
    theta12 = math.radians(theta12_deg)
    mbound.class_reach(m, theta12)  # raises for an m or θ12 outside the geometry
    checks = tuple(checks) if checks else ()
    height_px, text_px = plotly_sizes()  # the place's height and text size (natural size: 600 and 14 px)
    short = height_px / text_px < SHORT_LINES  # a short place (projected, 430 px): legend on the right, no suptitle
    if narrow_screen():  # a phone: the circle, the curves and the table one under another, the legend last
        return _bound_stacked(m, theta12, checks)
    fig = new_figure(10.5, 7.6 if checks else 5.4)
    grid = fig.add_gridspec(
        2 if checks else 1, 2, width_ratios=(1.0, 1.3), height_ratios=(2.3, 1.6) if checks else None
    )
    cells = (grid[0, 0] if checks and not short else grid[:, 0], grid[0, 1], grid[1, 1] if checks else None)
    ax_geometry, handles = _panels(fig, cells, m, theta12, checks)
    if short:  # its title, at reading size, would run into the curves' beside it; the legend on the right
        wrap_to_width(ax_geometry.title, 0.3)
        fit_legend(fig, handles, loc="outside right upper", ncol=1, frameon=False)
    elif checks:  # under the circle, beside the table
        ax_legend = fig.add_subplot(grid[1, 0])
        ax_legend.set_axis_off()
        fit_legend(ax_legend, handles, loc="center", ncol=1, frameon=False)
    else:
        fit_legend(fig, handles, loc="outside lower center", ncol=3, frameon=False)
    if not short:
        fig.suptitle(_("How large must m be? (SphereFace, Sec. 3.4)"))
    return fig


def _bound_stacked(m: float, theta12: float, checks: tuple) -> Figure:
    """`bound_figure` for a narrow place (a phone): the same panels in one column, the legend under them."""
    fig = new_figure(6.5, 13.0 if checks else 10.0)
    grid = fig.add_gridspec(3 if checks else 2, 1, height_ratios=(1.2, 1.3, 1.0) if checks else (1.0, 1.2))
    _ax, handles = _panels(fig, (grid[0, 0], grid[1, 0], grid[2, 0] if checks else None), m, theta12, checks)
    for handle in handles:  # the circle is above the curves here, not to their left
        if handle.get_label() == _("the left panel's m and θ₁₂"):
            handle.set_label(_("the upper panel's m and θ₁₂"))
    fit_legend(fig, handles, loc="outside lower center", ncol=1, frameon=False)
    fig.suptitle(_("How large must m be? (SphereFace, Sec. 3.4)"))
    return fig


def _panels(fig: Figure, cells, m: float, theta12: float, checks: tuple):
    """The circle, the curves and (with `checks`) the table under them, into the grid `cells` (circle, curves,
    table); returns the circle's axes and the legend's handles (the arcs, then the curves')."""
    ax_geometry = fig.add_subplot(cells[0])
    _geometry(ax_geometry, m, theta12)
    ax_m = fig.add_subplot(cells[1])
    handles = _curves(ax_m, m, theta12)
    if checks:
        _table(fig.add_subplot(cells[2], sharex=ax_m), checks)
        ax_m.tick_params(labelbottom=False)
    else:
        ax_m.set_xlabel("m")
    colors = class_colors(2)
    arcs = [
        Patch(color=colors[0], alpha=0.6, label=_("class 1's arc: m·θ₁ < θ₂")),
        Patch(color=colors[1], alpha=0.6, label=_("class 2's arc: m·θ₂ < θ₁")),
    ]
    return ax_geometry, arcs + handles
