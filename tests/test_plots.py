"""Figures: every builder returns what it promises, draws what the model computes, and refuses diverged models."""

import dataclasses
import io

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure
from numpy.polynomial.chebyshev import cheb2poly
from PIL import Image

from sphere_toy import plots
from sphere_toy.analysis import evaluate
from sphere_toy.analysis import metrics
from sphere_toy.data import DataConfig, load
from sphere_toy.plots.slides import write_figures
from sphere_toy.core.margins import model_grid
from sphere_toy.train import TrainConfig, train_grid

from conftest import BLOBS

DATA = DataConfig(**BLOBS)
K, H = 3, 2  # the shared runs r2 and r3 (conftest.py): softmax, M-softmax, A-softmax m=4 on 3 blobs + 2 held out


def _diverged(result, g=2, step=7):
    nan_step = result.nan_step.copy()
    nan_step[g] = step
    return dataclasses.replace(result, nan_step=nan_step)


def _texts(fig):
    """Every string drawn in the figure: titles, labels, legends, annotations."""
    return " | ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


# ---------------------------------------------------------------------------------------------- colours, ψ, T_m


def test_class_colors_are_fixed_tab10_then_greys():
    colors = plots.class_colors(4, 3)
    tab10 = [matplotlib.colors.to_hex(c) for c in matplotlib.colormaps["tab10"].colors]
    assert colors[:4] == tab10[:4] and plots.class_colors(4, 0) == colors[:4]
    for c in colors[4:]:
        r, g, b = matplotlib.colors.to_rgb(c)
        assert r == g == b  # held-out classes are grey
    assert len(set(plots.class_colors(10, 0))) == 10 and len(set(colors)) == 7
    assert all(matplotlib.colors.to_rgb(c) != (0.5, 0.5, 0.5) for c in plots.class_colors(10, 0))  # no grey class


@pytest.mark.parametrize("m", range(1, 9))
def test_chebyshev_coefficients_are_cos_m_theta(m):
    coef = cheb2poly([0] * m + [1])
    theta = np.linspace(0, np.pi, 101)
    np.testing.assert_allclose(np.polynomial.polynomial.polyval(np.cos(theta), coef), np.cos(m * theta), atol=1e-9)
    latex = plots.chebyshev_latex(m)
    for p, c in enumerate(np.rint(coef).astype(int)):  # every non-zero term is written, with its sign
        term = f"{abs(c) if abs(c) != 1 or p == 0 else ''}" + (
            "" if p == 0 else r"\cos\theta" if p == 1 else f"\\cos^{p}\\theta"
        )
        if c and p < m:
            assert f"{'-' if c < 0 else '+'} {term}" in latex
        elif p == m:
            assert latex.split(" = ")[1].startswith(term + " ") or m == 1


def test_chebyshev_latex_by_hand():
    assert plots.chebyshev_latex(1) == r"\cos\theta = \cos\theta"
    assert plots.chebyshev_latex(2) == r"\cos 2\theta = 2\cos^2\theta - 1"
    assert plots.chebyshev_latex(3) == r"\cos 3\theta = 4\cos^3\theta - 3\cos\theta"
    assert plots.chebyshev_latex(4) == r"\cos 4\theta = 8\cos^4\theta - 8\cos^2\theta + 1"


@pytest.mark.parametrize("m", range(1, 9))
def test_psi_figure_shades_m_intervals(m):  # its speed is benchmarks/bench_views.py's to measure, not a test's
    fig = plots.psi_figure(m)
    ax = fig.axes[0]
    assert len([p for p in ax.patches if p.get_gid() == "psi-interval"]) == m
    labels = [t.get_text() for t in ax.texts if t.get_gid() == "psi-k-label"]
    assert [lab.split("\n")[0] for lab in labels] == [f"k={k}" for k in range(m)]
    legend = [t.get_text() for t in fig.legends[0].get_texts()]  # under the plot, not on the curves
    assert any(s.startswith("cos θ") for s in legend) and any(s.startswith("ψ(θ)") for s in legend)
    assert any(f"cos {m}θ" in s for s in legend) == (m > 1)  # the raw, non-monotonic cos(mθ), dashed
    if m == 4:  # the notes' sign trick, per interval
        assert ["s3=+1", "s3=-1", "s3=+1", "s3=-1"] == [lab.split("\n")[1] for lab in labels]
        assert ["s4=0", "s4=-2", "s4=-4", "s4=-6"] == [lab.split("\n")[2] for lab in labels]


