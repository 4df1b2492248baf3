"""What the app teaches, measured over seeds and workloads: the table behind the toy's default workload.

Every sentence the app shows about a run (a lesson step's "what to notice", a preset's note, docs/cli.md's tables)
relies on an effect: A-softmax's θ_y below M-softmax's, its class weights further apart, softmax's borders missing
the origin, the regions of the imbalanced preset following class size, the margin's open-set deficit, ... This
benchmark trains each experiment behind those sentences (the default run and every preset and lesson step) on five
seeds, as five students with their own seed would, and checks each effect seed by seed, for several candidate
workloads (steps, hidden widths). It prints one Markdown table: the cost of each workload (trained model-steps, their
multiply-adds, measured training seconds) and, for each effect, on how many seeds it holds, with a verdict against
the reference workload (the paper-like 3000 steps the toy trained before):

  holds       it holds on every seed where it holds on the reference (and may hold on more);
  lost k      it fails on k seeds where the reference shows it.

The tolerance is none: a workload is fit to be the default only if every effect keeps every seed. A figure that
teaches on four seeds of five is what a student with the fifth seed would not see, so "on most seeds" is not enough.
Effects that the app only reports (a count it says from the run, whatever it is) are shown with their counts and
marked "reported": their sentences are computed from the run, so no workload can make them false.

    python benchmarks/bench_teaching.py [--workloads 3000x64,64 600x64,64 app ...] [--seeds 5]

A workload "600x64,64" sets the steps of every experiment (with the default λ schedule over the run, or "@360" for
another γ per run; the reference also takes the paper-like γ it trained with), and the hidden widths of those that
train the default 64,64 (the imbalanced preset keeps its 16 units, the identities preset its 32,32, the bound check
its 16); "app" is every experiment as the app ships it, each with its own steps.
"""

from __future__ import annotations

import argparse
import math
import pathlib
import sys
from dataclasses import dataclass
from typing import Callable

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout, as the app is

import numpy as np  # noqa: E402

import sphere_toy  # noqa: E402,F401  (before JAX starts: sets the XLA flags)
from sphere_toy import lessons  # noqa: E402
from sphere_toy.serving import cost
from sphere_toy.analysis import evaluate
from sphere_toy.analysis import mbound
from sphere_toy.analysis import metrics
from sphere_toy.core.losses import PAPER_LIKE_GAMMA  # noqa: E402
from sphere_toy.experiment import PRESETS, Settings  # noqa: E402
from sphere_toy.train import train_experiments  # noqa: E402

REFERENCE = "3000x64,64"  # the workload every app default trained before (issue 22)
SHIPPED = "app"  # every experiment as the app ships it (its own steps and widths)
WORKLOADS = (REFERENCE, "1000x64,64", "600x64,64", "400x64,64", "600x32,32", "600x64,64@360", SHIPPED)
DEFAULT_HIDDEN = (64, 64)

# The experiments behind the app's sentences, as the app trains them (before the workload is applied).
FIG2 = PRESETS["Paper Fig. 2: 2-D features"].settings
EXPERIMENTS: dict[str, Settings] = {
    "default (Fig. 5, lesson 1)": PRESETS["Paper Fig. 5: 3-D features, m = 1..4"].settings,
    "Fig. 2 (lessons 2-4, 6)": FIG2,
    "Fig. 2, λ_min = 5 (lesson 6)": FIG2.replace(lambda_min=5.0),
    "family 2-D (lesson 9)": PRESETS["SphereFace vs CosFace vs ArcFace, 2-D"].settings,
    "family 3-D": PRESETS["SphereFace vs CosFace vs ArcFace, 3-D"].settings,
    "imbalanced (lesson 9)": PRESETS["Imbalanced classes"].settings,
    "identities (lesson 8)": PRESETS["Open-set identities"].settings,
    "identities 16-D (README sweep)": PRESETS["Open-set identities"].settings.replace(dim=16),
    "bound check (lesson 7)": mbound.CHECK_SETTINGS,
}
# These train their seeds inside one run (Settings.seeds): their sentences are about those seeds, so one run each.
INNER_SEEDS = {"identities (lesson 8)", "identities 16-D (README sweep)", "bound check (lesson 7)"}


