"""One module per view of `sphere_toy.views`, each with its renderer; `RENDERERS` maps a view's name to it.

A renderer of a view that needs a run is called as `render(settings, result)` with the run's first seed (the
Open-set view gets every seed: it compares them); the others as `render()`.
"""

from sphere_toy import views
from sphere_toy.ui.tabs.about import about_tab
from sphere_toy.ui.tabs.angles import angles_tab
from sphere_toy.ui.tabs.compare import compare_tab
from sphere_toy.ui.tabs.features import features_tab
from sphere_toy.ui.tabs.open_set import open_set_tab
from sphere_toy.ui.tabs.target import target_tab
from sphere_toy.ui.tabs.training import training_tab

RENDERERS = {
    views.TARGET_LOGITS.name: target_tab,
    views.FEATURES.name: features_tab,
    views.ANGLES.name: angles_tab,
    views.COMPARE_VIEW.name: compare_tab,
    views.TRAINING_VIEW.name: training_tab,
    views.OPEN_SET.name: open_set_tab,
    views.ABOUT.name: about_tab,
}
ALL_SEEDS = {views.OPEN_SET.name}  # the views whose renderer gets every seed of the run, not the first's models