def _psi_ref(theta, m):
    """ψ by the definition, slowly: k = floor(θ m / π), ψ = (-1)^k cos(mθ) - 2k."""
    k = np.clip(np.floor(theta * m / np.pi), 0, m - 1)
    return (-1) ** k * np.cos(m * theta) - 2 * k


def test_psi_figure_annealed_curve_is_the_blend():
    lam = 2.0
    ax = plots.psi_figure(3, lam).axes[0]
    line = next(ln for ln in ax.lines if ln.get_label().startswith("(λ cos θ"))
    theta = np.radians(line.get_xdata())
    np.testing.assert_allclose(line.get_ydata(), (lam * np.cos(theta) + _psi_ref(theta, 3)) / (1 + lam), atol=1e-5)
    psi = next(ln for ln in ax.lines if ln.get_label().startswith("ψ(θ)"))
    np.testing.assert_allclose(psi.get_ydata(), _psi_ref(np.radians(psi.get_xdata()), 3), atol=1e-5)


# ---------------------------------------------------------------------------------------------- 2-D features


def test_features_figure_draws_arrows_regions_and_names(r2):
    for g in range(3):
        fig = plots.features_figure(r2, g)
        assert isinstance(fig, Figure) and len(fig.axes) == 2
        for ax in fig.axes:
            assert len([p for p in ax.patches if p.get_gid() == "weight-arrow"]) == K  # one arrow per class
            assert ax.get_aspect() == 1.0
        text = _texts(fig)
        assert all(name in text for name in r2.data.class_names[:K]) and r2.specs[g].name in text
        assert ("margin zone" in text) == r2.specs[g].has_margin


def _pixel_labels(ax, colors, strengths=(0.2, 0.42)):
    """Class of every pixel of the decision background, read back from its colour."""
    im = next(i for i in ax.images if i.get_gid() == "decision-regions")
    arr = np.asarray(im.get_array())[..., :3]  # (n, n, 3), row 0 at y = -lim
    x0, x1, y0, y1 = im.get_extent()
    rgb = np.array([matplotlib.colors.to_rgb(c) for c in colors])
    palette = np.stack([1 - s * (1 - rgb) for s in strengths])  # (S, C, 3)
    dist = np.linalg.norm(arr[:, :, None, None, :] - palette[None, None], axis=-1)  # (n, n, S, C)
    flat = dist.reshape(*arr.shape[:2], -1).argmin(-1)
    n = arr.shape[0]
    centres = x0 + (np.arange(n) + 0.5) * (x1 - x0) / n
    return centres, flat % len(colors), flat // len(colors)  # pixel centres, class, strength index (1 = zone)


def test_decision_background_is_the_models_own_rule(r2):
    rng = np.random.default_rng(0)
    colors = plots.class_colors(K, H)[:K]
    for g in range(3):
        ax = plots.features_figure(r2, g).axes[0]
        centres, labels, _ = _pixel_labels(ax, colors)
        i, j = rng.integers(0, len(centres), (2, 400))
        pts = np.stack([centres[j], centres[i]], axis=1)  # row i is y, column j is x
        np.testing.assert_array_equal(labels[i, j], metrics.predict(pts, r2.weights[g], r2.bias[g]))


