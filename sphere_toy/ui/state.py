"""The page's state outside the experiment: its language in every thread, choices held by the URL, the page's mode
(normal or presentation) and the lesson step it opens."""

from __future__ import annotations

import functools
import secrets

import streamlit as st

from sphere_toy import i18n, lessons
from sphere_toy.plots import screens

URL_CHOICES = ("model", "target_view")  # the controls drawn by `url_choice`


def page_language() -> None:
    """Speak the page's language in this thread: what `language_ui` chose on the page's last full run.

    Needed where Streamlit runs code without running the page from the top: a widget's callback (it runs before the
    page) and a fragment's own rerun (only the fragment runs). Each starts in a new thread, whose language is
    i18n.DEFAULT (a context variable is not inherited)."""
    i18n.set_language(st.session_state.get("_lang", i18n.current()))


def write_url(key: str) -> None:
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
    `default`) is put into the control before it is drawn, and a click writes the option back (`write_url`)."""
    options = list(options)
    by_text = {str(option): option for option in options}
    text = st.query_params.get(key)
    if text is not None and text not in by_text:  # as a bound control does: an invalid value leaves the URL
        st.query_params.pop(key, None)
    value = by_text.get(text, default)
    if st.session_state.get(key) != value:
        st.session_state[key] = value
    return widget(label, options, key=key, on_change=write_url, args=(key,), **kwargs)


def fragment(fn=None, **options):
    """`st.fragment` in the page's language: as `@st.fragment` or `@st.fragment(run_every=...)`."""

    def decorate(fn):
        @functools.wraps(fn)  # the same name and qualified name: st.fragment tells fragments apart by them
        def in_language(*args, **kwargs):
            page_language()
            return fn(*args, **kwargs)

        return st.fragment(in_language, **options)

    return decorate if fn is None else decorate(fn)


def mode() -> str:
    """How the page is laid out, one of `screens.MODES`: "phone" on a phone's browser (whatever the link says: a
    student opening the teacher's presented link on a phone must still read it), "present" in presentation mode
    (`present=1` in the URL), "slide" when that presents a lesson step (its title and notice in one row above the
    view, as on a slide), else "normal"."""
    if screens.is_phone(st.context.headers.get("User-Agent")):
        return "phone"
    if not _flag("present"):
        return "normal"
    return "slide" if lesson_number() is not None else "present"


def presenting() -> bool:
    """The page is projected (`present=1`, not on a phone): larger figures, the sidebar and explanations folded."""
    return mode() in ("present", "slide")


def lesson_number() -> int | None:
    """The lesson step the URL opens (`lesson=N`), or None for the sandbox."""
    return lessons.index(st.query_params["lesson"]) if "lesson" in st.query_params else None


def locked() -> bool:
    """`lock=1` with a lesson: the teacher's projected page, the lesson's view without the experiment form."""
    return lesson_number() is not None and _flag("lock")


def _flag(key: str) -> bool:
    return st.query_params.get(key, "0").lower() in ("1", "true", "yes", "on")


def room_page() -> bool:
    """`room=1`: the teacher's page of the room (the runs this server finished, as one experiment); with a lesson, the
    step's page with the room's answer to its question."""
    return _flag("room")


OWN_SEED_MAX = 9999


def own_seed() -> int | None:
    """With `own_seed=1` (the students' link of a room), this page's own seed: drawn once per page (session) from
    1..OWN_SEED_MAX, so that a class's pages train one experiment on as many seeds; None without it."""
    if not _flag("own_seed"):
        return None
    return st.session_state.setdefault("_own_seed", 1 + secrets.randbelow(OWN_SEED_MAX))
