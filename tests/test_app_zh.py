"""The app in Traditional Chinese (lang=zh-TW) under Streamlit's AppTest: every tab draws without an exception and
shows no English sentence; links keep their English values (tab=Features, model=...) in both languages; the About
text is one Markdown file per language with the same headings, formulas, links and code. The lesson's steps in
Chinese are walked by tests/test_lesson_app.py (the logic, in each language) and tests/test_e2e.py (what a class sees).

Fast by the trick of tests/test_app.py: a small grid in the URL. What is checked is the words, not the science.
"""

import pathlib
import re

import pytest
from streamlit.testing.v1 import AppTest

import sphere_toy
from sphere_toy import i18n
from sphere_toy.views import TABS
from tests.chinese import CJK, MATH, english_left, english_runs

APP = str(pathlib.Path(__file__).resolve().parents[1] / "app.py")
ABOUT = pathlib.Path(sphere_toy.__file__).parent / "about.md"
SMALL = {"steps": "60", "hidden": "16", "losses": "softmax,msoftmax,asoftmax:1,asoftmax:4"}  # 4 models, ~1 s


def app(tab=None, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({k: v for k, v in {**SMALL, "lang": "zh-TW", **params}.items() if v is not None})
    if tab is not None:
        at.query_params["tab"] = tab
    return at.run()


def assert_healthy(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def test_the_detector_finds_english_and_passes_chinese():
    assert english_runs("Training could not run with these settings.", 3)
    assert not english_runs("這組設定無法進行訓練（open set）。A-softmax m = 4，$\\cos m\\theta$，`losses.py`", 3)
    assert english_runs("Static picture for slides", 2) and not english_runs("下載 PNG", 2)


# ---------------------------------------------------------------------------------------------- the About text


def _structure(path: pathlib.Path) -> tuple:
    text = path.read_text(encoding="utf-8")
    headings = [line.split(" ")[0] for line in text.splitlines() if line.startswith("#")]  # levels, in order
    return (
        headings,
        sorted(MATH.findall(text)),
        re.findall(r"\]\(([^)]*)\)", text),
        sorted(re.findall(r"`[^`]*`", text)),
        len(re.findall(r"^\|", text, re.M)),
    )


def test_the_about_text_exists_in_each_language_with_the_same_headings_formulas_links_and_code():
    for lang in i18n.LANGUAGES:
        assert i18n.localized_path(ABOUT, lang).is_file()
    chinese = i18n.localized_path(ABOUT, "zh-TW")
    assert chinese.name == "about.zh-TW.md" and i18n.localized_path(ABOUT, "en") == ABOUT
    headings, formulas, links, code, rows = _structure(ABOUT)
    assert len(headings) >= 3 and len(formulas) > 40
    assert _structure(chinese) == (headings, formulas, links, code, rows)
    assert CJK.search(chinese.read_text(encoding="utf-8"))


def test_a_text_with_no_translation_falls_back_to_english(tmp_path):
    english = tmp_path / "notes.md"
    english.write_text("# Notes\n", encoding="utf-8")
    assert i18n.localized_path(english, "zh-TW") == english


# ---------------------------------------------------------------------------------------------- the page


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_in_chinese(tab):
    at = app(tab)
    assert_healthy(at)
    with i18n.using("zh-TW"):
        labels = [i18n._(name) for name in TABS]
    assert [t.label for t in at.tabs] == labels and all(CJK.search(label) for label in labels)
    assert at.session_state["tab"] == labels[TABS.index(tab)]  # the link's tab is the one open
    assert at.query_params["tab"] == tab  # and the link keeps its English value
    if tab != "About":
        assert at.get("image") or at.get("plotly_chart")
    assert not english_left(at), english_left(at)


def test_the_views_keep_english_values_in_the_link():
    at = app("Features", model="A-softmax m=4")
    assert_healthy(at)
    assert at.query_params["model"] == "A-softmax m=4" and at.session_state["model"] == "A-softmax m=4"
    at = app("Target logits", target_view="The margin family")
    assert_healthy(at)
    assert at.query_params["target_view"] == "The margin family"
    assert {"family_asoftmax", "family_cosface", "family_arcface"} <= {getattr(n, "key", None) for n in at}
    assert not english_left(at), english_left(at)


def test_a_bad_tab_is_dropped_and_the_first_opens():
    at = app("特徵")  # a label is not a tab's name: links hold the English name
    assert_healthy(at)
    assert "tab" not in at.query_params and at.session_state["tab"] == at.tabs[0].label


def test_switching_the_language_keeps_the_tab_and_the_unapplied_form():
    at = app("Angles", lang=None)
    assert at.tabs[2].label == "Angles"
    at.number_input(key="form_steps").set_value(70).run()
    switch = next(b for b in at.get("button_group") if b.label.startswith("Language"))
    switch.set_value("zh-TW").run()
    assert_healthy(at)
    assert at.session_state["tab"] == at.tabs[2].label == "夾角"
    assert at.query_params["lang"] == "zh-TW" and at.query_params["tab"] == "Angles"  # a tag and a name, not labels
    assert at.number_input(key="form_steps").value == 70
    assert any("尚未套用" in w.value for w in at.warning)  # the form still says it is not applied, in Chinese


def test_a_preset_note_and_the_form_speak_the_page_language():
    at = app("About")
    next(b for b in at.sidebar.button if b.key == "preset_Imbalanced classes").click().run()
    assert_healthy(at)
    assert any(CJK.search(i.value) for i in at.info)  # the preset's note, worded when shown
    at.number_input(key="form_classes").set_value(99).run()
    next(b for b in at.sidebar.button if b.label == "訓練").click().run()
    assert at.warning and all(CJK.search(w.value) for w in at.warning), [w.value for w in at.warning]
    assert not english_left(at), english_left(at)
