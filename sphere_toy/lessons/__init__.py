"""The lesson path: nine steps through SphereFace, each an experiment, a view, a short text and a question.

The steps follow the notes the project grew from: embeddings trained by classification and tested by cosine (the
open set); softmax's two-class border; M-softmax's angular one; A-softmax's margin; why ψ(θ) replaces cos mθ; the λ
annealing; how large m must be; verification on people never seen; the take-home messages. A `Step` is plain data
(the app draws it): its runs are `settings.Settings` (presets where one fits, so the lesson and the sandbox share
their cached runs), and its "what to notice" is computed from the trained results by `evaluate` and `metrics`, and
says what the run shows, also when that is not what the lesson expects. Every text is marked for translation
(`sphere_toy.i18n`): `N_` here, translated where it is shown; the notices translate as they are written.
"""

from __future__ import annotations

import math

from sphere_toy.experiment import Settings
from sphere_toy.lessons.measure import border_offsets, margin_share, required_angle, width_change  # noqa: F401
from sphere_toy.lessons.step import Results, RoomQuestion, Step  # noqa: F401
from sphere_toy.lessons.steps import STEPS


def runs(step: Step) -> tuple[Settings, ...]:
    """The runs a step needs, in the order its notice takes their results (the view shows the first)."""
    return tuple(step.settings() if callable(step.settings) else step.settings)


def index(n) -> int:
    """A step number from anything (a URL's text, None, garbage), clamped to 1..len(STEPS); never raises."""
    try:
        value = float(str(n).strip())
    except (TypeError, ValueError):
        return 1
    if not math.isfinite(value):
        return 1 if value != math.inf else len(STEPS)
    return min(max(int(round(value)), 1), len(STEPS))


def step(n) -> Step:
    """Step n, 1-based and clamped (see `index`)."""
    return STEPS[index(n) - 1]


def step_by_key(key: str) -> Step:
    """The step with this `key` (KeyError for none)."""
    found = {s.key: s for s in STEPS}
    return found[key]
