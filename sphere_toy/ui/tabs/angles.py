"""Angles: one model's pair angles, the pairs that decide the paper's criterion, and its target angles."""

from __future__ import annotations

import streamlit as st

from sphere_toy import plots, views
from sphere_toy.i18n import _
from sphere_toy.experiment import Settings
from sphere_toy.train import GridResult
from sphere_toy.ui.figures import figure_ui, table
from sphere_toy.ui.messages import bins_ui, diverged_ui, model_ui, undrawable_ui
from sphere_toy.ui.state import fragment, mode


def angles_tab(settings: Settings, result: GridResult) -> None:
    g = model_ui(result)
    if not diverged_ui(result, g):
        angle_views(settings, result, g)


@fragment
def angle_views(settings: Settings, result: GridResult, g: int) -> None:
    left, right = st.columns(2) if mode() == "normal" else (st.container(), st.container())  # see screens.screen
    histogram = left.container()  # drawn after its bins slider is read, but shown above it
    with left:
        bins = bins_ui()
    with histogram:
        figure_ui(
            f"angles_{plots.model_slug(result, g)}_{bins}bins",
            views.ANGLE_HISTOGRAM,
            settings,
            g,
            bins=bins,
            _result=result,
        )
    with right:
        if not undrawable_ui(
            result,
            _(
                "Drawing the deciding pairs on the circle or sphere needs 2-D or 3-D "
                "features; this run has {dim}-D features."
            ),
        ):
            figure_ui(
                f"criterion_pairs_{plots.model_slug(result, g)}", views.CRITERION_PAIRS, settings, g, _result=result
            )
    st.info(table(plots.criterion_text, settings, _result=result)[g], icon=":material/straighten:")
    figure_ui(f"target_angles_{plots.model_slug(result, g)}", views.TARGET_ANGLES, settings, g, _result=result)
