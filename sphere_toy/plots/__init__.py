"""Figures for teaching SphereFace (Liu et al., CVPR 2017, arXiv:1704.08063): data in, `matplotlib.figure.Figure` out.

One module per figure family: `psi` (the margin function ψ(θ), Sec. 3.2, Eq. 7), `features` (2-D features with
decision regions and the margin zone, Fig. 2), `angles` (pair angles, Fig. 5 bottom row; the criterion; target
angles), `compare` (every model side by side), `sphere` (3-D) and `plotly_sphere` (3-D, rotatable), `training`
(curves and the animation), `family`, `bound`, `openset`, `transfer` (class separation against open-set AUC), `room`
(a class's seeds as one experiment) and `report` (tables, ROC, CSV); `style` gives them their look (colours, fonts,
labels) and `layout` draws each for its place on the page. Everything is re-exported here, so `from sphere_toy import
plots` is the one import to use.

No math of its own: angles and metrics come from `sphere_toy.analysis.metrics`, ψ and logits from
`sphere_toy.core.losses`.
"""

from __future__ import annotations

from sphere_toy.plots.angles import (
    angle_histogram_figure,
    criterion_pairs_figure,
    criterion_verdict,
    target_angle_figure,
)
from sphere_toy.plots.bound import bound_figure
from sphere_toy.plots.compare import compare_figure
from sphere_toy.plots.family import family_figure
from sphere_toy.plots.features import decision_grid, features_figure
from sphere_toy.plots.openset import lab_text, open_pairs_figure, seed_auc_figure
from sphere_toy.plots.psi import chebyshev_latex, psi_figure
from sphere_toy.plots.report import (
    criterion_text,
    features_csv,
    open_set_rows,
    open_set_summary,
    prior_rows,
    prior_text,
    roc_figure,
    stats_markdown,
    stats_rows,
)
from sphere_toy.plots.room import agreement_text, mine_text, room_figure, room_pairs_figure, room_text
from sphere_toy.plots.sphere import sphere_figure
from sphere_toy.plots.plotly_sphere import sphere_plotly
from sphere_toy.plots.layout import Screen, display_width, figure_png, on_screen
from sphere_toy.plots.style import (
    class_colors,
    drawable,
    feature_dim,
    figure_language,
    model_colors,
    model_label,
    model_slug,
    unit_rows,
)
from sphere_toy.plots.training import snapshot_figure, snapshots_gif, snapshots_plotly, training_figure
from sphere_toy.plots.transfer import transfer_figure, transfer_text

__all__ = [
    "class_colors",
    "model_colors",
    "psi_figure",
    "family_figure",
    "bound_figure",
    "seed_auc_figure",
    "open_pairs_figure",
    "lab_text",
    "transfer_figure",
    "transfer_text",
    "room_figure",
    "room_pairs_figure",
    "room_text",
    "agreement_text",
    "mine_text",
    "chebyshev_latex",
    "features_figure",
    "sphere_figure",
    "sphere_plotly",
    "angle_histogram_figure",
    "criterion_pairs_figure",
    "criterion_verdict",
    "target_angle_figure",
    "stats_rows",
    "stats_markdown",
    "compare_figure",
    "training_figure",
    "snapshot_figure",
    "snapshots_gif",
    "snapshots_plotly",
    "roc_figure",
    "open_set_rows",
    "open_set_summary",
    "criterion_text",
    "figure_png",
    "features_csv",
    "Screen",
    "on_screen",
    "display_width",
    "model_slug",
    "drawable",
    "prior_rows",
    "prior_text",
    "figure_language",
    "decision_grid",
    "feature_dim",
    "model_label",
    "unit_rows",
]
