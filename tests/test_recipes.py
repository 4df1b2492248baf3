"""docs/design.md's recipes, followed: a new view and a new lesson step reach the page with no other edit than the
recipe names. (A new loss: `tests/test_margins.py` runs every test on every registered loss; a new language:
`tests/test_i18n.py` checks every language of `i18n.LANGUAGES`.)"""

import dataclasses

import pytest

from sphere_toy import lessons, plots, views
from sphere_toy.ui import tabs
from tests.test_app import app


@pytest.fixture
def weights_view(monkeypatch):
    """The recipe for a view: a `View` with its figures in `views.VIEWS` (the tabs and the names follow from it),
    and its renderer in `ui.tabs.RENDERERS`."""
    figure = views.Figure(plots.training_figure, dims=(2, 3, None))
    view = views.View("Weights", needs_run=True, controls=(), figures=(figure,))

    def weights_tab(settings, result):
        from sphere_toy.ui.figures import figure_ui

        figure_ui("weights", figure, settings, _result=result)

    added = (*views.VIEWS, view)
    monkeypatch.setattr(views, "VIEWS", added)
    monkeypatch.setattr(views, "TABS", tuple(v.name for v in added if v.tab))
    monkeypatch.setattr(views, "BY_NAME", {v.name: v for v in added})
    monkeypatch.setitem(tabs.RENDERERS, view.name, weights_tab)
    return view


def test_a_new_view_is_a_new_tab_with_its_figure(weights_view):
    at = app("Weights")
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert [t.label for t in at.tabs][-1] == "Weights" and at.session_state["tab"] == "Weights"
    assert at.get("image")  # its figure, drawn for the view's slot
    assert any(b.label == "Download PNG" for b in at.get("download_button"))


def test_a_new_lesson_step_is_counted_listed_and_opened(monkeypatch):
    """The recipe for a step: a `Step` in `lessons.STEPS`, naming a view of the table; its count, the sidebar's list
    and its link follow."""
    last = lessons.STEPS[-1]
    extra = dataclasses.replace(last, key="extra", title="An extra step", view=views.ANGLES.name)
    monkeypatch.setattr(lessons, "STEPS", (*lessons.STEPS, extra))
    at = app("About")
    (start,) = [b for b in at.button if b.key == "lesson_start"]
    assert start.label == f"Start the lesson: SphereFace in {len(lessons.STEPS)} steps"
    at = app(lesson=str(len(lessons.STEPS)))  # the step's link
    assert not at.exception, [e.value for e in at.exception]
    assert any(f"step {len(lessons.STEPS)} of {len(lessons.STEPS)}: An extra step" in m.value for m in at.markdown)
    assert [b for b in at.button if b.key == f"lesson_goto_{len(lessons.STEPS)}"]
    assert at.query_params["tab"] == views.ANGLES.name  # its view opens
