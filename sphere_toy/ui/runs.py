"""The training queue on the page: the run the page shows (its progress while it trains, then its summary), the
page's Cancel, the server's refusal of a run over its bound, and the background run behind a tab without one."""

from __future__ import annotations

import functools
import threading
import uuid

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from sphere_toy import i18n, views
from sphere_toy.serving import cost
from sphere_toy.analysis import evaluate
from sphere_toy.plots import screens
from sphere_toy.i18n import N_, _, ngettext
from sphere_toy.serving.job import Job
from sphere_toy.serving.jobs import Jobs, log_runs_to_terminal
from sphere_toy.experiment import Settings
from sphere_toy.train import GridResult
from sphere_toy.ui.figures import render_png
from sphere_toy.ui.messages import blew_up_text, problem_ui
from sphere_toy.ui.state import fragment, lesson_number, mode


@st.cache_resource
def shared_jobs() -> Jobs:
    """One set of training jobs per server process, shared by every session; each run logs a line to the terminal."""
    log_runs_to_terminal()
    return Jobs()


def outcome_ui(job: Job, where) -> GridResult | None:
    """A finished run on the page: its summary, or its error as a message (a failed run is kept, so nobody restarts
    a run that cannot work; new settings make a new run)."""
    if job.error:
        problem_ui(where, _("Training could not run with these settings. Try a preset."), job.error)
        return None
    summary_ui(job.settings, job.result, where)
    return job.result


def summary_ui(settings: Settings, result: GridResult, where) -> None:
    diverged = [g for g in range(len(result.specs)) if result.diverged(g)]
    for g in diverged:
        where.error(
            _("**{model}**: training diverged at step {step}; lower the learning rate or raise λ_min.").format(
                model=result.specs[g].display_name, step=int(result.nan_step[g])
            )
        )
    for g in (g for g in range(len(result.specs)) if result.blew_up(g)):
        where.error(blew_up_text(result, g))
    # a lesson step presented or on a phone: the run's line is under its notice's "More"
    if len(diverged) < len(result.specs) and not (lesson_number() is not None and mode() in ("slide", "phone")):
        n = len(result.specs)
        where.caption(
            ngettext(
                "{n} model trained in {seconds} s (compile {compile} s) · {experiment}",
                "{n} models trained in {seconds} s (compile {compile} s) · {experiment}",
                n,
            ).format(
                n=n,
                seconds=f"{result.compile_seconds + result.train_seconds:.1f}",
                compile=f"{result.compile_seconds:.1f}",
                experiment=settings.describe(),
            )
        )


def owner(purpose: str = "run") -> str:
    """This page's id for the queue, which keeps one place per page and purpose (`Jobs.get`): a token in its
    session. The experiment on screen is one purpose; a lesson step's own runs are others."""
    return st.session_state.setdefault("_owner", uuid.uuid4().hex) + ":" + purpose


def run_ui(settings: Settings, where, live=None) -> GridResult | None:
    """The trained grid for `settings`, with a progress bar in `where` until it is there (None if it failed), and
    the run so far drawn by `live(job)` as it trains, when the tab has a live picture.

    Waits inside this script run: the bar updates are deltas to the page, not reruns of the script.
    """
    jobs = shared_jobs()
    job = jobs.get(settings, owner())
    if not job.finished.is_set():
        bar = where.progress(0.0, text=_("Starting…"))
        cancel = where.empty()
        cancel_button(cancel, settings, "cancel_run")
        while not job.finished.wait(0.5):
            job = jobs.get(settings, owner())  # also tells the queue that this page is still waiting
            bar.progress(*jobs.status(job))
            if live is not None:
                live(job)
        bar.empty()
        cancel.empty()
        if live is not None:
            live(None)
    return outcome_ui(job, where)


CANCEL_HELP = N_(
    "This page stops waiting for the run. A queued run that no other page asks for is dropped, and a "
    "running one stops; other pages waiting for the same experiment still get it."
)


def cancel_button(where, settings: Settings, key: str) -> None:
    """The page's Cancel for the run of `settings` (`_on_cancel`), in `where`."""
    where.button(
        _("Cancel this run"),
        key=key,
        on_click=_on_cancel,
        args=(settings,),
        icon=":material/cancel:",
        help=_(CANCEL_HELP),
    )


def _on_cancel(settings: Settings) -> None:
    st.session_state["_cancelled"] = settings
    shared_jobs().release(settings, owner())


def cancelled_ui(settings: Settings, where) -> bool:
    """After Cancel: say so, and stop asking for the run (True), until the user asks for it again."""
    if st.session_state.get("_cancelled") != settings:
        return False
    with where:
        st.info(
            _(
                "Cancelled: this page no longer waits for this run; unless another page asks for it, it is "
                "dropped from the queue. Change the experiment, or train this one after all."
            ),
            icon=":material/cancel:",
        )
        if st.button(_("Train it after all"), key="uncancel", icon=":material/play_arrow:"):
            st.session_state.pop("_cancelled", None)
            st.rerun()
    return True


def refused_ui(settings: Settings, where) -> bool:
    """Refuse a run over the server's bound before anything starts (True): nothing is queued, nothing else slows."""
    refusal = cost.refusal(settings, cost.CALIBRATION.estimate(settings))
    if refusal:
        where.error(_("{refusal} Nothing was started.").format(refusal=refusal.message), icon=":material/timer_off:")
    return refusal is not None


@fragment(run_every=1.0)
def background_run_ui(settings: Settings) -> None:
    """While the class looks at ψ(θ) or About, the run trains in the background with its progress shown here.

    Every page on the same experiment polls the same job, which stays put when it finishes: each page sees it
    finished on its next poll and reruns once to replace this poller with the run's summary (no page can take the
    run away from the others). The first page to see it also draws the slowest views (Compare, Training) in a
    background thread once no run is left to train, so that their first visit is instant.
    """
    if st.session_state.get("_cancelled") == settings:
        st.rerun()  # the page says so and stops polling
    jobs = shared_jobs()
    job = jobs.get(settings, owner())
    if not job.finished.is_set():
        st.progress(*jobs.status(job))
        cancel_button(st, settings, "cancel_background")
        return
    if job.result is not None and job.claim("prerender"):
        _draw_in_background(settings, job.result)
    st.rerun()


def _draw_in_background(settings: Settings, result: GridResult) -> None:
    page, lang = mode(), i18n.current()  # as this page shows them
    result = evaluate.first_seed(result)  # as the Compare and Training tabs show it
    jobs = shared_jobs()

    def one(figure: views.Figure, kwargs: dict) -> None:
        try:
            render_png(
                figure, settings, result, screen=screens.screen(page, figure.slot_for(page)), lang=lang, **kwargs
            )
        except Exception:  # the tab will draw it again and show the error in place
            pass

    def draw():  # about 2 s of a core: after the runs still queued (a room's), which would otherwise wait for it
        for figure, kwargs in (ahead for view in views.VIEWS for ahead in view.ahead):
            if not jobs.when_idle(functools.partial(one, figure, dict(kwargs))):
                return

    thread = threading.Thread(target=draw, name="sphere_toy-prerender", daemon=False)  # see Jobs._start_worker
    add_script_run_ctx(thread, get_script_run_ctx())  # Streamlit's caches expect a session's context
    thread.start()