def test_margin_zone_is_where_psi_loses_to_a_rival(r2):
    g, m = 2, 4
    ax = plots.features_figure(r2, g).axes[0]
    centres, labels, zone = _pixel_labels(ax, plots.class_colors(K, H)[:K])
    gx, gy = np.meshgrid(centres, centres)
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    theta = metrics.angle_matrix(pts, r2.weights[g].T)  # (N, C)
    own = labels.ravel()
    psi_own = _psi_ref(theta[np.arange(len(pts)), own], m)
    rival = np.cos(theta)
    rival[np.arange(len(pts)), own] = -np.inf
    gap = psi_own - rival.max(axis=1)
    clear = np.abs(gap) > 1e-4  # away from exact ties
    np.testing.assert_array_equal(zone.ravel()[clear] == 1, (gap < 0)[clear])
    assert 0.05 < (zone == 1).mean() < 0.95  # visible, and not everything


@pytest.mark.parametrize("g", [2, 3, 4])  # NormFace has no zone; CosFace and ArcFace each hatch their own rule
def test_each_loss_hatches_its_own_margin_rule(family_runs, g):
    result = family_runs[2]
    spec = result.specs[g]
    fig = plots.features_figure(result, g)
    centres, labels, zone = _pixel_labels(fig.axes[0], plots.class_colors(K, H)[:K])
    gx, gy = np.meshgrid(centres, centres)
    pts = np.stack([gx.ravel(), gy.ravel()], axis=1)
    theta = metrics.angle_matrix(pts, result.weights[g].T)  # (N, C), slowly and independently of the loss code
    own = labels.ravel()
    theta_own = theta[np.arange(len(pts)), own]
    target = {
        "normface": np.cos(theta_own),
        "cosface": np.cos(theta_own) - spec.margin,
        "arcface": np.where(
            theta_own + spec.margin < np.pi,
            np.cos(theta_own + spec.margin),
            np.cos(theta_own) - spec.margin * np.sin(spec.margin),
        ),
    }[spec.loss]
    rival = np.cos(theta)
    rival[np.arange(len(pts)), own] = -np.inf
    gap = target - rival.max(axis=1)
    clear = np.abs(gap) > 1e-4
    np.testing.assert_array_equal(zone.ravel()[clear] == 1, (gap < 0)[clear])
    if spec.has_margin:
        assert 0.05 < (zone == 1).mean() < 0.95
        assert spec.kind.zone_rule in _texts(fig)  # the legend says which rule is hatched
    else:
        assert not (zone == 1).any() and "margin zone" not in _texts(fig)


def test_the_family_figure_draws_each_loss_target_and_boundary_from_its_formula():
    chosen = (("asoftmax", 3), ("cosface", 0.3), ("arcface", 0.4))
    fig = plots.family_figure(chosen)
    ax_t, ax_b = fig.axes[:2]
    lines_t = [ln for ln in ax_t.lines if ln.get_linestyle() == "-" and len(ln.get_xdata()) > 100]
    lines_b = [ln for ln in ax_b.lines if ln.get_linestyle() == "-" and len(ln.get_xdata()) > 100]
    theta = np.radians(lines_t[0].get_xdata())
    want_t = [
        _psi_ref(theta, 3),
        np.cos(theta) - 0.3,
        np.where(theta + 0.4 < np.pi, np.cos(theta + 0.4), np.cos(theta) - 0.4 * np.sin(0.4)),
    ]
    for line, want in zip(lines_t, want_t):
        np.testing.assert_allclose(line.get_ydata(), want, atol=2e-5)
    t1 = np.array([10.0, 20.0, 40.0])  # degrees: the boundaries written out, θ₂ = 3θ₁, arccos(cos θ₁ − m), θ₁ + m
    want_b = [3 * t1, np.degrees(np.arccos(np.cos(np.radians(t1)) - 0.3)), t1 + np.degrees(0.4)]
    for line, want in zip(lines_b, want_b):
        np.testing.assert_allclose(np.interp(t1, line.get_xdata(), line.get_ydata()), want, atol=0.3)
    text = _texts(fig)
    assert all(b in text for b in ("m·θ₁ = θ₂", "cos θ₁ − cos θ₂ = m", "θ₁ + m = θ₂", "θ₁ = θ₂"))


