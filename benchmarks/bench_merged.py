"""What a model costs when a class's runs train together: the default experiment merged E times in one call.

`jobs.Jobs` trains students' runs of one preset together (`train.train_experiments`), at most
`jobs.MAX_MODELS_TOGETHER` models per call, counted as trained (`cost.models`: the default run's six specs are five
models, since A-softmax m = 1 is M-softmax and trains once). This prints, for each E, the seconds of training per
spec of the call (what a student's line-up costs, divided by its six) and per model trained; the cap sits where
merged calls start to cost more per model. Each E first trains one chunk (compiling, or loading from the persistent
cache), then the full run (the default 600 steps), timed. Seeds differ between the runs, as thirty students' would.

    python benchmarks/bench_merged.py [--runs 1 4 6 8 10 13 16 26]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import pathlib
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout, as the app is

import sphere_toy  # noqa: F401,E402  (before JAX starts: sets the XLA flags)
from sphere_toy.serving.cost import models  # noqa: E402
from sphere_toy.data import load  # noqa: E402
from sphere_toy.serving.jobs import MAX_MODELS_TOGETHER  # noqa: E402
from sphere_toy.experiment import Settings  # noqa: E402
from sphere_toy.train import Experiment, train_experiments, train_grid  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--runs",
        type=int,
        nargs="+",
        default=[1, 4, 6, 8, 10, 13, 16, 26],
        help="how many default runs train together, one measurement each",
    )
    args = parser.parse_args()
    print(
        f"the default experiment (6 models, {Settings().steps} steps) merged E times, on {os.cpu_count()} CPU cores; "
        f"the app merges at most {MAX_MODELS_TOGETHER} models"
    )
    print(f"{'E':>3} {'specs':>6} {'models':>7} {'train s':>8} {'s/spec':>7} {'s/model':>8}")
    for runs in args.runs:
        experiments = []
        for seed in range(100, 100 + runs):
            settings = Settings(seed=seed)
            experiments.append(Experiment(load(settings.data_config()), settings.specs(), settings.train_config()))
        short = [e._replace(config=dataclasses.replace(e.config, steps=e.config.chunk_steps)) for e in experiments]
        if runs == 1:
            train_grid(*short[0])  # compile
            seconds = train_grid(*experiments[0]).train_seconds
        else:
            train_experiments(short)  # compile
            seconds = train_experiments(experiments)[0].train_seconds
        specs, trained = runs * len(experiments[0].specs), runs * models(Settings())
        print(f"{runs:>3} {specs:>6} {trained:>7} {seconds:>8.1f} {seconds / specs:>7.3f} {seconds / trained:>8.3f}")


if __name__ == "__main__":
    main()
