"""The sphere coloured by decision regions and margin zone (`plots3d`): the colours say what each loss says.

Everything is checked against an independent float64 NumPy computation from the weights and the loss's formula
(ψ, cos θ − m, ArcFace's target), not against the code under test.
"""

import io

import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.colors import to_hex, to_rgb
from PIL import Image

from sphere_toy.core import losses
from sphere_toy.plots import sphere as plots3d
from sphere_toy.plots import plotly_sphere as plots_plotly
from sphere_toy.plots import sphere_regions as regions
from sphere_toy.core.margins import ModelSpec

from conftest import BLOBS, FAMILY
from sphere_toy.plots.layout import figure_png
from sphere_toy.plots.style import result_colors

SPECS = [ModelSpec(*args) for args in FAMILY]  # the shared 3-D family run (conftest.py): 3 blobs + 2 held out
K = BLOBS["n_classes"]
MARGIN = [g for g, spec in enumerate(SPECS) if spec.has_margin]


@pytest.fixture(scope="module")
def run(family_runs):
    result = family_runs[3]
    assert result.specs == tuple(SPECS) and not any(result.diverged(g) for g in range(len(SPECS)))
    return result


def _cosines(result, g, points):
    """(N, K) cos θ_j of unit directions with the unit class weights, in float64."""
    w = np.asarray(result.weights[g], np.float64)
    w = w / np.linalg.norm(w, axis=0)
    x = np.asarray(points, np.float64).reshape(-1, 3)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)) @ w


def _reference(result, g, points):
    """(labels, zone) from the loss's formula: the nearest class i by angle, and whether its target logit is below
    the best other cosine (per unit scale: the scale s multiplies both sides)."""
    cos = _cosines(result, g, points)
    labels = np.argmax(cos, axis=1)
    own = cos[np.arange(len(cos)), labels]
    rival = np.where(np.arange(K) == labels[:, None], -np.inf, cos).max(axis=1)
    spec = result.specs[g]
    if spec.loss == "asoftmax":
        target = np.asarray(losses.psi(np.arccos(np.clip(own, -1, 1)), int(spec.margin)), np.float64)
    elif spec.loss == "cosface":
        target = own - spec.margin
    elif spec.loss == "arcface":
        target = np.asarray(losses.arcface_target(own, spec.margin), np.float64)
    else:
        target = own
    return labels, target < rival


def _fibonacci(n):
    i = np.arange(n) + 0.5
    z, phi = 1 - 2 * i / n, np.pi * (1 + 5**0.5) * i
    r = np.sqrt(1 - z**2)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


@pytest.mark.parametrize("g", range(len(SPECS)))
def test_each_vertex_has_the_class_of_the_nearest_weight_by_angle(run, g):
    xyz, labels, zone = regions.sphere_regions(run, g, n=30)
    assert xyz.shape == (30, 60, 3) and labels.shape == zone.shape == (30, 60)
    np.testing.assert_allclose(np.linalg.norm(xyz, axis=-1), 1, atol=1e-12)
    cos = np.sort(_cosines(run, g, xyz), axis=1)
    expected = np.argmax(_cosines(run, g, xyz), axis=1)
    tie = cos[:, -1] - cos[:, -2] < 1e-6  # float32 weights: a vertex on a border may go either way
    assert np.all((labels.ravel() == expected) | tie) and tie.mean() < 0.01
    # Each weight's own direction is in its own class's region.
    w = np.asarray(run.weights[g], np.float64).T
    assert list(regions.regions_at(run, g, w)[0]) == list(range(K))


def test_the_zone_is_empty_without_a_margin_and_partial_with_one(run):
    for g, spec in enumerate(SPECS):
        _, _, zone = regions.sphere_regions(run, g)
        if spec.has_margin:
            assert 0.02 < zone.mean() < 0.98, (spec.name, zone.mean())
        else:
            assert not zone.any(), spec.name
    # A weight's own direction is never in its zone: θ_i = 0 earns the largest target logit.
    for g in MARGIN:
        assert not regions.regions_at(run, g, np.asarray(run.weights[g]).T)[1].any()


@pytest.mark.parametrize("g", MARGIN)
def test_the_zone_is_the_losses_own_rule(run, g):
    xyz, labels, zone = regions.sphere_regions(run, g)
    ref_labels, ref_zone = _reference(run, g, xyz)
    assert np.mean(labels.ravel() == ref_labels) >= 0.99
    assert np.mean(zone.ravel() == ref_zone) >= 0.99, SPECS[g].name
    assert ref_zone.any() and (~ref_zone).any()


