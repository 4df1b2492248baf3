"""3-D features on the unit sphere (the paper's Fig. 5, top row): a static matplotlib view and a rotatable plotly one.

A point x is drawn where its ray meets the unit sphere, x/‖x‖: M-/A-softmax decide by angle alone, so that is all
that matters for the decision. Class weight directions W_j/‖W_j‖ are drawn as lines from the centre.

Both views colour the sphere itself, as the paper's Fig. 3 does: each direction in a light shade of the class it is
given to (argmax_j cos θ_j), a darker one where it lies in the loss's margin zone (`sphere_regions`). The borders are
drawn where they are, not where a grid cell happens to end (`region_mesh`).
"""

from __future__ import annotations

import re

import numpy as np
from matplotlib.colors import to_hex, to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from mpl_toolkits.mplot3d.art3d import Poly3DCollection

from sphere_toy.core import losses
from sphere_toy.core import margins
from sphere_toy.data import shown_class_name
from sphere_toy.i18n import _
from sphere_toy.plots.style import (
    check_trained,
    class_legend,
    feature_dim,
    many_classes,
    model_label,
    new_figure,
    plotly_sizes,
    result_colors,
    styled,
    unit_rows,
)

_WIRE_U, _WIRE_V = np.meshgrid(np.linspace(0, 2 * np.pi, 25), np.linspace(0, np.pi, 13))  # sphere parameters


def _sphere_xyz(u=_WIRE_U, v=_WIRE_V):
    return np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v)


def _check_3d(result, name: str) -> None:
    if feature_dim(result) != 3:
        raise ValueError(f"{name} draws 3-D features on the sphere; for 2-D results use features_figure")


def unit_weights(result, g: int) -> np.ndarray:
    """Class weight directions W_j/‖W_j‖ as (D, C)."""
    return np.asarray(losses.effective_weights(result.weights[g], True))


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


# ---------------------------------------------------------------------------------------------- regions on the sphere

REGION_MESH = 40  # the coloured sphere's grid: 40 polar angles × 80 azimuths, about 4.6° apart
REGION_RADIUS = 0.98  # just inside the points (radius 1), so they sit on it and stay visible
REGION_SHADES = (0.2, 0.42)  # class colour mixed with white: its region, and its margin zone (as the 2-D figure)


def sphere_mesh(n: int = REGION_MESH) -> np.ndarray:
    """A latitude/longitude grid on the unit sphere, (n, 2n, 3): rows are n polar angles from 0 to π (the poles
    included), columns 2n azimuths from 0 to 2π (the seam repeated, so a surface drawn from it closes)."""
    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 2 * n), np.linspace(0, np.pi, n))
    return np.stack(_sphere_xyz(u, v), axis=-1)


