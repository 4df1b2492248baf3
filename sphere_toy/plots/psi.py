"""ψ(θ), A-softmax's margin function (SphereFace Sec. 3.2, Eq. 7), with λ's blend and the notes' sign trick; cos mθ
as a Chebyshev polynomial for the formulas."""

from __future__ import annotations

import functools
from fractions import Fraction

import jax
import numpy as np
from matplotlib.figure import Figure
from numpy.polynomial.chebyshev import cheb2poly

from sphere_toy.core import losses
from sphere_toy.core import margins
from sphere_toy.i18n import _
from sphere_toy.plots.layout import fit_legend, narrow_screen, new_figure
from sphere_toy.plots.style import styled


_SHADES = ("#eef2fb", "#fbf3e6")  # alternate ψ intervals


def chebyshev_latex(m: int, *, terms_per_line: int | None = None) -> str:
    """cos(mθ) as the Chebyshev polynomial T_m(cos θ) in LaTeX, e.g. m=4: "\\cos 4\\theta = 8\\cos^4\\theta - ...".

    With `terms_per_line`, an `aligned` block: the leading term, then that many terms a line (for a narrow column:
    m = 8 has 5 terms).
    """
    coef = np.rint(cheb2poly([0] * m + [1])).astype(int)  # power-series coefficients, lowest degree first
    terms = []
    for p in range(m, -1, -1):
        c = int(coef[p])
        if c == 0:
            continue
        power = "" if p == 0 else r"\cos\theta" if p == 1 else rf"\cos^{{{p}}}\theta" if p >= 10 else rf"\cos^{p}\theta"
        body = (str(abs(c)) if abs(c) != 1 or p == 0 else "") + power
        terms.append(("- " if c < 0 else "+ ") + body if terms else ("-" if c < 0 else "") + body)
    lhs = r"\cos\theta" if m == 1 else rf"\cos {m}\theta"
    if terms_per_line is None or len(terms) == 1:
        return f"{lhs} = " + " ".join(terms)
    # The leading term beside "cos mθ =", then `terms_per_line` a line.
    lines = [terms[0]] + [" ".join(terms[i : i + terms_per_line]) for i in range(1, len(terms), terms_per_line)]
    return r"\begin{aligned}" + f"{lhs} &= " + r" \\ &\quad ".join(lines) + r"\end{aligned}"


def _pi_label(frac: Fraction) -> str:
    if frac == 0:
        return "0"
    num = "" if frac.numerator == 1 else str(frac.numerator)
    return f"{num}π" + ("" if frac.denominator == 1 else f"/{frac.denominator}")


MAX_M = margins.MAX_M  # the largest m the ψ slider offers; a static bound, one compiled program for every m


def _max_m(m: int) -> int:
    return max(int(m), MAX_M)


@functools.partial(jax.jit, static_argnames=("max_m",))
def _psi_curves(cos, m, lam, *, max_m: int):
    """cos(mθ), ψ(θ), the annealed target and the m = 4 sign trick on a grid of cos θ, in one compiled call (m and λ
    traced): one program from the persistent cache, where op-by-op calls compiled a dozen on a fresh server."""
    return (
        losses.cos_m_theta(cos, m, max_m=max_m),
        losses.psi_from_cos(cos, m, max_m=max_m),
        losses.annealed_target(cos, m, lam, max_m=max_m),
        losses.psi_m4_sign_trick(cos),
    )


@styled
def psi_figure(m: int, lam: float = 0.0) -> Figure:
    """cos θ, the raw cos(mθ) and the monotone ψ(θ) on [0, π], with the intervals [kπ/m, (k+1)π/m] shaded.

    With λ > 0 also the annealed target (λ cos θ + ψ(θ)) / (1 + λ) that training uses (Sec. 3.2); for m = 4 the
    sign-trick form of common implementations (s3 = (-1)^k, s4 = -2k) is written in each interval and drawn as dots.
    """
    m = int(m)
    if m < 1:
        raise ValueError(f"m must be an integer >= 1, got {m}")
    theta = np.linspace(0.0, np.pi, 721)
    cos = np.cos(theta)
    deg = np.degrees(theta)
    # ψ as the loss computes it, from cos θ; for m <= MAX_M a slider move never compiles anything.
    cos_m, psi, target, sign_trick = (np.asarray(a) for a in _psi_curves(cos, m, lam, max_m=_max_m(m)))
    narrow = narrow_screen()  # a phone: taller, the formula's two lines apart (one is math, which never wraps)
    fig = new_figure(6.5, 7.0) if narrow else new_figure(9.5, 6.0)
    ax = fig.add_subplot()
    span = 2 * m
    top = 1 + (0.34 if m == 4 else 0.16) * span + 0.25
    for k in range(m):
        lo, hi = 180 * k / m, 180 * (k + 1) / m
        ax.axvspan(lo, hi, color=_SHADES[k % 2], zorder=0, gid="psi-interval")
        note = f"k={k}" + (f"\ns3={(-1) ** k:+d}\ns4={-2 * k:d}" if m == 4 else "")
        ax.text(
            (lo + hi) / 2,
            top - 0.03 * (top - 1 + span),
            note,
            ha="center",
            va="top",
            fontsize=11,
            linespacing=1.25,
            gid="psi-k-label",
        )
    ax.axhline(0, color="0.6", lw=0.8, zorder=1)
    ax.plot(deg, cos, color="#1f77b4", label="cos θ  (softmax, M-softmax)")
    if m > 1:
        ax.plot(deg, cos_m, color="0.35", ls="--", lw=1.8, label=_("cos {m}θ  (not monotonic)").format(m=m))
    ax.plot(deg, psi, color="#d62728", lw=3.2, label=f"ψ(θ)  (A-softmax, m={m})")
    if m == 4:
        every = slice(0, None, 24)
        ax.plot(
            deg[every],
            sign_trick[every],
            "o",
            ms=6,
            mfc="white",
            mec="#d62728",
            mew=1.6,
            label=_("sign trick: s3·cos 4θ + s4"),
        )
    if lam > 0:
        ax.plot(deg, target, color="#9467bd", ls="-.", lw=2.6, label=f"(λ cos θ + ψ(θ)) / (1+λ),  λ = {lam:g}")
    ax.set_xlim(0, 180)
    ax.set_ylim(1 - span - 0.3, top)
    ax.set_xticks(np.arange(0, 181, 30))
    ax.set_xlabel(_("θ: angle between feature x and its class weight W_y (degrees)"))
    ax.set_ylabel(_("target logit / ‖x‖"))
    top_ax = ax.secondary_xaxis("top")
    fracs = sorted({Fraction(k, m) for k in range(m + 1)} | {Fraction(0), Fraction(1, 2), Fraction(1)})
    top_ax.set_xticks([180 * float(f) for f in fracs], [_pi_label(f) for f in fracs])
    top_ax.tick_params(labelsize=10)
    fit_legend(fig, ax.get_legend_handles_labels()[0], loc="outside lower center", ncol=2, frameon=False)
    title = (
        _("A-softmax: ψ(θ) = (−1)ᵏ cos({m}θ) − 2k, m = {m}, annealed with λ = {lam}")
        if lam > 0
        else _("A-softmax: ψ(θ) = (−1)ᵏ cos({m}θ) − 2k, m = {m}")
    ).format(m=m, lam=f"{lam:g}")
    if narrow:
        fig.suptitle(title)
        ax.set_title(f"${chebyshev_latex(m)}$", fontsize=13)
    else:
        ax.set_title(f"{title}\n${chebyshev_latex(m)}$", fontsize=13)
    return fig
