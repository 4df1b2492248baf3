"""Live pictures: the run so far, drawn while it trains, within the server's budget for drawing over all pages."""

from __future__ import annotations

import time

import streamlit as st

from sphere_toy import i18n, plots, views
from sphere_toy.analysis import evaluate
from sphere_toy.plots import screens
from sphere_toy.serving import serve
from sphere_toy.i18n import _
from sphere_toy.serving.budget import DrawBudget
from sphere_toy.serving.job import Job
from sphere_toy.experiment import Settings
from sphere_toy.ui.state import mode

LIVE_EVERY = 1.5  # seconds between a page's live pictures (and the server's DrawBudget over all pages)
LIVE_MIN_LEFT = 2.0  # no live picture for a run this close to its end: the final one would follow it (and wait)


@st.cache_resource
def draw_budget() -> DrawBudget:
    """The server's one budget for pictures drawn while something changes: live training, and the Room view."""
    return DrawBudget()


@st.cache_data(max_entries=24, show_spinner=False)
def _live_png(
    builder: str,
    settings: Settings,
    step: int,
    screen: plots.Screen,
    lang: str,
    args: tuple,
    kwargs: tuple,
    _result=None,
) -> bytes:
    """A live picture of the run at `step`: one drawing per step, shared by every page watching the same run (a
    cache of its own, so that live frames never push the final pictures out of `_png`'s)."""
    return serve.draw(builder, screen, lang, args, kwargs, _result)


def live_ui(settings: Settings, view: views.View, where):
    """While the run trains, a view with a live figure (`views.View.live`: Features, Compare) draws the run so far,
    every LIVE_EVERY s and as chunks finish, until LIVE_MIN_LEFT s before its end (a 2-s run shows its bar, then its
    final picture at once); None for a view or a run (more than 3-D) without a live picture. `draw(None)` clears it
    for the final picture."""
    if not view.live:
        return None
    slot = where.empty()  # first in the tab whatever the run: the tab's content comes next, in one place (`main`)
    figure, kwargs = next(((f, k) for f, k in view.live if settings.dim in f.dims), (None, ()))
    if figure is None:
        return None
    state = {"step": -1, "next": 0.0}
    screen = screens.screen(mode())

    def draw(job: Job | None) -> None:
        if job is None:  # the run has ended: the tab draws the final picture
            slot.empty()
            return
        now = time.monotonic()
        if now < state["next"] or job.done == state["step"]:  # too soon, or no chunk finished since the last one
            return
        left = job.seconds_left()
        if left is None or left < LIVE_MIN_LEFT:  # a page draws in its own thread: the final picture would wait
            return
        state["next"] = now + LIVE_EVERY

        def make():  # within the server's budget for live pictures: the run so far, then its picture
            partial = job.so_far()
            if partial is None:
                return None
            partial = evaluate.first_seed(partial)
            args = ()
            if figure.per_model:  # the model the page's choice shows
                names = [spec.name for spec in partial.specs]
                chosen = st.session_state.get("model")
                g = names.index(chosen) if chosen in names else len(names) - 1
                if partial.diverged(g):  # said so when the run ends (`summary_ui`)
                    return None
                args = (g,)
            step = int(partial.snapshot_steps[-1])
            return step, _live_png(figure.name, settings, step, screen, i18n.current(), args, kwargs, _result=partial)

        try:
            drawn = draw_budget().draw(make)
        except Exception:  # a live picture is a bonus: a model that diverged mid-run, say, is reported at the end
            drawn = None
        if drawn is None:
            return
        step, png = drawn
        state["step"] = step
        with slot.container():
            st.caption(
                _(
                    "**Live:** the run so far, at step {step} of {steps}. The picture follows the training; "
                    "the final one replaces it when the run ends."
                ).format(step=step, steps=settings.steps)
            )
            st.image(png, width=plots.display_width(png, screen))

    return draw
