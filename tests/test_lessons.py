"""The lesson path: every step opens a view the app has, asks for runs the server allows, and says what the run shows.

Each notice is checked against the same numbers computed here another way (NumPy loops, the paper's formulas,
sklearn), and against a doctored run in which the expected effect is absent: the sentence must not claim it. The
runs are the steps' own, shortened to 300 steps; the two the app trains first come from the shared `app_runs`.
"""

import ast
import dataclasses
import importlib.util
import math
import pathlib
import re

import numpy as np
import pytest
from scipy.stats import spearmanr
from sklearn.metrics import roc_auc_score

from sphere_toy import lessons, views
from sphere_toy.serving import cost
from sphere_toy.analysis import metrics
from sphere_toy.experiment import PRESETS, Settings

SHORT = 300  # steps of the test runs
FIG2 = PRESETS["Paper Fig. 2: 2-D features"].settings


def _short(settings: Settings) -> Settings:
    return settings.replace(steps=SHORT)


@pytest.fixture(scope="module")
def trained(app_runs):
    """A function from a step to its results: each distinct experiment trained once, at 300 steps."""
    from sphere_toy.serving.jobs import train_settings

    cache = {_short(Settings()): app_runs[3], _short(FIG2): app_runs[2]}

    def results(step: lessons.Step):
        out = []
        for settings in lessons.runs(step):
            key = _short(settings)
            if key not in cache:
                cache[key] = train_settings(key)
            out.append(cache[key])
        return tuple(out)

    return results


def _step(key: str) -> lessons.Step:
    return next(s for s in lessons.STEPS if s.key == key)


def _numbers(pattern: str, text: str) -> list[float]:
    """The numbers in a sentence where a regular expression has `#` (a signed decimal), in order."""
    found = re.search(pattern.replace("#", r"([+-]?\d+(?:\.\d+)?)"), text)
    assert found, (pattern, text)
    return [float(g) for g in found.groups()]


def _has_bound() -> bool:
    return importlib.util.find_spec("sphere_toy.analysis.mbound") is not None


def _steps_with_runs():
    return [s for s in lessons.STEPS if s.key != "m-bound" or _has_bound()]


# ---- the steps as data ----


def test_nine_steps_in_the_notes_order_with_stable_keys():
    assert [s.key for s in lessons.STEPS] == [
        "open-set-intro",
        "softmax-boundary",
        "m-softmax",
        "a-softmax-margin",
        "psi-monotone",
        "lambda-annealing",
        "m-bound",
        "open-set-verification",
        "take-home",
    ]


def test_every_step_opens_a_view_of_the_app():
    for s in lessons.STEPS:
        assert s.view in views.BY_NAME, s.key
    assert _step("m-bound").view == views.BOUND.name


def test_options_are_controls_of_the_steps_view_that_the_app_keeps_in_its_url():
    for s in lessons.STEPS:
        assert set(s.option) <= set(views.view(s.view).controls), s.key
        if "model" in s.option:  # the model named exists in the run the view shows
            assert s.option["model"] in [spec.name for spec in lessons.runs(s)[0].specs()], s.key
    psi = _step("psi-monotone").option
    assert psi["target_view"] == views.PSI_VIEW and 1 <= psi["psi_m"] <= 8


def test_every_run_is_valid_shared_with_the_sandbox_and_within_the_servers_bound():
    presets = {p.settings for p in PRESETS.values()}
    largest = max(cost.raw_estimate(p.settings) for p in PRESETS.values())
    for s in _steps_with_runs():
        runs = lessons.runs(s)
        assert len(runs) <= 2, s.key
        for settings in runs:
            assert isinstance(settings, Settings) and not settings.problems()
            assert cost.raw_estimate(settings) <= min(largest, cost.DEFAULT_MAX_RUN_SECONDS), s.key
            if s.key != "m-bound":  # a preset, or (λ annealing) a preset with only λ_min changed
                assert settings in presets or settings.replace(lambda_min=FIG2.lambda_min) in presets, s.key
    assert lessons.runs(_step("psi-monotone")) == ()


