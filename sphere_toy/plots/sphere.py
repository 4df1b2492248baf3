"""3-D features on the unit sphere (the paper's Fig. 5, top row): the static matplotlib view, and the geometry
both views share (where to look from, where a weight's name goes); the rotatable plotly view is `plotly_sphere`.

A point x is drawn where its ray meets the unit sphere, x/‖x‖: M-/A-softmax decide by angle alone, so that is all
that matters for the decision. Class weight directions W_j/‖W_j‖ are drawn as lines from the centre.

Both views colour the sphere itself, as the paper's Fig. 3 does: each direction in a light shade of the class it is
given to (argmax_j cos θ_j), a darker one where it lies in the loss's margin zone (`sphere_regions`). The borders are
drawn where they are, not where a grid cell happens to end (`region_mesh`).
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

from sphere_toy.i18n import _
from sphere_toy.plots.layout import new_figure
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
from sphere_toy.plots.sphere_regions import (
    REGION_MESH,
    REGION_RADIUS,
    REGION_SHADES,
    _sphere_xyz,
    region_mesh,
    region_shades,
    unit_weights,
)


def _check_3d(result, name: str) -> None:
    if feature_dim(result) != 3:
        raise ValueError(f"{name} draws 3-D features on the sphere; for 2-D results use features_figure")


def view_direction(result, g: int) -> np.ndarray:
    """The unit direction to look at the sphere from: the one where the class weights, seen on the screen, are
    furthest apart from each other and from the centre (the largest smallest distance between two of them, or of
    one from the centre), so no weight line or cluster hides another. Chosen among 2000 evenly spread directions;
    the sign faces the weights' side.
    """
    w = unit_weights(result, g).T  # (C, 3)
    v = _CANDIDATES  # (V, 3)
    flat = w[None] - (v @ w.T)[..., None] * v[:, None]  # (V, C, 3): the weights projected on each screen plane
    i, j = np.triu_indices(len(w), 1)
    gaps = np.linalg.norm(flat[:, i] - flat[:, j], axis=-1)  # (V, pairs)
    # ... and none of them pointing at the viewer (its line would shrink to a dot on its own cluster).
    across = np.linalg.norm(flat, axis=-1).min(axis=1)  # (V,)
    score = np.minimum(gaps.min(axis=1), across) if len(i) else across
    best = v[int(np.argmax(score))]
    return best if best @ w.sum(axis=0) >= 0 else -best


def _fibonacci_directions(n: int) -> np.ndarray:
    """n nearly evenly spread unit vectors (a Fibonacci lattice on the sphere), shape (n, 3)."""
    i = np.arange(n) + 0.5
    z, phi = 1 - 2 * i / n, np.pi * (1 + 5**0.5) * i
    r = np.sqrt(1 - z**2)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


_CANDIDATES = _fibonacci_directions(2000)


def label_position(w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Where to write W_j's name when the sphere is seen from direction `v`: past the cluster at w, pushed outwards
    on the screen (along w's component across the line of sight), so the name never sits on its own cluster."""
    across = w - (w @ v) * v
    if np.linalg.norm(across) < 1e-6:  # w points straight at the viewer: any screen direction will do
        across = np.cross(v, [1.0, 0.0, 0.0] if abs(v[0]) < 0.9 else [0.0, 1.0, 0.0])
    return w + 0.45 * across / np.linalg.norm(across)