def _region_fields(result, g: int, points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """At directions `points` (N, 3): the predicted class, its margin zone, and (N, 2K) fields, one per shade of
    `region_shades`, positive exactly where the point takes that shade (continuous, so a border can be placed
    between two grid points).

    With cos θ_j for unit W_j, s_i = cos θ_i − max_{j≠i} cos θ_j (> 0 in class i's region), and z_i =
    (max_{j≠i} f_j − f_i) / r with f the loss's `margin_logits` for label i at λ = 0 (> 0 where a sample of class i
    is still penalised): the region of i less its zone is min(s_i, −z_i) > 0, its zone min(s_i, z_i) > 0.
    """
    pts = unit_rows(points)  # (N, 3) float64
    cos = pts @ unit_weights(result, g).astype(np.float64)  # (N, K)
    n, k = cos.shape
    labels = np.argmax(cos, axis=1)
    top2 = np.sort(cos, axis=1)[:, -2:]  # the best rival of i is the best class, or the second best for the best
    s = cos - np.where(np.arange(k) == labels[:, None], top2[:, :1], top2[:, 1:])
    spec = result.specs[g]
    z = np.full((n, k), -np.inf)  # no margin: nowhere penalised
    if spec.has_margin:
        args = spec.logit_args()
        r = args["scale"] or 1.0  # the logits' length: s for the scaled losses, ‖x‖ = 1 on the sphere otherwise
        x = pts.astype(np.float32)
        for i in range(k):  # one compiled call per class, the same shapes each time
            f = margins.margin_logits(spec, x, result.weights[g], np.full(n, i)).astype(np.float64)
            own = f[:, i].copy()
            f[:, i] = -np.inf
            z[:, i] = (f.max(axis=1) - own) / r
    zone = z[np.arange(n), labels] > 0
    return labels, zone, np.concatenate([np.minimum(s, -z), np.minimum(s, z)], axis=1)


def regions_at(result, g: int, points) -> tuple[np.ndarray, np.ndarray]:
    """Model g's decision and margin zone at directions `points` (N, 3): (labels (N,), zone (N,) bool).

    labels: argmax_j cos θ_j with unit W_j and no bias, the angular rule (the model's own rule for every loss but
    softmax, which also uses ‖W_j‖ and b). zone: where the target logit of the predicted class i is below the best
    other logit, t(θ_i) < max_{j≠i} cos θ_j (ψ(θ_i) for A-softmax, cos θ_i − m for CosFace, cos(θ_i + m) for
    ArcFace): a sample of class i there is classified correctly yet still penalised. Computed with the loss's own
    `margin_logits` as its registry entry sets it, at λ = 0 (the full margin, not the blend A-softmax starts
    training with); empty for a loss without a margin. As `plots.decision_grid` does in 2-D.
    """
    labels, zone, _fields = _region_fields(result, g, points)
    return labels, zone


def sphere_regions(result, g: int, n: int = REGION_MESH) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Model g's decision regions and margin zone at the vertices of `sphere_mesh(n)`: (xyz (n, 2n, 3), labels
    (n, 2n), zone (n, 2n) bool); see `regions_at`."""
    xyz = sphere_mesh(n)
    labels, zone = regions_at(result, g, xyz.reshape(-1, 3))
    return xyz, labels.reshape(xyz.shape[:2]), zone.reshape(xyz.shape[:2])


def _grid_triangles(rows: int, cols: int) -> np.ndarray:
    """(T, 3) vertex indices of a rows × cols grid of vertices (row-major), two triangles per cell, all turning the
    same way; in the first and last rows of cells, the triangle with two corners at the same pole is left out."""
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols - 1), indexing="ij")
    a, r = (r * cols + c).ravel(), r.ravel()
    b, d = a + 1, a + cols
    return np.concatenate([np.stack([a, d, d + 1], axis=1)[r < rows - 2], np.stack([a, d + 1, b], axis=1)[r > 0]])


def _cut(points: np.ndarray, triangles: np.ndarray, fields: np.ndarray):
    """Split each triangle into pieces of one shade: a point takes the shade c of the largest fields[:, c],
    interpolated linearly inside the triangle (as marching squares does), so a border runs between the grid points
    where its fields cross and not along the grid. Returns (vertices (V, 3), triangles (T, 3), shade (T,)), every
    triangle turning as its grid triangle did; vertices that coincide are merged, so the mesh stays in one piece.
    """
    shade = np.argmax(fields, axis=1)[triangles]  # (T, 3): each corner's shade
    kinds = (shade[:, 0] != shade[:, 1]).astype(int) + (shade[:, 1] != shade[:, 2]) + (shade[:, 0] != shade[:, 2])
    verts, tris, shades = [points], [triangles[kinds == 0]], [shade[kinds == 0, 0]]
    # Two shades c (one corner) and d (two): one straight cut where f_c − f_d = 0. Roll each triangle, keeping its
    # turn, so that its odd corner a comes first; the cut crosses the edges a-b and a-e.
    two = kinds == 2
    odd = np.argmax(
        (shade[two] != np.roll(shade[two], 1, axis=1)) & (shade[two] != np.roll(shade[two], -1, axis=1)), axis=1
    )
    order = (odd[:, None] + np.arange(3)) % 3
    a, b, e = np.take_along_axis(triangles[two], order, axis=1).T
    c, d = shade[two][np.arange(len(a)), odd], shade[two][np.arange(len(a)), (odd + 1) % 3]
    h = [fields[corner, c] - fields[corner, d] for corner in (a, b, e)]  # > 0 on c's side
    with np.errstate(invalid="ignore", divide="ignore"):
        cross = [
            points[a] + np.nan_to_num(h[0] / (h[0] - hv))[:, None] * (points[v] - points[a])
            for hv, v in ((h[1], b), (h[2], e))
        ]
    ab = len(points) + np.arange(len(a))
    ae = ab + len(a)
    verts += cross
    tris += [np.stack(t, axis=1) for t in ((a, ab, ae), (ab, b, e), (ab, e, ae))]
    shades += [c, d, d]
    # Three shades (where borders meet: a few triangles): each shade's piece is the triangle clipped to where its
    # field is the largest of the three (Sutherland-Hodgman), then cut into a fan.
    top = len(points) + 2 * len(a)
    for tri in triangles[kinds == 3]:
        cols = np.argmax(fields[tri], axis=1)  # its corners' three shades
        for mine, col in enumerate(cols):
            poly = list(zip(points[tri], fields[np.ix_(tri, cols)]))  # (corner, its three fields)
            for other in {0, 1, 2} - {mine}:
                clipped = []
                for (p, f), (q, fq) in zip(poly, poly[1:] + poly[:1]):
                    hp, hq = f[mine] - f[other], fq[mine] - fq[other]
                    if hp >= 0:
                        clipped.append((p, f))
                    if (hp >= 0) != (hq >= 0):
                        clipped.append((p + hp / (hp - hq) * (q - p), f + hp / (hp - hq) * (fq - f)))
                poly = clipped
            if len(poly) >= 3:
                verts.append(np.array([p for p, _ in poly]))
                tris.append(
                    np.stack(
                        [np.full(len(poly) - 2, top), top + np.arange(1, len(poly) - 1), top + np.arange(2, len(poly))],
                        axis=1,
                    )
                )
                shades.append(np.full(len(poly) - 2, col))
                top += len(poly)
    verts, tris, shades = np.concatenate(verts), np.concatenate(tris), np.concatenate(shades)
    _unique, first, index = np.unique(np.round(verts, 6), axis=0, return_index=True, return_inverse=True)
    tris = index.reshape(-1)[tris]
    keep = (tris[:, 0] != tris[:, 1]) & (tris[:, 1] != tris[:, 2]) & (tris[:, 0] != tris[:, 2])  # no slivers
    return verts[first], tris[keep], shades[keep]


def region_mesh(result, g: int, n: int = REGION_MESH):
    """The unit sphere as triangles of one shade each (`region_shades`: class i's region, or its margin zone): the
    `sphere_mesh(n)` grid cut along the borders of the regions and zones, placed between grid points by linear
    interpolation of `_region_fields`, so they come out as smooth as the geometry (a border between two classes
    is a great circle) and never as a staircase of grid cells. Returns (vertices (V, 3), triangles (T, 3), shade
    (T,) in 0..2K-1)."""
    xyz = sphere_mesh(n)
    _labels, _zone, fields = _region_fields(result, g, xyz.reshape(-1, 3))
    return _cut(xyz.reshape(-1, 3), _grid_triangles(n, 2 * n), fields)


def region_shades(result) -> np.ndarray:
    """(2K, 3) RGB: the K class colours mixed with white for their regions, then darker for their margin zones; a
    point of class i takes shades[i + K·zone]."""
    rgb = np.array([to_rgb(c) for c in result_colors(result)[: result.data.n_classes]])
    return np.concatenate([1 - s * (1 - rgb) for s in REGION_SHADES])


def _rule_html(rule: str) -> str:
    r"""A registry zone rule in mathtext, "$\psi(\theta_i) < \cos\theta_j$", as plotly text:
    "ψ(θ<sub>i</sub>) &lt; cos θ<sub>j</sub>"."""
    names = {"psi": "ψ", "theta": "θ", "phi": "φ", "lambda": "λ", "cos": "cos ", "sin": "sin "}
    text = rule.replace("$", "").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"\\([A-Za-z]+)\s*", lambda mt: names.get(mt.group(1), mt.group(1) + " "), text)
    return re.sub(r"_\{?(\w)\}?", r"<sub>\1</sub>", text).replace(" - ", " − ")


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


def plotly_unit_sphere():
    """A faint unit sphere for plotly 3-D scenes; coarse, with 3-decimal coordinates, to keep the JSON small."""
    import plotly.graph_objects as go

    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 37), np.linspace(0, np.pi, 19))
    sx, sy, sz = (np.round(a, 3) for a in _sphere_xyz(u, v))
    return go.Surface(
        x=sx,
        y=sy,
        z=sz,
        opacity=0.12,
        showscale=False,
        hoverinfo="skip",
        name=_("unit sphere"),
        colorscale=[[0, "#9aa5b1"], [1, "#9aa5b1"]],
    )


def plotly_regions(result, g: int, n: int = REGION_MESH):
    """The sphere coloured by model g's decision regions and margin zone, for plotly: `region_mesh` as a Mesh3d of
    radius REGION_RADIUS, one flat colour per triangle (its shade's number through a stepped colorscale). No hover
    (it would hide the points'); ambient light only, so the margin zone is the only darker colour."""
    import plotly.graph_objects as go

    verts, tris, shade = region_mesh(result, g, n)
    shades = [to_hex(c) for c in region_shades(result)]
    steps = [[pos, c] for i, c in enumerate(shades) for pos in (i / len(shades), (i + 1) / len(shades))]
    x, y, z = (REGION_RADIUS * verts).T.astype(np.float32)  # float32: half the bytes of the figure's JSON
    i, j, k = tris.T.astype(np.uint16 if len(verts) < 2**16 else np.uint32)
    return go.Mesh3d(
        x=x,
        y=y,
        z=z,
        i=i,
        j=j,
        k=k,
        intensity=shade.astype(np.uint8),
        intensitymode="cell",
        colorscale=steps,
        cmin=-0.5,
        cmax=len(shades) - 0.5,
        showscale=False,
        hoverinfo="skip",
        name=_("decision regions"),
        showlegend=False,
        lighting={"ambient": 1.0, "diffuse": 0.0, "specular": 0.0, "roughness": 1.0, "fresnel": 0.0},
    )


def _regions_caption(result, g: int) -> str:
    """What the sphere's colours mean, in one line (plotly text)."""
    spec = result.specs[g]
    if spec.kind.bias:
        return _("colours: the nearest W<sub>j</sub> by angle (softmax itself also uses ‖W<sub>j</sub>‖ and b)")
    if not spec.has_margin:
        return _("colours: the nearest W<sub>j</sub> by angle; no margin, so no margin zone")
    return _(
        "colours: the nearest W<sub>j</sub> by angle; darker: margin zone, {rule} for some j ≠ i: still penalised"
    ).format(rule=_rule_html(spec.kind.zone_rule))


def sphere_plotly(result, g: int, *, show_open: bool = True, regions: bool = True):
    """Rotatable version of `sphere_figure` (plotly): the sphere coloured by the decision regions and margin zone
    (`plotly_regions`; else a faint see-through sphere), one Scatter3d of markers per class on it, named by class."""
    import plotly.graph_objects as go  # imported here: only the app needs plotly

    check_trained(result, g)
    _check_3d(result, "sphere_plotly")
    data, colors = result.data, result_colors(result)
    traces = [plotly_regions(result, g) if regions else plotly_unit_sphere()]
    groups = [(j, result.train_features[g][data.y_train == j]) for j in range(data.n_classes)]
    if show_open:
        groups += [(j, result.open_features[g][data.y_open == j]) for j in np.unique(data.y_open)]
    if many_classes(result):  # one trace (and legend entry) for all training classes, one for the held-out ones
        splits = [(_("{n} training classes").format(n=data.n_classes), result.train_features[g], data.y_train, False)]
        if show_open and len(data.y_open):
            splits.append(
                (_("{n} held-out classes").format(n=data.n_open_classes), result.open_features[g], data.y_open, True)
            )
        for name, feats, labels, held in splits:
            p = np.round(unit_rows(feats), 3)
            traces.append(
                go.Scatter3d(
                    x=p[:, 0],
                    y=p[:, 1],
                    z=p[:, 2],
                    mode="markers",
                    name=name,
                    marker={
                        "size": 2.5 if held else 3,
                        "color": np.array(colors)[labels],
                        "symbol": "cross" if held else "circle",
                    },
                )
            )
        groups = []
    for j, feats in groups:
        p = np.round(unit_rows(feats), 3)
        held = j >= data.n_classes
        traces.append(
            go.Scatter3d(
                x=p[:, 0],
                y=p[:, 1],
                z=p[:, 2],
                mode="markers",
                name=(
                    _("{name} (held out)").format(name=shown_class_name(data.class_names[j]))
                    if held
                    else shown_class_name(data.class_names[j])
                ),
                legendgroup=str(j),
                marker={
                    "size": 3 if not held else 2.5,
                    "color": colors[j],
                    # WebGL markers are font glyphs: plotly's "x" is an emoji that many
                    # Linux machines lack (drawn as a box); "cross" is a plain "+".
                    "symbol": "cross" if held else "circle",
                },
            )
        )
    height, text = plotly_sizes()
    v = view_direction(result, g)
    for j, w in enumerate(unit_weights(result, g).T):
        tip, label = np.round(1.3 * w, 3), np.round(label_position(w, v), 3)
        traces.append(
            go.Scatter3d(
                x=[0, tip[0], label[0]],
                y=[0, tip[1], label[1]],
                z=[0, tip[2], label[2]],
                mode="lines+text",
                text=["", "", "" if many_classes(result) else f"W{j}"],
                name=f"W{j}",
                legendgroup=str(j),
                showlegend=False,
                line={"color": colors[j], "width": 7},
                textfont={"color": colors[j], "size": round(1.3 * text)},
            )
        )
    axis = {"range": [-1.4, 1.4], "visible": False}  # the sphere is the frame of reference; room for the labels
    up = np.array([0.0, 0.0, 1.0]) if abs(v[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    fig = go.Figure(traces)
    fig.update_layout(
        title={
            "text": _("{model}: training features on the unit sphere (drag to rotate)").format(
                model=model_label(result, g)
            )
            + (f"<br><span style='font-size:{round(text)}px'>{_regions_caption(result, g)}</span>" if regions else ""),
            "font": {"size": round(1.2 * text)},
        },
        # aspectratio 1.7: plotly leaves a wide margin around a unit cube; this makes the sphere fill its panel.
        scene={
            "xaxis": axis,
            "yaxis": axis,
            "zaxis": axis,
            "aspectmode": "manual",
            "aspectratio": {"x": 1.7, "y": 1.7, "z": 1.7},
            "camera": {
                "eye": dict(zip("xyz", np.round(1.5 * v, 3))),
                "up": dict(zip("xyz", up)),
                "projection": {"type": "orthographic"},
            },
        },
        # Each class is its own legend group (its points and its W line): small gaps between them, so that ten
        # classes still fit beside the sphere under the two lines of title when presenting.
        legend={"itemsizing": "constant", "font": {"size": round(text)}, "tracegroupgap": 2},
        font={"size": round(text)},
        margin={"l": 0, "r": 0, "t": round(4.4 * text), "b": 0},
        height=height,
    )
    return fig
