"""sphere_toy: a classroom visualizer for SphereFace's angular-margin losses (Liu et al., CVPR 2017).

Modules: `losses` (the math), `models` (the embedding net), `data`, `train` (a vmapped grid of models), `metrics`
(angles, accuracy, open-set verification), `plots` (matplotlib figures), and a CLI in `__main__`.
"""

import os as _os

# A grid of small models is faster split across CPU cores than run on one (see train/step.py): expose one XLA host
# device per core. This must happen before JAX starts, so importing sphere_toy before jax makes it take effect;
# a user's own XLA_FLAGS setting is left alone, and GPUs are unaffected (it only concerns the host platform).
if "xla_force_host_platform_device_count" not in _os.environ.get("XLA_FLAGS", ""):
    _os.environ["XLA_FLAGS"] = (
        _os.environ.get("XLA_FLAGS", "") + f" --xla_force_host_platform_device_count={min(_os.cpu_count() or 1, 8)}"
    ).strip()


def _fewer_malloc_arenas(arenas: int = 2) -> bool:
    """Let glibc's malloc keep at most `arenas` arenas from now on (as MALLOC_ARENA_MAX would): True if it was set.

    A server gives every page its own thread, and glibc gives threads arenas of their own (up to 8 per core) that
    keep freed memory: with 30 pages training and drawing at once the app held 1.6 GB, and 1.2 GB with two arenas,
    at the same speed (benchmarks/bench_class.py). It takes effect while fewer than 9 arenas exist, which is so
    when the app first imports this package. A user's own MALLOC_ARENA_MAX is left alone; elsewhere than glibc,
    nothing happens.
    """
    if "MALLOC_ARENA_MAX" in _os.environ:
        return False
    try:
        import ctypes

        libc = ctypes.CDLL("libc.so.6")
        return bool(libc.mallopt(-8, arenas))  # -8 is M_ARENA_MAX in glibc's malloc.h
    except (OSError, AttributeError):  # not glibc (macOS, Windows, musl)
        return False


_fewer_malloc_arenas()
