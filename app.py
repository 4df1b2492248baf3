"""SphereFace in the classroom: `streamlit run app.py`.

Thin by design: `*_ui()` functions read widgets and return plain values, cached calls into `sphere_toy` do the work
(training: `jobs.Jobs`; figures: `plots`; the experiment and its URL form: `settings.Settings`; the About tab's text:
`sphere_toy/about.md`, `about.zh-TW.md` in Chinese).

State: the experiment lives in the URL as `Settings.to_query()` (read with `Settings.from_query`, which clamps bad
values and says so); the view (model, bins, ψ sliders, snapshot) uses Streamlit's own query-param binding, the tab
its own (`tabs_ui`). A link therefore reproduces the run and the view, in either language: the URL's values are
English identifiers (tab=Features, model=A-softmax m=4) and only what the page shows is translated (`sphere_toy.i18n`;
lang=zh-TW in the URL, or the switch, picks Chinese). Training runs in a background thread shared by every session that
asks for the same settings, so switching tabs never restarts it; finished runs stay with `Jobs` (the last few), so
every page that waited for one receives it.
"""

import sphere_toy  # noqa: F401  (first: gives JAX one CPU device per core before it starts)

import functools
import logging
import pathlib
import threading
import time
import uuid

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from sphere_toy import cost, evaluate, i18n, lessons, margins, mbound, plots, screens, serve
from sphere_toy.i18n import N_, _, ngettext
from sphere_toy.jobs import DrawBudget, Job, Jobs, log_runs_to_terminal
from sphere_toy.plots_style import sentences
from sphere_toy.safe_text import clip, markdown_literal
from sphere_toy.settings import LIMITS, PRESETS, QUERY_KEYS, Settings, lineup_tokens
from sphere_toy.train import GridResult

# Imported once to be served (the end of this file), before Streamlit's runtime exists: every st.cache_data below
# would log "No runtime found". The pages' own runs, with the runtime, define the caches they use.
_CACHE_LOG = logging.getLogger("streamlit.runtime.caching.cache_data_api")
_CACHE_LOG.disabled = __name__ != "__main__"

ABOUT = pathlib.Path(sphere_toy.__file__).parent / "about.md"  # the English text; i18n.localized_path finds the others
# The tabs' names are identifiers (the URL's tab=, RESULT_TABS, the lessons' views), English in every language; the
# page shows _(name) (`tabs_ui`).
TABS = (N_("Target logits"), N_("Features"), N_("Angles"), N_("Compare"), N_("Training"), N_("Open-set"), N_("About"))
BINS = 36  # default histogram bins (5° each)


# ------------------------------------------------------------------------------------------------ the page's language

def _page_language() -> None:
    """Speak the page's language in this thread: what `language_ui` chose on the page's last full run.

    Needed where Streamlit runs code without running the page from the top: a widget's callback (it runs before the
    page) and a fragment's own rerun (only the fragment runs). Each starts in a new thread, whose language is
    i18n.DEFAULT (a context variable is not inherited)."""
    i18n.set_language(st.session_state.get("_lang", i18n.current()))


def _write_url(key: str) -> None:
    """A control's value into the URL under its key, as the value itself (see `url_choice`)."""
    value = st.session_state.get(key)
    if value is None:
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = str(value)


def url_choice(widget, label: str, options, *, key: str, default, **kwargs):
    """`widget(label, options, key=key, **kwargs)` (a segmented control shown with a `format_func`) whose value the
    URL holds under `key` as the option itself, English in every language: model=A-softmax m=4,
    target_view=The margin family.

    Not `bind="query-params"`: a bound choice writes the label its format_func shows, so a Chinese page would write
    target_view=邊距損失家族 and drop a link's English value as invalid. Here the URL's value (one of `options`, else
    `default`) is put into the control before it is drawn, and a click writes the option back (`_write_url`)."""
    options = list(options)
    by_text = {str(option): option for option in options}
    text = st.query_params.get(key)
    if text is not None and text not in by_text:  # as a bound control does: an invalid value leaves the URL
        st.query_params.pop(key, None)
    value = by_text.get(text, default)
    if st.session_state.get(key) != value:
        st.session_state[key] = value
    return widget(label, options, key=key, on_change=_write_url, args=(key,), **kwargs)


def fragment(fn=None, **options):
    """`st.fragment` in the page's language: as `@st.fragment` or `@st.fragment(run_every=...)`."""
    def decorate(fn):
        @functools.wraps(fn)  # the same name and qualified name: st.fragment tells fragments apart by them
        def in_language(*args, **kwargs):
            _page_language()
            return fn(*args, **kwargs)
        return st.fragment(in_language, **options)
    return decorate if fn is None else decorate(fn)


# ------------------------------------------------------------------------------------------------ training

@st.cache_resource
def _jobs() -> Jobs:
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


def problem_ui(where, message: str, cause: Exception | str) -> None:
    """An error in plain words, then its cause as inert text (an exception's text may quote what a link said). A
    cause in words of the library (a run's reason for stopping, `jobs`) is shown in the page's language; an
    exception's text stays as Python wrote it."""
    if isinstance(cause, Exception):
        cause = f"{type(cause).__name__}: {cause}"
    elif cause:
        cause = _(cause)
    # TRANSLATORS: an error message, then what caused it (often a Python exception, in English).
    where.error(_("{message} ({cause})").format(message=message, cause=markdown_literal(clip(cause, 200))))


def summary_ui(settings: Settings, result: GridResult, where) -> None:
    diverged = [g for g in range(len(result.specs)) if result.diverged(g)]
    for g in diverged:
        where.error(_("**{model}**: training diverged at step {step}; lower the learning rate or raise λ_min.").format(
            model=result.specs[g].display_name, step=int(result.nan_step[g])))
    for g in (g for g in range(len(result.specs)) if result.blew_up(g)):
        where.error(blew_up_text(result, g))
    if len(diverged) < len(result.specs):
        n = len(result.specs)
        where.caption(ngettext("{n} model trained in {seconds} s (compile {compile} s) · {experiment}",
                               "{n} models trained in {seconds} s (compile {compile} s) · {experiment}", n).format(
            n=n, seconds=f"{result.compile_seconds + result.train_seconds:.1f}",
            compile=f"{result.compile_seconds:.1f}", experiment=settings.describe()))


def _owner(purpose: str = "run") -> str:
    """This page's id for the queue, which keeps one place per page and purpose (`Jobs.get`): a token in its
    session. The experiment on screen is one purpose; a lesson step's own runs are others."""
    return st.session_state.setdefault("_owner", uuid.uuid4().hex) + ":" + purpose


