"""Features: the trained features with the decision regions, on the plane (2-D) or the rotatable sphere (3-D)."""

from __future__ import annotations

import streamlit as st

from sphere_toy import plots, views
from sphere_toy.plots import screens
from sphere_toy.i18n import _
from sphere_toy.i18n import sentences
from sphere_toy.experiment import Settings
from sphere_toy.train import GridResult
from sphere_toy.ui.figures import figure_ui, table
from sphere_toy.ui.messages import diverged_ui, explain_ui, model_ui, problem_ui, undrawable_ui
from sphere_toy.ui.state import fragment, mode, presenting


def features_tab(settings: Settings, result: GridResult) -> None:
    g = model_ui(result)
    if diverged_ui(result, g) or undrawable_ui(
        result, _("Drawing the features needs 2-D or 3-D features; this run has {dim}-D features.")
    ):
        return
    slug = f"features_{settings.dim}d_{plots.model_slug(result, g)}"
    if settings.dim == 2:
        features_2d(settings, result, g, slug)
    else:
        chart = st.container()  # the sphere first, its switch under it: presenting, it stays on the first screen
        regions = st.columns([1, 3])[0].toggle(
            _("Regions on the sphere"),
            True,
            key="regions",
            bind="query-params",
            help=_(
                "Colour the sphere by the model's decision regions and its margin zone (the paper's Fig. 3). The "
                "coloured sphere is opaque: rotate to see the far side, or switch this off to see through it."
            ),
        )
        try:
            with plots.on_screen(screens.screen(mode())):
                figure = plots.sphere_plotly(result, g, regions=regions)
            chart.plotly_chart(figure, key="sphere", config={"displaylogo": False})
        except Exception as e:
            problem_ui(chart, _("Could not draw the sphere."), e)
        explain_ui(
            sentences(
                [
                    _(
                        "Training features projected on the unit sphere (the paper's Fig. 5, top row); drag to rotate. "
                        "Lines: "
                        "the class weight directions W_j. Crosses: held-out classes, never trained on."
                    ),
                    *(
                        [
                            _(
                                "Colours: each class's region (nearest W_j by angle), darker where a sample of that "
                                "class would "
                                "still be penalised by the margin: the loss's own margin zone, as in 2-D."
                            )
                        ]
                        if regions
                        else []
                    ),
                ]
            )
        )
        # Drawn when asked for: a 3-D PNG costs the server 0.4 s, for every page and every run, and a room of pages
        # that all receive their runs at once would wait for thirty of them.
        if st.toggle(
            _("Static picture for slides"),
            key="slides",
            bind="query-params",
            help=_("The same view as a picture (PNG) to download, drawn when you switch this on."),
        ):
            figure_ui(
                f"{slug}{'_regions' if regions else ''}", views.SPHERE, settings, g, regions=regions, _result=result
            )
    prior_ui(settings, result)
    st.download_button(
        _("Download features (CSV)"),
        lambda: plots.features_csv(result),
        file_name="features.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/table:",
        help=_("Every sample's feature for every model: split, label, coordinates, θ_y"),
    )


def prior_ui(settings: Settings, result: GridResult) -> None:
    """With imbalanced classes: what each model gives each class against its size (the class prior)."""
    text = table(plots.prior_text, settings, _result=result)
    if not text:
        return
    with st.expander(
        _("Class sizes: does a model learn them as a prior?"), expanded=not presenting(), icon=":material/balance:"
    ):
        st.markdown(text)
        st.dataframe(table(plots.prior_rows, settings, _result=result), hide_index=True)


@fragment
def features_2d(settings: Settings, result: GridResult, g: int, slug: str) -> None:
    """The 2-D figure and its two switches: above it, or under it when presenting or on a phone (as the sphere's),
    so that it stays on the first screen."""
    chart = st.container() if presenting() or mode() == "phone" else None
    left, right, _spare = st.columns([1, 1, 3])
    show_test = left.toggle(
        _("Test points"),
        True,
        key="test",
        bind="query-params",
        help=_("Closed-set test samples (not trained on, from the training classes): triangles"),
    )
    show_open = right.toggle(
        _("Held-out classes"), True, key="open", bind="query-params", help=_("Classes never trained on, in grey")
    )
    with chart or st.container():
        figure_ui(slug, views.FEATURES_2D, settings, g, show_test=show_test, show_open=show_open, _result=result)
    explain_ui(
        _(
            "Left: raw features with the decision regions (softmax has a bias, so its borders need not pass "
            "through the origin) and, for a loss with a margin, the hatched margin zone where a sample is still "
            "penalised (each loss's own rule, named in the legend). Right: the same features normalised onto "
            "the unit circle."
        )
    )
