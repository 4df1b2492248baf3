"""Readable by construction: every figure the app shows, drawn for its place on the page, has no text smaller than
11 px on a laptop and 18 px when projected (presentation mode), at 1280×720.

The smallest text a reader gets is measured, not assumed: every string matplotlib actually draws is recorded with its
size in points, and turned into screen pixels the way the page shows the PNG (points × dpi / 72 × displayed width /
image width). Plotly charts say their text sizes in pixels.
"""

import pytest

from sphere_toy import plots, screens
from sphere_toy.plots_style import png_size

MIN_PX = {"normal": 11.0, "present": 18.0}


def _views(runs, family):
    """(name, builder, args, kwargs, slot, result): the figures the app draws (app.py's figure_ui calls)."""
    r3, r2 = runs[3], runs[2]
    chosen = (("asoftmax", 4), ("cosface", 0.35), ("arcface", 0.5))
    views = [("ψ m=4", "psi_figure", (4, 0.0), {}, "psi", None), ("ψ m=8, λ", "psi_figure", (8, 3.0), {}, "psi", None),
             ("ψ m=4 presenting", "psi_figure", (4, 0.0), {}, "full", None),
             ("the margin family", "family_figure", (chosen, 0.0), {}, "full", None),
             ("family 2-D features (CosFace)", "features_figure", (3,), {}, "full", family[2]),
             ("open-set seeds", "seed_auc_figure", (), {}, "full", r3),
             ("open-set held-out pairs", "open_pairs_figure", (), {"bins": 36}, "below", r3)]
    for dim, r in ((3, r3), (2, r2)):
        g = len(r.specs) - 1
        views += [
            (f"{dim}-D angles", "angle_histogram_figure", (g,), {"bins": 36}, "half", r),
            (f"{dim}-D criterion pairs", "criterion_pairs_figure", (g,), {}, "half", r),
            (f"{dim}-D target angles", "target_angle_figure", (g,), {}, "half", r),
            (f"{dim}-D compare features", "compare_figure", (), {"rows": "features"}, "full", r),
            (f"{dim}-D compare angles", "compare_figure", (), {"rows": "angles", "bins": 36}, "below", r),
            (f"{dim}-D training", "training_figure", (), {}, "full", r),
            (f"{dim}-D snapshot", "snapshot_figure", (g, 1), {}, "full", r),
            (f"{dim}-D ROC", "roc_figure", (), {}, "roc", r),
        ]
    views += [("2-D features", "features_figure", (len(r2.specs) - 1,), {}, "full", r2),
              ("3-D sphere (static)", "sphere_figure", (len(r3.specs) - 1,), {}, "full", r3)]
    return views


def drawn_text_points(fig) -> list[tuple[float, str]]:
    """(size in points, text) of every non-empty string the figure draws."""
    renderer = fig.canvas.get_renderer()
    drawn, draw_text = [], renderer.draw_text

    def recording(gc, x, y, s, prop, angle, ismath=False, mtext=None):
        if s.strip():
            drawn.append((prop.get_size_in_points(), s))
        return draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)

    renderer.draw_text = recording
    try:
        fig.draw(renderer)
    finally:
        renderer.draw_text = draw_text
    return drawn


def smallest_text_px(builder, args, kwargs, result, screen) -> tuple[float, str, int]:
    """The smallest text of the figure on `screen`, in screen pixels, which string it is, and how wide the page
    shows the figure."""
    with plots.on_screen(screen):
        fig = getattr(plots, builder)(*(() if result is None else (result,)), *args, **kwargs)
        drawn = drawn_text_points(fig)
        dpi = min(2 * screen.px_per_inch, (2 * screen.width_px + 200) / fig.get_figwidth())  # figure_png's dpi
        png = plots.figure_png(fig)
    shown = plots.display_width(png, screen)
    pt, text = min(drawn)
    return pt * dpi / 72 * shown / png_size(png)[0], text, shown


@pytest.mark.slow
@pytest.mark.parametrize("mode", screens.MODES)
def test_every_figure_the_app_shows_is_readable_where_it_is_shown(app_runs, family_runs, mode):
    too_small = []
    for name, builder, args, kwargs, slot, result in _views(app_runs, family_runs):
        screen = screens.screen(mode, slot)
        px, text, shown = smallest_text_px(builder, args, kwargs, result, screen)
        if px < MIN_PX[mode] - 0.05:
            too_small.append(f"{name}: {text!r} at {px:.1f} px")
        assert shown <= screen.width_px  # never wider than its place, so the page never shrinks it further
    assert not too_small, f"text under {MIN_PX[mode]} px in {mode} mode: {too_small}"


@pytest.mark.parametrize("mode", screens.MODES)
def test_the_plotly_charts_say_their_text_large_enough(app_runs, mode):
    screen = screens.screen(mode)
    r3, r2 = app_runs[3], app_runs[2]
    with plots.on_screen(screen):
        charts = [plots.sphere_plotly(r3, 5), plots.snapshots_plotly(r3, 5), plots.snapshots_plotly(r2, 2)]
    for chart in charts:
        layout = chart.layout
        sizes = [layout.font.size, layout.legend.font.size, layout.title.font.size]
        sizes += [t.textfont.size for t in chart.data if getattr(t, "textfont", None) and t.textfont.size]
        sizes += [a.font.size for a in layout.annotations or ()]
        assert min(sizes) >= MIN_PX[mode], sizes
        assert layout.height <= screen.height_px