def run_ui(settings: Settings, where, live=None) -> GridResult | None:
    """The trained grid for `settings`, with a progress bar in `where` until it is there (None if it failed), and
    the run so far drawn by `live(job)` as it trains, when the tab has a live picture.

    Waits inside this script run: the bar updates are deltas to the page, not reruns of the script.
    """
    jobs = _jobs()
    job = jobs.get(settings, _owner())
    if not job.finished.is_set():
        bar = where.progress(0.0, text=_("Starting…"))
        cancel = where.empty()
        cancel.button(_("Cancel this run"), key="cancel_run", on_click=_on_cancel, args=(settings,),
                      icon=":material/cancel:", help=_(CANCEL_HELP))
        while not job.finished.wait(0.5):
            job = jobs.get(settings, _owner())  # also tells the queue that this page is still waiting
            bar.progress(*jobs.status(job))
            if live is not None:
                live(job)
        bar.empty()
        cancel.empty()
        if live is not None:
            live(None)
    return outcome_ui(job, where)


CANCEL_HELP = N_("This page stops waiting for the run. A queued run that no other page asks for is dropped, and a "
                 "running one stops; other pages waiting for the same experiment still get it.")


def _on_cancel(settings: Settings) -> None:
    st.session_state["_cancelled"] = settings
    _jobs().release(settings, _owner())


def cancelled_ui(settings: Settings, where) -> bool:
    """After Cancel: say so, and stop asking for the run (True), until the user asks for it again."""
    if st.session_state.get("_cancelled") != settings:
        return False
    with where:
        st.info(_("Cancelled: this page no longer waits for this run; unless another page asks for it, it is "
                  "dropped from the queue. Change the experiment, or train this one after all."),
                icon=":material/cancel:")
        if st.button(_("Train it after all"), key="uncancel", icon=":material/play_arrow:"):
            st.session_state.pop("_cancelled", None)
            st.rerun()
    return True


URL_CHOICES = ("model", "target_view")  # the controls drawn by `url_choice`
LIVE_EVERY = 1.5  # seconds between a page's live pictures (and the server's DrawBudget over all pages)
LIVE_MIN_LEFT = 2.0  # no live picture for a run this close to its end: the final one would follow it (and wait)
LIVE_VIEWS = ("Features", "Compare")


@st.cache_resource
def _draw_budget() -> DrawBudget:
    return DrawBudget()


@st.cache_data(max_entries=24, show_spinner=False)
def _live_png(builder: str, settings: Settings, step: int, screen: plots.Screen, lang: str, args: tuple,
              kwargs: tuple, _result=None) -> bytes:
    """A live picture of the run at `step`: one drawing per step, shared by every page watching the same run (a
    cache of its own, so that live frames never push the final pictures out of `_png`'s)."""
    return serve.draw(builder, screen, lang, args, kwargs, _result)


def live_ui(settings: Settings, shown: str, where):
    """While the run trains, the Features or Compare tab draws it so far, every LIVE_EVERY s and as chunks finish,
    until LIVE_MIN_LEFT s before its end (a 2-s run shows its bar, then its final picture at once); None for a tab or
    a run (more than 3-D) without a live picture. `draw(None)` clears it for the final picture."""
    if shown not in LIVE_VIEWS:
        return None
    slot = where.empty()  # first in the tab whatever the run: the tab's content comes next, in one place (`main`)
    if settings.dim not in (2, 3):
        return None
    state = {"step": -1, "next": 0.0}
    screen = screens.screen(_mode())

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
            if shown == "Compare":
                builder, args, kwargs = "compare_figure", (), (("rows", "features"),)
            else:
                names = [spec.name for spec in partial.specs]
                chosen = st.session_state.get("model")
                g = names.index(chosen) if chosen in names else len(names) - 1
                if partial.diverged(g):  # said so when the run ends (`summary_ui`)
                    return None
                builder, args = ("features_figure", (g,)) if settings.dim == 2 else ("sphere_figure", (g,))
                kwargs = () if settings.dim == 2 else (("regions", False),)
            step = int(partial.snapshot_steps[-1])
            return step, _live_png(builder, settings, step, screen, i18n.current(), args, kwargs, _result=partial)

        try:
            drawn = _draw_budget().draw(make)
        except Exception:  # a live picture is a bonus: a model that diverged mid-run, say, is reported at the end
            drawn = None
        if drawn is None:
            return
        step, png = drawn
        state["step"] = step
        with slot.container():
            st.caption(_("**Live:** the run so far, at step {step} of {steps}. The picture follows the training; "
                         "the final one replaces it when the run ends.").format(step=step, steps=settings.steps))
            st.image(png, width=plots.display_width(png, screen))

    return draw


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
    jobs = _jobs()
    job = jobs.get(settings, _owner())
    if not job.finished.is_set():
        st.progress(*jobs.status(job))
        st.button(_("Cancel this run"), key="cancel_background", on_click=_on_cancel, args=(settings,),
                  icon=":material/cancel:", help=_(CANCEL_HELP))
        return
    if job.result is not None and job.claim("prerender"):
        _draw_in_background(settings, job.result)
    st.rerun()


def _draw_in_background(settings: Settings, result: GridResult) -> None:
    screen, lang = screens.screen(_mode()), i18n.current()  # as this page shows them
    result = evaluate.first_seed(result)  # as the Compare and Training tabs show it
    jobs = _jobs()

    def one(builder: str, kwargs: dict) -> None:
        try:
            render_png(builder, settings, result, screen=screen, lang=lang, **kwargs)
        except Exception:  # the tab will draw it again and show the error in place
            pass

    def draw():  # about 2 s of a core: after the runs still queued (a room's), which would otherwise wait for it
        for builder, kwargs in (("compare_figure", {"rows": "features"}),
                                ("compare_figure", {"bins": BINS, "rows": "angles"}), ("training_figure", {})):
            if not jobs.when_idle(functools.partial(one, builder, kwargs)):
                return

    thread = threading.Thread(target=draw, name="sphere_toy-prerender", daemon=False)  # see Jobs._start_worker
    add_script_run_ctx(thread, get_script_run_ctx())  # Streamlit's caches expect a session's context
    thread.start()


# ------------------------------------------------------------------------------------------------ cached views

@st.cache_data(max_entries=128, show_spinner=False)
def _png(builder: str, settings: Settings | None, screen: plots.Screen, lang: str, args: tuple = (),
         kwargs: tuple = (), _result=None) -> bytes:
    """PNG of `plots.<builder>(result, *args, **kwargs)` drawn for `screen` in `lang`; keyed by settings, which
    determine the result."""
    return serve.draw(builder, screen, lang, args, kwargs, _result)


@st.cache_data(max_entries=32, show_spinner=False)
def _cached_table(builder: str, settings: Settings, lang: str, _result) -> list | str | None:
    with i18n.using(lang):
        return getattr(plots, builder)(_result)


def _table(builder: str, settings: Settings, _result) -> list | str | None:
    """A table (rows) or a text from `plots.<builder>(result)`, in the page's language; cached by settings, which
    determine the result."""
    return _cached_table(builder, settings, i18n.current(), _result)


@st.cache_data(max_entries=8, show_spinner=False)
def _gif(settings: Settings, g: int, lang: str, _result) -> bytes:
    with i18n.using(lang):
        return plots.snapshots_gif(_result, g)


