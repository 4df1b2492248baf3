"""What `streamlit run app.py` does once, before it serves its first page, and the figures drawn then.

`app.py` ends with `app = st.App(__file__, lifespan=serve.lifespan(...))` where it is imported rather than run as a
page. `streamlit run` finds that line, imports the file once as the module `app` (so JAX, matplotlib and the app's
modules are imported before anyone connects: about 1 s of a first page's wait), and runs the lifespan before it
answers any request (a page opened meanwhile waits). `warm_up` then does, in the first page's place, what that
page would wait for:

- the figures a new page shows first (the app lists them: ψ(θ) in each mode and language), drawn by `draw` and
  kept, about 0.6 s for the first and 0.35 s each after it; JAX's CPU client, the ψ program (from the persistent
  cache) and matplotlib's fonts start with the first;
- Streamlit's emoji table, which the page's first labelled choice (the language switch) otherwise waits for (about
  0.3 s: its regular expression is compiled on first use);
- the default experiment's training program, traced and loaded from the persistent cache (one 100-step chunk):
  about 1.5 s of the first run, shared by every seed, rate and margin of that experiment.

A step that fails, or a warm-up longer than WARM_UP_SECONDS, only costs the time it would have saved: it is
logged, and the server starts as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import logging
import time
from typing import NamedTuple

from sphere_toy import i18n, plots, views

log = logging.getLogger(__name__)
WARM_UP_SECONDS = 120.0  # the longest the server waits for `warm_up` before it serves anyway


class FirstFigure(NamedTuple):
    """A result-free figure a new page shows first, as `draw` makes it."""

    builder: str  # a figure's name (`views.Figure.name`)
    args: tuple
    screen: plots.Screen
    lang: str


_ready: dict[FirstFigure, bytes] = {}  # the figures `prepare` drew


def draw(builder: str, screen: plots.Screen, lang: str, args: tuple = (), kwargs: tuple = (), result=None) -> bytes:
    """The figure named `builder` (`views.Figure.name`), `builder([result,] *args, **dict(kwargs))`, as a PNG for
    `screen` in `lang`: every figure of the app. A figure `prepare` drew comes from memory."""
    png = None
    if _ready and result is None and not kwargs:
        with contextlib.suppress(TypeError):  # arguments that cannot be a key were never prepared
            png = _ready.get(FirstFigure(builder, args, screen, lang))
    if png is None:
        with i18n.using(lang), plots.on_screen(screen):
            png = plots.figure_png(
                views.builder(builder)(*(() if result is None else (result,)), *args, **dict(kwargs))
            )
    return png


def prepare(figures: list[FirstFigure]) -> None:
    """Draw `figures` now and keep them, for `draw` to return when a page asks for one."""
    for figure in map(FirstFigure._make, figures):
        _ready[figure] = draw(figure.builder, figure.screen, figure.lang, figure.args)


def _default_program() -> None:
    """One chunk of the default experiment: its training program traced, and loaded from the persistent cache."""
    from sphere_toy import train
    from sphere_toy.experiment import Settings

    train.train_grid(*Settings().experiment(first_chunk=True))


def _emoji_table() -> None:
    """Streamlit's emoji table, compiled on first use (a Streamlit that moved it only costs the first page 0.3 s)."""
    with contextlib.suppress(ImportError):
        importlib.import_module("streamlit.emojis")


def warm_up(figures: list[FirstFigure] = ()) -> float:
    """`prepare(figures)`, load Streamlit's emoji table and train one chunk of the default experiment, once in this
    process; the seconds it took. A step that fails is logged and skipped: the pages then do that work themselves."""
    start = time.perf_counter()
    steps = {
        "the first page's figures": lambda: prepare(figures),
        "Streamlit's emoji table": _emoji_table,
        "the default run's program": _default_program,
    }
    for name, step in steps.items():
        try:
            step()
        except Exception:
            log.warning("preparing %s failed; the first page will take longer", name, exc_info=True)
    return time.perf_counter() - start


class _StaleFragmentFilter(logging.Filter):
    """Drops Streamlit's "The fragment with id … does not exist anymore" line, and only that one.

    A page that polls its run (`st.fragment(run_every=…)`) reruns in full when the run is there (`st.rerun`); the
    full run replaces the page's fragments, but a poll the browser had already timed for the old fragment still
    arrives. Streamlit sees that the fragment is gone and skips the poll, which is right, and says so at INFO level:
    with a room opening one link, about five lines a second in the teacher's terminal, most of what it shows, and
    none of it anything to act on."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "does not exist anymore" not in str(record.msg)


def quiet_stale_fragment_reruns() -> None:
    """Install `_StaleFragmentFilter` on the Streamlit logger that writes the line, once per process."""
    logger = logging.getLogger("streamlit.runtime.app_session")
    if not any(isinstance(f, _StaleFragmentFilter) for f in logger.filters):
        logger.addFilter(_StaleFragmentFilter())


def lifespan(figures: list[FirstFigure]):
    """A lifespan for `st.App`: `warm_up(figures)` before the server answers its first request (at most
    WARM_UP_SECONDS: then it serves, and the warm-up goes on beside the first pages)."""

    @contextlib.asynccontextmanager
    async def warm(app):
        from sphere_toy.serving.jobs import log_runs_to_terminal

        log_runs_to_terminal()
        quiet_stale_fragment_reruns()
        try:
            seconds = await asyncio.wait_for(asyncio.to_thread(warm_up, figures), WARM_UP_SECONDS)
            log.info("ready: the first page's figures and the default run's program were prepared in %.1f s", seconds)
        except TimeoutError:
            log.warning("preparing for the first page took over %.0f s; serving anyway", WARM_UP_SECONDS)
        yield

    return warm