def test_features_figure_rejects_3d_and_diverged(r2, r3):
    with pytest.raises(ValueError, match="sphere_figure"):
        plots.features_figure(r3, 0)
    with pytest.raises(ValueError, match="diverged at step 7"):
        plots.features_figure(_diverged(r2), 2)


# ---------------------------------------------------------------------------------------------- sphere views


def test_sphere_figure(r2, r3):
    fig = plots.sphere_figure(r3, 2)
    assert fig.axes[0].name == "3d" and r3.specs[2].name in _texts(fig)
    with pytest.raises(ValueError, match="features_figure"):
        plots.sphere_figure(r2, 0)


@pytest.mark.parametrize("show_open", [True, False])
def test_sphere_plotly_one_trace_per_class(r3, show_open):
    fig = plots.sphere_plotly(r3, 1, show_open=show_open)
    points = [t for t in fig.data if t.type == "scatter3d" and t.mode == "markers"]
    data, colors = r3.data, plots.class_colors(K, H)
    assert len(points) == K + (H if show_open else 0)
    for j, trace in enumerate(points):
        y = data.y_train if j < K else data.y_open
        assert len(trace.x) == np.sum(y == j) and trace.name.startswith(data.class_names[j])
        assert trace.marker.color == colors[j]
        np.testing.assert_allclose(np.linalg.norm(np.stack([trace.x, trace.y, trace.z], 1), axis=1), 1, atol=3e-3)
    scene = fig.layout.scene  # a round sphere: the same scale and range on every axis
    assert scene.aspectratio.x == scene.aspectratio.y == scene.aspectratio.z
    assert list(scene.xaxis.range) == list(scene.yaxis.range) == list(scene.zaxis.range)
    assert len(fig.to_json()) < 400_000  # light enough for a browser


# ---------------------------------------------------------------------------------------------- angles, tables


def test_angle_histogram_lines_and_verdict(r2):
    g = 2
    ax = plots.angle_histogram_figure(r2, g).axes[0]
    st = metrics.angle_stats(r2.test_features[g], r2.data.y_test)
    xs = {line.get_gid(): line.get_xdata()[0] for line in ax.lines if line.get_gid()}
    assert xs["max-intra"] == pytest.approx(np.degrees(st["max_intra_angle"]))
    assert xs["min-inter"] == pytest.approx(np.degrees(st["min_inter_angle"]))
    assert xs["p95-intra"] == pytest.approx(np.degrees(st["p95_intra_angle"]))
    assert xs["p5-inter"] == pytest.approx(np.degrees(st["p5_inter_angle"]))
    strict, robust = ax.get_title().split("\n")[1:3]  # both forms of the criterion, side by side
    assert strict.startswith("strict ✓" if st["criterion_met"] else "strict ✗")
    assert robust.startswith("robust ✓" if st["p95_intra_angle"] < st["p5_inter_angle"] else "robust ✗")


def test_target_angle_figure_one_box_per_class(r2):
    ax = plots.target_angle_figure(r2, 0).axes[0]
    assert len(ax.patches) == K and [t.get_text() for t in ax.get_xticklabels()] == list(r2.data.class_names[:K])


