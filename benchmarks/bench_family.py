"""The measured table behind the toy's defaults for the margin family (and docs/cli.md's numbers).

Standard workload: digits with 6 classes (+ 4 held out for open-set verification), 3-D features, hidden 64,64,
the default 600 steps, batch 128, Adam at the default rate (`TrainConfig()` as the app trains it).
  (a) Scale sweep: NormFace, CosFace (m = 0.35) and ArcFace (m = 0.5) at s = 4, 8, 16, 32, 64, seeds 0, 1, 2;
      per (loss, s) the mean over seeds of test accuracy, θ_y (the angle between a test feature and its class
      weight), the 95th percentile of same-class pair angles, the open-set AUC, and how many seeds diverged.
  (b) The family at its defaults: softmax, M-softmax, A-softmax m = 4, NormFace, CosFace and ArcFace at their
      registry margins and s = `losses.TOY_SCALE`, seeds 0..4; mean ± sd over seeds of the same numbers plus the 5th
      percentile of different-class pair angles, and how many seeds meet the robust criterion (p95 intra < p5 inter).
All the models of one seed (the sweep's and the family's, each trained once) train in ONE `train_grid` call, so
they share that seed's minibatch order and differ only by loss and scale. Means are over the seeds that stayed
finite; a diverged seed counts as not meeting the criterion. Angles in degrees on the closed-set test features.
Prints Markdown tables.

    python benchmarks/bench_family.py [--seeds 0 1 2] [--steps 3000] [--quick]

--seeds replaces both seed lists; --quick is a smoke run (seed 0, 300 steps) that finishes in well under a minute.
"""

from __future__ import annotations

import argparse
import math
import os
import pathlib
import statistics
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout, as the app is

import sphere_toy  # noqa: F401  (before JAX starts: sets the XLA flags)
from sphere_toy.analysis import evaluate
from sphere_toy.core import losses
from sphere_toy.data import DataConfig, load
from sphere_toy.core.margins import ModelSpec, model_grid
from sphere_toy.train import TrainConfig, train_grid

DATA = DataConfig(source="digits", n_classes=6, held_out=4, seed=0)
SWEEP_LOSSES = (("normface", None), ("cosface", 0.35), ("arcface", 0.5))  # (loss, margin)
SCALES = (4.0, 8.0, 16.0, 32.0, 64.0)
SWEEP_SEEDS = (0, 1, 2)
FAMILY_SEEDS = (0, 1, 2, 3, 4)
STEPS = TrainConfig().steps  # the app's default run (600; docs/cli.md's family table was at 3000 before issue 22)
QUICK_SEEDS, QUICK_STEPS = (0,), 300


def sweep_specs(seed: int) -> tuple[ModelSpec, ...]:
    return tuple(ModelSpec(loss, margin, seed, s) for loss, margin in SWEEP_LOSSES for s in SCALES)


def family_specs(seed: int) -> tuple[ModelSpec, ...]:
    """Softmax, M-softmax, A-softmax m = 4, then NormFace, CosFace, ArcFace at their defaults (s = TOY_SCALE)."""
    return model_grid(ms=(4,), seeds=(seed,)) + tuple(
        ModelSpec(loss, seed=seed) for loss in ("normface", "cosface", "arcface")
    )


def deg(x: float | None) -> float | None:
    return None if x is None else math.degrees(x)


MEASURES = {  # column -> (value of a record, format)
    "test acc (%)": (lambda r: None if r.test_acc is None else 100 * r.test_acc, "{:.1f}"),
    "θ_y (°)": (lambda r: deg(r.mean_target_angle), "{:.1f}"),
    "p95 intra (°)": (lambda r: deg(r.p95_intra_angle), "{:.1f}"),
    "p5 inter (°)": (lambda r: deg(r.p5_inter_angle), "{:.1f}"),
    "open-set AUC": (lambda r: r.open_set_auc, "{:.3f}"),
}


def values(recs, column) -> list[float]:
    get = MEASURES[column][0]
    out = [get(r) for r in recs if r.ok]
    return [v for v in out if v is not None and math.isfinite(v)]


def mean_cell(recs, column) -> str:
    v = values(recs, column)
    return MEASURES[column][1].format(statistics.fmean(v)) if v else "—"


def mean_sd_cell(recs, column) -> str:
    v, fmt = values(recs, column), MEASURES[column][1]
    if not v:
        return "—"
    if len(v) == 1:
        return fmt.format(v[0])
    return f"{fmt.format(statistics.fmean(v))} ± {fmt.format(statistics.stdev(v))}"


