"""Shared look of every sphere_toy figure: class and model colours, projector-sized fonts, labels and model names.

Where a figure goes and how big it is drawn there (the screen, its size, text that fits, PNG export) is `layout`'s,
which builds on this module.

Languages: every builder is `@styled`, which draws it in the *figure* language, `figure_language(i18n.current())`:
zh-TW when this machine has a font with Chinese glyphs (`cjk_font`), drawn with that font after DejaVu Sans in
`font.family`, and English otherwise, so that a figure never shows empty boxes for missing glyphs. Builders call
`_()` at call time, inside the builder, so their texts follow the figure language (a zh-TW page on a machine without
a CJK font gets English figures).
"""

from __future__ import annotations

import functools
import os
import re
import threading

import matplotlib
import matplotlib.text
import numpy as np
from matplotlib import font_manager
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from sphere_toy import i18n

from sphere_toy.core import margins
from sphere_toy.data import shown_class_name
from sphere_toy.i18n import _, ngettext

# Sizes for a projector: nothing below 10 pt, lines thick enough to see from the back of a room.
STYLE = {
    "font.size": 12,
    "axes.titlesize": 13,
    "axes.labelsize": 12,
    "xtick.labelsize": 11,
    "ytick.labelsize": 11,
    "legend.fontsize": 11,
    "figure.titlesize": 15,
    "lines.linewidth": 2.2,
    "axes.linewidth": 1.0,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "hatch.linewidth": 0.9,
    "hatch.color": "#555555",
    "figure.dpi": 100,
}
MIN_FONT_PT = 10.0  # no text in any figure is smaller than this (tests/test_readable.py reads every text back)
# rcParams are process-global and matplotlib is not thread-safe; Streamlit runs sessions in threads.
_LOCK = threading.RLock()

# tab10, except that its grey (index 7) is swapped for a dark indigo: grey means "held-out class" here.
_TAB10 = [to_hex(c) for c in matplotlib.colormaps["tab10"].colors]
_TAB10[7] = "#393b79"
_EXTRA = [to_hex(c) for c in matplotlib.colormaps["tab20b"].colors[2::4]]  # more, for K > 10
POSITIVE_COLOR, NEGATIVE_COLOR = "#1d4e89", "#d94801"  # positive / negative pairs (not class colours)
OVERLAP_COLOR, GAP_COLOR = "#d62728", "#2ca02c"


