"""How close the cost estimate (`sphere_toy.serving.cost`) comes to real runs on this machine, before any calibration.

Trains the app's standard workloads as the app does (`jobs.train_settings`: compile and train; the open-set reports
come later, while the server is idle) and prints the uncalibrated estimate, the measured time, and their ratio.
Target: within a factor of 2 on each.

    python benchmarks/bench_cost.py
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout, as the app is

import sphere_toy  # noqa: F401  (before JAX starts: sets the XLA flags)
from sphere_toy.serving import cost
from sphere_toy.serving.jobs import train_settings
from sphere_toy.experiment import PRESETS, Settings


def main() -> None:
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    workloads = {"default": Settings(), **{name: preset.settings for name, preset in PRESETS.items()}}
    print(f"{os.cpu_count()} CPU cores; estimate = sphere_toy.serving.cost.raw_estimate (no calibration)")
    print(f"{'workload':<42}{'estimate':>10}{'measured':>10}{'ratio':>8}")
    worst = 1.0
    for name, settings in workloads.items():
        estimate = cost.raw_estimate(settings)
        t0 = time.perf_counter()
        train_settings(settings)
        measured = time.perf_counter() - t0
        ratio = estimate / measured
        worst = max(worst, ratio, 1 / ratio)
        print(f"{name[:41]:<42}{estimate:9.1f}s{measured:9.1f}s{ratio:8.2f}")
    print(f"worst factor: {worst:.2f}   (target within 2: {'ok' if worst <= 2 else 'NOT MET'})")


if __name__ == "__main__":
    main()
