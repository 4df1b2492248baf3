"""What the page says around its figures: errors in plain words, warnings about the link, captions that fold away
when presenting, and the per-model controls and notes shared by several tabs."""

from __future__ import annotations

import streamlit as st

from sphere_toy import plots
from sphere_toy.core import margins
from sphere_toy.i18n import _, ngettext
from sphere_toy.i18n import sentences
from sphere_toy.safe_text import clip, markdown_literal
from sphere_toy.train import GridResult
from sphere_toy.ui.state import mode, presenting, url_choice
from sphere_toy.views import BINS


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


def explain_ui(text: str) -> None:
    """What a figure shows, under it: a caption, or folded away when presenting (the teacher says it)."""
    if presenting():
        with st.expander(_("What am I looking at?")):
            st.markdown(text)
    else:
        st.caption(text)


def warnings_ui(warnings: list[str]) -> None:
    """What the URL or the form got wrong, one line per key, shown as text (it may quote anything a link said). More
    than two go into one box with the details folded, so a bad link cannot fill the projected page."""
    lines = [markdown_literal(text) for text in warnings]
    if len(lines) <= 2:
        for line in lines:
            st.warning(line, icon=":material/warning:")
        return
    with st.expander(
        ngettext(
            "This link or form had {n} value that is not valid; the nearest valid value is used. Details",
            "This link or form had {n} values that are not valid; the nearest valid values are used. Details",
            len(lines),
        ).format(n=len(lines)),
        icon=":material/warning:",
    ):
        for line in lines:
            st.warning(line)


def model_ui(result: GridResult) -> int:
    """Which trained model to show (index g); the choice is shared by the Features, Angles and Training tabs. Its
    value (the URL's model=) is the model's English name; the control shows its name in the page's language.
    Presenting or on a phone, its label is left out (the buttons name the models) to leave the figure the height."""
    names = [spec.name for spec in result.specs]
    shown = {spec.name: spec.display_name for spec in result.specs}
    choice = url_choice(
        st.segmented_control,
        _("Model"),
        names,
        key="model",
        default=names[-1],
        required=True,
        help=margins.explain(result.specs),
        format_func=lambda name: shown.get(name, name),
        label_visibility="collapsed" if presenting() or mode() == "phone" else "visible",
    )
    return names.index(choice)


def blew_up_text(result: GridResult, g: int) -> str:
    return _(
        "**{model}**: training blew up: the features grew to ‖x‖ ≈ {norm} (a healthy run stays near 10–50), so "
        "the loss only looks fine; lower the learning rate."
    ).format(model=result.specs[g].display_name, norm=f"{result.feature_scale(g):.1e}")


def diverged_ui(result: GridResult, g: int) -> bool:
    if result.blew_up(g):  # still drawn (angles are defined), but flagged as loudly as a divergence
        st.error(blew_up_text(result, g))
    if result.diverged(g):
        st.error(
            _(
                "**{model}**: training diverged at step {step}; lower the learning rate or raise λ_min. Nothing "
                "to plot for this model."
            ).format(model=result.specs[g].display_name, step=int(result.nan_step[g]))
        )
    return result.diverged(g)


def undrawable_ui(result: GridResult, message: str) -> bool:
    """Say so when the features have more dimensions than a picture (True: nothing more to draw here). `message`:
    what cannot be drawn, a translated sentence with the field {dim}."""
    if plots.drawable(result):
        return False
    st.info(
        sentences(
            [
                message.format(dim=plots.feature_dim(result)),
                _("The Angles, Compare, Training and Open-set tabs measure them at any dimension."),
            ]
        ),
        icon=":material/view_in_ar:",
    )
    return True


def bins_ui() -> int:
    return st.slider(
        _("Histogram bins"),
        9,
        90,
        BINS,
        step=9,
        key="bins",
        bind="query-params",
        help=_("Bins over 0°..180° (36 bins = 5° each)"),
    )