@st.cache_data(max_entries=16, show_spinner=False)
def _animation(settings: Settings, g: int, screen: plots.Screen, lang: str, _result):
    with i18n.using(lang), plots.on_screen(screen):
        return plots.snapshots_plotly(_result, g)


def _mode() -> str:
    """"present" when the page is in presentation mode (`present=1` in the URL), else "normal"."""
    return "present" if st.query_params.get("present", "0").lower() in ("1", "true", "yes", "on") else "normal"


def show_png(png: bytes, name: str, screen: plots.Screen) -> None:
    st.image(png, width=plots.display_width(png, screen))
    st.download_button(_("Download PNG"), png, file_name=f"{name}.png", mime="image/png", key=f"png_{name}",
                       on_click="ignore", icon=":material/download:")


def render_png(builder: str, settings: Settings | None, result: GridResult | None, *args, screen: plots.Screen,
               lang: str | None = None, **kwargs) -> bytes:
    """PNG of `plots.<builder>`, through the cache (one key format for the page and the background drawing)."""
    return _png(builder, settings, screen, lang or i18n.current(), args, tuple(sorted(kwargs.items())),
                _result=result)


def figure_ui(name: str, builder: str, settings: Settings | None, *args, slot: str = "full", _result=None,
              **kwargs) -> None:
    """Draw `plots.<builder>` (cached) for its place on the page, with its PNG download; a failure is a message,
    never a traceback."""
    screen = screens.screen(_mode(), slot)
    try:
        with st.spinner(_("Drawing…")):
            png = render_png(builder, settings, _result, *args, screen=screen, **kwargs)
    except Exception as e:
        problem_ui(st, _("Could not draw this figure."), e)
        return
    show_png(png, name, screen)


# ------------------------------------------------------------------------------------------------ experiment (sidebar)

def _form_value(s: Settings, name: str):
    """A field as its form widget holds it: hidden widths as text, the models as the losses' ids."""
    value = getattr(s, name)
    return ",".join(map(str, value)) if name == "hidden" else list(s.lineup()) if name == "losses" else value


def _to_url(s: Settings) -> None:
    """Write the experiment into the URL as canonical text (bad values replaced), so a copied link reproduces it."""
    for key, text in s.to_query().items():
        if st.query_params.get_all(key) != [text]:
            st.query_params[key] = text
    for key in set(QUERY_KEYS) - set(LIMITS):  # an old link's keys, now written the current way
        st.query_params.pop(key, None)


def _show_settings(s: Settings, warnings: list[str], note: str | None = None) -> None:
    """Make `s` the experiment: into the form's widgets, the URL and the session."""
    for name in LIMITS:
        st.session_state[f"form_{name}"] = _form_value(s, name)
    for loss, chosen in s.lineup().items():  # each margin loss's margins have their own control
        st.session_state[f"form_margins_{loss}"] = chosen
    st.session_state["_settings"], st.session_state["_warnings"], st.session_state["_note"] = s, warnings, note
    _to_url(s)


def _form_settings() -> tuple[Settings, list[str]]:
    """The experiment the form's controls describe now (applied or not), with what was wrong in them."""
    values = {name: st.session_state.get(f"form_{name}") for name in LIMITS}
    if values["losses"] is not None:  # none chosen is a mistake to report, not the default to use silently
        values["losses"] = lineup_tokens({loss: st.session_state.get(f"form_margins_{loss}") or []
                                          for loss in values["losses"]})
    return Settings.from_query({k: v for k, v in values.items() if v is not None})


def _on_train() -> None:
    _page_language()  # the form's warnings are written now, before the page sets its language
    _show_settings(*_form_settings())


def pending_ui(settings: Settings) -> None:
    """Say so when the form has been edited but not applied: the run on screen is not what the form shows. Either
    way, what the form's run would cost, or that this server would refuse it."""
    edited = _form_settings()[0]
    changed = [_label(name) for name in LIMITS if getattr(edited, name) != getattr(settings, name)]
    if changed:
        st.warning(_("Not applied yet: {fields}. The page still shows the run before these changes; press Train to "
                     "run them.").format(fields=_(", ").join(changed)), icon=":material/edit:")
    estimate = cost.CALIBRATION.estimate(edited)
    refusal = cost.refusal(edited, estimate)
    if refusal:
        st.error(refusal.message, icon=":material/timer_off:")
    else:
        n = len(edited.specs())
        st.caption(ngettext("This run: {cost} on this server ({n} model).", "This run: {cost} on this server ({n} "
                            "models).", n).format(cost=cost.describe(estimate), n=n))


def refused_ui(settings: Settings, where) -> bool:
    """Refuse a run over the server's bound before anything starts (True): nothing is queued, nothing else slows."""
    refusal = cost.refusal(settings, cost.CALIBRATION.estimate(settings))
    if refusal:
        where.error(_("{refusal} Nothing was started.").format(refusal=refusal.message), icon=":material/timer_off:")
    return refusal is not None


def _on_preset(name: str) -> None:
    _show_settings(PRESETS[name].settings, [], name)  # the note is the preset's: `preset_note` words it when shown


def preset_note(name: str) -> str:
    """What to look at in the preset `name` (its English name, a key of PRESETS), in the page's language."""
    return _("**{name}.** {description}").format(name=_(name), description=_(PRESETS[name].description))


def _label(name: str) -> str:
    """The form's label of the field `name`, in the page's language."""
    return _(LIMITS[name].label)


def _number(name: str, step, fmt: str | None = None) -> None:
    lim = LIMITS[name]
    st.number_input(_(lim.label), lim.kind(lim.lo), lim.kind(lim.hi), step=step, format=fmt, key=f"form_{name}",
                    help=_(lim.help))


def _choice(name: str, labels: dict | None = None, multi: bool = False) -> None:
    """A control for a field with few values; `labels` shows a value in words (the value itself stays the URL's)."""
    lim = LIMITS[name]
    widget = st.pills if multi else st.segmented_control
    widget(_(lim.label), lim.choices or list(range(int(lim.lo), int(lim.hi) + 1)), key=f"form_{name}",
           help=_(lim.help), selection_mode="multi" if multi else "single", required=not multi,
           format_func=(lambda v: labels.get(v, str(v))) if labels else str)


