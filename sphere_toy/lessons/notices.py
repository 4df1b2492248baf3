"""Each step's "what to notice", computed from its runs' results: what the run shows, also when that is not what the
lesson expects (the two open-set steps' are in `notices_openset`). The notices translate as they are written (`_`)."""

from __future__ import annotations

import math

import numpy as np

from sphere_toy.analysis import evaluate
from sphere_toy.core import losses
from sphere_toy.core import margins
from sphere_toy.analysis import metrics
from sphere_toy.data import shown_class_name
from sphere_toy.i18n import _, sentences
from sphere_toy.experiment import Settings
from sphere_toy.lessons.step import Results
from sphere_toy.lessons.measure import (
    model_index,
    theta_y,
    untrained,
    border_offsets,
    margin_share,
    required_angle,
    width_change,
)


def notice_softmax_boundary(results: Results) -> str:
    result = evaluate.first_seed(results[0])
    g = model_index(result, "softmax")
    if (problem := untrained(result, g, "softmax")) is not None:
        return problem
    if result.weights.shape[1] != 2:
        return _("This step needs 2-D features to draw its borders.")
    norms, b = metrics.weight_norms(result.weights[g]), result.bias[g]
    name, radius = result.specs[g].name, result.feature_scale(g)
    free = _(
        "The weight lengths ‖W_j‖ of {model} run from {lo:.2f} to {hi:.2f} and its biases b_j from {b_lo:+.2f} "
        "to {b_hi:+.2f}."
    ).format(model=name, lo=norms.min(), hi=norms.max(), b_lo=b.min(), b_hi=b.max())
    offsets = list(border_offsets(result, g).values())
    if max(offsets, default=0.0) < 1e-6:
        return sentences(
            [
                free,
                _(
                    "All {n} borders between neighbouring classes pass through the origin: on this run the "
                    "biases are equal, so only the angle decides."
                ).format(n=len(offsets)),
            ]
        )
    near = max(offsets) / 2
    miss = _(
        "Its {n} borders between neighbouring classes miss the origin by {lo:.2f} to {hi:.2f}, while its "
        "features have a median length of {r:.1f}."
    ).format(n=len(offsets), lo=min(offsets), hi=max(offsets), r=radius)
    widths = metrics.region_angles(result.weights[g], b, near)
    lost = [shown_class_name(result.data.class_names[j]) for j in np.flatnonzero(widths == 0)]
    if lost:
        inside = _(
            "Close to the origin the biases decide alone: on the circle of radius {radius:.2f}, {names} win "
            "no part of it."
        ).format(radius=near, names=_(", ").join(lost))
    else:
        inside = _(
            "Close to the origin the biases weigh more: on the circle of radius {radius:.2f}, the regions' "
            "widths differ from those at the features' length by up to {change:.0f}°."
        ).format(radius=near, change=width_change(result, g, near))
    return sentences([free, miss, inside])


def notice_m_softmax(results: Results) -> str:
    result = evaluate.first_seed(results[0])
    g = model_index(result, "msoftmax")
    if (problem := untrained(result, g, "M-softmax")) is not None:
        return problem
    if result.weights.shape[1] != 2:
        return _("This step needs 2-D features to draw its borders.")
    norms, name = metrics.weight_norms(result.weights[g]), result.specs[g].name
    offsets = border_offsets(result, g)
    s = model_index(result, "softmax")
    soft = {} if s is None or result.diverged(s) else border_offsets(result, s)
    small = max(soft.values(), default=0.0) / 2 or result.feature_scale(g) / 10  # where softmax's biases weigh
    change = width_change(result, g, small)
    tol, far = max(float(np.max(np.abs(norms - 1))), 1e-12), max(offsets.values(), default=0.0)
    unit = (
        _(
            "{model}'s weights all have length 1 (within {tol:.0e}), and every border between its regions passes "
            "through the origin."
        )
        if far < 1e-6
        else _(
            "{model}'s weights all have length 1 (within {tol:.0e}), yet its borders miss the origin by up to "
            "{far:.3f}."
        )
    ).format(model=name, tol=tol, far=far)
    if change <= 0.5:  # the width of a region is sampled in steps of 0.1°
        same = _(
            "Its regions are equally wide on the circle of radius {small:.2f} and at the features' median "
            "length {large:.1f} (they differ by {change:.1f}° at most): only the angle decides."
        ).format(small=small, large=result.feature_scale(g), change=change)
    else:
        same = _(
            "Its regions' widths differ by up to {change:.1f}° between the circle of radius {small:.2f} and the "
            "features' median length {large:.1f}: on this run the length of x matters too."
        ).format(small=small, large=result.feature_scale(g), change=change)
    if not soft:
        return sentences([unit, same])
    soft_change = width_change(result, s, small)
    versus = _("Softmax's regions differ by up to {change:.1f}° between the same two circles.").format(
        change=soft_change
    )
    return sentences([unit, same, versus])


