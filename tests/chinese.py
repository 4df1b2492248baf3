"""What a page in Traditional Chinese must not show: English left in it. Shared by the tests of the app's tabs in
Chinese (tests/test_app_zh.py) and of the lesson path in each language (tests/test_lesson_app.py)."""

from __future__ import annotations

import re

from streamlit.testing.v1 import AppTest

CJK = re.compile(r"[\u4e00-\u9fff]")
MATH = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.S)
CODE = re.compile(r"`[^`]*`|https?://\S+|\]\([^)]*\)")
WORD = r"(?<![A-Za-z])[A-Za-z][A-Za-z'’]+(?:-[A-Za-z]+)*(?![A-Za-z])"  # two letters or more: m, x, k are notation
# Names that stay Latin in every language: the losses and papers, models' names, libraries, file formats.
NAMES = re.compile(
    r"\b(?:SphereFace|NormFace|CosFace|ArcFace|M-softmax|A-softmax|softmax|Liu|CVPR|ROC|AUC|PNG|GIF|"
    r"CSV|Markdown|Chebyshev|MLP|Adam|SGD|adam|sgd|scikit-learn|CPU|NaN|arXiv)\b"
)


def english_runs(text: str, words: int) -> list[str]:
    """Runs of `words` or more English words in a row in `text`, once formulas, code, links and names are taken out:
    what a Chinese page must not show (a glossed term in brackets, "（open set）", is two words)."""
    text = NAMES.sub(" ", CODE.sub(" ", MATH.sub(" ", text)))
    return re.findall(rf"{WORD}(?:[ \t]+{WORD}){{{words - 1},}}", text)


def shown(at: AppTest) -> tuple[list[str], list[str]]:
    """(texts: markdown, captions, alerts, help texts; labels: widgets, tabs, expanders, options, table columns)."""
    texts, labels = [], []
    for node in at:
        kind = getattr(node, "type", "")
        if kind in ("latex", "code"):
            continue
        value = getattr(node, "value", None)
        if kind in (
            "markdown",
            "caption",
            "alert",
            "info",
            "warning",
            "error",
            "success",
            "subheader",
            "title",
            "header",
        ) and isinstance(value, str):
            texts.append(value)
        label = getattr(node, "label", None)
        if isinstance(label, str) and label != "Language · 語言":
            labels.append(label)
        help_text = getattr(node, "help", None)
        if isinstance(help_text, str) and help_text:
            texts.append(help_text)
        if getattr(node, "key", None) != "lang":
            labels += [o for o in getattr(node, "options", None) or [] if isinstance(o, str)]
        if kind in ("dataframe", "arrow_data_frame"):
            labels += [str(c) for c in getattr(value, "columns", [])]
    return texts, labels


def english_left(at: AppTest) -> list[str]:
    """Each run of English on the page: three words in a text, two in a label."""
    texts, labels = shown(at)
    texts = [t.split("### 參考文獻")[0] for t in texts]  # the references: paper titles are English
    return [f"{run!r} in {t[:80]!r}" for t in texts for run in english_runs(t, 3)] + [
        f"label {t!r}" for t in labels for _run in english_runs(t, 2)
    ]
