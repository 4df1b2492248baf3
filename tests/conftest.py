# sphere_toy must be imported before JAX initialises its backend, so that the grid can use every CPU core.
import sphere_toy  # noqa: F401

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def app_runs():
    """The app's two standard experiments, shortened to 300 steps: the default (3-D, six models on 6 digits with 4
    held out) and the "Paper Fig. 2" preset (2-D). Trained once per test session, as the app's job does."""
    from sphere_toy.serving.jobs import train_settings
    from sphere_toy.experiment import PRESETS, Settings

    shorten = {"steps": 300}
    return {
        3: train_settings(Settings().replace(**shorten)),
        2: train_settings(PRESETS["Paper Fig. 2: 2-D features"].settings.replace(**shorten)),
    }


# Small trained grids on seeded blobs (3 classes + 2 held out, 16-D inputs, 300 steps), trained once per session
# and shared by every test module that draws or measures a run.
BLOBS = {"source": "blobs", "n_classes": 3, "held_out": 2, "input_dim": 16, "samples_per_class": 60, "seed": 0}


FAMILY = (("msoftmax",), ("asoftmax", 4), ("normface",), ("cosface",), ("arcface",))  # family_runs' models


def _blob_run(dim, specs):
    from sphere_toy.data import DataConfig, load
    from sphere_toy.train import TrainConfig, train_grid

    config = TrainConfig(hidden=(16,), feature_dim=dim, steps=300, batch_size=64, chunk_steps=100)
    return train_grid(load(DataConfig(**BLOBS)), specs, config)


@pytest.fixture(scope="session")
def r2():
    """2-D features of softmax, M-softmax and A-softmax m=4 on the blobs."""
    from sphere_toy.core.margins import model_grid

    return _blob_run(2, model_grid(ms=(4,)))


@pytest.fixture(scope="session")
def r3():
    """The same grid with 3-D features."""
    from sphere_toy.core.margins import model_grid

    return _blob_run(3, model_grid(ms=(4,)))


@pytest.fixture(scope="session")
def family_runs():
    """The margin family on the blobs, 2-D and 3-D: M-softmax, A-softmax m=4, NormFace, CosFace, ArcFace."""
    from sphere_toy.core.margins import ModelSpec

    specs = [ModelSpec(*args) for args in FAMILY]
    return {2: _blob_run(2, specs), 3: _blob_run(3, specs)}