def experiment_ui() -> tuple[Settings, list[str], str | None]:
    """The sidebar (presets, the experiment form) and the URL: returns the settings to show, warnings and a note."""
    url = {k: st.query_params.get_all(k) for k in st.query_params if k in QUERY_KEYS}
    settings, warnings = Settings.from_query(url)
    n = _lesson()
    if n is not None and (_locked() or not url) and lessons.runs(lessons.step(n)):
        # The teacher's locked page, or a lesson link without an experiment: the step decides the experiment.
        settings, warnings = lessons.runs(lessons.step(n))[0], []
    if st.session_state.get("_settings") != settings:  # first load, a pasted link, or back/forward: the URL decides
        _show_settings(settings, warnings)
    else:  # the same experiment, perhaps written differently: keep the form as the user is editing it
        _to_url(settings)

    with st.sidebar:
        lesson_sidebar_ui(n)
        if _locked():
            return settings, warnings, None
        st.subheader(_("Presets"))
        for name, preset in PRESETS.items():  # the English name is the key; the button shows it translated
            st.button(_(name), key=f"preset_{name}", help=_(preset.description), on_click=_on_preset, args=(name,),
                      width="stretch")
        # Not an st.form: a form sends its values only on submit, so the page could not tell that what it shows
        # differs from the run on screen. Editing a control reruns the page (cheap: nothing trains) and says so.
        with st.container(border=True):
            st.subheader(_("Experiment"))
            _choice("data", {"digits": _("Digits"), "blobs": _("Blobs"), "identities": _("Identities")})
            # Number boxes, not sliders: their bounds depend on the data (10 digits, 100 identities); a value past
            # what the chosen data allow comes back as the nearest valid one, with a warning.
            _number("classes", 1)
            _number("held_out", 1)
            _number("samples", 10)
            _number("nuisance", 0.25, "%g")
            _number("imbalance", 0.5, "%g")
            _number("overlap", 0.25, "%g")
            _choice("dim", {2: _("2-D"), 3: _("3-D")})
            models_ui()
            lim = LIMITS["hidden"]
            st.text_input(_(lim.label), key="form_hidden", help=_(lim.help), max_chars=40)
            _number("steps", 100)
            _number("batch", 8)
            _number("lr", 0.001, "%g")
            _choice("optimizer", {"adam": "Adam", "sgd": "SGD"})
            with st.expander(_("λ schedule (A-softmax annealing)")):
                st.caption(_("λ = max(λ_min, base·(1 + γ·step/steps)^(−power)); the loss uses (λ cos θ + ψ(θ)) / "
                             "(1 + λ)."))
                for name, step in (("lambda_base", 100.0), ("lambda_gamma", 10.0), ("lambda_power", 0.5),
                                   ("lambda_min", 1.0)):
                    _number(name, step, "%g")
            _number("seed", 1)
            _number("seeds", 1)
            pending_ui(settings)
            st.button(_("Train"), type="primary", on_click=_on_train, width="stretch", icon=":material/play_arrow:")
        st.caption(_("The URL holds the whole experiment and view: copy it to share exactly this run."))
    return settings, st.session_state["_warnings"], st.session_state.get("_note")


def models_ui() -> None:
    """The losses to train, and for each loss with a margin, which margins (one model each)."""
    lim = LIMITS["losses"]
    st.pills(_(lim.label), list(margins.LOSSES), key="form_losses", selection_mode="multi", help=_(lim.help),
             format_func=lambda loss: _(margins.LOSSES[loss].label))
    chosen = st.session_state.get("form_losses") or []
    for loss in chosen:
        kind = margins.LOSSES[loss]
        if kind.margin is None:
            continue
        key = f"form_margins_{loss}"
        options = sorted(set(kind.margin_choices) | set(st.session_state.get(key) or []))
        st.pills(_("{loss} margins m").format(loss=_(kind.label)), options, key=key, selection_mode="multi",
                 help=_("One {loss} model per margin; its boundary: {boundary}. None chosen: m = {default}.").format(
                     loss=_(kind.label), boundary=kind.boundary, default=f"{kind.margin_default:g}"))
    lim = LIMITS["scale"]  # always drawn (a widget that is not keeps no value): disabled where no loss uses s
    st.number_input(_(lim.label), lim.lo, lim.hi, step=1.0, format="%g", key="form_scale", help=_(lim.help),
                    disabled=not any(margins.LOSSES[loss].scaled for loss in chosen))


# ------------------------------------------------------------------------------------------------ view widgets

def warnings_ui(warnings: list[str]) -> None:
    """What the URL or the form got wrong, one line per key, shown as text (it may quote anything a link said). More
    than two go into one box with the details folded, so a bad link cannot fill the projected page."""
    lines = [markdown_literal(text) for text in warnings]
    if len(lines) <= 2:
        for line in lines:
            st.warning(line, icon=":material/warning:")
        return
    with st.expander(ngettext("This link or form had {n} value that is not valid; the nearest valid value is used. "
                              "Details", "This link or form had {n} values that are not valid; the nearest valid "
                              "values are used. Details", len(lines)).format(n=len(lines)), icon=":material/warning:"):
        for line in lines:
            st.warning(line)


def model_ui(result: GridResult) -> int:
    """Which trained model to show (index g); the choice is shared by the Features, Angles and Training tabs. Its
    value (the URL's model=) is the model's English name; the control shows its name in the page's language."""
    names = [spec.name for spec in result.specs]
    shown = {spec.name: spec.display_name for spec in result.specs}
    choice = url_choice(st.segmented_control, _("Model"), names, key="model", default=names[-1], required=True,
                        help=margins.explain(result.specs), format_func=lambda name: shown.get(name, name))
    return names.index(choice)


def blew_up_text(result: GridResult, g: int) -> str:
    return _("**{model}**: training blew up: the features grew to ‖x‖ ≈ {norm} (a healthy run stays near 10–50), so "
             "the loss only looks fine; lower the learning rate.").format(
        model=result.specs[g].display_name, norm=f"{result.feature_scale(g):.1e}")


def diverged_ui(result: GridResult, g: int) -> bool:
    if result.blew_up(g):  # still drawn (angles are defined), but flagged as loudly as a divergence
        st.error(blew_up_text(result, g))
    if result.diverged(g):
        st.error(_("**{model}**: training diverged at step {step}; lower the learning rate or raise λ_min. Nothing "
                   "to plot for this model.").format(model=result.specs[g].display_name,
                                                     step=int(result.nan_step[g])))
    return result.diverged(g)


def bins_ui() -> int:
    return st.slider(_("Histogram bins"), 9, 90, BINS, step=9, key="bins", bind="query-params",
                     help=_("Bins over 0°..180° (36 bins = 5° each)"))


# ------------------------------------------------------------------------------------------------ tabs

# The Target logits tab's two views: the URL's target_view= holds these English names; the control shows _(name).
PSI_VIEW, FAMILY_VIEW = N_("ψ(θ) of A-softmax"), N_("The margin family")
PSI_FIRST = (4, 0.0)  # ψ(θ)'s m and λ as a page opens: the paper's m = 4, fully annealed
PSI_SLOT = {"normal": "psi", "present": "full"}  # beside its controls; presenting, the full width under them
# What a new page shows first, drawn once before the server's first page comes (`serve.lifespan`, at the end).
FIRST_FIGURES = [serve.FirstFigure("psi_figure", PSI_FIRST, screens.screen(mode, slot), lang)
                 for mode, slot in PSI_SLOT.items() for lang in i18n.LANGUAGES]


