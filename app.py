"""SphereFace in the classroom: `streamlit run app.py`.

Thin by design: `*_ui()` functions read widgets and return plain values, cached calls into `sphere_toy` do the work
(training: `jobs.Jobs`; figures: `plots`; the experiment and its URL form: `settings.Settings`; the About tab's text:
`sphere_toy/about.md`).

State: the experiment lives in the URL as `Settings.to_query()` (read with `Settings.from_query`, which clamps bad
values and says so); the view (tab, model, bins, ψ sliders, snapshot) uses Streamlit's own query-param binding. A
link therefore reproduces the run and the view. Training runs in a background thread shared by every session that
asks for the same settings, so switching tabs never restarts it; finished runs stay with `Jobs` (the last few), so
every page that waited for one receives it.
"""

import sphere_toy  # noqa: F401  (first: gives JAX one CPU device per core before it starts)

import pathlib
import threading

import streamlit as st
from streamlit.runtime.scriptrunner import add_script_run_ctx, get_script_run_ctx

from sphere_toy import cost, evaluate, margins, plots, screens
from sphere_toy.jobs import Job, Jobs, log_runs_to_terminal
from sphere_toy.safe_text import clip, markdown_literal
from sphere_toy.settings import LIMITS, PRESETS, QUERY_KEYS, Settings, lineup_tokens
from sphere_toy.train import GridResult

ABOUT = (pathlib.Path(sphere_toy.__file__).parent / "about.md").read_text(encoding="utf-8")
TABS = ("Target logits", "Features", "Angles", "Compare", "Training", "Open-set", "About")
FIX = "lower the learning rate or raise λ_min"
BINS = 36  # default histogram bins (5° each)


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
        problem_ui(where, "Training could not run with these settings. Try a preset.", job.error)
        return None
    summary_ui(job.settings, job.result, where)
    return job.result


def problem_ui(where, message: str, cause: Exception | str) -> None:
    """An error in plain words, then its cause as inert text (an exception's text may quote what a link said)."""
    if isinstance(cause, Exception):
        cause = f"{type(cause).__name__}: {cause}"
    where.error(f"{message} ({markdown_literal(clip(cause, 200))})")


def summary_ui(settings: Settings, result: GridResult, where) -> None:
    diverged = [g for g in range(len(result.specs)) if result.diverged(g)]
    for g in diverged:
        where.error(f"**{result.specs[g].name}**: training diverged at step {int(result.nan_step[g])}; {FIX}.")
    for g in (g for g in range(len(result.specs)) if result.blew_up(g)):
        where.error(blew_up_text(result, g))
    if len(diverged) < len(result.specs):
        where.caption(f"{len(result.specs)} models trained in {result.compile_seconds + result.train_seconds:.1f} s "
                      f"(compile {result.compile_seconds:.1f} s) · {settings.describe()}")


def run_ui(settings: Settings, where) -> GridResult | None:
    """The trained grid for `settings`, with a progress bar in `where` until it is there (None if it failed).

    Waits inside this script run: the bar updates are deltas to the page, not reruns of the script.
    """
    jobs = _jobs()
    job = jobs.get(settings)
    if not job.finished.is_set():
        bar = where.progress(0.0, text="Starting…")
        cancel = where.empty()
        cancel.button("Cancel this run", key="cancel_run", on_click=_on_cancel, args=(settings,),
                      icon=":material/cancel:", help=CANCEL_HELP)
        while not job.finished.wait(0.25):
            job = jobs.get(settings)  # also tells the queue that this page is still waiting
            bar.progress(*jobs.status(job))
        bar.empty()
        cancel.empty()
    return outcome_ui(job, where)


CANCEL_HELP = ("This page stops waiting for the run. A run no page asks for any more is dropped from the queue "
               "within 15 s; other pages waiting for the same experiment still get it.")


def _on_cancel(settings: Settings) -> None:
    st.session_state["_cancelled"] = settings


