"""Two languages: the catalogs against the source, choosing the language, and Chinese figures without empty boxes.

The catalog tests extract the messages from the code with Babel, as `pybabel extract -F babel.cfg` does, and compare
them with sphere_toy/locale/{en,zh_TW}/LC_MESSAGES/sphere_toy.po; each failure lists every message concerned and says
how to fix it (the commands are in sphere_toy/i18n.py). The figure tests need a CJK font (Debian: fonts-noto-cjk);
without one they skip, unless SPHERE_TOY_REQUIRE_BROWSER=1 (CI), where they fail.
"""

import logging
import os
import pathlib
import string
import threading
import warnings

import matplotlib
import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from hypothesis import given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st

from sphere_toy import i18n, plots
from sphere_toy.plots import layout as plots_layout
from sphere_toy.plots import style as plots_style
from sphere_toy.i18n import _, ngettext

ROOT = pathlib.Path(__file__).resolve().parents[1]
REQUIRED = os.environ.get("SPHERE_TOY_REQUIRE_BROWSER") == "1"
HOW = "update the catalogs with the two pybabel commands in sphere_toy/i18n.py's docstring, then translate"


# ---------------------------------------------------------------------------------------------- catalogs


def _key(message):
    """A message as the catalogs key it: the msgid, or the singular of a plural one."""
    return message[0] if isinstance(message, (tuple, list)) else message


@pytest.fixture(scope="module")
def extracted() -> dict:
    """msgid -> (the message as written: a str, or (singular, plural)), (file:line, ...)."""
    with open(ROOT / "babel.cfg", encoding="utf-8") as f:
        method_map, options_map = parse_mapping_cfg(f)
    out = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=DEFAULT_KEYWORDS
    ):
        found = out.setdefault(_key(message), (message, []))
        found[1].append(f"{filename}:{lineno}")
    return out


@pytest.fixture(scope="module")
def catalogs() -> dict:
    out = {}
    for lang in i18n.LANGUAGES:
        with open(i18n.catalog_path(lang), "rb") as f:
            out[lang] = read_po(f, locale=i18n._LOCALES[lang], domain=i18n.DOMAIN)
    return out


def _strings(message) -> list[str]:
    """A catalog entry's translations (one per plural form), empty strings included."""
    return list(message.string) if isinstance(message.string, (tuple, list)) else [message.string]


def _where(extracted, key) -> str:
    return f"{key!r} ({', '.join(extracted[key][1][:2])})"


def test_extraction_finds_the_library_and_app_messages(extracted):
    """The mapping reads what it should: a label of settings.LIMITS (N_), a figure's text (_), a plural (ngettext)."""
    assert "Classes trained on" in extracted and "training features on the unit sphere" in extracted
    assert extracted["{h} held-out class (grey)"][0] == ("{h} held-out class (grey)", "{h} held-out classes (greys)")
    assert any(where.startswith("sphere_toy/plots/") for _msg, wheres in extracted.values() for where in wheres)


def test_every_message_is_in_both_catalogs(extracted, catalogs):
    missing = {
        lang: [_where(extracted, key) for key in extracted if catalogs[lang].get(key) is None]
        for lang in i18n.LANGUAGES
    }
    assert not any(missing.values()), f"messages missing from a catalog ({HOW}):\n" + "\n".join(
        f"  {lang}: {where}" for lang, wheres in missing.items() for where in wheres
    )


def test_every_message_is_translated_to_traditional_chinese(extracted, catalogs):
    """No empty or fuzzy translation in zh_TW (both show English). English needs none: it is the source."""
    zh = catalogs["zh-TW"]
    untranslated = [
        _where(extracted, key)
        for key in extracted
        if (m := zh.get(key)) is not None and (m.fuzzy or not all(_strings(m)))
    ]
    assert not untranslated, "untranslated or fuzzy in zh_TW:\n  " + "\n  ".join(untranslated)


def test_no_obsolete_messages(extracted, catalogs):
    """Every catalog entry is still in the code (`pybabel update --ignore-obsolete` drops the others)."""
    obsolete = [
        f"{lang}: {m.id!r}"
        for lang, cat in catalogs.items()
        for m in [*cat, *cat.obsolete.values()]
        if m.id and _key(m.id) not in extracted
    ]
    assert not obsolete, f"obsolete entries ({HOW}):\n  " + "\n  ".join(obsolete)


