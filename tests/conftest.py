# sphere_toy must be imported before JAX initialises its backend, so that the grid can use every CPU core.
import sphere_toy  # noqa: F401

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def app_runs():
    """The app's two standard experiments, shortened to 300 steps: the default (3-D, six models on 6 digits with 4
    held out) and the "Paper Fig. 2" preset (2-D). Trained once per test session, as the app's job does."""
    from sphere_toy.jobs import train_settings
    from sphere_toy.settings import PRESETS, Settings

    shorten = {"steps": 300}
    return {3: train_settings(Settings().replace(**shorten), lambda done, total: None),
            2: train_settings(PRESETS["Paper Fig. 2: 2-D features"].settings.replace(**shorten),
                              lambda done, total: None)}
