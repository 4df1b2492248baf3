"""The room on the page: the teacher's Room view (`room=1`), a student's own run among the room's seeds (Compare and
Open-set tabs), and a lesson step's question put to the room (`room=1` on a lesson link).

The room is the server's (`serving.room.Room`, held by the shared queue): every run any page trained, as numbers.
The teacher's page looks at it every ROOM_EVERY seconds and redraws only when it changed, within the server's
budget for live pictures (`ui.live`); a student's page draws it when the tab is drawn.
"""

from __future__ import annotations

import urllib.parse

import streamlit as st

from sphere_toy import i18n, lessons, plots, views
from sphere_toy.analysis import room as numbers
from sphere_toy.analysis.room import Group
from sphere_toy.experiment import Settings
from sphere_toy.i18n import _, ngettext
from sphere_toy.plots import screens
from sphere_toy.plots.room import name as model_name, run_difference
from sphere_toy.serving import serve
from sphere_toy.serving.room import Room
from sphere_toy.ui.experiment import show_settings
from sphere_toy.ui.figures import show_png
from sphere_toy.ui.live import draw_budget
from sphere_toy.ui.messages import explain_ui, problem_ui
from sphere_toy.ui.runs import shared_jobs
from sphere_toy.ui.state import fragment, mode

ROOM_EVERY = 1.0  # seconds between two looks at the room on the teacher's page (a look costs two locks)


def the_room() -> Room:
    """The room of this server: the shared queue's."""
    return shared_jobs().room


@st.cache_data(max_entries=48, show_spinner=False)
def _room_png(
    builder: str, key: Settings, version: int, screen: plots.Screen, lang: str, args: tuple, kwargs: tuple, _group=None
) -> bytes:
    """A figure of the room's group `key` as the room was at `version`: drawn once per version, screen and language."""
    return serve.draw(builder, screen, lang, args, kwargs, _group)


def _png(figure: views.Figure, group: Group, *args, budget: bool = False, **kwargs) -> bytes | None:
    """`figure` of `group` for its place on this page; with `budget`, only if the server's budget for live pictures
    allows a drawing now (None if not: the page keeps its last picture)."""
    screen = screens.screen(mode(), figure.slot_for(mode()))
    key = (figure.name, group.key, group.version, screen, i18n.current(), args, tuple(sorted(kwargs.items())))

    def draw() -> bytes:
        return _room_png(*key, _group=group)

    return draw_budget().draw(draw) if budget else draw()


def _latest_ui(figure: views.Figure, group: Group, name: str, *args) -> bool:
    """`figure` of `group` as the room is now, named `name` on the page: the page's first picture at once, its
    updates within the server's budget for live pictures. False where the budget (or an error, said in place) left
    the page's last picture: the page tries again on its next look."""
    last = st.session_state.setdefault("_room_pngs", {})
    try:
        png = _png(figure, group, *args, budget=name in last)
    except Exception as e:  # a bug must not show a traceback in front of a class
        problem_ui(st, _("Could not draw this figure."), e)
        return True  # drawing again would fail again: the page waits for the room to change
    fresh = png is not None
    last[name] = png = png if fresh else last.get(name)
    _show(figure, png, name)
    return fresh


def _show(figure: views.Figure, png: bytes | None, name: str) -> None:
    if png is not None:
        show_png(png, name, screens.screen(mode(), figure.slot_for(mode())))


def students_link(settings: Settings) -> str:
    """The link for a room's students: this page's address with the experiment (but its seed) and `own_seed=1`, so
    that each student's page trains it on a seed of its own."""
    query = {k: v for k, v in settings.to_query().items() if k != "seed"}
    query["own_seed"] = "1"
    if i18n.current() != i18n.DEFAULT:
        query["lang"] = i18n.current()
    base = (st.context.url or "").split("?")[0]
    return base + "?" + urllib.parse.urlencode(query)


def _pick_group(groups: list[Group], settings: Settings) -> Group:
    """The group the page shows: the one its experiment belongs to if the room has it, else the largest."""
    key = numbers.experiment_key(settings)
    return next((g for g in groups if g.key == key), groups[0])


def _on_group(options: list[Settings]) -> None:
    chosen = st.session_state.get("room_group")
    if chosen in options:
        show_settings(chosen, [])  # the page's experiment is the room's question: its link names it


