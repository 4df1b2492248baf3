"""Does softmax learn a class PRIOR on imbalanced data, and does M-softmax avoid it? Measured, not assumed.

SphereFace (Liu et al., CVPR 2017, Sec. 3.1) fixes ‖W_j‖ = 1 and b_j = 0 in M-softmax / A-softmax partly because a free
norm and bias can act as a class prior when the classes are imbalanced. This benchmark trains the app's models on
imbalanced data and asks, per seed, whether three quantities grow with the class's training size n_j (Spearman rank
correlation ρ over the K classes; ρ = 1 means the quantity is ordered exactly like the class sizes):

  ‖W_j‖   softmax's class-weight norm (M-softmax: fixed at 1, so no ρ)
  b_j     softmax's class bias (M-softmax: fixed at 0, so no ρ)
  angle   the angle of the sector of the feature plane (2-D features) where class j wins, on the circle of the model's
          median training-feature radius r: softmax's full rule argmax_j x·W_j + b_j, M-softmax's purely angular rule
          argmax_j cos θ_j. Unlike the norms and biases this has a real M-softmax counterpart.

A setting "shows the prior" when softmax's ρ is >= 0.7 on most seeds and M-softmax's counterpart is not. Every model is
trained exactly as the app trains its settings (`Settings.data_config/train_config/specs`, the whole line-up of the
settings, here softmax, M-softmax and A-softmax m = 4; only the first two are reported). The settings, each with
seed = s for s in --seeds (data split, imbalance subsampling and initialisation all follow the seed):

  preset      the app's "Imbalanced classes" preset as it is (digits, 6 classes, imbalance 10, hidden 64,64, Adam)
  found       the preset with data=blobs, classes=10, overlap=3, imbalance=20, hidden=3, optimizer=sgd, lr=0.01:
              heavily overlapping classes and a net too small to memorise them, so the bias has a prior to learn
  norms       the preset with data=blobs, overlap=1.5, imbalance=20, hidden=16, optimizer=sgd, lr=0.01: softmax's
              norms follow class size, but so do M-softmax's angular sectors (the prior moves into the directions)

Printed per setting: a Markdown table per model of mean ± sd over seeds of ρ and how many seeds reach 0.7, the mean
train/test accuracy, and the per-class numbers of one seed (--per-class-seed, default the first).

    .venv/bin/python benchmarks/bench_imbalance.py                 # seeds 0-9, about 2 minutes on 2 cores
    .venv/bin/python benchmarks/bench_imbalance.py --quick         # seeds 0-4
    .venv/bin/python benchmarks/bench_imbalance.py --seeds 0-19 --settings found,preset
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time
import warnings

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))

import sphere_toy  # noqa: E402,F401  (first: it sets the XLA host device count before JAX starts)
import numpy as np  # noqa: E402
from scipy.stats import spearmanr  # noqa: E402  (scipy comes with scikit-learn)

from sphere_toy.data import load  # noqa: E402
from sphere_toy.experiment import PRESETS, Settings  # noqa: E402
from sphere_toy.train import train_grid  # noqa: E402

PRESET = PRESETS["Imbalanced classes"].settings
SETTINGS: dict[str, Settings] = {
    "found": PRESET.replace(
        data="blobs", classes=10, overlap=3.0, imbalance=20.0, hidden=(3,), optimizer="sgd", lr=0.01
    ),
    "norms": PRESET.replace(data="blobs", overlap=1.5, imbalance=20.0, hidden=(16,), optimizer="sgd", lr=0.01),
    "preset": PRESET,
}
MODELS = {"softmax": "softmax", "msoftmax": "M-softmax"}
QUANTITIES = ("‖W_j‖", "b_j", "angle")
STRONG = 0.7  # ρ at or above this counts as "strongly positive"
ANGLE_SAMPLES = 3600  # points on the circle: 0.1° resolution


def region_angles(weights: np.ndarray, bias: np.ndarray, radius: float) -> np.ndarray:
    """Degrees of the circle of this radius where each class wins argmax_j x·W_j + b_j. weights (2, C), bias (C,)."""
    t = np.linspace(0.0, 2.0 * np.pi, ANGLE_SAMPLES, endpoint=False)
    x = radius * np.stack([np.cos(t), np.sin(t)], axis=1)  # (S, 2)
    winners = np.argmax(x @ weights + bias, axis=1)
    return np.bincount(winners, minlength=weights.shape[1]) * (360.0 / ANGLE_SAMPLES)


def rho(values: np.ndarray, sizes: np.ndarray) -> float:
    """Spearman ρ of values against class sizes; NaN when the values are constant (fixed by the loss)."""
    if np.ptp(values) <= 1e-6 * max(1.0, float(np.max(np.abs(values)))):
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return float(spearmanr(values, sizes).statistic)


def measure(settings: Settings) -> dict:
    """Train the settings' line-up once; per reported model the per-class quantities and their ρ with class size."""
    data = load(settings.data_config())
    result = train_grid(data, settings.specs(), settings.train_config())
    sizes = np.bincount(data.y_train, minlength=data.n_classes)
    out = {"sizes": sizes}
    for g, spec in enumerate(result.specs):
        if spec.loss not in MODELS:
            continue
        w = result.weights[g].astype(np.float64)  # (2, C): unit columns for M-softmax
        b = result.bias[g].astype(np.float64)  # (C,): zeros for M-softmax
        radius = result.feature_scale(g)
        per_class = {"‖W_j‖": np.linalg.norm(w, axis=0), "b_j": b, "angle": region_angles(w, b, radius)}

        def acc(x, y):
            return float(np.mean(np.argmax(x.astype(np.float64) @ w + b, axis=1) == y))

        out[spec.loss] = {
            "per_class": per_class,
            "radius": radius,
            "rho": {q: rho(v, sizes) for q, v in per_class.items()},
            "train_acc": acc(result.train_features[g], data.y_train),
            "test_acc": acc(result.test_features[g], data.y_test),
            "bad": bool(result.diverged(g) or result.blew_up(g)),
        }
    return out


