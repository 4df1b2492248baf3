"""Open-set: verification of identities never trained on, over the run's seeds, against the raw inputs."""

from __future__ import annotations

import streamlit as st

from sphere_toy import plots, views
from sphere_toy.analysis import evaluate
from sphere_toy.i18n import _
from sphere_toy.experiment import Settings
from sphere_toy.train import GridResult
from sphere_toy.ui.experiment import field_label
from sphere_toy.ui.figures import figure_ui, table
from sphere_toy.ui.messages import bins_ui, explain_ui
from sphere_toy.ui.room import room_mark_ui
from sphere_toy.ui.state import mode


def open_set_tab(settings: Settings, result: GridResult) -> None:
    """The open-set lab: every loss's AUC over the run's seeds against the raw inputs, in words from the numbers;
    the held-out pairs' angles; the ROC and the threshold's accuracy (first seed)."""
    if result.data.n_open_classes < 2:
        st.info(
            _("Open-set verification needs at least 2 held-out classes: raise *{field}* in the sidebar.").format(
                field=field_label("held_out")
            )
        )
        return
    figure_ui("open_set_seeds", views.SEED_AUC, settings, _result=result)
    text = table(plots.lab_text, settings, _result=result)
    if text:
        st.info(text, icon=":material/insights:")
    room_mark_ui(settings, ("open_set_auc",))
    explain_ui(
        _(
            "Test identities that were **never trained on** (the held-out classes): is a pair the same class? "
            "Score it by the cosine of the angle between the two features. Each dot is one seed (one set of "
            "initial weights, the same data); the bar is their mean. *{field}* in the sidebar trains more of "
            "them at once. The dashed line is the same test on the raw inputs, with no net at all."
        ).format(field=field_label("seeds"))
    )
    figure_ui("open_set_transfer", views.TRANSFER, settings, _result=result)
    text = table(plots.transfer_text, settings, _result=result)
    if text:
        st.info(text, icon=":material/insights:")
    explain_ui(
        _(
            "Class separation R² (Kornblith et al., NeurIPS 2021; the notes' LDA idea): how much tighter each "
            "trained class is than the whole set, by the cosine distance of the features' directions (0: no "
            "tighter; 1: each class one direction). Each dot is one model and seed; the question is whether "
            "separating the trained classes more goes with verifying new ones better or worse."
        )
    )
    bins = bins_ui()
    figure_ui(f"open_set_pairs_{bins}", views.OPEN_PAIRS, settings, bins=bins, _result=result)
    first = evaluate.first_seed(result)
    left, right = st.columns([3, 2]) if mode() == "normal" else (st.container(), st.container())  # see screens
    with left:
        figure_ui("open_set_roc", views.ROC, settings, _result=first)
    with right:
        summary = table(plots.open_set_summary, settings, _result=first)
        if summary:
            st.info(summary, icon=":material/insights:")
    st.dataframe(table(plots.open_set_rows, settings, _result=first), hide_index=True)
    explain_ui(
        _(
            "ROC and table: the first seed. Threshold: the cosine (and angle) that best separates same-class "
            "from different-class pairs of *training* classes; the open-set accuracy applies it, unchanged, to "
            "pairs of held-out classes. Accuracies are balanced (the mean of the same-class and different-class "
            "rates), since different-class pairs far outnumber same-class ones."
        )
    )