def test_stats_rows_and_markdown(r2):
    rows = plots.stats_rows(r2)
    assert [r["model"] for r in rows] == [s.name for s in r2.specs]
    assert rows[0]["test acc (%)"] == round(100 * evaluate.record(r2, 0).test_acc, 1)
    rec = evaluate.record(r2, 2)
    assert rows[2]["max intra (°)"] == round(float(np.degrees(rec.max_intra_angle)), 1)
    assert rows[2]["strict: max intra < min inter"] == ("✓" if rec.criterion_met else "✗")
    assert rows[2]["robust: p95 intra < p5 inter"] == ("✓" if rec.p95_intra_angle < rec.p5_inter_angle else "✗")
    assert rows[2]["open-set AUC"] is not None
    bad = plots.stats_rows(_diverged(r2))[2]
    assert bad["status"] == "diverged at step 7" and bad["test acc (%)"] is None
    assert bad["strict: max intra < min inter"] is None and bad["robust: p95 intra < p5 inter"] is None
    md = plots.stats_markdown(_diverged(r2))
    assert md.count("\n|") == 1 + 3 and "diverged at step 7" in md


def test_open_set_rows_and_roc(r2):
    rows = plots.open_set_rows(r2)
    assert len(rows) == 3 + 1 and all(0 <= r["AUC"] <= 1 and -1 <= r["threshold (cos)"] <= 1 for r in rows)
    # The last row is the yardstick: cosine similarity on the raw inputs, no net.
    baseline = metrics.open_set_report(r2.data.x_train, r2.data.y_train, r2.data.x_open, r2.data.y_open)
    assert rows[-1]["model"].startswith("raw inputs") and rows[-1]["AUC"] == round(baseline["auc"], 3)
    fig = plots.roc_figure(r2)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]  # beside the plot, not on the curves
    assert labels[0].startswith("chance") and all(f"AUC {r['AUC']:.3f}" in lab for r, lab in zip(rows, labels[1:]))
    assert len(labels) == 1 + 3 + 1 and labels[-1].startswith("raw inputs")
    assert "diverged at step 7" in _texts(plots.roc_figure(_diverged(r2)))


def test_roc_without_held_out_classes_says_so(r2):
    d = r2.data
    data = dataclasses.replace(d, x_open=d.x_open[:0], y_open=d.y_open[:0], class_names=d.class_names[:K])
    no_open = dataclasses.replace(r2, data=data, open_features=r2.open_features[:, :0])
    assert "held-out" in _texts(plots.roc_figure(no_open))
    assert all(r["AUC"] is None for r in plots.open_set_rows(no_open))
    assert plots.open_set_summary(no_open) is None


# ---------------------------------------------------------------------------------------------- many models


def test_compare_figure_2d_and_3d_and_diverged(r2, r3):
    fig = plots.compare_figure(r2)
    assert len(fig.axes) == 2 * 3
    assert sum(p.get_gid() == "weight-arrow" for ax in fig.axes for p in ax.patches) == 3 * K
    assert len({ax.get_xlim() for ax in fig.axes[0::2]}) == 1  # shared feature ranges
    fig3 = plots.compare_figure(_diverged(r3))
    assert sum(ax.name == "3d" for ax in fig3.axes) == 2  # the diverged model gets a message instead
    assert "training diverged at step 7" in _texts(fig3)


def test_training_figure(r2):
    fig = plots.training_figure(_diverged(r2, step=150))
    loss_ax = fig.axes[0]
    assert loss_ax.get_yscale() == "log" and fig.axes[2].get_yscale() == "log"
    model_lines = [ln for ln in loss_ax.lines if ln.get_marker() in ("None", None, "")]
    assert len(model_lines) == 3 and len(model_lines[2].get_xdata()) == 150  # nothing drawn after divergence
    assert "diverged at step 150" in _texts(fig)


def test_snapshot_frames_share_limits(r2, r3):
    first, last = plots.snapshot_figure(r2, 2, 0), plots.snapshot_figure(r2, 2, -1)
    assert first.axes[1].get_xlim() == last.axes[1].get_xlim()
    assert f"step {r2.snapshot_steps[-1]}" in _texts(last) and "λ =" in _texts(last)
    assert plots.snapshot_figure(r3, 0, 1).axes[0].name == "3d"


