"""Separation against transfer: does a loss that separates the trained classes more verify new ones better?

Kornblith, Chen, Lee and Norouzi ("Why Do Better Loss Functions Lead to Less Transferable Features?", NeurIPS 2021)
measured on ImageNet that losses which separate the training classes more (their class separation R², the notes' LDA
idea: `metrics.class_separation`) give features that transfer worse to new classes. The open-set lab asks the same
of the run on screen: one dot per model and seed, class separation on the closed-set test features against open-set
AUC on the held-out classes, and sentences (`transfer_text`) written from those numbers, whichever way they point.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sphere_toy.analysis import evaluate, metrics
from sphere_toy.core import margins
from sphere_toy.i18n import _, sentences
from sphere_toy.plots.layout import fit_legend, new_figure
from sphere_toy.plots.openset import yardstick
from sphere_toy.plots.style import model_colors, styled

MIN_POINTS = 8  # models × seeds below which the sentences relate nothing (the default run has 4 of them)
SIGNIFICANT = 0.05  # a rank correlation is read as a relation only when shuffling the AUCs beats it this rarely
SHUFFLES = 2000


def shuffle_p(xs, ys, rho: float, *, seed: int = 0) -> float:
    """Two-sided permutation p-value of Spearman's ρ: the share of random pairings of `ys` with `xs` whose |ρ| is at
    least |rho| (seeded, so a run's sentence never changes), on `metrics.ranks` as `metrics.rank_correlation` is."""
    rx, ry = metrics.ranks(xs), metrics.ranks(ys)
    shuffled = np.random.default_rng(seed).permuted(np.tile(ry, (SHUFFLES, 1)), axis=1)
    rx, shuffled = rx - rx.mean(), shuffled - shuffled.mean(axis=1, keepdims=True)
    rhos = shuffled @ rx / (np.linalg.norm(shuffled, axis=1) * np.linalg.norm(rx))
    return float((np.sum(np.abs(rhos) >= abs(rho) - 1e-12) + 1) / (SHUFFLES + 1))


def points(result) -> list[tuple[str, float, float, float | None]]:
    """(model token, class separation, open-set AUC, rank-1 identification) of every model and seed that trained and
    has an open set to measure, in grid order."""
    out = []
    for g, spec in enumerate(result.specs):
        rec = evaluate.record(result, g)
        if rec.ok and rec.class_separation is not None and rec.open_set_auc is not None:
            out.append((spec.token, rec.class_separation, rec.open_set_auc, rec.open_set_rank1))
    return out


@styled
def transfer_figure(result) -> Figure:
    """Open-set AUC (held-out classes) against class separation R² (closed-set test features): one dot per model
    and seed, coloured by model; the raw inputs' AUC as a dashed line."""
    found = points(result)
    tokens = list(dict.fromkeys(token for token, *_rest in found))
    # each model's colour in every figure, from the whole line-up (a model that diverged does not shift the others')
    colors = dict(reversed(list(zip((s.token for s in result.specs), model_colors(result.specs)))))
    fig = new_figure(9.0, 5.4)
    ax = fig.add_subplot()
    for token in tokens:
        xs = [x for t, x, _y, _r in found if t == token]
        ys = [y for t, _x, y, _r in found if t == token]
        ax.scatter(xs, ys, s=70, color=colors[token], edgecolor="black", zorder=3)
    handles = [
        Line2D([], [], ls="", marker="o", ms=9, mfc=colors[t], mec="black", label=margins.parse(t).display_name)
        for t in tokens
    ]
    handles += yardstick(ax, evaluate.input_open_set_report(result))
    ax.set(
        xlabel=_("class separation R² of the trained classes (test features)"),
        ylabel=_("open-set AUC (held-out classes)"),
    )
    ax.grid(alpha=0.3)
    ax.set_title(_("Separating the trained classes against verifying new ones: one dot per model and seed"))
    fit_legend(fig, handles, loc="outside lower center", ncol=len(handles), frameon=False)
    return fig


def transfer_text(result) -> str | None:
    """What the run says about separation and transfer, in sentences from its numbers: the rank correlation over
    every model and seed, read as a relation only with at least MIN_POINTS of them and a shuffle p-value under
    SIGNIFICANT; then identification beside verification, each model's mean over its seeds. None without an open
    set."""
    found = points(result)
    if not found:
        return None
    parts = []
    xs, ys = [x for _t, x, _y, _r in found], [y for _t, _x, y, _r in found]
    rho = metrics.rank_correlation(xs, ys)
    if len(found) < MIN_POINTS or rho is None:
        parts.append(
            _(
                "{n} models and seeds are too few to relate class separation to open-set AUC: set *Seeds per "
                "model* to 5."
            ).format(n=len(found))
        )
    else:
        p = shuffle_p(xs, ys, rho)
        values = {"n": len(found), "rho": f"{rho:+.2f}", "p": f"{p:.3f}"}
        if p >= SIGNIFICANT:
            text = _(
                "Over the run's {n} models and seeds, class separation and open-set AUC have a rank correlation of "
                "{rho}, which shuffled AUCs reach as often as p = {p}: no clear relation on this run."
            )
        elif rho < 0:
            text = _(
                "Over the run's {n} models and seeds, class separation and open-set AUC have a rank correlation of "
                "{rho} (p = {p} by shuffling): on this run, the models that separated their training classes more "
                "verified classes they never saw worse, as Kornblith et al. (NeurIPS 2021) found for losses on "
                "ImageNet."
            )
        else:
            text = _(
                "Over the run's {n} models and seeds, class separation and open-set AUC have a rank correlation of "
                "{rho} (p = {p} by shuffling): on this run, the models that separated their training classes more "
                "also verified new classes better, unlike what Kornblith et al. (NeurIPS 2021) found for losses on "
                "ImageNet."
            )
        parts.append(text.format(**values))
    by_model: dict[str, list[float]] = {}
    for token, _x, _y, rank1 in found:
        if rank1 is not None:
            by_model.setdefault(token, []).append(rank1)
    if by_model:
        token, accs = max(by_model.items(), key=lambda item: np.mean(item[1]))
        text = _(
            "Identification (each held-out class has one gallery photo; every other photo is matched to the "
            "nearest by cosine): the best rank-1 accuracy, as a model's mean over its seeds, is {acc}% ({model})."
        ).format(acc=f"{100 * np.mean(accs):.1f}", model=margins.parse(token).display_name)
        raw = evaluate.record(result, 0).input_open_set_rank1
        if raw is not None:
            text = sentences([text, _("The raw inputs, with no net: {acc}%.").format(acc=f"{100 * raw:.1f}")])
        parts.append(text)
    return sentences(parts)