def table(header: list[str], rows: list[list[str]], left: int = 1) -> str:
    """A Markdown table; the first `left` columns (names) left-aligned, the numbers right-aligned."""
    right = [i >= left for i in range(len(header))]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" if r else "---" for r in right) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--seeds",
        type=int,
        nargs="+",
        default=None,
        help=f"seeds for both tables (default: sweep {' '.join(map(str, SWEEP_SEEDS))}, "
        f"family {' '.join(map(str, FAMILY_SEEDS))})",
    )
    parser.add_argument("--steps", type=int, default=None, help=f"training steps (default {STEPS})")
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"smoke run: seed {QUICK_SEEDS[0]}, {QUICK_STEPS} steps (unless --seeds/--steps say)",
    )
    args = parser.parse_args()
    sweep_seeds = tuple(args.seeds) if args.seeds else QUICK_SEEDS if args.quick else SWEEP_SEEDS
    family_seeds = tuple(args.seeds) if args.seeds else QUICK_SEEDS if args.quick else FAMILY_SEEDS
    steps = args.steps if args.steps is not None else QUICK_STEPS if args.quick else STEPS
    config = TrainConfig(hidden=(64, 64), feature_dim=3, steps=steps, batch_size=128)

    t_start = time.perf_counter()
    data = load(DATA)
    recs: dict[ModelSpec, evaluate.ModelRecord] = {}
    blown: list[str] = []
    timings = []
    for seed in sorted(set(sweep_seeds) | set(family_seeds)):
        specs = (sweep_specs(seed) if seed in sweep_seeds else ()) + (
            family_specs(seed) if seed in family_seeds else ()
        )
        specs = tuple(dict.fromkeys(specs))  # the family's scaled models at s = TOY_SCALE are in the sweep too
        result = train_grid(data, specs, config)
        for g, (spec, rec) in enumerate(zip(specs, evaluate.records(result))):
            recs[spec] = rec
            if result.blew_up(g):
                blown.append(f"{spec.name} s={spec.scale:g} seed {seed}" if spec.scale else f"{spec.name} seed {seed}")
        timings.append(
            f"seed {seed}: {len(specs)} models, compile {result.compile_seconds:.1f} s, "
            f"train {result.train_seconds:.1f} s"
        )

    print(
        f"workload: digits {DATA.n_classes} classes (+{DATA.held_out} held out), 3-D features, hidden 64,64, "
        f"{steps} steps, batch 128; {os.cpu_count()} CPU cores"
    )
    print("grids: " + "; ".join(timings) + f"; total {time.perf_counter() - t_start:.0f} s with evaluation")

    print(f"\n### (a) Scale sweep (mean over seeds {', '.join(map(str, sweep_seeds))})\n")
    columns = ["test acc (%)", "θ_y (°)", "p95 intra (°)", "open-set AUC"]
    rows = []
    for loss, margin in SWEEP_LOSSES:
        for s in SCALES:
            group = [recs[ModelSpec(loss, margin, seed, s)] for seed in sweep_seeds]
            name = group[0].name
            s_text = f"{s:g}" + (" (default)" if s == losses.TOY_SCALE else "")
            diverged = sum(not r.ok for r in group)
            rows.append([name, s_text] + [mean_cell(group, c) for c in columns] + [f"{diverged}/{len(group)}"])
    print(table(["loss", "s"] + columns + ["diverged"], rows, left=2))

    print(
        f"\n### (b) The family at its defaults, s = {losses.TOY_SCALE:g} "
        f"(mean ± sd over seeds {', '.join(map(str, family_seeds))})\n"
    )
    columns = ["test acc (%)", "θ_y (°)", "p95 intra (°)", "p5 inter (°)", "open-set AUC"]
    rows = []
    for spec in family_specs(family_seeds[0]):
        group = [recs[ModelSpec(spec.loss, spec.margin, seed, spec.scale)] for seed in family_seeds]
        met = sum(bool(r.robust_criterion_met) for r in group)
        diverged = sum(not r.ok for r in group)
        rows.append(
            [spec.name]
            + [mean_sd_cell(group, c) for c in columns]
            + [f"{met}/{len(group)}", f"{diverged}/{len(group)}"]
        )
    print(table(["model"] + columns + ["p95 intra < p5 inter", "diverged"], rows))
    if blown:
        print(f"\nblown up (finite, median ‖x‖ > 1e3): {', '.join(blown)}")


if __name__ == "__main__":
    main()