def test_snapshots_gif_frames(r2):
    gif = plots.snapshots_gif(r2, 2)
    im = Image.open(io.BytesIO(gif))
    assert im.format == "GIF" and im.n_frames == len(r2.snapshot_steps) and len(gif) < 2_000_000


def test_snapshots_plotly_has_one_frame_per_snapshot_with_the_snapshot_points(r2, r3):
    for result, per_class in ((r3, 1), (r2, 2)):  # 3-D: the sphere; 2-D: raw features and their directions
        fig = plots.snapshots_plotly(result, 1)
        assert len(fig.frames) == len(result.snapshot_steps)
        assert len(fig.data) == per_class * result.data.n_classes + 1  # and the unit sphere or circle
        assert all(len(frame.data) == per_class * result.data.n_classes for frame in fig.frames)
        labels = result.data.y_train[result.snapshot_index]
        first = fig.frames[0].data[0]  # class 0 at step 0
        want = result.snapshots[1, 0][labels == 0]
        want = plots.unit_rows(want) if result.train_features.shape[-1] == 3 else want
        np.testing.assert_allclose(np.asarray(first.x), want[:, 0], atol=1e-3)
        assert [s.label for s in fig.layout.sliders[0].steps] == [str(s) for s in result.snapshot_steps]


def test_single_model_builders_refuse_diverged(r2, r3):
    bad2, bad3 = _diverged(r2), _diverged(r3)
    for build in (
        plots.features_figure,
        plots.angle_histogram_figure,
        plots.target_angle_figure,
        lambda r, g: plots.snapshot_figure(r, g, 0),
        plots.snapshots_gif,
        plots.snapshots_plotly,
    ):
        with pytest.raises(ValueError, match="training diverged at step 7; lower the learning rate"):
            build(bad2, 2)
    for build in (plots.sphere_figure, plots.sphere_plotly):
        with pytest.raises(ValueError, match="diverged at step 7"):
            build(bad3, 2)


# ---------------------------------------------------------------------------------------------- export


def test_figure_png_and_csv(r2, r3):
    png = plots.figure_png(plots.psi_figure(2), dpi=50)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    lines = plots.features_csv(r3).splitlines()
    n = len(r3.data.y_train) + len(r3.data.y_test) + len(r3.data.y_open)
    assert lines[0] == "model,status,split,label,class_name,x,y,z,theta_y_deg" and len(lines) == 1 + 3 * n
    assert lines[1].startswith("softmax,ok,train,") and lines[-1].endswith(",")  # held-out: no θ_y


def test_write_figures(r2, tmp_path):
    paths = write_figures(_diverged(r2), tmp_path / "out", dpi=40)
    names = {p.name for p in paths}
    assert {
        "psi_m1.png",
        "psi_m4.png",
        "compare.png",
        "training.png",
        "roc.png",
        "stats.md",
        "features_softmax.png",
        "angles_m-softmax.png",
    } <= names
    assert not any("a-softmax" in n for n in names)  # the diverged model gets no per-model figures
    for p in paths:
        assert p.exists() and p.stat().st_size > 0
        if p.suffix == ".png":
            with Image.open(p) as im:
                im.verify()
    assert "diverged at step 7" in (tmp_path / "out" / "stats.md").read_text()


def test_open_set_summary_names_the_best_model_and_the_yardstick(r2):
    text = plots.open_set_summary(r2)
    rows = {r["model"]: r["AUC"] for r in plots.open_set_rows(r2)}
    yardstick = rows.pop("raw inputs, no net (yardstick)")
    best = max(rows, key=rows.get)
    assert f"**{best}**" in text and f"{rows[best]:.3f}" in text
    assert f"{yardstick:.3f}" in text
    assert ("better than every 2-D embedding" in text) == (yardstick > rows[best])


