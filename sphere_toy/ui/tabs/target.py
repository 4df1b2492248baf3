"""Target logits: A-softmax's ψ(θ), or the whole margin family's target logits side by side. No training needed."""

from __future__ import annotations

import streamlit as st

from sphere_toy import i18n, plots, views
from sphere_toy.core import margins
from sphere_toy.plots import screens
from sphere_toy.serving import serve
from sphere_toy.i18n import _
from sphere_toy.views import FAMILY_VIEW, PSI_VIEW
from sphere_toy.i18n import sentences
from sphere_toy.ui.figures import figure_ui
from sphere_toy.ui.messages import explain_ui
from sphere_toy.ui.state import fragment, mode, presenting, url_choice


MARGIN_LOSSES = tuple(loss for loss in margins.LOSSES.values() if loss.margin is not None)  # a slider each
PSI_FIRST = (4, 0.0)  # ψ(θ)'s m and λ as a page opens: the paper's m = 4, fully annealed
# What a new page shows first, drawn once before the server's first page comes (`serve.lifespan`, at the end): the
# sandbox's first tab, normal, presented and on a phone (a lesson's link opens its step's view instead).
FIRST_FIGURES = [
    serve.FirstFigure(views.PSI.name, PSI_FIRST, screens.screen(page, views.PSI.slot_for(page)), lang)
    for page in ("normal", "present", "phone")
    for lang in i18n.LANGUAGES
]


@fragment
def target_tab() -> None:
    """A-softmax's ψ(θ), or the whole family's target logits side by side: no training needed. Presenting, the view
    switch and the sliders share one row above a full-width figure, so the figure stays on the first screen."""
    present = presenting()
    # the view switch, then one column per control of the wider view (the family's sliders and λ)
    row = (
        st.columns([1.5] + [1] * (len(MARGIN_LOSSES) + 1), vertical_alignment="bottom") if present else [st.container()]
    )
    view = url_choice(
        row[0].segmented_control,
        _("Show"),
        (PSI_VIEW, FAMILY_VIEW),
        key="target_view",
        default=PSI_VIEW,
        required=True,
        format_func=_,
    )
    slots = row[1:] if present else None
    if view == FAMILY_VIEW:
        family_view(slots)
    else:
        psi_view(slots)


def family_view(slots) -> None:
    """Each margin loss's slider, then its target logit and two-class boundary (`plots.family_figure`)."""
    present = slots is not None
    chart = st.container() if mode() == "phone" else None  # a phone stacks the sliders: the figure goes first
    slots = slots or st.columns(len(MARGIN_LOSSES) + 1)
    chosen = []
    for col, loss in zip(slots, MARGIN_LOSSES):
        lo, hi = loss.margin_range
        step = 1 if loss.integer_margin else 0.05
        help_text = (
            _("{paper}. Boundary for class 1: {boundary} (radians)")
            if loss.margin == "angle_margin"
            else _("{paper}. Boundary for class 1: {boundary}")
        )
        value = col.slider(
            f"{_(loss.label)} m",
            type(step)(lo),
            type(step)(hi),
            type(step)(loss.margin_default),
            step=step,
            key=f"family_{loss.id}",
            bind="query-params",
            help=help_text.format(paper=_(loss.paper), boundary=loss.boundary),
        )
        chosen.append((loss.id, value))
    lam = slots[len(MARGIN_LOSSES)].select_slider(
        _("λ (A-softmax)"),
        (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0),
        0.0,
        key="family_lam",
        bind="query-params",
        help=_("SphereFace's annealing blends its target with cos θ"),
    )
    key = "_".join(f"{loss}{value:g}" for loss, value in chosen)
    with chart or st.container():
        figure_ui(f"target_logits_{key}_lambda{lam:g}", views.FAMILY, None, tuple(chosen), lam)
    explain_ui(
        sentences(
            [
                _(
                    "Every loss here scores the other classes by cos θⱼ (times ‖x‖ or s) and changes only its own "
                    "class's "
                    "logit. Left: that target logit; the further below cos θ (dotted), the more the loss asks. Right: "
                    "a sample "
                    "of class 1 between two classes is classified as class 1 only above its curve: the margin is the "
                    "band "
                    "between the curve and the diagonal. SphereFace's is multiplicative (m·θ₁ = θ₂: nothing near θ = "
                    "0, wide "
                    "far away), ArcFace's a constant angle, CosFace's a constant in cosine (widest in angle near θ = "
                    "0)."
                ),
                *(
                    []
                    if present
                    else [
                        _(
                            "Set each margin with its slider; the same losses train side by side in the "
                            'Compare tab (preset "SphereFace vs CosFace vs ArcFace").'
                        )
                    ]
                ),
            ]
        )
    )


def psi_view(slots) -> None:
    """ψ(θ) with its m and λ sliders, and the formulas beside it (or folded under it when presenting)."""
    present, phone = slots is not None, mode() == "phone"
    # Presenting: the sliders in the row above a full-width figure, the formulas folded under it. On a phone, whose
    # page stacks columns: the figure first, its sliders under it, the formulas folded.
    if present:
        left, right = None, st.container()
    elif phone:
        right, left = st.container(), st.container()
    else:
        left, right = st.columns([1.2, 3])
    with slots[0] if present else left:
        m = st.slider(
            "m", 1, 8, PSI_FIRST[0], key="psi_m", bind="query-params", help=_("Angular margin (the paper uses m = 4)")
        )
    with slots[1] if present else left:
        lam = st.select_slider(
            _("λ (annealing)"),
            (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0),
            PSI_FIRST[1],
            key="psi_lam",
            bind="query-params",
            help=_("Training starts with λ large (≈ M-softmax) and anneals it"),
        )
    with right:
        figure_ui(f"psi_m{m}_lambda{lam:g}", views.PSI, None, m, lam)
    with st.expander(_("The formulas")) if present or phone else left:
        st.markdown(_("The margin function, on each interval k = 0 … m−1:"))
        st.latex(r"\psi(\theta) = (-1)^k \cos(m\theta) - 2k")
        st.latex(r"\theta \in \left[\tfrac{k\pi}{m},\, \tfrac{(k+1)\pi}{m}\right]")
        st.markdown(_("cos(mθ) as a polynomial in cos θ (Chebyshev), which is how it is computed:"))
        st.latex(plots.chebyshev_latex(m, terms_per_line=2))  # fits the narrow column up to m = 8
        if m == 4:
            st.markdown(
                _(
                    "The notes' sign trick for m = 4: ψ = s3·cos 4θ + s4 with s3 = (−1)ᵏ and s4 = −2k, "
                    "written in each interval of the figure."
                )
            )
    with right:
        explain_ui(
            _(
                "The target logit of A-softmax is ‖x‖ψ(θ_y) instead of ‖x‖cos θ_y. ψ equals cos(mθ) on "
                "[0, π/m] and continues it monotonically, so there a sample must reach an angle m times smaller than "
                "M-softmax would need to earn the same logit. Slide m and λ: λ large is M-softmax, λ → 0 the full "
                "margin."
            )
        )
