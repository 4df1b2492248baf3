"""The app's views, declared once: what each shows, what it needs and which figures it draws where.

A view is a tab of the app (or the lesson's step-7 view, `BOUND`): its name is its identifier (the URL's tab=, the
lessons' `view`, English in every language; the page shows `_(name)`), whether it needs a trained run, the URL keys
of its controls, and its figures, each a `plots` builder with the place on the page it is drawn for (a
`screens.SLOTS` name). The app renders a view by looking it up (`sphere_toy.ui`), the lessons name views from here,
and the tests and benchmarks iterate `VIEWS` and `FIGURES`; nothing else lists them.

Adding a view: one `View` here (with its `Figure`s), its renderer in `sphere_toy/ui/tabs/` registered in
`ui.tabs.RENDERERS`; the tests pick it up (see docs/design.md).

No Streamlit here: this is a table, read by the server, the tests and the benchmarks alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

from sphere_toy import plots
from sphere_toy.i18n import N_

BINS = 36  # the histograms' bins as a page opens (5° each over 0°..180°)


@dataclass(frozen=True)
class Figure:
    """A figure the app draws: `builder([result,] [g,] *args, **kwargs)`, a matplotlib Figure drawn for `slot` on the
    page.

    `example(result)` gives one typical call's (args, kwargs) for a trained result of a dimension in `dims` (or for
    None when the figure needs no run): the tests draw every figure with it (readable at every place it is shown),
    as do the benchmarks."""

    builder: Callable
    slot: str = "full"  # where the page shows it (`screens.SLOTS`); presenting, `present_slot` if given
    present_slot: str | None = None
    needs_run: bool = True
    dims: tuple[int | None, ...] = (2, 3)  # the feature dimensions it can draw (None: any other)
    per_model: bool = False  # its first argument is the model g it draws (the tab's model choice)
    example: Callable = field(default=lambda result: ((), {}), repr=False, compare=False)

    @property
    def name(self) -> str:
        """The builder's name, `plots.<name>`: the figure's key in caches and in `BUILDERS`."""
        return self.builder.__name__

    def slot_for(self, mode: str) -> str:
        """The slot of this figure on a page in `mode` (one of `screens.MODES`): presenting, its `present_slot`."""
        return self.present_slot if mode != "normal" and self.present_slot else self.slot


def _model(result) -> int:
    """The model an `example` draws: the last of the line-up (the largest margin)."""
    return len(result.specs) - 1


PSI = Figure(plots.psi_figure, slot="psi", present_slot="full", needs_run=False, example=lambda result: ((4, 0.0), {}))
FAMILY = Figure(
    plots.family_figure,
    needs_run=False,
    example=lambda result: (((("asoftmax", 4), ("cosface", 0.35), ("arcface", 0.5)), 0.0), {}),
)
FEATURES_2D = Figure(
    plots.features_figure,
    per_model=True,
    dims=(2,),
    example=lambda result: ((_model(result),), {"show_test": True, "show_open": True}),
)
SPHERE = Figure(
    plots.sphere_figure, per_model=True, dims=(3,), example=lambda result: ((_model(result),), {"regions": True})
)
ANGLE_HISTOGRAM = Figure(
    plots.angle_histogram_figure,
    per_model=True,
    slot="half",
    dims=(2, 3, None),
    example=lambda result: ((_model(result),), {"bins": BINS}),
)
CRITERION_PAIRS = Figure(
    plots.criterion_pairs_figure, per_model=True, slot="half", example=lambda result: ((_model(result),), {})
)
TARGET_ANGLES = Figure(
    plots.target_angle_figure,
    per_model=True,
    slot="half",
    dims=(2, 3, None),
    example=lambda result: ((_model(result),), {}),
)
COMPARE = Figure(plots.compare_figure, example=lambda result: ((), {"rows": "features"}))
COMPARE_ANGLES = Figure(
    plots.compare_figure, slot="below", dims=(2, 3, None), example=lambda result: ((), {"bins": BINS, "rows": "angles"})
)
TRAINING = Figure(plots.training_figure, dims=(2, 3, None))
SNAPSHOT = Figure(plots.snapshot_figure, per_model=True, example=lambda result: ((_model(result), 1), {}))
SEED_AUC = Figure(plots.seed_auc_figure, dims=(2, 3, None))
OPEN_PAIRS = Figure(
    plots.open_pairs_figure, slot="below", dims=(2, 3, None), example=lambda result: ((), {"bins": BINS})
)
ROC = Figure(plots.roc_figure, slot="roc", dims=(2, 3, None))
TRANSFER = Figure(plots.transfer_figure, slot="below", dims=(2, 3, None))
BOUND_FIGURE = Figure(plots.bound_figure, slot="full", needs_run=False, example=lambda result: ((4.0, 90), {}))


def _example_room():
    """A made-up room for the tests and benchmarks to draw the room's figures with (never shown to a class): 30 seeds
    of the default experiment, numbers drawn from a seeded generator around typical values, the last 6 runs without
    their AUCs yet."""
    import numpy as np

    from sphere_toy.analysis import room
    from sphere_toy.experiment import Settings

    key, rng = Settings(), np.random.default_rng(0)
    runs = []
    for seed in range(30):
        values = {}
        for i, token in enumerate(key.losses):
            values[token] = {
                room.THETA_Y.key: float(40 - 7 * i + rng.normal(0, 4)),
                room.TEST_ACC.key: float(min(1.0, 0.98 + 0.003 * i + rng.normal(0, 0.005))),
                room.OPEN_SET_AUC.key: float(0.62 + rng.normal(0, 0.03)) if seed < 24 else None,
                room.SEPARATION.key: float(0.88 + 0.018 * i + rng.normal(0, 0.01)),
                room.ROBUST: float(i >= 3 or rng.random() < 0.3),
            }
        numbers = (room.SeedNumbers(seed, seed, values),)
        runs.append(room.RoomRun(key.replace(seed=seed), 60.0 * (30 - seed), numbers, measured=seed < 24))
    return room.Group(key, tuple(runs))


ROOM_DOTS = Figure(
    plots.room_figure, slot="below", needs_run=False, example=lambda result: ((_example_room(),), {"mark": 7})
)
ROOM_PAIRS = Figure(
    plots.room_pairs_figure,
    needs_run=False,
    example=lambda result: ((_example_room(), "asoftmax:4", "msoftmax"), {"mark": 7, "whose": "screen"}),
)


@dataclass(frozen=True)
class View:
    """One view of the app: a tab, or a view a lesson step opens (`tab=False`)."""

    name: str  # the identifier: the URL's tab=, the lessons' `view`; shown as _(name)
    needs_run: bool  # it shows a trained run (else it draws without one, while the run trains in the background)
    controls: tuple[str, ...]  # the URL keys its controls bind (beside the experiment's own)
    figures: tuple[Figure, ...] = ()  # what it draws, in the order it shows them
    live: tuple[tuple[Figure, tuple], ...] = ()  # (figure, kwargs) of the run so far while it trains, by `dims`
    ahead: tuple[tuple[Figure, tuple], ...] = ()  # (figure, kwargs) drawn in the background once the run is done
    tab: bool = True  # one of the app's tabs


# The Target logits view's two figures, chosen by the URL's target_view= (these English names; shown as _(name)).
PSI_VIEW, FAMILY_VIEW = N_("ψ(θ) of A-softmax"), N_("The margin family")
TARGET_LOGITS = View(
    N_("Target logits"),
    needs_run=False,
    controls=("target_view", "psi_m", "psi_lam", "family_asoftmax", "family_cosface", "family_arcface", "family_lam"),
    figures=(PSI, FAMILY),
)
FEATURES = View(
    N_("Features"),
    needs_run=True,
    controls=("model", "test", "open", "regions", "slides"),
    figures=(FEATURES_2D, SPHERE),
    live=((FEATURES_2D, ()), (SPHERE, (("regions", False),))),
)
ANGLES = View(
    N_("Angles"), needs_run=True, controls=("model", "bins"), figures=(ANGLE_HISTOGRAM, CRITERION_PAIRS, TARGET_ANGLES)
)
COMPARE_VIEW = View(
    N_("Compare"),
    needs_run=True,
    controls=("bins",),
    figures=(COMPARE, COMPARE_ANGLES),
    live=((COMPARE, (("rows", "features"),)),),
    ahead=((COMPARE, (("rows", "features"),)), (COMPARE_ANGLES, (("bins", BINS), ("rows", "angles")))),
)
TRAINING_VIEW = View(
    N_("Training"), needs_run=True, controls=("model", "snap"), figures=(TRAINING, SNAPSHOT), ahead=((TRAINING, ()),)
)
OPEN_SET = View(N_("Open-set"), needs_run=True, controls=("bins",), figures=(SEED_AUC, TRANSFER, OPEN_PAIRS, ROC))
ABOUT = View(N_("About"), needs_run=False, controls=())
BOUND = View("Bound on m", needs_run=True, controls=(), figures=(BOUND_FIGURE,), tab=False)
# The teacher's page of the room's runs (room=1): every seed a class trained of one experiment, and two models paired
ROOM = View(
    N_("Room"),
    needs_run=False,
    controls=("room", "room_group", "room_a", "room_b"),
    figures=(ROOM_PAIRS, ROOM_DOTS),
    tab=False,
)

VIEWS: tuple[View, ...] = (TARGET_LOGITS, FEATURES, ANGLES, COMPARE_VIEW, TRAINING_VIEW, OPEN_SET, ABOUT, BOUND, ROOM)
TABS: tuple[str, ...] = tuple(view.name for view in VIEWS if view.tab)  # the app's tabs, in their order
BY_NAME: dict[str, View] = {view.name: view for view in VIEWS}
FIGURES: tuple[Figure, ...] = tuple(dict.fromkeys(f for view in VIEWS for f in view.figures))  # each figure once
LIVE: tuple[str, ...] = tuple(view.name for view in VIEWS if view.live)  # the views that draw a run while it trains


def view(name: str) -> View:
    """The view called `name` (KeyError for a name no view has)."""
    return BY_NAME[name]


def builder(name: str) -> Callable:
    """The `plots` builder of a figure, by its name (`Figure.name`): how the server draws a figure a cache asked for."""
    return BUILDERS[name]


# The builders by name, as the server draws them (`serve.draw`); a test replaces one here to watch the drawing.
BUILDERS: dict[str, Callable] = {f.name: f.builder for f in FIGURES}
