"""The app under Streamlit's AppTest: every tab, every control, the presets, bad URLs, divergence, no retraining.

Most tests use a small grid (few steps, one small hidden layer) given in the URL, so the suite stays fast; training
results are cached per process, so tests that share settings train once. The standard workload runs once.
"""

import base64
import json
import pathlib
import re
import threading
import time

import numpy as np
import pytest
from streamlit.runtime.forward_msg_queue import ForwardMsgQueue
from streamlit.testing.v1 import AppTest

import sphere_toy.train
from sphere_toy.data import load
from sphere_toy import views
from sphere_toy.views import TABS
from sphere_toy.experiment import LIMITS, PRESETS, Settings

APP = str(pathlib.Path(__file__).resolve().parents[1] / "app.py")
SMALL = {"steps": "60", "hidden": "16", "losses": "softmax,msoftmax,asoftmax:1,asoftmax:4"}  # 4 models, ~1 s


def app(tab=None, **params) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({k: v for k, v in {**SMALL, **params}.items() if v is not None})  # None: leave it out
    if tab is not None:
        at.query_params["tab"] = tab
    return at.run()


def _until(predicate, what: str, timeout: float = 120.0) -> None:
    """Wait for `predicate()` to hold: only a hang takes `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what} never came"
        time.sleep(0.05)


def _move_on(at: AppTest) -> None:
    """Cancel the run this page left training in the background (its tab shows no run), as a student who moved on
    would, so that it does not hold the next test's run up in the queue."""
    for cancel in (b for b in at.button if b.key == "cancel_background"):
        cancel.click().run()


def texts(elements) -> list[str]:
    return [e.value for e in elements]


def shown_warnings(at: AppTest) -> list[str]:
    """The warnings as a reader sees them: the app escapes every Markdown character of text that came from a link
    (and puts an invisible word joiner before '.', '@' and ':', see `safe_text.markdown_literal`)."""
    return [re.sub(r"\\(.)", r"\1", w.value).replace("\u2060", "") for w in at.warning]


def assert_healthy(at: AppTest) -> None:
    assert not at.exception, texts(at.exception)
    assert not at.error, texts(at.error)


def url_settings(at: AppTest) -> Settings:
    settings, warnings = Settings.from_query({k: v for k, v in at.query_params.items() if k in LIMITS})
    assert warnings == []  # the app writes canonical values back to the URL
    return settings


@pytest.fixture
def train_calls(monkeypatch):
    """The networks train_grid initialises, one per run (one seed each): a count of trainings.

    Counted at `sphere_toy.train.grid.init_params`, which train_grid looks up at call time; train_grid itself cannot be
    patched, because the app's training thread holds the function it imported when the thread pool was created.
    """
    calls = []
    real = sphere_toy.train.grid.init_params

    def counting(net, *, key):
        calls.append(net)
        return real(net, key=key)

    monkeypatch.setattr(sphere_toy.train.grid, "init_params", counting)
    return calls


@pytest.mark.parametrize("tab", TABS)
def test_every_tab_renders(tab):
    at = app(tab)
    assert_healthy(at)
    assert [t.label for t in at.tabs] == list(TABS)  # the tabs the lessons and the links name
    if tab == "About":
        about = " ".join(texts(at.markdown))
        assert "arXiv:1704.08063" in about
        assert r"\psi(\theta) = (-1)^k \cos(m\theta) - 2k" in about  # the formulas, as display math
    else:  # every other tab draws something, each picture with its PNG download
        assert at.get("image") or at.get("plotly_chart")
        if at.get("image"):
            assert any(b.label == "Download PNG" for b in at.get("download_button"))


def test_url_holds_the_experiment_and_the_form_shows_it():
    at = app("About", steps="250", seed="7", lr="0.01")
    assert_healthy(at)
    s = url_settings(at)
    assert (s.steps, s.seed, s.lr, s.hidden, s.losses) == (
        250,
        7,
        0.01,
        (16,),
        ("softmax", "msoftmax", "asoftmax:1", "asoftmax:4"),
    )
    assert at.number_input(key="form_steps").value == 250
    assert at.number_input(key="form_seed").value == 7
    assert set(at.query_params) >= set(LIMITS)  # the whole experiment is in the link


