"""Command line: `python -m sphere_toy {compare,train,figures} ...`.

  compare   train softmax, M-softmax and A-softmax for each m in one compiled call; print a table (or --json)
  train     the same, saving the grid's features, labels, weights, history and snapshots to --out run.npz
  figures   the same, writing the slides' PNGs and a Markdown stats table to --out DIR

Exit status: 0 fine, 2 bad arguments (one line naming the argument), 3 a model diverged (NaN/inf).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

import sphere_toy  # noqa: F401  (sets up XLA's per-core CPU devices before JAX starts)

DIVERGED = 3
_FLAGS = {"n_classes + held_out": "--classes + --held-out", "n_classes": "--classes", "held_out": "--held-out",
          "classes must": "--class-ids must", "samples_per_class": "samples per class"}


class _Parser(argparse.ArgumentParser):
    def error(self, message):  # argparse style, one line, no usage block and never a traceback
        self.exit(2, f"{self.prog}: error: {message}\n")


def _ranged(kind, lo=None, hi=None):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a valid {kind.__name__}") from None
        if not math.isfinite(value) or (lo is not None and value < lo) or (hi is not None and value > hi):
            bounds = f"[{lo}, {hi}]" if hi is not None else f">= {lo}"
            raise argparse.ArgumentTypeError(f"{text} is out of range {bounds}")
        return value
    return parse


def _int_list(text):
    try:
        values = tuple(int(v) for v in text.split(",") if v.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError(f"{text!r} must list integers >= 0")
    return values


def _add_experiment_args(p: argparse.ArgumentParser) -> None:
    from sphere_toy.train import TrainConfig

    defaults = TrainConfig()
    d = p.add_argument_group("data")
    d.add_argument("--data", choices=("digits", "blobs"), default="digits",
                   help="scikit-learn's 8x8 digits or Gaussian blobs")
    d.add_argument("--classes", type=_ranged(int, 2, 10), default=6, help="K classes trained on")
    d.add_argument("--class-ids", type=_int_list, default=None,
                   help="digits only: which digits to train on, e.g. 0,1,7")
    d.add_argument("--held-out", type=_ranged(int, 0, 8), default=None,
                   help="open-set classes never trained on (default: digits, all the others; blobs, 2)")
    d.add_argument("--imbalance", type=_ranged(float, 1.0), default=1.0, help="largest/smallest training class size")
    d.add_argument("--overlap", type=_ranged(float, 0.05, 10.0), default=1.0,
                   help="blobs only: how much classes overlap")
    t = p.add_argument_group("training")
    t.add_argument("--dim", type=_ranged(int, 2, 3), default=defaults.feature_dim, help="feature dimension, 2 or 3")
    t.add_argument("--hidden", type=_int_list, default=defaults.hidden, help="hidden widths, e.g. 64,64")
    t.add_argument("--steps", type=_ranged(int, 1, 1_000_000), default=defaults.steps, help="training steps")
    t.add_argument("--batch", type=_ranged(int, 1, 100_000), default=defaults.batch_size, help="minibatch size")
    t.add_argument("--lr", type=_ranged(float, 1e-12), default=defaults.learning_rate, help="learning rate")
    t.add_argument("--optimizer", choices=("adam", "sgd"), default=defaults.optimizer,
                   help=f"Adam, or SGD with momentum {defaults.momentum:g}")
    t.add_argument("--m", type=_ranged(int, 1, 8), nargs="+", default=[1, 2, 3, 4], help="A-softmax margins to train")
    t.add_argument("--seed", type=_ranged(int, 0), nargs="+", default=[0], help="one or more seeds (initialisation)")
    lam = "λ = max(λ_min, base·(1 + γ·step)^(-power)), annealed from ≈ M-softmax to A-softmax"
    t.add_argument("--lambda-base", type=_ranged(float, 0.0), default=defaults.lambda_base, help=lam)
    t.add_argument("--lambda-gamma", type=_ranged(float, 0.0), default=defaults.lambda_gamma,
                   help="γ in the λ schedule")
    t.add_argument("--lambda-power", type=_ranged(float, 0.0), default=defaults.lambda_power,
                   help="power in the λ schedule (the official code uses 1)")
    t.add_argument("--lambda-min", type=_ranged(float, 0.0), default=defaults.lambda_min,
                   help="the paper's face models use 5, which weakens m = 4 to about m = 1.5")


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's default in its help, unless it has none or its help already says what it is."""

    def _get_help_string(self, action):
        if action.default is None or action.required or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m sphere_toy", description=__doc__.split("\n\n")[0],
                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    sub_kw = {"formatter_class": _Help}
    compare = sub.add_parser("compare", **sub_kw, help="train the grid and print a table of angles and accuracies")
    _add_experiment_args(compare)
    compare.add_argument("--json", action="store_true", help="print one JSON record per model instead")
    train = sub.add_parser("train", **sub_kw, help="train the grid and save it to an .npz file")
    _add_experiment_args(train)
    train.add_argument("--out", required=True, help="output file, e.g. run.npz")
    figures = sub.add_parser("figures", **sub_kw, help="train the grid and write PNG figures and stats.md for slides")
    _add_experiment_args(figures)
    figures.add_argument("--out", required=True, help="output directory")
    return parser