def notice_a_softmax(results: Results) -> str:
    result = evaluate.first_seed(results[0])
    g, base = model_index(result, "asoftmax"), model_index(result, "msoftmax")
    for k, name in ((g, "A-softmax"), (base, "M-softmax")):
        if (problem := untrained(result, k, name)) is not None:
            return problem
    model, baseline = result.specs[g].name, result.specs[base].name
    before, after = theta_y(result, base), theta_y(result, g)
    if after < before:
        theta = _(
            "Mean θ_y, the angle between a test sample and its own class weight, fell from {before:.1f}° with "
            "{base} to {after:.1f}° with {model}."
        )
    else:
        theta = _(
            "Mean θ_y, the angle between a test sample and its own class weight, did not fall on this run: "
            "{before:.1f}° with {base}, {after:.1f}° with {model}."
        )
    theta = theta.format(before=before, after=after, base=baseline, model=model)
    w_base, w_model = (math.degrees(metrics.min_weight_angle(result.weights[k])) for k in (base, g))
    if w_model > w_base:
        spread = _(
            "The two closest class weights are {after:.1f}° apart with {model}, against {before:.1f}° with "
            "{base}: the classes moved apart."
        )
    else:
        spread = _(
            "The two closest class weights are {after:.1f}° apart with {model}, against {before:.1f}° with "
            "{base}: the classes did not move apart."
        )
    spread = spread.format(before=w_base, after=w_model, base=baseline, model=model)
    zone = _(
        "By the rule cos(mθ_y) > cos θ_j with m = {m}, {share:.0f}% of {model}'s test samples are clear of the "
        "margin zone, against {base_share:.0f}% of {base}'s."
    ).format(
        m=int(result.specs[g].margin),
        share=100 * margin_share(result, g, g),
        model=model,
        base_share=100 * margin_share(result, base, g),
        base=baseline,
    )
    return sentences([theta, spread, zone])


PSI_M = 4  # the margin of the ψ step: the paper's, and the only one the notes' sign trick is written for


