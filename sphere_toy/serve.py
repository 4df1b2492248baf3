"""What `streamlit run app.py` does once, before it serves its first page, and the figures drawn then.

`app.py` ends with `app = st.App(__file__, lifespan=serve.lifespan(...))` where it is imported rather than run as a
page. `streamlit run` finds that line, imports the file once as the module `app` (so JAX, matplotlib and the app's
modules are imported before anyone connects: about 1 s of a first page's wait), and runs the lifespan before it
accepts a connection. `warm_up` then does, in the first page's place, what that page would wait for:

- the figures a new page shows first (the app lists them: ψ(θ) in each mode and language), drawn by `draw` and
  kept, about 0.6 s for the first and 0.35 s each after it; JAX's CPU client, the ψ program (from the persistent
  cache) and matplotlib's fonts start with the first;
- Streamlit's emoji table, which the page's first labelled choice (the language switch) otherwise waits for (about
  0.3 s: its regular expression is compiled on first use);
- the default experiment's training program, traced and loaded from the persistent cache (one 100-step chunk):
  about 1.5 s of the first run, shared by every seed, rate and margin of that experiment.

A failure only costs the time it would have saved: it is logged, and the server starts as usual.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import importlib
import logging
import time

from sphere_toy import i18n, plots

log = logging.getLogger(__name__)
Figure = tuple  # (builder, args, screen, lang): a result-free figure as `draw` makes it
_ready: dict[Figure, bytes] = {}  # the figures `warm_up` drew: (builder, screen, lang, args) -> PNG


def draw(builder: str, screen: plots.Screen, lang: str, args: tuple = (), kwargs: tuple = (), result=None) -> bytes:
    """`plots.<builder>([result,] *args, **dict(kwargs))` as a PNG for `screen` in `lang`: every figure of the app.
    A result-free figure `warm_up` drew comes from memory."""
    png = _ready.get((builder, screen, lang, args)) if result is None and not kwargs else None
    if png is None:
        with i18n.using(lang), plots.on_screen(screen):
            png = plots.figure_png(getattr(plots, builder)(*(() if result is None else (result,)), *args,
                                                           **dict(kwargs)))
    return png


def prepare(figures: list[Figure]) -> None:
    """Draw `figures` now and keep them, for `draw` to return when a page asks for one."""
    for builder, args, screen, lang in figures:
        _ready[builder, screen, lang, args] = draw(builder, screen, lang, args)


def warm_up(figures: list[Figure] = ()) -> float:
    """`prepare(figures)`, load Streamlit's emoji table and train one chunk of the default experiment, once in this
    process; the seconds it took."""
    from sphere_toy.data import load
    from sphere_toy.settings import Settings
    from sphere_toy.train import train_grid

    start = time.perf_counter()
    prepare(figures)
    with contextlib.suppress(ImportError):  # a Streamlit that moved it only costs the first page those 0.3 s
        importlib.import_module("streamlit.emojis")
    settings = Settings()
    config = settings.train_config()
    train_grid(load(settings.data_config()), settings.specs(), dataclasses.replace(config, steps=config.chunk_steps))
    return time.perf_counter() - start


def lifespan(figures: list[Figure]):
    """A lifespan for `st.App`: `warm_up(figures)` before the server accepts its first connection."""

    @contextlib.asynccontextmanager
    async def warm(app):
        from sphere_toy.jobs import log_runs_to_terminal

        log_runs_to_terminal()
        try:
            seconds = await asyncio.to_thread(warm_up, figures)
            log.info("ready: the first page's figures and the default run's program were prepared in %.1f s",
                     seconds)
        except Exception:  # the pages do the same work themselves, and say there what went wrong
            log.warning("preparing for the first page failed; the first page will take longer", exc_info=True)
        yield

    return warm
