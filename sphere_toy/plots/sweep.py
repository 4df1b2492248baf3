"""The sweep's figure and files: each loss's open-set AUC against one knob over seeds (`analysis.sweep` measures it),
written with its table and CSV by `python -m sphere_toy sweep --out DIR`."""

from __future__ import annotations

import csv
import math
import pathlib

import numpy as np
from matplotlib.figure import Figure

from sphere_toy.analysis.sweep import KNOBS, SweepRow, sweep_markdown
from sphere_toy.core import margins
from sphere_toy.i18n import _
from sphere_toy.plots.layout import figure_png, fit_legend, new_figure
from sphere_toy.plots.style import model_colors, styled


@styled
def sweep_figure(rows: list[SweepRow], knob: str) -> Figure:
    """Each model's open-set AUC against the knob: every seed's dot, the mean joined by a line with ± 1 sd, and the
    raw inputs' AUC (dashed)."""
    names = list(dict.fromkeys(r.name for r in rows))
    specs = [margins.parse(next(r.token for r in rows if r.name == n)) for n in names]  # each series' colour
    colors = model_colors(specs)
    values = list(dict.fromkeys(r.value for r in rows))
    log = knob in ("classes", "dim") and max(values) / max(min(values), 1) >= 8
    fig = new_figure(9.5, 6.0)
    ax = fig.add_subplot()
    for k, (name, color) in enumerate(zip(names, colors)):
        mine = [r for r in rows if r.name == name and r.mean is not None]
        shift = (k - (len(names) - 1) / 2) * 0.025  # models side by side at each value, so their bars do not hide
        x = np.array([r.value for r in mine], float)
        x = x * (1 + shift) if log else x + shift * (max(values) - min(values) or 1)
        ax.errorbar(
            x,
            [r.mean for r in mine],
            yerr=[r.sd or 0 for r in mine],
            color=color,
            lw=2.4,
            capsize=5,
            marker="o",
            ms=7,
            label=name,
        )
        for xi, r in zip(x, mine):
            finite = [a for a in r.aucs if a is not None]
            ax.scatter([xi] * len(finite), finite, color=color, s=14, alpha=0.5, zorder=3)
    base = [(r.value, r.input_auc) for r in rows if r.input_auc is not None]
    if base:
        xs, ys = zip(*sorted(dict(base).items()))
        ax.plot(xs, ys, color="0.35", ls="--", lw=2, marker="s", label=_("raw inputs, no net"))
    if log:
        ax.set_xscale("log")
    ax.set_xticks(values, [str(v) for v in values])
    ax.minorticks_off()
    ax.set(
        xlabel=_(KNOBS[knob]),
        ylabel=_("open-set AUC (held-out classes)"),
        title=_("Open-set verification against the {knob}").format(knob=_(KNOBS[knob])),
    )
    fit_legend(
        fig, ax.get_legend_handles_labels()[0], loc="outside lower center", ncol=min(4, len(names) + 1), frameon=False
    )
    return fig


def write_sweep(rows: list[SweepRow], knob: str, out_dir) -> list:
    """sweep.md, sweep.csv and sweep.png in `out_dir`; returns their paths."""
    out = pathlib.Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    (out / "sweep.md").write_text(f"# Sweep: {KNOBS[knob]}\n\n" + sweep_markdown(rows, knob), encoding="utf-8")
    with open(out / "sweep.csv", "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow([knob, "model", "seed_index", "open_set_auc", "input_open_set_auc"])
        for r in rows:
            for i, a in enumerate(r.aucs):
                writer.writerow(
                    [
                        r.value,
                        r.name,
                        i,
                        "" if a is None or math.isnan(a) else f"{a:.4f}",
                        "" if r.input_auc is None else f"{r.input_auc:.4f}",
                    ]
                )
    (out / "sweep.png").write_bytes(figure_png(sweep_figure(rows, knob)))
    return [out / "sweep.md", out / "sweep.csv", out / "sweep.png"]
