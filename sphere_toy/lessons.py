"""The lesson path: nine steps through SphereFace, each an experiment, a view, a short text and a question.

The steps follow the notes the project grew from: embeddings trained by classification and tested by cosine (the
open set); softmax's two-class border; M-softmax's angular one; A-softmax's margin; why ψ(θ) replaces cos mθ; the λ
annealing; how large m must be; verification on people never seen; the take-home messages. A `Step` is plain data
(the app draws it): its runs are `settings.Settings` (presets where one fits, so the lesson and the sandbox share
their cached runs), and its "what to notice" is computed from the trained results by `evaluate` and `metrics`, and
says what the run shows, also when that is not what the lesson expects. Every text is marked for translation
(`sphere_toy.i18n`): `N_` here, translated where it is shown; the notices translate as they are written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping

import numpy as np

from sphere_toy import views
from sphere_toy.analysis import evaluate
from sphere_toy.core import losses
from sphere_toy.core import margins
from sphere_toy.analysis import metrics
from sphere_toy.data import shown_class_name
from sphere_toy.i18n import N_, _, sentences
from sphere_toy.settings import PRESETS, Settings
from sphere_toy.train import GridResult


Results = tuple[GridResult, ...]


@dataclass(frozen=True)
class Step:
    """One step of the lesson: what the app opens, what it says, and what the class should notice and answer."""

    key: str  # stable id, for links and tests: "open-set-intro"
    title: str  # N_-marked; translate with _ where shown
    text: str  # N_-marked Markdown for students (60-150 words, LaTeX in $...$): what is on screen, what to look at
    view: str  # the view the step opens: a name of `views.VIEWS`
    settings: tuple[Settings, ...] | Callable[[], tuple[Settings, ...]]  # its runs (0-2), or a function naming them
    notice: Callable[[Results], str]  # "what to notice", computed from the results of `runs(step)`, in that order
    question: str  # N_-marked: one check-your-understanding question
    answer: str  # N_-marked: shown on a click
    # the view's own controls, by the app's URL keys ({"model": "M-softmax"}, {"psi_m": 4}); read-only
    option: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}), hash=False)


def runs(step: Step) -> tuple[Settings, ...]:
    """The runs a step needs, in the order its notice takes their results (the view shows the first)."""
    return tuple(step.settings() if callable(step.settings) else step.settings)


def index(n) -> int:
    """A step number from anything (a URL's text, None, garbage), clamped to 1..len(STEPS); never raises."""
    try:
        value = float(str(n).strip())
    except (TypeError, ValueError):
        return 1
    if not math.isfinite(value):
        return 1 if value != math.inf else len(STEPS)
    return min(max(int(round(value)), 1), len(STEPS))


def step(n) -> Step:
    """Step n, 1-based and clamped (see `index`)."""
    return STEPS[index(n) - 1]


def step_by_key(key: str) -> Step:
    """The step with this `key` (KeyError for none)."""
    found = {s.key: s for s in STEPS}
    return found[key]


# ---- measuring a run ----


def _model(result: GridResult, loss: str, margin: float | None = None) -> int | None:
    """The index of the run's model of `loss` with this margin (none given: its largest margin), or None."""
    found = [g for g, s in enumerate(result.specs) if s.loss == loss and (margin is None or s.margin == margin)]
    return max(found, key=lambda g: result.specs[g].margin) if found else None


def _untrained(result: GridResult, g: int | None, name: str) -> str | None:
    """Why model g has nothing to measure (absent, or diverged), as a sentence; None when it trained."""
    if g is None:
        return _("This run has no {model} model to measure.").format(model=name)
    if result.diverged(g):
        return _(
            "{model} diverged at step {step}, so there is nothing to measure; lower the learning rate or raise λ_min."
        ).format(model=result.specs[g].name, step=int(result.nan_step[g]))
    return None


def _theta_y(result: GridResult, g: int) -> float:
    """Mean θ_y in degrees on the closed-set test features."""
    return math.degrees(evaluate.record(result, g).mean_target_angle)


def _circle(radius: float, n: int = 3600) -> np.ndarray:
    t = (np.arange(n) + 0.5) * (2 * np.pi / n)
    return radius * np.stack([np.cos(t), np.sin(t)], axis=1)  # (n, 2)


def border_offsets(result: GridResult, g: int) -> dict[tuple[int, int], float]:
    """The classes whose 2-D regions touch on the circle at the features' median length, each pair with its
    border's distance from the origin, |b_i − b_j| / ‖W_i − W_j‖ (the line (W_i − W_j)·x + b_i − b_j = 0)."""
    w, b = result.weights[g], result.bias[g]
    pred = metrics.predict(_circle(result.feature_scale(g)), w, b)
    pairs = sorted({(int(min(p, q)), int(max(p, q))) for p, q in zip(pred, np.roll(pred, -1)) if p != q})
    return {(i, j): float(abs(b[i] - b[j]) / np.linalg.norm(w[:, i] - w[:, j])) for i, j in pairs}


def width_change(result: GridResult, g: int, small: float) -> float:
    """How much (degrees) the widths of model g's 2-D regions differ between the circle of radius `small` and the
    circle at the features' median length: 0 for an angular rule, whatever the radii."""
    w, b = result.weights[g], result.bias[g]
    near = metrics.region_angles(w, b, small)
    far = metrics.region_angles(w, b, result.feature_scale(g))
    return float(np.max(np.abs(near - far)))


def margin_share(result: GridResult, g: int, rule: int) -> float:
    """The share of model g's closed-set test samples that clear the margin of `rule` (a model index): their own
    class's full-margin target logit above every other class's, r·t(θ_y) > r·cos θ_j (`margins.margin_logits`)."""
    y = result.data.y_test
    logits = margins.margin_logits(result.specs[rule], result.test_features[g], result.weights[g], y)  # (N, C)
    own = logits[np.arange(len(y)), y]
    rivals = np.where(np.arange(logits.shape[1]) == y[:, None], -np.inf, logits)  # (N, C), the own class left out
    return float(np.mean(own > rivals.max(axis=1)))


def required_angle(m: int, lam: float, theta: float) -> float:
    """The angle (radians) to the other class that A-softmax's blended target (λ cos θ + ψ(θ)) / (1 + λ) asks of a
    sample at angle `theta` from its own class, in two classes: arccos of the target."""
    target = float(losses.annealed_target(np.float32(math.cos(theta)), m, lam))
    return math.acos(min(max(target, -1.0), 1.0))


# ---- the notices, one per step ----


def _notice_open_set_intro(results: Results) -> str:
    result = evaluate.first_seed(results[0])
    g = _model(result, "softmax")
    if (problem := _untrained(result, g, "softmax")) is not None:
        return problem
    data, rec = result.data, evaluate.record(result, g)
    first = _(
        "Here {model} maps each input of {inputs} numbers to a feature of {dim} numbers, trained only to tell "
        "{k} classes apart; it classifies {acc:.1f}% of their test samples correctly."
    ).format(
        model=rec.name,
        inputs=data.n_features,
        dim=result.test_features.shape[-1],
        k=data.n_classes,
        acc=100 * rec.test_acc,
    )
    if data.n_open_classes < 2 or rec.open_set_auc is None:
        return sentences([first, _("This run holds out too few classes for an open-set test.")])
    held = _(
        "The {h} held-out classes ({names}) were never trained on; judged by the cosine of their features, "
        "pairs of them are told apart with an AUC of {auc:.3f} (0.5 is chance, 1 is perfect)."
    ).format(
        h=data.n_open_classes,
        names=_(", ").join(map(shown_class_name, data.class_names[data.n_classes :])),
        auc=rec.open_set_auc,
    )
    raw = rec.input_open_set_auc
    if raw is None:
        return sentences([first, held])
    if rec.open_set_auc > raw:
        versus = _(
            "Cosine on the raw inputs, with no net at all, scores {raw:.3f}: the features carry over to "
            "classes never seen."
        ).format(raw=raw)
    else:
        versus = _(
            "Cosine on the raw inputs, with no net at all, scores {raw:.3f}: features learnt on {k} classes "
            "keep less for new classes than the raw inputs do (step 8 trains on many more)."
        ).format(raw=raw, k=data.n_classes)
    return sentences([first, held, versus])


def _notice_softmax_boundary(results: Results) -> str:
    result = evaluate.first_seed(results[0])
    g = _model(result, "softmax")
    if (problem := _untrained(result, g, "softmax")) is not None:
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


def _notice_m_softmax(results: Results) -> str:
    result = evaluate.first_seed(results[0])
    g = _model(result, "msoftmax")
    if (problem := _untrained(result, g, "M-softmax")) is not None:
        return problem
    if result.weights.shape[1] != 2:
        return _("This step needs 2-D features to draw its borders.")
    norms, name = metrics.weight_norms(result.weights[g]), result.specs[g].name
    offsets = border_offsets(result, g)
    s = _model(result, "softmax")
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


def _notice_a_softmax(results: Results) -> str:
    result = evaluate.first_seed(results[0])
    g, base = _model(result, "asoftmax"), _model(result, "msoftmax")
    for k, name in ((g, "A-softmax"), (base, "M-softmax")):
        if (problem := _untrained(result, k, name)) is not None:
            return problem
    model, baseline = result.specs[g].name, result.specs[base].name
    before, after = _theta_y(result, base), _theta_y(result, g)
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


def _notice_psi(results: Results) -> str:
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


def _notice_lambda(results: Results) -> str:
    first = evaluate.first_seed(results[0])
    g = _model(first, "asoftmax")
    if (problem := _untrained(first, g, "A-softmax")) is not None:
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
        k = _model(one, "asoftmax", spec.margin)
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
        k = _model(one, "asoftmax", spec.margin)
        if (problem := _untrained(one, k, spec.name)) is not None:
            parts.append(problem)
            continue
        measured.append((one.config.lambda_min, _theta_y(one, k)))
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


def _bound_runs() -> tuple[Settings, ...]:
    from sphere_toy.analysis import mbound  # imported when the step's runs are asked for, not when the lesson is loaded

    return (mbound.CHECK_SETTINGS,)


def _notice_bound(results: Results) -> str:
    from sphere_toy.analysis import mbound

    return mbound.check_text(mbound.check(results[0]))


def _notice_open_set(results: Results) -> str:
    result = results[0]
    rows = [row for row in evaluate.seed_aucs(result) if row.mean is not None]
    if result.data.n_open_classes < 2 or not rows:
        return _("This run has no open-set test to measure.")
    n = len(rows[0].seeds)
    parts = [
        _("Mean open-set AUC over {n} seeds on {h} classes never trained on: {table}.").format(
            n=n, h=result.data.n_open_classes, table=_("; ").join(f"{row.name} {row.text}" for row in rows)
        )
    ]
    base = evaluate.input_open_set_report(result)
    if base is not None and base["auc"] is not None:
        above = sum(min(row.finite) > base["auc"] for row in rows)
        parts.append(
            _("Cosine on the raw inputs scores {raw:.3f}; {above} of the {total} losses beat it on every seed.").format(
                raw=base["auc"], above=above, total=len(rows)
            )
        )
    for effect in evaluate.margin_effects(result):
        diffs = np.asarray(effect.diffs)
        if len(diffs) >= 3 and np.all(diffs > 0):  # every seed agrees (MarginEffect.consistent, ties excluded)
            text = _(
                "{model} beats {base} on all {n} seeds ({mean:+.3f} on average): here the margin helps verification."
            )
        elif len(diffs) >= 3 and np.all(diffs < 0):
            text = _(
                "{model} scores below {base} on all {n} seeds ({mean:+.3f} on average): on this data the margin "
                "does not help verification."
            )
        elif len(diffs) < 3:
            text = _("{model} against {base}: {mean:+.3f} over {n} seeds, too few to tell a margin from chance.")
        else:
            text = _(
                "{model} against {base}: {mean:+.3f} on average, higher on {higher} of {n} seeds: within the noise."
            )
        parts.append(
            text.format(
                model=effect.name, base=effect.baseline, n=len(effect.diffs), mean=effect.mean, higher=effect.higher
            )
        )
    return sentences([*parts])


def _notice_take_home(results: Results) -> str:
    result = evaluate.first_seed(results[0])
    parts = []
    g, a = _model(result, "softmax"), _model(result, "msoftmax")
    soft = None if g is None else evaluate.class_prior(result, g)
    if soft is None:
        parts.append(_untrained(result, g, "softmax"))
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
        measured = [(s, _theta_y(family, k)) for k, s in enumerate(family.specs) if not family.diverged(k)]
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


# ---- the steps ----

_FIG2 = PRESETS["Paper Fig. 2: 2-D features"].settings
_FIG5 = PRESETS["Paper Fig. 5: 3-D features, m = 1..4"].settings  # = Settings(): the app's default run
_OPEN = PRESETS["Open-set identities"].settings
_IMBALANCED = PRESETS["Imbalanced classes"].settings
_FAMILY = PRESETS["SphereFace vs CosFace vs ArcFace, 2-D"].settings
_OFFICIAL_FLOOR = 5.0  # λ_min of the official SphereFace face models

STEPS: tuple[Step, ...] = (
    Step(
        key="open-set-intro",
        title=N_("Trained to classify, tested by cosine"),
        text=N_(
            "Face recognition trains a network the way any classifier is trained: each person in the training set "
            "is one class, and the last layer is a softmax over them. At test time that layer is thrown away. What "
            "is kept is the layer before it, the **embedding** $x$. Two photos are compared by the cosine of the "
            "angle between their embeddings,\n\n$$\\cos\\theta = \\frac{x_1 \\cdot x_2}"
            "{\\lVert x_1\\rVert\\,\\lVert x_2\\rVert},$$\n\n"
            "and the people met at test time were never in the training set: the **open set**.\n\n"
            "On screen: a small network trained on some of the ten digits, each image mapped to a point in 3-D and "
            "drawn on the unit sphere. The crosses are digits it never saw. Nothing in softmax training asked for "
            "small angles within a class; this lesson is about the losses that do."
        ),
        view=views.FEATURES.name,
        option=MappingProxyType({"model": "softmax"}),
        settings=(_FIG5,),
        notice=_notice_open_set_intro,
        question=N_("Why can the trained classifier itself not recognise a person who was not in the training set?"),
        answer=N_(
            "Its last layer has one output per training class, and a new person has none. Only the embedding "
            "carries over: new faces are compared with each other by the cosine of their embeddings, so what "
            "matters is whether angles separate people, which plain softmax training never asked for."
        ),
    ),
    Step(
        key="softmax-boundary",
        title=N_("Softmax: a border that need not pass through the origin"),
        text=N_(
            "Softmax scores class $j$ with the logit $W_j \\cdot x + b_j$. Between two classes, the border is where "
            "their logits are equal:\n\n$$(W_1 - W_2)\\cdot x + b_1 - b_2 = 0.$$\n\n"
            "In 2-D that is a straight line. It passes through the origin only when $b_1 = b_2$; otherwise it is "
            "shifted by $\\lvert b_1 - b_2\\rvert / \\lVert W_1 - W_2\\rVert$. The lengths $\\lVert W_j\\rVert$ "
            "are free as well. So the class of $x$ can depend on its length, not only on its direction.\n\n"
            "On screen: softmax's 2-D features over its decision regions, with the class weights as arrows. Follow "
            "each border towards the centre: does it hit the origin? Compare the arrows' lengths."
        ),
        view=views.FEATURES.name,
        option=MappingProxyType({"model": "softmax"}),
        settings=(_FIG2,),
        notice=_notice_softmax_boundary,
        question=N_(
            "Two features point in exactly the same direction; one is twice as long as the other. Can "
            "softmax put them in different classes?"
        ),
        answer=N_(
            "Yes. Doubling x doubles every W_j·x but not the biases, so when the biases differ the order of the "
            "logits can change along the ray: a border that misses the origin can cut it between the two points. "
            "An angle alone does not describe softmax's decision, while cosine at test time looks at angles only."
        ),
    ),
    Step(
        key="m-softmax",
        title=N_("M-softmax: only the angle decides"),
        text=N_(
            "M-softmax makes two changes to softmax: every class weight is normalised, $\\lVert W_j\\rVert = 1$, "
            "and the biases are removed, $b_j = 0$. The logit becomes $\\lVert x\\rVert\\cos\\theta_j$, with "
            "$\\theta_j$ the angle between $x$ and $W_j$, and the two-class border turns into\n\n"
            "$$\\lVert x\\rVert(\\cos\\theta_1 - \\cos\\theta_2) = 0 \\iff \\theta_1 = \\theta_2,$$\n\n"
            "a ray from the origin halfway between the two weights. Stretching $x$ changes no decision. Training "
            "and testing now speak the same language: the classifier decides by angle, and verification compares "
            "angles.\n\n"
            "On screen: M-softmax in the same run as the previous step. Its regions are sectors around the origin; "
            "compare them with softmax's, and the arrows, now all of one length."
        ),
        view=views.FEATURES.name,
        option=MappingProxyType({"model": "M-softmax"}),
        settings=(_FIG2,),
        notice=_notice_m_softmax,
        question=N_(
            "After training M-softmax, a feature is multiplied by 10. What happens to its predicted class "
            "and to its cosine with other features?"
        ),
        answer=N_(
            "Neither changes. Every logit ‖x‖ cos θ_j is multiplied by the same 10, so the largest stays the "
            "largest, and the cosine does not depend on length at all. Only the loss value changes: a longer "
            "feature makes the softmax more confident."
        ),
    ),
    Step(
        key="a-softmax-margin",
        title=N_("A-softmax: an angle m times smaller"),
        text=N_(
            "M-softmax puts $x$ in class 1 when $\\cos\\theta_1 > \\cos\\theta_2$, that is $\\theta_1 < "
            "\\theta_2$. A-softmax is stricter while training. It asks for\n\n"
            "$$\\cos(m\\theta_1) > \\cos\\theta_2,$$\n\n"
            "so the angle to the own class, multiplied by $m$, must still be smaller than the angle to the other "
            "class. Between two classes there is now a **margin zone**, hatched on screen, where a sample is "
            "classified correctly but still penalised. The paper uses $m = 4$. At test time nothing changes: the "
            "rule is still the plain angle.\n\n"
            "On screen: A-softmax with $m = 4$ in the same run. Look at how narrow each class's wedge is compared "
            "with M-softmax, and at the empty gaps between the wedges."
        ),
        view=views.FEATURES.name,
        option=MappingProxyType({"model": "A-softmax m=4"}),
        settings=(_FIG2,),
        notice=_notice_a_softmax,
        question=N_(
            "With m = 4, a sample is 10° from its own class weight. Between two classes, how far from the "
            "other class weight must it be to satisfy A-softmax?"
        ),
        answer=N_(
            "More than 40°: cos(4·10°) > cos θ₂ holds exactly when θ₂ > 40°. M-softmax would accept anything "
            "beyond 10°. The 30° between them is the margin zone."
        ),
    ),
    Step(
        key="psi-monotone",
        title=N_("Why ψ(θ): making cos mθ monotone"),
        text=N_(
            "A target logit should fall as the angle to the own class grows. $\\cos(m\\theta)$ does so only on "
            "$[0, \\pi/m]$; then it rises again, so a badly placed sample could earn a high logit. SphereFace uses "
            "instead\n\n"
            "$$\\psi(\\theta) = (-1)^k\\cos(m\\theta) - 2k,\\quad \\theta \\in \\left[\\tfrac{k\\pi}{m}, "
            "\\tfrac{(k+1)\\pi}{m}\\right],\\ k = 0, \\dots, m-1:$$\n\n"
            "every other arch is flipped and each is moved down by 2, which makes one falling curve. Finding $k$ "
            "seems to need $\\theta$ itself. Public code for $m = 4$ uses two signs instead: "
            "$s_3 = \\mathrm{sign}(\\cos\\theta)\\,\\mathrm{sign}(\\cos 2\\theta)$ and "
            "$s_4 = 2\\,\\mathrm{sign}(\\cos\\theta) + s_3 - 3$, then "
            "$\\psi = s_3(8\\cos^4\\theta - 8\\cos^2\\theta + 1) + s_4$.\n\n"
            "On screen: $\\cos\\theta$, $\\cos m\\theta$ and $\\psi$, with each interval shaded and labelled by "
            "$k$."
        ),
        view=views.TARGET_LOGITS.name,
        option=MappingProxyType({"target_view": views.PSI_VIEW, "psi_m": PSI_M, "psi_lam": 0.0}),
        settings=(),
        notice=_notice_psi,
        question=N_("For m = 4, why is s3 = sign(cos θ)·sign(cos 2θ) equal to (−1)ᵏ?"),
        answer=N_(
            "The intervals end at 45°, 90° and 135°. cos 2θ changes sign at 45° and at 135°, cos θ at 90°, so their "
            "product changes sign at every interval end: +1 on [0°, 45°], −1 on [45°, 90°], +1 on [90°, 135°] and "
            "−1 on [135°, 180°]. That is (−1)ᵏ, found from cos θ alone, without an arccos."
        ),
    ),
    Step(
        key="lambda-annealing",
        title=N_("Training A-softmax: anneal λ"),
        text=N_(
            "From a random start almost every sample is far from its class, and the full margin asks too much: "
            "training can stall or diverge. The paper's code trains on a blend of the two targets,\n\n"
            "$$f_y = \\frac{\\lambda\\,\\lVert x\\rVert\\cos\\theta_y + \\lVert x\\rVert\\,\\psi(\\theta_y)}"
            "{1 + \\lambda},$$\n\n"
            "starting with $\\lambda$ large (practically M-softmax) and lowering it with the step $t$: $\\lambda = "
            "\\max(\\lambda_{\\min}, \\lambda_{\\text{base}}(1 + \\gamma t)^{-p})$. The official face models stop at "
            "$\\lambda_{\\min} = 5$, which keeps much of the easy $\\cos\\theta$ in the target. This app anneals to "
            "$\\lambda_{\\min} = 0$, the A-softmax of the paper.\n\n"
            "On screen: the training curves, with $\\lambda$ against the step. The sentences below also measure the "
            "same experiment trained with $\\lambda_{\\min} = 5$."
        ),
        view=views.TRAINING_VIEW.name,
        option=MappingProxyType({"model": "A-softmax m=4"}),
        settings=(_FIG2, _FIG2.replace(lambda_min=_OFFICIAL_FLOOR)),
        notice=_notice_lambda,
        question=N_("Why does λ_min = 5 make m = 4 act like a much smaller margin?"),
        answer=N_(
            "At λ = 5 the target is (5 cos θ + ψ(θ)) / 6: five parts plain cos θ to one part ψ. That blend falls "
            "far more slowly than ψ, so the angle it demands to the other class is much less than m times the "
            "angle to the own class."
        ),
    ),
    Step(
        key="m-bound",
        title=N_("How large must m be?"),
        text=N_(
            "The goal of the paper is that the largest angle within a class is smaller than the smallest angle "
            "between classes. Under its assumptions (the class weights evenly spread, each class filling its "
            "margin exactly) it derives how large $m$ must be for that: $m \\ge 2 + \\sqrt{3} \\approx 3.73$ for "
            "two classes and $m \\ge 3$ for many. Hence $m = 4$.\n\n"
            "On screen: a figure derives the two-class bound from the geometry. Below it, two classes in 2-D are "
            "trained for $m = 1, \\dots, 6$ over several seeds, and the check marks where max intra-class < min "
            "inter-class actually starts to hold. A trained network does not meet the assumptions exactly: compare "
            "the bound with what the runs show."
        ),
        view=views.BOUND.name,
        settings=_bound_runs,
        notice=_notice_bound,
        question=N_(
            "The bound says m ≥ 2 + √3 for two classes. Why can a trained network meet the criterion with "
            "a smaller m, or miss it with a larger one?"
        ),
        answer=N_(
            "The bound is derived for an idealised worst case, where each class spreads right up to the edge of its "
            "margin. A network that gathers its classes tighter meets the criterion sooner; one that does not reach "
            "the loss's optimum (too few steps, outliers, overlapping classes) can miss it even with m = 6. It is a "
            "guarantee for the ideal, not a prediction for one run."
        ),
    ),
    Step(
        key="open-set-verification",
        title=N_("The open set: verifying people never seen"),
        text=N_(
            "Back to the task of the first step, on data closer to faces: synthetic people to train on, and more "
            "people met only at test time, every photo changed by pose and lighting. Each loss is trained from "
            "several different starting weights (seeds). A pair of test photos is called the same person when the "
            "cosine of their features is above a threshold chosen on the training people; the AUC sums up every "
            "threshold at once (0.5 is chance, 1 is perfect).\n\n"
            "On screen: one dot per seed for each loss, the mean with its spread, and a dashed line for cosine on "
            "the raw photos, with no network. A difference between two losses means something only when it is "
            "larger than the spread between seeds."
        ),
        view=views.OPEN_SET.name,
        settings=(_OPEN,),
        notice=_notice_open_set,
        question=N_("Why is the threshold chosen on pairs of training people rather than on the test people?"),
        answer=N_(
            "At test time the people are unknown: a threshold chosen on their own pairs would use the answers being "
            "tested, and the accuracy would look better than it is. Choosing it on the training people and applying "
            "it unchanged to new ones is what a deployed system has to do."
        ),
    ),
    Step(
        key="take-home",
        title=N_("Take-home messages, and what came next"),
        text=N_(
            "Four messages from the notes. **M-softmax** is simple: with $\\lVert W_j\\rVert = 1$ and $b = 0$ the "
            "classifier decides by angle, so testing by cosine matches training. **A-softmax** widens the angles "
            "between classes with a margin $m$. Train it with the **λ annealing**, from near softmax to A-softmax. "
            "Normalising $W$ removes the **prior** that free weights learn from imbalanced classes.\n\n"
            "On screen: softmax on classes of very different sizes. Look at the arrows' lengths, and at the table "
            "of class sizes under the figure.\n\n"
            "After SphereFace, NormFace also normalised $x$, CosFace subtracted its margin from the cosine and "
            "ArcFace added it to the angle. All three are in this app: the preset *SphereFace vs CosFace vs "
            "ArcFace*."
        ),
        view=views.FEATURES.name,
        option=MappingProxyType({"model": "softmax"}),
        settings=(_IMBALANCED, _FAMILY),
        notice=_notice_take_home,
        question=N_(
            "Softmax trained on imbalanced classes may give the large classes longer weights. Why does that "
            "act as a prior, and what removes it?"
        ),
        answer=N_(
            "A longer W_j raises the logit of class j for every x, so borderline samples go to the large class "
            "whatever they look like, as a prior probability would do. Fixing ‖W_j‖ = 1 and b = 0 (M-softmax, "
            "A-softmax) leaves only the angle to decide, though the features themselves can still give a large "
            "class a wider region."
        ),
    ),
)