def draw_sphere(
    ax, result, g: int, feats, labels, *, small: bool = False, weights: bool = True, regions: bool = False
) -> None:
    """Points x/‖x‖ on a faint wireframe sphere in a 3-D matplotlib axes, coloured by label; weight lines.

    `regions`: on an opaque sphere coloured by the model's decision regions and margin zone instead (`draw_regions`),
    seen in orthographic projection; what is behind the sphere is hidden, as on a globe.
    """
    colors = result_colors(result)
    v = view_direction(result, g)
    pts = unit_rows(feats)
    shown = np.ones(len(pts), bool)
    if regions:
        # matplotlib cannot hide part of an artist behind another: what the sphere hides is left out, and the rest
        # is drawn after it. A point is hidden when it is on the far side and inside the sphere's outline.
        ax.computed_zorder = False
        ax.set_proj_type("ortho")
        draw_regions(ax, result, g, zorder=1)
        shown = (pts @ v >= 0) | (np.linalg.norm(pts - np.outer(pts @ v, v), axis=1) > REGION_RADIUS)
    else:
        ax.plot_wireframe(*_sphere_xyz(), color="0.65", lw=0.4, alpha=0.45)
    k = result.data.n_classes
    for label in np.unique(labels):
        p = pts[(labels == label) & shown]
        if len(p):
            ax.scatter(
                *p.T,
                color=colors[label],
                s=(5 if small else 12) * (1.5 if regions else 1),
                alpha=0.85,
                depthshade=not regions,
                marker="o" if label < k else "x",
                linewidths=0 if label < k else 1.0,
                zorder=2,
            )
    if weights:
        for j, w in enumerate(unit_weights(result, g).T):
            start = 0.0
            if regions:  # the part of the line outside the sphere that is not behind it
                across = np.linalg.norm(w - (w @ v) * v)
                start = REGION_RADIUS if w @ v >= 0 else REGION_RADIUS / max(min(across, 1.0), 1e-6)
            if start < 1.3:
                ax.plot(
                    *np.stack([start * w, 1.3 * w], axis=1),
                    color=colors[j],
                    lw=2.5 if small else 3.2,
                    zorder=3,
                    solid_capstyle="butt",
                )
            at = label_position(w, v)
            behind = regions and at @ v < 0 and np.linalg.norm(at - (at @ v) * v) < REGION_RADIUS
            if not small and not behind and not many_classes(result):  # behind: it would point at nothing
                ax.text(
                    *at,
                    f"$W_{{{j}}}$",
                    color=colors[j],
                    fontsize=12,
                    fontweight="bold",
                    ha="center",
                    va="center",
                    zorder=4,
                )
    ax.set(
        xlim=(-1.1, 1.1), ylim=(-1.1, 1.1), zlim=(-1.1, 1.1), xticks=[-1, 0, 1], yticks=[-1, 0, 1], zticks=[-1, 0, 1]
    )
    ax.set_box_aspect((1, 1, 1), zoom=1.25 if small else 1.3 if regions else 0.9)
    if small or regions:  # the sphere itself is the frame of reference
        ax.set_axis_off()
    ax.view_init(
        elev=float(np.degrees(np.arcsin(np.clip(v[2], -1, 1)))), azim=float(np.degrees(np.arctan2(v[1], v[0])))
    )
    ax.tick_params(labelsize=10, pad=0)


def draw_regions(ax, result, g: int, *, n: int = REGION_MESH, zorder: float = 2) -> None:
    """The sphere of radius REGION_RADIUS in a 3-D matplotlib axes, opaque, each triangle of `region_mesh` in its
    shade; unlit, so the margin zone is the only darker colour. Only the half facing the camera is drawn."""
    verts, tris, shade = region_mesh(result, g, n)
    v = view_direction(result, g)
    front = verts[tris].mean(axis=1) @ v > -0.05  # (an orthographic camera sees exactly the near half)
    colors = region_shades(result)[shade[front]]
    ax.add_collection3d(
        Poly3DCollection(
            REGION_RADIUS * verts[tris[front]], facecolors=colors, edgecolors=colors, linewidths=0.3, zorder=zorder
        )
    )


@styled
def sphere_figure(result, g: int, *, show_open: bool = True, regions: bool = True) -> Figure:
    """Training features of model g projected on the unit sphere (held-out classes as grey crosses), for download;
    with `regions`, the sphere coloured by the model's decision regions and margin zone (the paper's Fig. 3; opaque,
    so only the near half's points show), else a see-through sphere with every point (Fig. 5)."""
    check_trained(result, g)
    _check_3d(result, "sphere_figure")
    data, spec = result.data, result.specs[g]
    feats, labels = result.train_features[g], data.y_train
    if show_open and len(data.y_open):
        feats, labels = np.concatenate([feats, result.open_features[g]]), np.concatenate([labels, data.y_open])
    fig = new_figure(8.5, 7.5)
    ax = fig.add_subplot(projection="3d")
    draw_sphere(ax, result, g, feats, labels, regions=regions)
    handles = class_legend(result, marker=True, held_out=show_open)
    handles.append(Line2D([], [], color="0.3", lw=3, label=_("W_j directions")))
    light, dark = (1 - s * (1 - np.array([0.25] * 3)) for s in REGION_SHADES)  # the shades of a grey class
    if regions:
        handles.append(Patch(facecolor=light, edgecolor="0.45", label=_("region of class i:\nnearest $W_i$ by angle")))
    if regions and spec.has_margin:
        handles.append(
            Patch(
                facecolor=dark,
                edgecolor="0.45",
                label=_("margin zone (still\npenalised): {rule}\nfor some j ≠ i").format(rule=spec.kind.zone_rule),
            )
        )
    fig.legend(handles=handles, loc="outside right center", frameon=False)
    title = _("{model}: training features x/‖x‖ on the unit sphere").format(model=model_label(result, g))
    if regions and spec.kind.bias:
        title += "\n" + _("regions by angle (softmax itself also uses ‖W_j‖ and b)")
    ax.set_title(title)
    return fig
