"""The rotatable 3-D view of `sphere.sphere_figure` (plotly): features x/‖x‖ on the unit sphere, coloured by the
decision regions and margin zone, with the weight directions, sized for its place on the page (`layout`).

The geometry (where to look from, where a weight's name goes) is shared with the matplotlib view in `sphere`; the
regions' mesh and shades come from `sphere_regions`.
"""

from __future__ import annotations

import re

import numpy as np
from matplotlib.colors import to_hex

from sphere_toy.data import shown_class_name
from sphere_toy.i18n import _
from sphere_toy.plots.layout import WIDE, WIDE_CHARS, narrow_screen, plotly_sizes, plotly_width, wrap_tokens
from sphere_toy.plots.sphere import _check_3d, label_position, view_direction
from sphere_toy.plots.sphere_regions import (
    REGION_MESH,
    REGION_RADIUS,
    _sphere_xyz,
    region_mesh,
    region_shades,
    unit_weights,
)
from sphere_toy.plots.style import check_trained, many_classes, model_label, result_colors, unit_rows


def _rule_html(rule: str) -> str:
    r"""A registry zone rule in mathtext, "$\psi(\theta_i) < \cos\theta_j$", as plotly text:
    "ψ(θ<sub>i</sub>) &lt; cos θ<sub>j</sub>"."""
    names = {"psi": "ψ", "theta": "θ", "phi": "φ", "lambda": "λ", "cos": "cos ", "sin": "sin "}
    text = rule.replace("$", "").replace("<", "&lt;").replace(">", "&gt;")
    text = re.sub(r"\\([A-Za-z]+)\s*", lambda mt: names.get(mt.group(1), mt.group(1) + " "), text)
    return re.sub(r"_\{?(\w)\}?", r"<sub>\1</sub>", text).replace(" - ", " − ")


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
            traces.append(_points(feats, name, np.array(colors)[labels], held))
        groups = []
    for j, feats in groups:
        held = j >= data.n_classes
        name = shown_class_name(data.class_names[j])
        name = _("{name} (held out)").format(name=name) if held else name
        traces.append(_points(feats, name, colors[j], held, legendgroup=str(j)))
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
    title = _("{model}: training features on the unit sphere (drag to rotate)").format(model=model_label(result, g))
    caption = _regions_caption(result, g) if regions else ""
    narrow = narrow_screen()
    if narrow:  # a phone: plotly does not wrap a title, so it is wrapped here; the legend goes under the sphere
        width = plotly_width()
        title, caption = (_html_lines(t, width / (0.62 * size)) for t, size in ((title, 1.2 * text), (caption, text)))
    # room for the title's lines above the sphere (wrapped on a phone: more of them)
    lines = [title.count("<br>") + 1, caption.count("<br>") + 1 if caption else 0]
    top = round(4.4 * text) if not narrow else round(1.4 * (1.2 * text * lines[0] + text * lines[1]) + 8)
    if narrow:
        height = min(height, top + width + round(1.6 * text) * (len(traces) // 2 + 1))
    fig.update_layout(
        title={
            "text": title + (f"<br><span style='font-size:{round(text)}px'>{caption}</span>" if caption else ""),
            "font": {"size": round(1.2 * text)},
        },
        # aspectratio 1.7: plotly leaves a wide margin around a unit cube; this makes the sphere fill its panel.
        scene={
            "xaxis": axis,
            "yaxis": axis,
            "zaxis": axis,
            "aspectmode": "manual",
            "aspectratio": dict.fromkeys("xyz", 1.4 if narrow else 1.7),  # a phone: the W labels stay inside
            "camera": {
                "eye": dict(zip("xyz", np.round(1.5 * v, 3))),
                "up": dict(zip("xyz", up)),
                "projection": {"type": "orthographic"},
            },
        },
        # Each class is its own legend group (its points and its W line): small gaps between them, so that ten
        # classes still fit beside the sphere under the two lines of title when presenting.
        legend={"itemsizing": "constant", "font": {"size": round(text)}, "tracegroupgap": 2}
        | ({"orientation": "h", "x": 0, "y": 0, "yanchor": "top"} if narrow else {}),
        font={"size": round(text)},
        margin={"l": 0, "r": 0, "t": top, "b": 0},
        height=height,
    )
    return fig


def _points(feats, name: str, color, held: bool, **kwargs):
    """Features on the unit sphere as one plotly trace: dots for training classes, crosses for held-out ones."""
    import plotly.graph_objects as go

    p = np.round(unit_rows(feats), 3)
    return go.Scatter3d(
        x=p[:, 0],
        y=p[:, 1],
        z=p[:, 2],
        mode="markers",
        name=name,
        # WebGL markers are font glyphs: plotly's "x" is an emoji that many Linux machines lack (drawn as a box);
        # "cross" is a plain "+".
        marker={"size": 2.5 if held else 3, "color": color, "symbol": "cross" if held else "circle"},
        **kwargs,
    )


# plotly's title text: a tag or an entity (never cut), a run of spaces, one wide (CJK) character, or a Latin word
_TOKENS = re.compile(rf"<[^>]+>|&\w+;|\s+|[{WIDE_CHARS}]|[^\s<&{WIDE_CHARS}]+")


def _html_lines(text: str, chars: float) -> str:
    """`text` (plotly's HTML subset) on lines of at most `chars` Latin characters' width, joined by <br>: broken at a
    space, or between two Chinese characters (each about two Latin ones wide), never inside a tag or an entity."""
    return "<br>".join(wrap_tokens(_TOKENS.findall(text), chars, width=_html_width))


def _html_width(token: str) -> float:
    if token.startswith("<"):  # a tag takes no room
        return 0
    if token.startswith("&"):  # an entity is one character
        return 1
    return 2 * len(token) if WIDE.match(token) else len(token)  # a wide character is about two Latin ones
