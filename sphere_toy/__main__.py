"""Command line: `python -m sphere_toy {compare,train,figures,sweep} ...`.

  compare   train a grid of models (--losses, default softmax, M-softmax and A-softmax for each --m) in one
            compiled call; print a table (or --json)
  train     the same, saving the whole run (data, features, weights, history, snapshots) to --out run.npz
  figures   the same, writing the slides' PNGs and a Markdown stats table to --out DIR; --from run.npz draws a
            saved run without training
  warmup    compile the default experiment's and every preset's programs into the persistent cache, before class
  sweep     vary one knob (--knob dim|classes|m, --values ...) over --seeds; write sweep.md, sweep.csv and
            sweep.png (open-set AUC per loss, mean ± sd, every seed) to --out DIR

Exit status: 0 fine, 2 bad arguments (one line naming the argument), 3 a model diverged (NaN/inf).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import sys

import sphere_toy  # noqa: F401  (sets up XLA's per-core CPU devices before JAX starts)
from sphere_toy.errors import SettingError

DIVERGED = 3
# The flags that set the data's own fields, which `data.load` checks: its errors (`errors.SettingError`) name the
# field, the command line reports the flag. (The experiment's fields are named by `flag`, one rule for all.)
_DATA_FLAGS = {
    "source": "--data",
    "n_classes": "--classes",
    "held_out": "--held-out",
    "classes": "--class-ids",
    "samples_per_class": "--samples",
    "imbalance": "--imbalance",
    "overlap": "--overlap",
    "nuisance": "--nuisance",
    "seed": "--seed",
}


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
            bounds = f"[{_num(lo)}, {_num(hi)}]" if hi is not None else f">= {_num(lo)}"
            raise argparse.ArgumentTypeError(f"{text} is out of range {bounds}")
        return value

    return parse


def _num(x) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _int_list(lo=0, hi=None, max_len=None):
    def parse(text):
        try:
            values = tuple(int(v) for v in text.split(",") if v.strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a comma-separated list of integers") from None
        if not values or min(values) < lo or (hi is not None and max(values) > hi):
            raise argparse.ArgumentTypeError(
                f"{text!r} must list integers in [{lo}, {hi}]"
                if hi is not None
                else f"{text!r} must list integers >= {lo}"
            )
        if max_len is not None and len(values) > max_len:
            raise argparse.ArgumentTypeError(f"{text!r} lists more than {max_len} values")
        return values

    return parse


def _model(text):
    from sphere_toy.core import margins

    try:
        return margins.parse(text).token
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


# The experiment's flags are generated from the app's declaration (`settings.LIMITS`): one name, one bound, one
# help text for both. Flags the CLI adds: several --seed values (one grid), --class-ids, --m (A-softmax shorthand).
_GROUPS = {
    "data": ("data", "classes", "held_out", "samples", "nuisance", "imbalance", "overlap"),
    "training": (
        "dim",
        "hidden",
        "steps",
        "batch",
        "lr",
        "optimizer",
        "lambda_base",
        "lambda_gamma",
        "lambda_power",
        "lambda_min",
    ),
    "models": ("losses", "scale", "seed", "seeds"),
}


def flag(field: str) -> str:
    """The CLI flag of an experiment field: held_out -> --held-out."""
    return "--" + field.replace("_", "-")


def _add_experiment_args(p: argparse.ArgumentParser) -> None:
    from sphere_toy.experiment import LIMITS, Settings

    defaults = Settings()
    groups = {title: p.add_argument_group(title) for title in _GROUPS}
    for title, fields in _GROUPS.items():
        group = groups[title]
        for field in fields:
            limit, default = LIMITS[field], getattr(defaults, field)
            kw = {"help": limit.help.replace("%", "%%"), "default": default, "dest": field}
            if field == "losses":
                kw.update(
                    type=_model,
                    nargs="+",
                    default=None,
                    help="models to train, each a loss id with an optional :margin, e.g. softmax msoftmax "
                    "asoftmax:4 normface cosface:0.35 arcface:0.5 (default: softmax msoftmax and "
                    "asoftmax:m for each --m)",
                )
            elif field == "seed":
                kw.update(
                    type=_ranged(int, int(limit.lo), int(limit.hi)),
                    nargs="+",
                    default=[default],
                    help="one or more seeds: one model per loss and seed, in one grid (data from the first)",
                )
            elif field == "hidden":
                kw.update(type=_int_list(int(limit.lo), int(limit.hi), limit.max_len))
            elif field == "held_out":
                kw.update(
                    type=_ranged(int, int(limit.lo), int(limit.hi)),
                    default=None,
                    help=limit.help + " (default: digits, all the others up to 8; blobs, 4)",
                )
            elif limit.choices:
                kw.update(type=limit.kind, choices=limit.choices)
            else:
                kw.update(type=_ranged(limit.kind, limit.kind(limit.lo), limit.kind(limit.hi)))
            group.add_argument(flag(field), **kw)
    groups["models"].add_argument(
        "--m",
        type=_ranged(int, 1, 6),
        nargs="+",
        default=None,
        help="A-softmax margins, one model each (shorthand: alone, softmax msoftmax and asoftmax:m; default 1 2 3 4)",
    )
    groups["data"].add_argument(
        "--class-ids", type=_int_list(), default=None, help="digits only: which digits to train on, e.g. 0,1,7"
    )


class _Help(argparse.ArgumentDefaultsHelpFormatter):
    """Each option's default in its help, unless it has none or its help already says what it is."""

    def _get_help_string(self, action):
        if action.default is None or action.required or "default" in (action.help or ""):
            return action.help
        return super()._get_help_string(action)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="python -m sphere_toy",
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
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
    sub.add_parser("warmup", **sub_kw, help="compile every preset's programs into the disk cache, before class")
    sweep = sub.add_parser(
        "sweep", **sub_kw, help="vary one knob over seeds; write a table and a figure of open-set AUC"
    )
    _add_experiment_args(sweep)
    sweep.add_argument(
        "--knob",
        required=True,
        choices=("dim", "classes", "m"),
        help="what to vary: the feature dimension, the classes trained on, or A-softmax's m",
    )
    sweep.add_argument("--values", required=True, type=_ranged(int, 1), nargs="+", help="the knob's values")
    sweep.add_argument("--out", required=True, help="output directory (sweep.md, sweep.csv, sweep.png)")
    figures.add_argument(
        "--from",
        dest="from_run",
        metavar="RUN.NPZ",
        default=None,
        help="draw a run saved by `train` instead of training (the experiment flags are ignored)",
    )
    return parser