def cancelled_ui(settings: Settings, where) -> bool:
    """After Cancel: say so, and stop asking for the run (True), until the user asks for it again."""
    if st.session_state.get("_cancelled") != settings:
        return False
    with where:
        st.info("Cancelled: this page no longer waits for this run; unless another page asks for it, it is dropped "
                "from the queue. Change the experiment, or train this one after all.", icon=":material/cancel:")
        if st.button("Train it after all", key="uncancel", icon=":material/play_arrow:"):
            st.session_state.pop("_cancelled", None)
            st.rerun()
    return True


@st.fragment(run_every=1.0)
def background_run_ui(settings: Settings) -> None:
    """While the class looks at ψ(θ) or About, the run trains in the background with its progress shown here.

    Every page on the same experiment polls the same job, which stays put when it finishes: each page sees it
    finished on its next poll and reruns once to replace this poller with the run's summary (no page can take the
    run away from the others). The first page to see it also draws the slowest views (Compare, Training) in a
    background thread, so that their first visit is instant.
    """
    if st.session_state.get("_cancelled") == settings:
        st.rerun()  # the page says so and stops polling
    jobs = _jobs()
    job = jobs.get(settings)
    if not job.finished.is_set():
        st.progress(*jobs.status(job))
        st.button("Cancel this run", key="cancel_background", on_click=_on_cancel, args=(settings,),
                  icon=":material/cancel:", help=CANCEL_HELP)
        return
    if job.result is not None and job.claim("prerender"):
        _draw_in_background(settings, job.result)
    st.rerun()


def _draw_in_background(settings: Settings, result: GridResult) -> None:
    screen = screens.screen(_mode())  # as this page shows them
    result = evaluate.first_seed(result)  # as the Compare and Training tabs show it

    def draw():
        for builder, kwargs in (("compare_figure", {"rows": "features"}),
                                ("compare_figure", {"bins": BINS, "rows": "angles"}), ("training_figure", {})):
            try:
                render_png(builder, settings, result, screen=screen, **kwargs)
            except Exception:  # the tab will draw it again and show the error in place
                pass

    thread = threading.Thread(target=draw, name="sphere_toy-prerender", daemon=False)  # see Jobs._start_worker
    add_script_run_ctx(thread, get_script_run_ctx())  # Streamlit's caches expect a session's context
    thread.start()


# ------------------------------------------------------------------------------------------------ cached views

@st.cache_data(max_entries=128, show_spinner=False)
def _png(builder: str, settings: Settings | None, screen: plots.Screen, args: tuple = (), kwargs: tuple = (),
         _result=None) -> bytes:
    """PNG of `plots.<builder>(result, *args, **kwargs)` drawn for `screen`; keyed by settings, which determine the
    result."""
    with plots.on_screen(screen):
        fig = getattr(plots, builder)(*(() if _result is None else (_result,)), *args, **dict(kwargs))
        return plots.figure_png(fig)


@st.cache_data(max_entries=32, show_spinner=False)
def _table(builder: str, settings: Settings, _result) -> list | str | None:
    """A table (rows) or a text from `plots.<builder>(result)`; keyed by settings, which determine the result."""
    return getattr(plots, builder)(_result)


@st.cache_data(max_entries=8, show_spinner=False)
def _gif(settings: Settings, g: int, _result) -> bytes:
    return plots.snapshots_gif(_result, g)


@st.cache_data(max_entries=16, show_spinner=False)
def _animation(settings: Settings, g: int, screen: plots.Screen, _result):
    with plots.on_screen(screen):
        return plots.snapshots_plotly(_result, g)


def _mode() -> str:
    """"present" when the page is in presentation mode (`present=1` in the URL), else "normal"."""
    return "present" if st.query_params.get("present", "0").lower() in ("1", "true", "yes", "on") else "normal"


def show_png(png: bytes, name: str, screen: plots.Screen) -> None:
    st.image(png, width=plots.display_width(png, screen))
    st.download_button("Download PNG", png, file_name=f"{name}.png", mime="image/png", key=f"png_{name}",
                       on_click="ignore", icon=":material/download:")