def room_page_ui(settings: Settings) -> None:
    """The teacher's Room view: the room's experiments, one of them as dots per seed and two of its models paired,
    in sentences from the numbers; the students' link and the way to clear the room. The page looks at the room
    every ROOM_EVERY s (`_watch`) and is drawn again when it changed."""
    version = the_room().version  # read first: a run that comes in meanwhile is a change the page will see
    groups = the_room().groups()
    if not groups:
        st.info(
            _(
                "No run has finished on this server yet (or since the room was cleared). Give the students the link "
                "below: every run their pages train appears here, grouped by experiment."
            ),
            icon=":material/groups:",
        )
        _link_ui(settings)
        _watch(version)
        return
    group = _pick_group(groups, settings)
    options = [g.key for g in groups]
    if st.session_state.get("room_group") != group.key:
        st.session_state["room_group"] = group.key
    left, a_col, b_col = st.columns([4, 1.3, 1.3], vertical_alignment="bottom")
    left.selectbox(
        _("Experiment"),
        options,
        key="room_group",
        format_func=lambda key: key.describe(seed=False),
        on_change=_on_group,
        args=(options,),
    )
    a, b = _pair_ui(group, a_col, b_col)
    drawn = _room_figures_ui(group, a, b)
    _link_ui(group.key)
    with st.popover(_("Clear the room"), icon=":material/delete:"):
        st.caption(_("Forget every run of this room, for a new question: the runs stay on the students' pages."))
        if st.button(_("Clear the room"), key="room_clear", type="primary"):
            the_room().clear()
            st.rerun()
    _watch(drawn)


def _pair_ui(group: Group, a_col, b_col) -> tuple[str, str]:
    """The two models to pair (the URL keeps them: room_a, room_b), by default a margin model and its baseline."""
    tokens = list(group.tokens)
    first, second = numbers.default_pair(tokens) or (tokens[0], tokens[0])
    chosen = []
    for where, key, default in ((a_col, "room_a", first), (b_col, "room_b", second)):
        value = st.query_params.get(key)
        value = value if value in tokens else default
        if st.session_state.get(key) != value:
            st.session_state[key] = value
        where.selectbox(
            _("Model") if key == "room_a" else _("against"),
            tokens,
            key=key,
            format_func=model_name,
            on_change=_write_pair,
            args=(key,),
        )
        chosen.append(st.session_state[key])
    return chosen[0], chosen[1]


def _write_pair(key: str) -> None:
    st.query_params[key] = st.session_state[key]


def _room_figures_ui(group: Group, a: str, b: str) -> int | None:
    """The group's paired figure, its sentences and its dots per seed; the room's version they show, or None where the
    server's budget for live pictures kept a figure from being drawn again (the last one stays; the page tries again
    on its next look)."""
    drawn: int | None = group.version
    for figure, args in ((views.ROOM_PAIRS, (a, b)), (views.ROOM_DOTS, ())):
        if not _latest_ui(figure, group, f"room_{figure.name}", *args):
            drawn = None
        if figure is views.ROOM_PAIRS:
            st.info(plots.room_text(group, a, b), icon=":material/groups:")
    explain_ui(
        _(
            "Every run this server trained of this experiment, whoever trained it: one dot per seed. Two models of "
            "one seed saw the same data, starting weights and minibatches, so their difference is the losses'; the "
            "bar is the mean difference with its 95% interval (Student's t over the seeds). The open-set AUC is "
            "measured while the server is idle, a few seconds after the runs end."
        )
    )
    return drawn


@fragment(run_every=ROOM_EVERY)
def _watch(drawn: int | None) -> None:
    """A look at the room every ROOM_EVERY s: the whole page again once it changed since the page drew it (`drawn`,
    the room's version then; None: a figure is still to draw again), but not while runs are queued or training, nor
    for AUCs while others are still being measured. A page and its figures drawn again are a second of a core that
    the students' runs, or the measuring, would wait for: with the Room view redrawn at every change, the last of 30
    students had their run 26 s after asking instead of 14-17 s, and the AUCs were all in 39 s after the last run
    instead of ~15 s (benchmarks/bench_class.py). Meanwhile it says what it waits for. A look that finds nothing new
    costs two locks."""
    room = the_room()
    if room.version == drawn:
        return
    training, measuring = shared_jobs().busy(), room.pending()
    runs = sum(len(g.runs) for g in room.groups())
    if not training and (not measuring or runs != st.session_state.get("_room_runs")):
        st.session_state["_room_runs"] = runs
        st.rerun(scope="app")
    if training:
        text = ngettext(
            "{runs} runs in the room; {n} more is training or queued: the figures follow once the queue is empty, "
            "so as not to slow it.",
            "{runs} runs in the room; {n} more are training or queued: the figures follow once the queue is empty, "
            "so as not to slow it.",
            training,
        )
    else:
        text = ngettext(
            "{runs} runs in the room; the open-set AUCs of {n} more are being measured: the figures follow.",
            "{runs} runs in the room; the open-set AUCs of {n} more are being measured: the figures follow.",
            measuring,
        )
    st.caption(text.format(runs=runs, n=training or measuring))


