"""The experiment as one value: its fields' limits (`limits`), the URL's text read and clamped (`query`), the
`Settings` record that the form edits, the URL holds and the caches are keyed by (`settings`), and the presets
(`presets`). Import from here: `from sphere_toy.experiment import PRESETS, Settings`."""

from sphere_toy.experiment.limits import DATA_NAMES, LIMITS, MAX_CLASSES, MAX_GRID, MAX_ITEMS, Limit  # noqa: F401
from sphere_toy.experiment.presets import PAPER_LIKE_STEPS, PRESETS, Preset  # noqa: F401
from sphere_toy.experiment.query import canonical_tokens  # noqa: F401
from sphere_toy.experiment.settings import QUERY_KEYS, Settings, lineup_tokens  # noqa: F401
