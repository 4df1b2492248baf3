"""Training: a whole grid of models (any mix of the registered losses, margins and seeds) in one compiled call.

`grid` trains (the compiled step, chunks, snapshots, several experiments together, the compilation cache), `types`
says what a run is told and gives back (`TrainConfig`, `Experiment`, `GridResult`), `saved` writes a run to one
.npz and reads it back. Import from here: `from sphere_toy.train import TrainConfig, train_grid`.
"""

from sphere_toy.train.grid import (  # noqa: F401
    CLASS_BUCKET,
    MAX_PROGRAMS,
    ROW_BUCKET,
    computed_models,
    device_count,
    enable_compilation_cache,
    in_memory,
    merge_key,
    model_logits,
    padded_size,
    program_key,
    train_experiments,
    train_grid,
)
from sphere_toy.train.saved import load_result, save_result  # noqa: F401
from sphere_toy.train.types import BLOWUP_SCALE, MAX_FEATURE_DIM, Experiment, GridResult, TrainConfig  # noqa: F401
