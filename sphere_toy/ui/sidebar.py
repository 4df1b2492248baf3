"""The sidebar: the lesson's way in, the presets and the experiment form, each field a control from its `Limit`."""

from __future__ import annotations

import streamlit as st

from sphere_toy import lessons
from sphere_toy.serving import cost
from sphere_toy.core import margins
from sphere_toy.i18n import _, ngettext
from sphere_toy.experiment import LIMITS, PRESETS, QUERY_KEYS, Settings
from sphere_toy.ui.experiment import (
    _on_preset,
    _on_train,
    _to_url,
    field_label,
    form_settings,
    show_settings,
    with_own_seed,
)
from sphere_toy.ui.lesson import lesson_sidebar_ui
from sphere_toy.ui.state import lesson_number, locked


def pending_ui(settings: Settings) -> None:
    """Say so when the form has been edited but not applied: the run on screen is not what the form shows. Either
    way, what the form's run would cost, or that this server would refuse it."""
    edited = form_settings()[0]
    changed = [field_label(name) for name in LIMITS if getattr(edited, name) != getattr(settings, name)]
    if changed:
        st.warning(
            _(
                "Not applied yet: {fields}. The page still shows the run before these changes; press Train to run them."
            ).format(fields=_(", ").join(changed)),
            icon=":material/edit:",
        )
    estimate = cost.CALIBRATION.estimate(edited)
    refusal = cost.refusal(edited, estimate)
    if refusal:
        st.error(refusal.message, icon=":material/timer_off:")
    else:
        n = len(edited.specs())
        st.caption(
            ngettext(
                "This run: {cost} on this server ({n} model).", "This run: {cost} on this server ({n} models).", n
            ).format(cost=cost.describe(estimate), n=n)
        )


def _number(name: str, step, fmt: str | None = None) -> None:
    lim = LIMITS[name]
    st.number_input(
        _(lim.label), lim.kind(lim.lo), lim.kind(lim.hi), step=step, format=fmt, key=f"form_{name}", help=_(lim.help)
    )


def _choice(name: str, labels: dict | None = None, multi: bool = False) -> None:
    """A control for a field with few values; `labels` shows a value in words (the value itself stays the URL's)."""
    lim = LIMITS[name]
    widget = st.pills if multi else st.segmented_control
    widget(
        _(lim.label),
        lim.choices or list(range(int(lim.lo), int(lim.hi) + 1)),
        key=f"form_{name}",
        help=_(lim.help),
        selection_mode="multi" if multi else "single",
        required=not multi,
        format_func=(lambda v: labels.get(v, str(v))) if labels else str,
    )


def experiment_ui() -> tuple[Settings, list[str], str | None]:
    """The sidebar (presets, the experiment form) and the URL: returns the settings to show, warnings and a note."""
    url = {k: st.query_params.get_all(k) for k in st.query_params if k in QUERY_KEYS}
    settings, warnings = Settings.from_query(url)
    n = lesson_number()
    if n is not None and (locked() or not url) and lessons.runs(lessons.step(n)):
        # The teacher's locked page, or a lesson link without an experiment: the step decides the experiment.
        settings, warnings = lessons.runs(lessons.step(n))[0], []
    if "_settings" not in st.session_state and not locked():  # a student's first look at a room's link: own seed
        settings = with_own_seed(settings)
    if st.session_state.get("_settings") != settings:  # first load, a pasted link, or back/forward: the URL decides
        show_settings(settings, warnings)
    else:  # the same experiment, perhaps written differently: keep the form as the user is editing it
        _to_url(settings)

    with st.sidebar:
        lesson_sidebar_ui(n)
        if locked():
            return settings, warnings, None
        st.subheader(_("Presets"))
        for name, preset in PRESETS.items():  # the English name is the key; the button shows it translated
            st.button(
                _(name),
                key=f"preset_{name}",
                help=_(preset.description),
                on_click=_on_preset,
                args=(name,),
                width="stretch",
            )
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
                st.caption(
                    _("λ = max(λ_min, base·(1 + γ·step/steps)^(−power)); the loss uses (λ cos θ + ψ(θ)) / (1 + λ).")
                )
                for name, step in (
                    ("lambda_base", 100.0),
                    ("lambda_gamma", 10.0),
                    ("lambda_power", 0.5),
                    ("lambda_min", 1.0),
                ):
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
    st.pills(
        _(lim.label),
        list(margins.LOSSES),
        key="form_losses",
        selection_mode="multi",
        help=_(lim.help),
        format_func=lambda loss: _(margins.LOSSES[loss].label),
    )
    chosen = st.session_state.get("form_losses") or []
    for loss in chosen:
        kind = margins.LOSSES[loss]
        if kind.margin is None:
            continue
        key = f"form_margins_{loss}"
        options = sorted(set(kind.margin_choices) | set(st.session_state.get(key) or []))
        st.pills(
            _("{loss} margins m").format(loss=_(kind.label)),
            options,
            key=key,
            selection_mode="multi",
            help=_("One {loss} model per margin; its boundary: {boundary}. None chosen: m = {default}.").format(
                loss=_(kind.label), boundary=kind.boundary, default=f"{kind.margin_default:g}"
            ),
        )
    lim = LIMITS["scale"]  # always drawn (a widget that is not keeps no value): disabled where no loss uses s
    st.number_input(
        _(lim.label),
        lim.lo,
        lim.hi,
        step=1.0,
        format="%g",
        key="form_scale",
        help=_(lim.help),
        disabled=not any(margins.LOSSES[loss].scaled for loss in chosen),
    )
