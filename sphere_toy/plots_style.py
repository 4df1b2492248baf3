"""Shared look of every sphere_toy figure: class and model colours, projector-sized fonts, PNG export.

Figures are built with `matplotlib.figure.Figure` and the Agg canvas, never `pyplot`: pyplot keeps every figure in a
global registry, which leaks in a long-running server (the Streamlit app).
"""

from __future__ import annotations

import functools
import io
import threading

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

# Sizes for a projector: nothing below 10 pt, lines thick enough to see from the back of a room.
STYLE = {
    "font.size": 12, "axes.titlesize": 13, "axes.labelsize": 12, "xtick.labelsize": 11, "ytick.labelsize": 11,
    "legend.fontsize": 11, "figure.titlesize": 15, "lines.linewidth": 2.2, "axes.linewidth": 1.0,
    "axes.spines.top": False, "axes.spines.right": False, "hatch.linewidth": 0.9, "hatch.color": "#555555",
    "figure.dpi": 100,
}
# rcParams are process-global and matplotlib is not thread-safe; Streamlit runs sessions in threads.
_LOCK = threading.RLock()

# tab10, except that its grey (index 7) is swapped for a dark indigo: grey means "held-out class" here.
_TAB10 = [to_hex(c) for c in matplotlib.colormaps["tab10"].colors]
_TAB10[7] = "#393b79"
_EXTRA = [to_hex(c) for c in matplotlib.colormaps["tab20b"].colors[2::4]]  # more, for K > 10
POSITIVE_COLOR, NEGATIVE_COLOR = "#1d4e89", "#d94801"  # positive / negative pairs (not class colours)
OVERLAP_COLOR, GAP_COLOR = "#d62728", "#2ca02c"


def styled(fn):
    """Run a figure builder under the lock with the projector style (used as a decorator)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with _LOCK, matplotlib.rc_context(STYLE):
            return fn(*args, **kwargs)
    return wrapper


def class_colors(n_classes: int, n_open: int = 0) -> list:
    """One fixed colour per label: trained classes 0..K-1 in tab10 order, held-out classes K..K+H-1 in greys.

    Index the list by label, so class 3 has the same colour in every figure. Hex strings (matplotlib and plotly).
    """
    trained = [(_TAB10 + _EXTRA)[i % (len(_TAB10) + len(_EXTRA))] for i in range(n_classes)]
    greys = [to_hex((v, v, v)) for v in np.linspace(0.25, 0.62, n_open)] if n_open else []
    return trained + greys


def result_colors(result) -> list:
    return class_colors(result.data.n_classes, result.data.n_open_classes)


def model_colors(specs) -> list:
    """One colour per model, unlike any class colour: softmax black, M-softmax slate, A-softmax by m on plasma.

    Models that differ only by seed share a colour (their labels say the seed).
    """
    max_m = max([s.m for s in specs] + [2])
    cmap = matplotlib.colormaps["plasma"]
    out = []
    for s in specs:
        if s.loss == "softmax":
            out.append("#111111")
        elif s.loss == "msoftmax" or s.m == 1:
            out.append("#6b7f99")
        else:
            out.append(to_hex(cmap(0.5 * (s.m - 2) / max(max_m - 2, 1))))  # dark indigo .. magenta
    return out


def model_label(result, g: int) -> str:
    """The model's name, with its seed when the grid has several seeds."""
    spec = result.specs[g]
    return spec.name + (f" (seed {spec.seed})" if len({s.seed for s in result.specs}) > 1 else "")


def model_slug(result, g: int) -> str:
    """A file-name-safe model name: "softmax", "m-softmax", "a-softmax-m4", "...-seed1"."""
    spec = result.specs[g]
    slug = {"softmax": "softmax", "msoftmax": "m-softmax", "asoftmax": f"a-softmax-m{spec.m}"}[spec.loss]
    return slug + (f"-seed{spec.seed}" if len({s.seed for s in result.specs}) > 1 else "")


def diverged_message(result, g: int) -> str:
    return f"training diverged at step {int(result.nan_step[g])}; lower the learning rate or raise λ_min"


def check_trained(result, g: int) -> None:
    """Raise ValueError for a diverged model: its features must never be drawn as if they were fine."""
    if result.diverged(g):
        raise ValueError(diverged_message(result, g))


def feature_dim(result) -> int:
    return result.train_features.shape[-1]


def message_panel(ax, title: str, text: str) -> None:
    """An empty panel that says why there is no plot (a diverged model, no held-out classes)."""
    ax.set_axis_off()
    ax.set_title(title)
    ax.text(0.5, 0.5, text.replace("; ", ";\n"), ha="center", va="center", transform=ax.transAxes, wrap=True,
            fontsize=12, color=OVERLAP_COLOR, bbox={"boxstyle": "round", "fc": "#fff5f5", "ec": OVERLAP_COLOR})


def new_figure(width: float, height: float) -> Figure:
    """A pyplot-free figure with an Agg canvas and constrained layout (nothing clipped, no overlaps)."""
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


@styled
def figure_png(fig: Figure, dpi: int = 120, max_width_px: int = 2000) -> bytes:
    """The figure as PNG bytes; the figure is cleared afterwards (its memory freed: do not reuse it).

    At most `max_width_px` wide (the dpi is lowered for very wide figures such as the comparison): sharp on a
    projector or a slide, and no time spent drawing pixels that no screen shows.
    """
    buf = io.BytesIO()
    dpi = min(dpi, max_width_px / fig.get_figwidth())
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", bbox_inches="tight", pad_inches=0.15)
    fig.clear()
    return buf.getvalue()


def unit_rows(x) -> np.ndarray:
    """Rows scaled to length 1 (points projected onto the unit circle/sphere); zero rows stay zero."""
    x = np.asarray(x, dtype=np.float64)
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0)
