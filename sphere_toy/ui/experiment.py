"""The experiment on the page: the URL, the form's widgets and the session hold the same `Settings`; the form's
current values, and the presets that set them."""

from __future__ import annotations

import streamlit as st

from sphere_toy.i18n import _
from sphere_toy.experiment import LIMITS, PRESETS, QUERY_KEYS, Settings, lineup_tokens
from sphere_toy.ui.state import own_seed, page_language


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


def show_settings(s: Settings, warnings: list[str], note: str | None = None) -> None:
    """Make `s` the experiment: into the form's widgets, the URL and the session."""
    for name in LIMITS:
        st.session_state[f"form_{name}"] = _form_value(s, name)
    for loss, chosen in s.lineup().items():  # each margin loss's margins have their own control
        st.session_state[f"form_margins_{loss}"] = chosen
    st.session_state["_settings"], st.session_state["_warnings"], st.session_state["_note"] = s, warnings, note
    _to_url(s)


def form_settings() -> tuple[Settings, list[str]]:
    """The experiment the form's controls describe now (applied or not), with what was wrong in them."""
    values = {name: st.session_state.get(f"form_{name}") for name in LIMITS}
    if values["losses"] is not None:  # none chosen is a mistake to report, not the default to use silently
        values["losses"] = lineup_tokens(
            {loss: st.session_state.get(f"form_margins_{loss}") or [] for loss in values["losses"]}
        )
    return Settings.from_query({k: v for k, v in values.items() if v is not None})


def _on_train() -> None:
    page_language()  # the form's warnings are written now, before the page sets its language
    show_settings(*form_settings())


def _on_preset(name: str) -> None:
    show_settings(with_own_seed(PRESETS[name].settings), [], name)  # the note is the preset's: `preset_note` words it


def with_own_seed(settings: Settings) -> Settings:
    """`settings` with this page's own seed where the link asks for one (`own_seed=1`), else unchanged: a preset or a
    lesson step opened on a student's page trains the room's experiment on the student's seed."""
    seed = own_seed()
    return settings if seed is None else settings.replace(seed=seed)


def preset_note(name: str) -> str:
    """What to look at in the preset `name` (its English name, a key of PRESETS), in the page's language."""
    return _("**{name}.** {description}").format(name=_(name), description=_(PRESETS[name].description))


def field_label(name: str) -> str:
    """The form's label of the field `name`, in the page's language."""
    return _(LIMITS[name].label)