@pytest.mark.parametrize("g", range(len(SPECS)))
def test_the_drawn_mesh_has_each_shade_where_the_rule_puts_it(run, g):
    """The triangles of `region_mesh` (cut along the borders) cover the sphere once, and each shade covers the same
    share of it as the rule gives a dense set of evenly spread directions."""
    verts, tris, shade = regions.region_mesh(run, g)
    assert shade.min() >= 0 and shade.max() < 2 * K
    np.testing.assert_allclose(np.linalg.norm(verts, axis=1), 1, atol=0.01)  # on (chords of) the unit sphere
    corners = verts[tris]  # (T, 3, 3)
    area = 0.5 * np.linalg.norm(np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), axis=1)
    outward = np.einsum(
        "ij,ij->i", np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0]), corners.mean(axis=1)
    )
    assert (outward[area > 1e-9] > 0).all() or (outward[area > 1e-9] < 0).all()  # all turn the same way
    # The uncut grid is a polyhedron a little inside the sphere: the pieces add up to it, with no hole or overlap.
    grid = regions.sphere_mesh().reshape(-1, 3)[regions._grid_triangles(regions.REGION_MESH, 2 * regions.REGION_MESH)]
    whole = 0.5 * np.linalg.norm(np.cross(grid[:, 1] - grid[:, 0], grid[:, 2] - grid[:, 0]), axis=1).sum()
    assert area.sum() == pytest.approx(whole, rel=1e-7)
    assert whole == pytest.approx(4 * np.pi, rel=0.01)
    points = _fibonacci(20_000)
    labels, zone = _reference(run, g, points)
    expected = np.bincount(labels + K * zone, minlength=2 * K) / len(points)
    drawn = np.bincount(shade, weights=area, minlength=2 * K) / area.sum()
    # Exact borders agree to < 0.001 here; a shade on the wrong side of a cut, or a staircase along grid cells,
    # is off by 0.002 or more.
    np.testing.assert_allclose(drawn, expected, atol=0.0015)


@pytest.mark.parametrize("g", range(len(SPECS)))
def test_plotly_draws_the_regions_under_the_points(run, g):
    fig = plots_plotly.sphere_plotly(run, g)
    meshes = [t for t in fig.data if t.type == "mesh3d"]
    points = [t for t in fig.data if t.type == "scatter3d" and t.mode == "markers"]
    assert len(meshes) == 1 and fig.data[0].type == "mesh3d"  # first: the points are drawn over it
    mesh = meshes[0]
    assert mesh.hoverinfo == "skip" and mesh.intensitymode == "cell" and mesh.showscale is False
    radius = np.linalg.norm(np.stack([mesh.x, mesh.y, mesh.z], axis=1), axis=1)
    assert radius.max() <= regions.REGION_RADIUS + 1e-6 and radius.min() > 0.95  # just inside the points
    assert len(mesh.intensity) == len(mesh.i) == len(mesh.j) == len(mesh.k)
    # The stepped colorscale gives shade c (at (c − cmin) / (cmax − cmin)) its colour: light for the regions,
    # darker for the zones.
    shades = regions.region_shades(run)
    for c in np.unique(mesh.intensity):
        pos = (c - mesh.cmin) / (mesh.cmax - mesh.cmin)
        (lo, color), (hi, same) = mesh.colorscale[2 * c], mesh.colorscale[2 * c + 1]
        assert lo < pos < hi and color == same == to_hex(shades[c])
    colors = result_colors(run)
    for j in range(K):
        base = np.array(to_rgb(colors[j]))
        assert shades[j].sum() > shades[K + j].sum() > base.sum()  # region lighter than zone, both lighter than class
    # The points are still there, one trace per class, on the unit sphere.
    held_out = [f"{name} (held out)" for name in run.data.class_names[K:]]
    assert [t.name for t in points] == list(run.data.class_names[:K]) + held_out
    for j, trace in enumerate(points[:K]):
        assert len(trace.x) == np.sum(run.data.y_train == j)
        np.testing.assert_allclose(np.linalg.norm(np.stack([trace.x, trace.y, trace.z], 1), axis=1), 1, atol=3e-3)
    title = fig.layout.title.text
    if SPECS[g].has_margin:
        assert "margin zone" in title and "still penalised" in title
        assert {
            "asoftmax": "ψ(θ<sub>i</sub>) &lt; cos θ<sub>j</sub>",
            "cosface": "cos θ<sub>i</sub> − m &lt;",
            "arcface": "θ<sub>i</sub> + m &gt; θ<sub>j</sub>",
        }[SPECS[g].loss] in title
    else:
        assert "no margin zone" in title
    assert len(fig.to_json()) < 400_000


@pytest.mark.parametrize("g", [0, 3])  # M-softmax (no zone) and CosFace (region and zone both wide)
def test_the_static_figure_shows_both_shades(run, g):
    fig = plots3d.sphere_figure(run, g)
    ax = fig.axes[0]
    surfaces = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(surfaces) == 1
    legend = " | ".join(t.get_text() for t in fig.legends[0].get_texts())
    assert ("margin zone" in legend) == SPECS[g].has_margin
    if SPECS[g].has_margin:
        assert SPECS[g].kind.zone_rule in legend
    img = np.asarray(Image.open(io.BytesIO(figure_png(fig, dpi=60))).convert("RGB")).reshape(-1, 3) / 255
    shades = regions.region_shades(run)

    def share(color):
        return np.mean(np.abs(img - color).max(axis=1) < 3 / 255)

    light = sum(share(shades[j]) for j in range(K))
    dark = sum(share(shades[K + j]) for j in range(K))
    assert light > 0.02  # the regions are painted, in their own colours
    assert (dark > 0.02) == SPECS[g].has_margin


def test_regions_can_be_switched_off_for_the_see_through_sphere(run):
    g = MARGIN[0]
    chart = plots_plotly.sphere_plotly(run, g, regions=False)
    assert not any(t.type == "mesh3d" for t in chart.data) and chart.data[0].type == "surface"
    assert chart.data[0].opacity < 0.5  # every point shows, the far side's too
    assert "margin zone" not in chart.layout.title.text
    fig = plots3d.sphere_figure(run, g, regions=False)
    assert "margin zone" not in " ".join(t.get_text() for t in fig.legends[0].get_texts())
