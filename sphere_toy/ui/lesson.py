"""The lesson path on the page: the step's card (text, what to notice from its runs, its question), its view, the
sidebar's steps, and the bound on m of step 7."""

from __future__ import annotations

import streamlit as st

from sphere_toy import i18n, lessons, plots, views
from sphere_toy.analysis import mbound
from sphere_toy.plots import screens
from sphere_toy.serving import serve
from sphere_toy.i18n import _
from sphere_toy.serving.job import Job
from sphere_toy.experiment import Settings
from sphere_toy.train import GridResult
from sphere_toy.ui.experiment import show_settings, with_own_seed
from sphere_toy.ui.figures import show_png
from sphere_toy.ui.messages import problem_ui
from sphere_toy.ui.runs import owner, shared_jobs
from sphere_toy.ui.room import lesson_room_ui
from sphere_toy.ui.state import URL_CHOICES, fragment, lesson_number, locked, mode, room_page


def _go_to_step(n: int) -> None:
    """Open lesson step n: its experiment (form and URL), its tab and its view's controls."""
    step = lessons.step(n)
    st.query_params["lesson"] = str(lessons.index(n))
    runs = lessons.runs(step)
    if runs:
        show_settings(with_own_seed(runs[0]), [], None)
    _open_view(step, keep_link=False)


def lesson_view_ui() -> None:
    """A lesson link opens its step's view where the link names none, once per step, so that the class's own choices
    stand afterwards (a button opening a step sets them all: `_go_to_step`)."""
    n = lesson_number()
    if n is not None and st.session_state.get("_lesson_view") != n:
        st.session_state["_lesson_view"] = n
        _open_view(lessons.step(n), keep_link=True)


def _open_view(step, *, keep_link: bool) -> None:
    """The step's tab and its view's controls (model, ψ view, m, λ), written into the link (copied, it opens the
    same); `keep_link`: only where the link names none."""
    view = {"tab": step.view} if step.view in views.TABS else {}  # `tabs_ui` opens the URL's tab
    for key, value in {**view, **step.option}.items():
        if keep_link and key in st.query_params:
            continue
        if key == "tab" or key in URL_CHOICES:  # these take their value from the URL (`tabs_ui`, `url_choice`)
            st.query_params[key] = str(value)
        else:
            st.session_state[key] = value


def _leave_lesson() -> None:
    for key in ("lesson", "lock"):
        st.query_params.pop(key, None)


@st.cache_data(max_entries=64, show_spinner=False)
def _notice(key: str, runs: tuple, lang: str, _results=()) -> str:
    """A step's "what to notice", computed from its runs' results; keyed by the step, its runs and the language."""
    with i18n.using(lang):
        return lessons.step_by_key(key).notice(tuple(_results))


@st.cache_data(max_entries=8, show_spinner=False)
def _bound_checks(settings: Settings, _result=None):
    return mbound.check(_result)


def step_heading_ui(n: int, title, back, forward, *, heading: str = "####") -> None:
    """Where the step is in the lesson, into `title`; its Back and Next buttons, into `back` and `forward`."""
    step, total = lessons.step(n), len(lessons.STEPS)
    title.markdown(
        f"{heading} " + _("Lesson, step {n} of {total}: {title}").format(n=n, total=total, title=_(step.title))
    )
    back.button(
        _("Back"),
        key="lesson_back",
        on_click=_go_to_step,
        args=(n - 1,),
        disabled=n == 1,
        icon=":material/arrow_back:",
        width="stretch",
    )
    forward.button(
        _("Next"),
        key="lesson_next",
        on_click=_go_to_step,
        args=(n + 1,),
        disabled=n == total,
        icon=":material/arrow_forward:",
        width="stretch",
        type="primary",
    )


