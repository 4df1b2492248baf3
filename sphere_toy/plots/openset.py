"""The open-set lab: verification of identities never trained on, for each loss, over seeds, against the raw inputs.

SphereFace's point (Liu et al. 2017, Sec. 1 and Fig. 1): a network trained to classify the identities it knows gives
features that verify, by cosine similarity, people it never saw. The figures here show that on the held-out classes:
the same-class and different-class pair angles for each loss next to the raw inputs (no net at all), and each loss's
AUC over every seed of the run (`evaluate.seed_aucs`), so "does the margin help?" comes with its uncertainty. The
sentences of `lab_text` are written from those numbers, never canned.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from sphere_toy.analysis import evaluate
from sphere_toy.core import margins
from sphere_toy.analysis import metrics
from sphere_toy.i18n import _, ngettext, sentences
from sphere_toy.plots.layout import fit_legend, narrow_screen, new_figure, panel_columns
from sphere_toy.plots.style import NEGATIVE_COLOR, POSITIVE_COLOR, model_colors, styled

YARDSTICK = "0.35"  # the raw inputs' colour


def yardstick(ax, base: dict | None) -> list:
    """The raw inputs' open-set AUC (`evaluate.input_open_set_report`) as a dashed line across `ax`; its legend entry
    (none without a report)."""
    if base is None or base["auc"] is None:
        return []
    ax.axhline(base["auc"], color=YARDSTICK, ls="--", lw=2.2)
    label = _("raw inputs, no net: {auc}").format(auc=f"{base['auc']:.3f}")
    return [Line2D([], [], color=YARDSTICK, ls="--", lw=2.2, label=label)]


@styled
def seed_auc_figure(result) -> Figure:
    """Open-set AUC of every model of the line-up: one dot per seed, the mean as a bar with ± 1 sd, and the raw-input
    yardstick as a dashed line."""
    rows = evaluate.seed_aucs(result)
    first = [next(g for g, s in enumerate(result.specs) if s.token == row.token) for row in rows]
    colors = model_colors([result.specs[g] for g in first])
    fig = new_figure(max(7.5, 1.5 * len(rows) + 3), 5.6)
    ax = fig.add_subplot()
    rng = np.random.default_rng(0)  # jitter only: where a dot is drawn across its column
    for i, (row, color) in enumerate(zip(rows, colors)):
        if row.mean is None:
            ax.text(i, 0.55, _("diverged"), ha="center", rotation=90, color="#d62728")
            continue
        ax.bar(i, row.mean, width=0.6, color=color, alpha=0.28, edgecolor=color, lw=2)
        if row.sd is not None:
            ax.errorbar(i, row.mean, yerr=row.sd, color="black", capsize=8, lw=2, zorder=3)
        ax.scatter(
            i + rng.uniform(-0.15, 0.15, len(row.finite)), row.finite, color=color, edgecolor="black", s=55, zorder=4
        )
    base = evaluate.input_open_set_report(result)
    handles = [
        Line2D([], [], ls="", marker="o", mfc="0.6", mec="black", ms=8, label=_("one seed")),
        Patch(facecolor="0.85", edgecolor="0.4", label=_("mean over seeds")),
        Line2D([], [], color="black", lw=2, label=_("± 1 sd")),
    ]
    handles += yardstick(ax, base)
    finite = [a for row in rows for a in row.finite] + ([base["auc"]] if base and base["auc"] else [])
    low = min(finite, default=0.5)
    ax.set(
        xticks=range(len(rows)),
        xlim=(-0.6, len(rows) - 0.4),
        ylim=(max(0.0, low - 0.08), 1.0),
        ylabel=_("open-set AUC (held-out classes)"),
    )
    ax.set_xticklabels([_display(row).replace(" m=", "\nm=") for row in rows])
    if narrow_screen():  # a phone: six names side by side would run into each other
        ax.tick_params(axis="x", labelrotation=60)
        for label in ax.get_xticklabels():
            label.set_horizontalalignment("right")
            label.set_rotation_mode("anchor")
    seeds = len(rows[0].seeds) if rows else 0
    ax.set_title(
        ngettext(
            "Verification of classes never trained on, {n} seed",
            "Verification of classes never trained on, {n} seeds",
            seeds,
        ).format(n=seeds)
    )
    fit_legend(fig, handles, loc="outside lower center", ncol=len(handles), frameon=False)
    return fig


@styled
def open_pairs_figure(result, *, bins: int = 36) -> Figure:
    """Pair angles on the held-out classes: same class vs different class, for each model (first seed) and for the
    raw inputs, with the threshold chosen on training classes. Where the two humps part, verification works."""
    view = evaluate.first_seed(result)
    data = view.data
    panels = [(g, view.specs[g].display_name) for g in range(len(view.specs))] + [(None, _("raw inputs, no net"))]
    cols = panel_columns(len(panels), blocks=1, title_lines=2, title_chars=24)
    lines = -(-len(panels) // cols)
    fig = new_figure(3.6 * cols + 0.5, 3.3 * lines + 1.3)
    edges = np.linspace(0, 180, bins + 1)
    colors = model_colors(view.specs) + [YARDSTICK]
    for i, (g, name) in enumerate(panels):
        ax = fig.add_subplot(lines, cols, i + 1, sharey=fig.axes[0] if fig.axes else None)
        if g is not None and view.diverged(g):
            ax.set_axis_off()
            ax.set_title(f"{name}\n" + _("diverged"), color="#d62728")
            continue
        feats = data.x_open if g is None else view.open_features[g]
        report = evaluate.input_open_set_report(view) if g is None else evaluate.open_set_report(view, g)
        same, different = (np.degrees(t) for t in metrics.pair_angles(feats, data.y_open))
        for theta, color in ((same, POSITIVE_COLOR), (different, NEGATIVE_COLOR)):
            ax.hist(theta, bins=edges, density=True, color=color, alpha=0.45)
            ax.hist(theta, bins=edges, density=True, histtype="step", color=color, lw=2)
        auc = "" if report is None or report["auc"] is None else f"AUC {report['auc']:.3f}"
        if report is not None:
            ax.axvline(np.degrees(np.arccos(np.clip(report["threshold"], -1, 1))), color=colors[i], lw=2.4, ls="--")
        ax.set_title(f"{name}\n{auc}", fontsize=11)
        ax.set_xticks([0, 45, 90, 135, 180])
        ax.tick_params(labelleft=i % cols == 0)
        if i // cols == lines - 1:
            ax.set_xlabel(_("pair angle (°)"))
    handles = [
        Patch(color=POSITIVE_COLOR, alpha=0.5, label=_("same held-out class")),
        Patch(color=NEGATIVE_COLOR, alpha=0.5, label=_("different held-out classes")),
        Line2D([], [], color="0.3", lw=2.4, ls="--", label=_("threshold chosen on training classes")),
    ]
    fit_legend(fig, handles, loc="outside lower center", ncol=3, frameon=False)
    fig.suptitle(_("Pairs of the {n} held-out classes: angle between the two features").format(n=data.n_open_classes))
    return fig


def lab_text(result) -> str | None:
    """What the run's open-set numbers say, in Markdown sentences written from them: every loss against the raw
    inputs over all seeds, and each margin against its loss without it (seed by seed). None without an open set."""
    rows = [row for row in evaluate.seed_aucs(result) if row.mean is not None]
    base = evaluate.input_open_set_report(result)
    if not rows:
        return None
    n = len(rows[0].seeds)
    best = max(rows, key=lambda r: r.mean)
    parts = [
        (
            _("Best mean open-set AUC over {n} seeds: **{model}**, {auc}.")
            if n > 1
            else _(
                "Best mean open-set AUC on this seed (set *Seeds per model* above 1 to see the spread): "
                "**{model}**, {auc}."
            )
        ).format(n=n, model=_display(best), auc=best.text)
    ]
    if base is not None and base["auc"] is not None:
        yard = base["auc"]
        above = [r for r in rows if min(r.finite) > yard]
        below = [r for r in rows if max(r.finite) < yard]
        numbers = {"auc": f"{yard:.3f}", "dim": result.train_features.shape[-1], "k": result.data.n_classes}
        if len(above) == len(rows):
            parts.append(
                _(
                    "Every loss beats cosine on the raw inputs ({auc}) on every seed: {dim} features learnt "
                    "on {k} classes carry over to classes never seen."
                ).format(**numbers)
            )
        elif len(below) == len(rows):
            parts.append(
                _(
                    "Cosine on the raw inputs ({auc}) beats every loss on every seed: {dim} features learnt "
                    "on {k} classes keep what separates those classes and little else. Face models learn "
                    "from thousands of identities; try the *Open-set identities* preset, or more classes "
                    "and features."
                ).format(**numbers)
            )
        else:
            parts.append(
                _(
                    "Against cosine on the raw inputs ({auc}): {above} above it on every seed, {below} below "
                    "it on every seed, the rest on both sides."
                ).format(auc=numbers["auc"], above=_names(above) or _("no loss"), below=_names(below) or _("no loss"))
            )
    for effect in evaluate.margin_effects(result):
        if len(effect.diffs) < 2:
            verdict = _("one seed cannot tell a margin from chance")
        elif effect.consistent:
            verdict = _("the same sign on every seed: a consistent effect on this data")
        else:
            verdict = (
                _("higher on average, but the seeds disagree ({higher} of {n} higher): within the noise")
                if effect.mean > 0
                else _("lower on average, but the seeds disagree ({higher} of {n} higher): within the noise")
            ).format(higher=effect.higher, n=len(effect.diffs))
        # The records' English model names: the loss names are the same in every language.
        values = {
            "model": effect.name,
            "baseline": effect.baseline,
            "diff": f"{effect.mean:+.3f}",
            "sd": "" if effect.sd is None else f"{effect.sd:.3f}",
            "verdict": verdict,
        }
        parts.append(
            (
                _("{model} vs {baseline}: {diff} AUC (sd {sd}); {verdict}.")
                if effect.sd is not None
                else _("{model} vs {baseline}: {diff} AUC; {verdict}.")
            ).format(**values)
        )
    return sentences(parts)


def _display(row) -> str:
    """A row's model name in the current language (`ModelSpec.display_name`, from its token)."""
    return margins.parse(row.token).display_name


def _names(rows) -> str:
    # TRANSLATORS: what goes between two items of a list ("softmax, M-softmax").
    return _(", ").join(_display(r) for r in rows)
