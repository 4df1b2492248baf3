"""Every figure and table of the page, through Streamlit's caches: drawn once per run, screen and language, by
`serve.draw`, and shown at the width its place on the page gives it (`views.Figure.slot`)."""

from __future__ import annotations

from typing import Callable

import streamlit as st

from sphere_toy import i18n, plots, views
from sphere_toy.plots import screens
from sphere_toy.serving import serve
from sphere_toy.i18n import _
from sphere_toy.experiment import Settings
from sphere_toy.train import GridResult
from sphere_toy.ui.messages import problem_ui
from sphere_toy.ui.state import mode


@st.cache_data(max_entries=128, show_spinner=False)
def _png(
    builder: str,
    settings: Settings | None,
    screen: plots.Screen,
    lang: str,
    args: tuple = (),
    kwargs: tuple = (),
    _result=None,
) -> bytes:
    """PNG of the figure `builder` (`views.Figure.name`) of `result`, `*args, **kwargs`, drawn for `screen` in
    `lang`; keyed by settings, which determine the result."""
    return serve.draw(builder, screen, lang, args, kwargs, _result)


@st.cache_data(max_entries=32, show_spinner=False)
def _cached_table(name: str, settings: Settings, lang: str, _builder, _result) -> list | str | None:
    with i18n.using(lang):
        return _builder(_result)


def table(builder: Callable, settings: Settings, _result) -> list | str | None:
    """A table (rows) or a text, `builder(result)` (e.g. `plots.stats_rows`), in the page's language; cached by its
    name and the settings, which determine the result."""
    return _cached_table(builder.__name__, settings, i18n.current(), builder, _result)


def show_png(png: bytes, name: str, screen: plots.Screen) -> None:
    st.image(png, width=plots.display_width(png, screen))
    st.download_button(
        _("Download PNG"),
        png,
        file_name=f"{name}.png",
        mime="image/png",
        key=f"png_{name}",
        on_click="ignore",
        icon=":material/download:",
    )


def render_png(
    figure: views.Figure,
    settings: Settings | None,
    result: GridResult | None,
    *args,
    screen: plots.Screen,
    lang: str | None = None,
    **kwargs,
) -> bytes:
    """PNG of `figure`, through the cache (one key format for the page and the background drawing)."""
    return _png(
        figure.name, settings, screen, lang or i18n.current(), args, tuple(sorted(kwargs.items())), _result=result
    )


def figure_ui(name: str, figure: views.Figure, settings: Settings | None, *args, _result=None, **kwargs) -> None:
    """Draw `figure` (cached) for its place on the page (`figure.slot`), with its PNG download named `name`; a
    failure is a message, never a traceback."""
    screen = screens.screen(mode(), figure.slot_for(mode()))
    try:
        with st.spinner(_("Drawing…")):
            png = render_png(figure, settings, _result, *args, screen=screen, **kwargs)
    except Exception as e:
        problem_ui(st, _("Could not draw this figure."), e)
        return
    show_png(png, name, screen)