def _fields(text: str) -> set[str]:
    return {name for _lit, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def test_translations_keep_the_placeholders(catalogs):
    """`_("... {name} ...").format(name=...)` must work in every language: the same {fields}, well formed."""
    wrong = []
    for lang, cat in catalogs.items():
        for m in cat:
            if not m.id:
                continue
            ids = m.id if isinstance(m.id, (tuple, list)) else (m.id,)
            try:
                expected = set().union(*map(_fields, ids))
            except ValueError:  # not a format string (LaTeX's braces): shown as it is, never .format()ted
                continue
            for text in filter(None, _strings(m)):
                try:
                    fields = _fields(text)
                except ValueError as e:  # an unbalanced brace
                    wrong.append(f"{lang}: {m.id!r}: {e}")
                    continue
                if fields != expected:
                    wrong.append(f"{lang}: {m.id!r} has {sorted(expected)}, translated {sorted(fields)}")
    assert not wrong, "placeholders differ:\n  " + "\n  ".join(wrong)


# ---------------------------------------------------------------------------------------------- at run time


def test_messages_in_both_languages():
    assert i18n.current() == "en" and _("Classes trained on") == "Classes trained on"
    with i18n.using("zh-TW"):
        assert _("Classes trained on") == "訓練類別數"
        assert _("a message no catalog has") == "a message no catalog has"  # English, never empty
        assert ngettext("{h} held-out class (grey)", "{h} held-out classes (greys)", 3) == "{h} 個留出類別（灰色）"
    assert ngettext("{h} held-out class (grey)", "{h} held-out classes (greys)", 1) == "{h} held-out class (grey)"
    assert ngettext("{h} held-out class (grey)", "{h} held-out classes (greys)", 2) == "{h} held-out classes (greys)"
    assert i18n.current() == "en"


def test_module_level_strings_translate_where_shown():
    from sphere_toy.experiment import LIMITS, PRESETS

    name = "Open-set identities"
    assert name in PRESETS and LIMITS["seeds"].label == "Seeds per model"  # N_ keeps the English identifiers
    with i18n.using("zh-TW"):
        assert _(name) == "開放集身分" and _(LIMITS["seeds"].label) == "每個模型的種子數"


def test_a_missing_or_broken_catalog_shows_english(tmp_path, monkeypatch, caplog):
    broken = tmp_path / "broken.po"
    broken.write_bytes(b'msgid "Data"\nmsgstr "\xff\n')
    for path in (tmp_path / "missing.po", broken):
        monkeypatch.setattr(i18n, "catalog_path", lambda lang, path=path: path)
        i18n._translations.cache_clear()
        with caplog.at_level(logging.ERROR, "sphere_toy.i18n"), i18n.using("zh-TW"):
            assert _("Data") == "Data"
    i18n._translations.cache_clear()  # the real catalogs again for the other tests
    monkeypatch.undo()
    with i18n.using("zh-TW"):
        assert _("Data") == "資料"


def test_the_language_is_per_thread():
    """Streamlit runs each session's script in its own thread: one session's language never leaks into another."""
    ready, done, seen = threading.Barrier(2), threading.Event(), {}

    def chinese():
        i18n.set_language("zh-TW")
        ready.wait()
        done.wait()
        seen["zh"] = _("Data")

    def english():
        ready.wait()
        seen["en"] = (i18n.current(), _("Data"))
        done.set()

    threads = [threading.Thread(target=chinese), threading.Thread(target=english)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert seen == {"zh": "資料", "en": ("en", "Data")} and i18n.current() == "en"


def test_set_language_takes_the_usual_spellings_and_rejects_others():
    for spelling in ("zh-TW", "zh_TW", "zh-tw", "zh-Hant"):
        with i18n.using(spelling):
            assert i18n.current() == "zh-TW"
    with pytest.raises(ValueError, match="zh-TW"):
        i18n.set_language("fr")
    assert set(i18n.NAMES) == set(i18n.LANGUAGES) and i18n.DEFAULT in i18n.LANGUAGES


@pytest.mark.parametrize(
    "query, header, expected",
    [
        (None, None, "en"),
        ("zh-TW", None, "zh-TW"),
        ("zh_TW", None, "zh-TW"),
        ("zh-tw", None, "zh-TW"),
        ("zh-Hant", None, "zh-TW"),
        ("zh-Hant-TW", None, "zh-TW"),
        ("zh-HK", None, "zh-TW"),
        ("zh", None, "zh-TW"),
        ("en", "zh-TW", "en"),
        ("EN-us", None, "en"),
        (["en", "zh-TW"], None, "zh-TW"),  # a repeated key: the last, as st.query_params
        ("klingon", "zh-TW,zh;q=0.9", "zh-TW"),  # an unknown lang= is ignored: the browser decides
        ("", "zh-TW", "zh-TW"),
        ("zh-CN", "en", "en"),  # no Simplified catalog: lang=zh-CN is not a language we have
        (None, "zh-TW,zh;q=0.9,en-US;q=0.8,en;q=0.7", "zh-TW"),  # a browser in Taiwan
        (None, "en-US,en;q=0.9,zh-TW;q=0.8", "en"),
        (None, "en;q=0.5, zh-Hant;q=0.8", "zh-TW"),  # q-values, not the order, decide
        (None, "zh-CN,zh;q=0.9", "zh-TW"),  # a reader of Chinese who takes any Chinese ("zh")
        (None, "zh-CN,en;q=0.8", "en"),  # Simplified or English: English
        (None, "zh-Hans-CN", "en"),
        (None, "fr-FR,fr;q=0.9", "en"),
        (None, "fr,*;q=0.1", "en"),
        (None, "zh-TW;q=0, en", "en"),  # q=0: "not this one"
        (None, "zh-TW;q=abc, en;q=0.1", "en"),  # a malformed q drops its entry
        (None, "zh-TW;q=2", "en"),
        (None, ";;,,, ;q=", "en"),
        (None, "zh-TW" + ",x" * 5000, "zh-TW"),
    ],
)
def test_negotiate(query, header, expected):
    assert i18n.negotiate(query, header) == expected


@given(
    st.one_of(st.none(), st.text(), st.lists(st.text(), max_size=3), st.integers(), st.binary()),
    st.one_of(st.none(), st.text(), st.text(alphabet="zhTWen-_;q=.,0123456789 *"), st.integers(), st.binary()),
)
@hyp_settings(max_examples=400, deadline=None)
def test_negotiate_never_raises(query, header):
    assert i18n.negotiate(query, header) in i18n.LANGUAGES


# ---------------------------------------------------------------------------------------------- Chinese in figures


def _need_cjk_font() -> str:
    font = plots_style.cjk_font()
    if font is None:
        reason = (
            "no CJK font for Traditional Chinese (Debian: apt-get install fonts-noto-cjk); zh-TW figures fall "
            "back to English"
        )
        if REQUIRED:
            pytest.fail(f"SPHERE_TOY_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    return font


def _no_missing_glyphs(draw, caplog) -> None:
    """Run `draw` and fail on any matplotlib warning that a glyph or a font is missing."""
    with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING, "matplotlib"):
        warnings.simplefilter("always")
        draw()
    problems = [
        str(w.message) for w in caught if "missing from font" in str(w.message) or "findfont" in str(w.message)
    ] + [
        r.getMessage()
        for r in caplog.records
        if "findfont" in r.getMessage() or "does not have a glyph" in r.getMessage()
    ]
    assert not problems, problems


def _texts(fig) -> str:
    return " | ".join(t.get_text() for t in fig.findobj(matplotlib.text.Text))


def test_every_chinese_character_of_the_catalog_has_a_glyph():
    """Each character of every zh_TW translation is drawn by DejaVu Sans (matplotlib's own font: Latin, Greek,
    math) or by the CJK font: a translator's new character never becomes an empty box."""
    from matplotlib import font_manager

    font = _need_cjk_font()
    charmaps = []
    for family in ("DejaVu Sans", font):
        path = font_manager.findfont(font_manager.FontProperties(family=family), fallback_to_default=False)
        charmaps.append(font_manager.get_font([path]).get_charmap())
    with open(i18n.catalog_path("zh-TW"), "rb") as f:
        text = "".join(s for m in read_po(f) for s in _strings(m) if m.id)
    lacking = sorted({c for c in text if not c.isspace() and not any(ord(c) in cm for cm in charmaps)})
    assert not lacking, f"no glyph in DejaVu Sans or {font} for: {''.join(lacking)}"


def test_a_chinese_figure_has_real_glyphs(caplog, r2):
    _need_cjk_font()
    with i18n.using("zh-TW"):
        assert plots_style.figure_language(i18n.current()) == "zh-TW"
        for build in (lambda: plots.psi_figure(4), lambda: plots.features_figure(r2, 2)):
            fig = build()
            text = _texts(fig)
            assert any("\u4e00" <= c <= "\u9fff" for c in text), text  # drawn in Chinese ...
            _no_missing_glyphs(lambda: plots.figure_png(fig), caplog)  # ... with a glyph for every character

        @plots_style.styled  # as every builder is: the font is chosen where the texts are made
        def punctuation():
            fig = plots_layout.new_figure(4, 2)
            fig.suptitle("類別，權重：夾角（θ_y）「邊界」、‖W_j‖ ≥ 1。")
            fig.text(0.1, 0.2, r"邊距區：存在 j ≠ i 使 $\psi(\theta_i) < \cos\theta_j$")  # words around mathtext
            return fig

        _no_missing_glyphs(lambda: plots.figure_png(punctuation()), caplog)


def test_without_a_cjk_font_figures_stay_english(monkeypatch):
    """No CJK font: the page may be in Chinese, its figures are in English (words, not empty boxes)."""
    monkeypatch.setattr(plots_style, "cjk_font", lambda: None)
    with i18n.using("zh-TW"):
        assert plots_style.figure_language("zh-TW") == "en"
        text = _texts(plots.psi_figure(2))
        assert "target logit" in text and not any("\u4e00" <= c <= "\u9fff" for c in text)
        assert _("Data") == "資料"  # the page itself is still in Chinese
    assert plots_style.figure_language("en") == "en"


def test_sentences_join_as_each_language_writes_them():
    with i18n.using("en"):
        assert i18n.sentences(["One.", "", "Two."]) == "One. Two." and i18n.sentences([]) == ""
    with i18n.using("zh-TW"):
        assert i18n.sentences(["一。", "二。"]) == "一。二。"