def test_texts_questions_and_answers_are_there_and_short():
    for s in lessons.STEPS:
        words = len(s.text.split())
        assert 60 <= words <= 150, (s.key, words)
        assert s.text.count("$") % 2 == 0, s.key  # every formula closed
        assert s.title and s.question.endswith("?") and len(s.answer.split()) >= 15, s.key


# What the lesson's words may not say, in either language: each was once written, and each says more than the paper,
# the losses or the runs on screen show (issue 24). (pattern, why)
OVERSTATEMENTS = (
    (r"m\s*(≥|\\ge)\s*(2\s*\+|3(?!\d))", "the bound on m is strict (Definition 1): m = 3 fails, as mbound checks"),
    (r"from near softmax|從接近 softmax", "annealing starts near M-softmax: with ‖W‖ = 1 and b = 0, large λ is cos θ"),
    (r"evenly spread.{0,40}2 \+|均勻分布.{0,40}2 \+", "2 + √3 is the two-class worst case, not evenly spread"),
    (r"actually starts to hold|實際上從哪裡開始成立", "the check finds no m where max < min starts to hold"),
)


def _lesson_words(lang: str) -> list[str]:
    from sphere_toy import i18n

    with i18n.using(lang):
        return [i18n._(text) for s in lessons.STEPS for text in (s.text, s.question, s.answer)]


@pytest.mark.parametrize("lang", ["en", "zh-TW"])
def test_the_lesson_says_no_more_than_the_paper_and_the_runs_show(lang):
    from sphere_toy import i18n

    texts = _lesson_words(lang)
    about = i18n.localized_path(pathlib.Path(lessons.__file__).parent.parent / "about.md", lang).read_text()
    for pattern, why in OVERSTATEMENTS:
        found = [t[:80] for t in [*texts, about] if re.search(pattern, t)]
        assert not found, f"{why}: {found}"
    assert "tab ψ(θ)" not in about  # the tab is Target logits


def test_the_strict_bound_is_what_mbound_computes():
    """The text's m > 3 and m > 2 + √3 are strict: at m = 3 the many-class criterion is an equality, not met."""
    from sphere_toy.analysis import mbound

    intra, inter = mbound.many_class_angles(3.0, math.pi / 3)
    assert math.isclose(float(intra), float(inter))  # max intra = min inter: the criterion (<) fails
    assert mbound.smallest_m(mbound.two_class_angles) == pytest.approx(2 + math.sqrt(3), rel=1e-6)
    text = lessons.step_by_key("m-bound").text
    assert "m > 2 + \\sqrt{3}" in text and "m > 3" in text


def test_about_names_every_dataset():
    from sphere_toy import i18n
    from sphere_toy.data import SOURCES

    words = {
        "en": {"digits": "digits", "blobs": "blobs", "identities": "identities"},
        "zh-TW": {"digits": "手寫數字", "blobs": "高斯團", "identities": "合成身分"},
    }
    for lang, names in words.items():
        about = i18n.localized_path(pathlib.Path(lessons.__file__).parent.parent / "about.md", lang).read_text()
        assert set(names) == set(SOURCES) and all(word in about for word in names.values()), lang


def test_no_preset_note_states_a_verdict_its_run_has_not_measured():
    """A preset's note is fixed text: it says where to look, never what one run found (which a seed can change)."""
    for name, preset in PRESETS.items():
        assert not re.search(r"\bholds for\b|\bis met\b", preset.description), name


def test_every_user_visible_string_is_a_whole_literal_marked_for_translation():
    """Babel extracts only literal messages: every _() and N_() call takes one string literal, and every Step's
    title, text, question and answer is an N_() call (none built from pieces, none an f-string)."""
    package = pathlib.Path(lessons.__file__).parent
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in package.glob("*.py")]
    calls = [n for tree in trees for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)]
    marked = [n for n in calls if n.func.id in ("_", "N_")]
    assert len(marked) > 50
    for call in marked:
        assert len(call.args) == 1 and isinstance(call.args[0], ast.Constant) and isinstance(call.args[0].value, str)
    steps = [n for n in calls if n.func.id == "Step"]
    assert len(steps) == len(lessons.STEPS)
    for call in steps:
        kwargs = {k.arg: k.value for k in call.keywords}
        for name in ("title", "text", "question", "answer"):
            assert isinstance(kwargs[name], ast.Call) and kwargs[name].func.id == "N_", name


