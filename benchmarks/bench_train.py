"""The standard workload of the core issue: how fast the grid compiles and trains.

6 models (softmax, M-softmax, A-softmax m = 1..4), 3000 steps, batch 128, digits with 6 classes, 3-D features,
hidden 64,64 — the same as `python -m sphere_toy compare --data digits --classes 6 --dim 3 --hidden 64,64
--steps 3000 --batch 128 --m 1 2 3 4 --seed 0`.

Each measurement runs in a fresh process, as a user meets it:
  cold    an empty persistent compilation cache (first ever run on a machine),
  cached  a second process, compiling from the persistent cache,
and within one process the best of --repeats trainings once compiled. Targets on a 2-core CPU: train < 2 s,
cold compile < 5 s, cached compile < 1 s.

    python benchmarks/bench_train.py [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]

CHILD = """
import json, sys, time
import sphere_toy
from sphere_toy.data import DataConfig, load
from sphere_toy.train import TrainConfig, model_grid, train_grid
data = load(DataConfig(source="digits", n_classes=6, held_out=4, seed=0))
specs, config = model_grid(ms=(1, 2, 3, 4)), TrainConfig(hidden=(64, 64), feature_dim=3, steps=3000, batch_size=128)
runs = [train_grid(data, specs, config) for _ in range(int(sys.argv[1]))]
print(json.dumps({"compile": runs[0].compile_seconds, "train": [r.train_seconds for r in runs],
                  "steps": config.steps, "models": len(specs)}))
"""


def run_child(cache_dir: str, repeats: int) -> dict:
    env = {**os.environ, "SPHERE_TOY_CACHE": cache_dir, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(repeats)], env=env, check=True, capture_output=True,
                         text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="trainings per process (best is reported)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as cache:
        cold = run_child(cache, args.repeats)
        cached = run_child(cache, args.repeats)
    train = min(cold["train"] + cached["train"])
    steps, models = cold["steps"], cold["models"]
    print(f"workload: {models} models x {steps} steps, batch 128, digits 6 classes, 3-D features, hidden 64,64; "
          f"{os.cpu_count()} CPU cores")
    print(f"compile, cold cache:      {cold['compile']:6.2f} s   (target < 5 s)")
    print(f"compile, from disk cache: {cached['compile']:6.2f} s   (target < 1 s)")
    print(f"train, once compiled:     {train:6.2f} s   (target < 2 s; best of {2 * args.repeats})")
    print(f"throughput:               {steps / train:6.0f} steps/s, {models * steps / train:6.0f} model-steps/s")
    print(f"first training in a fresh process: {cold['train'][0]:.2f} s (cold), {cached['train'][0]:.2f} s (cached)")


if __name__ == "__main__":
    main()
