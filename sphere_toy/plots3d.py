"""3-D features on the unit sphere (the paper's Fig. 5, top row): a static matplotlib view and a rotatable plotly one.

A point x is drawn where its ray meets the unit sphere, x/‖x‖: M-/A-softmax decide by angle alone, so that is all
that matters for the decision. Class weight directions W_j/‖W_j‖ are drawn as lines from the centre.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sphere_toy import losses
from sphere_toy.plots_style import (check_trained, feature_dim, model_label, new_figure, result_colors, styled,
                                    unit_rows)

_WIRE_U, _WIRE_V = np.meshgrid(np.linspace(0, 2 * np.pi, 25), np.linspace(0, np.pi, 13))  # sphere parameters


def _sphere_xyz(u=_WIRE_U, v=_WIRE_V):
    return np.cos(u) * np.sin(v), np.sin(u) * np.sin(v), np.cos(v)


def _check_3d(result, name: str) -> None:
    if feature_dim(result) != 3:
        raise ValueError(f"{name} draws 3-D features on the sphere; for 2-D results use features_figure")


def unit_weights(result, g: int) -> np.ndarray:
    """Class weight directions W_j/‖W_j‖ as (D, C)."""
    return np.asarray(losses.effective_weights(result.weights[g], True))


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
    if weights:
        for j, w in enumerate(unit_weights(result, g).T):
            ax.plot(*np.stack([np.zeros(3), 1.3 * w], axis=1), color=colors[j], lw=2.5 if small else 3.2)
            if not small:
                ax.text(*(1.42 * w), f"$W_{{{j}}}$", color=colors[j], fontsize=12, fontweight="bold",
                        ha="center", va="center")
    ax.set(xlim=(-1.1, 1.1), ylim=(-1.1, 1.1), zlim=(-1.1, 1.1), xticks=[-1, 0, 1], yticks=[-1, 0, 1],
           zticks=[-1, 0, 1])
    ax.set_box_aspect((1, 1, 1), zoom=1.25 if small else 0.9)
    if small:  # small multiples: the sphere itself is the frame of reference
        ax.set_axis_off()
    ax.view_init(elev=22, azim=35)
    ax.tick_params(labelsize=9 if small else 10, pad=0)


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
    for j, w in enumerate(unit_weights(result, g).T):
        tip = np.round(1.3 * w, 3)
        traces.append(go.Scatter3d(x=[0, tip[0]], y=[0, tip[1]], z=[0, tip[2]], mode="lines+text",
                                   text=["", f"W{j}"], name=f"W{j}", legendgroup=str(j), showlegend=False,
                                   line={"color": colors[j], "width": 7}, textfont={"color": colors[j], "size": 14}))
    axis = {"range": [-1.1, 1.1], "tickvals": [-1, 0, 1], "title": ""}
    fig = go.Figure(traces)
    fig.update_layout(
        title=f"{model_label(result, g)}: training features on the unit sphere (drag to rotate)",
        scene={"xaxis": axis, "yaxis": axis, "zaxis": axis, "aspectmode": "cube"},
        legend={"itemsizing": "constant", "font": {"size": 14}}, margin={"l": 0, "r": 0, "t": 40, "b": 0},
        height=600)
    return fig