@pytest.mark.parametrize(
    "asked, number",
    [
        (1, 1),
        (9, 9),
        (0, 1),
        (-3, 1),
        (100, 9),
        ("4", 4),
        (" 2 ", 2),
        ("2.6", 3),
        ("abc", 1),
        ("", 1),
        (None, 1),
        (float("nan"), 1),
        ("inf", 9),
        ("-inf", 1),
        ([3], 1),
        ("1e999", 9),
    ],
)
def test_step_lookup_clamps_and_never_raises(asked, number):
    assert lessons.index(asked) == number
    assert lessons.step(asked) is lessons.STEPS[number - 1]


def test_steps_are_hashable_and_frozen():
    s = lessons.STEPS[0]
    assert hash(s) == hash(s)
    with pytest.raises(dataclasses.FrozenInstanceError):
        s.title = "x"
    with pytest.raises(TypeError):
        s.option["model"] = "M-softmax"


# ---- the notices against the runs ----


def test_open_set_intro_states_the_runs_accuracy_and_open_set_auc(trained):
    s = _step("open-set-intro")
    (result,) = trained(s)
    text = s.notice((result,))
    g = 0
    assert result.specs[g].name == "softmax"
    w, b, data = result.weights[g], result.bias[g], result.data
    acc = np.mean(np.argmax(result.test_features[g] @ w + b, axis=1) == data.y_test)
    assert _numbers(r"classifies #%", text) == [round(100 * acc, 1)]
    cos, same = metrics.pair_cosines(result.open_features[g], data.y_open)
    assert _numbers(r"AUC of #", text) == pytest.approx([roc_auc_score(same, cos)], abs=6e-4)
    cos, same = metrics.pair_cosines(data.x_open, data.y_open)
    raw = roc_auc_score(same, cos)
    assert _numbers(r"raw inputs, with no net at all, scores #", text) == pytest.approx([raw], abs=6e-4)
    assert ("carry over" in text) == (_numbers(r"AUC of #", text)[0] > raw)


def _regions_by_angle(w, b, radius, n=3600):
    """Widths in degrees of each class's region on a circle, by a plain argmax over the circle's points."""
    widths = np.zeros(w.shape[1])
    for t in (np.arange(n) + 0.5) * 2 * np.pi / n:
        x = radius * np.array([math.cos(t), math.sin(t)])
        widths[np.argmax(x @ w + b)] += 360 / n
    return widths


def _borders(result, g):
    """Neighbouring classes on the circle at the median feature length, and the distance of their border line from
    the origin measured as the length of its nearest point x0 (which has equal logits: checked)."""
    w, b = result.weights[g].astype(np.float64), result.bias[g].astype(np.float64)
    r = np.median(np.linalg.norm(result.train_features[g], axis=1))
    t = (np.arange(3600) + 0.5) * 2 * np.pi / 3600
    pred = np.argmax(r * np.stack([np.cos(t), np.sin(t)], 1) @ w + b, axis=1)
    out = {}
    for p, q in {tuple(sorted((int(p), int(q)))) for p, q in zip(pred, np.roll(pred, 1)) if p != q}:
        dw, db = w[:, p] - w[:, q], b[p] - b[q]
        x0 = -db * dw / (dw @ dw)
        assert x0 @ w[:, p] + b[p] == pytest.approx(x0 @ w[:, q] + b[q], abs=1e-9)
        out[p, q] = float(np.linalg.norm(x0))
    return out, r


def test_softmax_boundary_measures_the_borders_offsets(trained):
    s = _step("softmax-boundary")
    (result,) = trained(s)
    text = s.notice((result,))
    offsets, r = _borders(result, 0)
    norms = np.linalg.norm(result.weights[0], axis=0)
    assert _numbers(r"‖W_j‖ of softmax run from # to #", text) == pytest.approx([norms.min(), norms.max()], abs=0.006)
    assert _numbers(r"miss the origin by # to #", text) == pytest.approx(
        [min(offsets.values()), max(offsets.values())], abs=0.006
    )
    assert _numbers(r"median length of #", text) == pytest.approx([r], abs=0.06)
    widths = _regions_by_angle(result.weights[0], result.bias[0], max(offsets.values()) / 2)
    names = [result.data.class_names[j] for j in np.flatnonzero(widths < 1e-9)]
    assert ("win no part" in text) == bool(names) and all(name in text for name in names)


