"""The sphere coloured by decision regions (SphereFace Fig. 3): each direction given to the class the model's rule
picks (argmax_j cos θ_j), and its margin zone, where a sample of that class would still be penalised by the loss's
own rule. Numbers and meshes only; `sphere` (matplotlib) and `plotly_sphere` draw them."""

from __future__ import annotations


import numpy as np
from matplotlib.colors import to_rgb

from sphere_toy.core import losses, margins
from sphere_toy.plots.style import (
    result_colors,
    unit_rows,
)

_WIRE_U, _WIRE_V = np.meshgrid(np.linspace(0, 2 * np.pi, 25), np.linspace(0, np.pi, 13))  # sphere parameters


def _sphere_xyz(u=_WIRE_U, v=_WIRE_V):
    return np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v)


def unit_weights(result, g: int) -> np.ndarray:
    """Class weight directions W_j/‖W_j‖ as (D, C)."""
    return np.asarray(losses.effective_weights(result.weights[g], True))


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
