"""3-D features on the unit sphere (the paper's Fig. 5, top row): a static matplotlib view and a rotatable plotly one.

A point x is drawn where its ray meets the unit sphere, x/‖x‖: M-/A-softmax decide by angle alone, so that is all
that matters for the decision. Class weight directions W_j/‖W_j‖ are drawn as lines from the centre.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sphere_toy import losses
from sphere_toy.plots_style import (check_trained, feature_dim, model_label, new_figure, plotly_sizes, result_colors,
                                    styled, unit_rows)

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
    z, phi = 1 - 2 * i / n, np.pi * (1 + 5 ** 0.5) * i
    r = np.sqrt(1 - z ** 2)
    return np.stack([r * np.cos(phi), r * np.sin(phi), z], axis=1)


_CANDIDATES = _fibonacci_directions(2000)


def label_position(w: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Where to write W_j's name when the sphere is seen from direction `v`: past the cluster at w, pushed outwards
    on the screen (along w's component across the line of sight), so the name never sits on its own cluster."""
    across = w - (w @ v) * v
    if np.linalg.norm(across) < 1e-6:  # w points straight at the viewer: any screen direction will do
        across = np.cross(v, [1.0, 0.0, 0.0] if abs(v[0]) < 0.9 else [0.0, 1.0, 0.0])
    return w + 0.45 * across / np.linalg.norm(across)


def draw_sphere(ax, result, g: int, feats, labels, *, small: bool = False, weights: bool = True) -> None:
    """Points x/‖x‖ on a faint wireframe sphere in a 3-D matplotlib axes, coloured by label; weight lines."""
    colors = result_colors(result)
    ax.plot_wireframe(*_sphere_xyz(), color="0.65", lw=0.4, alpha=0.45)
    pts = unit_rows(feats)
    k = result.data.n_classes
    for label in np.unique(labels):
        p = pts[labels == label]
        ax.scatter(*p.T, color=colors[label], s=(5 if small else 12), alpha=0.85, depthshade=True,
                   marker="o" if label < k else "x", linewidths=0 if label < k else 1.0)
    v = view_direction(result, g)
    if weights:
        for j, w in enumerate(unit_weights(result, g).T):
            ax.plot(*np.stack([np.zeros(3), 1.3 * w], axis=1), color=colors[j], lw=2.5 if small else 3.2)
            if not small:
                ax.text(*label_position(w, v), f"$W_{{{j}}}$", color=colors[j], fontsize=12, fontweight="bold",
                        ha="center", va="center")
    ax.set(xlim=(-1.1, 1.1), ylim=(-1.1, 1.1), zlim=(-1.1, 1.1), xticks=[-1, 0, 1], yticks=[-1, 0, 1],
           zticks=[-1, 0, 1])
    ax.set_box_aspect((1, 1, 1), zoom=1.25 if small else 0.9)
    if small:  # small multiples: the sphere itself is the frame of reference
        ax.set_axis_off()
    ax.view_init(elev=float(np.degrees(np.arcsin(np.clip(v[2], -1, 1)))),
                 azim=float(np.degrees(np.arctan2(v[1], v[0]))))
    ax.tick_params(labelsize=10, pad=0)


@styled
def sphere_figure(result, g: int, *, show_open: bool = True) -> Figure:
    """Training features of model g projected on the unit sphere (held-out classes as grey crosses), for download."""
    check_trained(result, g)
    _check_3d(result, "sphere_figure")
    data, colors = result.data, result_colors(result)
    feats, labels = result.train_features[g], data.y_train
    if show_open and len(data.y_open):
        feats, labels = np.concatenate([feats, result.open_features[g]]), np.concatenate([labels, data.y_open])
    fig = new_figure(8.5, 7.5)
    ax = fig.add_subplot(projection="3d")
    draw_sphere(ax, result, g, feats, labels)
    shown = np.unique(labels)
    handles = [Line2D([], [], ls="", marker="o" if j < data.n_classes else "x", ms=9, mew=2, color=colors[j],
                      label=data.class_names[j] + ("" if j < data.n_classes else " (held out)")) for j in shown]
    handles.append(Line2D([], [], color="0.3", lw=3, label="W_j directions"))
    fig.legend(handles=handles, loc="outside right center", frameon=False)
    ax.set_title(f"{model_label(result, g)}: training features x/‖x‖ on the unit sphere")
    return fig


