"""The compiled programs a process keeps: JAX's persistent cache on disk, so that a second process does not compile
again, and a bound on the programs held in memory, by the key that names a call's program (`program_key`).
"""

from __future__ import annotations

import os

import jax

from sphere_toy.train import padding
from sphere_toy.train.layout import _layout, _Layout
from sphere_toy.train.padding import padded_size
from sphere_toy.train.step import _max_m
from sphere_toy.train.types import Experiment


def enable_compilation_cache() -> str:
    """Point JAX's persistent compilation cache at a per-user directory, so a second process does not recompile.

    $SPHERE_TOY_CACHE wins; else $XDG_CACHE_HOME/sphere_toy/jax; else ~/.cache/sphere_toy/jax.
    """
    path = os.environ.get("SPHERE_TOY_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "sphere_toy", "jax"
    )
    os.makedirs(path, exist_ok=True)
    jax.config.update("jax_compilation_cache_dir", path)
    jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)  # our programs are small: cache them all
    jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)
    return path


enable_compilation_cache()


MAX_PROGRAMS = 6  # distinct grid shapes whose compiled programs a process keeps in memory
_programs: set = set()


def _bound_compiled_programs(signature) -> None:
    """Forget JAX's in-memory compiled programs once more than MAX_PROGRAMS grid shapes have been trained.

    JAX keeps what it traced and compiled for every input shape: about 85 MB per grid shape here (twelve hidden
    widths took a process from 300 MB to 1.3 GB and it never shrank). A server meets new shapes for as long as it
    runs (every student's network), so the caches are cleared before a seventh shape compiles; shapes seen before
    then come back from the persistent disk cache in well under a second. Seeds, rates and schedules are traced
    values and never make a new program, nor does a number of classes within its bucket (CLASS_BUCKET).
    """
    if signature in _programs:
        return
    if len(_programs) >= MAX_PROGRAMS:
        jax.clear_caches()
        _programs.clear()
    _programs.add(signature)


def _program_key(experiments: list, layout: _Layout) -> tuple:
    """What decides the compiled training program of a call: its static settings and every input's shape (the grid,
    the network, the bucket of its classes and training rows, the batch, the chunk, the snapshot). Two calls with
    the same key run the same program."""
    data, config = experiments[0].data, experiments[0].config
    n_train = len(data.y_train)
    return (
        config.optimizer,
        float(config.momentum),
        min(config.chunk_steps, config.steps),
        _max_m(layout.models),
        len(experiments) > 1,
        layout.grid,
        padded_size(n_train, padding.ROW_BUCKET),
        data.n_features,
        tuple(config.hidden),
        config.feature_dim,
        padded_size(data.n_classes, padding.CLASS_BUCKET),
        min(config.batch_size, n_train),
        config.snapshot_samples,
    )


def program_key(experiments) -> tuple:
    """The key of the program that trains `experiments` together (one: alone), as `_bound_compiled_programs` keeps
    it. A pure function of the experiments' shapes and static settings, so a caller may keep it (`cost`)."""
    experiments = [Experiment(*e) for e in experiments]
    return _program_key(experiments, _layout([e.specs for e in experiments]))


def in_memory(key: tuple) -> bool:
    """True if this process holds the program of `key` (`program_key`): training it compiles nothing."""
    return key in _programs
