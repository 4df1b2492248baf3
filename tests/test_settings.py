"""Settings <-> URL: valid settings round-trip exactly; any text gives valid settings and says what it changed."""

import dataclasses
import math

import pytest
from hypothesis import given, settings as hyp_settings
from hypothesis import strategies as st

from sphere_toy.core import margins
from sphere_toy.data import load
from sphere_toy.core.margins import LOSSES, ModelSpec
from sphere_toy.experiment import LIMITS, MAX_CLASSES, MAX_GRID, PRESETS, QUERY_KEYS, Settings
from sphere_toy.train import TrainConfig


def sphereface(*ms):
    """The models an old link's m=... meant: softmax, M-softmax and A-softmax for each m."""
    return margins.sphereface_tokens(ms)


def _model_strategy():
    def token(loss):
        kind = LOSSES[loss]
        if kind.margin is None:
            return st.just(loss)
        lo, hi = kind.margin_range
        values = (
            st.integers(int(lo), int(hi))
            if kind.integer_margin
            else st.sampled_from(sorted({lo, hi, *kind.margin_choices, 0.123456789}))
        )
        return values.map(lambda v: ModelSpec(loss, v).token)

    return st.lists(
        st.sampled_from(list(LOSSES)).flatmap(token), min_size=1, max_size=LIMITS["losses"].max_len, unique=True
    ).map(
        lambda tokens: tuple(
            sorted(tokens, key=lambda t: (list(LOSSES).index(margins.parse(t).loss), margins.parse(t).margin))
        )
    )


def _field_strategy(name):
    limit = LIMITS[name]
    if name == "losses":
        return _model_strategy()
    if limit.choices:
        return st.sampled_from(limit.choices)
    if limit.kind is int:
        one = st.integers(int(limit.lo), int(limit.hi))
    else:
        one = st.floats(limit.lo, limit.hi, allow_nan=False, allow_infinity=False)
    if name == "losses":
        return _model_strategy()
    if name == "hidden":
        return st.lists(one, min_size=1, max_size=limit.max_len).map(tuple)
    return one