def workload(text: str, settings: Settings) -> Settings:
    if text == SHIPPED:
        return settings
    text, _, gamma = text.partition("@")
    steps, hidden = text.split("x")
    changes = {"steps": int(steps)}
    if gamma:
        changes["lambda_gamma"] = float(gamma)
    elif text == REFERENCE:  # the run as every default trained it before: λ = 1 at 8.5% of it (PAPER_LIKE_GAMMA)
        changes["lambda_gamma"] = PAPER_LIKE_GAMMA
    if settings.hidden == DEFAULT_HIDDEN:
        changes["hidden"] = tuple(int(h) for h in hidden.split(","))
    return settings.replace(**changes)


# ---- one seed's measurements ----

M4, M_SOFTMAX, SOFTMAX, NORMFACE = ("asoftmax", 4), ("msoftmax", None), ("softmax", None), ("normface", None)


def _g(result, model: tuple[str, float | None]) -> int:
    """The index of `model` (a loss and its margin, None for any) in a one-seed result."""
    loss, margin = model
    return next(g for g, s in enumerate(result.specs) if s.loss == loss and margin in (None, s.margin))


def theta(result, g) -> float:
    return math.degrees(evaluate.record(result, g).mean_target_angle)


def min_w(result, g) -> float:
    return math.degrees(metrics.min_weight_angle(result.weights[g]))


def gap(result, g) -> float:
    r = evaluate.record(result, g)
    return math.degrees(r.p5_inter_angle - r.p95_intra_angle)


def below(measure, model, base) -> Callable:
    """The effect "`measure` of `model` is below that of `base`" on one seed: (holds, the model's value)."""
    return lambda r: ((x := measure(r, _g(r, model))) < measure(r, _g(r, base)), x)


def above(measure, model, base) -> Callable:
    return lambda r: ((x := measure(r, _g(r, model))) > measure(r, _g(r, base)), x)


@dataclass(frozen=True)
class Effect:
    experiment: str
    claim: str  # the effect, as the app's sentence relies on it
    where: str  # which sentence
    test: Callable | None  # result -> (holds, value) for one seed (one run for INNER_SEEDS); None: see `measure`
    reported: bool = False  # the app says the count from the run, whatever it is


def _all_trained(result) -> bool:
    return not any(result.diverged(g) for g in range(len(result.specs)))


def _robust(model) -> Callable:
    return lambda r: (bool(evaluate.record(r, _g(r, model)).robust_criterion_met), gap(r, _g(r, model)))


