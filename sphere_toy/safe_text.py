"""Text from outside (a link, the form, an exception) shown as text, never as markup.

The experiment lives in the URL, so a link is input from anyone: a student can post one in the class chat and the
projector shows whatever the app writes from it. Streamlit renders every message (`st.warning`, `st.error`, ...) as
Markdown: CommonMark, GitHub's extensions (bare `www.` and `http://` addresses become links) and Streamlit's own
(`:smile:` emoji, `:red[text]` colours, `:material/icon:`, `$math$`). Two steps make outside text inert:

- `clip` where a message quotes an outside value: one line of at most `MAX_CHARS` printable characters, so a 10 kB
  value or a right-to-left override cannot take over the page;
- `markdown_literal` where a message is shown: Markdown source that renders as the given text, markup-free.
"""

from __future__ import annotations

import string
import unicodedata

MAX_CHARS = 40  # an outside value is quoted with at most this many characters


def clip(text: str, limit: int = MAX_CHARS) -> str:
    r"""`text` as one printable line of at most `limit` characters, cut with an ellipsis.

    Whitespace (newlines, tabs, Unicode line separators) becomes a space; other invisible or control characters
    (bidi overrides such as U+202E, zero-width joiners, NUL) become their escape, e.g. "\u202e", so a class sees that
    they were there but they cannot reorder or hide the text around them.
    """
    out = []
    for ch in str(text):
        category = unicodedata.category(ch)
        if ch.isspace():
            out.append(" ")
        elif category in ("Cc", "Cf", "Cs", "Co", "Cn"):  # control, format, surrogate, private use, unassigned
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    line = "".join(out)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def markdown_literal(text: str) -> str:
    """Markdown source that renders as `text` (on one line): nothing in it becomes markup or a link.

    CommonMark lets any ASCII punctuation character be escaped with a backslash and then stand for itself (spec
    section 2.4, "Backslash escapes"). Every character that can start markup (a link's brackets, an image's `!`,
    emphasis, code, HTML's `<`, an entity's `&`, a heading's `#`, a list's `-` or `1.`, Streamlit's `:` directives
    and `$` math) is ASCII punctuation, so escaping all of it leaves nothing to interpret.

    Escapes do not stop GitHub's bare-address links: Streamlit's renderer finds `www.x.y`, `https://x.y` and `a@x.y`
    in the text after parsing (seen in Chromium). An invisible WORD JOINER (U+2060) before every `.`, `@` and `:`
    breaks those patterns without changing what a reader sees. Line breaks become spaces and the ends are trimmed
    (four leading spaces would start a code block): a message stays one paragraph.
    """
    return "".join(_LITERAL.get(ch, ch) for ch in text).strip()


_LITERAL = {
    **{ch: "\\" + ch for ch in string.punctuation},
    **{ch: "\u2060\\" + ch for ch in ".@:"},
    "\r": " ",
    "\n": " ",
}
