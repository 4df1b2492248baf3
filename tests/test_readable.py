"""Readable by construction: every figure the app shows, drawn for its place on the page, has no text smaller than
11 px on a laptop and 18 px when projected (presentation mode), at 1280×720.

The smallest text a reader gets is measured, not assumed: every string matplotlib actually draws is recorded with its
size in points, and turned into screen pixels the way the page shows the PNG (points × dpi / 72 × displayed width /
image width). Plotly charts say their text sizes in pixels.
"""

import pytest

from sphere_toy import plots, views
from sphere_toy.plots import screens
from sphere_toy.plots.layout import png_size

MIN_PX = {"normal": 11.0, "present": 18.0, "slide": 18.0, "phone": 11.0}  # arm's length; the back of the hall; a phone


def _views(runs, family):
    """(name, figure, args, kwargs, result): every figure of `views.FIGURES` as its `example` draws it, on the app's
    3-D and 2-D runs where it draws that dimension (once where it needs no run), and the 2-D features of the margin
    family, whose legends name each loss's margin rule."""
    shown = []
    for figure in views.FIGURES:
        results = (
            [(None, None)]
            if not figure.needs_run
            else [(f"{dim}-D", runs[dim]) for dim in (3, 2) if dim in figure.dims]
        )
        if figure is views.FEATURES_2D:
            results.append(("family 2-D", family[2]))
        for label, result in results:
            args, kwargs = figure.example(result)
            shown.append((f"{figure.name} ({label or 'no run'}, {figure.slot})", figure, args, kwargs, result))
    return shown


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
        fig = builder(*(() if result is None else (result,)), *args, **kwargs)
        drawn = drawn_text_points(fig)
        dpi = min(2 * screen.px_per_inch, (2 * screen.width_px + 200) / fig.get_figwidth())  # figure_png's dpi
        png = plots.figure_png(fig)
    shown = plots.display_width(png, screen)
    pt, text = min(drawn)
    return pt * dpi / 72 * shown / png_size(png)[0], text, shown


# The modes whose figures differ in width or text size: "slide" has present's width and text with less height, and a
# figure's text size follows its width (`layout.new_figure`), so checking it again would test one thing twice.
DISTINCT_MODES = tuple(m for m in screens.MODES if m != "slide")


@pytest.mark.slow
@pytest.mark.parametrize("mode", DISTINCT_MODES)
def test_every_figure_the_app_shows_is_readable_where_it_is_shown(app_runs, family_runs, mode):
    too_small = []
    for name, figure, args, kwargs, result in _views(app_runs, family_runs):
        screen = screens.screen(mode, figure.slot_for(mode))
        px, text, shown = smallest_text_px(figure.builder, args, kwargs, result, screen)
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