def test_compare_figure_rows_apart_for_the_app(r2, r3):
    for result in (r2, r3):
        n = len(result.specs)
        features = plots.compare_figure(result, rows="features")
        angles = plots.compare_figure(result, bins=18, rows="angles")
        assert len(features.axes) == n and len(angles.axes) == n
        names = {plots.model_label(result, g) for g in range(n)}
        titles = {" ".join(ax.get_title().split("\n")[:2]).split(" strict")[0] for ax in angles.axes}
        assert titles == names  # each histogram says whose it is (A-softmax's name on two lines)
        assert all(len(ax.patches) >= 2 for ax in angles.axes)  # both pair densities drawn in every panel
    with pytest.raises(ValueError, match="rows"):
        plots.compare_figure(r2, rows="top")


def test_the_animation_redraws_each_frame_so_its_title_follows_the_step(r2, r3):
    for result in (r2, r3):  # 2-D used to keep the last frame's title while its points moved
        fig = plots.snapshots_plotly(result, 2)
        titles = [frame.layout.title.text for frame in fig.frames]
        assert len(set(titles)) == len(titles) and f"step {int(result.snapshot_steps[0])} of" in titles[0]
        assert fig.layout.updatemenus[0].buttons[0].args[1]["frame"]["redraw"] is True  # Play
        assert all(step.args[1]["frame"]["redraw"] is True for step in fig.layout.sliders[0].steps)  # the slider


