"""A lesson step as plain data: what the app opens, what it says, what the class should notice and answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Callable, Mapping


from sphere_toy.experiment import Settings
from sphere_toy.train import GridResult


Results = tuple[GridResult, ...]


@dataclass(frozen=True)
class RoomQuestion:
    """What a step asks of the room's seeds (`analysis.room.paired`): is `a` − `b` on `measure` the sign the step's
    own run shows, over every seed the class trained of the step's experiment?"""

    measure: str  # a key of `analysis.room.MEASURES`: "theta_y"
    a: str  # the models, as `margins.parse` reads them: "asoftmax:4"
    b: str


@dataclass(frozen=True)
class Step:
    """One step of the lesson: what the app opens, what it says, and what the class should notice and answer."""

    key: str  # stable id, for links and tests: "open-set-intro"
    title: str  # N_-marked; translate with _ where shown
    text: str  # N_-marked Markdown for students (60-150 words, LaTeX in $...$): what is on screen, what to look at
    view: str  # the view the step opens: a name of `views.VIEWS`
    settings: tuple[Settings, ...] | Callable[[], tuple[Settings, ...]]  # its runs (0-2), or a function naming them
    notice: Callable[[Results], str]  # "what to notice", computed from the results of `runs(step)`, in that order
    question: str  # N_-marked: one check-your-understanding question
    answer: str  # N_-marked: shown on a click
    # the view's own controls, by the app's URL keys ({"model": "M-softmax"}, {"psi_m": 4}); read-only
    option: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    room: RoomQuestion | None = None  # its question to the room's seeds of its first run's experiment (room=1)