@fragment
def target_tab() -> None:
    """A-softmax's ψ(θ), or the whole family's target logits side by side: no training needed. Presenting, the view
    switch and the sliders share one row above a full-width figure, so the figure stays on the first screen."""
    present = _mode() == "present"
    row = st.columns([1.5, 1, 1, 1, 1], vertical_alignment="bottom") if present else [st.container()]
    view = url_choice(row[0].segmented_control, _("Show"), (PSI_VIEW, FAMILY_VIEW), key="target_view",
                      default=PSI_VIEW, required=True, format_func=_)
    slots = row[1:] if present else None
    if view == FAMILY_VIEW:
        family_view(slots)
    else:
        psi_view(slots)


def family_view(slots) -> None:
    """Each margin loss's slider, then its target logit and two-class boundary (`plots.family_figure`)."""
    present = slots is not None
    slots = slots or st.columns(4)
    chosen = []
    for col, loss in zip(slots, (loss for loss in margins.LOSSES.values() if loss.margin is not None)):
        lo, hi = loss.margin_range
        step = 1 if loss.integer_margin else 0.05
        help_text = (_("{paper}. Boundary for class 1: {boundary} (radians)") if loss.margin == "angle_margin" else
                     _("{paper}. Boundary for class 1: {boundary}"))
        value = col.slider(f"{_(loss.label)} m", type(step)(lo), type(step)(hi), type(step)(loss.margin_default),
                           step=step, key=f"family_{loss.id}", bind="query-params",
                           help=help_text.format(paper=_(loss.paper), boundary=loss.boundary))
        chosen.append((loss.id, value))
    lam = slots[3].select_slider(_("λ (A-softmax)"), (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0), 0.0,
                                 key="family_lam", bind="query-params",
                                 help=_("SphereFace's annealing blends its target with cos θ"))
    key = "_".join(f"{loss}{value:g}" for loss, value in chosen)
    figure_ui(f"target_logits_{key}_lambda{lam:g}", "family_figure", None, tuple(chosen), lam, slot="full")
    explain_ui(sentences([
        _("Every loss here scores the other classes by cos θⱼ (times ‖x‖ or s) and changes only its own class's "
          "logit. Left: that target logit; the further below cos θ (dotted), the more the loss asks. Right: a sample "
          "of class 1 between two classes is classified as class 1 only above its curve: the margin is the band "
          "between the curve and the diagonal. SphereFace's is multiplicative (m·θ₁ = θ₂: nothing near θ = 0, wide "
          "far away), ArcFace's a constant angle, CosFace's a constant in cosine (widest in angle near θ = 0)."),
        *([] if present else [_("Set each margin with its slider; the same losses train side by side in the "
                                 "Compare tab (preset \"SphereFace vs CosFace vs ArcFace\").")])]))


def psi_view(slots) -> None:
    """ψ(θ) with its m and λ sliders, and the formulas beside it (or folded under it when presenting)."""
    present = slots is not None
    # Presenting: the sliders in the row above a full-width figure, the formulas folded under it.
    left, right = (None, st.container()) if present else st.columns([1.2, 3])
    with slots[0] if present else left:
        m = st.slider("m", 1, 8, PSI_FIRST[0], key="psi_m", bind="query-params",
                      help=_("Angular margin (the paper uses m = 4)"))
    with slots[1] if present else left:
        lam = st.select_slider(_("λ (annealing)"), (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0), PSI_FIRST[1], key="psi_lam",
                               bind="query-params", help=_("Training starts with λ large (≈ M-softmax) and anneals it"))
    with right:
        figure_ui(f"psi_m{m}_lambda{lam:g}", "psi_figure", None, m, lam, slot=PSI_SLOT[_mode()])
    with st.expander(_("The formulas")) if present else left:
        st.markdown(_("The margin function, on each interval k = 0 … m−1:"))
        st.latex(r"\psi(\theta) = (-1)^k \cos(m\theta) - 2k")
        st.latex(r"\theta \in \left[\tfrac{k\pi}{m},\, \tfrac{(k+1)\pi}{m}\right]")
        st.markdown(_("cos(mθ) as a polynomial in cos θ (Chebyshev), which is how it is computed:"))
        st.latex(plots.chebyshev_latex(m, terms_per_line=2))  # fits the narrow column up to m = 8
        if m == 4:
            st.markdown(_("The notes' sign trick for m = 4: ψ = s3·cos 4θ + s4 with s3 = (−1)ᵏ and s4 = −2k, "
                          "written in each interval of the figure."))
    with right:
        explain_ui(_("The target logit of A-softmax is ‖x‖ψ(θ_y) instead of ‖x‖cos θ_y. ψ equals cos(mθ) on "
                     "[0, π/m] and continues it monotonically, so a sample must reach an angle m times smaller than "
                     "softmax would need to earn the same logit. Slide m and λ: λ large is M-softmax, λ → 0 the full "
                     "margin."))


def undrawable_ui(result: GridResult, message: str) -> bool:
    """Say so when the features have more dimensions than a picture (True: nothing more to draw here). `message`:
    what cannot be drawn, a translated sentence with the field {dim}."""
    if plots.drawable(result):
        return False
    st.info(sentences([message.format(dim=plots.feature_dim(result)),
                       _("The Angles, Compare, Training and Open-set tabs measure them at any dimension.")]),
            icon=":material/view_in_ar:")
    return True


def features_tab(settings: Settings, result: GridResult) -> None:
    g = model_ui(result)
    if diverged_ui(result, g) or undrawable_ui(
            result, _("Drawing the features needs 2-D or 3-D features; this run has {dim}-D features.")):
        return
    slug = f"features_{settings.dim}d_{plots.model_slug(result, g)}"
    if settings.dim == 2:
        features_2d(settings, result, g, slug)
    else:
        chart = st.container()  # the sphere first, its switch under it: presenting, it stays on the first screen
        regions = st.columns([1, 3])[0].toggle(
            _("Regions on the sphere"), True, key="regions", bind="query-params",
            help=_("Colour the sphere by the model's decision regions and its margin zone (the paper's Fig. 3). The "
                   "coloured sphere is opaque: rotate to see the far side, or switch this off to see through it."))
        try:
            with plots.on_screen(screens.screen(_mode())):
                figure = plots.sphere_plotly(result, g, regions=regions)
            chart.plotly_chart(figure, key="sphere", config={"displaylogo": False})
        except Exception as e:
            problem_ui(chart, _("Could not draw the sphere."), e)
        explain_ui(sentences([
            _("Training features projected on the unit sphere (the paper's Fig. 5, top row); drag to rotate. Lines: "
              "the class weight directions W_j. Crosses: held-out classes, never trained on."),
            *([_("Colours: each class's region (nearest W_j by angle), darker where a sample of that class would "
                 "still be penalised by the margin: the loss's own margin zone, as in 2-D.")] if regions else [])]))
        # Drawn when asked for: a 3-D PNG costs the server 0.4 s, for every page and every run, and a room of pages
        # that all receive their runs at once would wait for thirty of them.
        if st.toggle(_("Static picture for slides"), key="slides",
                     help=_("The same view as a picture (PNG) to download, drawn when you switch this on.")):
            figure_ui(f"{slug}{'_regions' if regions else ''}", "sphere_figure", settings, g, regions=regions,
                      _result=result)
    prior_ui(settings, result)
    st.download_button(_("Download features (CSV)"), lambda: plots.features_csv(result), file_name="features.csv",
                       mime="text/csv", on_click="ignore", icon=":material/table:",
                       help=_("Every sample's feature for every model: split, label, coordinates, θ_y"))


