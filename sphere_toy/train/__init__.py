"""Training: a whole grid of models (any mix of the registered losses, margins and seeds) in one compiled call.

`grid` trains (chunks, snapshots, several experiments together) with `step` (the compiled program: one chunk of
steps for every model, split across the devices), `padding` (the buckets of classes and rows it sees), `layout` (what
trains together, and where in the grid) and `cache` (the compiled programs a process keeps, on disk and in memory);
`types` says what a run is told and gives back (`TrainConfig`, `Experiment`, `GridResult`), `saved` writes a run to
one .npz and reads it back. Import from here: `from sphere_toy.train import TrainConfig, train_grid`.
"""

from sphere_toy.train.cache import MAX_PROGRAMS, enable_compilation_cache, in_memory, program_key  # noqa: F401
from sphere_toy.train.grid import train_experiments, train_grid  # noqa: F401
from sphere_toy.train.layout import computed_models, merge_key  # noqa: F401
from sphere_toy.train.padding import CLASS_BUCKET, ROW_BUCKET, padded_size  # noqa: F401
from sphere_toy.train.saved import load_result, save_result  # noqa: F401
from sphere_toy.train.step import device_count, model_logits  # noqa: F401
from sphere_toy.train.types import BLOWUP_SCALE, MAX_FEATURE_DIM, Experiment, GridResult, TrainConfig  # noqa: F401