def test_softmax_boundary_does_not_claim_a_shift_that_equal_biases_do_not_make(trained):
    s = _step("softmax-boundary")
    (result,) = trained(s)
    text = s.notice((dataclasses.replace(result, bias=np.zeros_like(result.bias)),))
    assert "pass through the origin" in text and "miss the origin" not in text


def test_m_softmax_regions_do_not_depend_on_the_length_of_x(trained):
    s = _step("m-softmax")
    (result,) = trained(s)
    text = s.notice((result,))
    g = 1
    assert result.specs[g].name == "M-softmax"
    off = np.max(np.abs(np.linalg.norm(result.weights[g].astype(np.float64), axis=0) - 1))
    assert _numbers(r"within ([\d.e+-]+)\)", text) == [float(f"{max(off, 1e-12):.0e}")]
    small = max(_borders(result, 0)[0].values()) / 2
    change = np.max(
        np.abs(
            _regions_by_angle(result.weights[g], result.bias[g], small)
            - _regions_by_angle(result.weights[g], result.bias[g], result.feature_scale(g))
        )
    )
    soft = np.max(
        np.abs(
            _regions_by_angle(result.weights[0], result.bias[0], small)
            - _regions_by_angle(result.weights[0], result.bias[0], result.feature_scale(0))
        )
    )
    assert change < 0.5 and "only the angle decides" in text and "passes through the origin" in text
    assert _numbers(r"Softmax's regions differ by up to #°", text) == pytest.approx([soft], abs=0.06)


def test_m_softmax_with_a_bias_is_not_said_to_decide_by_angle(trained):
    s = _step("m-softmax")
    (result,) = trained(s)
    bias = result.bias.copy()
    bias[1] = result.bias[0] * 20  # M-softmax given (a large multiple of) softmax's biases
    text = s.notice((dataclasses.replace(result, bias=bias),))
    assert "only the angle decides" not in text and "the length of x matters too" in text
    assert "miss the origin" in text and "passes through the origin" not in text


def _psi(theta, m):
    """The paper's ψ, written out: (−1)^k cos(mθ) − 2k on [kπ/m, (k+1)π/m]."""
    k = np.clip(np.floor(theta * m / np.pi), 0, m - 1)
    return (-1.0) ** k * np.cos(m * theta) - 2 * k


def _theta_y(result, g):
    return math.degrees(np.mean(metrics.target_angles(result.test_features[g], result.weights[g], result.data.y_test)))


def _clear_of_margin(result, g, m):
    """Share of test samples with ψ(θ_y) > cos θ_j for every other class j (the ‖x‖ on both sides cancels)."""
    x = result.test_features[g] / np.linalg.norm(result.test_features[g], axis=1, keepdims=True)
    w = result.weights[g] / np.linalg.norm(result.weights[g], axis=0)
    cos, y = np.clip(x @ w, -1, 1), result.data.y_test
    own = _psi(np.arccos(cos[np.arange(len(y)), y]), m)
    cos[np.arange(len(y)), y] = -np.inf
    return np.mean(own > cos.max(axis=1))


def test_a_softmax_notice_states_theta_y_weight_angles_and_the_margin_zone(trained):
    s = _step("a-softmax-margin")
    (result,) = trained(s)
    text = s.notice((result,))
    base, g = 1, 2
    assert result.specs[g].name == "A-softmax m=4"
    before, after = (
        _numbers(r"from #° with M-softmax to #°", text)
        if "fell" in text
        else _numbers(r"#° with M-softmax, #° with A-softmax m=4", text)
    )
    assert [before, after] == pytest.approx([_theta_y(result, base), _theta_y(result, g)], abs=0.051)
    angles = [math.degrees(metrics.min_weight_angle(result.weights[k])) for k in (g, base)]
    assert _numbers(r"#° apart with A-softmax m=4, against #°", text) == pytest.approx(angles, abs=0.051)
    assert _numbers(
        r"m = 4, #% of A-softmax m=4's test samples are clear of the margin zone, against "
        r"#%",
        text,
    ) == pytest.approx(
        [100 * _clear_of_margin(result, g, 4), 100 * _clear_of_margin(result, base, 4)], abs=1.1
    )  # ± a sample


