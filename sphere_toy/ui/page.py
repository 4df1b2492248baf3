"""The page: its language, header, tabs and the run they show, put together for every rerun (`main`)."""

from __future__ import annotations

import streamlit as st

from sphere_toy import i18n, views
from sphere_toy.analysis import evaluate
from sphere_toy.i18n import _
from sphere_toy.experiment import PRESETS
from sphere_toy.ui.experiment import preset_note
from sphere_toy.ui.lesson import lesson_figure_ui, lesson_ui, lesson_view_ui, step_heading_ui
from sphere_toy.ui.live import live_ui
from sphere_toy.ui.room import room_page_ui
from sphere_toy.ui.messages import problem_ui, warnings_ui
from sphere_toy.ui.runs import background_run_ui, cancelled_ui, outcome_ui, owner, refused_ui, run_ui, shared_jobs
from sphere_toy.ui.sidebar import experiment_ui
from sphere_toy.ui.state import lesson_number, mode, presenting, room_page, write_url
from sphere_toy.ui.tabs import ALL_SEEDS, RENDERERS


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
    st.sidebar.segmented_control(
        "Language · 語言",
        i18n.LANGUAGES,
        key="lang",
        required=True,
        format_func=i18n.NAMES.get,
        on_change=write_url,
        args=("lang",),
    )
    i18n.set_language(lang)
    st.session_state["_lang"] = i18n.current()  # for callbacks and fragments (`page_language`)
    return i18n.current()


def _on_present() -> None:
    if st.session_state["present"]:
        st.query_params["present"] = "1"
    else:
        st.query_params.pop("present", None)


def header_ui(preset: str | None) -> None:
    """One line of title and the presentation switch: the figures start within the first screen at 1280×720; under
    it, what to look at in the `preset` just chosen (its English name)."""
    present = presenting()
    # Streamlit leaves 6rem above the first element; 3.5rem clears its toolbar and gives the figures the room.
    st.html("<style>[data-testid='stMainBlockContainer'] {padding-top: 3.5rem; padding-bottom: 2rem}</style>")
    if mode() == "phone":  # the title alone: a phone does not project, and the figure needs the height
        st.markdown("#### " + _("SphereFace in the classroom"))
        switch = None
    elif mode() == "slide":  # a lesson step presented: its title, Back and Next take the app's title row
        title, back, forward, switch = st.columns([4, 0.8, 0.8, 1.3], vertical_alignment="center")
        step_heading_ui(lesson_number(), title, back, forward)
    else:
        title, switch = st.columns([4, 1.3], vertical_alignment="center")
        subtitle = (
            _("the room")
            if room_page() and lesson_number() is None
            else ""
            if present or lesson_number()
            else _("angular margins, Liu et al., CVPR 2017")
        )
        title.markdown(
            "#### " + _("SphereFace in the classroom") + (f" <small>· {subtitle}</small>" if subtitle else ""),
            unsafe_allow_html=True,
        )
    st.session_state["present"] = present
    if switch is not None:
        switch.toggle(
            _("Presentation mode"),
            key="present",
            on_change=_on_present,
            help=_(
                "Sidebar folded away, text folded under each figure, figures drawn larger for a projector. "
                "The link keeps it (present=1)."
            ),
        )
    if preset in PRESETS:
        note = preset_note(preset)
        if present:
            with st.expander(_("About this preset"), icon=":material/lightbulb:"):
                st.markdown(note)
        else:
            st.info(note, icon=":material/lightbulb:")


def _on_tab(labels: list[str]) -> None:
    """The user opened a tab: its English name into the URL (`labels` are the tabs as that page showed them)."""
    label = st.session_state.get("tab")
    if label in labels:
        st.query_params["tab"] = views.TABS[labels.index(label)]


def tabs_ui() -> dict:
    """The tabs, labelled in the page's language, with the URL's tab= (an English name of views.TABS) deciding which is
    open: {name: container}.

    Not `st.tabs(..., bind="query-params")`: a bound tab writes its label into the URL, so a Chinese page would
    write tab=特徵 and drop a link's tab=Features as invalid. Here the URL keeps the English name in every language:
    it picks the label to open before the tabs are drawn, and a click writes the name back (`_on_tab`)."""
    name = st.query_params.get("tab")
    if name == "ψ(θ)":  # links made before the tab grew into the margin family
        name = st.query_params["tab"] = views.TABS[0]
    elif name is not None and name not in views.TABS:  # as a bound widget does: an invalid value leaves the URL
        st.query_params.pop("tab", None)
        name = None
    labels = [_(tab) for tab in views.TABS]
    label = labels[views.TABS.index(name or views.TABS[0])]
    if st.session_state.get("tab") != label:
        st.session_state["tab"] = label
    containers = st.tabs(labels, key="tab", on_change=_on_tab, args=(labels,))
    return dict(zip(views.TABS, containers))


def main() -> None:
    language_ui()  # first: the page's title is in its language
    st.set_page_config(
        page_title=_("SphereFace in the classroom"),
        page_icon="🌐",
        layout="wide",
        initial_sidebar_state="collapsed" if presenting() else "auto",
    )
    settings, warnings, preset = experiment_ui()
    lesson_view_ui()
    header_ui(preset)
    warnings_ui(warnings)
    n = lesson_number()
    if n is not None:
        lesson_ui(n, settings)
        lesson_figure_ui(n)
    elif room_page():  # the teacher's Room view: the room's runs, not a run of its own
        room_page_ui(settings)
        return
    status = st.container()
    tabs = tabs_ui()
    shown = next((name for name, tab in tabs.items() if tab.open), views.TABS[0])
    view, render = views.view(shown), RENDERERS[shown]
    stopped = refused_ui(settings, status) or cancelled_ui(settings, status)  # said before the tab's content
    if not view.needs_run:
        with tabs[shown]:
            render()
    if stopped:
        return
    if not view.needs_run:
        job = shared_jobs().get(settings, owner())
        if job.finished.is_set():
            outcome_ui(job, status)
        else:
            with status:
                background_run_ui(settings)
        return
    live = live_ui(settings, view, tabs[shown])
    # The tab's content is one block. While a new run trains it is emptied: the previous run's pictures are gone at
    # once instead of fading on the page (a faded 3-D chart kept a browser without a GPU repainting, about a third of
    # a core taken from the training beside it on the teacher's laptop).
    waiting = not shared_jobs().get(settings, owner()).finished.is_set()
    body = tabs[shown].empty() if waiting else tabs[shown]
    result = run_ui(settings, status, live)
    if result is None:
        return
    if all(result.diverged(g) for g in range(len(result.specs))):
        body.info(_("Every model diverged, so there is nothing to plot: change the settings and press Train."))
        return
    with body.container():
        try:  # the seeds' tab compares seeds; the others show the first seed's models
            render(settings, result if shown in ALL_SEEDS else evaluate.first_seed(result))
        except Exception as e:  # a bug must not show a traceback in front of a class
            problem_ui(st, _("Something went wrong drawing this tab. Try another model or preset."), e)