def prior_ui(settings: Settings, result: GridResult) -> None:
    """With imbalanced classes: what each model gives each class against its size (the class prior)."""
    text = _table("prior_text", settings, _result=result)
    if not text:
        return
    with st.expander(_("Class sizes: does a model learn them as a prior?"), expanded=_mode() == "normal",
                     icon=":material/balance:"):
        st.markdown(text)
        st.dataframe(_table("prior_rows", settings, _result=result), hide_index=True)


@fragment
def features_2d(settings: Settings, result: GridResult, g: int, slug: str) -> None:
    left, right, _spare = st.columns([1, 1, 3])
    show_test = left.toggle(_("Test points"), True, key="test", bind="query-params",
                            help=_("Closed-set test samples (not trained on, from the training classes): triangles"))
    show_open = right.toggle(_("Held-out classes"), True, key="open", bind="query-params",
                             help=_("Classes never trained on, in grey"))
    figure_ui(slug, "features_figure", settings, g, show_test=show_test, show_open=show_open, _result=result)
    explain_ui(_("Left: raw features with the decision regions (softmax has a bias, so its borders need not pass "
                 "through the origin) and, for a loss with a margin, the hatched margin zone where a sample is still "
                 "penalised (each loss's own rule, named in the legend). Right: the same features normalised onto "
                 "the unit circle."))


def angles_tab(settings: Settings, result: GridResult) -> None:
    g = model_ui(result)
    if not diverged_ui(result, g):
        angle_views(settings, result, g)


@fragment
def angle_views(settings: Settings, result: GridResult, g: int) -> None:
    left, right = st.columns(2) if _mode() == "normal" else (st.container(), st.container())  # see screens.screen
    histogram = left.container()  # drawn after its bins slider is read, but shown above it
    with left:
        bins = bins_ui()
    with histogram:
        figure_ui(f"angles_{plots.model_slug(result, g)}_{bins}bins", "angle_histogram_figure", settings, g,
                  bins=bins, slot="half",
                  _result=result)
    with right:
        if not undrawable_ui(result, _("Drawing the deciding pairs on the circle or sphere needs 2-D or 3-D "
                                       "features; this run has {dim}-D features.")):
            figure_ui(f"criterion_pairs_{plots.model_slug(result, g)}", "criterion_pairs_figure", settings, g,
                      slot="half", _result=result)
    st.info(_table("criterion_text", settings, _result=result)[g], icon=":material/straighten:")
    figure_ui(f"target_angles_{plots.model_slug(result, g)}", "target_angle_figure", settings, g, slot="half",
              _result=result)


@fragment
def compare_tab(settings: Settings, result: GridResult) -> None:
    if plots.drawable(result):
        figure_ui("compare_features", "compare_figure", settings, rows="features", _result=result)
        explain_ui(_("Every loss on the same data and seed: features (top) and same-class vs different-class pair "
                     "angles (bottom) — the paper's Fig. 2 (2-D) or Fig. 5 (3-D) on one screen."))
    bins = bins_ui()
    figure_ui(f"compare_angles_{bins}", "compare_figure", settings, bins=bins, rows="angles", slot="below",
              _result=result)
    stats_ui(settings, result)


def stats_ui(settings: Settings, result: GridResult) -> None:
    st.dataframe(_table("stats_rows", settings, _result=result), hide_index=True)
    explain_ui(_("Angles in degrees on the closed-set test features. Criterion ✓: max intra-class angle < min "
                 "inter-class angle (every class fits in a cone narrower than the gap to the others)."))
    st.download_button(_("Download table (Markdown)"), _table("stats_markdown", settings, _result=result),
                       file_name="stats.md", mime="text/markdown", on_click="ignore", icon=":material/download:")


def training_tab(settings: Settings, result: GridResult) -> None:
    figure_ui("training_curves", "training_figure", settings, _result=result)
    st.subheader(_("Watch the features move"))
    g = model_ui(result)
    if not diverged_ui(result, g) and not undrawable_ui(
            result, _("Watching the features move needs 2-D or 3-D features; this run has {dim}-D features.")):
        snapshots_ui(settings, result, g)


@fragment
def snapshots_ui(settings: Settings, result: GridResult, g: int) -> None:
    steps = [int(s) for s in result.snapshot_steps]
    play = st.toggle(_("▶ Play"), key="play", help=_("The animation: play it, pause it, or drag its slider; it runs "
                                                      "in the browser, and downloads as a GIF"))
    lang = i18n.current()
    if play:
        try:
            st.plotly_chart(_animation(settings, g, screens.screen(_mode()), lang, _result=result), key="animation",
                            config={"displaylogo": False})
        except Exception as e:
            problem_ui(st, _("Could not draw the animation."), e)
        st.download_button(_("Download GIF"), lambda: _gif(settings, g, lang, _result=result),
                           file_name=f"training_{plots.model_slug(result, g)}.gif", mime="image/gif",
                           on_click="ignore", icon=":material/download:",
                           help=_("Made when you click (a few seconds: one picture per snapshot)"))
        return
    step = st.select_slider(_("Step"), steps, steps[-1], key="snap", bind="query-params",
                            help=_("Features of the same training samples after this many steps"))
    figure_ui(f"snapshot_{plots.model_slug(result, g)}_step{step}", "snapshot_figure", settings, g,
              steps.index(step), _result=result)


def open_set_tab(settings: Settings, result: GridResult) -> None:
    """The open-set lab: every loss's AUC over the run's seeds against the raw inputs, in words from the numbers;
    the held-out pairs' angles; the ROC and the threshold's accuracy (first seed)."""
    if result.data.n_open_classes < 2:
        st.info(_("Open-set verification needs at least 2 held-out classes: raise *{field}* in the sidebar.").format(
            field=_label("held_out")))
        return
    figure_ui("open_set_seeds", "seed_auc_figure", settings, _result=result)
    text = _table("lab_text", settings, _result=result)
    if text:
        st.info(text, icon=":material/insights:")
    explain_ui(_("Test identities that were **never trained on** (the held-out classes): is a pair the same class? "
                 "Score it by the cosine of the angle between the two features. Each dot is one seed (one set of "
                 "initial weights, the same data); the bar is their mean. *{field}* in the sidebar trains more of "
                 "them at once. The dashed line is the same test on the raw inputs, with no net at all.").format(
        field=_label("seeds")))
    bins = bins_ui()
    figure_ui(f"open_set_pairs_{bins}", "open_pairs_figure", settings, bins=bins, slot="below", _result=result)
    first = evaluate.first_seed(result)
    left, right = st.columns([3, 2]) if _mode() == "normal" else (st.container(), st.container())  # see screens
    with left:
        figure_ui("open_set_roc", "roc_figure", settings, slot="roc", _result=first)
    with right:
        summary = _table("open_set_summary", settings, _result=first)
        if summary:
            st.info(summary, icon=":material/insights:")
    st.dataframe(_table("open_set_rows", settings, _result=first), hide_index=True)
    explain_ui(_("ROC and table: the first seed. Threshold: the cosine (and angle) that best separates same-class "
                 "from different-class pairs of *training* classes; the open-set accuracy applies it, unchanged, to "
                 "pairs of held-out classes. Accuracies are balanced (the mean of the same-class and different-class "
                 "rates), since different-class pairs far outnumber same-class ones."))