def render_png(builder: str, settings: Settings | None, result: GridResult | None, *args, screen: plots.Screen,
               **kwargs) -> bytes:
    """PNG of `plots.<builder>`, through the cache (one key format for the page and the background drawing)."""
    return _png(builder, settings, screen, args, tuple(sorted(kwargs.items())), _result=result)


def figure_ui(name: str, builder: str, settings: Settings | None, *args, slot: str = "full", _result=None,
              **kwargs) -> None:
    """Draw `plots.<builder>` (cached) for its place on the page, with its PNG download; a failure is a message,
    never a traceback."""
    screen = screens.screen(_mode(), slot)
    try:
        with st.spinner("Drawing…"):
            png = render_png(builder, settings, _result, *args, screen=screen, **kwargs)
    except Exception as e:
        problem_ui(st, "Could not draw this figure.", e)
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
    _show_settings(*_form_settings())


def pending_ui(settings: Settings) -> None:
    """Say so when the form has been edited but not applied: the run on screen is not what the form shows. Either
    way, what the form's run would cost, or that this server would refuse it."""
    edited = _form_settings()[0]
    changed = [LIMITS[name].label for name in LIMITS if getattr(edited, name) != getattr(settings, name)]
    if changed:
        st.warning(f"Not applied yet: {', '.join(changed)}. The page still shows the run before these changes; "
                   "press Train to run them.", icon=":material/edit:")
    estimate = cost.CALIBRATION.estimate(edited)
    refusal = cost.refusal(edited, estimate)
    if refusal:
        st.error(refusal.message, icon=":material/timer_off:")
    else:
        st.caption(f"This run: {cost.describe(estimate)} on this server ({len(edited.specs())} models).")


def refused_ui(settings: Settings, where) -> bool:
    """Refuse a run over the server's bound before anything starts (True): nothing is queued, nothing else slows."""
    refusal = cost.refusal(settings, cost.CALIBRATION.estimate(settings))
    if refusal:
        where.error(refusal.message + " Nothing was started.", icon=":material/timer_off:")
    return refusal is not None


def _on_preset(name: str) -> None:
    _show_settings(PRESETS[name].settings, [], f"**{name}.** {PRESETS[name].description}")


def _number(name: str, step, fmt: str | None = None) -> None:
    lim = LIMITS[name]
    st.number_input(lim.label, lim.kind(lim.lo), lim.kind(lim.hi), step=step, format=fmt, key=f"form_{name}",
                    help=lim.help)


def _choice(name: str, labels: dict | None = None, multi: bool = False) -> None:
    lim = LIMITS[name]
    widget = st.pills if multi else st.segmented_control
    widget(lim.label, lim.choices or list(range(int(lim.lo), int(lim.hi) + 1)), key=f"form_{name}", help=lim.help,
           selection_mode="multi" if multi else "single", required=not multi,
           format_func=(lambda v: labels.get(v, str(v))) if labels else str)