def styled(fn):
    """Run a figure builder under the lock with the projector style, in the figure language (`figure_language`):
    its `_()` texts in that language, and a CJK font in the family list when that is zh-TW (used as a decorator).
    Rendering (`figure_png`) is styled too: matplotlib looks fonts up when it draws, not when it makes a text."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        lang = figure_language(i18n.current())
        with _LOCK, i18n.using(lang), matplotlib.rc_context({**STYLE, **_font_rc(lang)}):
            out = fn(*args, **kwargs)
            if lang in i18n.CJK and isinstance(out, Figure):
                _math_words_in_cjk(out)
            return out

    return wrapper


# ---- fonts for Chinese ----

# Families with Traditional Chinese glyphs, best first: Traditional (TC/HK) glyph shapes, then the regional faces of
# the same pan-CJK fonts (the same characters, some drawn the mainland or Japanese way), then older fonts. Debian's
# fonts-noto-cjk installs one .ttc per weight whose faces matplotlib >= 3.10 lists as "Noto Sans CJK JP/KR/SC/TC/HK"
# (it used to list only the first, JP); Windows has Microsoft JhengHei, macOS PingFang TC.
CJK_FAMILIES = (
    "Noto Sans CJK TC",
    "Noto Sans TC",
    "Source Han Sans TC",
    "Source Han Sans TW",
    "Microsoft JhengHei",
    "PingFang TC",
    "Noto Sans CJK HK",
    "Source Han Sans HC",
    "Heiti TC",
    "Noto Sans CJK JP",
    "Noto Sans CJK SC",
    "Source Han Sans",
    "Source Han Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "AR PL UMing TW",
    "Droid Sans Fallback",
)
# Font files that may hold one of them, for `_add_new_system_fonts` (file names, lower case).
_CJK_FILES = re.compile(
    r"cjk|sourcehan|notosans(tc|hk|sc)|msjh|msyh|pingfang|stheiti|wqy|wenquanyi|uming|"
    r"droidsansfallback"
)
# A font must draw all of these to be used: common words of the catalog and the full-width punctuation.
CJK_SAMPLE = "繁體中文特徵權重類別夾角邊界訓練損失函數驗證開放集樣本，。：；（）「」、"


@functools.cache
def cjk_font() -> str | None:
    """The family name of an installed font that draws Traditional Chinese (the first of CJK_FAMILIES that draws
    all of CJK_SAMPLE), or None.

    Looked up once per process: a font installed while the server runs is used after a restart. matplotlib keeps
    its font list in a cache file written when it first ran; a font installed after that (fonts-noto-cjk installed
    on a machine where matplotlib had already run) is not in it, so the system's font files named like a CJK font
    are added to matplotlib's list when none of CJK_FAMILIES is known.
    """
    with _LOCK:
        if not _known_cjk_families():
            _add_new_system_fonts()
        return next((name for name in _known_cjk_families() if _draws(name, CJK_SAMPLE)), None)


def _known_cjk_families() -> list[str]:
    known = {entry.name for entry in font_manager.fontManager.ttflist}
    return [name for name in CJK_FAMILIES if name in known]


def _add_new_system_fonts() -> None:
    """Add the system's CJK-looking font files that matplotlib's cached list lacks (each one read, a few ms)."""
    listed = {os.path.realpath(entry.fname) for entry in font_manager.fontManager.ttflist}
    for path in font_manager.findSystemFonts():
        if _CJK_FILES.search(os.path.basename(path).lower()) and os.path.realpath(path) not in listed:
            try:
                font_manager.fontManager.addfont(path)
            except (OSError, RuntimeError, ValueError):  # unreadable or not a font: skip it
                continue


def _draws(family: str, text: str) -> bool:
    """Whether `family` has a glyph for every character of `text`."""
    try:
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        charmap = font_manager.get_font([path]).get_charmap()
    except (OSError, RuntimeError, ValueError):
        return False
    return all(ord(c) in charmap for c in text if not c.isspace())


def figure_language(lang: str) -> str:
    """The language figures are drawn in for a page in `lang`: a language written in Chinese characters
    (`i18n.CJK`) only when a CJK font is installed (`cjk_font`), else the default (English words rather than empty
    boxes)."""
    return lang if lang not in i18n.CJK or cjk_font() is not None else i18n.DEFAULT


def _font_rc(lang: str) -> dict:
    """rcParams for a figure in `lang`: for zh-TW, the CJK font after the usual sans-serif in `font.family`.

    matplotlib falls back glyph by glyph along `font.family` (a generic name there, "sans-serif", stands for the one
    font of `font.sans-serif` it finds first, DejaVu Sans: adding the CJK font to that list would change nothing).
    After DejaVu, not before it: Latin letters, digits, Greek and the notation (θ, ‖x‖, ·, −, ≥) keep DejaVu's shapes
    and widths, as in the English figures, and only what DejaVu lacks, the Chinese and the full-width punctuation,
    comes from the CJK font (whose ‖, · and ≥ are full-width). A text takes `font.family` when it is made, so the
    builder runs inside this (`styled`), and so does the rendering (`figure_png`, which may rewrap texts).
    """
    font = cjk_font() if lang in i18n.CJK else None
    return {} if font is None else {"font.family": ["sans-serif", font]}


def _math_words_in_cjk(fig) -> None:
    """Texts with mathtext in them ("存在 j ≠ i 使 $\\psi(\\theta_i) < \\cos\\theta_j$") draw the words around the
    math with the first font of their family alone, without fallback: put the CJK font first in those (the math
    keeps the mathtext fonts). `fig`: a Figure, or any artist with texts in it (a legend)."""
    font = cjk_font()
    if font is None:
        return
    for text in fig.findobj(matplotlib.text.Text):
        if text.get_text().count("$") >= 2:
            text.set_fontfamily([font, "sans-serif"])


def class_colors(n_classes: int, n_open: int = 0) -> list:
    """One fixed colour per label: trained classes 0..K-1 in tab10 order, held-out classes K..K+H-1 in greys.

    Index the list by label, so class 3 has the same colour in every figure. Hex strings (matplotlib and plotly).
    """
    trained = [(_TAB10 + _EXTRA)[i % (len(_TAB10) + len(_EXTRA))] for i in range(n_classes)]
    greys = [to_hex((v, v, v)) for v in np.linspace(0.25, 0.62, n_open)] if n_open else []
    return trained + greys


def result_colors(result) -> list:
    return class_colors(result.data.n_classes, result.data.n_open_classes)


def model_colors(specs) -> list[str]:
    """One colour per model, unlike any class colour: softmax black, M-softmax slate, NormFace green, and a shade
    of each margin loss's colormap by its margin (larger margin, further along). Models that differ only by seed
    share a colour (their labels say the seed). The colours are declared with the losses (`Loss.colors`)."""
    out = []
    for s in specs:
        lo, hi, cmap = s.kind.colors
        if s.kind.margin is None or cmap.startswith("#"):
            out.append(cmap)
        elif s.loss == "asoftmax" and not s.has_margin:
            out.append(margins.LOSSES["msoftmax"].colors[2])  # m = 1 trains M-softmax's rule
        else:
            trained = sorted({t.margin for t in specs if t.loss == s.loss and t.has_margin} | {s.margin})
            frac = trained.index(s.margin) / max(len(trained) - 1, 1) if len(trained) > 1 else 1.0
            if s.loss == "asoftmax":  # by m itself, so m = 4 keeps its colour whatever else is trained
                frac = (s.margin - 2) / max(max(trained) - 2, 1)
            out.append(to_hex(matplotlib.colormaps[cmap](lo + (hi - lo) * frac)))
    return out


LEGEND_CLASSES = 12  # above this many classes a legend says how many there are instead of naming each one


def many_classes(result) -> bool:
    """More trained classes than a legend can name (the identities data): legends count them, weights go unnamed."""
    return result.data.n_classes > LEGEND_CLASSES


def class_legend(result, *, marker: bool = False, held_out: bool = True) -> list:
    """Legend entries for the classes: one per class, or, with many classes, one for all of them (their colours
    repeat) and one for the held-out ones. `marker`: dots and crosses (scatter plots) instead of colour patches."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    data, colors = result.data, result_colors(result)
    k, h = data.n_classes, data.n_open_classes

    def entry(color, label, held=False):
        if marker:
            return Line2D([], [], ls="", marker="x" if held else "o", ms=9, mew=2, color=color, label=label)
        return Patch(color=color, label=label)

    if many_classes(result):
        out = [entry(colors[0], _("{k} training classes (a colour each; colours repeat)").format(k=k))]
        if held_out and h:
            label = ngettext("{h} held-out class (grey)", "{h} held-out classes (greys)", h).format(h=h)
            out.append(entry(colors[k], label, held=True))
        return out
    out = [entry(colors[j], shown_class_name(data.class_names[j])) for j in range(k)]
    if held_out and h:
        out += [
            entry(colors[j], _("{name} (held out)").format(name=shown_class_name(data.class_names[j])), held=True)
            for j in range(k, k + h)
        ]
    return out