def notice_psi(results: Results) -> str:
    m = PSI_M
    ends = np.arange(m + 1) * np.pi / m  # the interval ends kπ/m
    values = np.asarray(losses.psi(ends, m))
    falls = _(
        "At θ = {angles} ψ is {values}: it falls by 2 across each interval, down to 1 − 2m = {end:.0f} at 180°."
    ).format(
        angles=", ".join(f"{math.degrees(t):.0f}°" for t in ends),
        values=", ".join(f"{v:.2f}" for v in values),
        end=values[-1],
    )
    back = 2 * np.pi / m  # where cos mθ is back at its top
    again = _(
        "cos {m}θ alone climbs back to {value:.2f} at θ = {angle:.0f}°, as high as at 0°: a sample at "
        "{angle:.0f}° from its class would score like one right on it."
    ).format(m=m, value=float(losses.cos_m_theta(math.cos(back), m)), angle=math.degrees(back))
    mids = (np.arange(m) + 0.5) * np.pi / m
    c = np.cos(mids)
    s3 = np.sign(c) * np.sign(np.cos(2 * mids))
    s4 = 2 * np.sign(c) + s3 - 3
    k = np.arange(m)
    decoded = bool(np.all(s3 == (-1.0) ** k) and np.all(s4 == -2 * k))
    trick = (
        _(
            "In the middle of the intervals k = 0 … {last}, s3 = sign(cos θ)·sign(cos 2θ) is {s3} and "
            "s4 = 2·sign(cos θ) + s3 − 3 is {s4}: exactly (−1)ᵏ and −2k."
        )
        if decoded
        else _(
            "In the middle of the intervals k = 0 … {last}, s3 = sign(cos θ)·sign(cos 2θ) is {s3} and "
            "s4 = 2·sign(cos θ) + s3 − 3 is {s4}: they are not (−1)ᵏ and −2k."
        )
    ).format(last=m - 1, s3=", ".join(f"{v:+.0f}" for v in s3), s4=", ".join(f"{v:.0f}" for v in s4))
    theta = np.linspace(0, np.pi, 1801)
    gap = float(np.max(np.abs(np.asarray(losses.psi_m4_sign_trick(np.cos(theta))) - np.asarray(losses.psi(theta, m)))))
    check = _("Over {n} angles from 0° to 180°, the trick and ψ differ by at most {gap:.1e}.").format(
        n=len(theta), gap=gap
    )
    return sentences([again, falls, trick, check])


def notice_lambda(results: Results) -> str:
    first = evaluate.first_seed(results[0])
    g = model_index(first, "asoftmax")
    if (problem := untrained(first, g, "A-softmax")) is not None:
        return problem
    spec, steps, lam = first.specs[g], first.history["step"], first.history["lambda"][g]
    if not spec.anneals:
        return _("{model} has no margin, so it does not anneal.").format(model=spec.name)
    below = np.flatnonzero(lam < 1)
    if len(below):
        path = _(
            "λ started at {start:.0f}, where the target is practically M-softmax's cos θ, fell below 1 at step "
            "{step} of {steps} and ended at {end:.3g}."
        ).format(start=lam[0], step=int(steps[below[0]]), steps=int(steps[-1]), end=lam[-1])
    else:
        path = _(
            "λ started at {start:.0f} and never fell below 1 in {steps} steps (it ended at {end:.3g}): this run "
            "trained mostly on M-softmax's cos θ."
        ).format(start=lam[0], steps=int(steps[-1]), end=lam[-1])
    parts = [path]
    m, theta = int(spec.margin), math.pi / spec.margin  # at θ = π/m, ψ has reached −1: the whole margin
    for result in results:
        one = evaluate.first_seed(result)
        k = model_index(one, "asoftmax", spec.margin)
        if k is None or not one.specs[k].anneals:
            continue
        end = float(one.history["lambda"][k][-1])
        need = required_angle(m, end, theta)
        parts.append(
            _(
                "With λ_min = {floor:g}, training ended at λ = {end:.3g}: a sample {theta:.0f}° from its own "
                "class must then be {need:.0f}° from the other class, as if m were {m_eff:.1f}."
            ).format(
                floor=one.config.lambda_min,
                end=end,
                theta=math.degrees(theta),
                need=math.degrees(need),
                m_eff=need / theta,
            )
        )
    measured = []
    for result in results:
        one = evaluate.first_seed(result)
        k = model_index(one, "asoftmax", spec.margin)
        if (problem := untrained(one, k, spec.name)) is not None:
            parts.append(problem)
            continue
        measured.append((one.config.lambda_min, theta_y(one, k)))
    if len(measured) == 2:
        (l0, t0), (l1, t1) = sorted(measured)
        verdict = (
            _(
                "{model}'s mean θ_y is {low:.1f}° with λ_min = {l0:g} and {high:.1f}° with λ_min = {l1:g}: the "
                "higher floor gave some of the margin back."
            )
            if t1 > t0
            else _(
                "{model}'s mean θ_y is {low:.1f}° with λ_min = {l0:g} and {high:.1f}° with λ_min = {l1:g}: on "
                "this run the higher floor did not loosen the classes."
            )
        )
        parts.append(verdict.format(model=spec.name, low=t0, high=t1, l0=l0, l1=l1))
    return sentences([*parts])


