"""The margin family side by side: every loss's target logit against θ, and the two-class boundary it implies.

SphereFace (Liu et al. 2017), CosFace (Wang et al. 2018) and ArcFace (Deng et al. 2019) differ from NormFace /
M-softmax in one place only: the target class's logit. Left panel: t(θ) per unit scale (‖x‖ for SphereFace, s for
the others, divided out), with the rivals' cos θ for reference. Right panel: where a sample of class 1 sits exactly on
the boundary between two classes, θ₂ = arccos t(θ₁): the diagonal without a margin, m·θ₁ for SphereFace, θ₁ + m for
ArcFace, arccos(cos θ₁ − m) for CosFace. Every curve comes from `margins.target_curve`, the loss's own code.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from sphere_toy.core import margins
from sphere_toy.i18n import _
from sphere_toy.plots.layout import fit_legend, narrow_screen, new_figure, side_by_side
from sphere_toy.plots.style import model_colors, styled

REFERENCE = "#1f77b4"


def family_curves(chosen, lam: float = 0.0, n: int = 721):
    """θ in degrees (n,), and per model (token, label, colour, target t(θ) (n,), boundary θ₂(θ₁) in degrees (n,)).

    `chosen`: (loss id, margin) pairs, drawn in registry order. The boundary is where the target logit equals a
    rival's cos θ₂ (so θ₂ = arccos t(θ₁), NaN where t < −1: no rival angle can match, class 1 loses everywhere).
    """
    specs = [margins.ModelSpec(loss, margin) for loss, margin in chosen]
    specs = sorted(specs, key=lambda s: (list(margins.LOSSES).index(s.loss), s.margin))
    theta = np.linspace(0.0, np.pi, n)
    out = []
    for spec, color in zip(specs, model_colors(specs)):
        t = margins.target_curve(spec.kind, spec.margin, np.cos(theta), lam).astype(np.float64)
        boundary = np.degrees(np.arccos(np.where(t >= -1, np.clip(t, -1, 1), np.nan)))
        out.append((spec.token, spec.display_name, color, t, boundary))
    return np.degrees(theta), out


@styled
def family_figure(chosen, lam: float = 0.0) -> Figure:
    """Left: t(θ) for each chosen (loss, margin) with cos θ for reference. Right: the two-class boundary θ₂(θ₁)."""
    deg, curves = family_curves(chosen, lam)
    fig = new_figure(6.5, 11) if narrow_screen() else new_figure(14, 6.4)
    ax_t, ax_b = side_by_side(fig, 2)
    ax_t.plot(deg, np.cos(np.radians(deg)), color=REFERENCE, lw=2.0, ls=":", zorder=3)
    ax_b.plot(deg, deg, color=REFERENCE, lw=2.0, ls=":", zorder=3)
    handles = [
        Line2D(
            [],
            [],
            color=REFERENCE,
            lw=2.0,
            ls=":",
            label=_("no margin: cos θ  (M-softmax, NormFace; softmax up to ‖W‖ and b);  boundary θ₁ = θ₂"),
        )
    ]
    for token, name, color, t, boundary in curves:
        loss = margins.parse(token).kind
        style = {"color": color, "lw": 3.0}
        ax_t.plot(deg, t, **style)
        ax_b.plot(deg, boundary, **style)
        handles.append(
            Line2D(
                [],
                [],
                **style,
                label=_("{model}: {target};  boundary {boundary}").format(
                    model=name, target=_(loss.target), boundary=loss.boundary
                ),
            )
        )
    ax_t.axhline(0, color="0.6", lw=0.8, zorder=1)
    low = min([-1.0] + [float(np.nanmin(c[3])) for c in curves])
    ax_t.set(
        xlim=(0, 180),
        ylim=(max(low, -4.0) - 0.1, 1.1),
        xticks=np.arange(0, 181, 30),
        xlabel=_("θ: angle between x and its class weight (°)"),
        ylabel=_("target logit / scale"),
        title=_("the target logit (others: cos θⱼ)"),
    )
    ax_b.set(
        xlim=(0, 180),
        ylim=(0, 180),
        xticks=np.arange(0, 181, 30),
        yticks=np.arange(0, 181, 30),
        xlabel=_("θ₁: angle to its own class (°)"),
        ylabel=_("θ₂: angle to the rival class (°)"),
        aspect="equal",
        title=_("two classes: the boundary for class 1\n(class 1 wins above its curve)"),
    )
    fig.suptitle(
        (
            _(
                "The margin family: one change, the target logit (scale s or ‖x‖ divided out), A-softmax "
                "annealed with λ = {lam}"
            )
            if lam > 0
            else _("The margin family: one change, the target logit (scale s or ‖x‖ divided out)")
        ).format(lam=f"{lam:g}")
    )
    fit_legend(fig, handles, loc="outside lower center", ncol=1 if len(handles) > 3 else 2, frameon=False)
    return fig
