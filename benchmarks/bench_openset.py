"""The Open-set identities preset: how much five seeds in one compiled call cost against one, and how fast the data
are made. Target on a 2-core CPU: the 5-seed grid under 3x the time of one seed.

    python benchmarks/bench_openset.py [--repeats 2]

Training times are measured once compiled (the best of --repeats), in one process; the data generation is timed
for the preset and for the largest identities set the library accepts. The AUC table in docs/cli.md comes from
`python -m sphere_toy sweep` (the command is in docs/cli.md).
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout, as the app is

import sphere_toy  # noqa: F401  (before JAX starts: sets the XLA flags)
from sphere_toy.data import DataConfig, load
from sphere_toy.experiment import PRESETS
from sphere_toy.train import train_grid

TARGET = 3.0


def best_train_seconds(settings, repeats: int) -> float:
    data = load(settings.data_config())
    runs = [train_grid(data, settings.specs(), settings.train_config()) for _ in range(repeats + 1)]  # +1: compile
    return min(r.train_seconds for r in runs[1:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=2, help="trainings per grid once compiled (best is kept)")
    args = parser.parse_args()
    preset = PRESETS["Open-set identities"].settings
    print(f"preset: {preset.describe()}; {os.cpu_count()} CPU cores")
    one = best_train_seconds(preset.replace(seeds=1), args.repeats)
    five = best_train_seconds(preset, args.repeats)
    models = len(preset.losses)
    print(f"1 seed  ({models} models):      {one:6.2f} s")
    print(f"5 seeds ({5 * models} models, one call): {five:6.2f} s")
    print(f"ratio: {five / one:.2f}x   (target under {TARGET:g}x: {'ok' if five / one < TARGET else 'NOT MET'})")
    for config in (preset.data_config(), DataConfig(source="identities", n_classes=400, held_out=200)):
        t0 = time.perf_counter()
        data = load(config)
        print(
            f"data: {config.n_classes} + {config.held_out} identities x {config.samples_per_class} photos: "
            f"{time.perf_counter() - t0:.3f} s ({len(data.y_train) + len(data.y_test) + len(data.y_open)} samples)"
        )


if __name__ == "__main__":
    main()
