"""The lesson path in the app (AppTest): every step in both languages, Next and Back, the teacher's lock.

The steps' own runs are made small (`small_lesson_runs`), so every step trains in seconds: what is checked here is
the page's logic and words; the notices' numbers are tested on longer runs by tests/test_lessons.py, and what a class
sees of the path in a browser by tests/test_e2e.py.
"""

import pathlib
import time

import pytest
from streamlit.testing.v1 import AppTest

from sphere_toy import i18n, lessons, views
from sphere_toy.experiment import LIMITS, Settings
from tests.chinese import CJK, english_left

APP = pathlib.Path(__file__).resolve().parents[1] / "app.py"


@pytest.fixture
def small_lesson_runs(monkeypatch):
    """Each step's runs as the step names them, trained for 60 steps with one small hidden layer."""
    real = lessons.runs
    monkeypatch.setattr(lessons, "runs", lambda step: tuple(s.replace(steps=60, hidden=(16,)) for s in real(step)))


def _open(**params) -> AppTest:
    at = AppTest.from_file(str(APP), default_timeout=240)
    at.query_params.update(params)
    return at.run()


def _url_settings(at: AppTest) -> Settings:
    return Settings.from_query({k: v for k, v in at.query_params.items() if k in LIMITS})[0]


def _notice(at: AppTest, lang: str, timeout: float = 240) -> str:
    """The step's "what to notice", once its runs have trained (the page polls; here each rerun polls)."""
    with i18n.using(lang):
        label = i18n._("What to notice.")
    deadline = time.monotonic() + timeout
    while True:
        assert not at.exception, [e.value for e in at.exception]
        found = [i.value for i in at.info if label in i.value]
        if found:
            return found[0].split(label, 1)[1].strip()
        assert time.monotonic() < deadline, "the step's notice never came"
        time.sleep(0.5)
        at.run()


@pytest.mark.slow
def test_the_lesson_path_runs_end_to_end(small_lesson_runs):
    """A student clicks through all the steps with Next: each says where it is in the lesson, opens its experiment,
    its tab and its view (English names in the link, labels on the page), states what to notice from its runs
    (computed, so different from step to step), and reveals its answer on a click; in Chinese, with no English
    sentence left on the page. The page's logic is the same in every language, so it is walked here in Chinese only;
    the English lesson is walked in a real browser (tests/test_e2e.py, the student's lesson)."""
    lang = "zh-TW"
    at = _open(lesson="1", lang=lang)
    seen = []
    with i18n.using(lang):
        for n, step in enumerate(lessons.STEPS, start=1):
            assert at.query_params["lesson"] == str(n)
            title = i18n._("Lesson, step {n} of {total}: {title}").format(
                n=n, total=len(lessons.STEPS), title=i18n._(step.title)
            )
            assert any(title in m.value for m in at.markdown), n
            if lessons.runs(step):
                assert _url_settings(at) == lessons.runs(step)[0]
            if step.view in views.TABS:
                assert at.query_params.get("tab", views.TABS[0]) == step.view
                assert at.session_state["tab"] == i18n._(step.view)
            for key, value in step.option.items():  # the view's controls, as the step sets them
                assert at.session_state[key] == value, (n, key)
            notice = _notice(at, lang)
            assert notice and notice not in seen
            seen.append(notice)
            assert not at.error, [e.value for e in at.error]
            answer = next(t for t in at.toggle if t.key == f"lesson_answer_{n}")
            answer.set_value(True)
            at.run()
            assert any(i18n._(step.answer)[:40] in s.value for s in at.success)
            if lang == "zh-TW":
                assert CJK.search(notice), notice
                assert not english_left(at), (n, english_left(at))
            forward = next(b for b in at.button if b.key == "lesson_next")
            if n == len(lessons.STEPS):
                assert forward.disabled
                break
            forward.click()
            at.run()


@pytest.mark.slow
def test_back_returns_to_the_previous_step_its_view_and_its_experiment(small_lesson_runs):
    """In Chinese, where a tab's label is not its name: Back from step 6 opens step 5's tab and ψ view by their
    English names in the link, then Back opens step 4's experiment."""
    at = _open(lesson="6", lang="zh-TW")
    at.button(key="lesson_back").click().run()
    assert at.query_params["lesson"] == "5"
    assert at.query_params["tab"] == "Target logits" and at.session_state["tab"] == "目標 logit"
    assert at.query_params["target_view"] == views.PSI_VIEW and at.session_state["target_view"] == views.PSI_VIEW
    at.button(key="lesson_back").click().run()
    assert at.query_params["lesson"] == "4"
    assert _url_settings(at) == lessons.runs(lessons.step(4))[0]


def test_the_teachers_lock_shows_the_lesson_without_the_form_and_the_same_link_without_it_the_sandbox():
    locked = _open(lesson="2", lock="1")
    assert not locked.exception
    keys = {w.key for w in (*locked.button, *locked.number_input, *locked.text_input)}
    assert "lesson_next" in keys and "lesson_back" in keys
    assert not {f"form_{name}" for name in LIMITS} & keys and not any(k.startswith("preset_") for k in keys)
    assert _url_settings(locked) == lessons.runs(lessons.step(2))[0]  # the link carries the step's experiment
    students = _open(**{k: v for k, v in locked.query_params.items() if k != "lock"})
    keys = {w.key for w in (*students.button, *students.number_input)}
    assert "form_steps" in keys and "lesson_next" in keys  # the whole sandbox, at the same step
    assert _url_settings(students) == _url_settings(locked)


@pytest.mark.parametrize("text, n", [("abc", 1), ("0", 1), ("99", len(lessons.STEPS)), ("4.4", 4)])
def test_a_lesson_link_with_any_step_number_opens_a_step(text, n):
    at = _open(lesson=text, tab="About")
    assert not at.exception
    assert any(lessons.step(n).title in m.value for m in at.markdown)


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_a_bare_lesson_link_opens_the_steps_own_view(n):
    """`?lesson=N` with nothing else: the step's experiment, its tab and its model, written into the link."""
    at = _open(lesson=str(n))
    step = lessons.step(n)
    assert at.query_params["tab"] == step.view
    assert at.query_params["model"] == step.option["model"] and at.session_state["model"] == step.option["model"]
