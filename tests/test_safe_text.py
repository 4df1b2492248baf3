"""A link is data, never markup: text from a URL renders as text, one warning per key, nothing from a link can write
into the page. Rendered with markdown-it-py (CommonMark + GitHub's extensions, bare addresses linked), which is what
Streamlit's Markdown is built on; the browser test checks Streamlit's own renderer in Chromium."""

import html
import pathlib
import re

import pytest
from hypothesis import given, settings, strategies as st
from markdown_it import MarkdownIt
from streamlit.testing.v1 import AppTest

from sphere_toy.safe_text import MAX_CHARS, clip, markdown_literal
from sphere_toy.experiment import LIMITS, MAX_ITEMS, Settings

APP = str(pathlib.Path(__file__).resolve().parents[1] / "app.py")
MARKDOWN = MarkdownIt("gfm-like")  # tables, strikethrough and bare-address links on top of CommonMark

# Characters that start markup somewhere: Markdown, GitHub's extensions, Streamlit's directives and math, HTML.
META = "*_`~#[]()!<>&\\|$:-+=.\"'/@{}^%;"
PIECES = list(META) + list("ab 1\n\t\u202e\u200bé字") + ["www.", "http://", ".invalid", "    "]
HOSTILE = st.lists(st.sampled_from(PIECES), max_size=120).map("".join)
KNOWN_ATTACKS = [
    "[injected](#)",
    "![injected](//injected.invalid/a.png)",
    "# injected",
    "**injected**",
    "_injected_",
    "~~injected~~",
    "`injected`",
    "<b>injected</b>",
    "<img src=x onerror=alert(1)>",
    "&lt;injected&gt;",
    "www.injected.invalid",
    "https://injected.invalid/x",
    "mail@injected.invalid",
    ":red[injected]",
    ":smile:",
    ":material/warning:",
    "$injected^2$",
    "1. injected",
    "- injected",
    "> injected",
    "    injected",
    "| a | b |",
    "injected\n===",
    "\u202einjected",
    "x" * 10_000,
]


def rendered(markdown: str) -> str:
    return MARKDOWN.render(markdown)


def tags(page: str) -> set[str]:
    return set(re.findall(r"<([a-zA-Z0-9]+)", page))


def text_of(page: str) -> str:
    """The text a reader sees: tags dropped, entities decoded, the invisible word joiners gone."""
    return html.unescape(re.sub(r"<[^>]+>", "", page)).replace("\u2060", "").strip()


def shown(markdown: str) -> str:
    """What a reader sees of a message: its Markdown rendered, then the text of it."""
    page = rendered(markdown)
    assert tags(page) <= {"p"}, f"{markdown!r} renders markup: {page!r}"
    return text_of(page)


@given(HOSTILE)
def test_markdown_literal_renders_as_exactly_the_text(text):
    line = " ".join(text.splitlines()) if text else text
    assert shown(markdown_literal(text)) == line.strip()


@pytest.mark.parametrize("attack", KNOWN_ATTACKS)
def test_known_attacks_render_as_text(attack):
    assert shown(markdown_literal(clip(attack))) == clip(attack).strip()


@given(st.text(max_size=500))
def test_clip_gives_one_short_printable_line(text):
    line = clip(text)
    assert len(line) <= MAX_CHARS
    assert "\n" not in line and "\u202e" not in line and "\x00" not in line
    assert line == text or len(text) > MAX_CHARS or any(not c.isprintable() for c in text)


def test_clip_shows_invisible_characters_as_their_escapes():
    assert clip("a\u202eb\u200bc\x00d") == "a\\u202eb\\u200bc\\x00d"
    assert clip("x" * 100) == "x" * (MAX_CHARS - 1) + "…"


# ---- the experiment's URL keys ----


@settings(max_examples=300, deadline=None)
@given(key=st.sampled_from(sorted(LIMITS)), value=HOSTILE | st.lists(HOSTILE, min_size=2, max_size=5))
def test_every_keys_warnings_render_as_text_and_quote_the_value_literally(key, value):
    _, warnings = Settings.from_query({key: value})
    assert len(warnings) <= 1  # one warning per key at most
    for warning in warnings:
        assert shown(markdown_literal(warning)) == warning.strip()  # rendered: no link, image, heading, emphasis
        assert len(warning) < 400


@pytest.mark.parametrize("key", sorted(LIMITS))
@pytest.mark.parametrize("attack", ["![injected](//injected.invalid/a.png)", "[injected](#) **bold** # h"])
def test_a_quoted_value_appears_literally(key, attack):
    _, warnings = Settings.from_query({key: attack})
    if LIMITS[key].kind is str or not any(c.isdigit() for c in attack):
        (warning,) = warnings
        assert clip(attack) in shown(markdown_literal(warning))


def test_a_flooded_key_gives_one_warning_and_is_read_only_so_far():
    settings, warnings = Settings.from_query({"m": ",".join(["0"] * 5120)})  # an old link's key
    assert settings.losses == ("softmax", "msoftmax", "asoftmax:1")
    assert warnings == [
        f"m has 5,120 values; only the first {MAX_ITEMS} are read (and {MAX_ITEMS} more problems "
        "with m); using m = softmax,msoftmax,asoftmax:1"
    ]
    settings, warnings = Settings.from_query({"losses": ",".join(["arcface:9"] * 5120)})
    assert settings.losses == ("arcface:1.2",)
    assert warnings == [
        f"losses has 5,120 values; only the first {MAX_ITEMS} are read (and {MAX_ITEMS} more "
        "problems with losses); using losses = arcface:1.2"
    ]


def test_repeated_keys_and_several_problems_on_one_key_give_one_warning_each():
    settings, warnings = Settings.from_query(
        {"seed": ["1", "2", "abc"], "hidden": "x,300,-1,y", "classes": "100", "held_out": "0"}
    )
    assert (settings.seed, settings.hidden, settings.classes) == (0, (256, 1), 10)
    assert len(warnings) == 3
    classes, hidden, seed = warnings  # in the form's order
    assert seed.startswith("seed has 3 values; using the last, 'abc' (and 1 more problem with seed)")
    assert hidden.endswith("using hidden = 256,1") and "3 more problems" in hidden
    assert classes == "classes = 100 is more than digits allows (10); using 10"


def test_the_app_shows_a_hostile_links_warnings_as_text():
    at = AppTest.from_file(APP, default_timeout=120)
    attacks = {
        "data": "![injected](//injected.invalid/a.png)",
        "optimizer": "[injected](#)",
        "seed": "# injected",
        "hidden": "**injected**",
        "m": ["0"] * 300,
        "lr": "$injected$",
        "steps": "60",
    }
    at.query_params.update({**attacks, "tab": "About"})
    at.run()
    assert not at.exception
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 6  # one per bad key
    seen = " | ".join(shown(w) for w in warnings)
    for key in ("data", "optimizer", "seed", "hidden", "lr"):
        assert clip(attacks[key]) in seen, key
    assert "m has 300 values" in seen