@pytest.mark.parametrize(
    "param, bad, words, fixed",
    [
        ("losses", "asoftmax:0", "A-softmax's margin 0 is out of range 1..6", ("asoftmax:1",)),
        ("losses", "cosface:9", "CosFace's margin 9 is out of range 0..1; using 1", ("cosface:1",)),
        ("classes", "100", "classes = 100 is more than digits allows (10); using 10", 10),
        ("dim", "5", "dim = 5 is not one of 2, 3, 8, 16, 32; using 3", 3),
        ("steps", "-1", "steps = -1 is out of range 10..20000; using 10", 10),
        ("seed", "abc", "seed 'abc' is not a number; using 0", 0),
    ],
)
def test_bad_query_params_give_a_warning_and_the_nearest_valid_value(param, bad, words, fixed):
    at = app("About", **{param: bad})
    assert not at.exception
    assert any(words in w for w in shown_warnings(at)), shown_warnings(at)
    assert getattr(url_settings(at), param) == fixed  # and the link is corrected


@pytest.mark.parametrize(
    "tab, view",
    [
        ("Angles", {"model": "no such model", "bins": "100000"}),
        ("Training", {"snap": "-5", "play": "yes"}),
        ("Features", {"test": "maybe", "open": "2"}),
        ("Target logits", {"psi_m": "0", "psi_lam": "lots"}),
    ],
)
def test_garbage_view_params_fall_back_quietly(tab, view):
    at = app(tab, **view)
    assert_healthy(at)
    assert at.get("image") or at.get("plotly_chart")


def test_links_made_before_the_margin_family_open_the_same_experiment_and_view():
    at = app("ψ(θ)", m="2", losses=None, psi_m="3")  # the tab's old name; m named A-softmax's margins
    assert_healthy(at)
    assert url_settings(at).losses == ("softmax", "msoftmax", "asoftmax:2")
    assert at.query_params.get("tab") in (None, "Target logits") and "m" not in at.query_params  # None: the first tab
    assert any(r"\cos 3\theta" in e.value for e in at.get("latex"))


@pytest.mark.slow
def test_the_margin_family_view_draws_each_loss_with_its_slider():
    at = app("Target logits", target_view="The margin family")
    assert_healthy(at)
    keys = {getattr(node, "key", None) for node in at}
    assert {"family_asoftmax", "family_cosface", "family_arcface", "family_lam"} <= keys
    assert at.get("image")
    widget(at, "family_arcface").set_value(0.8)
    at.run()
    assert_healthy(at) and at.query_params["family_arcface"] == "0.8"


def test_the_form_trains_the_margin_family_with_its_margins():
    at = app("About")
    _set_control(at, "losses", ["asoftmax", "cosface", "arcface"])
    at.run()
    widget(at, "form_margins_cosface").set_value([0.2, 0.5])
    widget(at, "form_margins_asoftmax").set_value([2])
    at = _train(at)
    assert_healthy(at)
    assert url_settings(at).losses == ("asoftmax:2", "cosface:0.2", "cosface:0.5", "arcface:0.5")


def test_an_unknown_tab_opens_the_first():
    at = app("Nonsense")
    assert_healthy(at)
    assert at.get("latex")  # the ψ(θ) tab


@pytest.mark.slow
def test_all_bad_params_at_once_still_train_and_plot():
    at = app(
        "Angles",
        m="0",
        classes="100",
        dim="7",
        steps="-1",
        seed="abc",
        lr="nan",
        hidden="x,-3",
        data="faces",
        optimizer=["sgd", "adam"],
    )
    assert_healthy(at)
    assert len(at.warning) >= 8
    assert at.get("image")


