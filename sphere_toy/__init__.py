"""sphere_toy: a classroom visualizer for SphereFace's angular-margin losses (Liu et al., CVPR 2017).

Modules: `losses` (the math), `models` (the embedding net), `data`, `train` (a vmapped grid of models), `metrics`
(angles, accuracy, open-set verification), `plots` (matplotlib figures), and a CLI in `__main__`.
"""

import os as _os

# A grid of small models is faster split across CPU cores than run on one (see train.py): expose one XLA host
# device per core. This must happen before JAX starts, so importing sphere_toy before jax makes it take effect;
# a user's own XLA_FLAGS setting is left alone, and GPUs are unaffected (it only concerns the host platform).
if "xla_force_host_platform_device_count" not in _os.environ.get("XLA_FLAGS", ""):
    _os.environ["XLA_FLAGS"] = (_os.environ.get("XLA_FLAGS", "") +
                                f" --xla_force_host_platform_device_count={min(_os.cpu_count() or 1, 8)}").strip()