def _effects() -> list[Effect]:
    d, f2, fl = "default (Fig. 5, lesson 1)", "Fig. 2 (lessons 2-4, 6)", "Fig. 2, λ_min = 5 (lesson 6)"
    zone = lambda r, g: lessons.margin_share(r, g, _g(r, M4))  # noqa: E731  (clear of the m = 4 margin zone)
    out = [
        Effect(
            d,
            "every model trains finite, test accuracy ≥ 0.95",
            "every view",
            lambda r: (
                _all_trained(r) and min(x.test_acc for x in evaluate.records(r)) >= 0.95,
                min(x.test_acc or 0 for x in evaluate.records(r)),
            ),
        ),
        Effect(
            d,
            "θ_y falls with m: M-softmax > m=2 > m=4",
            "Fig. 5 note",
            lambda r: (
                theta(r, _g(r, M_SOFTMAX)) > theta(r, _g(r, ("asoftmax", 2))) > theta(r, _g(r, M4)),
                theta(r, _g(r, M4)),
            ),
        ),
        Effect(
            d,
            "θ_y(m=4) / θ_y(M-softmax) < 0.5",
            "README compare table",
            lambda r: ((x := theta(r, _g(r, M4)) / theta(r, _g(r, M_SOFTMAX))) < 0.5, x),
        ),
        Effect(d, "class weights spread: min ∠W, m=4 > M-softmax", "Fig. 5 note", above(min_w, M4, M_SOFTMAX)),
        Effect(d, "robust criterion (p95 intra < p5 inter), m=4", "Fig. 5 note", _robust(M4)),
        Effect(d, "robust criterion, M-softmax", "Fig. 5 note", _robust(M_SOFTMAX), reported=True),
        Effect(d, "the gap p5 inter − p95 intra widens: m=4 > M-softmax", "Fig. 5 note", above(gap, M4, M_SOFTMAX)),
        Effect(
            d,
            "softmax's open-set AUC above the raw inputs'",
            "lesson 1 notice",
            reported=True,
            test=lambda r: (
                (x := evaluate.record(r, _g(r, SOFTMAX))).open_set_auc > x.input_open_set_auc,
                x.open_set_auc,
            ),
        ),
        Effect(
            f2,
            "softmax's borders miss the origin",
            "lesson 2 notice",
            lambda r: ((x := max(lessons.border_offsets(r, _g(r, SOFTMAX)).values(), default=0.0)) > 1e-6, x),
        ),
        Effect(
            f2,
            "M-softmax's regions are angular (widths within 0.5°)",
            "lesson 3 notice",
            lambda r: (
                (x := lessons.width_change(r, _g(r, M_SOFTMAX), r.feature_scale(_g(r, M_SOFTMAX)) / 10)) <= 0.5,
                x,
            ),
        ),
        Effect(f2, "θ_y: A-softmax m=4 < M-softmax", "lesson 4 notice, Fig. 2 note", below(theta, M4, M_SOFTMAX)),
        Effect(f2, "min ∠W: A-softmax m=4 > M-softmax", "lesson 4 notice", above(min_w, M4, M_SOFTMAX)),
        Effect(
            f2, "clear of the m=4 margin zone: A-softmax > M-softmax", "lesson 4 notice", above(zone, M4, M_SOFTMAX)
        ),
        Effect(
            fl, "λ_min = 5 gives margin back: θ_y(m=4) above λ_min = 0's", "lesson 6 notice", None
        ),  # filled in by `measure`: it compares two experiments
    ]
    for fam in ("family 2-D (lesson 9)", "family 3-D"):
        for loss in ("cosface", "arcface", "asoftmax"):
            out.append(
                Effect(
                    fam,
                    f"θ_y: {loss} < NormFace",
                    "lesson 9 notice, family notes",
                    below(theta, (loss, None), NORMFACE),
                )
            )
    im = "imbalanced (lesson 9)"
    out += [
        Effect(
            im,
            "softmax's ‖W_j‖ follow class size (ρ ≥ 0.5)",
            "lesson 9 notice, preset note",
            lambda r: ((x := evaluate.class_prior(r, _g(r, SOFTMAX)).rho_norms) >= 0.5, x),
        ),
        Effect(
            im,
            "M-softmax's regions follow class size (ρ ≥ 0.5)",
            "lesson 9 notice, preset note",
            lambda r: ((x := evaluate.class_prior(r, _g(r, M_SOFTMAX)).rho_angles) >= 0.5, x),
        ),
    ]
    op = "identities (lesson 8)"
    for token in ("softmax", "msoftmax", "asoftmax:2", "asoftmax:4"):
        out.append(
            Effect(
                op,
                f"{token} beats the raw inputs' AUC on every seed",
                "lesson 8 notice",
                reported=True,
                test=(lambda token: lambda r: _beats_raw(r, token))(token),
            )
        )
    out += [
        Effect(
            op,
            "A-softmax m=4 below M-softmax in open-set AUC on every seed",
            "lesson 8 notice",
            reported=True,
            test=lambda r: _margin_sign(r, "A-softmax m=4"),
        ),
        Effect(
            "identities 16-D (README sweep)",
            "every model of every seed trains: test accuracy ≥ 0.8",
            "README's open-set sweep",
            test=lambda r: (
                min(x.test_acc or 0 for x in evaluate.records(r)) >= 0.8,
                min(x.test_acc or 0 for x in evaluate.records(r)),
            ),
        ),
        Effect(
            "bound check (lesson 7)",
            "strict criterion on training features: every m, every seed",
            "lesson 7 notice (mbound.check_text)",
            reported=True,
            test=lambda r: (
                all(c.train_strict == c.n for c in mbound.check(r)),
                sum(c.train_strict for c in mbound.check(r)),
            ),
        ),
        Effect(
            "bound check (lesson 7)",
            "strict criterion on test features at m ≥ 4: seeds of 15",
            "lesson 7 notice (mbound.check_text)",
            reported=True,
            test=lambda r: (True, sum(c.strict for c in mbound.check(r) if c.m >= 4)),
        ),
    ]
    return out


