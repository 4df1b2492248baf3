"""A room of sessions in the app (AppTest): students' pages on their own seeds, the teacher's Room view of their runs,
each student's run among the room's, the lesson's question to the room, both languages, and the teacher's Clear.

The sessions share one server's queue and room, as a class does. Each test trains its own experiment (a learning rate
no other test uses), so runs other tests left in the room never join its group."""

import pathlib
import re

import pytest
from streamlit.testing.v1 import AppTest

from sphere_toy import lessons
from sphere_toy.experiment import LIMITS, Settings

APP = str(pathlib.Path(__file__).resolve().parents[1] / "app.py")
# test_app.py's small grid (its compiled program serves these runs too) at a learning rate no other test uses
TINY = {"steps": "60", "hidden": "16", "losses": "softmax,msoftmax,asoftmax:1,asoftmax:4", "lr": "0.0031"}


def _open(**params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=240)
    at.query_params.update(params)
    return at.run()


def _seed(at: AppTest) -> int:
    return Settings.from_query({k: v for k, v in at.query_params.items() if k in LIMITS})[0].seed


def _infos(at: AppTest) -> list[str]:
    assert not at.exception, [e.value for e in at.exception]
    return [i.value for i in at.info]


def _clear(at: AppTest) -> AppTest:
    at.button(key="room_clear").click().run()
    return at


def test_students_on_their_own_seeds_make_one_experiment_on_the_teachers_page():
    experiment = TINY
    students = [_open(own_seed="1", tab="Compare", **experiment) for _ in range(3)]
    seeds = [_seed(at) for at in students]
    assert len(set(seeds)) == 3 and all(1 <= s <= 9999 for s in seeds)  # one seed each, in each page's link
    alone = [i for i in _infos(students[0]) if i.startswith("Your run")]
    assert alone == []  # its run was the room's only one when its tab was drawn

    again = [i for i in _infos(students[0].run()) if i.startswith("Your run")]
    assert _seed(students[0]) == seeds[0]  # the page keeps its seed as it reruns
    figures = len(students[0].get("image"))
    shown = students[0].toggle(key="room_yours_theta_y_test_acc_separation").set_value(True).run()
    assert len(shown.get("image")) == figures + 1 and not shown.exception  # the room's dots, on demand
    assert again and f"seed {seeds[0]}" in again[0] and "room's 3 seeds" in again[0]

    teacher = _open(room="1", **experiment)
    said = "\n".join(_infos(teacher))
    assert re.search(r"Mean θ_y: A-softmax m=4 is (lower|higher) than M-softmax on [^.]*of 3 seeds", said), said
    assert "The robust criterion holds for A-softmax m=4 on" in said
    assert "own_seed=1" in teacher.code[0].value and "seed=" not in teacher.code[0].value.replace("own_seed", "")

    chinese = _open(room="1", lang="zh-TW", **experiment)
    assert any("3 個種子" in i for i in _infos(chinese))

    _clear(teacher)
    assert any(i.startswith("No run has finished on this server yet") for i in _infos(teacher))


@pytest.fixture
def small_lesson_runs(monkeypatch):
    """Each step's runs as the step names them, trained for 60 steps with one small hidden layer."""
    real = lessons.runs
    monkeypatch.setattr(lessons, "runs", lambda step: tuple(s.replace(steps=60, hidden=(16,)) for s in real(step)))


def test_the_teachers_lesson_step_says_whether_the_room_agrees_with_its_run(small_lesson_runs):
    step = next(n for n, s in enumerate(lessons.STEPS, 1) if s.room is not None and s.room.measure == "theta_y")
    teacher = _open(lesson=str(step), lock="1", present="1", room="1")
    _clear_room()  # the step's own run (seed 0) too: the room is the students' three
    students = [_open(lesson=str(step), own_seed="1") for _ in range(3)]
    for at in students:
        assert any("on its own seed" in c.value for c in at.caption), [c.value for c in at.caption]
    teacher.run()
    found = [i for i in _infos(teacher) if i.startswith("The room")]
    assert found and re.match(r"The room (agrees|does not agree|cannot confirm)", found[0]), found


def _clear_room() -> None:
    """Empty this process's room, as a teacher does on the Room view (which has nothing to clear when it is empty)."""
    page = _open(room="1")
    if any(b.key == "room_clear" for b in page.button):
        _clear(page)