def model_label(result, g: int) -> str:
    """The model's name in the current language (`ModelSpec.display_name`), with its seed when the grid has several
    seeds."""
    spec = result.specs[g]
    name = spec.display_name
    if len({s.seed for s in result.specs}) > 1:
        return _("{model} (seed {seed})").format(model=name, seed=spec.seed)
    return name


def model_slug(result, g: int) -> str:
    """A file-name-safe model name: "softmax", "m-softmax", "a-softmax-m4", "cosface-m0.35", "...-seed1"."""
    spec = result.specs[g]
    return spec.slug + (f"-seed{spec.seed}" if len({s.seed for s in result.specs}) > 1 else "")


def diverged_message(result, g: int) -> str:
    return _("training diverged at step {step}; lower the learning rate or raise λ_min").format(
        step=int(result.nan_step[g])
    )


def check_trained(result, g: int) -> None:
    """Raise ValueError for a diverged model: its features must never be drawn as if they were fine."""
    if result.diverged(g):
        raise ValueError(diverged_message(result, g))


def feature_dim(result) -> int:
    return result.train_features.shape[-1]


def drawable(result) -> bool:
    """Whether the features themselves can be drawn: in the plane (2-D) or on the sphere (3-D)."""
    return feature_dim(result) in (2, 3)


def needs_drawable(result, view: str) -> None:
    """Raise ValueError naming the view when the features have more than 3 dimensions (nothing to draw them in)."""
    if not drawable(result):
        raise ValueError(
            _("{view} needs 2-D or 3-D features; this run has {dim}-D features").format(
                view=view, dim=feature_dim(result)
            )
        )


def message_panel(ax, title: str, text: str) -> None:
    """An empty panel that says why there is no plot (a diverged model, no held-out classes)."""
    ax.set_axis_off()
    ax.set_title(title)
    lines = text.replace("; ", ";\n").replace("；", "；\n")  # a clause a line (English and Chinese semicolons)
    ax.text(
        0.5,
        0.5,
        lines,
        ha="center",
        va="center",
        transform=ax.transAxes,
        wrap=True,
        fontsize=12,
        color=OVERLAP_COLOR,
        bbox={"boxstyle": "round", "fc": "#fff5f5", "ec": OVERLAP_COLOR},
    )


def unit_rows(x) -> np.ndarray:
    """Rows scaled to length 1 (points projected onto the unit circle/sphere); zero rows stay zero."""
    x = np.asarray(x, dtype=np.float64)
    n = np.linalg.norm(x, axis=-1, keepdims=True)
    return np.divide(x, n, out=np.zeros_like(x), where=n > 0)
