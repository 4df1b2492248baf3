"""The table of views (`sphere_toy.views`) is the one list of what the app shows: the page renders from it, the
lessons name its views, and every figure in it is a real builder drawn for a real place on the page."""

import inspect
import types

from sphere_toy import lessons, plots, views
from sphere_toy.plots import screens
from sphere_toy.ui.tabs import ALL_SEEDS, RENDERERS


def test_every_tab_has_its_renderer_and_every_renderer_a_tab():
    assert list(RENDERERS) == list(views.TABS)
    assert ALL_SEEDS <= set(views.TABS)
    for name, render in RENDERERS.items():  # a view without a run is rendered without one
        takes = len(inspect.signature(inspect.unwrap(render)).parameters)
        assert takes == (2 if views.view(name).needs_run else 0), name


def test_names_are_unique_and_every_view_is_found_by_its_name():
    assert len(views.BY_NAME) == len(views.VIEWS)
    for view in views.VIEWS:
        assert views.view(view.name) is view
    assert views.BOUND.name not in views.TABS  # the lesson's own view is not a tab


def test_every_figure_is_a_public_plots_builder_drawn_for_a_place_on_the_page():
    for figure in views.FIGURES:
        assert getattr(plots, figure.name) is figure.builder and figure.name in plots.__all__, figure.name
        assert figure.slot in screens.SLOTS and (figure.present_slot or "full") in screens.SLOTS, figure.name
        assert views.builder(figure.name) is figure.builder
        run = types.SimpleNamespace(specs=("softmax", "A-softmax m=4")) if figure.needs_run else None
        args, kwargs = figure.example(run)
        bound = inspect.signature(figure.builder).bind(*(() if run is None else (run,)), *args, **kwargs)
        if figure.per_model:  # the model comes first after the result
            assert list(bound.arguments)[1] == "g", figure.name


def test_what_is_drawn_live_or_ahead_is_a_figure_of_its_view():
    for view in views.VIEWS:
        for figure, kwargs in (*view.live, *view.ahead):
            assert figure in view.figures, view.name
            inspect.signature(figure.builder).bind(None, *((0,) if figure.per_model else ()), **dict(kwargs))
    assert views.LIVE == ("Features", "Compare")


def test_the_lessons_open_views_of_the_table():
    assert {step.view for step in lessons.STEPS} <= set(views.BY_NAME)