def plotly_unit_sphere():
    """A faint unit sphere for plotly 3-D scenes; coarse, with 3-decimal coordinates, to keep the JSON small."""
    import plotly.graph_objects as go

    u, v = np.meshgrid(np.linspace(0, 2 * np.pi, 37), np.linspace(0, np.pi, 19))
    sx, sy, sz = (np.round(a, 3) for a in _sphere_xyz(u, v))
    return go.Surface(x=sx, y=sy, z=sz, opacity=0.12, showscale=False, hoverinfo="skip", name="unit sphere",
                      colorscale=[[0, "#9aa5b1"], [1, "#9aa5b1"]])


def sphere_plotly(result, g: int, *, show_open: bool = True):
    """Rotatable version of `sphere_figure` (plotly): one Scatter3d of markers per class, named by class."""
    import plotly.graph_objects as go  # imported here: only the app needs plotly

    check_trained(result, g)
    _check_3d(result, "sphere_plotly")
    data, colors = result.data, result_colors(result)
    traces = [plotly_unit_sphere()]
    groups = [(j, result.train_features[g][data.y_train == j]) for j in range(data.n_classes)]
    if show_open:
        groups += [(j, result.open_features[g][data.y_open == j]) for j in np.unique(data.y_open)]
    for j, feats in groups:
        p = np.round(unit_rows(feats), 3)
        held = j >= data.n_classes
        traces.append(go.Scatter3d(
            x=p[:, 0], y=p[:, 1], z=p[:, 2], mode="markers", name=data.class_names[j] + (" (held out)" if held else ""),
            legendgroup=str(j), marker={"size": 3 if not held else 2.5, "color": colors[j],
                                        # WebGL markers are font glyphs: plotly's "x" is an emoji that many
                                        # Linux machines lack (drawn as a box); "cross" is a plain "+".
                                        "symbol": "cross" if held else "circle"}))
    height, text = plotly_sizes()
    v = view_direction(result, g)
    for j, w in enumerate(unit_weights(result, g).T):
        tip, label = np.round(1.3 * w, 3), np.round(label_position(w, v), 3)
        traces.append(go.Scatter3d(x=[0, tip[0], label[0]], y=[0, tip[1], label[1]], z=[0, tip[2], label[2]],
                                   mode="lines+text", text=["", "", f"W{j}"], name=f"W{j}", legendgroup=str(j),
                                   showlegend=False, line={"color": colors[j], "width": 7},
                                   textfont={"color": colors[j], "size": round(1.3 * text)}))
    axis = {"range": [-1.4, 1.4], "visible": False}  # the sphere is the frame of reference; room for the labels
    up = np.array([0.0, 0.0, 1.0]) if abs(v[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    fig = go.Figure(traces)
    fig.update_layout(
        title={"text": f"{model_label(result, g)}: training features on the unit sphere (drag to rotate)",
               "font": {"size": round(1.2 * text)}},
        # aspectratio 1.7: plotly leaves a wide margin around a unit cube; this makes the sphere fill its panel.
        scene={"xaxis": axis, "yaxis": axis, "zaxis": axis, "aspectmode": "manual",
               "aspectratio": {"x": 1.7, "y": 1.7, "z": 1.7},
               "camera": {"eye": dict(zip("xyz", np.round(1.5 * v, 3))), "up": dict(zip("xyz", up)),
                          "projection": {"type": "orthographic"}}},
        legend={"itemsizing": "constant", "font": {"size": round(text)}}, font={"size": round(text)},
        margin={"l": 0, "r": 0, "t": round(3 * text), "b": 0}, height=height)
    return fig