def _configs(args):
    from sphere_toy.data import DataConfig
    from sphere_toy.train import TrainConfig, model_grid

    n_classes = len(args.class_ids) if args.class_ids else args.classes
    held_out = args.held_out
    if held_out is None:
        held_out = (10 - n_classes) if args.data == "digits" else 2
    data = DataConfig(source=args.data, n_classes=n_classes, held_out=held_out, classes=args.class_ids,
                      imbalance=args.imbalance, overlap=args.overlap, seed=args.seed[0])
    train = TrainConfig(hidden=args.hidden, feature_dim=args.dim, steps=args.steps, batch_size=args.batch,
                        learning_rate=args.lr, optimizer=args.optimizer, lambda_base=args.lambda_base,
                        lambda_gamma=args.lambda_gamma, lambda_power=args.lambda_power, lambda_min=args.lambda_min)
    return data, train, model_grid(ms=tuple(dict.fromkeys(args.m)), seeds=tuple(dict.fromkeys(args.seed)))


def _deg(x):
    return "-" if x is None else f"{math.degrees(x):6.1f}"


def format_table(records) -> str:
    """The compare table: accuracies, then the paper's angle criterion numbers in degrees."""
    head = (f"{'model':<15}{'seed':>5}{'train':>7}{'test':>7}{'θ_y':>7}{'max∠in':>8}{'min∠out':>8}{'p95in':>7}"
            f"{'p5out':>7}{'min∠W':>7}{'crit':>6}{'AUC':>7}")
    lines = [head, "-" * len(head)]
    for r in records:
        if r["nan_step"] is not None:
            lines.append(f"{r['name']:<15}{r['seed']:>5}  diverged at step {r['nan_step']}")
            continue
        auc = "-" if r["open_set_auc"] is None else f"{r['open_set_auc']:.3f}"
        lines.append(
            f"{r['name']:<15}{r['seed']:>5}{r['train_acc']:7.3f}{r['test_acc']:7.3f}{_deg(r['mean_target_angle'])} "
            f"{_deg(r['max_intra_angle'])} {_deg(r['min_inter_angle'])}{_deg(r['p95_intra_angle'])}"
            f"{_deg(r['p5_inter_angle'])}{_deg(r['min_weight_angle'])}"
            f"{'yes' if r['criterion_met'] else 'no':>6}{auc:>7}")
    lines.append("angles in degrees on the closed-set test samples; crit: max intra-class angle < min inter-class "
                 "angle; AUC: open-set verification by cosine similarity on held-out classes")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from sphere_toy.data import load
    from sphere_toy.train import save_result, train_grid

    try:
        data_config, train_config, specs = _configs(args)
        data = load(data_config)
    except ValueError as e:  # the library's validation names its field; report it as the flag, argparse-style
        message = str(e)
        for field, flag in _FLAGS.items():
            message = message.replace(field, flag)
        parser.exit(2, f"{parser.prog} {args.command}: error: {message}\n")
    result = train_grid(data, specs, train_config)
    records = result.records()

    if args.command == "compare":
        print(json.dumps(records, indent=1) if args.json else format_table(records))
        if not args.json:
            print(f"compile {result.compile_seconds:.2f} s, train {result.train_seconds:.2f} s "
                  f"({train_config.steps / result.train_seconds:.0f} steps/s for {len(specs)} models)")
    elif args.command == "train":
        save_result(result, args.out)
        print(f"saved {len(specs)} models to {args.out}")
    else:
        from sphere_toy.figures import write_figures
        for path in write_figures(result, args.out):
            print(path)

    bad = [r for r in records if r["nan_step"] is not None]
    for r in bad:
        print(f"error: {r['name']} (seed {r['seed']}) diverged at step {r['nan_step']}; "
              "lower the learning rate or raise --lambda-min", file=sys.stderr)
    return DIVERGED if bad else 0


if __name__ == "__main__":
    sys.exit(main())