@st.composite
def valid_settings(draw):
    values = {name: draw(_field_strategy(name)) for name in LIMITS if name not in ("held_out", "seeds", "classes")}
    values["classes"] = draw(st.integers(2, MAX_CLASSES[values["data"]]))
    values["seeds"] = draw(st.integers(1, min(LIMITS["seeds"].hi, MAX_GRID // len(values["losses"]))))
    probe = Settings(**values, held_out=0)
    return probe.replace(held_out=draw(st.integers(0, probe.max_held_out())))


def _assert_settled(s):
    """What a query settled on reads back as itself, silently: the warnings were about the link, not the result."""
    assert Settings.from_query(s.to_query()) == (s, [])


@given(valid_settings())
@hyp_settings(max_examples=200, deadline=None)
def test_query_round_trip_is_exact_and_silent(s):
    query = s.to_query()
    assert all(isinstance(k, str) and isinstance(v, str) for k, v in query.items())
    assert Settings.from_query(query) == (s, [])


@given(valid_settings())
@hyp_settings(max_examples=50, deadline=None)
def test_python_values_from_the_form_are_accepted_as_they_are(s):
    values = {
        f.name: list(v) if isinstance(v, tuple) else v for f in dataclasses.fields(s) for v in [getattr(s, f.name)]
    }
    assert Settings.from_query(values) == (s, [])


def test_defaults_are_the_light_workload():
    s = Settings()
    assert (s.data, s.classes, s.held_out, s.dim, s.hidden, s.steps, s.batch, s.losses, s.seed, s.optimizer) == (
        "digits",
        6,
        4,
        3,
        (64, 64),
        600,
        128,
        sphereface(1, 2, 3, 4),
        0,
        "adam",
    )
    t, lib = s.train_config(), TrainConfig()
    assert (t.lambda_base, t.lambda_gamma, t.lambda_power, t.lambda_min, t.learning_rate) == (
        lib.lambda_base,
        lib.lambda_gamma,
        lib.lambda_power,
        lib.lambda_min,
        lib.learning_rate,
    )
    assert Settings.from_query({}) == (s, [])


@pytest.mark.parametrize(
    "params, field, expected, words",
    [
        ({"m": "0"}, "losses", sphereface(1), "m = 0 is out of range 1..6; using 1"),
        ({"m": "1,2,0"}, "losses", sphereface(1, 2), "m = 0 is out of range 1..6; using 1"),
        ({"losses": "asoftmax:9"}, "losses", ("asoftmax:6",), "A-softmax's margin 9 is out of range 1..6"),
        ({"losses": "cosface:-1,arcface:x"}, "losses", ("cosface:0", "arcface:0.5"), "CosFace's margin -1"),
        ({"losses": "facenet,normface"}, "losses", ("normface",), "'facenet' is not one of softmax"),
        ({"losses": "softmax:3"}, "losses", ("softmax",), "softmax has no margin"),
        ({"losses": "cosface:0.35,cosface:.35,softmax"}, "losses", ("softmax", "cosface:0.35"), None),
        ({"scale": "100"}, "scale", 64.0, "scale = 100 is out of range 1..64; using 64"),
        ({"classes": "100"}, "classes", 10, "classes = 100 is more than digits allows (10); using 10"),
        ({"classes": "500"}, "classes", 10, "classes = 500 is out of range 2..100; using 100"),
        (
            {"data": "identities", "classes": "500", "held_out": "80"},
            "held_out",
            50,
            "held_out = 80 is out of range 0..50",
        ),
        ({"data": "blobs", "held_out": "20"}, "held_out", 8, "blobs with 6 trained classes allows at most 8"),
        ({"dim": "7"}, "dim", 8, "dim = 7 is not one of 2, 3, 8, 16, 32; using 8"),
        ({"dim": "100"}, "dim", 32, "using 32"),
        ({"seeds": "9"}, "seeds", 5, "seeds = 9 is out of range 1..5; using 5"),
        (
            {"seeds": "5", "losses": "softmax,msoftmax,asoftmax:1,asoftmax:2,asoftmax:3,asoftmax:4,normface"},
            "seeds",
            4,
            "seeds = 5 with 7 models is more than 30 models to train; using 4",
        ),
        ({"dim": "0"}, "dim", 2, "dim = 0 is not one of 2, 3, 8, 16, 32; using 2"),
        ({"steps": "-1"}, "steps", LIMITS["steps"].lo, "steps = -1 is out of range 10..20000; using 10"),
        ({"seed": "abc"}, "seed", 0, "seed 'abc' is not a number; using 0"),
        ({"seed": "-5"}, "seed", 0, "seed = -5 is out of range"),
        ({"seed": "2.5"}, "seed", 0, "not a whole number"),
        ({"lr": "1e9"}, "lr", 10.0, "lr = 1000000000 is out of range"),
        ({"lr": "nan"}, "lr", Settings().lr, "lr 'nan' is not a number"),
        ({"lr": "inf"}, "lr", Settings().lr, "not a number"),
        ({"data": "faces"}, "data", "digits", "data 'faces' is not one of digits, blobs, identities; using digits"),
        ({"optimizer": "rmsprop"}, "optimizer", "adam", "not one of adam, sgd"),
        ({"hidden": "64,abc"}, "hidden", (64,), "hidden 'abc' is not a number; dropping it"),
        ({"hidden": "1,2,3,4,5"}, "hidden", (1, 2, 3, 4), "at most 4"),
        ({"hidden": ""}, "hidden", (64, 64), "hidden has no valid value"),
        (
            {"m": ["0", "9", "x"]},
            "losses",
            sphereface(1, 6),
            "m = 0 is out of range 1..6; using 1 (and 2 more problems "
            "with m); using m = softmax,msoftmax,asoftmax:1,asoftmax:6",
        ),
        ({"seed": ["1", "2"]}, "seed", 2, "seed has 2 values; using the last"),
        ({"classes": "8"}, "held_out", 2, "held_out = 4 is too many"),
        ({"classes": "9", "held_out": "7"}, "held_out", 1, "at most 1"),
        ({"imbalance": "0.5"}, "imbalance", 1.0, "imbalance = 0.5 is out of range 1..50; using 1"),
    ],
)
def test_each_bad_value_gives_a_warning_and_the_nearest_valid_value(params, field, expected, words):
    s, warnings = Settings.from_query(params)
    _assert_settled(s)
    assert getattr(s, field) == expected
    assert any(words in w for w in warnings) if words else warnings == [], warnings


def test_bad_values_only_touch_their_own_field():
    s, warnings = Settings.from_query({"m": "0", "steps": "200", "tab": "Features", "model": "softmax"})
    assert s == Settings(losses=sphereface(1), steps=200)
    assert len(warnings) == 1  # unknown keys belong to the app's view and are not complained about


def test_garbage_text_is_shortened_in_the_warning():
    _, warnings = Settings.from_query({"seed": "x" * 500})
    assert len(warnings[0]) < 120


@given(
    st.dictionaries(
        st.sampled_from(sorted(LIMITS) + ["tab", "junk"]),
        st.one_of(
            st.text(max_size=30),
            st.lists(st.text(max_size=10), max_size=4),
            st.integers(),
            st.floats(),
            st.none(),
            st.booleans(),
        ),
    )
)
@hyp_settings(max_examples=300, deadline=None)
def test_anything_at_all_gives_valid_settings_and_never_raises(params):
    s, warnings = Settings.from_query(params)
    _assert_settled(s)
    assert all(isinstance(w, str) and w for w in warnings)
    # and what it settled on is a fixed point: reading it back changes nothing
    assert Settings.from_query(s.to_query()) == (s, [])


def test_direct_construction_validates():
    with pytest.raises(ValueError, match="asoftmax:0"):
        Settings(losses=("asoftmax:0",))
    with pytest.raises(ValueError, match="held_out"):
        Settings(classes=8, held_out=4)
    with pytest.raises(ValueError, match="registry order"):
        Settings(losses=("asoftmax:2", "softmax"))
    with pytest.raises(ValueError, match="not a model"):
        Settings(losses=("asoftmax:4.0",))  # not the canonical spelling: one experiment, one cache key
    with pytest.raises(ValueError, match="dim"):
        Settings(dim=7)
    with pytest.raises(ValueError, match="lr"):
        Settings(lr=math.nan)
    assert Settings(imbalance=10) == Settings(imbalance=10.0)
    assert isinstance(Settings(imbalance=10).imbalance, float)
    assert hash(Settings()) == hash(Settings())


def test_specs_are_one_model_per_listed_loss_with_the_seed_and_scale():
    specs = Settings(losses=sphereface(2, 4), seed=3).specs()
    assert specs == (
        ModelSpec("softmax", seed=3),
        ModelSpec("msoftmax", seed=3),
        ModelSpec("asoftmax", 2, 3),
        ModelSpec("asoftmax", 4, 3),
    )
    family = Settings(losses=("asoftmax:4", "normface", "cosface:0.2", "arcface:0.5"), scale=30.0).specs()
    assert [(s.loss, s.margin, s.scale) for s in family] == [
        ("asoftmax", 4, None),
        ("normface", 0.0, 30.0),
        ("cosface", 0.2, 30.0),
        ("arcface", 0.5, 30.0),
    ]


def test_links_made_before_the_family_open_the_same_experiment():
    # every link from the A-softmax-only app named its margins with m (to_query wrote all of them)
    old = {"data": "digits", "dim": "2", "m": "4", "steps": "3000", "seed": "0"}
    s, warnings = Settings.from_query(old)
    assert warnings == [] and [spec.name for spec in s.specs()] == ["softmax", "M-softmax", "A-softmax m=4"]
    assert Settings.from_query({})[0].losses == sphereface(1, 2, 3, 4)  # the default line-up is unchanged
    assert Settings.from_query({"m": "2", "losses": "cosface"})[0].losses == ("cosface:0.35",)  # losses wins


def test_configs_carry_every_field():
    s = Settings(
        data="blobs",
        classes=4,
        held_out=3,
        imbalance=2.0,
        overlap=1.5,
        dim=2,
        hidden=(8,),
        steps=50,
        batch=32,
        lr=0.01,
        optimizer="sgd",
        lambda_base=10.0,
        lambda_gamma=0.5,
        lambda_power=1.0,
        lambda_min=5.0,
        losses=sphereface(3),
        seed=7,
    )
    d, t = s.data_config(), s.train_config()
    assert (d.source, d.n_classes, d.held_out, d.imbalance, d.overlap, d.seed) == ("blobs", 4, 3, 2.0, 1.5, 7)
    assert (t.hidden, t.feature_dim, t.steps, t.batch_size, t.learning_rate, t.optimizer) == (
        (8,),
        2,
        50,
        32,
        0.01,
        "sgd",
    )
    assert (t.lambda_base, t.lambda_gamma, t.lambda_power, t.lambda_min) == (10.0, 0.5, 1.0, 5.0)


@pytest.mark.parametrize("name", list(PRESETS))
def test_presets_are_valid_described_and_loadable(name):
    preset = PRESETS[name]
    _assert_settled(preset.settings)
    assert len(preset.description) > 40 and "\n" not in preset.description
    assert Settings.from_query(preset.settings.to_query()) == (preset.settings, [])
    data = load(preset.settings.data_config())  # the data exists with these settings
    assert data.n_classes == preset.settings.classes
    preset.settings.train_config()  # and the trainer accepts them
    assert [s.token for s in preset.settings.specs()] == list(preset.settings.losses) * preset.settings.seeds


def test_presets_show_what_their_names_promise():
    assert PRESETS["Paper Fig. 2: 2-D features"].settings.dim == 2
    fig5 = PRESETS["Paper Fig. 5: 3-D features, m = 1..4"].settings
    assert (fig5.dim, fig5.losses) == (3, sphereface(1, 2, 3, 4))
    # the paper-like run: the default run as it was before it was made light
    assert PRESETS["Paper Fig. 5 at 3000 steps"].settings == fig5.replace(steps=3000, lambda_gamma=360.0)
    assert fig5 == Settings() and fig5.steps < 3000  # the default is the light one
    assert PRESETS["Imbalanced classes"].settings.imbalance > 1
    identities = PRESETS["Open-set identities"].settings
    assert identities.data == "identities" and identities.held_out >= 10 and identities.seeds > 1


@pytest.mark.parametrize(
    "params",
    [
        {"data": "digits", "classes": "2", "imbalance": "50"},
        {"data": "digits", "classes": "10", "imbalance": "50"},
        {"data": "blobs", "classes": "10", "held_out": "8", "imbalance": "50", "overlap": "4"},
        {"data": "blobs", "classes": "2", "held_out": "0", "overlap": "0.25"},
    ],
)
def test_extreme_settings_still_make_a_dataset(params):
    s, _ = Settings.from_query(params)
    data = load(s.data_config())
    assert data.n_open_classes == s.held_out


def test_describe_is_one_line():
    text = Settings().describe()
    assert "digits" in text and "3-D" in text and "\n" not in text


@pytest.mark.parametrize("key", QUERY_KEYS)
def test_a_key_given_no_value_is_said_to_be_empty_and_read_as_its_default(key):
    settings, warnings = Settings.from_query({key: ""})
    assert len(warnings) == 1 and key in warnings[0], warnings  # never silently read as the default
    assert settings == Settings()