# A non-default value for every control of the form.
CHANGES = {
    "data": "blobs",
    "classes": 4,
    "held_out": 3,
    "imbalance": 2.0,
    "overlap": 1.5,
    "dim": 2,
    "losses": ["softmax", "cosface"],
    "scale": 8.0,
    "hidden": "8,8",
    "steps": 40,
    "batch": 32,
    "lr": 0.01,
    "optimizer": "sgd",
    "lambda_base": 100.0,
    "lambda_gamma": 0.5,
    "lambda_power": 1.0,
    "lambda_min": 1.0,
    "seed": 3,
    "seeds": 2,
    "samples": 60,
    "nuisance": 1.0,
}


def widget(at: AppTest, key: str):
    return next(node for node in at if getattr(node, "key", None) == key)


def _set_control(at: AppTest, name: str, value) -> None:
    widget(at, f"form_{name}").set_value(value)


def _train(at: AppTest) -> AppTest:
    next(b for b in at.sidebar.button if b.label == "Train").click()
    return at.run()


def test_every_control_is_in_the_form():
    at = app("About")
    keys = {getattr(node, "key", None) for node in at.sidebar}
    assert {f"form_{name}" for name in LIMITS} <= keys
    assert set(CHANGES) == set(LIMITS)


@pytest.mark.parametrize("name", list(CHANGES))
def test_changing_each_control_changes_the_experiment(name, monkeypatch):
    # The form and the link are what is tested: a server bound of a nanosecond refuses every run, so nothing trains
    # (each control's new value would otherwise compile a program of its own in the background).
    monkeypatch.setenv("SPHERE_TOY_MAX_RUN_SECONDS", "1e-9")
    at = app("About")
    changes = {name: CHANGES[name]}
    if name == "scale":  # s is enabled once a loss that uses it is chosen
        changes = {"losses": CHANGES["losses"], **changes}
        _set_control(at, "losses", CHANGES["losses"])
        at.run()
    _set_control(at, name, CHANGES[name])
    at = _train(at)
    assert not at.exception
    expected = Settings.from_query({**SMALL, **changes})[0]
    assert url_settings(at) == expected
    assert any("Nothing was started" in e.value for e in at.error)  # refused: no run was started


@pytest.mark.slow
def test_changing_every_control_at_once_trains_that_experiment(train_calls):
    at = app("Open-set")
    for name, value in CHANGES.items():
        _set_control(at, name, value)
        if name == "losses":  # shows the margins' controls and enables s
            at.run()
    at = _train(at)
    assert_healthy(at)
    expected = Settings.from_query(CHANGES)[0]
    assert url_settings(at) == expected
    trained = [(net.hidden, net.feature_dim, net.n_classes, net.input_dim) for net in train_calls]
    assert trained[-1] == ((8, 8), 2, 4, 32)  # blobs live in 32-D
    assert trained.count(trained[-1]) == expected.seeds  # one run: a network per seed
    assert at.get("image")  # the ROC of the 3 held-out blobs


def test_a_cross_field_correction_from_the_form_is_explained():
    at = app("About")
    _set_control(at, "classes", 9)  # 9 digits trained leaves one to hold out, not 4
    at = _train(at)
    assert any("held_out = 4 is too many" in w for w in shown_warnings(at))
    assert url_settings(at).held_out == 1
    assert at.number_input(key="form_held_out").value == 1


@pytest.mark.parametrize(
    "name, value, words",
    [
        ("hidden", "wide, deep", "hidden 'wide' is not a number; dropping it"),
        (
            "hidden",
            "0,300",
            "hidden = 0 is out of range 1..256; using 1 (and 1 more problem with hidden); using hidden = 1,256",
        ),
        ("losses", [], "losses has no valid value; using softmax,msoftmax,asoftmax:1"),
    ],
)
def test_bad_form_input_gives_a_warning_not_an_exception(name, value, words):
    at = app("About")
    _set_control(at, name, value)
    at = _train(at)
    assert not at.exception
    assert any(words in w for w in shown_warnings(at)), shown_warnings(at)
    assert url_settings(at) == Settings.from_query({**SMALL, name: value})[0]  # the nearest valid experiment ran
    _move_on(at)