def lesson_ui(n: int, settings: Settings) -> None:
    """The step on top of the page: where it is in the lesson, its text, what to notice in this run, its question.

    Presented ("slide"), the step is one row under the header (which holds its title, Back and Next): the first
    sentence of what to notice, and the whole of it, the step's text and its question one click away, so that the
    view's figure is on the first screen of a projector."""
    step = lessons.step(n)
    runs = lessons.runs(step)
    if mode() in ("slide", "phone"):  # compact layouts: said first, since the run's line is under "More" there
        other_experiment_ui(n, runs, settings)
    if mode() == "slide":
        lead, text, question = st.columns([7.5, 1.2, 1.3], vertical_alignment="center")
        with lead:
            notice_ui(step, runs, short=True)
        with text.popover(_("Text"), icon=":material/article:", width="stretch"):
            st.markdown(_(step.text))
        with question.popover(_("Question"), icon=":material/quiz:", width="stretch"):
            question_ui(n, step)
        return
    if mode() == "phone":  # one narrow column: Back and Next side by side, the rest one tap away
        phone_lesson_ui(n, step, runs)
        return
    with st.container(border=True):
        title, back, forward = st.columns([5, 1, 1], vertical_alignment="center")
        step_heading_ui(n, title, back, forward, heading="")
        # the step's text and its question folded side by side, so that the view's figure starts on the first screen
        text, question = st.columns(2)
        with text.expander(_("The step's text"), icon=":material/article:"):
            st.markdown(_(step.text))
        other_experiment_ui(n, runs, settings)
        with question.expander(_("Check your understanding."), icon=":material/quiz:"):
            question_ui(n, step)
        notice_ui(step, runs)


def other_experiment_ui(n: int, runs: tuple, settings: Settings) -> None:
    """Says so when the experiment on screen is not the step's (a student changed the form), with the way back."""
    if runs and settings != runs[0] and settings == with_own_seed(runs[0]) and not locked():
        st.caption(
            _(
                "This page trains the step's experiment on its own seed, {seed}, one of the room's; what to notice "
                "is about the step's run (seed {step_seed})."
            ).format(seed=settings.seed, step_seed=runs[0].seed)
        )
    elif runs and settings != runs[0] and not locked():
        st.warning(
            _("The experiment on screen is not this step's: the notes below are about the step's own run."),
            icon=":material/edit:",
        )
        st.button(_("Back to the step's experiment"), key="lesson_restore", on_click=_go_to_step, args=(n,))


def phone_lesson_ui(n: int, step, runs: tuple) -> None:
    """The step on a phone: its heading, then Back, Next, its text and its question in one row (a horizontal container
    does not stack, as columns do there), then the first sentence of what to notice, so that the figure starts on
    the first screen."""
    with st.container(border=True):
        title = st.container()
        row = st.container(horizontal=True, gap="small")
        step_heading_ui(n, title, row, row, heading="")
        with row.popover(_("Text"), icon=":material/article:"):
            st.markdown(_(step.text))
        with row.popover(_("Question"), icon=":material/quiz:"):
            question_ui(n, step)
        notice_ui(step, runs, short=True)


def question_ui(n: int, step) -> None:
    st.markdown("**" + _("Check your understanding.") + "** " + _(step.question))
    if st.toggle(_("Show the answer"), key=f"lesson_answer_{n}"):
        st.success(_(step.answer), icon=":material/check:")


def notice_ui(step, runs: tuple, *, short: bool = False) -> None:
    """What to notice, from the step's runs once they are trained (their progress until then); `short`: its first
    sentence, the whole of it one click away."""
    found = _step_jobs(runs)
    if not all(job.finished.is_set() for job in found):
        notice_pending_ui(runs)
        return
    failed = next((job.error for job in found if job.error), None)
    if failed:
        problem_ui(st, _("The step's run could not train."), failed)
        return
    results = tuple(job.result for job in found)
    try:
        text = _notice(step.key, runs, i18n.current(), _results=results)
    except Exception as e:  # a bug must not show a traceback in front of a class
        problem_ui(st, _("Could not measure this step's run."), e)
        return
    _notice_box(text, short, runs, results)
    if room_page():  # the teacher's page puts the step's question to the room's seeds
        lesson_room_ui(step, results)