def _beats_raw(result, token: str) -> tuple[bool, float]:
    raw = evaluate.input_open_set_report(result)["auc"]
    row = next(row for row in evaluate.seed_aucs(result) if row.token == token)
    return min(row.finite) > raw, row.mean


def _margin_sign(result, name: str) -> tuple[bool, float]:
    effect = next(e for e in evaluate.margin_effects(result) if e.name == name)
    return all(d < 0 for d in effect.diffs), effect.mean


# ---- training and the table ----


def train(settings: list[Settings]) -> tuple[list, float]:
    """One merged call for runs of one shape (the seeds of an experiment), as the app's queue trains a room."""
    results = train_experiments([s.experiment() for s in settings])
    return results, results[0].train_seconds  # training alone: a compile is paid once per shape, not per run


def measure(work: str, seeds: int) -> dict:
    runs, seconds, model_steps, flops = {}, 0.0, 0, 0.0
    for name, base in EXPERIMENTS.items():
        base = workload(work, base)
        settings = [base] if name in INNER_SEEDS else [base.replace(seed=k) for k in range(seeds)]
        runs[name], took = train(settings)
        seconds += took
        model_steps += sum(cost.models(s) * s.steps for s in settings)
        flops += sum(cost.models(s) * s.steps * cost.flops_per_model_step(s) for s in settings)
        print(f"  {work}: {name} trained in {took:.1f} s", file=sys.stderr, flush=True)
    per_effect = []
    for effect in _effects():
        if effect.test is None:  # λ_min: each seed's floor run against its λ_min = 0 run
            pairs = zip(runs["Fig. 2 (lessons 2-4, 6)"], runs[effect.experiment])
            rows = [(theta(b, _g(b, M4)) > theta(a, _g(a, M4)), theta(b, _g(b, M4))) for a, b in pairs]
        else:
            rows = []
            for r in runs[effect.experiment]:
                try:
                    rows.append(effect.test(r))
                except (TypeError, ValueError, AttributeError):  # a diverged model has no numbers
                    rows.append((False, math.nan))
        per_effect.append(rows)
    return {"seconds": seconds, "model_steps": model_steps, "flops": flops, "effects": per_effect}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workloads", nargs="+", default=list(WORKLOADS))
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--reference", default=REFERENCE, help="the workload the others are judged against")
    args = parser.parse_args()
    works = args.workloads if args.reference in args.workloads else [args.reference, *args.workloads]
    measured = {w: measure(w, args.seeds) for w in works}
    ref = measured[args.reference]
    print("| effect | where | " + " | ".join(works) + " |")
    print("|---|---|" + "---|" * len(works))
    print(
        "| trained model-steps (multiply-adds) | | "
        + " | ".join(f"{m['model_steps'] / 1e3:.0f}k ({m['flops'] / 1e12:.2f} T)" for m in measured.values())
        + " |"
    )
    seconds = (f"{m['seconds']:.1f}" for m in measured.values())
    print("| training seconds (compiling apart), all experiments | | " + " | ".join(seconds) + " |")
    verdicts = {w: [] for w in works}
    for i, effect in enumerate(_effects()):
        cells = []
        for w in works:
            rows = measured[w]["effects"][i]
            held = [ok for ok, _ in rows]
            values = [v for _, v in rows if v is not None and not (isinstance(v, float) and math.isnan(v))]
            lost = sum(r and not h for r, h in zip((ok for ok, _ in ref["effects"][i]), held))
            verdict = "reported" if effect.reported else ("holds" if lost == 0 else f"lost {lost}")
            verdicts[w].append(verdict)
            span = f"{min(values):.3g}–{max(values):.3g}" if len(values) > 1 else f"{values[0]:.3g}" if values else "-"
            cells.append(f"{sum(held)}/{len(held)} ({span}) {verdict}")
        print(f"| {effect.claim} | {effect.experiment}: {effect.where} | " + " | ".join(cells) + " |")
    print()
    for w in works:
        fails = [v for v in verdicts[w] if v.startswith("lost")]
        print(
            f"{w}: "
            + (
                "every effect holds on every seed the reference shows it"
                if not fails
                else f"{len(fails)} effect(s) lose seeds"
            )
        )


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()