@pytest.mark.parametrize("name", list(PRESETS))
def test_each_preset_sets_the_experiment_and_says_what_to_look_at(name):
    at = app("About")
    next(b for b in at.sidebar.button if b.label == name).click()
    at = at.run()
    assert not at.exception
    assert url_settings(at) == PRESETS[name].settings
    assert any(PRESETS[name].description in i for i in texts(at.info))
    assert at.number_input(key="form_steps").value == PRESETS[name].settings.steps
    _move_on(at)


@pytest.mark.slow
def test_the_2d_preset_trains_and_draws_features():
    at = app("Features")
    next(b for b in at.sidebar.button if b.label == "Paper Fig. 2: 2-D features").click()
    at = at.run()
    assert_healthy(at)
    assert at.get("image") and not at.get("plotly_chart")
    assert [b.label for b in at.get("download_button")].count("Download PNG") == 1


def _plotly_points(chart) -> int:
    spec = json.loads(chart.proto.spec)
    total = 0
    for trace in spec["data"]:
        if trace["type"] == "scatter3d" and trace.get("mode") == "markers":
            x = trace["x"]  # a list, or plotly's typed array {"dtype": "f8", "bdata": base64}
            total += len(x) if isinstance(x, list) else np.frombuffer(base64.b64decode(x["bdata"]), x["dtype"]).size
    return total


@pytest.mark.slow
def test_standard_workload_3d_sphere_carries_every_training_and_held_out_point():
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params["tab"] = "Features"
    at = at.run()  # no experiment in the URL: the standard workload of the core issue
    assert_healthy(at)
    assert url_settings(at) == Settings()
    data = load(Settings().data_config())
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    assert _plotly_points(charts[0]) == len(data.y_train) + len(data.y_open)
    assert not at.get("image")  # the static picture for slides is drawn when asked for, not for every run
    at.toggle(key="slides").set_value(True).run()
    assert_healthy(at)
    assert len(at.get("image")) == 1
    assert any(b.proto.label == "Download PNG" for b in at.get("download_button"))


def test_a_diverged_run_says_so_instead_of_plotting():
    at = app("Features", optimizer="sgd", lr="10", steps="100")
    assert not at.exception
    errors = texts(at.error)
    assert errors and all(
        "training diverged at step" in e and "lower the learning rate or raise λ_min" in e for e in errors
    )
    assert not at.get("image") and not at.get("plotly_chart")


@pytest.mark.slow
def test_view_changes_never_retrain(train_calls):
    at = app("Angles", seed="11")
    assert_healthy(at)
    first = len(train_calls)
    assert first <= 1
    at.segmented_control(key="model").set_value("softmax")
    at = at.run()
    at.slider(key="bins").set_value(18)
    at = at.run()
    assert_healthy(at)
    assert at.segmented_control(key="model").value == "softmax"
    for tab in ("Compare", "Training", "Features"):
        assert_healthy(app(tab, seed="11", model="softmax"))
    assert len(train_calls) == first


def test_play_shows_the_animation_with_one_frame_per_snapshot_and_a_gif_download():
    at = app("Training", seed="11", model="A-softmax m=4")
    assert_healthy(at)
    assert not at.get("plotly_chart")  # the scrubbed frame, as a picture
    at.toggle(key="play").set_value(True)
    at = at.run()
    assert_healthy(at)
    (chart,) = at.get("plotly_chart")
    figure = json.loads(chart.proto.spec)
    names = [f["name"] for f in figure["frames"]]
    assert names[0] == "step 0" and names[-1] == f"step {SMALL['steps']}"  # from the start to the end of training
    assert [s["label"] for s in figure["layout"]["sliders"][0]["steps"]] == [n.removeprefix("step ") for n in names]
    assert any(b.label == "Download GIF" for b in at.get("download_button"))