def _settings(args):
    """The experiment the arguments describe, as the app's `Settings` (the first seed); SettingError naming a field."""
    from sphere_toy.core import margins
    from sphere_toy.experiment import LIMITS, Settings, canonical_tokens

    tokens = list(args.losses or [])
    if args.m is not None or not tokens:
        ms = args.m or [1, 2, 3, 4]
        tokens += list(margins.sphereface_tokens(ms)) if not tokens else list(margins.asoftmax_tokens(ms))
    n_classes = len(args.class_ids) if args.class_ids else args.classes
    values = {field: getattr(args, field) for field in LIMITS if field not in ("losses", "seed", "held_out")}
    probe = Settings(**{**values, "classes": n_classes, "held_out": 0})
    held_out = args.held_out
    if held_out is None:
        held_out = probe.max_held_out() if args.data == "digits" else Settings().held_out
    return Settings(
        **{
            **values,
            "classes": n_classes,
            "held_out": held_out,
            "losses": canonical_tokens(tokens),
            "seed": args.seed[0],
        }
    )


def _configs(args):
    """The data, training config and models the arguments describe; SettingError naming a field if they are wrong."""
    settings = _settings(args)
    data = dataclasses.replace(settings.data_config(), classes=args.class_ids)
    specs = tuple(
        dict.fromkeys(spec for seed in dict.fromkeys(args.seed) for spec in settings.replace(seed=seed).specs())
    )  # --seed 0 1 --seeds 2: 0, 1, 2
    return data, settings.train_config(), specs


def _deg(x):
    return "-" if x is None else f"{math.degrees(x):6.1f}"


def format_table(records) -> str:
    """The compare table of `evaluate.ModelRecord`s: accuracies, then the paper's angle criterion in degrees."""
    head = (
        f"{'model':<15}{'seed':>5}{'train':>7}{'test':>7}{'θ_y':>7}{'max∠in':>8}{'min∠out':>8}{'p95in':>7}"
        f"{'p5out':>7}{'min∠W':>7}{'crit':>6}{'AUC':>7}"
    )
    lines = [head, "-" * len(head)]
    for r in records:
        if not r.ok:
            lines.append(f"{r.name:<15}{r.seed:>5}  diverged at step {r.nan_step}")
            continue
        auc = "-" if r.open_set_auc is None else f"{r.open_set_auc:.3f}"
        lines.append(
            f"{r.name:<15}{r.seed:>5}{r.train_acc:7.3f}{r.test_acc:7.3f}{_deg(r.mean_target_angle)} "
            f"{_deg(r.max_intra_angle)} {_deg(r.min_inter_angle)}{_deg(r.p95_intra_angle)}"
            f"{_deg(r.p5_inter_angle)}{_deg(r.min_weight_angle)}"
            f"{'yes' if r.criterion_met else 'no':>6}{auc:>7}"
        )
    lines.append(
        "angles in degrees on the closed-set test samples; crit: max intra-class angle < min inter-class "
        "angle; AUC: open-set verification by cosine similarity on held-out classes"
    )
    return "\n".join(lines)


def _sweep(parser, args) -> int:
    """Train the experiment at each value of --knob (seeds per model from --seeds), write the table and figure."""
    from sphere_toy.analysis import sweep
    from sphere_toy.plots import sweep as sweep_files
    from sphere_toy.data import load
    from sphere_toy.train import train_grid

    base = _settings(args)

    def train(settings):
        print(f"training {settings.describe()}", file=sys.stderr)
        return train_grid(load(settings.data_config()), settings.specs(), settings.train_config())

    try:
        rows = sweep.sweep(base, args.knob, args.values, train)
    except ValueError as e:  # a knob's value the experiment does not allow, named as its flag
        message = e.named({field: flag(field) for field in e.fields}) if isinstance(e, SettingError) else e
        parser.exit(2, f"{parser.prog} sweep: error: {message}\n")
    for path in sweep_files.write_sweep(rows, args.knob, args.out):
        print(path)
    print(sweep.sweep_markdown(rows, args.knob))
    return 0


