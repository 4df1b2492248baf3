"""Compare: every model of the run side by side (the paper's Fig. 2 or Fig. 5), and their statistics."""

from __future__ import annotations

import streamlit as st

from sphere_toy import plots, views
from sphere_toy.i18n import _
from sphere_toy.experiment import Settings
from sphere_toy.train import GridResult
from sphere_toy.ui.figures import figure_ui, table
from sphere_toy.ui.messages import bins_ui, explain_ui
from sphere_toy.ui.room import room_mark_ui
from sphere_toy.ui.state import fragment


@fragment
def compare_tab(settings: Settings, result: GridResult) -> None:
    if plots.drawable(result):
        figure_ui("compare_features", views.COMPARE, settings, rows="features", _result=result)
        explain_ui(
            _(
                "Every loss on the same data and seed: features (top) and same-class vs different-class pair "
                "angles (bottom) — the paper's Fig. 2 (2-D) or Fig. 5 (3-D) on one screen."
            )
        )
    bins = bins_ui()
    figure_ui(f"compare_angles_{bins}", views.COMPARE_ANGLES, settings, bins=bins, rows="angles", _result=result)
    stats_ui(settings, result)
    room_mark_ui(settings, ("theta_y", "test_acc", "separation"))


def stats_ui(settings: Settings, result: GridResult) -> None:
    st.dataframe(table(plots.stats_rows, settings, _result=result), hide_index=True)
    explain_ui(
        _(
            "Angles in degrees on the closed-set test features. Criterion ✓: max intra-class angle < min "
            "inter-class angle (every class fits in a cone narrower than the gap to the others)."
        )
    )
    st.download_button(
        _("Download table (Markdown)"),
        table(plots.stats_markdown, settings, _result=result),
        file_name="stats.md",
        mime="text/markdown",
        on_click="ignore",
        icon=":material/download:",
    )