def test_psi_tab_never_waits_for_the_run_and_shows_its_progress(monkeypatch):
    release, real = threading.Event(), sphere_toy.train.grid.init_params

    def held(net, *, key):  # the run cannot finish until the test says so
        assert release.wait(120)
        return real(net, key=key)

    monkeypatch.setattr(sphere_toy.train.grid, "init_params", held)
    try:
        at = app("Target logits", seed="12")
        assert_healthy(at)
        assert at.get("image") and at.get("latex")  # drawn while the run is still going
        assert at.get("progress")  # the run's progress, in the background
        at.slider(key="psi_m").set_value(3)
        at = at.run()
        assert_healthy(at)
        assert any(r"\cos 3\theta" in e.value for e in at.get("latex"))
    finally:
        release.set()
    for _ in range(240):  # once the run is done, the next rerun collects it and shows its summary instead
        at = at.run()
        if any("models trained in" in c for c in texts(at.caption)):
            break
        time.sleep(0.5)
    else:
        raise AssertionError("the finished run was never collected on the ψ tab")
    assert_healthy(at)
    assert not at.get("progress")


def test_several_sessions_share_one_run(train_calls):
    sessions = [app("Compare", seed="13") for _ in range(3)]
    for at in sessions:
        assert_healthy(at)
    assert len(train_calls) == 1


def test_a_room_on_one_experiment_all_receive_the_run_and_a_queued_page_names_the_run_ahead(monkeypatch):
    """Several sessions open one link while it trains; another session's experiment queues behind it. Every session
    receives the run when it ends, in whatever order they rerun, and the run trains once."""
    release, real, trained = threading.Event(), sphere_toy.train.grid.init_params, []

    def held(net, *, key):  # the run cannot finish until the test says so
        trained.append(net)
        assert release.wait(120)
        return real(net, key=key)

    monkeypatch.setattr(sphere_toy.train.grid, "init_params", held)
    try:
        room = [app("Target logits", seed="15") for _ in range(3)]
        for at in room:
            assert_healthy(at)
            (bar,) = at.get("progress")
            assert "waiting for" not in bar.proto.text  # this run is the one training
        late = app("About", seed="16")  # a different experiment: queued behind the room's run, and told so
        (bar,) = late.get("progress")
        assert bar.proto.text.startswith("Place 2 in the queue: waiting for 1 run ahead of this one"), bar.proto.text
        assert "seed 15" in bar.proto.text and "This run starts after it." in bar.proto.text
    finally:
        release.set()
    pending = room + [late]
    for _ in range(240):  # each session reruns (in turn, as their pollers would) until it shows its run
        for at in list(pending):
            at.run()
            assert not at.exception
            if any("models trained in" in c for c in texts(at.caption)):
                assert not at.get("progress")
                pending.remove(at)
        if not pending:
            break
        time.sleep(0.25)
    else:
        raise AssertionError(f"{len(pending)} sessions never received their run")
    assert len(trained) == 2  # seed 15 once for the whole room, then seed 16


def test_an_edited_form_says_it_is_not_applied_until_train():
    at = app("About")
    assert not [w for w in shown_warnings(at) if w.startswith("Not applied yet")]
    _set_control(at, "steps", 80)
    _set_control(at, "lr", 0.01)
    at = at.run()
    (pending,) = [w for w in shown_warnings(at) if w.startswith("Not applied yet")]
    assert LIMITS["steps"].label in pending and LIMITS["lr"].label in pending
    assert url_settings(at).steps == int(SMALL["steps"])  # the run on screen has not changed
    at = _train(at)
    assert not [w for w in shown_warnings(at) if w.startswith("Not applied yet")]
    assert url_settings(at).steps == 80


@pytest.mark.parametrize("tab", ["Target logits", "Features", "Compare", "Open-set"])
def test_presentation_mode_folds_the_explanations_under_the_figures(tab):
    normal, present = app(tab), app(tab, present="1")
    for at in (normal, present):
        assert_healthy(at)
        assert at.get("plotly_chart") if tab == "Features" else at.get("image")  # in 3-D: the rotatable sphere
    assert at.toggle(key="present").value is True
    assert not normal.toggle(key="present").value
    folded = [e for e in present.get("expander") if e.label == "What am I looking at?"]
    assert folded and not [e for e in normal.get("expander") if e.label == "What am I looking at?"]
    explained = {c.value for c in normal.caption} - {c.value for c in present.caption}
    assert explained  # the captions of the normal page are what presentation mode folds away