def warmup(train=None, together=None) -> int:
    """Compile the programs of the app's default experiment and of every preset into JAX's persistent cache, those
    of the default experiment's form changes that change a shape (a number of classes in the next bucket; 2, 4, 8
    and 9 models of the line-up, which train 2, 3, 7 and 8 models: shapes of 2, 4 and 8), and those of a room's
    merged runs of the default experiment (2, 3, ... 8 runs trained in one call, as many as
    `jobs.MAX_MODELS_TOGETHER` allows).

    A grid's program depends on its shapes (models, network, the bucket of its classes and training samples, batch,
    the 100-step chunk), not on its step count, seeds, rates, λ or margins, so one chunk of each experiment compiles
    exactly what the class's runs will load from disk: a change then costs about 0.5 s to load instead of about 3 s
    to compile."""
    import time

    from sphere_toy.serving.cost import models
    from sphere_toy.serving.jobs import MAX_MODELS_TOGETHER
    from sphere_toy.experiment import PRESETS, Settings
    from sphere_toy.train import CLASS_BUCKET, enable_compilation_cache, padded_size, train_experiments, train_grid

    train, together = train or train_grid, together or train_experiments
    print(f"compilation cache: {enable_compilation_cache()}")
    default = Settings()
    family = default.losses + ("normface", "cosface:0.35", "arcface:0.5")  # the whole family: 9 models
    buckets = {padded_size(c, CLASS_BUCKET): c for c in range(default.max_classes(), 1, -1)}  # each bucket's fewest
    changes = [
        (f"default, {c} classes", Settings.from_query({"classes": str(c)})[0])  # held out clamped as the
        for bucket, c in sorted(buckets.items())  # form clamps it
        if bucket != padded_size(default.classes, CLASS_BUCKET)
    ]
    changes += [(f"default, {n} models", default.replace(losses=family[:n])) for n in (2, 4, 8, 9)]
    for name, settings in [("default", default), *((name, p.settings) for name, p in PRESETS.items()), *changes]:
        t0 = time.perf_counter()
        train(*settings.experiment(first_chunk=True))
        print(f"{time.perf_counter() - t0:5.1f} s  {name}")
    one = default.experiment(first_chunk=True)
    for runs in range(2, MAX_MODELS_TOGETHER // models(default) + 1):  # every size a group can have
        t0 = time.perf_counter()
        together([one] * runs)
        print(f"{time.perf_counter() - t0:5.1f} s  {runs} default runs trained together (a room)")
    return 0


def main(argv=None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    from sphere_toy.analysis import evaluate
    from sphere_toy.data import load
    from sphere_toy.train import load_result, save_result, train_grid

    if args.command == "warmup":
        return warmup()
    if getattr(args, "from_run", None):  # figures of a saved run: nothing to train
        from sphere_toy.plots.slides import write_figures

        try:
            result = load_result(args.from_run)
        except (OSError, ValueError, KeyError) as e:
            parser.exit(2, f"{parser.prog} {args.command}: error: cannot read --from {args.from_run}: {e}\n")
        for path in write_figures(result, args.out):
            print(path)
        return 0

    def fail(message):  # argparse style: one line naming the flag, exit status 2, never a traceback
        parser.exit(2, f"{parser.prog} {args.command}: error: {message}\n")

    try:
        data_config, train_config, specs = _configs(args)
    except SettingError as e:
        # the number of classes comes from --class-ids when it is given
        fail(
            e.named(
                {field: "--class-ids" if field == "classes" and args.class_ids else flag(field) for field in e.fields}
            )
        )
    try:
        data = load(data_config)
    except SettingError as e:
        fail(e.named(_DATA_FLAGS))
    if args.command == "sweep":
        return _sweep(parser, args)
    result = train_grid(data, specs, train_config)
    records = evaluate.records(result)

    if args.command == "compare":
        print(json.dumps([r.as_json() for r in records], indent=1) if args.json else format_table(records))
        if not args.json:
            print(
                f"compile {result.compile_seconds:.2f} s, train {result.train_seconds:.2f} s "
                f"({train_config.steps / result.train_seconds:.0f} steps/s for {len(specs)} models)"
            )
    elif args.command == "train":
        save_result(result, args.out)
        print(f"saved {len(specs)} models to {args.out}")
    else:
        from sphere_toy.plots.slides import write_figures

        for path in write_figures(result, args.out):
            print(path)

    bad = [r for r in records if not r.ok]
    for r in bad:
        print(
            f"error: {r.name} (seed {r.seed}) diverged at step {r.nan_step}; "
            "lower the learning rate or raise --lambda-min",
            file=sys.stderr,
        )
    return DIVERGED if bad else 0


if __name__ == "__main__":
    sys.exit(main())
