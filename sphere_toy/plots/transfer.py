"""Separation against transfer: does a loss that separates the trained classes more verify new ones better?

Kornblith, Chen, Lee and Norouzi ("Why Do Better Loss Functions Lead to Less Transferable Features?", NeurIPS 2021)
measured on ImageNet that losses which separate the training classes more (their class separation R², the notes' LDA
idea: `metrics.class_separation`) give features that transfer worse to new classes. The open-set lab asks the same
of the run on screen: one dot per model and seed, class separation on the closed-set test features against open-set
AUC on the held-out classes, and sentences (`transfer_text`) written from those numbers, whichever way they point.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sphere_toy.analysis import evaluate, metrics
from sphere_toy.core import margins
from sphere_toy.i18n import _, sentences
from sphere_toy.plots.layout import fit_legend, new_figure
from sphere_toy.plots.openset import yardstick
from sphere_toy.plots.style import model_colors, styled

STRONG = 0.5  # |ρ| from which the sentences call a rank correlation a relation (with at least MIN_POINTS points)
MIN_POINTS = 4


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
    colors = dict(zip(tokens, model_colors([margins.parse(t) for t in tokens])))
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
    every model and seed, read as a relation only when strong; then identification beside verification. None
    without an open set."""
    found = points(result)
    if not found:
        return None
    parts = []
    rho = metrics.rank_correlation([x for _t, x, _y, _r in found], [y for _t, _x, y, _r in found])
    values = {"n": len(found), "rho": "–" if rho is None else f"{rho:+.2f}"}
    if len(found) < MIN_POINTS or rho is None:
        parts.append(
            _(
                "{n} models and seeds are too few to relate class separation to open-set AUC: set *Seeds per "
                "model* to 5."
            ).format(**values)
        )
    elif rho <= -STRONG:
        parts.append(
            _(
                "Over the run's {n} models and seeds, class separation and open-set AUC have a rank correlation of "
                "{rho}: the more a model separated the classes it was trained on, the worse it verified classes it "
                "never saw, as Kornblith et al. (NeurIPS 2021) found for losses on ImageNet."
            ).format(**values)
        )
    elif rho >= STRONG:
        parts.append(
            _(
                "Over the run's {n} models and seeds, class separation and open-set AUC have a rank correlation of "
                "{rho}: here the models that separated their training classes more also verified new classes "
                "better, unlike what Kornblith et al. (NeurIPS 2021) found for losses on ImageNet."
            ).format(**values)
        )
    else:
        parts.append(
            _(
                "Over the run's {n} models and seeds, class separation and open-set AUC have a rank correlation of "
                "{rho}: no clear relation on this run."
            ).format(**values)
        )
    ranked = [(r, t) for t, _x, _y, r in found if r is not None]
    raw = evaluate.record(result, 0).input_open_set_rank1
    if ranked:
        best = max(ranked)
        text = _(
            "Identification (each held-out class has one gallery photo; every other photo is matched to the "
            "nearest by cosine): best rank-1 accuracy {acc}% ({model})."
        ).format(acc=f"{100 * best[0]:.1f}", model=margins.parse(best[1]).display_name)
        if raw is not None:
            text = sentences([text, _("The raw inputs, with no net: {acc}%.").format(acc=f"{100 * raw:.1f}")])
        parts.append(text)
    return sentences(parts)