def _notice_box(text: str, short: bool, runs: tuple, results: tuple) -> None:
    lead, rest = i18n.first_sentence(text) if short else (text, "")
    if not rest:
        st.info("**" + _("What to notice.") + "** " + text, icon=":material/visibility:")
        return
    box, more = st.columns([6, 1], vertical_alignment="center")
    box.info("**" + _("What to notice.") + "** " + lead, icon=":material/visibility:")
    with more.popover(_("More"), width="stretch"):
        st.markdown("**" + _("What to notice.") + "** " + text)
        for settings, result in zip(runs, results):
            st.caption(_("The step's run: {experiment}").format(experiment=settings.describe()))


def lesson_figure_ui(n: int) -> None:
    """A step's own figure, above the tabs, where its view is not a tab (step 7's bound on m), once its run is in."""
    step = lessons.step(n)
    if step.view != views.BOUND.name:
        return
    runs = lessons.runs(step)
    found = _step_jobs(runs)
    if all(job.finished.is_set() and job.error is None for job in found):
        bound_view(runs[0], found[0].result)


def _step_jobs(runs: tuple) -> list[Job]:
    """The jobs of a step's runs, each asked for as this page's own (one place per run: `_owner`)."""
    return [shared_jobs().get(s, owner(f"lesson{i}")) for i, s in enumerate(runs)]


@fragment(run_every=1.0)
def notice_pending_ui(runs: tuple) -> None:
    """Polls the step's runs; the whole page reruns once to show the notice when they are all there."""
    found = _step_jobs(runs)
    if all(job.finished.is_set() for job in found):
        st.rerun()
    running = next(job for job in found if not job.finished.is_set())
    fraction, text = shared_jobs().status(running)
    st.progress(fraction, text=_("What to notice comes from this step's run: {status}").format(status=text))


def bound_view(settings: Settings, result: GridResult) -> None:
    """Step 7: the paper's bound on m, from the geometry, with the training check's counts under it."""
    left, right = st.columns(2)
    m = left.slider(
        _("m"),
        1.0,
        8.0,
        4.0,
        step=0.25,
        key="bound_m",
        help=_("A-softmax's margin: the rule m·θ₁ < θ₂ decides class 1"),
    )
    theta = right.slider(
        _("θ₁₂: the angle between the two class weights (degrees)"), 30, 180, 90, step=5, key="bound_theta"
    )
    # Presented, the figure is the geometry alone: the training check's counts are in the step's notice (and under
    # its "More"), as a table under the curves they would leave neither legible at a projector's height.
    checks = () if mode() == "slide" else _bound_checks(settings, _result=result)
    screen = screens.screen(mode())
    try:
        png = _bound_png(m, theta, settings, i18n.current(), screen, _checks=checks)
    except Exception as e:
        problem_ui(st, _("Could not draw this figure."), e)
        return
    show_png(png, f"bound_m{m:g}_theta{theta}", screen)


@st.cache_data(max_entries=32, show_spinner=False)
def _bound_png(m: float, theta: int, settings: Settings, lang: str, screen: plots.Screen, _checks=()) -> bytes:
    return serve.draw(views.BOUND_FIGURE.name, screen, lang, (m, theta), (("checks", _checks),), None)


def lesson_sidebar_ui(n: int | None) -> None:
    """The way into the lesson, or its steps and the way out; with the lock, the teacher's link and the students'."""
    if n is None:
        st.button(
            _("Start the lesson: SphereFace in {n} steps").format(n=len(lessons.STEPS)),
            key="lesson_start",
            on_click=_go_to_step,
            args=(1,),
            icon=":material/school:",
            width="stretch",
            type="primary",
        )
        return
    st.subheader(_("Lesson"))
    for k, step in enumerate(lessons.STEPS, start=1):
        st.button(
            f"{k}. {_(step.title)}",
            key=f"lesson_goto_{k}",
            on_click=_go_to_step,
            args=(k,),
            type="primary" if k == n else "secondary",
            width="stretch",
        )
    st.caption(
        _(
            "For the projector, add lock=1 to the link: the page shows the lesson without the experiment form. "
            "The same link without it gives students the whole sandbox at the same step."
        )
    )
    st.button(_("Leave the lesson"), key="lesson_leave", on_click=_leave_lesson, icon=":material/logout:")