def experiment_ui() -> tuple[Settings, list[str], str | None]:
    """The sidebar (presets, the experiment form) and the URL: returns the settings to show, warnings and a note."""
    url = {k: st.query_params.get_all(k) for k in st.query_params if k in QUERY_KEYS}
    settings, warnings = Settings.from_query(url)
    if st.session_state.get("_settings") != settings:  # first load, a pasted link, or back/forward: the URL decides
        _show_settings(settings, warnings)
    else:  # the same experiment, perhaps written differently: keep the form as the user is editing it
        _to_url(settings)

    with st.sidebar:
        st.subheader("Presets")
        for name, preset in PRESETS.items():
            st.button(name, key=f"preset_{name}", help=preset.description, on_click=_on_preset, args=(name,),
                      width="stretch")
        # Not an st.form: a form sends its values only on submit, so the page could not tell that what it shows
        # differs from the run on screen. Editing a control reruns the page (cheap: nothing trains) and says so.
        with st.container(border=True):
            st.subheader("Experiment")
            _choice("data", {"digits": "Digits", "blobs": "Blobs", "identities": "Identities"})
            # Number boxes, not sliders: their bounds depend on the data (10 digits, 100 identities); a value past
            # what the chosen data allow comes back as the nearest valid one, with a warning.
            _number("classes", 1)
            _number("held_out", 1)
            _number("samples", 10)
            _number("nuisance", 0.25, "%g")
            _number("imbalance", 0.5, "%g")
            _number("overlap", 0.25, "%g")
            _choice("dim", {2: "2-D", 3: "3-D"})
            models_ui()
            st.text_input(LIMITS["hidden"].label, key="form_hidden", help=LIMITS["hidden"].help, max_chars=40)
            _number("steps", 100)
            _number("batch", 8)
            _number("lr", 0.001, "%g")
            _choice("optimizer", {"adam": "Adam", "sgd": "SGD"})
            with st.expander("λ schedule (A-softmax annealing)"):
                st.caption("λ = max(λ_min, base·(1 + γ·step)^(−power)); the loss uses (λ cos θ + ψ(θ)) / (1 + λ).")
                for name, step in (("lambda_base", 100.0), ("lambda_gamma", 0.01), ("lambda_power", 0.5),
                                   ("lambda_min", 1.0)):
                    _number(name, step, "%g")
            _number("seed", 1)
            _number("seeds", 1)
            pending_ui(settings)
            st.button("Train", type="primary", on_click=_on_train, width="stretch", icon=":material/play_arrow:")
        st.caption("The URL holds the whole experiment and view: copy it to share exactly this run.")
    return settings, st.session_state["_warnings"], st.session_state.get("_note")


