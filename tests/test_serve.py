"""Before the first page: `streamlit run app.py` serves the app through its `st.App`, whose lifespan draws the
figures a new page opens on and warms the default run (`sphere_toy/serving/serve.py`)."""

import asyncio
import json
import logging
import pathlib
import subprocess
import sys
import threading

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

import sphere_toy.train
from sphere_toy import plots, views
from sphere_toy.plots import screens
from sphere_toy.plots import style as plots_style
from sphere_toy.serving import serve

APP = str(pathlib.Path(__file__).resolve().parents[1] / "app.py")
SMALL = {"steps": "60", "hidden": "16", "losses": "softmax,msoftmax"}  # a page's run of about a second

# The figures a new page opens on, as the app must list them: ψ(θ) at m = 4, λ = 0 beside its controls, and full
# width when presenting and on a phone, in both languages.
FIRST = {
    ("psi_figure", (4, 0.0), screens.screen("normal", "psi"), "en"),
    ("psi_figure", (4, 0.0), screens.screen("normal", "psi"), "zh-TW"),
    ("psi_figure", (4, 0.0), screens.screen("present", "full"), "en"),
    ("psi_figure", (4, 0.0), screens.screen("present", "full"), "zh-TW"),
    ("psi_figure", (4, 0.0), screens.screen("phone", "full"), "en"),
    ("psi_figure", (4, 0.0), screens.screen("phone", "full"), "zh-TW"),
}


@pytest.fixture
def no_ready_figures():
    serve._ready.clear()
    st.cache_data.clear()  # the page's own PNG cache, which would answer before `serve.draw` is asked
    yield
    serve._ready.clear()
    st.cache_data.clear()


def test_streamlit_run_imports_app_py_once_and_serves_its_st_app():
    """What `streamlit run app.py` does: it finds the st.App line, then imports the file as the module `app`. The
    import draws and trains nothing (JAX has not started), and the app lists the first page's figures."""
    code = f"""
import importlib.util, json, pathlib, sys
import streamlit as st
from streamlit.web.server.app_discovery import discover_asgi_app
found = discover_asgi_app(pathlib.Path({APP!r}))
spec = importlib.util.spec_from_file_location("app", {APP!r})
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
from jax._src import xla_bridge
print(json.dumps({{"import": found.import_string, "st_app": isinstance(app.app, st.App),
                  "jax_started": xla_bridge.backends_are_initialized(),
                  "first": [[b, list(a), [s.width_px, s.height_px, s.text_px], lang] for b, a, s, lang in
                            app.FIRST_FIGURES]}}))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "No runtime found" not in done.stderr  # the import is quiet
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["import"] == "app:app" and seen["st_app"]
    assert not seen["jax_started"]  # no page ran: main() is for the pages only
    expected = [[b, list(a), [s.width_px, s.height_px, s.text_px], lang] for b, a, s, lang in FIRST]
    assert sorted(map(json.dumps, seen["first"])) == sorted(map(json.dumps, expected))


@pytest.mark.parametrize("present, lang", [(None, "en"), ("1", "zh-TW")])
def test_a_new_page_shows_the_prepared_figure_without_drawing_it(monkeypatch, no_ready_figures, present, lang):
    def broken(*args, **kwargs):
        raise RuntimeError("drawn by the page")

    monkeypatch.setitem(views.BUILDERS, "psi_figure", broken)

    def page() -> AppTest:
        at = AppTest.from_file(APP, default_timeout=180)
        at.query_params.update({**SMALL, "lang": lang, **({"present": present} if present else {})})
        return at.run()

    at = page()  # nothing prepared: the page draws ψ itself, and says it could not
    assert any("drawn by the page" in e.value for e in at.error), [e.value for e in at.error]
    monkeypatch.setitem(views.BUILDERS, "psi_figure", plots.psi_figure)
    serve.prepare(sorted(FIRST, key=repr))
    monkeypatch.setitem(views.BUILDERS, "psi_figure", broken)
    at = page()  # prepared: the same page shows the figure and never calls the builder
    assert not at.exception and not at.error, [e.value for e in (*at.exception, *at.error)]
    assert at.get("image")


def test_draw_returns_a_prepared_figure_and_draws_any_other(no_ready_figures):
    screen = screens.screen("normal", "psi")
    serve.prepare([("psi_figure", (4, 0.0), screen, "en")])
    prepared = serve._ready[serve.FirstFigure("psi_figure", (4, 0.0), screen, "en")]
    assert serve.draw("psi_figure", screen, "en", (4, 0.0)) is prepared  # from memory
    other = serve.draw("psi_figure", screen, "en", (3, 0.0))  # anything else is drawn
    assert other.startswith(b"\x89PNG") and other != prepared
    if plots_style.cjk_font() is not None:  # without a CJK font a zh-TW figure rightly falls back to English
        assert serve.draw("psi_figure", screen, "zh-TW", (4, 0.0)) != prepared  # another language, another picture
    serve._ready.clear()
    assert serve.draw("psi_figure", screen, "en", (4, 0.0)) == prepared  # what was prepared is what a page draws


def test_the_lifespan_prepares_before_serving_and_a_failure_does_not_stop_the_server(
    monkeypatch, no_ready_figures, caplog
):
    chunks = []
    monkeypatch.setattr(sphere_toy.train, "train_grid", lambda data, specs, config: chunks.append(config.steps))
    figure = serve.FirstFigure("psi_figure", (4, 0.0), screens.screen("normal", "psi"), "en")

    async def serve_once() -> bool:
        async with serve.lifespan([figure])(None):
            return figure in serve._ready

    assert asyncio.run(serve_once())
    assert chunks == [100]  # one chunk of the default experiment: its program traced and loaded

    serve._ready.clear()
    monkeypatch.setitem(views.BUILDERS, "psi_figure", lambda *a: 1 / 0)
    with caplog.at_level(logging.WARNING, "sphere_toy.serving.serve"):
        assert not asyncio.run(serve_once())  # the server still starts ...
    assert "preparing the first page's figures failed; the first page will take longer" in caplog.text  # says so
    assert chunks == [100, 100]  # ... and the other steps still ran


def test_a_warm_up_that_takes_too_long_does_not_keep_the_server_from_serving(monkeypatch, caplog):
    go_on, ended = threading.Event(), threading.Event()

    def warm_up(figures):  # a warm-up that lasts until the server is serving
        go_on.wait(60)
        ended.set()

    monkeypatch.setattr(serve, "WARM_UP_SECONDS", 0.2)
    monkeypatch.setattr(serve, "warm_up", warm_up)

    async def serve_once() -> bool:
        async with serve.lifespan([])(None):
            serving_before_it_ended = not ended.is_set()
            go_on.set()
            return serving_before_it_ended

    with caplog.at_level(logging.WARNING, "sphere_toy.serving.serve"):
        assert asyncio.run(serve_once())
    assert "serving anyway" in caplog.text


def test_the_teachers_terminal_is_spared_streamlits_stale_fragment_line_and_only_it(caplog):
    import streamlit.runtime.app_session as app_session

    serve.quiet_stale_fragment_reruns()
    serve.quiet_stale_fragment_reruns()  # once per process, however often the server starts
    logger = app_session._LOGGER  # the logger that writes the line
    assert sum(isinstance(f, serve._StaleFragmentFilter) for f in logger.filters) == 1
    with caplog.at_level(logging.INFO, logger.name):
        logger.info("The fragment with id %s does not exist anymore - it might have been removed ...", "abc")
        logger.info("Discarding rerun request after shutdown")
    assert [r.getMessage() for r in caplog.records] == ["Discarding rerun request after shutdown"]