def _link_ui(settings: Settings) -> None:
    with st.expander(_("The students' link"), icon=":material/link:"):
        st.markdown(
            _(
                "Each page opened from this link trains this experiment on a seed of its own, and its run joins the "
                "room when it ends. Nothing about the student is kept: a run is its settings and its numbers."
            )
        )
        st.code(students_link(settings), language=None, wrap_lines=True)


def room_mark_ui(settings: Settings, measures: tuple[str, ...]) -> None:
    """A student's run among the room's seeds of the same experiment (from two runs on): where its difference of the
    pair the room compares first falls among the room's, in a sentence, and the room's dots with the student's as
    stars on demand (a figure of one's own is a drawing per student: thirty at once would slow the runs still
    training)."""
    if numbers.OPEN_SET_AUC.key in measures:  # the tab has just computed this run's AUCs: into the room now
        the_room().measure(settings)
    group = the_room().group(settings)
    mine = group.mine(settings) if group is not None else None
    if mine is None or len(group.runs) < 2:
        return
    st.markdown("##### " + _("Your run in the room"))
    pair = numbers.default_pair(group.tokens)
    text = plots.mine_text(group, mine, measures[0], *pair) if pair is not None else ""
    st.info(
        text
        or ngettext(
            "The room has {n} run of this experiment, yours among them.",
            "The room has {n} runs of this experiment, yours among them.",
            len(group.runs),
        ).format(n=len(group.runs)),
        icon=":material/groups:",
    )
    if not st.toggle(_("Show the room's seeds, yours as stars"), key=f"room_yours_{'_'.join(measures)}"):
        return
    try:
        _show(views.ROOM_DOTS, _png(views.ROOM_DOTS, group, measures, mine), "room_yours")
    except Exception as e:
        problem_ui(st, _("Could not draw this figure."), e)


def lesson_room_ui(step, results: tuple) -> None:
    """A lesson step's question to the room (`Step.room`) on the teacher's page (room=1): whether the room's seeds of
    the step's experiment agree with the step's own run (`results`), and the paired figure one click away; drawn
    again when the room changes (`_watch`)."""
    question, runs = step.room, lessons.runs(step)
    if question is None or not runs or not results:
        return
    version = the_room().version  # read first, as on the Room view
    group = the_room().group(runs[0])
    if group is None:
        st.info(
            _("The room has no run of this step's experiment yet. The students' link: {link}").format(
                link=step_link(step.key)
            ),
            icon=":material/groups:",
        )
        _watch(version)
        return
    on_screen = numbers.seed_numbers(results[0], runs[0].seed, auc=question.measure == numbers.OPEN_SET_AUC.key)
    own = run_difference(on_screen, question.measure, question.a, question.b, runs[0].seed)
    text = plots.agreement_text(group, question.measure, question.a, question.b, own)
    lead, _rest = i18n.first_sentence(text)
    box, more = st.columns([6, 1], vertical_alignment="center")
    box.info(lead if mode() == "slide" else text, icon=":material/groups:")
    drawn: int | None = group.version
    with more.popover(_("Room"), width="stretch"):
        st.markdown(text)
        st.caption(_("The students' link: {link}").format(link=step_link(step.key)))
        args = (question.a, question.b, (question.measure,), runs[0].seed, "screen")
        if not _latest_ui(views.ROOM_PAIRS, group, "room_step", *args):
            drawn = None
    _watch(drawn)


def step_link(key: str) -> str:
    """The students' link to a lesson step: its number and `own_seed=1`, in the page's language."""
    query = {"lesson": str(lessons.STEPS.index(lessons.step_by_key(key)) + 1), "own_seed": "1"}
    if i18n.current() != i18n.DEFAULT:
        query["lang"] = i18n.current()
    return (st.context.url or "").split("?")[0] + "?" + urllib.parse.urlencode(query)