def describe_changes(settings: Settings) -> str:
    """The fields that differ from the preset, as `name=value` (what to type into the app's form or URL)."""
    query, base = settings.to_query(), PRESET.to_query()
    changed = [f"{k}={v}" for k, v in query.items() if v != base[k] and k != "seed"]
    return ", ".join(changed) if changed else "(the preset itself)"


def fmt(values: list[float]) -> tuple[str, str, str]:
    v = np.asarray(values, dtype=float)
    if np.all(np.isnan(v)):
        return "— (fixed)", "—", "—"
    v = v[~np.isnan(v)]
    return (
        f"{v.mean():+.2f} ± {v.std(ddof=1) if len(v) > 1 else 0.0:.2f}",
        f"{int(np.sum(v >= STRONG))}/{len(v)}",
        " ".join(f"{x:+.2f}" for x in v),
    )


def report(name: str, settings: Settings, seeds: list[int], per_class_seed: int) -> None:
    t0 = time.perf_counter()
    runs = {seed: measure(settings.replace(seed=seed)) for seed in seeds}
    seconds = time.perf_counter() - t0
    print(f"## {name}: {settings.replace(seed=seeds[0]).describe().rsplit(', seed', 1)[0]}\n")
    print(
        f"Fields changed from the preset: {describe_changes(settings)}. Seeds {seeds[0]}..{seeds[-1]} "
        f"({len(seeds)}), {seconds:.0f} s.\n"
    )
    for loss, label in MODELS.items():
        bad = sum(runs[s][loss]["bad"] for s in seeds)
        tr = np.mean([runs[s][loss]["train_acc"] for s in seeds])
        te = np.mean([runs[s][loss]["test_acc"] for s in seeds])
        print(
            f"**{label}** (mean accuracy train {tr:.2f}, test {te:.2f} on a balanced test set; "
            f"{bad} diverged or blown-up runs)\n"
        )
        print(f"| ρ(quantity, class size) | mean ± sd | seeds with ρ ≥ {STRONG} | per seed |")
        print("|---|---|---|---|")
        for q in QUANTITIES:
            mean_sd, strong, each = fmt([runs[s][loss]["rho"][q] for s in seeds])
            print(f"| {q} | {mean_sd} | {strong} | {each} |")
        print()
    one = runs[per_class_seed]
    sm, ms = one["softmax"], one["msoftmax"]
    print(
        f"Per class, seed {per_class_seed} (angles on the circle of each model's median feature radius: "
        f"softmax r = {sm['radius']:.1f}, M-softmax r = {ms['radius']:.1f}):\n"
    )
    print("| class | n_train | softmax ‖W_j‖ | softmax b_j | softmax angle (°) | M-softmax angle (°) |")
    print("|---|---|---|---|---|---|")
    for j, n in enumerate(one["sizes"]):
        print(
            f"| {j} | {n} | {sm['per_class']['‖W_j‖'][j]:.2f} | {sm['per_class']['b_j'][j]:+.2f} | "
            f"{sm['per_class']['angle'][j]:.0f} | {ms['per_class']['angle'][j]:.0f} |"
        )
    print(
        f"| ρ with n_train | | {sm['rho']['‖W_j‖']:+.2f} | {sm['rho']['b_j']:+.2f} | {sm['rho']['angle']:+.2f} | "
        f"{ms['rho']['angle']:+.2f} |\n"
    )


def parse_seeds(text: str) -> list[int]:
    """ "0-9" or "0,1,5" or "3" -> a sorted list of distinct non-negative seeds."""
    seeds: set[int] = set()
    for part in text.split(","):
        lo, _, hi = part.strip().partition("-")
        seeds.update(range(int(lo), int(hi or lo) + 1))
    if not seeds or min(seeds) < 0:
        raise argparse.ArgumentTypeError(f"seeds must be non-negative, like 0-9 or 0,1,2; got {text!r}")
    return sorted(seeds)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog="Settings: " + "; ".join(f"{k}: {describe_changes(v)}" for k, v in SETTINGS.items()),
    )
    parser.add_argument(
        "--seeds",
        type=parse_seeds,
        default=None,
        help="seeds to train, e.g. 0-9 (the default) or 0,1,2; at least 5 for a verdict",
    )
    parser.add_argument("--quick", action="store_true", help="seeds 0-4 only (unless --seeds is given)")
    parser.add_argument(
        "--settings",
        default=",".join(SETTINGS),
        help=f"comma-separated subset of {', '.join(SETTINGS)} (default: all, in that order)",
    )
    parser.add_argument(
        "--per-class-seed",
        type=int,
        default=None,
        help="the seed whose per-class numbers are printed (default: the first seed)",
    )
    args = parser.parse_args(argv)
    seeds = args.seeds or (list(range(5)) if args.quick else list(range(10)))
    names = [n.strip() for n in args.settings.split(",") if n.strip()]
    unknown = [n for n in names if n not in SETTINGS]
    if unknown:
        parser.error(f"unknown settings {unknown}; choose from {', '.join(SETTINGS)}")
    per_class_seed = seeds[0] if args.per_class_seed is None else args.per_class_seed
    if per_class_seed not in seeds:
        parser.error(f"--per-class-seed {per_class_seed} is not one of the seeds trained")
    print("# Class prior under imbalance: Spearman ρ of per-class quantities with training class size\n")
    for name in names:
        report(name, SETTINGS[name], seeds, per_class_seed)


if __name__ == "__main__":
    main()
