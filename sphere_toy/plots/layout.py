"""A figure drawn for its place on the page: the screen it is shown on, its size there, and text that fits it.

Figures are built with `matplotlib.figure.Figure` and the Agg canvas (`new_figure`), never `pyplot`: pyplot keeps
every figure in a global registry, which leaks in a long-running server (the Streamlit app).

Readable by construction: a figure shown W px wide whose canvas is w inches wide shows a font of p points at
p·W/(72·w) px, whatever the dpi. Inside `with on_screen(Screen(...))` every figure is made as many inches wide as
its place on the page needs for its smallest font (`MIN_FONT_PT`) to reach `Screen.text_px`, and no taller than the
place allows; fonts, markers and lines keep their point sizes, so they grow with the text. `figure_png` then renders
at twice the screen's pixels (sharp on high-density displays) and `display_width` says how wide to show the PNG.

The look itself (colours, fonts, the figure language, `styled`) is `style`'s: this module imports it, never the
other way round.
"""

from __future__ import annotations

import contextlib
import contextvars
import io
import re
import struct
import textwrap
from dataclasses import dataclass

import matplotlib.text
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from sphere_toy import i18n
from sphere_toy.plots.style import MIN_FONT_PT, _math_words_in_cjk, styled

PAD_INCHES = 0.15  # white margin around a saved figure


@dataclass(frozen=True)
class Screen:
    """The place on a page where a figure is shown: its width and height budget and the smallest text wanted there."""

    width_px: int  # the width of the figure's place on the page (CSS pixels)
    height_px: int  # the most height it may take (to keep it inside the first screen)
    text_px: float  # the smallest text height a reader must get (11 px on a laptop, 18 px projected)
    stacked: bool = False  # a phone's page: panels one under another, legends under them (`narrow_screen`)

    @property
    def px_per_inch(self) -> float:
        return 72 * self.text_px / MIN_FONT_PT  # so that MIN_FONT_PT points are text_px pixels on the page


_SCREEN: contextvars.ContextVar[Screen | None] = contextvars.ContextVar("sphere_toy_screen", default=None)


@contextlib.contextmanager
def on_screen(screen: Screen | None):
    """Build (and render) figures for `screen` inside this block; None: their natural size, for slides and files."""
    token = _SCREEN.set(screen)
    try:
        yield screen
    finally:
        _SCREEN.reset(token)


def new_figure(width: float, height: float) -> Figure:
    """A pyplot-free figure with an Agg canvas and constrained layout (nothing clipped, no overlaps).

    `width` x `height` inches gives the proportions; on a `Screen` the figure fills the place's width at the scale
    where the smallest font is `text_px` tall, and is cut to its height budget if the proportions would exceed it
    (wider, flatter axes rather than smaller text).
    """
    screen = _SCREEN.get()
    if screen is not None:  # the place's width (less the white margin figure_png adds), its height at most
        pad = 2 * PAD_INCHES * screen.px_per_inch
        scale = (screen.width_px - pad) / width / screen.px_per_inch
        height = height * scale
        if narrow_screen():  # a phone: its titles and legends take as many lines as anywhere, in a third of the width
            height = max(height, 1.25 * width * scale)
        width, height = width * scale, min(height, (screen.height_px - pad) / screen.px_per_inch)
    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


@styled
def figure_png(fig: Figure, dpi: int = 120, max_width_px: int = 2000) -> bytes:
    """The figure as PNG bytes; the figure is cleared afterwards (its memory freed: do not reuse it).

    At most `max_width_px` wide (the dpi is lowered for very wide figures such as the comparison): sharp on a
    projector or a slide, and no time spent drawing pixels that no screen shows. On a `Screen`: twice its pixels,
    shown at half size (`display_width`).
    """
    screen = _SCREEN.get()
    if screen is not None:
        dpi, max_width_px = 2 * screen.px_per_inch, 2 * screen.width_px + 200
        _fit_width(fig)
    buf = io.BytesIO()
    dpi = min(dpi, max_width_px / fig.get_figwidth())
    fig.savefig(buf, format="png", dpi=dpi, facecolor="white", bbox_inches="tight", pad_inches=PAD_INCHES)
    fig.clear()
    return buf.getvalue()


def narrow_screen() -> bool:
    """Whether the figure is drawn for a phone's page (`Screen.stacked`: 358 px at 11 px, room for about 30
    characters across), where panels side by side would each be too small to read: they stack. Not a laptop's
    half-width place, which is as narrow but beside another figure on a screen with room for both."""
    screen = _SCREEN.get()
    return screen is not None and screen.stacked


def side_by_side(fig: Figure, n: int, **kwargs) -> list:
    """n panels of `fig` in one row, or in one column on a `narrow_screen`; `kwargs` go to each `add_subplot`."""
    rows, columns = (n, 1) if narrow_screen() else (1, n)
    return [fig.add_subplot(rows, columns, i + 1, **kwargs) for i in range(n)]


def wide_screen() -> bool:
    """Whether the figure is drawn for a place much wider than tall (a projector's figure under the header, tabs and
    controls), where a legend belongs beside the panels: under them it would leave the panels no height."""
    screen = _SCREEN.get()
    return screen is not None and screen.width_px > 2.2 * screen.height_px


def plotly_width() -> int:
    """The width in px a plotly chart gets: the screen's, or 800 px at natural size."""
    screen = _SCREEN.get()
    return 800 if screen is None else screen.width_px


def plotly_sizes() -> tuple[int, float]:
    """(height px, smallest text px) for a plotly chart: the screen's, or 600 px and 14 px for natural size."""
    screen = _SCREEN.get()
    return (600, 14.0) if screen is None else (screen.height_px, max(14.0, screen.text_px))