def test_presentation_mode_is_a_switch_that_writes_the_link():
    at = app("Compare")
    at.toggle(key="present").set_value(True)
    at = at.run()
    assert_healthy(at)
    assert at.query_params["present"] == ["1"] or at.query_params["present"] == "1"
    at.toggle(key="present").set_value(False)
    at = at.run()
    assert "present" not in at.query_params


@pytest.mark.slow
def test_the_open_set_lab_answers_over_seeds_in_words_from_the_numbers():
    at = app("Open-set", seeds="3")
    assert_healthy(at)
    info = " ".join(e.value for e in at.info)
    assert "over 3 seeds" in info and "A-softmax m=4 vs M-softmax" in info
    assert len(at.get("image")) >= 3  # the seeds' AUCs, the held-out pairs, the ROC
    at = app("Features", seeds="3")  # the other tabs show the first seed's models only
    assert [o for o in widget(at, "model").options] == ["softmax", "M-softmax", "A-softmax m=1", "A-softmax m=4"]


@pytest.mark.slow
@pytest.mark.parametrize("tab", ["Features", "Angles", "Training"])
def test_features_of_16_dimensions_are_measured_and_never_drawn(tab):
    at = app(tab, dim="16")
    assert_healthy(at)
    if tab in ("Features", "Angles", "Training"):
        assert any("needs 2-D or 3-D features; this run has 16-D features" in e.value for e in at.info)
    if tab != "Features":
        assert at.get("image")  # angles, curves and verification work at any dimension


@pytest.mark.slow
def test_imbalanced_classes_show_each_models_prior_measured_on_the_run():
    at = app("Features", data="blobs", dim="2", imbalance="20", optimizer="sgd", lr="0.01")
    assert_healthy(at)
    text = " ".join(m.value for m in at.markdown)
    assert "rank correlation with class size" in text and "softmax:" in text
    (table,) = [d for d in at.dataframe if "training samples" in d.value.columns]
    sizes = table.value["training samples"].dropna().tolist()
    assert sizes == sorted(sizes, reverse=True) and sizes[0] >= 10 * sizes[-1]  # class 0 largest, 20x the last


def test_a_run_over_the_servers_bound_is_refused_before_anything_starts(train_calls):
    huge = {
        "steps": "20000",
        "batch": "1024",
        "hidden": "256,256,256,256",
        "classes": "10",
        "held_out": "0",
        "m": "1,2,3,4,5,6",
        "losses": None,
    }  # 26 minutes of training on 2 cores before the bound existed
    at = app("Compare", **huge)
    assert not at.exception
    (error,) = [e.value for e in at.main.error]  # the sidebar says it too, beside the form
    assert "this server allows 60 s" in error and "Training steps (20000)" in error
    assert "Nothing was started" in error and train_calls == []  # nothing trained, nothing queued
    at = app("Compare")  # and the room's other runs go on as usual
    assert_healthy(at) and at.get("image")
    assert any("This run: ≈" in c.value for c in at.sidebar.caption)  # the form says what a run will cost


def test_a_cancelled_run_is_no_longer_asked_for_and_can_be_asked_again(train_calls):
    at = AppTest.from_file(APP, default_timeout=180)
    at.query_params.update({**SMALL, "seed": "31", "tab": "Compare"})
    at.session_state["_cancelled"] = Settings.from_query({**SMALL, "seed": "31"})[0]  # as the Cancel button sets it
    at.run()
    assert not at.exception and train_calls == []  # this page asks for nothing: the queue drops what nobody wants
    assert any("Cancelled" in i.value for i in at.info)
    next(b for b in at.button if b.key == "uncancel").click()
    at.run()
    assert_healthy(at) and at.get("image")
    assert len(train_calls) == 1  # asked again: trained


