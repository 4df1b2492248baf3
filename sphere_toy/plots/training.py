"""Training over time: loss / accuracy / λ curves, and the feature animation (one frame per snapshot, and a GIF)."""

from __future__ import annotations

import io

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullLocator

from sphere_toy.data import shown_class_name
from sphere_toy.i18n import _, ngettext
from sphere_toy.plots.sphere import draw_sphere, unit_weights
from sphere_toy.plots.plotly_sphere import plotly_unit_sphere
from sphere_toy.plots.layout import fit_legend, narrow_screen, new_figure, plotly_sizes, side_by_side
from sphere_toy.plots.style import (
    check_trained,
    class_legend,
    feature_dim,
    model_colors,
    model_label,
    needs_drawable,
    result_colors,
    styled,
    unit_rows,
)


def _smooth(values: np.ndarray, window: int) -> np.ndarray:
    """Trailing moving average (shorter windows at the start), so a noisy per-step curve can be read."""
    c = np.concatenate([[0.0], np.cumsum(values, dtype=np.float64)])
    i = np.arange(1, len(values) + 1)
    lo = np.maximum(i - window, 0)
    return (c[i] - c[lo]) / (i - lo)


@styled
def training_figure(result) -> Figure:
    """Loss (log scale), minibatch accuracy and λ against the step, one line per model, lightly smoothed."""
    steps, hist = result.history["step"], result.history
    window = max(1, len(steps) // 60)
    colors = model_colors(result.specs)
    narrow = narrow_screen()  # a phone: the three panels one under another
    fig = new_figure(6.5, 13) if narrow else new_figure(16, 5.4)
    ax_loss, ax_acc, ax_lam = side_by_side(fig, 3)
    handles = []
    for g, spec in enumerate(result.specs):
        end = int(result.nan_step[g]) if result.diverged(g) else len(steps)  # nothing after the first bad step
        label = (
            _("{model} — diverged at step {step}").format(model=model_label(result, g), step=end)
            if result.diverged(g)
            else model_label(result, g)
        )
        style = {"color": colors[g], "ls": spec.linestyle, "lw": 2.4}
        for ax, key in ((ax_loss, "loss"), (ax_acc, "train_acc")):
            ax.plot(steps[:end], _smooth(hist[key][g, :end], window), **style)
            if result.diverged(g):
                ax.plot(
                    steps[max(end - 1, 0)],
                    _smooth(hist[key][g, : max(end, 1)], window)[-1],
                    "X",
                    ms=13,
                    color="#d62728",
                    mec="black",
                )
        handles.append(Line2D([], [], label=label, **style))
    ax_loss.set(yscale="log", xlabel=_("step"), ylabel=_("loss"), title=_("training loss"))
    ax_acc.set(xlabel=_("step"), ylabel=_("minibatch accuracy"), title=_("training accuracy"), ylim=(0, 1.02))
    annealed = [g for g, s in enumerate(result.specs) if s.anneals]
    if annealed:
        lam = hist["lambda"][annealed[0]]
        ok = np.isfinite(lam) & (lam > 0)
        ax_lam.plot(steps[ok], lam[ok], color="#7b3294", lw=2.8)  # one schedule, the same for every annealed model
        ax_lam.axhline(1.0, color="0.4", ls=":", lw=1.8)
        # TRANSLATORS: between two loss names.
        names = _(" and ").join(sorted({_(result.specs[g].kind.label) for g in annealed}))
        ax_lam.set(
            yscale="log",
            xlabel=_("step"),
            ylabel="λ",  # the dotted line named in the title: it crosses it
            title=_("λ, for {losses} with a margin\ndotted: λ = 1, half without, half with it").format(losses=names),
        )
    else:
        ax_lam.set_axis_off()
        ax_lam.text(
            0.5, 0.5, _("no model here anneals:\nno λ schedule"), ha="center", va="center", transform=ax_lam.transAxes
        )
    for ax in (ax_loss, ax_lam):  # decades are enough to read a log axis; its minor ticks cost half the drawing time
        ax.yaxis.set_minor_locator(NullLocator())
    fit_legend(fig, handles, loc="outside lower center", ncol=min(len(handles), 2 if narrow else 6), frameon=False)
    fig.suptitle(
        ngettext(
            "Training curves (moving average over {n} step)", "Training curves (moving average over {n} steps)", window
        ).format(n=window)
    )
    return fig


def _snapshot_lambda(result, g: int, step: int) -> str:
    spec = result.specs[g]
    if not spec.anneals:
        if spec.kind.margin is None:
            return _("no margin")
        return _("margin {m}").format(m=spec.margin_text.removeprefix("m="))
    lam = result.history["lambda"][g]
    return f"λ = {lam[min(step, len(lam) - 1)]:.3g}"


@styled
def snapshot_figure(result, g: int, index: int, *, _limit: float | None = None) -> Figure:
    """Frame `index` of model g's training animation: the features of the followed training samples at step
    `result.snapshot_steps[index]`. 2-D: directions on the unit circle and raw features; 3-D: on the sphere.
    Axis limits are fixed over all frames, so the motion is what changes."""
    check_trained(result, g)
    needs_drawable(result, "snapshot_figure")
    feats = result.snapshots[g, index]
    labels = result.data.y_train[result.snapshot_index]
    colors = np.array(result_colors(result))[labels]
    title = _snapshot_title(result, g, index)
    k = result.data.n_classes
    handles = class_legend(result, held_out=False)
    if feature_dim(result) == 3:
        fig = new_figure(7.5, 6.6)
        ax = fig.add_subplot(projection="3d")
        draw_sphere(ax, result, g, feats, labels, weights=False)
        fig.legend(handles=handles, loc="outside right center", frameon=False)
        fig.suptitle(title)
        return fig
    fig = new_figure(6.5, 11) if narrow_screen() else new_figure(12, 6.2)
    ax_dir, ax_raw = side_by_side(fig, 2)
    t = np.linspace(0, 2 * np.pi, 361)
    ax_dir.plot(np.cos(t), np.sin(t), color="0.6", lw=1.0)
    for j, w in enumerate(unit_weights(result, g).T):  # where the classes end up: the final weight directions
        ax_dir.plot([0, 1.25 * w[0]], [0, 1.25 * w[1]], color=result_colors(result)[j], ls=":", lw=2)
    ax_dir.scatter(*unit_rows(feats).T, c=colors, s=22, alpha=0.6, lw=0)
    ax_dir.set(
        xlim=(-1.35, 1.35),
        ylim=(-1.35, 1.35),
        aspect="equal",
        xticks=[-1, 0, 1],
        yticks=[-1, 0, 1],
        title=_("directions x/‖x‖ (dotted: final W_j)"),
    )
    limit = _limit if _limit is not None else _snapshot_limit(result, g)
    ax_raw.scatter(*feats.T, c=colors, s=16, alpha=0.75, lw=0)
    ax_raw.axhline(0, color="0.6", lw=0.6)
    ax_raw.axvline(0, color="0.6", lw=0.6)
    ax_raw.set(
        xlim=(-limit, limit),
        ylim=(-limit, limit),
        aspect="equal",
        title=_("raw features x"),
        xlabel=_("feature 1"),
        ylabel=_("feature 2"),
    )
    fit_legend(fig, handles, loc="outside lower center", ncol=min(k, 6), frameon=False)
    fig.suptitle(title)
    return fig


def _snapshot_limit(result, g: int) -> float:
    """One half-width for every frame of model g (from all frames), so that growth and motion stay visible."""
    return 1.1 * float(np.percentile(np.abs(result.snapshots[g]), 99.8))


def _gif_palette(colors):
    """A fixed GIF palette: each class colour at a few strengths over white (for antialiased edges and alpha), and
    greys. An adaptive palette would merge small patches of similar colours (two classes in one colour)."""
    from PIL import Image

    rgb = np.array([[int(c[i : i + 2], 16) for i in (1, 3, 5)] for c in colors], dtype=float)
    shades = [255 - t * (255 - rgb) for t in (1.0, 0.8, 0.6, 0.4, 0.2)]
    greys = np.repeat(np.linspace(0, 255, 18)[:, None], 3, axis=1)
    table = np.concatenate(shades + [greys]).round().astype(np.uint8)[:256]
    pal = Image.new("P", (1, 1))
    pal.putpalette(table.ravel().tolist() + [0] * (768 - table.size))
    return pal


@styled  # the frames are drawn here, so the figure language's font must be in force here too
def snapshots_gif(result, g: int, *, fps: int = 6, dpi: int = 80) -> bytes:
    """Model g's training animation as GIF bytes (one frame per snapshot, looping), small enough for a browser."""
    from PIL import Image

    check_trained(result, g)
    needs_drawable(result, "snapshots_gif")
    limit = _snapshot_limit(result, g)
    palette = _gif_palette(result_colors(result))
    frames = []
    for index in range(len(result.snapshot_steps)):
        fig = snapshot_figure(result, g, index, _limit=limit)
        fig.set_dpi(dpi)
        fig.canvas.draw()
        rgb = Image.frombuffer("RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba()).convert("RGB")
        frames.append(rgb.quantize(palette=palette, dither=Image.Dither.NONE))
        fig.clear()
    buf = io.BytesIO()
    durations = [1000 // fps] * (len(frames) - 1) + [1500]  # rest on the final state before looping
    frames[0].save(
        buf,
        format="GIF",
        save_all=True,
        append_images=frames[1:],
        duration=durations,
        loop=0,
        optimize=False,
        disposal=1,
    )
    return buf.getvalue()


def snapshots_plotly(result, g: int):
    """Model g's training animation for the browser (plotly): a step slider and a play button that run on the
    client, so scrubbing and playing cost the server nothing. 3-D: the features on the unit sphere; 2-D: the raw
    features (fixed limits over all frames) beside their directions on the unit circle. One trace per class."""
    import plotly.graph_objects as go  # imported here: only the app needs plotly
    from plotly.subplots import make_subplots

    check_trained(result, g)
    needs_drawable(result, "snapshots_plotly")
    labels = result.data.y_train[result.snapshot_index]
    classes, colors = range(result.data.n_classes), result_colors(result)
    three_d = feature_dim(result) == 3
    limit = _snapshot_limit(result, g)

    def traces(index: int) -> list:
        feats = result.snapshots[g, index]
        out = []
        for j in classes:
            mine = feats[labels == j]
            marker = {"color": colors[j], "size": 3 if three_d else 5, "opacity": 0.8}
            name, group = shown_class_name(result.data.class_names[j]), str(j)
            if three_d:
                p = np.round(unit_rows(mine), 3)
                out.append(
                    go.Scatter3d(
                        x=p[:, 0], y=p[:, 1], z=p[:, 2], mode="markers", marker=marker, name=name, legendgroup=group
                    )
                )
            else:
                raw, unit = np.round(mine, 3), np.round(unit_rows(mine), 3)
                out.append(
                    go.Scatter(
                        x=raw[:, 0],
                        y=raw[:, 1],
                        mode="markers",
                        marker=marker,
                        name=name,
                        legendgroup=group,
                        xaxis="x",
                        yaxis="y",
                    )
                )
                out.append(
                    go.Scatter(
                        x=unit[:, 0],
                        y=unit[:, 1],
                        mode="markers",
                        marker=marker,
                        name=name,
                        legendgroup=group,
                        showlegend=False,
                        xaxis="x2",
                        yaxis="y2",
                    )
                )
        return out

    steps = [int(s) for s in result.snapshot_steps]
    names = [f"step {s}" for s in steps]  # frame ids (plotly's), not shown
    height, text = plotly_sizes()
    if three_d:  # the sphere goes after the class traces, which are the ones the frames replace
        fig = go.Figure(traces(len(steps) - 1) + [plotly_unit_sphere()])
        axis = {"range": [-1.1, 1.1], "tickvals": [-1, 0, 1], "title": ""}
        fig.update_layout(scene={"xaxis": axis, "yaxis": axis, "zaxis": axis, "aspectmode": "cube"})
    else:
        fig = make_subplots(1, 2, subplot_titles=(_("raw features x"), _("directions x/‖x‖")), horizontal_spacing=0.08)
        t = np.linspace(0, 2 * np.pi, 121)
        circle = go.Scatter(
            x=np.round(np.cos(t), 3),
            y=np.round(np.sin(t), 3),
            mode="lines",
            hoverinfo="skip",
            line={"color": "#9aa5b1", "width": 1},
            showlegend=False,
            xaxis="x2",
            yaxis="y2",
        )
        for trace in traces(len(steps) - 1) + [circle]:  # the circle after the class traces, which frames replace
            fig.add_trace(trace)
        fig.update_xaxes(range=[-limit, limit], col=1)
        fig.update_yaxes(range=[-limit, limit], scaleanchor="x", col=1)
        fig.update_xaxes(range=[-1.3, 1.3], col=2)
        fig.update_yaxes(range=[-1.3, 1.3], scaleanchor="x2", col=2)
        fig.update_annotations(font_size=round(text))  # the subplot titles
    fig.frames = [
        go.Frame(data=traces(i), name=name, layout={"title": {"text": _snapshot_title(result, g, i)}})
        for i, name in enumerate(names)
    ]
    # From the first frame every time: the chart opens on the last one (the result), and Play replays training.
    # redraw: each frame carries its title (step and λ) in its layout, which plotly applies only on a full redraw;
    # without it the 2-D title stayed on the last step while the points moved.
    play = {"frame": {"duration": 250, "redraw": True}, "transition": {"duration": 0}, "mode": "immediate"}
    fig.update_layout(
        title={"text": _snapshot_title(result, g, len(steps) - 1), "font": {"size": round(1.15 * text)}},
        margin={"l": 10, "r": 10, "t": round(4 * text), "b": round(6 * text)},
        height=height,
        font={"size": round(text)},
        legend={"itemsizing": "constant", "font": {"size": round(text)}},
        updatemenus=[
            {
                "type": "buttons",
                "direction": "left",
                "x": 0.0,
                "y": -0.1,
                "xanchor": "left",
                "yanchor": "top",
                "buttons": [
                    {"label": _("▶ Play"), "method": "animate", "args": [names, play]},
                    {
                        "label": _("❚❚ Pause"),
                        "method": "animate",
                        "args": [[None], {"mode": "immediate", "frame": {"duration": 0}}],
                    },
                ],
            }
        ],
        sliders=[
            {
                "active": len(steps) - 1,
                "x": 0.16,
                "len": 0.84,
                "y": -0.1,
                "yanchor": "top",
                "currentvalue": {"prefix": _("training ")},
                "steps": [
                    {
                        "label": str(s),
                        "method": "animate",
                        "args": [[name], {"mode": "immediate", "frame": {"duration": 0, "redraw": True}}],
                    }
                    for s, name in zip(steps, names)
                ],
            }
        ],
    )
    return fig


def _snapshot_title(result, g: int, index: int) -> str:
    step = int(result.snapshot_steps[index])
    return _("{model} — step {step} of {last}, {state}").format(
        model=model_label(result, g),
        step=step,
        last=int(result.snapshot_steps[-1]),
        state=_snapshot_lambda(result, g, step),
    )