@pytest.mark.parametrize("m", range(1, 9))
def test_the_chebyshev_formula_fits_the_psi_tabs_column(m):
    """Each line of the formula the ψ tab writes is narrower than its column (229 px at 1280x720), measured with
    matplotlib's mathtext at KaTeX's display size (1.21 × 16 px), and the lines together are T_m."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    text = plots.chebyshev_latex(m, terms_per_line=2)
    body = text.removeprefix(r"\begin{aligned}").removesuffix(r"\end{aligned}")
    lines = [line.replace("&", "").replace(r"\quad", "").strip() for line in body.split(r"\\")]
    size = FontProperties(size=1.21 * 16 * 72 / 96)  # points for 19.4 px
    for line in lines:
        width = TextToPath().get_text_width_height_descent(f"${line}$", size, ismath=True)[0] * 96 / 72
        assert width <= 229, f"m={m}: {line!r} is {width:.0f} px wide"
    assert " ".join(lines).replace("  ", " ") == plots.chebyshev_latex(m).replace("  ", " ")


def test_a_run_whose_features_blow_up_is_flagged(r2):
    config = TrainConfig(hidden=(16,), feature_dim=2, steps=300, batch_size=64, chunk_steps=100, learning_rate=5.0)
    wild = train_grid(load(DATA), model_grid(ms=(4,)), config)
    flagged = [wild.blew_up(g) for g in range(3)]
    assert any(flagged) and all(f == (wild.feature_scale(g) > 1e3) for g, f in enumerate(flagged))
    assert not any(r2.blew_up(g) for g in range(3))  # a healthy run's ‖x‖ stays near 10-50


def test_the_sphere_is_seen_from_where_the_weights_are_apart(r3):
    from sphere_toy.plots.sphere import label_position, unit_weights, view_direction

    default = np.ones(3) / np.sqrt(3)  # plotly's default camera direction
    for g in range(3):
        w = unit_weights(r3, g).T  # (C, 3)

        def smallest_gap(v):
            flat = w - np.outer(w @ v, v)
            return min(np.linalg.norm(flat[i] - flat[j]) for i in range(len(w)) for j in range(i + 1, len(w)))

        v = view_direction(r3, g)
        assert smallest_gap(v) >= smallest_gap(default) - 1e-9
        for wj in w:  # each weight's name sits off its own cluster on the screen
            label = label_position(wj, v)
            off = (label - wj) - ((label - wj) @ v) * v
            assert np.linalg.norm(off) >= 0.4


def test_the_criterion_text_says_what_this_run_shows(r2):
    texts = plots.criterion_text(r2)
    for g, text in enumerate(texts):
        feats, y = r2.test_features[g], r2.data.y_test
        st, pairs = metrics.angle_stats(feats, y), metrics.deciding_pairs(feats, y)
        strict, robust = text.split("  \n")
        assert ("Strict (the paper's): met" in strict) == st["criterion_met"]
        assert ("Robust (95th / 5th percentiles): met" in robust) == (st["p95_intra_angle"] < st["p5_inter_angle"])
        assert f"{np.degrees(st['max_intra_angle']):.1f}°" in strict
        if not st["criterion_met"]:  # it names the classes of the pairs that decide
            assert f"({r2.data.class_names[y[pairs['max_intra'][0]]]})" in strict
    assert plots.criterion_text(_diverged(r2))[2] is None


def test_a_phone_is_told_apart_by_its_browser_and_gets_its_own_screen():
    from sphere_toy.plots import screens

    pixel = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari"
    ipad = "Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari"
    assert screens.is_phone(pixel) and not screens.is_phone(ipad) and not screens.is_phone(None)
    phone = screens.screen("phone", "psi")  # a phone's page stacks columns: every figure takes the whole width
    assert phone.width_px == screens.screen("phone", "half").width_px == 390 - 2 * 16
    assert phone.stacked and not screens.screen("normal", "half").stacked  # a laptop's half is narrow, not a phone


def test_on_a_phone_panels_stack_and_on_a_projector_they_stand_side_by_side(r2):
    from sphere_toy.plots import screens

    result = r2
    for mode, stacked in (("phone", True), ("present", False), ("normal", False)):
        with plots.on_screen(screens.screen(mode)):
            fig = plots.training_figure(result)
            fig.draw_without_rendering()
        boxes = [ax.get_position() for ax in fig.axes[:3]]
        one_column = all(abs(a.x0 - b.x0) < 1e-6 and a.y0 > b.y1 for a, b in zip(boxes, boxes[1:]))
        assert one_column == stacked, mode


def test_a_plotly_title_wraps_at_spaces_or_between_chinese_characters_never_inside_a_tag():
    from sphere_toy.plots.plotly_sphere import _html_lines

    text = "colours: the nearest W<sub>j</sub> by angle; darker: ψ(θ<sub>i</sub>) &lt; cos θ<sub>j</sub>"
    lines = _html_lines(text, 20).split("<br>")
    assert len(lines) > 2 and "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(line.count("<") == line.count(">") for line in lines)  # every tag whole on its line
    zh = _html_lines("顏色：夾角最小的 W<sub>j</sub>；較深處：邊距區，仍受懲罰", 16).split("<br>")
    assert len(zh) >= 3 and all(line.count("<") == line.count(">") for line in zh)
    # matplotlib's Chinese titles the same way: between characters or at a space, never inside a Latin word
    from sphere_toy.plots.layout import wrap_wide

    title = "A-softmax m=4 − M-softmax，每個種子和自己比"
    lines = wrap_wide(title, 20)
    assert lines == ["A-softmax m=4 −", "M-softmax，每個種子和自己比"] and all(len(line) <= 20 for line in lines)


def test_separation_and_transfer_are_related_in_words_only_when_shuffling_rarely_matches_them(r2):
    from scipy.stats import permutation_test, spearmanr

    from sphere_toy.plots import transfer

    rng = np.random.default_rng(1)
    x = rng.random(12)
    y = x + rng.random(12)
    rho = metrics.rank_correlation(x, y)
    slow = permutation_test((y,), lambda v: spearmanr(x, v).statistic, permutation_type="pairings", random_state=0)
    assert transfer.shuffle_p(x, y, rho) == pytest.approx(slow.pvalue, abs=0.02)
    text = transfer.transfer_text(r2)  # three models on one seed: fewer points than MIN_POINTS
    assert "too few" in text and "rank correlation" not in text