def bound_runs() -> tuple[Settings, ...]:
    from sphere_toy.analysis import mbound  # imported when the step's runs are asked for, not when the lesson is loaded

    return (mbound.CHECK_SETTINGS,)


def notice_bound(results: Results) -> str:
    from sphere_toy.analysis import mbound

    return mbound.check_text(mbound.check(results[0]))


def notice_take_home(results: Results) -> str:
    result = evaluate.first_seed(results[0])
    parts = []
    g, a = model_index(result, "softmax"), model_index(result, "msoftmax")
    soft = None if g is None else evaluate.class_prior(result, g)
    if soft is None:
        parts.append(untrained(result, g, "softmax"))
    elif soft.rho_norms is not None:
        sizes = _("Class sizes here run from {big} down to {small} training samples.").format(
            big=max(soft.sizes), small=min(soft.sizes)
        )
        prior = (
            _(
                "The weight lengths ‖W_j‖ of {model} have a rank correlation of {rho:+.2f} with class size: the "
                "larger classes got longer weights, a prior learnt from the imbalance."
            )
            if soft.rho_norms >= 0.5
            else _(
                "The weight lengths ‖W_j‖ of {model} have a rank correlation of {rho:+.2f} with class size: on "
                "this run they did not learn the imbalance as a prior."
            )
        )
        parts += [sizes, prior.format(model=soft.name, rho=soft.rho_norms)]
    fixed = None if a is None else evaluate.class_prior(result, a)
    if fixed is not None:
        tol = max(float(np.max(np.abs(np.asarray(fixed.norms) - 1))), 1e-12)
        if fixed.rho_angles is None:
            parts.append(
                _("{model}'s weights all have length 1 (within {tol:.0e}): no length is left to hold a prior.").format(
                    model=fixed.name, tol=tol
                )
            )
        else:
            regions = (
                _(
                    "{model}'s weights all have length 1 (within {tol:.0e}), yet the widths of its regions "
                    "still correlate {rho:+.2f} with class size: the features themselves can favour a large "
                    "class."
                )
                if fixed.rho_angles >= 0.5
                else _(
                    "{model}'s weights all have length 1 (within {tol:.0e}), and the widths of its regions "
                    "correlate {rho:+.2f} with class size: no prior left."
                )
            )
            parts.append(regions.format(model=fixed.name, tol=tol, rho=fixed.rho_angles))
    if len(results) > 1:
        family = evaluate.first_seed(results[1])
        measured = [(s, theta_y(family, k)) for k, s in enumerate(family.specs) if not family.diverged(k)]
        if measured:
            parts.append(
                _("The margin family in a run of its own ({dim}-D features): mean θ_y {table}.").format(
                    dim=family.test_features.shape[-1], table=_("; ").join(f"{s.name} {t:.1f}°" for s, t in measured)
                )
            )
        plain = {s.loss: t for s, t in measured if not s.has_margin}
        for s, t in measured:
            base = s.kind.baseline
            if s.has_margin and base in plain:
                text = (
                    _("{model} gathers its classes tighter than {base} ({after:.1f}° against {before:.1f}°).")
                    if t < plain[base]
                    else _(
                        "{model} does not gather its classes tighter than {base} on this run ({after:.1f}° against "
                        "{before:.1f}°)."
                    )
                )
                parts.append(text.format(model=s.name, base=margins.LOSSES[base].label, after=t, before=plain[base]))
    return sentences([*parts])