def test_a_softmax_notice_does_not_claim_an_effect_the_run_does_not_show(trained):
    s = _step("a-softmax-margin")
    (result,) = trained(s)
    swap = [0, 2, 1]  # M-softmax's features and weights where A-softmax's were, and the other way round
    text = s.notice(
        (dataclasses.replace(result, test_features=result.test_features[swap], weights=result.weights[swap]),)
    )
    assert "did not fall" in text and "fell from" not in text
    assert "did not move apart" in text


def test_a_diverged_model_is_said_to_have_diverged(trained):
    for key, g in (("open-set-intro", 0), ("softmax-boundary", 0), ("m-softmax", 1), ("a-softmax-margin", 2)):
        s = _step(key)
        (result,) = trained(s)
        nan_step = result.nan_step.copy()
        nan_step[g] = 42
        text = s.notice((dataclasses.replace(result, nan_step=nan_step),))
        assert "diverged at step 42" in text and "%" not in text, key


def test_psi_notice_is_the_papers_formula_and_the_decoded_sign_trick():
    text = _step("psi-monotone").notice(())
    ends = np.arange(5) * np.pi / 4
    assert _numbers(r"ψ is #, #, #, #, #", text) == pytest.approx(_psi(ends, 4), abs=0.006)
    assert _numbers(r"climbs back to # at θ = (\d+)°", text) == pytest.approx([1.0, 90.0], abs=0.006)
    theta = (np.arange(4) + 0.5) * np.pi / 4  # the notes' s3 and s4 in each interval
    s3 = np.sign(np.cos(theta)) * np.sign(np.cos(2 * theta))
    assert _numbers(r"s3 .* is #, #, #, # and", text) == list(s3)
    assert _numbers(r"s4 .* is #, #, #, #:", text) == list(2 * np.sign(np.cos(theta)) + s3 - 3)
    assert "exactly (−1)ᵏ and −2k" in text
    assert _numbers(r"differ by at most ([\d.e+-]+)\.", text)[0] < 1e-5


def test_lambda_notice_follows_the_schedule_and_compares_the_two_floors(trained):
    s = _step("lambda-annealing")
    results = trained(s)
    assert [r.config.lambda_min for r in results] == [0.0, 5.0]
    text = s.notice(results)
    c = results[0].config
    lam = c.lambda_base * (1 + c.lambda_gamma / SHORT * np.arange(SHORT)) ** -c.lambda_power  # steps 0..299
    crossing = int(np.argmax(lam < 1)) + 1  # history counts steps from 1
    assert _numbers(r"fell below 1 at step (\d+) of (\d+)", text) == [crossing, SHORT]
    for floor in (0, 5):  # a sample at 45° must be arccos(t) from the other class, t = (λ cos θ + ψ(θ)) / (1 + λ)
        end = max(floor, lam[-1])
        t = (end * math.cos(math.pi / 4) + _psi(np.pi / 4, 4)) / (1 + end)
        need = math.degrees(math.acos(t))
        assert _numbers(
            rf"With λ_min = {floor}, training ended at λ = [\d.]+: a sample 45° from its own class must "
            r"then be (\d+)° from the other class, as if m were #",
            text,
        ) == pytest.approx([need, need / 45], abs=0.51)
    low, high = _theta_y(results[0], 2), _theta_y(results[1], 2)
    assert _numbers(r"θ_y is #° with λ_min = 0 and #° with λ_min = 5", text) == pytest.approx([low, high], abs=0.051)
    assert ("gave some of the margin back" in text) == (high > low)


def test_lambda_notice_does_not_claim_a_loss_of_margin_that_is_not_there(trained):
    s = _step("lambda-annealing")
    zero, five = trained(s)
    same = dataclasses.replace(five, test_features=zero.test_features, weights=zero.weights)
    text = s.notice((zero, same))
    assert "gave some of the margin back" not in text and "did not loosen" in text


def _aucs(result, g, features=None):
    cos, same = metrics.pair_cosines(result.open_features[g] if features is None else features, result.data.y_open)
    return roc_auc_score(same, cos)