def models_ui() -> None:
    """The losses to train, and for each loss with a margin, which margins (one model each)."""
    lim = LIMITS["losses"]
    st.pills(lim.label, list(margins.LOSSES), key="form_losses", selection_mode="multi", help=lim.help,
             format_func=lambda loss: margins.LOSSES[loss].label)
    chosen = st.session_state.get("form_losses") or []
    for loss in chosen:
        kind = margins.LOSSES[loss]
        if kind.margin is None:
            continue
        key = f"form_margins_{loss}"
        options = sorted(set(kind.margin_choices) | set(st.session_state.get(key) or []))
        st.pills(f"{kind.label} margins m", options, key=key, selection_mode="multi",
                 help=f"One {kind.label} model per margin; its boundary: {kind.boundary}. None chosen: "
                      f"m = {kind.margin_default:g}.")
    lim = LIMITS["scale"]  # always drawn (a widget that is not keeps no value): disabled where no loss uses s
    st.number_input(lim.label, lim.lo, lim.hi, step=1.0, format="%g", key="form_scale", help=lim.help,
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
    with st.expander(f"This link or form had {len(lines)} values that are not valid; the nearest valid values are "
                     "used. Details", icon=":material/warning:"):
        for line in lines:
            st.warning(line)


def model_ui(result: GridResult) -> int:
    """Which trained model to show (index g); the choice is shared by the Features, Angles and Training tabs."""
    names = [spec.name for spec in result.specs]
    if st.session_state.get("model") not in names:
        st.session_state["model"] = names[-1]
    choice = st.segmented_control("Model", names, key="model", bind="query-params", required=True,
                                  help=margins.explain(result.specs))
    return names.index(choice)


def blew_up_text(result: GridResult, g: int) -> str:
    return (f"**{result.specs[g].name}**: training blew up: the features grew to ‖x‖ ≈ {result.feature_scale(g):.1e} "
            f"(a healthy run stays near 10–50), so the loss only looks fine; lower the learning rate.")


def diverged_ui(result: GridResult, g: int) -> bool:
    if result.blew_up(g):  # still drawn (angles are defined), but flagged as loudly as a divergence
        st.error(blew_up_text(result, g))
    if result.diverged(g):
        st.error(f"**{result.specs[g].name}**: training diverged at step {int(result.nan_step[g])}; {FIX}. "
                 "Nothing to plot for this model.")
    return result.diverged(g)


def bins_ui() -> int:
    return st.slider("Histogram bins", 9, 90, BINS, step=9, key="bins", bind="query-params",
                     help="Bins over 0°..180° (36 bins = 5° each)")


# ------------------------------------------------------------------------------------------------ tabs

PSI_VIEW, FAMILY_VIEW = "ψ(θ) of A-softmax", "The margin family"


@st.fragment
def target_tab() -> None:
    """A-softmax's ψ(θ), or the whole family's target logits side by side: no training needed. Presenting, the view
    switch and the sliders share one row above a full-width figure, so the figure stays on the first screen."""
    present = _mode() == "present"
    row = st.columns([1.5, 1, 1, 1, 1], vertical_alignment="bottom") if present else [st.container()]
    view = row[0].segmented_control("Show", (PSI_VIEW, FAMILY_VIEW), default=PSI_VIEW, key="target_view",
                                    bind="query-params", required=True)
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
        value = col.slider(f"{loss.label} m", type(step)(lo), type(step)(hi), type(step)(loss.margin_default),
                           step=step, key=f"family_{loss.id}", bind="query-params",
                           help=f"{loss.paper}. Boundary for class 1: {loss.boundary}"
                                + (" (radians)" if loss.margin == "angle_margin" else ""))
        chosen.append((loss.id, value))
    lam = slots[3].select_slider("λ (A-softmax)", (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0), 0.0,
                                 key="family_lam", bind="query-params",
                                 help="SphereFace's annealing blends its target with cos θ")
    key = "_".join(f"{loss}{value:g}" for loss, value in chosen)
    figure_ui(f"target_logits_{key}_lambda{lam:g}", "family_figure", None, tuple(chosen), lam, slot="full")
    explain_ui("Every loss here scores the other classes by cos θⱼ (times ‖x‖ or s) and changes only its own class's "
               "logit. Left: that target logit; the further below cos θ (dotted), the more the loss asks. Right: a "
               "sample of class 1 between two classes is classified as class 1 only above its curve: the margin is "
               "the band between the curve and the diagonal. SphereFace's is multiplicative (m·θ₁ = θ₂: nothing "
               "near θ = 0, wide far away), ArcFace's a constant angle, CosFace's a constant in cosine (widest "
               "in angle near θ = 0)." + ("" if present else " Set each margin with its slider; the same "
                                          "losses train side by side in the Compare tab (preset \"SphereFace vs "
                                          "CosFace vs ArcFace\")."))


def psi_view(slots) -> None:
    """ψ(θ) with its m and λ sliders, and the formulas beside it (or folded under it when presenting)."""
    present = slots is not None
    # Presenting: the sliders in the row above a full-width figure, the formulas folded under it.
    left, right = (None, st.container()) if present else st.columns([1.2, 3])
    with slots[0] if present else left:
        m = st.slider("m", 1, 8, 4, key="psi_m", bind="query-params", help="Angular margin (the paper uses m = 4)")
    with slots[1] if present else left:
        lam = st.select_slider("λ (annealing)", (0.0, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0), 0.0, key="psi_lam",
                               bind="query-params", help="Training starts with λ large (≈ M-softmax) and anneals it")
    with right:
        figure_ui(f"psi_m{m}_lambda{lam:g}", "psi_figure", None, m, lam, slot="full" if present else "psi")
    with st.expander("The formulas") if present else left:
        st.markdown("The margin function, on each interval k = 0 … m−1:")
        st.latex(r"\psi(\theta) = (-1)^k \cos(m\theta) - 2k")
        st.latex(r"\theta \in \left[\tfrac{k\pi}{m},\, \tfrac{(k+1)\pi}{m}\right]")
        st.markdown("cos(mθ) as a polynomial in cos θ (Chebyshev), which is how it is computed:")
        st.latex(plots.chebyshev_latex(m, terms_per_line=2))  # fits the narrow column up to m = 8
        if m == 4:
            st.markdown("The notes' sign trick for m = 4: ψ = s3·cos 4θ + s4 with s3 = (−1)ᵏ and s4 = −2k, "
                        "written in each interval of the figure.")
    with right:
        explain_ui("The target logit of A-softmax is ‖x‖ψ(θ_y) instead of ‖x‖cos θ_y. ψ equals cos(mθ) on "
                   "[0, π/m] and continues it monotonically, so a sample must reach an angle m times smaller than "
                   "softmax would need to earn the same logit. Slide m and λ: λ large is M-softmax, λ → 0 the full "
                   "margin.")


def undrawable_ui(result: GridResult, what: str) -> bool:
    """Say so when the features have more dimensions than a picture (True: nothing more to draw here)."""
    if plots.drawable(result):
        return False
    st.info(f"{what} needs 2-D or 3-D features; this run has {plots.feature_dim(result)}-D features. The Angles, "
            "Compare, Training and Open-set tabs measure them at any dimension.", icon=":material/view_in_ar:")
    return True


def features_tab(settings: Settings, result: GridResult) -> None:
    g = model_ui(result)
    if diverged_ui(result, g) or undrawable_ui(result, "Drawing the features"):
        return
    slug = f"features_{settings.dim}d_{plots.model_slug(result, g)}"
    if settings.dim == 2:
        features_2d(settings, result, g, slug)
    else:
        chart = st.container()  # the sphere first, its switch under it: presenting, it stays on the first screen
        regions = st.columns([1, 3])[0].toggle(
            "Regions on the sphere", True, key="regions", bind="query-params",
            help="Colour the sphere by the model's decision regions and its margin zone (the paper's Fig. 3). The "
                 "coloured sphere is opaque: rotate to see the far side, or switch this off to see through it.")
        try:
            with plots.on_screen(screens.screen(_mode())):
                figure = plots.sphere_plotly(result, g, regions=regions)
            chart.plotly_chart(figure, key="sphere", config={"displaylogo": False})
        except Exception as e:
            problem_ui(chart, "Could not draw the sphere.", e)
        explain_ui("Training features projected on the unit sphere (the paper's Fig. 5, top row); drag to rotate. "
                   "Lines: the class weight directions W_j. Crosses: held-out classes, never trained on."
                   + (" Colours: each class's region (nearest W_j by angle), darker where a sample of that class "
                      "would still be penalised by the margin: the loss's own margin zone, as in 2-D."
                      if regions else ""))
        with st.expander("Static picture for slides"):
            figure_ui(f"{slug}{'_regions' if regions else ''}", "sphere_figure", settings, g, regions=regions,
                      _result=result)
    prior_ui(settings, result)
    st.download_button("Download features (CSV)", lambda: plots.features_csv(result), file_name="features.csv",
                       mime="text/csv", on_click="ignore", icon=":material/table:",
                       help="Every sample's feature for every model: split, label, coordinates, θ_y")


def prior_ui(settings: Settings, result: GridResult) -> None:
    """With imbalanced classes: what each model gives each class against its size (the class prior)."""
    text = _table("prior_text", settings, _result=result)
    if not text:
        return
    with st.expander("Class sizes: does a model learn them as a prior?", expanded=_mode() == "normal",
                     icon=":material/balance:"):
        st.markdown(text)
        st.dataframe(_table("prior_rows", settings, _result=result), hide_index=True)


@st.fragment
def features_2d(settings: Settings, result: GridResult, g: int, slug: str) -> None:
    left, right, _ = st.columns([1, 1, 3])
    show_test = left.toggle("Test points", True, key="test", bind="query-params",
                            help="Closed-set test samples (not trained on, from the training classes): triangles")
    show_open = right.toggle("Held-out classes", True, key="open", bind="query-params",
                             help="Classes never trained on, in grey")
    figure_ui(slug, "features_figure", settings, g, show_test=show_test, show_open=show_open, _result=result)
    explain_ui("Left: raw features with the decision regions (softmax has a bias, so its borders need not pass "
               "through the origin) and, for a loss with a margin, the hatched margin zone where a sample is still "
               "penalised (each loss's own rule, named in the legend). "
               "Right: the same features normalised onto the unit circle.")


def angles_tab(settings: Settings, result: GridResult) -> None:
    g = model_ui(result)
    if not diverged_ui(result, g):
        angle_views(settings, result, g)


@st.fragment
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
        if not undrawable_ui(result, "Drawing the deciding pairs on the circle or sphere"):
            figure_ui(f"criterion_pairs_{plots.model_slug(result, g)}", "criterion_pairs_figure", settings, g,
                      slot="half", _result=result)
    st.info(_table("criterion_text", settings, _result=result)[g], icon=":material/straighten:")
    figure_ui(f"target_angles_{plots.model_slug(result, g)}", "target_angle_figure", settings, g, slot="half",
              _result=result)


@st.fragment
def compare_tab(settings: Settings, result: GridResult) -> None:
    if plots.drawable(result):
        figure_ui("compare_features", "compare_figure", settings, rows="features", _result=result)
        explain_ui("Every loss on the same data and seed: features (top) and same-class vs different-class pair "
                   "angles (bottom) — the paper's Fig. 2 (2-D) or Fig. 5 (3-D) on one screen.")
    bins = bins_ui()
    figure_ui(f"compare_angles_{bins}", "compare_figure", settings, bins=bins, rows="angles", slot="below",
              _result=result)
    stats_ui(settings, result)


def stats_ui(settings: Settings, result: GridResult) -> None:
    st.dataframe(_table("stats_rows", settings, _result=result), hide_index=True)
    explain_ui("Angles in degrees on the closed-set test features. Criterion ✓: max intra-class angle < min "
               "inter-class angle (every class fits in a cone narrower than the gap to the others).")
    st.download_button("Download table (Markdown)", _table("stats_markdown", settings, _result=result),
                       file_name="stats.md", mime="text/markdown", on_click="ignore", icon=":material/download:")


def training_tab(settings: Settings, result: GridResult) -> None:
    figure_ui("training_curves", "training_figure", settings, _result=result)
    st.subheader("Watch the features move")
    g = model_ui(result)
    if not diverged_ui(result, g) and not undrawable_ui(result, "Watching the features move"):
        snapshots_ui(settings, result, g)


@st.fragment
def snapshots_ui(settings: Settings, result: GridResult, g: int) -> None:
    steps = [int(s) for s in result.snapshot_steps]
    play = st.toggle("▶ Play", key="play", help="The animation: play it, pause it, or drag its slider; it runs in "
                                                "the browser, and downloads as a GIF")
    if play:
        try:
            st.plotly_chart(_animation(settings, g, screens.screen(_mode()), _result=result), key="animation",
                            config={"displaylogo": False})
        except Exception as e:
            problem_ui(st, "Could not draw the animation.", e)
        st.download_button("Download GIF", lambda: _gif(settings, g, _result=result),
                           file_name=f"training_{plots.model_slug(result, g)}.gif", mime="image/gif",
                           on_click="ignore", icon=":material/download:",
                           help="Made when you click (a few seconds: one picture per snapshot)")
        return
    step = st.select_slider("Step", steps, steps[-1], key="snap", bind="query-params",
                            help="Features of the same training samples after this many steps")
    figure_ui(f"snapshot_{plots.model_slug(result, g)}_step{step}", "snapshot_figure", settings, g,
              steps.index(step), _result=result)


def open_set_tab(settings: Settings, result: GridResult) -> None:
    """The open-set lab: every loss's AUC over the run's seeds against the raw inputs, in words from the numbers;
    the held-out pairs' angles; the ROC and the threshold's accuracy (first seed)."""
    if result.data.n_open_classes < 2:
        st.info("Open-set verification needs at least 2 held-out classes: raise *Held-out classes* in the sidebar.")
        return
    figure_ui("open_set_seeds", "seed_auc_figure", settings, _result=result)
    text = _table("lab_text", settings, _result=result)
    if text:
        st.info(text, icon=":material/insights:")
    explain_ui("Test identities that were **never trained on** (the held-out classes): is a pair the same class? "
               "Score it by the cosine of the angle between the two features. Each dot is one seed (one set of "
               "initial weights, the same data); the bar is their mean. *Seeds per model* in the sidebar trains "
               "more of them at once. The dashed line is the same test on the raw inputs, with no net at all.")
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
    explain_ui("ROC and table: the first seed. Threshold: the cosine (and angle) that best separates same-class "
               "from different-class pairs of *training* classes; the open-set accuracy applies it, unchanged, to "
               "pairs of held-out classes. Accuracies are balanced (the mean of the same-class and different-class "
               "rates), since different-class pairs far outnumber same-class ones.")


def about_tab() -> None:
    st.markdown(ABOUT)


RESULT_TABS = {"Features": features_tab, "Angles": angles_tab, "Compare": compare_tab, "Training": training_tab,
               "Open-set": open_set_tab}


# ------------------------------------------------------------------------------------------------ page

def _on_present() -> None:
    if st.session_state["present"]:
        st.query_params["present"] = "1"
    else:
        st.query_params.pop("present", None)


def header_ui(note: str | None) -> None:
    """One line of title and the presentation switch: the figures start within the first screen at 1280×720."""
    present = _mode() == "present"
    # Streamlit leaves 6rem above the first element; 3.5rem clears its toolbar and gives the figures the room.
    st.html("<style>[data-testid='stMainBlockContainer'] {padding-top: 3.5rem; padding-bottom: 2rem}</style>")
    title, switch = st.columns([4, 1.3], vertical_alignment="center")
    with title:
        st.markdown("#### SphereFace in the classroom" + ("" if present else
                    " <small>· angular margins, Liu et al., CVPR 2017</small>"), unsafe_allow_html=True)
    st.session_state["present"] = present
    switch.toggle("Presentation mode", key="present", on_change=_on_present,
                  help="Sidebar folded away, text folded under each figure, figures drawn larger for a projector. "
                       "The link keeps it (present=1).")
    if note:
        if present:
            with st.expander("About this preset", icon=":material/lightbulb:"):
                st.markdown(note)
        else:
            st.info(note, icon=":material/lightbulb:")


def explain_ui(text: str) -> None:
    """What a figure shows, under it: a caption, or folded away when presenting (the teacher says it)."""
    if _mode() == "present":
        with st.expander("What am I looking at?"):
            st.markdown(text)
    else:
        st.caption(text)


def main() -> None:
    st.set_page_config(page_title="SphereFace in the classroom", page_icon="🌐", layout="wide",
                       initial_sidebar_state="collapsed" if _mode() == "present" else "auto")
    settings, warnings, note = experiment_ui()
    header_ui(note)
    warnings_ui(warnings)
    status = st.container()
    if st.query_params.get("tab") == "ψ(θ)":  # links made before the tab grew into the margin family
        st.query_params["tab"] = TABS[0]
    tabs = dict(zip(TABS, st.tabs(TABS, key="tab", bind="query-params")))
    shown = next((name for name, tab in tabs.items() if tab.open), TABS[0])
    with tabs[shown]:
        if shown == "Target logits":
            target_tab()
        elif shown == "About":
            about_tab()
    if refused_ui(settings, status) or cancelled_ui(settings, status):
        return
    if shown not in RESULT_TABS:
        job = _jobs().get(settings)
        if job.finished.is_set():
            outcome_ui(job, status)
        else:
            with status:
                background_run_ui(settings)
        return
    result = run_ui(settings, status)
    if result is None:
        return
    if all(result.diverged(g) for g in range(len(result.specs))):
        tabs[shown].info("Every model diverged, so there is nothing to plot: change the settings and press Train.")
        return
    with tabs[shown]:
        try:  # the seeds' tab compares seeds; the others show the first seed's models
            RESULT_TABS[shown](settings, result if shown == "Open-set" else evaluate.first_seed(result))
        except Exception as e:  # a bug must not show a traceback in front of a class
            problem_ui(st, "Something went wrong drawing this tab. Try another model or preset.", e)


main()