def panel_columns(n: int, blocks: int = 1, *, title_lines: int = 1, title_chars: int = 0) -> int:
    """How many of `n` small multiples to put side by side. On a `Screen`, the count that gives the largest panels
    inside its width and height (with `blocks` such grids stacked, e.g. features above angles), each panel under
    `title_lines` lines of title at most `title_chars` characters long, which must fit its width; for slides, one
    line up to 4 and two lines beyond."""
    screen = _SCREEN.get()
    if screen is None:
        return n if n <= 4 else -(-n // 2)
    line = 1.6 * screen.text_px  # one line of text: the figure's title and legend, and each panel's title

    def panel(c: int) -> float:
        if screen.width_px / c < 0.62 * screen.text_px * title_chars:  # its title would not fit above it
            return 0.0
        lines = blocks * -(-n // c)
        return min(screen.width_px / c, (screen.height_px - 4 * line) / lines - title_lines * line)

    return max(range(1, n + 1), key=lambda c: (panel(c), -c))


def _fit_width(fig: Figure) -> None:
    """Titles and other long strings wrap at the figure's edge: on a screen, text is drawn at reading size, and a
    line sticking out would make the PNG wider than its place, so the page would shrink it and all its text."""
    renderer = fig.canvas.get_renderer()
    fig.draw_without_rendering()  # lays the figure out, so that every extent below is where it will be drawn
    for text in fig.findobj(matplotlib.text.Text):
        extent = text.get_window_extent(renderer).width if text.get_text() else 0.0
        if extent <= 0.9 * fig.bbox.width or "$" in text.get_text():  # a formula cut in two is drawn as its source
            continue
        if WIDE.search(text.get_text()):  # matplotlib wraps at spaces only; Chinese has none: cut between characters
            lines = text.get_text().split("\n")
            chars = max(6, int(max(map(len, lines)) * 0.85 * fig.bbox.width / extent))
            text.set_text("\n".join(part for line in lines for part in wrap_wide(line, chars)))
        else:
            text.set_wrap(True)


WIDE_CHARS = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"  # CJK punctuation, ideographs, full-width forms: a regex range
WIDE = re.compile(f"[{WIDE_CHARS}]")
_TOKENS = re.compile(f"[{WIDE_CHARS}]|[^{WIDE_CHARS}\\s]+|\\s+")  # one wide character, a Latin word, or spaces


def wrap_tokens(tokens, chars: float, width=len) -> list[str]:
    """`tokens` joined into lines at most `chars` wide (a token is `width(token)` wide), broken only between two
    tokens, the spaces at a break dropped: a word longer than a line keeps a line of its own."""
    lines, line, used = [], "", 0.0
    for token in tokens:
        w = width(token)
        if line and used + w > chars and not token.isspace():
            lines.append(line.rstrip())
            line, used = "", 0.0
        if line or not token.isspace():
            line, used = line + token, used + w
    return [*lines, line.rstrip()] if line else lines


def wrap_wide(line: str, chars: int) -> list[str]:
    """`line` in lines of at most `chars` characters, cut between two wide characters or at a space, never inside a
    Latin word ("M-softmax" stays whole)."""
    return wrap_tokens(_TOKENS.findall(line), chars) or [""]


def fit_legend(owner, handles=None, *, ncol: int = 1, **kwargs):
    """`owner.legend(...)` (a Figure or an Axes) with as many columns, up to `ncol`, as fit the figure's width.

    On a screen the legend's text is at reading size, so a legend laid out for a slide can be wider than the
    figure; it then takes more rows instead, and plain labels still too long for one column wrap."""
    fig = owner if isinstance(owner, Figure) else owner.figure
    renderer, width = fig.canvas.get_renderer(), fig.bbox.width
    if handles is None:  # an Axes' own labelled artists
        handles = owner.get_legend_handles_labels()[0]
    for n in range(max(1, ncol), 0, -1):
        legend = owner.legend(handles=handles, ncol=n, **kwargs)
        if i18n.current() in i18n.CJK:  # before it is measured (`styled` does this for the other texts)
            _math_words_in_cjk(legend)
        if legend.get_window_extent(renderer).width <= 0.98 * width or n == 1:
            break
        legend.remove()
    for text in legend.get_texts():
        extent = text.get_window_extent(renderer).width
        if extent > 0.9 * width and "$" not in text.get_text():
            text.set_text(textwrap.fill(text.get_text(), max(12, int(len(text.get_text()) * 0.85 * width / extent))))
    return legend


def wrap_to_width(text: matplotlib.text.Text, share: float) -> None:
    """Wrap `text` (a panel's title or axis label) onto as many lines as keep each within `share` of the figure's
    width: on a screen, text is at reading size, and a panel's title may be wider than the panel. Before the layout,
    which such a title would collapse."""
    renderer = text.figure.canvas.get_renderer()
    width, extent = share * text.figure.bbox.width, text.get_window_extent(renderer).width
    if extent <= width or "$" in text.get_text():
        return
    lines = text.get_text().split("\n")
    longest = max(len(line) for line in lines)
    chars = max(8, int(longest * 0.95 * width / extent))
    text.set_text("\n".join(textwrap.fill(line, chars) for line in lines))


def png_size(png: bytes) -> tuple[int, int]:
    """(width, height) in pixels, read from the PNG's header."""
    return struct.unpack(">II", png[16:24])


def display_width(png: bytes, screen: Screen) -> int:
    """How wide to show a PNG made on `screen`: half its pixels (it was drawn at 2x), never wider than the place."""
    return min(png_size(png)[0] // 2, screen.width_px)