@functools.cache
def _about(lang: str) -> str:
    return i18n.localized_path(ABOUT, lang).read_text(encoding="utf-8")


def about_tab() -> None:
    """The About text, one Markdown file per language (`about.md`, `about.zh-TW.md`: `i18n.localized_path`)."""
    st.markdown(_about(i18n.current()))


RESULT_TABS = {"Features": features_tab, "Angles": angles_tab, "Compare": compare_tab, "Training": training_tab,
               "Open-set": open_set_tab}


# ------------------------------------------------------------------------------------------------ lessons

def _lesson() -> int | None:
    """The lesson step the URL opens (`lesson=N`), or None for the sandbox."""
    return lessons.index(st.query_params["lesson"]) if "lesson" in st.query_params else None


def _locked() -> bool:
    """`lock=1` with a lesson: the teacher's projected page, the lesson's view without the experiment form."""
    return _lesson() is not None and st.query_params.get("lock", "0").lower() in ("1", "true", "yes", "on")


def _go_to_step(n: int) -> None:
    """Open lesson step n: its experiment (form and URL), its tab and its view's controls."""
    step = lessons.step(n)
    st.query_params["lesson"] = str(lessons.index(n))
    runs = lessons.runs(step)
    if runs:
        _show_settings(runs[0], [], None)
    _open_view(step, keep_link=False)


def lesson_view_ui() -> None:
    """A lesson link opens its step's view where the link names none, once per step, so that the class's own choices
    stand afterwards (a button opening a step sets them all: `_go_to_step`)."""
    n = _lesson()
    if n is not None and st.session_state.get("_lesson_view") != n:
        st.session_state["_lesson_view"] = n
        _open_view(lessons.step(n), keep_link=True)


def _open_view(step, *, keep_link: bool) -> None:
    """The step's tab and its view's controls (model, ψ view, m, λ), written into the link (copied, it opens the
    same); `keep_link`: only where the link names none."""
    view = {"tab": step.view} if step.view in TABS else {}  # `tabs_ui` opens the URL's tab
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


def lesson_ui(n: int, settings: Settings) -> None:
    """The step on top of the page: where it is in the lesson, its text, what to notice in this run, its question."""
    step, total = lessons.step(n), len(lessons.STEPS)
    present = _mode() == "present"
    with st.container(border=True):
        title, back, forward = st.columns([5, 1, 1], vertical_alignment="center")
        title.markdown("**" + _("Lesson, step {n} of {total}: {title}").format(n=n, total=total, title=_(step.title))
                       + "**")
        back.button(_("Back"), key="lesson_back", on_click=_go_to_step, args=(n - 1,), disabled=n == 1,
                    icon=":material/arrow_back:", width="stretch")
        forward.button(_("Next"), key="lesson_next", on_click=_go_to_step, args=(n + 1,), disabled=n == total,
                       icon=":material/arrow_forward:", width="stretch", type="primary")
        with st.expander(_("The step's text"), expanded=not present):
            st.markdown(_(step.text))
        runs = lessons.runs(step)
        if runs and settings != runs[0] and not _locked():
            st.warning(_("The experiment on screen is not this step's: the notes below are about the step's own "
                         "run."), icon=":material/edit:")
            st.button(_("Back to the step's experiment"), key="lesson_restore", on_click=_go_to_step, args=(n,))
        notice_ui(step, runs)
        st.markdown("**" + _("Check your understanding.") + "** " + _(step.question))
        if st.toggle(_("Show the answer"), key=f"lesson_answer_{n}"):
            st.success(_(step.answer), icon=":material/check:")


def notice_ui(step, runs: tuple) -> None:
    """What to notice, from the step's runs once they are trained (their progress until then)."""
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
    st.info("**" + _("What to notice.") + "** " + text, icon=":material/visibility:")
    if step.view == lessons.BOUND_VIEW:
        bound_view(runs[0], results[0])


def _step_jobs(runs: tuple) -> list[Job]:
    """The jobs of a step's runs, each asked for as this page's own (one place per run: `_owner`)."""
    return [_jobs().get(s, _owner(f"lesson{i}")) for i, s in enumerate(runs)]


@fragment(run_every=1.0)
def notice_pending_ui(runs: tuple) -> None:
    """Polls the step's runs; the whole page reruns once to show the notice when they are all there."""
    found = _step_jobs(runs)
    if all(job.finished.is_set() for job in found):
        st.rerun()
    running = next(job for job in found if not job.finished.is_set())
    fraction, text = _jobs().status(running)
    st.progress(fraction, text=_("What to notice comes from this step's run: {status}").format(status=text))


def bound_view(settings: Settings, result: GridResult) -> None:
    """Step 7: the paper's bound on m, from the geometry, with the training check's counts under it."""
    left, right = st.columns(2)
    m = left.slider(_("m"), 1.0, 8.0, 4.0, step=0.25, key="bound_m",
                    help=_("A-softmax's margin: the rule m·θ₁ < θ₂ decides class 1"))
    theta = right.slider(_("θ₁₂: the angle between the two class weights (degrees)"), 30, 180, 90, step=5,
                         key="bound_theta")
    checks = _bound_checks(settings, _result=result)
    screen = screens.screen(_mode())
    try:
        png = _bound_png(m, theta, settings, i18n.current(), screen, _checks=checks)
    except Exception as e:
        problem_ui(st, _("Could not draw this figure."), e)
        return
    show_png(png, f"bound_m{m:g}_theta{theta}", screen)


@st.cache_data(max_entries=32, show_spinner=False)
def _bound_png(m: float, theta: int, settings: Settings, lang: str, screen: plots.Screen, _checks=()) -> bytes:
    return serve.draw("bound_figure", screen, lang, (m, theta), (("checks", _checks),), None)