def test_watching_a_run_that_diverges_while_it_trains_says_so_and_never_breaks_the_page():
    """The live picture of a run whose model diverged mid-run is skipped; the page ends with the diverged message."""
    at = app("Features", optimizer="sgd", lr="10", steps="6000", seed="41")
    assert not at.exception, texts(at.exception)
    assert any("diverged" in e.value for e in at.error)


@pytest.mark.slow
def test_live_pictures_reach_the_page_while_the_run_trains(monkeypatch):
    """While a run trains, the Features tab sends the run so far to the page (a caption naming its step, and its
    picture), more than once as the run goes on; the final picture replaces them. Every message the page would
    receive is read as the script sends it (the final page keeps only the last state of each element)."""
    sent, bars = [], []
    enqueue = ForwardMsgQueue.enqueue

    def recording(queue, msg):
        element = msg.delta.new_element if msg.HasField("delta") else None
        if element is not None and element.HasField("markdown") and "**Live:**" in element.markdown.body:
            sent.append(("live", int(re.search(r"at step (\d+) of", element.markdown.body).group(1))))
        elif element is not None and element.HasField("imgs") and sent and sent[-1][0] == "live":
            sent.append(("picture", sent[-1][1]))
        elif element is not None and element.HasField("progress"):
            bars.append(element.progress.text)
        return enqueue(queue, msg)

    monkeypatch.setattr(ForwardMsgQueue, "enqueue", recording)
    # The run waits for the page, whatever the machine. After its first chunk, until the page has shown that step
    # twice: its polls are half a second apart, so the run's pace leaves a live picture worth drawing (none is drawn
    # in a run's last 2 s). After its second and third chunks, until the page has sent a picture of each.
    train_experiments = sphere_toy.train.grid.train_experiments

    def watched(experiments, progress=None):
        chunks = []

        def held(done, total, so_far=None):
            progress(done, total, so_far)
            chunks.append(done)
            if len(chunks) == 1:
                _until(lambda: sum(f"step {done} of {total}" in text for text in bars) >= 2, "the page's polls")
            elif len(chunks) <= 3:
                _until(lambda: sum(kind == "picture" for kind, _ in sent) >= len(chunks) - 1, "a live picture")

        return train_experiments(experiments, None if progress is None else held)

    monkeypatch.setattr(sphere_toy.train.grid, "train_experiments", watched)
    at = app("Features", dim="3", steps="4000", hidden="32", losses="softmax,asoftmax:4", seed="44")
    assert_healthy(at)
    steps = [step for kind, step in sent if kind == "live"]
    assert len(steps) >= 2 and steps == sorted(steps) and len(set(steps)) == len(steps), sent  # it moves
    assert all(0 < step < 4000 for step in steps)  # each one the run so far, never the end
    assert [step for kind, step in sent if kind == "picture"] == steps  # each caption with its picture
    shown = texts([*at.markdown, *at.caption, *at.success, *at.info])
    assert not any("**Live:**" in text for text in shown)  # the final picture replaced them
    assert at.get("plotly_chart") and any("2 models trained in" in text for text in shown)  # the final 3-D view


def test_each_view_draws_the_controls_the_table_names():
    """`views.View.controls` are the URL keys of controls the view really draws, over its variants (ψ and the margin
    family; 3-D and 2-D features): a control renamed or removed on the page fails here, not in a lesson's link."""
    variants = {"Target logits": [{}, {"target_view": views.FAMILY_VIEW}], "Features": [{}, {"dim": "2"}]}
    for view in map(views.view, views.TABS):
        drawn = set()
        for params in variants.get(view.name, [{}]):
            at = app(view.name, **params)
            assert not at.exception, [e.value for e in at.exception]
            drawn |= {getattr(node, "key", None) for node in at.main}
        assert set(view.controls) <= drawn, (view.name, sorted(set(view.controls) - drawn))
