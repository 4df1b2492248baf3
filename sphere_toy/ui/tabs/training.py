"""Training: the curves, and the features moving step by step (a scrubbed picture or the animation)."""

from __future__ import annotations

import streamlit as st

from sphere_toy import i18n, plots, views
from sphere_toy.plots import screens
from sphere_toy.i18n import _
from sphere_toy.experiment import Settings
from sphere_toy.train import GridResult
from sphere_toy.ui.figures import figure_ui
from sphere_toy.ui.messages import diverged_ui, model_ui, problem_ui, undrawable_ui
from sphere_toy.ui.state import fragment, mode


@st.cache_data(max_entries=8, show_spinner=False)
def _gif(settings: Settings, g: int, lang: str, _result) -> bytes:
    with i18n.using(lang):
        return plots.snapshots_gif(_result, g)


@st.cache_data(max_entries=16, show_spinner=False)
def _animation(settings: Settings, g: int, screen: plots.Screen, lang: str, _result):
    with i18n.using(lang), plots.on_screen(screen):
        return plots.snapshots_plotly(_result, g)


def training_tab(settings: Settings, result: GridResult) -> None:
    figure_ui("training_curves", views.TRAINING, settings, _result=result)
    st.subheader(_("Watch the features move"))
    g = model_ui(result)
    if not diverged_ui(result, g) and not undrawable_ui(
        result, _("Watching the features move needs 2-D or 3-D features; this run has {dim}-D features.")
    ):
        snapshots_ui(settings, result, g)


@fragment
def snapshots_ui(settings: Settings, result: GridResult, g: int) -> None:
    steps = [int(s) for s in result.snapshot_steps]
    play = st.toggle(
        _("▶ Play"),
        key="play",
        help=_("The animation: play it, pause it, or drag its slider; it runs in the browser, and downloads as a GIF"),
    )
    lang = i18n.current()
    if play:
        try:
            st.plotly_chart(
                _animation(settings, g, screens.screen(mode()), lang, _result=result),
                key="animation",
                config={"displaylogo": False},
            )
        except Exception as e:
            problem_ui(st, _("Could not draw the animation."), e)
        st.download_button(
            _("Download GIF"),
            lambda: _gif(settings, g, lang, _result=result),
            file_name=f"training_{plots.model_slug(result, g)}.gif",
            mime="image/gif",
            on_click="ignore",
            icon=":material/download:",
            help=_("Made when you click (a few seconds: one picture per snapshot)"),
        )
        return
    step = st.select_slider(
        _("Step"),
        steps,
        steps[-1],
        key="snap",
        bind="query-params",
        help=_("Features of the same training samples after this many steps"),
    )
    figure_ui(
        f"snapshot_{plots.model_slug(result, g)}_step{step}",
        views.SNAPSHOT,
        settings,
        g,
        steps.index(step),
        _result=result,
    )