def lesson_sidebar_ui(n: int | None) -> None:
    """The way into the lesson, or its steps and the way out; with the lock, the teacher's link and the students'."""
    if n is None:
        st.button(_("Start the lesson: SphereFace in 9 steps"), key="lesson_start", on_click=_go_to_step, args=(1,),
                  icon=":material/school:", width="stretch", type="primary")
        return
    st.subheader(_("Lesson"))
    for k, step in enumerate(lessons.STEPS, start=1):
        st.button(f"{k}. {_(step.title)}", key=f"lesson_goto_{k}", on_click=_go_to_step, args=(k,),
                  type="primary" if k == n else "secondary", width="stretch")
    st.caption(_("For the projector, add lock=1 to the link: the page shows the lesson without the experiment form. "
                 "The same link without it gives students the whole sandbox at the same step."))
    st.button(_("Leave the lesson"), key="lesson_leave", on_click=_leave_lesson, icon=":material/logout:")


def language_ui() -> str:
    """The language switch (sidebar): the URL's lang= (any spelling `i18n.negotiate` takes), else the browser's
    language. The switch writes its choice into the URL as a tag (lang=zh-TW), not as the name it shows
    (繁體中文), so a copied link keeps the language (see `url_choice` for why it is not bound); a language that came
    from the browser goes into the URL too, unless it is the default."""
    lang = i18n.negotiate(st.query_params.get("lang"), st.context.headers.get("Accept-Language"))
    if "lang" not in st.query_params and lang != i18n.DEFAULT:  # the browser's language: a copied link keeps it
        st.query_params["lang"] = lang
    if st.session_state.get("lang") != lang:
        st.session_state["lang"] = lang
    st.sidebar.segmented_control("Language · 語言", i18n.LANGUAGES, key="lang", required=True,
                                 format_func=i18n.NAMES.get, on_change=_write_url, args=("lang",))
    i18n.set_language(lang)
    st.session_state["_lang"] = i18n.current()  # for callbacks and fragments (`_page_language`)
    return i18n.current()


# ------------------------------------------------------------------------------------------------ page

def _on_present() -> None:
    if st.session_state["present"]:
        st.query_params["present"] = "1"
    else:
        st.query_params.pop("present", None)


def header_ui(preset: str | None) -> None:
    """One line of title and the presentation switch: the figures start within the first screen at 1280×720; under
    it, what to look at in the `preset` just chosen (its English name)."""
    present = _mode() == "present"
    # Streamlit leaves 6rem above the first element; 3.5rem clears its toolbar and gives the figures the room.
    st.html("<style>[data-testid='stMainBlockContainer'] {padding-top: 3.5rem; padding-bottom: 2rem}</style>")
    title, switch = st.columns([4, 1.3], vertical_alignment="center")
    with title:
        st.markdown("#### " + _("SphereFace in the classroom") + ("" if present else
                    " <small>· " + _("angular margins, Liu et al., CVPR 2017") + "</small>"), unsafe_allow_html=True)
    st.session_state["present"] = present
    switch.toggle(_("Presentation mode"), key="present", on_change=_on_present,
                  help=_("Sidebar folded away, text folded under each figure, figures drawn larger for a projector. "
                         "The link keeps it (present=1)."))
    if preset in PRESETS:
        note = preset_note(preset)
        if present:
            with st.expander(_("About this preset"), icon=":material/lightbulb:"):
                st.markdown(note)
        else:
            st.info(note, icon=":material/lightbulb:")


def explain_ui(text: str) -> None:
    """What a figure shows, under it: a caption, or folded away when presenting (the teacher says it)."""
    if _mode() == "present":
        with st.expander(_("What am I looking at?")):
            st.markdown(text)
    else:
        st.caption(text)


def _on_tab(labels: list[str]) -> None:
    """The user opened a tab: its English name into the URL (`labels` are the tabs as that page showed them)."""
    label = st.session_state.get("tab")
    if label in labels:
        st.query_params["tab"] = TABS[labels.index(label)]


def tabs_ui() -> dict:
    """The tabs, labelled in the page's language, with the URL's tab= (an English name of TABS) deciding which is
    open: {name: container}.

    Not `st.tabs(..., bind="query-params")`: a bound tab writes its label into the URL, so a Chinese page would
    write tab=特徵 and drop a link's tab=Features as invalid. Here the URL keeps the English name in every language:
    it picks the label to open before the tabs are drawn, and a click writes the name back (`_on_tab`)."""
    name = st.query_params.get("tab")
    if name == "ψ(θ)":  # links made before the tab grew into the margin family
        name = st.query_params["tab"] = TABS[0]
    elif name is not None and name not in TABS:  # as a bound widget does: an invalid value leaves the URL
        st.query_params.pop("tab", None)
        name = None
    labels = [_(tab) for tab in TABS]
    label = labels[TABS.index(name or TABS[0])]
    if st.session_state.get("tab") != label:
        st.session_state["tab"] = label
    containers = st.tabs(labels, key="tab", on_change=_on_tab, args=(labels,))
    return dict(zip(TABS, containers))


def main() -> None:
    language_ui()  # first: the page's title is in its language
    st.set_page_config(page_title=_("SphereFace in the classroom"), page_icon="🌐", layout="wide",
                       initial_sidebar_state="collapsed" if _mode() == "present" else "auto")
    settings, warnings, preset = experiment_ui()
    lesson_view_ui()
    header_ui(preset)
    warnings_ui(warnings)
    if _lesson() is not None:
        lesson_ui(_lesson(), settings)
    status = st.container()
    tabs = tabs_ui()
    shown = next((name for name, tab in tabs.items() if tab.open), TABS[0])
    stopped = refused_ui(settings, status) or cancelled_ui(settings, status)  # said before the tab's content
    with tabs[shown]:
        if shown == "Target logits":
            target_tab()
        elif shown == "About":
            about_tab()
    if stopped:
        return
    if shown not in RESULT_TABS:
        job = _jobs().get(settings, _owner())
        if job.finished.is_set():
            outcome_ui(job, status)
        else:
            with status:
                background_run_ui(settings)
        return
    live = live_ui(settings, shown, tabs[shown])
    # The tab's content is one block. While a new run trains it is emptied: the previous run's pictures are gone at
    # once instead of fading on the page (a faded 3-D chart kept a browser without a GPU repainting, about a third of
    # a core taken from the training beside it on the teacher's laptop).
    waiting = not _jobs().get(settings, _owner()).finished.is_set()
    body = tabs[shown].empty() if waiting else tabs[shown]
    result = run_ui(settings, status, live)
    if result is None:
        return
    if all(result.diverged(g) for g in range(len(result.specs))):
        body.info(_("Every model diverged, so there is nothing to plot: change the settings and press Train."))
        return
    with body.container():
        try:  # the seeds' tab compares seeds; the others show the first seed's models
            RESULT_TABS[shown](settings, result if shown == "Open-set" else evaluate.first_seed(result))
        except Exception as e:  # a bug must not show a traceback in front of a class
            problem_ui(st, _("Something went wrong drawing this tab. Try another model or preset."), e)


if __name__ == "__main__":  # a page: Streamlit runs this file as __main__ for every page, at every rerun
    main()
else:  # `streamlit run app.py` imports this file once, as the module `app`, to serve it (sphere_toy/serve.py)
    _CACHE_LOG.disabled = False
    app = st.App(__file__, lifespan=serve.lifespan(FIRST_FIGURES))
