"""Sweep one knob of an experiment over seeds: open-set AUC against the feature dimension, the number of classes
trained on, or A-softmax's m. `python -m sphere_toy sweep --knob classes --values 5 10 20 40 --seeds 3 --out DIR`.

Each value of the knob is one grid (every model of the line-up, every seed, one compiled call); the rows are plain
records and the figure draws each loss's mean ± sd over seeds with every seed's dot, next to the raw-input yardstick.
The question it answers on the identities data: why face models train on many identities and test with a cosine.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

import numpy as np
from matplotlib.figure import Figure

from sphere_toy import evaluate, margins
from sphere_toy.i18n import N_, _, ngettext
from sphere_toy.plots_style import fit_legend, model_colors, new_figure, styled
from sphere_toy.settings import LIMITS, Settings, canonical_tokens

# Each knob's name, marked for translation (shown with `_(KNOBS[knob])`).
KNOBS = {"dim": N_("feature dimension"), "classes": N_("classes trained on"), "m": N_("A-softmax margin m")}


@dataclass(frozen=True)
class SweepRow(evaluate.SeedAUCs):
    """One model at one value of the knob, over the run's seeds (its name for the m knob: "A-softmax")."""

    value: int
    input_auc: float | None  # the raw inputs' AUC on the same held-out classes (no net)


def settings_for(settings: Settings, knob: str, value: int) -> Settings:
    """The experiment with the knob at `value` (m: every A-softmax model of the line-up takes that m; held-out
    classes are kept within what the data allow). ValueError for an unknown knob or a value out of bounds."""
    if knob == "m":
        tokens = [t for t in settings.losses if margins.parse(t).loss != "asoftmax"]
        return settings.replace(losses=canonical_tokens(tokens + [margins.ModelSpec("asoftmax", value).token]))
    if knob not in KNOBS:
        raise ValueError(f"knob must be one of {', '.join(KNOBS)}, got {knob!r}")
    limit = LIMITS[knob]
    if (limit.choices and value not in limit.choices) or (not limit.choices and not limit.lo <= value <= limit.hi):
        raise ValueError(f"{knob} = {value} is outside what the app allows ({limit.choices or (limit.lo, limit.hi)})")
    probe = settings.replace(**{knob: value, "held_out": 0})
    return probe.replace(held_out=min(settings.held_out, probe.max_held_out()))


def sweep(settings: Settings, knob: str, values, train: Callable[[Settings], object]) -> list[SweepRow]:
    """Train the experiment at every value of the knob (with `train(settings) -> GridResult`) and read off each
    model's open-set AUC per seed."""
    rows = []
    for value in values:
        result = train(settings_for(settings, knob, int(value)))
        base = evaluate.input_open_set_report(result)
        for row in evaluate.seed_aucs(result):
            name = "A-softmax" if knob == "m" and margins.parse(row.token).loss == "asoftmax" else row.name
            rows.append(
                SweepRow(row.token, name, row.seeds, row.aucs, int(value), None if base is None else base["auc"])
            )
    return rows


def sweep_markdown(rows: list[SweepRow], knob: str) -> str:
    """The sweep as a Markdown table: per value, each model's AUC mean ± sd over seeds, and the raw inputs'."""
    values = list(dict.fromkeys(r.value for r in rows))
    names = list(dict.fromkeys(r.name for r in rows))
    cell = {(r.value, r.name): r for r in rows}
    head = "| " + " | ".join([_(KNOBS[knob]), *names, _("raw inputs")]) + " |"
    lines = [head, "|" + "---:|" * (len(names) + 2)]
    for v in values:
        cells = [cell[(v, n)].text if (v, n) in cell else "-" for n in names]
        base = next((r.input_auc for r in rows if r.value == v), None)
        lines.append(f"| {v} | " + " | ".join(cells) + f" | {'-' if base is None else f'{base:.3f}'} |")
    seeds = max((len(r.aucs) for r in rows), default=0)
    note = ngettext(
        "Open-set AUC (held-out classes, cosine), mean ± sd over {n} seed.",
        "Open-set AUC (held-out classes, cosine), mean ± sd over {n} seeds.",
        seeds,
    ).format(n=seeds)
    return "\n".join(lines) + f"\n\n{note}\n"


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
    import csv
    import pathlib

    from sphere_toy.plots_style import figure_png

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