@pytest.mark.slow
def test_open_set_notice_states_every_losss_auc_over_the_seeds(trained):
    s = _step("open-set-verification")
    (result,) = trained(s)
    text = s.notice((result,))
    for name in ("softmax", "M-softmax", "A-softmax m=2", "A-softmax m=4"):
        models = [g for g, spec in enumerate(result.specs) if spec.name == name]
        aucs = [_aucs(result, g) for g in models]
        mean, sd = _numbers(rf"(?:: |; ){re.escape(name)} # ± #", text)
        assert [mean, sd] == pytest.approx([np.mean(aucs), np.std(aucs, ddof=1)], abs=6e-4), name
    raw = _aucs(result, 0, result.data.x_open)
    assert _numbers(r"raw inputs scores #", text) == pytest.approx([raw], abs=6e-4)
    for name in ("A-softmax m=2", "A-softmax m=4"):
        diffs = [
            _aucs(result, g) - _aucs(result, b)
            for g, b in zip(
                [g for g, spec in enumerate(result.specs) if spec.name == name],
                [g for g, spec in enumerate(result.specs) if spec.name == "M-softmax"],
            )
        ]
        sentence = next(part for part in text.split(". ") if part.startswith(name))
        assert ("helps verification" in sentence) == all(d > 0 for d in diffs), sentence
        assert ("scores below" in sentence) == all(d < 0 for d in diffs), sentence


def test_open_set_notice_calls_a_tie_neither_a_gain_nor_a_loss(trained):
    s = _step("open-set-verification")
    (result,) = trained(s)
    copy = result.open_features.copy()
    for g, spec in enumerate(result.specs):  # every A-softmax m=4 model verifies exactly as its M-softmax does
        if spec.name == "A-softmax m=4":
            twin = next(k for k, t in enumerate(result.specs) if t.name == "M-softmax" and t.seed == spec.seed)
            copy[g] = result.open_features[twin]
    text = s.notice((dataclasses.replace(result, open_features=copy),))
    sentence = next(part for part in text.split(". ") if part.startswith("A-softmax m=4"))
    assert "+0.000" in sentence and "helps" not in sentence and "below" not in sentence


def test_take_home_measures_the_prior_and_the_family(trained):
    s = _step("take-home")
    imbalanced, family = trained(s)
    text = s.notice((imbalanced, family))
    sizes = np.bincount(imbalanced.data.y_train)
    assert _numbers(r"run from (\d+) down to (\d+) training", text) == [sizes.max(), sizes.min()]
    rho = spearmanr(np.linalg.norm(imbalanced.weights[0], axis=0), sizes).statistic
    assert _numbers(r"‖W_j‖ of softmax have a rank correlation of #", text) == pytest.approx([rho], abs=0.006)
    assert ("a prior learnt from the imbalance" in text) == (rho >= 0.5)
    for g, spec in enumerate(family.specs):
        assert _numbers(rf"{re.escape(spec.name)} #°;?", text) == pytest.approx([_theta_y(family, g)], abs=0.051)


def test_take_home_does_not_claim_a_prior_the_weights_do_not_hold(trained):
    s = _step("take-home")
    imbalanced, family = trained(s)
    sizes = np.bincount(imbalanced.data.y_train)
    w = imbalanced.weights.copy()
    unit = w[0] / np.linalg.norm(w[0], axis=0)
    w[0] = unit * (1 + np.argsort(np.argsort(-sizes)))  # longest weight for the smallest class
    text = s.notice((dataclasses.replace(imbalanced, weights=w), family))
    assert "a prior learnt from the imbalance" not in text and "did not learn the imbalance" in text


@pytest.mark.skipif(not _has_bound(), reason="sphere_toy/analysis/mbound.py is not there yet")
def test_bound_step_runs_mbounds_check_and_says_its_sentence(trained):
    from sphere_toy.analysis import mbound

    s = _step("m-bound")
    assert lessons.runs(s) == (mbound.CHECK_SETTINGS,)
    results = trained(s)
    assert s.notice(results) == mbound.check_text(mbound.check(results[0]))


def test_the_open_set_step_names_as_many_training_identities_as_its_run_has():
    step = lessons.step_by_key("open-set-verification")
    assert f"here there are {lessons.runs(step)[0].classes}." in step.text
